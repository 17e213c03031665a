// The alert rules as pure functions (db/domain/alerts.ts): what one notice does to an alert's
// episode, and what a draft says.
import { describe, expect, it } from 'vitest';
import {
  alertContribution,
  alertTransition,
  draftWords,
  flapSettlesAt,
  measuredFault,
  namedTemplate,
  suggestedTemplate,
  type AlertEpisode,
  type AlertEvaluation,
  type AlertNotice,
  type AlertTransition,
  type AlertWords,
} from '#db/domain/alerts.ts';
import { incidentTemplate } from '#db/domain/incidentTemplates.ts';

const t = (iso: string) => new Date(`2026-11-26T${iso}Z`);
const now = t('18:00:00');
const HOLD = 5 * 60_000;

const evaluation: AlertEvaluation = {
  componentIds: ['c1'],
  suppressedIds: [],
  proposedStatus: 'major_outage',
  mode: 'automatic',
  effect: 'automatic',
};
const firing: AlertEpisode = {
  ...evaluation,
  status: 'firing',
  startsAt: t('17:00:00'),
  endsAt: null,
  resolvedAt: null,
  flapCount: 0,
};
/** Resolved at 17:58 (two minutes ago: within the hold-down), ended 17:57 by the sender's clock. */
const resolved: AlertEpisode = { ...firing, status: 'resolved', endsAt: t('17:57:00'), resolvedAt: t('17:58:00') };
const fires = (startsAt: string | null): AlertNotice => ({
  status: 'firing',
  startsAt: startsAt ? t(startsAt) : null,
  endsAt: null,
});
const resolves = (endsAt: string | null): AlertNotice => ({
  status: 'resolved',
  startsAt: t('17:00:00'),
  endsAt: endsAt ? t(endsAt) : null,
});

