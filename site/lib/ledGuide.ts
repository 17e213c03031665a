// Shape of the LED guide's data file (site/content/leds.yaml). Kept apart from content.config.ts
// so tests validate the file with the very schema the build uses.
import { z } from 'astro/zod';

export const ledLooks = ['off', 'solid', 'blinking'] as const;
export const ledColors = ['none', 'green', 'amber', 'red', 'blue'] as const;

const text = z.string().trim().min(3).max(600);

export const ledStateSchema = z
  .strictObject({
    look: z.enum(ledLooks),
    color: z.enum(ledColors),
    meaning: text,
    action: text,
  })
  .refine((s) => (s.look === 'off') === (s.color === 'none'), {
    message: 'Un LED apagado lleva color "none"; uno encendido o parpadeando, un color.',
    path: ['color'],
  });

export const ledSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/),
  name: z.string().trim().min(1).max(60),
  /** Where to find it on the device, e.g. "frente, primer LED". */
  where: z.string().trim().max(200).optional(),
  states: z.array(ledStateSchema).min(2),
});

export const equipmentSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/),
  name: z.string().trim().min(1).max(80),
  order: z.number().int().min(0),
  description: text,
  leds: z.array(ledSchema).min(1),
});

export type Equipment = z.infer<typeof equipmentSchema>;
export type LedState = z.infer<typeof ledStateSchema>;

const lookLabels = { off: 'Apagado', solid: 'Encendido fijo', blinking: 'Parpadeando' } as const;
const colorLabels = { none: '', green: 'verde', amber: 'ámbar', red: 'rojo', blue: 'azul' } as const;

/** "Parpadeando ámbar", "Apagado". */
export function ledStateLabel(state: Pick<LedState, 'look' | 'color'>): string {
  return state.look === 'off' ? lookLabels.off : `${lookLabels[state.look]} ${colorLabels[state.color]}`;
}

/** A red light means a fault: the guide links it to live status and to support. */
export function isFault(state: Pick<LedState, 'color'>): boolean {
  return state.color === 'red';
}
