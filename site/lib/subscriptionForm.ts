// Reads the subscription forms (sign-up, preferences) the same way on every page.
export interface ChoiceForm {
  all: boolean;
  components: string[];
  customerId: string | null;
}

export function readChoices(form: FormData): ChoiceForm | { error: string } {
  const all = form.get('alcance') !== 'solo';
  const components = form.getAll('componentes').map(String).filter(Boolean);
  if (!all && components.length === 0) return { error: 'Marque al menos una zona o servicio, o elija «Todas las zonas y servicios».' };
  const customerId = String(form.get('cliente') ?? '').trim();
  return { all, components: all ? [] : components, customerId: customerId === '' ? null : customerId };
}

/** The token in a link from an email; anything else is treated as a broken link. */
export function linkToken(url: URL): string {
  return url.searchParams.get('token') ?? '';
}
