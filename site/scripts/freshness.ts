// Progressive enhancement for pages that speak about "now" (/, incident and area pages). The
// HTML states absolute times only, because it may be read from the published snapshot long
// after it was rendered; here, where the reader's clock is known:
// - every <time data-ago> gets "(hace 12 min)" after it;
// - an ETA ([data-eta]) that has passed says "vencida — esperando actualización";
// - while the page says an incident is open (<main data-live>), the page fetches itself every
//   minute and swaps in the new content when it changed, announcing it politely.
// Without JavaScript every page still reads correctly, minus the relative words.
import { agoText } from '../lib/wording.ts';
import { markPassedEtas } from './etaPassed.ts';
import { formatTime } from '#db/domain/time.ts';

const REFRESH_MS = 60_000;

function enhance(root: ParentNode): void {
  const now = Date.now();
  for (const time of root.querySelectorAll<HTMLTimeElement>('time[data-ago]')) {
    const at = Date.parse(time.dateTime);
    if (Number.isNaN(at)) continue;
    let ago = time.nextElementSibling?.classList.contains('ago') ? (time.nextElementSibling as HTMLElement) : null;
    if (!ago) {
      ago = document.createElement('span');
      ago.className = 'ago';
      time.after(ago);
    }
    ago.textContent = ` (${agoText(Math.max(0, now - at))})`;
  }
  markPassedEtas(root, now);
}

function liveRegion(): HTMLElement {
  let region = document.getElementById('actualizacion-automatica');
  if (!region) {
    region = document.createElement('p');
    region.id = 'actualizacion-automatica';
    region.className = 'small muted live-note';
    region.setAttribute('role', 'status');
    document.querySelector('main')?.before(region);
  }
  return region;
}

const main = document.querySelector<HTMLElement>('main');
let lastHtml = main?.innerHTML ?? '';
enhance(document);
setInterval(() => enhance(document), 30_000);

async function refresh(): Promise<void> {
  if (!main || main.dataset.live === undefined || document.visibilityState !== 'visible') return;
  try {
    const res = await fetch(location.pathname + location.search, {
      cache: 'no-store',
      headers: { accept: 'text/html' },
    });
    if (!res.ok) return;
    const next = new DOMParser().parseFromString(await res.text(), 'text/html').querySelector('main');
    if (!next || next.innerHTML === lastHtml) return;
    lastHtml = next.innerHTML;
    main.innerHTML = next.innerHTML;
    if (next.dataset.live === undefined) delete main.dataset.live;
    enhance(main);
    liveRegion().textContent = `Página actualizada a las ${formatTime(new Date())} con la información más reciente.`;
  } catch {
    // Offline or the server is busy: the page stays as it is and tries again in a minute.
  }
}
if (main?.dataset.live !== undefined) setInterval(refresh, REFRESH_MS);
