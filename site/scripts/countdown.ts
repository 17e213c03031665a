// Enhancement for /autodiagnostico step 1: a 60-second countdown. Without JavaScript the box
// stays hidden and the text already says "60 segundos completos".
for (const box of document.querySelectorAll<HTMLElement>('[data-countdown]')) {
  const total = Number(box.dataset.countdown) || 60;
  const display = box.querySelector<HTMLElement>('[data-countdown-display]')!;
  const button = box.querySelector<HTMLButtonElement>('[data-countdown-start]')!;
  let timer: ReturnType<typeof setInterval> | undefined;
  box.hidden = false;
  button.addEventListener('click', () => {
    clearInterval(timer);
    const endsAt = Date.now() + total * 1000;
    button.textContent = 'Contar otra vez desde 60 s';
    const tick = () => {
      const left = Math.max(0, Math.ceil((endsAt - Date.now()) / 1000));
      display.textContent = left > 0 ? `${left} s` : 'Listo: vuelva a conectar sus equipos y espere de 3 a 5 minutos.';
      if (left === 0) clearInterval(timer);
    };
    tick();
    timer = setInterval(tick, 1000);
  });
}
