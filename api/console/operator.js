// The operator console: every figure and action is a REST call a script
// could make too (docs/api.md). Views by URL fragment: #/dashboard,
// #/chargepoints, #/chargepoints/ID, #/transactions, #/transactions/ID,
// #/idtags, #/access (owners and tokens), #/locks, #/locks/ID, #/map. Views
// that show live state poll their endpoints every few seconds.
import { Api, histogramByLabel, parseMetrics, sumMetric } from './api.js';
import {
  badge, el, errorBox, lockBadge, pileState, replace, table, time, wireSignIn,
} from './ui.js';
import { drawMap, loadMapSettings } from './map.js';
import { commandForm } from './command_form.js';
import { editForm, registerForm } from './chargepoint_forms.js';
import { transactionView, transactionsView } from './transactions.js';
import { accessView, idTagsView } from './access.js';

const api = new Api('chargelock.operatorToken');
const view = document.getElementById('view');
const REFRESH_MS = 3000;
let timer = null;
let generation = 0;  // a view drawn for an older navigation is dropped

function every(refresh) {
  clearInterval(timer);
  timer = setInterval(refresh, REFRESH_MS);
}

async function guarded(target, draw) {
  const mine = generation;
  try {
    const content = await draw();
    // Unchanged: keep the old nodes, so focus and typing survive a refresh.
    if (mine === generation && content && target.firstChild?.outerHTML !== content.outerHTML) {
      replace(target, content);
    }
  } catch (error) {
    if (error.status === 401) return signOut('Your token is no longer accepted; sign in again.');
    if (mine === generation) replace(target, errorBox(error));
  }
}

// ---------------------------------------------------------------- views

async function dashboard() {
  const body = el('div');
  replace(view, el('h2', {}, 'Dashboard'), body);
  let previous = null;
  const draw = async () => {
    const [cps, locks, transactions, metricsText] = await Promise.all([
      api.get('chargepoints'),
      api.get('locks?limit=1000'),
      api.get('transactions?limit=1000'),
      api.get('/metrics').catch(() => null),
    ]);
    const counts = { online: 0, offline: 0, faulted: 0 };
    for (const cp of cps.chargePoints) counts[pileState(cp).key] += 1;
    const activeLocks = locks.locks.filter((l) => ['requested', 'armed', 'engaged'].includes(l.status));
    const active = transactions.transactions.filter((t) => t.active).length;
    let rate = '—';
    let callErrors = '—';
    let latency = [];
    if (metricsText !== null) {
      const samples = parseMetrics(metricsText);
      latency = histogramByLabel(samples, 'chargelock_ocpp_handler_seconds', 'action');
      const frames = sumMetric(samples, 'chargelock_ocpp_frames_total');
      callErrors = sumMetric(samples, 'chargelock_ocpp_callerrors_total', { direction: 'sent' });
      const now = Date.now();
      if (previous) rate = ((frames - previous.frames) / ((now - previous.at) / 1000)).toFixed(1);
      previous = { frames, at: now };
    }
    const tile = (label, value, id) => el('div', {}, el('dt', {}, label), el('dd', { id }, value));
    const ms = (seconds) => (Number.isFinite(seconds) ? `${(seconds * 1000).toFixed(seconds < 0.01 ? 2 : 1)} ms` : '> 10 s');
    const latencyTable = el('div', { id: 'dash-latency' }, table(
      'Handler latency by OCPP action (this process, since it started)', ['Action', 'Calls', 'Mean', '95 % under'],
      latency.map((r) => el('tr', { 'data-action': r.key }, el('th', { scope: 'row' }, r.key), el('td', {}, r.count),
        el('td', {}, ms(r.mean)), el('td', {}, ms(r.p95))))));
    return el('div', {}, el('dl', { class: 'tiles' },
      tile('Piles online', counts.online, 'dash-online'),
      tile('Piles offline', counts.offline, 'dash-offline'),
      tile('Piles faulted', counts.faulted, 'dash-faulted'),
      tile('Active transactions', active, 'dash-transactions'),
      tile('Active locks', activeLocks.length, 'dash-locks'),
      tile('Messages per second', rate, 'dash-rate'),
      tile('CALLERRORs sent', callErrors, 'dash-callerrors')), latencyTable);
  };
  await guarded(body, draw);
  every(() => guarded(body, draw));
}

