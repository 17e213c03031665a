// Enhancement for the console: "hace 46 min", the response commitment and passed ETAs follow
// the clock while the page stays open. The server's instant at render (data-now on <main>)
// anchors it, so a workstation with a wrong clock still counts right. Without JavaScript the
// page shows what was true when it was loaded.
import { sinceText, slaDueText } from '../console/slaText.ts';
import { markPassedEtas } from './etaPassed.ts';

const anchor = document.querySelector<HTMLElement>('[data-now]');
if (anchor) {
  const renderedAt = new Date(anchor.dataset.now!).getTime();
  const loadedAt = Date.now();
  const now = () => new Date(renderedAt + (Date.now() - loadedAt));

  const tick = () => {
    const at = now();
    for (const el of document.querySelectorAll<HTMLElement>('[data-since]'))
      el.textContent = sinceText(new Date(el.dataset.since!), at);
    for (const el of document.querySelectorAll<HTMLElement>('[data-due]')) {
      const due = new Date(el.dataset.due!);
      el.textContent = slaDueText(due, at, el.dataset.verb === 'publicar' ? 'publicar' : 'actualizar');
      const row = el.closest<HTMLElement>('[data-overdue]');
      if (row) {
        const overdue = at.getTime() > due.getTime();
        row.dataset.overdue = String(overdue);
        row.classList.toggle('overdue', overdue);
      }
    }
    // An ETA rendered by Eta.astro gets the same mark the public pages add.
    markPassedEtas(document, at.getTime());
  };
  setInterval(tick, 15_000);
}
