// Registering, editing and removing a charge point: POST, PUT and DELETE
// /chargepoints (docs/api.md). The API's refusals (a short password, a taken
// id, a latitude out of range) are shown under the form as it words them.
import { el } from './ui.js';

const PROFILES = [['1', '1: password (HTTP Basic)'], ['2', '2: password over TLS'], ['3', '3: TLS client certificate']];
const STATUSES = ['Accepted', 'Pending', 'Rejected'];

function labelled(id, text, input, hint) {
  return el('div', {}, el('label', { for: id }, text), input,
    hint ? el('small', { id: `${id}-hint` }, ` ${hint}`) : null);
}

// The fields both forms share; values from `cp` when editing.
function fields(prefix, cp = {}) {
  const profile = el('select', { id: `${prefix}-profile` },
    PROFILES.map(([v, text]) => el('option', { value: v, selected: String(cp.securityProfile || 1) === v }, text)));
  const status = el('select', { id: `${prefix}-status` },
    STATUSES.map((s) => el('option', { value: s, selected: (cp.registrationStatus || 'Accepted') === s }, s)));
  const password = el('input', { id: `${prefix}-password`, type: 'password', autocomplete: 'new-password', 'aria-describedby': `${prefix}-password-hint` });
  const lat = el('input', { id: `${prefix}-lat`, type: 'number', step: 'any', value: cp.location ? cp.location.lat : undefined });
  const lon = el('input', { id: `${prefix}-lon`, type: 'number', step: 'any', value: cp.location ? cp.location.lon : undefined });
  const nodes = [
    labelled(`${prefix}-password`, 'Password', password,
      cp.id ? `At least 16 characters; leave empty to keep the current one${cp.hasPassword ? '' : ' (none set)'}.` : 'At least 16 characters.'),
    labelled(`${prefix}-profile`, 'Security profile', profile),
    labelled(`${prefix}-status`, 'Registration status', status),
    el('fieldset', {}, el('legend', {}, 'Location (both or neither)'),
      labelled(`${prefix}-lat`, 'Latitude', lat), labelled(`${prefix}-lon`, 'Longitude', lon)),
  ];
  const read = () => {
    const body = { securityProfile: Number(profile.value), registrationStatus: status.value };
    if (password.value) body.password = password.value;
    if (lat.value !== '' || lon.value !== '') body.location = { lat: Number(lat.value), lon: Number(lon.value) };
    else if (cp.id && cp.location) body.location = null;
    return body;
  };
  return { nodes, read };
}

function submitting(form, result, action) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    result.textContent = '';
    result.className = '';
    try {
      result.textContent = await action();
    } catch (error) {
      result.className = 'error';
      result.textContent = `Error: ${error.message}`;
    }
  });
}

// onDone(id) after the pile is registered.
export function registerForm(api, onDone) {
  const id = el('input', { id: 'register-id', required: true, maxlength: '48', autocomplete: 'off' });
  const part = fields('register');
  const result = el('p', { id: 'register-result', role: 'status' });
  const form = el('form', { class: 'card', id: 'register-form' },
    el('h3', {}, 'Register a charge point'), labelled('register-id', 'Id', id), part.nodes,
    el('button', { type: 'submit', id: 'register-send' }, 'Register'), result);
  submitting(form, result, async () => {
    const cp = await api.post('chargepoints', { id: id.value.trim(), ...part.read() });
    form.reset();
    onDone(cp.id);
    return `Registered ${cp.id}.`;
  });
  return form;
}

// Edit and remove, on the pile's page. onRemoved() after the DELETE.
export function editForm(api, cp, onSaved, onRemoved) {
  const part = fields('edit', cp);
  const result = el('p', { id: 'edit-result', role: 'status' });
  const path = `chargepoints/${encodeURIComponent(cp.id)}`;
  // Removal takes two presses: the first asks, the second removes.
  const remove = el('button', { type: 'button', id: 'edit-remove', class: 'danger' }, 'Remove this charge point');
  remove.addEventListener('click', async () => {
    if (remove.dataset.armed !== 'yes') {
      remove.dataset.armed = 'yes';
      remove.textContent = `Press again to remove ${cp.id} with its connectors, transactions and commands`;
      return;
    }
    try {
      await api.delete(path);
      onRemoved();
    } catch (error) {
      result.className = 'error';
      result.textContent = `Error: ${error.message}`;
    }
  });
  const form = el('form', { class: 'card', id: 'edit-form' },
    el('h3', {}, 'Edit'), part.nodes,
    el('button', { type: 'submit', id: 'edit-send' }, 'Save'), ' ', remove, result);
  submitting(form, result, async () => {
    await api.put(path, part.read());
    onSaved();
    return 'Saved.';
  });
  return form;
}