describe('alertTransition: what one notice does to an alert', () => {
  const cases: Array<{
    name: string;
    latest: AlertEpisode | undefined;
    notice: AlertNotice;
    evaluation?: AlertEvaluation;
    holdMs?: number;
    expected: Partial<AlertTransition> & { change: AlertTransition['change']; write: AlertTransition['write'] };
  }> = [
    {
      name: 'first firing notice: a new episode from the sender’s start',
      latest: undefined,
      notice: fires('17:50:00'),
      expected: {
        change: 'fired',
        write: 'insert',
        episode: {
          status: 'firing',
          startsAt: t('17:50:00'),
          endsAt: null,
          resolvedAt: null,
          firstReceivedAt: now,
          lastReceivedAt: now,
          lastFiredAt: now,
          flapping: false,
          flapCount: 0,
        },
      },
    },
    {
      name: 'a generic sender without a start: the time we receive it',
      latest: undefined,
      notice: fires(null),
      expected: { change: 'fired', write: 'insert', episode: expect.objectContaining({ startsAt: now }) },
    },
    {
      name: 'the same firing alert again, the rules saying the same: resent',
      latest: firing,
      notice: fires('17:00:00'),
      expected: { change: 'resent', write: 'update', set: { lastReceivedAt: now } },
    },
    {
      name: 'the same firing alert, the rules now saying something else: reevaluated',
      latest: firing,
      notice: fires('17:00:00'),
      evaluation: { ...evaluation, proposedStatus: 'partial_outage' },
      expected: { change: 'reevaluated', write: 'update', set: { lastReceivedAt: now } },
    },
    {
      name: 'a maintenance now holds its component: reevaluated',
      latest: firing,
      notice: fires('17:00:00'),
      evaluation: { ...evaluation, suppressedIds: ['c1'], effect: 'suppressed' },
      expected: { change: 'reevaluated', write: 'update', set: { lastReceivedAt: now } },
    },
    {
      name: 'the old firing notice arriving after the resolution (same start): ignored',
      latest: resolved,
      notice: fires('17:00:00'),
      expected: { change: 'ignored', write: 'touch', set: { lastReceivedAt: now } },
    },
    {
      name: 'a firing notice that started before the episode ended: ignored',
      latest: resolved,
      notice: fires('17:56:00'),
      expected: { change: 'ignored', write: 'touch', set: { lastReceivedAt: now } },
    },
    {
      name: 'fires again within the hold-down: the same episode, flapping',
      latest: { ...resolved, flapCount: 1 },
      notice: fires('17:59:00'),
      expected: {
        change: 'refired',
        write: 'update',
        set: {
          status: 'firing',
          endsAt: null,
          resolvedAt: null,
          flapping: true,
          flapCount: 2,
          lastFiredAt: now,
          lastReceivedAt: now,
        },
      },
    },
    {
      name: 'fires again after the hold-down: a new episode',
      latest: { ...resolved, endsAt: t('17:40:00'), resolvedAt: t('17:40:00') },
      notice: fires('17:59:00'),
      expected: { change: 'fired', write: 'insert', episode: expect.objectContaining({ flapping: false }) },
    },
    {
      name: 'no hold-down configured (0 minutes): never flapping',
      latest: resolved,
      notice: fires('17:59:00'),
      holdMs: 0,
      expected: {
        change: 'fired',
        write: 'insert',
        episode: expect.objectContaining({ flapping: false, flapCount: 0 }),
      },
    },
    {
      name: 'a firing alert resolves, with the sender’s end',
      latest: firing,
      notice: resolves('17:59:30'),
      expected: {
        change: 'resolved',
        write: 'update',
        set: { status: 'resolved', endsAt: t('17:59:30'), resolvedAt: now, lastReceivedAt: now },
      },
    },
    {
      name: 'a resolution without an end: now',
      latest: firing,
      notice: resolves(null),
      expected: { change: 'resolved', write: 'update', set: expect.objectContaining({ endsAt: now }) },
    },
    {
      name: 'a resolution of an alert never seen firing: recorded, resolved',
      latest: undefined,
      notice: resolves('17:59:30'),
      expected: {
        change: 'resolved',
        write: 'insert',
        episode: expect.objectContaining({ status: 'resolved', endsAt: t('17:59:30'), resolvedAt: now }),
      },
    },
    {
      name: 'the resolution again: resent',
      latest: resolved,
      notice: resolves('17:57:00'),
      expected: { change: 'resent', write: 'touch', set: { lastReceivedAt: now } },
    },
  ];
  it.each(cases)('$name', ({ latest, notice, evaluation: e, holdMs, expected }) => {
    expect(alertTransition(latest, notice, e ?? evaluation, holdMs ?? HOLD, now)).toEqual(expected);
  });
});

describe('what an alert imposes, and when damping settles', () => {
  it('an automatic firing alert imposes its status on its components not held by a maintenance', () => {
    const alert = { ...evaluation, componentIds: ['c1', 'c2'], suppressedIds: ['c2'], status: 'firing' as const };
    expect(alertContribution({ ...alert, flapping: false })).toEqual(new Map([['c1', 'major_outage']]));
    // Flapping: «Intermitencia», even while resolved within the hold-down.
    expect(alertContribution({ ...alert, status: 'resolved', flapping: true })).toEqual(
      new Map([['c1', 'partial_outage']]),
    );
    expect(alertContribution({ ...alert, status: 'resolved', flapping: false }).size).toBe(0);
    expect(alertContribution({ ...alert, effect: 'proposed', flapping: false }).size).toBe(0);
  });

  it('a flapping alert settles one hold-down after it last fired (firing) or resolved', () => {
    expect(flapSettlesAt({ status: 'firing', lastFiredAt: t('17:00:00'), resolvedAt: null }, HOLD)).toEqual(
      t('17:05:00'),
    );
    expect(flapSettlesAt({ status: 'resolved', lastFiredAt: t('17:00:00'), resolvedAt: t('17:30:00') }, HOLD)).toEqual(
      t('17:35:00'),
    );
  });
});