async function chargePoints() {
  const filter = el('input', { id: 'cp-filter', type: 'search', placeholder: 'id, status, node…' });
  const body = el('div');
  replace(view, el('h2', {}, 'Charge points'),
    el('label', { for: 'cp-filter' }, 'Filter'), filter, body,
    registerForm(api, () => refresh()));
  let all = [];
  const render = () => {
    const needle = filter.value.trim().toLowerCase();
    const rows = all
      .filter((cp) => !needle || [cp.id, pileState(cp).text, cp.connectedNode || '']
        .concat((cp.connectors || []).map((c) => c.status)).join(' ').toLowerCase().includes(needle))
      .map((cp) => {
        const state = pileState(cp);
        return el('tr', { 'data-cp': cp.id },
          el('td', {}, el('a', { href: `#/chargepoints/${encodeURIComponent(cp.id)}` }, cp.id)),
          el('td', { class: 'cp-status' }, badge(state.kind, state.text)),
          el('td', {}, (cp.connectors || []).filter((c) => c.connectorId > 0)
            .map((c) => `${c.connectorId}: ${c.status}`).join(', ') || '—'),
          el('td', {}, time(cp.lastSeen)),
          el('td', {}, cp.connectedNode || '—'));
      });
    const content = table(`${rows.length} of ${all.length} charge points`,
      ['Id', 'Status', 'Connectors', 'Last seen', 'Node'], rows);
    if (body.firstChild?.outerHTML !== content.outerHTML) replace(body, content);
  };
  filter.addEventListener('input', render);
  const refresh = () => guarded(body, async () => {
    all = (await api.get('chargepoints')).chargePoints;
    render();
    return null;
  });
  await refresh();
  every(refresh);
}

async function chargePoint(id) {
  const info = el('div');
  const edit = el('div');
  const messages = el('div');
  replace(view, el('h2', {}, `Charge point ${id}`), info, commandForm(api, id), edit,
    el('h3', {}, 'Message log'), messages);
  const drawEdit = async () => editForm(api, await api.get(`chargepoints/${encodeURIComponent(id)}`),
    () => guarded(info, drawInfo), () => { location.hash = '#/chargepoints'; });
  const drawInfo = async () => {
    const cp = await api.get(`chargepoints/${encodeURIComponent(id)}`);
    const state = pileState(cp);
    const boot = cp.bootInfo || {};
    return el('div', {},
      el('p', { id: 'cp-state' }, badge(state.kind, state.text), ` · last seen `, time(cp.lastSeen),
        ` · node ${cp.connectedNode || '—'} · security profile ${cp.securityProfile} · ${cp.registrationStatus}`),
      el('p', {}, `Vendor ${boot.chargePointVendor || '—'}, model ${boot.chargePointModel || '—'}, firmware ${cp.firmwareVersion || '—'}`,
        cp.location ? ` · at ${cp.location.lat}, ${cp.location.lon}` : ''),
      table('Connectors', ['Connector', 'Status', 'Error', 'Since'],
        (cp.connectors || []).map((c) => el('tr', {},
          el('td', {}, c.connectorId), el('td', {}, c.status), el('td', {}, c.errorCode), el('td', {}, time(c.timestamp))))));
  };
  let before = null;
  const rows = [];
  const loadMessages = async (older) => {
    const page = await api.get(`chargepoints/${encodeURIComponent(id)}/messages?limit=50${older && before ? `&before=${before}` : ''}`);
    if (!older) rows.length = 0;
    for (const m of page.messages) {
      rows.push(el('tr', {}, el('td', {}, time(m.receivedAt)), el('td', {}, m.direction === 'in' ? 'pile → us' : 'us → pile'),
        el('td', { class: 'frame' }, m.frame)));
    }
    before = page.nextBefore;
    const more = el('button', { type: 'button', class: 'secondary', disabled: before ? undefined : true,
      onclick: () => guarded(messages, () => loadMessages(true)) }, 'Older messages');
    const refresh = el('button', { type: 'button', class: 'secondary', onclick: () => guarded(messages, () => loadMessages(false)) }, 'Newest');
    return el('div', {}, table('Frames, newest first', ['Time', 'Direction', 'Frame'], rows.slice()), refresh, ' ', more);
  };
  await Promise.all([guarded(info, drawInfo), guarded(edit, drawEdit), guarded(messages, () => loadMessages(false))]);
  every(() => guarded(info, drawInfo));
}

async function locks() {
  const body = el('div');
  replace(view, el('h2', {}, 'Locks'), body);
  const draw = async () => {
    const list = await api.get('locks?limit=200');
    return table('Locks, newest first', ['Lock', 'Vehicle', 'Status', 'Piles armed / pending / unsupported', 'Held at', 'Case'],
      list.locks.map((l) => el('tr', { 'data-lock': l.lockId },
        el('td', {}, el('a', { href: `#/locks/${encodeURIComponent(l.lockId)}` }, l.lockId)),
        el('td', {}, l.vin), el('td', {}, lockBadge(l.status)),
        el('td', {}, `${l.piles.armed} / ${l.piles.pending} / ${l.piles.unsupported}`),
        el('td', {}, l.chargePointId || '—'), el('td', {}, l.caseReference || '—'))));
  };
  await guarded(body, draw);
  every(() => guarded(body, draw));
}

