/*! SOMNET · aviso de estado embebible. Sin dependencias. Documentación: /integraciones
 * <script src="https://status.somnet.com.mx/embed.js" async></script>
 * Muestra un aviso solo si hay servicios afectados o un mantenimiento en curso.
 * Ubicación: dentro de <div data-somnet-status></div> si existe; si no, al inicio de <body>.
 * Estilo: variables CSS --somnet-bg, --somnet-fg, --somnet-accent, --somnet-link,
 * --somnet-font, --somnet-radius (en :root o en el contenedor). */
(function () {
  var script = document.currentScript;
  if (!script) return;
  var base = script.src.replace(/\/embed\.js(\?.*)?$/, '');
  var box;
  function el(tag, text, css) {
    var e = document.createElement(tag);
    if (text) e.textContent = text;
    if (css) e.style.cssText = css;
    return e;
  }
  function render(d) {
    var active = (d.scheduled_maintenances || []).filter(function (m) {
      return m.status === 'in_progress' || m.status === 'verifying';
    });
    var indicator = d.status && d.status.indicator;
    if (box) {
      box.remove();
      box = null;
    }
    if ((!indicator || indicator === 'none') && !active.length) return;
    var affected = (d.components || [])
      .filter(function (c) {
        return !c.group && c.status !== 'operational';
      })
      .map(function (c) {
        return (c.somnet && c.somnet.full_name) || c.name;
      });
    box = el(
      'div',
      '',
      'box-sizing:border-box;margin:0;padding:.6em 1em;display:flex;flex-wrap:wrap;gap:.25em 1em;align-items:baseline;' +
        'font:var(--somnet-font,inherit);background:var(--somnet-bg,#fff8c5);color:var(--somnet-fg,#1f2328);' +
        'border-left:.35em solid var(--somnet-accent,' +
        (indicator === 'maintenance' || !indicator || indicator === 'none' ? '#0969da' : '#bc4c00') +
        ');' +
        'border-radius:var(--somnet-radius,0)',
    );
    box.className = 'somnet-status somnet-status-' + (indicator || 'maintenance');
    box.setAttribute('role', 'status');
    box.setAttribute('aria-label', 'Estado de la red SOMNET');
    box.setAttribute('lang', 'es-MX');
    box.appendChild(
      el('strong', indicator && indicator !== 'none' ? d.status.description + '.' : 'Mantenimiento en curso.'),
    );
    var names = affected.concat(
      active.map(function (m) {
        return m.name;
      }),
    );
    if (names.length)
      box.appendChild(el('span', 'Afecta: ' + names.slice(0, 6).join(', ') + (names.length > 6 ? '…' : '.')));
    var link = el('a', 'Ver detalles', 'color:var(--somnet-link,inherit);font-weight:600');
    link.href = (d.page && d.page.url) || base;
    box.appendChild(link);
    var close = el(
      'button',
      '×',
      'margin-left:auto;background:none;border:0;font:inherit;font-size:1.25em;line-height:1;cursor:pointer;color:inherit',
    );
    close.type = 'button';
    close.setAttribute('aria-label', 'Cerrar aviso de estado');
    close.onclick = function () {
      box.remove();
      box = null;
      clearInterval(timer);
    };
    box.appendChild(close);
    var host = document.querySelector('[data-somnet-status]');
    if (host) host.appendChild(box);
    else document.body.insertBefore(box, document.body.firstChild);
  }
  function load() {
    if (document.hidden) return;
    // no-cache: revalidate (a cheap 304) instead of showing a stale-while-revalidate copy.
    fetch(base + '/api/v2/summary.json', { credentials: 'omit', cache: 'no-cache' })
      .then(function (r) {
        if (!r.ok) throw r.status;
        return r.json();
      })
      .then(render, function () {});
  }
  var timer = setInterval(load, 120000);
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', load);
  else load();
})();
