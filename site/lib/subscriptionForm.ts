// Reads the subscription forms (sign-up, preferences) the same way on every page.
import type { Catalogue } from '#db/queries/index.ts';

export interface ChoiceForm {
  /**
   * Chosen component slugs: the boxes ticked, plus every component of an area ticked «Toda la
   * zona …». Empty means every component (present and future) when `all`, nothing otherwise.
   */
  components: string[];
  /** «Todas las zonas y servicios» ticked, and no zone or component ticked. */
  all: boolean;
  customerId: string | null;
}

/** What the chooser says when nothing is chosen: all zones is a choice of its own, never a default. */
export const NOTHING_CHOSEN =
  'Elija las zonas o servicios de los que quiere avisos, o marque «Todas las zonas y servicios».';

/**
 * A ticked zone or component means "only these", whatever else the form carries: ticking
 * «Todas» beside Metepec must not send every area's email to someone who wanted fewer (an older
 * copy of the page did, with a radio that could stay on "all" while boxes were ticked).
 */
export function readChoices(form: FormData, catalogue: Catalogue): ChoiceForm {
  const components = new Set(form.getAll('componentes').map(String).filter(Boolean));
  for (const slug of form.getAll('zona').map(String)) {
    const area = catalogue.groups.find((g) => g.slug === slug);
    for (const c of area?.components ?? []) components.add(c.slug);
  }
  const customerId = String(form.get('cliente') ?? '').trim();
  return {
    components: [...components],
    // `alcance=todas` is how copies of the page from before this box said it (still in caches and forms).
    all:
      components.size === 0 && (form.get('todas') === '1' || ['todo', 'todas'].includes(String(form.get('alcance')))),
    customerId: customerId === '' ? null : customerId,
  };
}

/**
 * The zones a link preselects (?zona=metepec, repeatable; ?componente=metepec-fibra): the ids of
 * their components, for the chooser to show ticked. Unknown slugs are ignored.
 */
export function preselectedComponents(url: URL, catalogue: Catalogue): string[] {
  const ids = new Set<string>();
  for (const slug of url.searchParams.getAll('zona'))
    for (const c of catalogue.groups.find((g) => g.slug === slug)?.components ?? []) ids.add(c.id);
  for (const slug of url.searchParams.getAll('componente')) {
    const c = catalogue.all.find((x) => x.slug === slug);
    if (c) ids.add(c.id);
  }
  return catalogue.all.filter((c) => ids.has(c.id)).map((c) => c.id);
}

/** The link to /suscribirse with these areas (group slugs) preselected. */
export function subscribeLink(areaSlugs: readonly string[], extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  for (const slug of new Set(areaSlugs)) q.append('zona', slug);
  for (const [k, v] of Object.entries(extra)) if (v) q.set(k, v);
  const query = q.toString();
  return `/suscribirse${query ? `?${query}` : ''}`;
}

/** The token in a link from an email; anything else is treated as a broken link. */
export function linkToken(url: URL): string {
  return url.searchParams.get('token') ?? '';
}
