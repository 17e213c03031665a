// /noc/admin/catalogo: new areas and components, and renaming, describing or moving existing
// ones, with the same commands as /api/v1/groups and /api/v1/components (db/commands/catalog.ts).
// Statuses change on /noc/componentes.
import {
  createComponent,
  createComponentInput,
  createGroup,
  createGroupInput,
  updateComponent,
  updateComponentInput,
  updateGroup,
  updateGroupInput,
} from '#db/commands/catalog.ts';
import { submitOnce } from '#db/commands/consoleForms.ts';
import { checkInput } from '#db/commands/input.ts';
import { componentCatalogue, type Catalogue } from '#db/queries/index.ts';
import { contextOf, field, formToken, refusal, type ConsoleRequest, type Redirect, unsavedStatus } from './action.ts';

/** The commands' field names (error paths) → this page's form fields. */
const FORM_FIELD: Record<string, string> = { name: 'nombre', description: 'descripcion', group: 'zona', slug: 'slug' };
const formField = (path: string) => FORM_FIELD[path] ?? path;

const ACTIONS = ['zona-nueva', 'componente-nuevo', 'zona-editar', 'componente-editar'] as const;
type CatalogueAction = (typeof ACTIONS)[number];

export interface CatalogueView {
  catalogue: Catalogue;
  /** Errors by form: 'zona' (new area), 'componente' (new component), or the id of the edited item. */
  errors: Record<string, Record<string, string>>;
  /** The fields sent by the refused form (nombre, slug, descripcion, zona), to show them again. */
  sent: Record<string, string>;
  editedId: string;
}

/** The command one form calls, and its input; the checks and the write use the same values. */
function commandFor(action: CatalogueAction, key: string, values: Record<string, string>) {
  const description = values.descripcion || null;
  const slug = values.slug ? { slug: values.slug } : {};
  const group = values.zona || null;
  switch (action) {
    case 'zona-nueva': {
      const input = { name: values.nombre, ...slug, description };
      return {
        schema: createGroupInput,
        input,
        run: (req: ConsoleRequest) => createGroup(req.db, input, contextOf(req)),
      };
    }
    case 'componente-nuevo': {
      const input = { name: values.nombre, ...slug, description, group };
      return {
        schema: createComponentInput,
        input,
        run: (req: ConsoleRequest) => createComponent(req.db, input, contextOf(req)),
      };
    }
    case 'zona-editar': {
      const input = { name: values.nombre, description };
      return {
        schema: updateGroupInput,
        input,
        run: (req: ConsoleRequest) => updateGroup(req.db, key, input, contextOf(req)),
      };
    }
    case 'componente-editar': {
      const input = { name: values.nombre, description, group };
      return {
        schema: updateComponentInput,
        input,
        run: (req: ConsoleRequest) => updateComponent(req.db, key, input, contextOf(req)),
      };
    }
  }
}

export function cataloguePage(
  req: ConsoleRequest,
  form?: FormData,
): Redirect | { status: number; view: CatalogueView } {
  const catalogue = componentCatalogue(req.db);
  if (!form) return { status: 200, view: { catalogue, errors: {}, sent: {}, editedId: '' } };
  const action = field(form, 'accion');
  const known = (ACTIONS as readonly string[]).includes(action) ? (action as CatalogueAction) : null;
  const isNew = action === 'zona-nueva' || action === 'componente-nuevo';
  const key = action === 'zona-nueva' ? 'zona' : action === 'componente-nuevo' ? 'componente' : field(form, 'id');
  const values: Record<string, string> = {};
  for (const f of ['nombre', 'slug', 'descripcion', 'zona']) values[f] = field(form, `${isNew ? `${key}_` : ''}${f}`);

  const problems: Record<string, string> = {};
  if (values.zona && !catalogue.groups.some((g) => g.id === values.zona))
    problems.zona = 'Esa zona ya no existe; recargue la página.';
  if (!known) problems.form = 'Acción desconocida. Vuelva a cargar la página.';
  if (action === 'zona-editar' && !catalogue.groups.some((g) => g.id === key))
    problems.form = 'Esa zona ya no existe; recargue la página.';
  if (action === 'componente-editar' && !catalogue.byId.has(key))
    problems.form = 'Ese componente ya no existe; recargue la página.';
  const command = known ? commandFor(known, key, values) : null;
  // The command's own rules (limits, messages) speak before anything is sent.
  if (command) for (const f of checkInput(command.schema, command.input)) problems[formField(f.path)] ??= f.message;
  let refused: unknown;
  if (command && Object.keys(problems).length === 0) {
    try {
      const { location } = submitOnce(req.db, formToken(form), req.session.user.id, req.now, () => {
        command.run(req);
        return `/noc/admin/catalogo?aviso=${isNew ? 'creado' : 'guardado'}`;
      });
      return { redirect: location };
    } catch (err) {
      refused = err;
      Object.assign(problems, refusal(err, formField));
    }
  }
  return {
    status: unsavedStatus(refused),
    view: { catalogue: componentCatalogue(req.db), errors: { [key]: problems }, sent: values, editedId: key },
  };
}
