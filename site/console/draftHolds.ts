// A draft's components that monitoring still holds at fault with nothing published to explain
// them. Discarding the draft does not change the public status: the console says so before and
// after, and offers (prefilled) to return those components to operational.
import type { Db } from '#db/client.ts';
import { draftDetail, unexplainedFaults, type UnexplainedFault } from '#db/queries/index.ts';

export function faultsHeldByDraft(db: Db, draftId: string): UnexplainedFault[] {
  const draft = draftDetail(db, draftId);
  if (!draft) return [];
  const ids = new Set(draft.components.map((c) => c.component.id));
  return unexplainedFaults(db).filter((f) => ids.has(f.component.id));
}
