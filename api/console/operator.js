// The operator console: every figure and action is a REST call a script
// could make too (docs/api.md). Views by URL fragment: #/dashboard,
// #/chargepoints, #/chargepoints/ID, #/locks, #/locks/ID, #/map. Views that
// show live state poll their endpoints every few seconds.
import { Api, parseMetrics, sumMetric } from './api.js';
import {
  badge, el, errorBox, json, lockBadge, pileState, replace, table, time, wireSignIn,
} from './ui.js';
import { drawMap } from './map.js';

const api = new Api('chargelock.operatorToken');
const view = document.getElementById('view');
const REFRESH_MS = 3000;
let timer = null;
let generation = 0;  // a view drawn for an older navigation is dropped

// Central-system-initiated actions (OCPP 1.6 and the security extension),
// with a starting payload for the form.
const ACTIONS = {
  GetConfiguration: {},
  ChangeConfiguration: { key: 'HeartbeatInterval', value: '300' },
  ChangeAvailability: { connectorId: 0, type: 'Operative' },
  ClearCache: {},
  DataTransfer: { vendorId: 'org.chargelock', messageId: 'Ping', data: '' },
  GetDiagnostics: { location: 'ftp://example.org/diagnostics' },
  GetLocalListVersion: {},
  RemoteStartTransaction: { connectorId: 1, idTag: 'TAG-1' },
  RemoteStopTransaction: { transactionId: 1 },
  Reset: { type: 'Soft' },
  TriggerMessage: { requestedMessage: 'StatusNotification' },
  UnlockConnector: { connectorId: 1 },
  CancelReservation: { reservationId: 1 },
  ReserveNow: { connectorId: 1, expiryDate: new Date(Date.now() + 3600e3).toISOString(), idTag: 'TAG-1', reservationId: 1 },
  SendLocalList: { listVersion: 1, updateType: 'Full', localAuthorizationList: [] },
  ClearChargingProfile: {},
  GetCompositeSchedule: { connectorId: 1, duration: 3600 },
  SetChargingProfile: { connectorId: 1, csChargingProfiles: { chargingProfileId: 1, stackLevel: 0, chargingProfilePurpose: 'TxDefaultProfile', chargingProfileKind: 'Absolute', chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }] } } },
  UpdateFirmware: { location: 'https://example.org/firmware.bin', retrieveDate: new Date().toISOString() },
  ExtendedTriggerMessage: { requestedMessage: 'StatusNotification' },
  GetInstalledCertificateIds: { certificateType: 'CentralSystemRootCertificate' },
  GetLog: { logType: 'DiagnosticsLog', requestId: 1, log: { remoteLocation: 'https://example.org/logs' } },
};

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
    if (metricsText !== null) {
      const samples = parseMetrics(metricsText);
      const frames = sumMetric(samples, 'chargelock_ocpp_frames_total');
      callErrors = sumMetric(samples, 'chargelock_ocpp_callerrors_total', { direction: 'sent' });
      const now = Date.now();
      if (previous) rate = ((frames - previous.frames) / ((now - previous.at) / 1000)).toFixed(1);
      previous = { frames, at: now };
    }
    const tile = (label, value, id) => el('div', {}, el('dt', {}, label), el('dd', { id }, value));
    return el('dl', { class: 'tiles' },
      tile('Piles online', counts.online, 'dash-online'),
      tile('Piles offline', counts.offline, 'dash-offline'),
      tile('Piles faulted', counts.faulted, 'dash-faulted'),
      tile('Active transactions', active, 'dash-transactions'),
      tile('Active locks', activeLocks.length, 'dash-locks'),
      tile('Messages per second', rate, 'dash-rate'),
      tile('CALLERRORs sent', callErrors, 'dash-callerrors'));
  };
  await guarded(body, draw);
  every(() => guarded(body, draw));
}

async function chargePoints() {
  const filter = el('input', { id: 'cp-filter', type: 'search', placeholder: 'id, status, node…' });
  const body = el('div');
  replace(view, el('h2', {}, 'Charge points'),
    el('label', { for: 'cp-filter' }, 'Filter'), filter, body);
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

function commandForm(id) {
  const select = el('select', { id: 'command-action' },
    Object.keys(ACTIONS).map((a) => el('option', { value: a }, a)));
  const payload = el('textarea', { id: 'command-payload', spellcheck: 'false' });
  const status = el('p', { id: 'command-status', role: 'status' });
  const answer = el('div', { id: 'command-response' });
  const setTemplate = () => { payload.value = JSON.stringify(ACTIONS[select.value], null, 2); };
  select.addEventListener('change', setTemplate);
  setTemplate();
  const form = el('form', { class: 'card', id: 'command-form' },
    el('h3', {}, 'Send a command'),
    el('label', { for: 'command-action' }, 'Action'), select,
    el('label', { for: 'command-payload' }, 'Payload (JSON)'), payload,
    el('button', { type: 'submit', id: 'command-send' }, 'Send'), status, answer);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    let body;
    try {
      body = { action: select.value, payload: JSON.parse(payload.value || '{}') };
    } catch (error) {
      status.textContent = `The payload is not JSON: ${error.message}`;
      return;
    }
    try {
      let command = await api.post(`chargepoints/${encodeURIComponent(id)}/commands`, body);
      status.textContent = `Command ${command.commandId}: ${command.status}`;
      replace(answer);
      const started = Date.now();
      while (['queued', 'sent'].includes(command.status) && Date.now() - started < 120000) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        command = await api.get(`commands/${command.commandId}`);
        status.textContent = `Command ${command.commandId}: ${command.status}`;
      }
      const detail = command.errorCode ? ` (${command.errorCode}${command.errorDescription ? `: ${command.errorDescription}` : ''})` : '';
      status.textContent = `Command ${command.commandId}: ${command.status}${detail}`;
      if (command.response !== undefined && command.response !== null) {
        replace(answer, el('h4', {}, 'The pile answered'), json(command.response));
      }
    } catch (error) {
      status.textContent = `Not sent: ${error.message}`;
    }
  });
  return form;
}

async function chargePoint(id) {
  const info = el('div');
  const messages = el('div');
  replace(view, el('h2', {}, `Charge point ${id}`), info, commandForm(id),
    el('h3', {}, 'Message log'), messages);
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
  await Promise.all([guarded(info, drawInfo), guarded(messages, () => loadMessages(false))]);
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

function signedIn() {
  document.getElementById('signin').hidden = true;
  document.getElementById('nav').hidden = false;
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
