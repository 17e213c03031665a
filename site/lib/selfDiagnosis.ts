// The three self-diagnosis steps of manual 1.1, and the summary pasted into a ticket (1.2).
import type { Criticality } from './supportTicket.ts';

export const steps = {
  reinicio: {
    question: '¿Hizo el ciclo de energía completo?',
    options: { si: 'Sí, desconecté router, antena y switch 60 segundos y esperé 5 minutos', no: 'No pude hacerlo' },
  },
  leds: {
    question: '¿Cómo se ven los LEDs después del reinicio?',
    options: {
      normal: 'Todos en verde (fijos o parpadeando)',
      rojo: 'Alguno en rojo',
      ambar: 'Alguno en ámbar',
      apagado: 'Alguno apagado que debería estar encendido',
    },
  },
  cable: {
    question: 'Con una computadora conectada por cable directo al router, ¿hay internet?',
    options: {
      funciona: 'Sí, por cable funciona (la falla está en mi red interna o el Wi-Fi)',
      lento: 'Sí hay internet por cable, pero lento o con cortes',
      falla: 'No, tampoco funciona por cable',
      'no-pude': 'No pude probar con cable',
    },
  },
} as const;

export type StepName = keyof typeof steps;
export type Answers = { [K in StepName]?: keyof (typeof steps)[K]['options'] };

/** Reads the GET form; unknown values are ignored (the step counts as unanswered). */
export function parseAnswers(params: URLSearchParams): Answers {
  const out: Record<string, string> = {};
  for (const name of Object.keys(steps) as StepName[]) {
    const value = params.get(name);
    if (value && value in steps[name].options) out[name] = value;
  }
  return out as Answers;
}

export function isComplete(answers: Answers): boolean {
  return (Object.keys(steps) as StepName[]).every((k) => answers[k] !== undefined);
}

/** Lines ready to paste into a ticket. */
export function diagnosisSummary(answers: Answers, areaName: string | null): string {
  const lines = (Object.keys(steps) as StepName[]).map((k) => {
    const v = answers[k];
    const label = v ? (steps[k].options as Record<string, string>)[v] : 'sin responder';
    return `- ${steps[k].question} ${label}.`;
  });
  if (areaName) lines.unshift(`- Zona: ${areaName}.`);
  return lines.join('\n');
}

/** Working by cable means the fault is inside the customer's network: low; nothing works: high. */
export function suggestedCriticality(answers: Answers): Criticality {
  if (answers.cable === 'funciona') return 'Baja';
  if (answers.cable === 'falla' && (answers.leds === 'rojo' || answers.leds === 'apagado')) return 'Alta';
  return 'Media';
}
