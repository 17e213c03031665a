// Passkey buttons of the console (sign-in, second factor, adding one), through
// @simplewebauthn/browser. Each is a `[data-passkey]` block, hidden until this script finds
// WebAuthn in the browser; without JavaScript the password and code forms still work.
import {
  browserSupportsWebAuthn,
  startAuthentication,
  startRegistration,
  WebAuthnError,
} from '@simplewebauthn/browser';

async function post(url: string, fields: Record<string, string>): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
    credentials: 'same-origin',
  });
  let body: any = null;
  try {
    body = await res.json();
  } catch {
    body = { error: 'La respuesta del servidor no es válida; vuelva a cargar la página.' };
  }
  return { status: res.status, body };
}

function message(err: unknown): string {
  if (err instanceof WebAuthnError && err.name === 'NotAllowedError')
    return 'Se canceló o se agotó el tiempo. Intente de nuevo.';
  if (err instanceof Error && err.name === 'InvalidStateError') return 'Esta llave ya está registrada en su cuenta.';
  return 'La llave de acceso no respondió. Intente de nuevo.';
}

for (const block of document.querySelectorAll<HTMLElement>('[data-passkey]')) {
  if (!browserSupportsWebAuthn()) continue;
  block.hidden = false;
  const kind = block.dataset.passkey!;
  const url = block.dataset.url!;
  const csrf = block.dataset.csrf!;
  const error = block.querySelector<HTMLElement>('[data-passkey-error]')!;
  const button = block.querySelector<HTMLButtonElement>('button')!;
  button.addEventListener('click', async () => {
    error.textContent = '';
    button.disabled = true;
    try {
      const extra: Record<string, string> = {};
      if (kind === 'register') {
        const name = block.querySelector<HTMLInputElement>('input[name="nombre"]')!;
        if (!name.value.trim()) {
          error.textContent = 'Póngale un nombre a la llave (p. ej. «Teléfono» o «Llave USB»).';
          name.focus();
          return;
        }
        extra.nombre = name.value.trim();
      }
      const first = await post(url, { csrf, accion: 'opciones' });
      if (first.status !== 200) {
        error.textContent = first.body.error;
        return;
      }
      const credential =
        kind === 'register'
          ? await startRegistration({ optionsJSON: first.body.options })
          : await startAuthentication({ optionsJSON: first.body.options });
      const second = await post(url, {
        csrf,
        accion: kind === 'register' ? 'registrar' : 'entrar',
        credencial: JSON.stringify(credential),
        volver: block.dataset.volver ?? '',
        ...extra,
      });
      if (second.status !== 200) {
        error.textContent = second.body.error;
        return;
      }
      window.location.assign(second.body.redirect);
    } catch (err) {
      error.textContent = message(err);
    } finally {
      button.disabled = false;
    }
  });
}
