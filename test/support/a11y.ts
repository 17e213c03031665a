// What a screen reader announces with a form control, read from the served HTML.

/**
 * The text of the elements named by the `aria-describedby` of the first opening tag that `tag`
 * matches (e.g. /<select id="zona"[^>]*>/), joined by spaces; '' when it names none or they are
 * missing from the page (a dangling reference is announced as nothing).
 */
export function describedBy(html: string, tag: RegExp): string {
  const open = tag.exec(html)?.[0];
  if (!open) throw new Error(`No element matches ${tag}`);
  const ids = /\baria-describedby="([^"]*)"/.exec(open)?.[1].split(/\s+/).filter(Boolean) ?? [];
  return ids
    .map((id) => {
      const m = new RegExp(`<(\\w+)\\b[^>]*\\bid="${id}"[^>]*>([\\s\\S]*?)</\\1>`).exec(html);
      return m ? m[2].replace(/<[^>]+>/g, '').trim() : '';
    })
    .filter(Boolean)
    .join(' ');
}

/** Whether the first opening tag that `tag` matches is marked aria-invalid="true". */
export function markedInvalid(html: string, tag: RegExp): boolean {
  return /\baria-invalid="true"/.test(tag.exec(html)?.[0] ?? '');
}
