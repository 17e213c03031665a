// Enhancement for the incident composer: the preview follows the form as the NOC types. It asks
// the page itself for «Vista previa» (the same server rendering: public card, email, audience),
// so what it shows is exactly what «Publicar» will publish. Without JavaScript the button does it.
const form = document.querySelector<HTMLFormElement>('form[data-live-preview]');

if (form) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let latest = 0;

  const refresh = async () => {
    const mine = ++latest;
    const data = new FormData(form);
    data.set('accion', 'vista-previa');
    let html: string;
    try {
      const res = await fetch(location.href, {
        method: 'POST',
        body: new URLSearchParams(data as unknown as Record<string, string>),
        credentials: 'same-origin',
      });
      html = await res.text();
    } catch {
      return; // offline for a moment: the buttons still work
    }
    if (mine !== latest) return; // a newer edit is on its way
    const next = new DOMParser().parseFromString(html, 'text/html');
    const nextForm = next.querySelector<HTMLFormElement>('form[data-live-preview]');
    if (!nextForm) return;

    // The preview section (absent while a required field is missing or invalid).
    const current = document.querySelector('section.preview');
    const fresh = next.querySelector('section.preview');
    if (fresh) {
      const adopted = document.importNode(fresh, true);
      if (current) current.replaceWith(adopted);
      else form.before(adopted);
    } else {
      current?.remove();
    }
    // The fingerprint of what is previewed, and the buttons that depend on it.
    form.querySelector('input[name="vista"]')?.remove();
    const vista = nextForm.querySelector('input[name="vista"]');
    if (vista) form.prepend(document.importNode(vista, true));
    // Only «Publicar» comes and goes; the preview button keeps its place and label under the
    // NOC's pointer or focus.
    const publish = form.querySelector('button[value="publicar"]');
    const nextPublish = nextForm.querySelector('button[value="publicar"]');
    if (nextPublish && !publish)
      form.querySelector('[data-preview-buttons]')?.append(' ', document.importNode(nextPublish, true));
    if (!nextPublish && publish && document.activeElement !== publish) publish.remove();
  };

  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 600);
  };
  form.addEventListener('input', schedule);
  form.addEventListener('change', schedule);
}
