// Reading a public form's POST body. The server already refused bodies over the form limit
// before Astro read them (api/formBody.ts); what is left to fail is a body that is not a form.

/** What a page says above its form when the body could not be read (with status 400). */
export const UNREADABLE_FORM = 'No pudimos leer el formulario; vuelva a enviarlo desde esta página.';

/** The posted form, or null when the body is not a readable form. */
export async function postedForm(request: Request): Promise<FormData | null> {
  try {
    return await request.formData();
  } catch {
    return null;
  }
}