describe('drafts state what monitoring saw, nothing more', () => {
  const words = (summary: string, labels: Record<string, string> = {}, annotations = {}): AlertWords => ({
    labels,
    annotations,
    summary,
    description: null,
  });
  // Hostile: words of a cause («OLT», «fibra», «corte») in a warning about something else.
  const packetLoss = words('Pérdida de paquetes de 8 % en la OLT OLT-SMA-01 (puerto PON 2, fibra)', {
    alertname: 'OltPacketLoss',
    severity: 'warning',
  });

  it('names where and what was measured, «Investigando», no cause — whatever words the alert uses', () => {
    expect(
      draftWords({
        template: undefined,
        where: 'San Mateo Atenco · Fibra óptica',
        statuses: ['degraded_performance'],
        alerts: [packetLoss],
      }),
    ).toEqual({
      name: 'Falla detectada en San Mateo Atenco · Fibra óptica: pérdida de paquetes',
      status: 'investigating',
      cause: null,
    });
    for (const hostile of [
      'Corte de fibra en la OLT — revisar',
      'ONU sin luz? (LOS) en los puertos PON',
      'Fiber cut suspected on olt-metepec-1',
      'DDoS? Breach? power? BGP?',
    ]) {
      const draft = draftWords({
        template: undefined,
        where: 'Metepec · Fibra óptica',
        statuses: ['partial_outage'],
        alerts: [words(hostile)],
      });
      expect(draft.status).toBe('investigating');
      expect(draft.cause).toBeNull();
      expect(draft.name).toMatch(/^Falla detectada en Metepec · Fibra óptica: /);
      expect(draft.name).not.toMatch(/Corte|Falla eléctrica|Ataque|Incidente de seguridad|proveedor/);
    }
  });

  it('says the status the alerts mean when no measurement is recognised', () => {
    expect(
      draftWords({ template: undefined, where: 'Lerma', statuses: ['major_outage'], alerts: [words('Alarma 4711')] })
        .name,
    ).toBe('Falla detectada en Lerma: sin servicio');
  });

  it('recognises what was measured, in English or Spanish, two things at most', () => {
    expect(measuredFault([words('High latency to olt-met-1')])).toBe('latencia alta');
    expect(measuredFault([words('', { alertname: 'OltPonSinLuz' })])).toBe('pérdida de señal óptica');
    expect(measuredFault([words('Nodo Toluca Centro sin energía')])).toBe('sin energía');
    expect(measuredFault([packetLoss, words('RTT alto'), words('Host unreachable')])).toBe(
      'pérdida de paquetes, latencia alta y más',
    );
    expect(measuredFault([words('Alarma 4711')])).toBeNull();
  });

  it('uses a template only when a rule or the alert names it', () => {
    const named = namedTemplate({ labels: {}, annotations: { status_page_template: 'corte-fibra' } });
    expect(named?.id).toBe('corte-fibra');
    expect(namedTemplate({ labels: { status_page_template: 'saturacion' }, annotations: {} })?.id).toBe('saturacion');
    expect(namedTemplate({ labels: {}, annotations: {} }, 'falla-electrica')?.id).toBe('falla-electrica');
    expect(namedTemplate({ labels: {}, annotations: { status_page_template: 'inventada' } })).toBeUndefined();
    // Words alone never name one.
    expect(namedTemplate(packetLoss)).toBeUndefined();
    expect(draftWords({ template: named, where: 'Metepec', statuses: ['major_outage'], alerts: [packetLoss] })).toEqual(
      {
        name: 'Corte de fibra óptica en Metepec',
        status: 'identified',
        cause: incidentTemplate('corte-fibra')!.cause,
      },
    );
  });

  it('suggests a template from the words (to offer), and not a fibre cut for a device’s name', () => {
    expect(suggestedTemplate([packetLoss])?.id).toBe('saturacion');
    expect(suggestedTemplate([words('Sin luz en el puerto PON 3 de la OLT Metepec')])?.id).toBe('corte-fibra');
    expect(suggestedTemplate([words('OLT Metepec: reinicio de la tarjeta de los puertos')])).toBeUndefined();
  });
});
