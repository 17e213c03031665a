// /noc/componentes: manual status changes, a whole area or single components, in one
// transaction (each updateComponent of db/commands/catalog.ts is a savepoint of submitOnce's).
import { updateComponent } from '#db/commands/catalog.ts';
import { submitOnce } from '#db/commands/consoleForms.ts';
import { CommandError } from '#db/commands/errors.ts';
import { componentStatuses, type ComponentStatus } from '#db/enums.ts';
import { componentCatalogue, componentHolders, type Catalogue, type ComponentHolder } from '#db/queries/index.ts';
import { contextOf, formToken, type ConsoleRequest, type Redirect, unsavedStatus } from './action.ts';

const isStatus = (v: unknown): v is ComponentStatus =>
  typeof v === 'string' && (componentStatuses as readonly string[]).includes(v);

/**
 * The changes a form asks for: an area's choice applies to each of its components, a
 * component's own choice wins; only those that differ from the current status are kept.
 */
export function requestedStatuses(
  form: FormData,
  catalogue: Catalogue,
): { changes: Array<[string, ComponentStatus]>; invalid: boolean } {
  const changes = new Map<string, ComponentStatus>();
  for (const group of catalogue.groups) {
    const areaStatus = form.get(`zona_${group.id}`);
    if (isStatus(areaStatus)) for (const c of group.components) changes.set(c.id, areaStatus);
  }
  for (const c of catalogue.all) {
    const own = form.get(`estado_${c.id}`);
    if (isStatus(own)) changes.set(c.id, own);
  }
  const invalid = [...form.keys()].some(
    (k) => (k.startsWith('estado_') || k.startsWith('zona_')) && form.get(k) !== '' && !isStatus(form.get(k)),
  );
  return { changes: [...changes].filter(([id, status]) => catalogue.byId.get(id)?.status !== status), invalid };
}

export interface ComponentStatusesView {
  catalogue: Catalogue;
  /** Which open incident or maintenance in progress holds each component. */
  holders: Map<string, ComponentHolder[]>;
  error?: string;
}

export function componentStatusesPage(
  req: ConsoleRequest,
  form?: FormData,
): Redirect | { status: number; view: ComponentStatusesView } {
  const catalogue = componentCatalogue(req.db);
  if (!form) return { status: 200, view: { catalogue, holders: componentHolders(req.db) } };
  const { changes, invalid } = requestedStatuses(form, catalogue);
  let error = invalid ? 'Uno de los estados elegidos no es válido.' : undefined;
  let refused: unknown;
  if (!error) {
    try {
      // A resent form finds its first submission before "no changes" could be said.
      const { location } = submitOnce(req.db, formToken(form), req.session.user.id, req.now, () => {
        if (changes.length === 0) throw new CommandError(422, 'no_changes', 'No eligió ningún cambio de estado.');
        for (const [id, status] of changes) updateComponent(req.db, id, { status }, contextOf(req));
        return `/noc/componentes?cambios=${changes.length}`;
      });
      return { redirect: location };
    } catch (err) {
      if (!(err instanceof CommandError)) throw err;
      refused = err;
      error = err.message;
    }
  }
  const fresh = componentCatalogue(req.db);
  return {
    status: unsavedStatus(refused),
    view: { catalogue: fresh, holders: componentHolders(req.db), error },
  };
}
