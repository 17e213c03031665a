// What a subscriber asked to hear about, in the words the pages and the emails both use.
import type { Catalogue } from '../queries/catalog.ts';

/** Said when no component is chosen: every component, present and future. */
export const ALL_COMPONENTS_LABEL = 'Todas las zonas y servicios (incluidos los que se agreguen después)';

/** Full names ("Metepec · Fibra óptica") of these component ids, in catalogue order; unknown ids are skipped. */
export function componentNames(catalogue: Catalogue, componentIds: readonly string[]): string[] {
  const wanted = new Set(componentIds);
  return catalogue.all.filter((c) => wanted.has(c.id)).map((c) => c.fullName);
}

/** A subscription's scope as lines to list: the chosen components and service IDs, or the one "all" line. */
export function chosenScope(
  catalogue: Catalogue,
  componentIds: readonly string[],
  serviceIds: readonly string[] = [],
): string[] {
  const services = serviceIds.map((id) => `Su servicio ${id}`);
  return componentIds.length === 0 && services.length === 0
    ? [ALL_COMPONENTS_LABEL]
    : [...componentNames(catalogue, componentIds), ...services];
}
