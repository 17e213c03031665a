// Enhancement for the console's maintenance forms: the 72 h notice and low-impact-window hints
// refresh as the NOC types. Without JavaScript the same hints come from the server when the
// form is checked or sent (site/components/noc/MaintenanceFields.astro).
import { windowHints, type WindowHint } from '../console/maintenanceChecks.ts';

for (const form of document.querySelectorAll<HTMLFormElement>('form[data-maintenance-form]')) {
  // The server's clock at render time, advanced by the time spent on the page: the NOC's own
  // clock may be wrong, and the server decides with its own.
  const serverNow = Date.parse(form.dataset.now ?? '') || Date.now();
  const loadedAt = performance.now();
  const maxHours = Number(form.dataset.maxHours) || undefined;
  const previousFor = form.dataset.previousFor ? new Date(form.dataset.previousFor) : null;
  const started = form.dataset.started === 'true';
  const field = (name: string) => form.elements.namedItem(name) as HTMLInputElement | null;
  const show = (kind: string, hint: WindowHint | null) => {
    const el = form.querySelector<HTMLElement>(`[data-hint="${kind}"]`);
    if (!el) return;
    el.textContent = hint?.text ?? '';
    el.className = hint ? `hint hint-${hint.tone}` : 'hint';
  };
  const refresh = () => {
    const hints = windowHints({
      now: new Date(serverNow + (performance.now() - loadedAt)),
      from: field('scheduled_for')?.value ?? '',
      until: field('scheduled_until')?.value ?? '',
      emergency: field('emergency')?.checked ?? false,
      maxHours,
      previousFor,
      started,
    });
    show('notice', hints.notice);
    show('window', hints.window);
  };
  form.addEventListener('input', refresh);
  form.addEventListener('change', refresh);

  // "Toda la zona" ticks its components, and unticking one of them unticks the area, so the
  // boxes show exactly what the server will pick (an area box always means all of it).
  for (const area of form.querySelectorAll<HTMLInputElement>('input[name="zona"]')) {
    const members = [
      ...(area.closest('fieldset')?.querySelectorAll<HTMLInputElement>('input[name="componente"]') ?? []),
    ];
    area.addEventListener('change', () => {
      for (const c of members) c.checked = area.checked;
    });
    for (const c of members)
      c.addEventListener('change', () => {
        if (!c.checked) area.checked = false;
      });
  }
}
