// /status.txt: the state in a few SMS-sized lines (≤ 160 characters each), for the worst
// connections and for scripts (`curl -s …/status.txt | head -1`). Pure.
import {
  unexplainedFaultText,
  type ComponentView,
  type IncidentView,
  type MaintenanceView,
  type UnexplainedFault,
} from '#db/queries/index.ts';
import type { OverallStatus } from '#db/domain/rollup.ts';
import { componentStatusShortLabels, ETA_UNKNOWN } from '#db/enums.ts';
import { formatDateTime } from '#db/domain/time.ts';
import { EMERGENCY_PHONE } from '#db/supportChannels.ts';

export const SMS_LINE = 160;

/**
 * Terminal control characters (C0, DEL, C1) never reach the output: `curl …/status.txt` prints
 * to someone's terminal, and an ESC sequence in a name would clear or rewrite it.
 */
function printable(line: string): string {
  return line.replace(/[\u0000-\u001F\u007F-\u009F]/g, '');
}

function clip(line: string): string {
  const chars = [...line];
  return chars.length <= SMS_LINE ? line : `${chars.slice(0, SMS_LINE - 1).join('')}…`;
}

const windowFacts = (m: MaintenanceView) => `${m.impactLabel}: ${m.components.map((c) => c.fullName).join(', ')}.`;

export function statusText(input: {
  overall: OverallStatus;
  affected: ComponentView[];
  incidents: IncidentView[];
  /** In progress or verifying. */
  maintenances: MaintenanceView[];
  /** The next window starting within 24 h, if any. */
  nextMaintenance: MaintenanceView | null;
  /** Faults monitoring saw that nothing published explains (db/queries/unexplainedFaults.ts). */
  unexplained: readonly UnexplainedFault[];
  now: Date;
  publicUrl: string;
}): string {
  const lines = [`SOMNET ${formatDateTime(input.now)} hora centro MX: ${input.overall.description}.`];
  for (const c of input.affected) lines.push(`${c.fullName}: ${componentStatusShortLabels[c.status]}.`);
  for (const f of input.unexplained) lines.push(unexplainedFaultText(f));
  for (const i of input.incidents) {
    const eta = ` Restablecimiento estimado: ${i.eta ? formatDateTime(i.eta) : ETA_UNKNOWN.toLowerCase()}.`;
    lines.push(`${i.statusLabel}: ${i.name}.${i.cause ? ` Causa: ${i.cause}.` : ''}${eta}`);
  }
  for (const m of input.maintenances) {
    lines.push(`Mantenimiento en curso hasta ${formatDateTime(m.scheduledUntil)}: ${m.name}. ${windowFacts(m)}`);
  }
  const next = input.nextMaintenance;
  if (next)
    lines.push(
      `Próximo mantenimiento ${formatDateTime(next.scheduledFor)} a ${formatDateTime(next.scheduledUntil)}: ${next.name}. ${windowFacts(next)}`,
    );
  lines.push(`Detalle: ${input.publicUrl}/ · Emergencias (sin servicio): ${EMERGENCY_PHONE}`);
  return lines.map((line) => clip(printable(line))).join('\n') + '\n';
}
