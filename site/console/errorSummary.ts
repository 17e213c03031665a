// What a console form's error summary lists (site/components/noc/ErrorSummary.astro): the
// form's own message, and one entry per field in error pointing at that field.

/** A form's errors: `form` for the message about the whole form, one entry per field otherwise. */
export type FormErrors = Readonly<Record<string, string | undefined>>;

export interface SummaryField {
  /** The id of the field (the link's target). */
  id: string;
  message: string;
}

/**
 * The summary of `errors`: `form` as the message (left out when a field already says the same),
 * then the fields in the order the form gave them. `ids` maps an error key to the id of its
 * field where they differ.
 */
export function summaryItems(
  errors: FormErrors,
  ids: Readonly<Record<string, string>> = {},
): { message: string | null; fields: SummaryField[] } {
  const fields: SummaryField[] = [];
  for (const [key, message] of Object.entries(errors)) {
    if (key === 'form' || !message) continue;
    fields.push({ id: ids[key] ?? key, message });
  }
  const form = errors.form?.trim() || null;
  const message = form && !fields.some((f) => f.message === form) ? form : null;
  return { message, fields };
}
