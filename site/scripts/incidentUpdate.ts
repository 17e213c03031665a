// Enhancement for the incident update form: the offer to return components to «Operativo»
// shows only while the chosen status is one it applies to. Without JavaScript it is always
// shown and says when it applies; the server applies it only then.
const offer = document.querySelector<HTMLFieldSetElement>('fieldset#restablecer[data-statuses]');
const status = document.querySelector<HTMLSelectElement>('select#status');

if (offer && status) {
  const applies = new Set((offer.dataset.statuses ?? '').split(' '));
  const sync = () => {
    offer.hidden = !applies.has(status.value);
  };
  status.addEventListener('change', sync);
  sync();
}
