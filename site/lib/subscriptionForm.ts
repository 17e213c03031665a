// Reads the subscription forms (sign-up, preferences) the same way on every page.
export interface ChoiceForm {
  /** Chosen component slugs; none ticked means every component (present and future). */
  components: string[];
  customerId: string | null;
}

/**
 * A ticked component means "only these", whatever else the form carries: an older copy of the
 * page sent a radio ("alcance") that could stay on "todas" while boxes were ticked, and the
 * subscriber then got every area's email.
 */
export function readChoices(form: FormData): ChoiceForm {
  const components = form.getAll('componentes').map(String).filter(Boolean);
  const customerId = String(form.get('cliente') ?? '').trim();
  return { components, customerId: customerId === '' ? null : customerId };
}

/** The token in a link from an email; anything else is treated as a broken link. */
export function linkToken(url: URL): string {
  return url.searchParams.get('token') ?? '';
}
