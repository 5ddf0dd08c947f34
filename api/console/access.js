// Id tags (with the owner each card is assigned to), owners and tokens:
// /idtags, POST /owners, /tokens (docs/api.md). A new token's text is shown
// once, as the API gives it once; the lists never show it.
import { el, replace, table, time } from './ui.js';

function labelled(id, text, input) {
  return el('div', {}, el('label', { for: id }, text), input);
}

// A form whose submit runs action() and says its result (or the API's
// error) in a status line.
function actionForm(id, heading, nodes, button, action) {
  const result = el('div', { id: `${id}-result`, role: 'status' });
  const form = el('form', { class: 'card', id }, el('h3', {}, heading), nodes,
    el('button', { type: 'submit', id: `${id}-send` }, button), result);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      replace(result, await action());
      form.reset();
    } catch (error) {
      replace(result, el('p', { class: 'error' }, `Error: ${error.message}`));
    }
  });
  return form;
}

function secretOnce(what, token) {
  return el('div', { class: 'secret' },
    el('p', {}, `${what}. Its token is shown this once; copy it now:`),
    el('code', { id: 'new-token' }, token));
}

const ownerValue = (text) => (text.trim() === '' ? null : Number(text));

export async function idTagsView({ api, view, guarded }) {
  const body = el('div');
  const tag = el('input', { id: 'idtag-new-id', required: true, maxlength: '20' });
  const status = el('select', { id: 'idtag-new-status' }, ['Accepted', 'Blocked', 'Expired', 'Invalid'].map((s) => el('option', {}, s)));
  const owner = el('input', { id: 'idtag-new-owner', type: 'number', min: '1', step: '1' });
  const expiry = el('input', { id: 'idtag-new-expiry', type: 'text', placeholder: '2027-01-01T00:00:00Z' });
  const refresh = () => guarded(body, draw);
  const create = actionForm('idtag-form', 'Add an id tag',
    [labelled('idtag-new-id', 'Id tag', tag), labelled('idtag-new-status', 'Status', status),
      labelled('idtag-new-owner', 'Owner id (optional)', owner), labelled('idtag-new-expiry', 'Expiry date (optional, RFC 3339)', expiry)],
    'Add', async () => {
      const created = await api.post('idtags', {
        idTag: tag.value.trim(), status: status.value,
        ...(owner.value ? { ownerId: Number(owner.value) } : {}),
        ...(expiry.value.trim() ? { expiryDate: expiry.value.trim() } : {}),
      });
      refresh();
      return `Added ${created.idTag}.`;
    });
  replace(view, el('h2', {}, 'Id tags'), body, create);

  const draw = async () => {
    const { idTags } = await api.get('idtags');
    return table('Id tags and their owners', ['Id tag', 'Status', 'Expires', 'Parent', 'Owner id', ''],
      idTags.map((t) => {
        const key = encodeURIComponent(t.idTag);
        const input = el('input', { id: `owner-of-${t.idTag}`, type: 'number', min: '1', step: '1', class: 'narrow', value: t.ownerId ?? undefined });
        const message = el('span', { role: 'status' });
        const save = el('button', { type: 'button', class: 'secondary', onclick: async () => {
          try {
            await api.put(`idtags/${key}`, { ownerId: ownerValue(input.value) });
            message.textContent = ' Saved.';
          } catch (error) {
            message.textContent = ` Error: ${error.message}`;
          }
        } }, 'Assign');
        const remove = el('button', { type: 'button', class: 'secondary', onclick: async () => {
          try {
            await api.delete(`idtags/${key}`);
            refresh();
          } catch (error) {
            message.textContent = ` Error: ${error.message}`;
          }
        } }, `Delete ${t.idTag}`);
        return el('tr', { 'data-idtag': t.idTag },
          el('th', { scope: 'row' }, t.idTag), el('td', {}, t.status), el('td', {}, time(t.expiryDate)),
          el('td', {}, t.parentIdTag || '—'),
          el('td', {}, el('label', { for: `owner-of-${t.idTag}`, class: 'visually-hidden' }, `Owner of ${t.idTag} (empty: none)`), input, ' ', save, message),
          el('td', {}, remove));
      }));
  };
  // Redrawn on demand only: a periodic redraw would wipe an owner id being typed.
  await guarded(body, draw);
}

export async function accessView({ api, view, guarded }) {
  const body = el('div');
  const refresh = () => guarded(body, draw);
  const ownerName = el('input', { id: 'owner-name', required: true });
  const ownerForm = actionForm('owner-form', 'Add an owner', [labelled('owner-name', 'Name', ownerName)], 'Add owner', async () => {
    const created = await api.post('owners', { name: ownerName.value.trim() });
    refresh();
    return secretOnce(`Owner ${created.name} has id ${created.ownerId}`, created.token);
  });
  const tokenName = el('input', { id: 'token-name', required: true });
  const role = el('select', { id: 'token-role' }, el('option', {}, 'operator'), el('option', {}, 'telematics'));
  const vins = el('input', { id: 'token-vins', placeholder: 'VIN, VIN…' });
  const tokenForm = actionForm('token-form', 'Issue a token',
    [labelled('token-name', 'Name', tokenName), labelled('token-role', 'Role', role),
      labelled('token-vins', 'VINs a telematics token may report (optional, commas)', vins)],
    'Issue token', async () => {
      const list = vins.value.split(',').map((v) => v.trim()).filter(Boolean);
      const created = await api.post('tokens', { role: role.value, name: tokenName.value.trim(), ...(list.length ? { vins: list } : {}) });
      refresh();
      return secretOnce(`${created.role === 'operator' ? 'An' : 'A'} ${created.role} token with id ${created.id} was issued`, created.token);
    });
  replace(view, el('h2', {}, 'Owners and tokens'), el('div', { class: 'columns' }, ownerForm, tokenForm), body);

  const draw = async () => {
    const { tokens } = await api.get('tokens');
    return table('Tokens (owners have one each)', ['Id', 'Role', 'Name', 'Owner id', 'Created', 'Revoked', ''],
      tokens.map((t) => el('tr', { 'data-token': t.id },
        el('td', {}, t.id), el('td', {}, t.role), el('td', {}, t.name), el('td', {}, t.ownerId ?? '—'),
        el('td', {}, time(t.createdAt)), el('td', {}, t.revokedAt ? time(t.revokedAt) : 'no'),
        el('td', {}, t.revokedAt ? '—' : el('button', { type: 'button', class: 'secondary', onclick: (event) => {
          // Two presses: a revoked token (perhaps this very one) cannot come back.
          if (event.target.dataset.armed !== 'yes') {
            event.target.dataset.armed = 'yes';
            event.target.textContent = `Press again to revoke ${t.name} for good`;
            return;
          }
          guarded(body, async () => {
            await api.delete(`tokens/${t.id}`);
            return draw();
          });
        } }, `Revoke ${t.name}`)))));
  };
  // Redrawn on demand only: a periodic redraw would undo a first press of Revoke.
  await guarded(body, draw);
}