async function lock(id) {
  const body = el('div');
  replace(view, el('h2', {}, `Lock ${id}`), body);
  const draw = async () => {
    const [l, piles, cps] = await Promise.all([
      api.get(`locks/${encodeURIComponent(id)}`),
      api.get(`locks/${encodeURIComponent(id)}/piles?limit=1000`),
      api.get('chargepoints'),
    ]);
    const caughtAt = new Set((l.sightings || []).map((s) => s.chargePointId));
    const points = cps.chargePoints.filter((cp) => cp.location).map((cp) => ({
      id: cp.id, lat: cp.location.lat, lon: cp.location.lon,
      state: caughtAt.has(cp.id) ? 'caught' : pileState(cp).key, href: `#/chargepoints/${encodeURIComponent(cp.id)}`,
    }));
    const scope = l.scope && l.scope.radiusKm && l.scope.center
      ? { lat: l.scope.center.lat, lon: l.scope.center.lon, radiusKm: l.scope.radiusKm } : null;
    return el('div', {},
      el('p', {}, 'Vehicle ', el('strong', {}, l.vin), ' · ', lockBadge(l.status),
        l.chargePointId ? ` · held at ${l.chargePointId}${l.connectorId ? ` connector ${l.connectorId}` : ''}` : '',
        ` · expires `, time(l.expiresAt), l.caseReference ? ` · case ${l.caseReference}` : ''),
      el('p', {}, `Piles: ${l.piles.armed} armed, ${l.piles.pending} pending, ${l.piles.unsupported} unsupported, ${l.piles.disarmed} disarmed.`),
      table('Per pile', ['Pile', 'State', 'Detail', 'Command', 'Updated'],
        piles.piles.map((p) => el('tr', {}, el('td', {}, p.chargePointId), el('td', {}, p.status),
          el('td', {}, p.detail || '—'), el('td', {}, p.commandStatus || '—'), el('td', {}, time(p.updatedAt))))),
      table('Sightings (where it was caught)', ['Time', 'Pile', 'Connector', 'Source', 'Held'],
        (l.sightings || []).map((s) => el('tr', {}, el('td', {}, time(s.at)), el('td', {}, s.chargePointId),
          el('td', {}, s.connectorId ?? '—'), el('td', {}, s.source), el('td', {}, s.held ? 'yes' : 'no')))),
      table('Audit trail', ['Time', 'From', 'To', 'Cause'],
        (l.transitions || []).map((t) => el('tr', {}, el('td', {}, time(t.at)), el('td', {}, t.from || '—'),
          el('td', {}, t.to), el('td', {}, t.cause || '')))),
      drawMap(points, { circle: scope, title: `Lock ${id}: piles, scope and catch` }),
      el('button', { type: 'button', class: 'secondary', onclick: () => downloadReport(id) }, 'Download the evidence report'));
  };
  await guarded(body, draw);
  every(() => guarded(body, draw));
}

// The report needs the token, so it is fetched and handed over as a file
// rather than linked (a link would carry no Authorization header).
async function downloadReport(id) {
  const html = await api.get(`locks/${encodeURIComponent(id)}/report?format=html`);
  const url = URL.createObjectURL(new Blob([html], { type: 'text/html' }));
  const link = el('a', { href: url, download: `lock-${id}-evidence.html` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

async function map() {
  const body = el('div');
  replace(view, el('h2', {}, 'Map'), body);
  const draw = async () => {
    const cps = (await api.get('chargepoints')).chargePoints;
    return drawMap(cps.filter((cp) => cp.location).map((cp) => ({
      id: cp.id, lat: cp.location.lat, lon: cp.location.lon, state: pileState(cp).key,
      href: `#/chargepoints/${encodeURIComponent(cp.id)}`,
    })), { title: 'Piles with a location' });
  };
  await guarded(body, draw);
  every(() => guarded(body, draw));
}

// ---------------------------------------------------------------- shell

function route() {
  generation += 1;
  clearInterval(timer);
  const [, section, id] = (location.hash || '#/dashboard').split('/');
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.getAttribute('href') === `#/${section}`) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const target = id ? decodeURIComponent(id) : null;
  if (section === 'chargepoints') return target ? chargePoint(target) : chargePoints();
  if (section === 'locks') return target ? lock(target) : locks();
  const context = { api, view, guarded, every };
  if (section === 'transactions') return target ? transactionView(context, target) : transactionsView(context);
  if (section === 'idtags') return idTagsView(context);
  if (section === 'access') return accessView(context);
  if (section === 'map') return map();
  return dashboard();
}

function signOut(message) {
  api.token = null;
  clearInterval(timer);
  replace(view);
  document.getElementById('nav').hidden = true;
  document.getElementById('signin').hidden = false;
  document.getElementById('signin-error').textContent = message || '';
  document.getElementById('signin-token').focus();
}

async function signedIn() {
  document.getElementById('signin').hidden = true;
  document.getElementById('nav').hidden = false;
  await loadMapSettings();
  route();
}

wireSignIn(api, {
  probe: () => api.get('chargepoints?limit=1'),
  wrongRole: 'This is not an operator token (owners use the owner page).',
  signedIn,
  signOut,
});
window.addEventListener('hashchange', () => { if (api.token) route(); });
if (api.token) signedIn();
else signOut();
