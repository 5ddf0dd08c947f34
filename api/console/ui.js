// Small DOM helpers shared by the console and the owner page.

// el('a', {href: '#/x', class: 'y', onclick: f}, 'text', child...)
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'class') node.className = value;
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function replace(container, ...children) {
  container.replaceChildren(...children.flat().filter((c) => c !== undefined && c !== null));
}

export function time(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return el('time', { datetime: iso }, date.toLocaleString());
}

// A status as words and a symbol, coloured only as a bonus.
export function badge(kind, text) {
  const symbols = { ok: '●', off: '○', warn: '▲', info: '◆' };
  return el('span', { class: `badge badge-${kind}` }, el('span', { 'aria-hidden': 'true' }, symbols[kind] || ''), ` ${text}`);
}

export function pileState(cp) {
  const faulted = (cp.connectors || []).some((c) => c.status === 'Faulted');
  if (faulted) return { kind: 'warn', text: 'Faulted', key: 'faulted' };
  if (cp.online) return { kind: 'ok', text: 'Online', key: 'online' };
  return { kind: 'off', text: 'Offline', key: 'offline' };
}

export function lockBadge(status) {
  const kinds = { requested: 'info', armed: 'warn', engaged: 'warn', released: 'ok', cancelled: 'off', expired: 'off' };
  return badge(kinds[status] || 'info', status);
}

export function table(caption, headers, rows) {
  return el(
    'table',
    {},
    el('caption', {}, caption),
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows.length ? rows : el('tr', {}, el('td', { colspan: headers.length }, 'None.'))),
  );
}

export function errorBox(error) {
  return el('p', { class: 'error', role: 'alert' }, `Error: ${error.message || error}`);
}

export function json(value) {
  return el('pre', { class: 'json' }, JSON.stringify(value, null, 2));
}

// The sign-in form both pages share. The token is tried with `probe` (a read
// the page's role may do) before the page shows; a refused token or a wrong
// role is said in words. The token stays in the form and sessionStorage
// (api.js), never in a URL.
export function wireSignIn(api, { probe, wrongRole, signedIn, signOut }) {
  document.getElementById('signin').addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = document.getElementById('signin-token');
    api.token = input.value.trim();
    input.value = '';
    try {
      await probe();
      signedIn();
    } catch (error) {
      signOut(error.status === 403 ? wrongRole
        : error.status === 401 ? 'This token is not accepted.' : error.message);
    }
  });
  document.getElementById('signout').addEventListener('click', () => signOut('Signed out.'));
}
