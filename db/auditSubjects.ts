// What an audit row is about, as a type. Every command names the subject of its write with one
// of these (recordAudit, noteChange in db/commands/audit.ts), and the publisher decides from it
// which public files the write made stale (api/publish/changes.ts, an exhaustive switch): a
// subject added here that the publisher does not handle does not compile. No Drizzle import, so
// any layer can read it.

/** The fields of a component a write can change (the keys of `updateComponentInput`). */
export const componentFields = ['name', 'slug', 'description', 'group', 'position', 'status'] as const;
export type ComponentField = (typeof componentFields)[number];

/**
 * What a write did to a component: created it, or changed these fields. A status shows where the
 * component itself is shown (the site-wide pages, its feeds, its area); a name, slug, area,
 * position or description shows on every page that names or lists it.
 */
export type ComponentChange = 'created' | readonly ComponentField[];

/** Subjects some public page, document or feed shows: the publisher has a case for each. */
export type PublicSubject =
  | { type: 'incident'; id: string }
  | { type: 'maintenance'; id: string }
  | { type: 'component'; id: string; changed: ComponentChange }
  /** An area: its name and slug are on every page that lists it. */
  | { type: 'group'; id: string }
  /** The coverage map's polygons (replaced whole). */
  | { type: 'coverage' }
  /**
   * Network-quality samples: noted (noteChange), never audited. Which areas they changed comes
   * from the ingest log (`quality_ingests`), and they change the quality pages only.
   */
  | { type: 'quality' };

/**
 * Subjects no public page or document shows. A command that audits (or notes) only these changes
 * nothing the public sees: the page cache keeps its pages (runCommand) and the publisher
 * publishes nothing. Sign-ups peak during an outage, exactly when the pages do; flushing the
 * cache on each had the home page rendered again for nearly every visitor.
 */
export const privateSubjectTypes = [
  'subscriber',
  'user',
  'token',
  'session',
  'webhook',
  'feasibility_request',
  // Alerts, drafts, their rules and the webhooks as received are the NOC's; what an alert changes
  // in public is a component's status, which setComponentStatus notes as 'component'.
  'alert',
  'incident_draft',
  'alert_rules',
  // Noted (noteChange), never audited: an Alertmanager resend that changed no alert.
  'alert_delivery',
  // The customer service inventory: no public page lists it (/mi-servicio is rendered per lookup).
  'service',
  // Network quality's settings (the Prometheus mapping, thresholds) and the pull worker's state are
  // the NOC's; samples themselves are noted as 'quality' and republish the quality pages.
  'quality_sources',
  'quality_thresholds',
  'quality_state',
] as const;
export type PrivateSubjectType = (typeof privateSubjectTypes)[number];
export interface PrivateSubject {
  type: PrivateSubjectType;
  id?: string | null;
}

export type AuditSubject = PublicSubject | PrivateSubject;
export type SubjectType = AuditSubject['type'];
/** What a subject's `changed` field holds, for the subjects that have one (the audit_log column). */
export type SubjectChange = Extract<AuditSubject, { changed: unknown }>['changed'];

export const PRIVATE_SUBJECTS: ReadonlySet<SubjectType> = new Set(privateSubjectTypes);

export function isPrivateSubject(subject: AuditSubject): subject is PrivateSubject {
  return PRIVATE_SUBJECTS.has(subject.type);
}

/** The component fields a patch sets (a key given as `undefined` sets nothing). */
export function changedComponentFields(patch: Partial<Record<ComponentField, unknown>>): ComponentField[] {
  return componentFields.filter((field) => patch[field] !== undefined);
}

function componentChangeOf(stored: unknown): ComponentChange | null {
  if (stored === 'created') return 'created';
  if (!Array.isArray(stored)) return null;
  const fields: ComponentField[] = [];
  for (const f of stored) {
    if (!(componentFields as readonly unknown[]).includes(f)) return null;
    fields.push(f as ComponentField);
  }
  return fields;
}

/**
 * The subject of a stored audit row, or null when this version does not write it so (an unknown
 * type, a public subject without its id or its change): the publisher then republishes everything.
 */
export function auditSubjectOf(row: { type: string; id: string | null; changed: unknown }): AuditSubject | null {
  if ((privateSubjectTypes as readonly string[]).includes(row.type))
    return { type: row.type as PrivateSubjectType, id: row.id };
  const kind = row.type as PublicSubject['type'];
  switch (kind) {
    case 'incident':
    case 'maintenance':
    case 'group':
      return row.id ? { type: kind, id: row.id } : null;
    case 'component': {
      const changed = componentChangeOf(row.changed);
      return row.id && changed ? { type: kind, id: row.id, changed } : null;
    }
    case 'coverage':
    case 'quality':
      return { type: kind };
    default:
      // A string from the database that is no subject of this version.
      kind satisfies never;
      return null;
  }
}
