// Webhook bodies exactly as the senders build them: Alertmanager 0.25's (captured from Debian's
// prometheus-alertmanager, see alertmanager.test.ts for the live one) and Grafana's contact
// point (its documented example, with SOMNET's labels).

export interface AmAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  status?: 'firing' | 'resolved';
  startsAt?: string;
  endsAt?: string;
  fingerprint?: string;
}

/** Alertmanager's fingerprint is a hash of the label set; any stable function of the labels will do here. */
export function fingerprintOf(labels: Record<string, string>): string {
  let h = 0xcbf29ce484222325n;
  for (const [k, v] of Object.entries(labels).sort(([a], [b]) => a.localeCompare(b))) {
    for (const ch of `${k}\u00ff${v}\u00ff`)
      h = ((h ^ BigInt(ch.codePointAt(0)!)) * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

export function alertmanagerPayload(alerts: AmAlert[], options: { receiver?: string } = {}) {
  const full = alerts.map((a) => ({
    status: a.status ?? 'firing',
    labels: a.labels,
    annotations: a.annotations ?? {},
    startsAt: a.startsAt ?? '2026-11-26T17:58:31.774718607Z',
    endsAt: a.status === 'resolved' ? (a.endsAt ?? '2026-11-26T18:20:00.027Z') : GO_ZERO_TIME,
    generatorURL: 'http://prometheus.somnet.local:9090/graph?g0.expr=olt_pon_rx_power_dbm+%3C+-28&g0.tab=1',
    fingerprint: a.fingerprint ?? fingerprintOf(a.labels),
  }));
  const common = (key: 'labels' | 'annotations') => {
    const first = full[0]?.[key] ?? {};
    return Object.fromEntries(Object.entries(first).filter(([k, v]) => full.every((a) => a[key][k] === v)));
  };
  return {
    receiver: options.receiver ?? 'somnet-estado',
    status: full.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    alerts: full,
    groupLabels: { alertname: full[0]?.labels.alertname ?? '' },
    commonLabels: common('labels'),
    commonAnnotations: common('annotations'),
    externalURL: 'http://alertmanager.somnet.local:9093',
    version: '4',
    groupKey: `{}:{alertname="${full[0]?.labels.alertname ?? ''}"}`,
    truncatedAlerts: 0,
  };
}

export function grafanaPayload(alerts: AmAlert[], options: { receiver?: string } = {}) {
  const am = alertmanagerPayload(alerts, options);
  const firing = am.status === 'firing';
  return {
    receiver: am.receiver,
    status: am.status,
    orgId: 1,
    alerts: am.alerts.map((a) => ({
      ...a,
      generatorURL: 'https://grafana.somnet.local/alerting/grafana/1afz29v7z/view',
      silenceURL:
        'https://grafana.somnet.local/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DRadioEnlace',
      dashboardURL: 'https://grafana.somnet.local/d/radios',
      panelURL: 'https://grafana.somnet.local/d/radios?viewPanel=3',
      values: { B: -71.4, C: 1 },
      valueString: "[ var='B' labels={} value=-71.4 ]",
    })),
    groupLabels: am.groupLabels,
    commonLabels: am.commonLabels,
    commonAnnotations: am.commonAnnotations,
    externalURL: 'https://grafana.somnet.local/',
    version: '1',
    groupKey: am.groupKey,
    truncatedAlerts: 0,
    title: `[${firing ? 'FIRING' : 'RESOLVED'}:${am.alerts.length}] ${am.groupLabels.alertname}`,
    state: firing ? 'alerting' : 'ok',
    message: `**${firing ? 'Firing' : 'Resolved'}**\n\nValue: B=-71.4`,
  };
}

/** The three components a storm falls on. */
export const STORM_SLUGS = ['toluca-fibra', 'metepec-fibra', 'lerma-fibra'];

/** An Alertmanager group of `n` alerts of one outage over STORM_SLUGS (`startsAt` fixed when given). */
export function stormPayload(n: number, options: { name?: string; startsAt?: string } = {}) {
  return alertmanagerPayload(
    Array.from({ length: n }, (_, i) => ({
      labels: {
        alertname: options.name ?? 'OnuSinLuz',
        onu: `onu-${i}`,
        component: STORM_SLUGS[i % STORM_SLUGS.length],
        severity: 'critical',
      },
      annotations: { summary: `ONU ${i} sin señal óptica` },
      ...(options.startsAt ? { startsAt: options.startsAt } : {}),
    })),
  );
}
