// The mark an ETA ([data-eta], rendered by site/components/Eta.astro) gets in the browser once
// it has passed with no new update: the same words the server writes when it is already past.
// Shared by site/scripts/freshness.ts (public pages) and site/scripts/consoleClock.ts (console).
import { ETA_PASSED } from '../lib/wording.ts';

export function markPassedEtas(root: ParentNode, now: number): void {
  for (const eta of root.querySelectorAll<HTMLElement>('[data-eta]')) {
    const at = Date.parse(eta.dataset.eta ?? '');
    if (Number.isNaN(at) || at > now || eta.querySelector('.eta-passed')) continue;
    const mark = document.createElement('strong');
    mark.className = 'eta-passed';
    mark.textContent = ETA_PASSED;
    eta.append(' · ', mark);
  }
}
