// /noc/calidad: the Prometheus mapping (which PromQL expression feeds each component's or area's
// latency, jitter and loss), how the pull worker last found Prometheus and each expression, the
// thresholds and the last ingests. The page renders; this decides; replaceQualitySources enforces.
import type { Db } from '#db/client.ts';
import { submitOnce } from '#db/commands/consoleForms.ts';
import { replaceQualitySources } from '#db/commands/quality.ts';
import { qualityMetrics, type QualityMetric } from '#db/enums.ts';
import { sourceKey } from '#db/domain/quality.ts';
import {
  componentCatalogue,
  qualityPullStates,
  qualitySettingsRow,
  qualitySourcesDocument,
  qualityThresholdsDocument,
  recentQualityIngests,
  type PullStateView,
} from '#db/queries/index.ts';
import { contextOf, field, formToken, refusal, unsavedStatus, type ConsoleRequest, type Redirect } from './action.ts';
import { randomToken } from './session.ts';

export interface QualitySourceRow {
  /** `component:<slug>` or `area:<slug>`: the form's value for this target. */
  target: string;
  label: string;
  metrics: Array<{ metric: QualityMetric; expr: string; state: PullStateView | null }>;
}

export interface QualityConsoleView {
  prometheusUrl: string | null;
  prometheus: PullStateView | null;
  rows: QualitySourceRow[];
  targets: Array<{ value: string; label: string }>;
  /** The entry form's values (a target picked, its three expressions). */
  entry: { target: string } & Record<QualityMetric, string>;
  thresholds: ReturnType<typeof qualityThresholdsDocument>;
  ingests: ReturnType<typeof recentQualityIngests>;
  updatedAt: Date | null;
  updatedBy: string | null;
  errors: Record<string, string>;
  idem: string;
}

function targetsOf(db: Db) {
  const catalogue = componentCatalogue(db);
  const targets: QualityConsoleView['targets'] = [];
  for (const g of catalogue.groups) {
    targets.push({ value: `area:${g.slug}`, label: `${g.name} (toda la zona: cada serie con su etiqueta component)` });
    for (const c of g.components) targets.push({ value: `component:${c.slug}`, label: c.fullName });
  }
  for (const c of catalogue.ungrouped) targets.push({ value: `component:${c.slug}`, label: c.fullName });
  return { catalogue, targets };
}

export function qualityConsolePage(
  req: ConsoleRequest & { prometheusUrl?: string },
  form?: FormData,
): Redirect | { status: number; view: QualityConsoleView } {
  const { catalogue, targets } = targetsOf(req.db);
  const settings = qualitySettingsRow(req.db);
  const states = qualityPullStates(req.db);
  const document = qualitySourcesDocument(req.db, catalogue);
  const rows: QualitySourceRow[] = settings.sources.flatMap((s) => {
    const c = s.target.kind === 'component' ? catalogue.byId.get(s.target.id) : undefined;
    const g = s.target.kind === 'group' ? catalogue.groups.find((x) => x.id === s.target.id) : undefined;
    if (!c && !g) return [];
    return [
      {
        target: c ? `component:${c.slug}` : `area:${g!.slug}`,
        label: c ? c.fullName : `${g!.name} (toda la zona)`,
        metrics: qualityMetrics.flatMap((metric) => {
          const expr = s.metrics[metric];
          return expr === undefined
            ? []
            : [{ metric, expr, state: states.get(sourceKey(s.target.id, metric)) ?? null }];
        }),
      },
    ];
  });
  const picked = targets.some((t) => t.value === field(form ?? new FormData(), 'objetivo'))
    ? field(form!, 'objetivo')
    : '';
  const view: QualityConsoleView = {
    prometheusUrl: req.prometheusUrl ?? null,
    prometheus: states.get('prometheus') ?? null,
    rows,
    targets,
    entry: { target: picked, latency_ms: '', jitter_ms: '', loss_pct: '' },
    thresholds: qualityThresholdsDocument(req.db, catalogue),
    ingests: recentQualityIngests(req.db, 10),
    updatedAt: settings.sourcesUpdatedAt,
    updatedBy: settings.sourcesUpdatedBy,
    errors: {},
    idem: randomToken(),
  };
  if (!form) return { status: 200, view };

  const action = field(form, 'accion');
  const [kind, slug] = picked.split(':');
  const sameTarget = (e: (typeof document)[number]) => (kind === 'area' ? e.area === slug : e.component === slug);
  let sources = [...document];
  let editedIndex = -1;
  if (!picked) {
    view.errors.objetivo = 'Elija un componente o una zona.';
  } else if (action === 'guardar') {
    for (const metric of qualityMetrics) view.entry[metric] = String(form.get(metric) ?? '').trim();
    const metrics = Object.fromEntries(qualityMetrics.filter((m) => view.entry[m]).map((m) => [m, view.entry[m]]));
    const entry = { ...(kind === 'area' ? { area: slug } : { component: slug }), metrics };
    // The edited entry goes last (order means nothing to the mapping): a clash with another
    // entry is then reported on this form's fields, not on the other entry.
    sources = sources.filter((e) => !sameTarget(e));
    if (Object.keys(metrics).length > 0) {
      sources.push(entry);
      editedIndex = sources.length - 1;
    }
  } else if (action === 'quitar') {
    sources = sources.filter((e) => !sameTarget(e));
  } else {
    view.errors.form = 'Acción desconocida.';
  }
  let refused: unknown;
  if (Object.keys(view.errors).length === 0) {
    try {
      const { location } = submitOnce(req.db, formToken(form), req.session.user.id, req.now, () => {
        replaceQualitySources(req.db, { sources }, contextOf(req));
        return `/noc/calidad?aviso=${action === 'quitar' ? 'quitada' : 'guardada'}`;
      });
      return { redirect: location };
    } catch (err) {
      refused = err;
      view.errors = refusal(err, (path) => {
        const m = /^sources\.(\d+)\.(?:metrics\.)?(\w+)/.exec(path);
        if (!m || Number(m[1]) !== editedIndex) return 'form';
        return (qualityMetrics as readonly string[]).includes(m[2]) ? m[2] : 'objetivo';
      });
    }
  }
  const sent = formToken(form);
  if (sent) view.idem = sent;
  return { status: unsavedStatus(refused), view };
}
