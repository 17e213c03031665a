// Draft incidents opened by alerts (db/commands/alerts/drafts.ts) become real incidents only when a
// person publishes them, through createIncident in the same transaction; or are discarded with
// a reason. Drafts are never read by a public path (they live in their own table).
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../client.ts';
import { draftIncidentStart } from '../domain/alerts.ts';
import { incidentDrafts } from '../schema/index.ts';
import { linkDraftAlerts } from './alerts/index.ts';
import { recordAudit } from './audit.ts';
import { CommandError, notFound } from './errors.ts';
import { createIncident, type CreateIncidentInput, type IncidentRow } from './incidents.ts';
import { LIMITS, parseInput, text } from './input.ts';
import { runCommand, type CommandContext } from './transaction.ts';

type DraftRow = typeof incidentDrafts.$inferSelect;

/** The draft, if a person may still publish or discard it; a 404 or a 409 saying why not otherwise. */
function requireOpenDraft(db: Db, id: string): DraftRow {
  const draft = db.select().from(incidentDrafts).where(eq(incidentDrafts.id, id)).get();
  if (!draft) throw notFound('el borrador', id);
  if (draft.state === 'published')
    throw new CommandError(409, 'draft_closed', 'Este borrador ya se publicó como incidente.');
  if (draft.state === 'discarded')
    throw new CommandError(
      409,
      'draft_closed',
      `Este borrador se descartó${draft.closedBy ? ` (${draft.closedBy})` : ''}: ${draft.discardReason ?? ''}`.trim(),
    );
  return draft;
}

/**
 * Publishes a draft as the incident the NOC reviewed (`input`, the composer's fields). The
 * incident starts when the first alert did (its `startsAt`), so SLA and availability count the
 * outage from the alert, not from the click; the draft's alerts are linked to the incident.
 */
export function publishDraft(db: Db, draftId: string, input: CreateIncidentInput, ctx: CommandContext): IncidentRow {
  return runCommand(db, () => {
    const draft = requireOpenDraft(db, draftId);
    const startedAt = draftIncidentStart(draft, ctx.now);
    const incident = createIncident(db, { ...input, startedAt: input.startedAt ?? startedAt }, ctx);
    db.update(incidentDrafts)
      .set({
        state: 'published',
        incidentId: incident.id,
        closedAt: ctx.now,
        closedBy: ctx.actor.name,
        updatedAt: ctx.now,
      })
      .where(eq(incidentDrafts.id, draft.id))
      .run();
    linkDraftAlerts(db, draft.id, incident.id);
    recordAudit(db, ctx.actor, 'incident_draft.publish', { type: 'incident_draft', id: draft.id }, ctx.now, {
      incidentId: incident.id,
    });
    return incident;
  });
}

/** Discarding needs a reason: a false positive is worth knowing about when the rules are reviewed. */
export const discardDraftInput = z.strictObject({
  reason: text({
    min: 1,
    max: LIMITS.note,
    label: 'El motivo',
    required: 'Escriba por qué se descarta, p. ej. «Falsa alarma: reinicio programado del equipo».',
  }),
});

export function discardDraft(
  db: Db,
  draftId: string,
  raw: z.input<typeof discardDraftInput>,
  ctx: CommandContext,
): DraftRow {
  const input = parseInput(discardDraftInput, raw);
  return runCommand(db, () => {
    const draft = requireOpenDraft(db, draftId);
    recordAudit(db, ctx.actor, 'incident_draft.discard', { type: 'incident_draft', id: draft.id }, ctx.now, {
      reason: input.reason,
    });
    return db
      .update(incidentDrafts)
      .set({
        state: 'discarded',
        discardReason: input.reason,
        closedAt: ctx.now,
        closedBy: ctx.actor.name,
        updatedAt: ctx.now,
      })
      .where(eq(incidentDrafts.id, draft.id))
      .returning()
      .get();
  });
}
