// The owner page: the owner's vehicles with their last known state, "Lock my
// car" (everywhere, or a radius around the car's last position), the lock's
// armed count and catch as they happen, live notifications from the
// notification stream, and release. Every action is a REST call (docs/api.md).
import { Api } from './api.js';
import { el, errorBox, lockBadge, replace, table, time, wireSignIn } from './ui.js';
import { drawMap, loadMapSettings } from './map.js';

const api = new Api('chargelock.ownerToken');
const REFRESH_MS = 2000;
let timer = null;
let streamAbort = null;

const vehiclesBox = document.getElementById('vehicles');
const locksBox = document.getElementById('locks');
const notificationsList = document.getElementById('notifications');

// Where piles hold the car: everywhere, within a radius of its last
// position, or within a radius of a point (typed, or clicked on the map).
// The map shows the radius as it is being chosen.
function lockForm(vehicle) {
  const name = `scope-${vehicle.vin}`;
  const position = vehicle.lastState && vehicle.lastState.location;
  const id = (suffix) => `${name}-${suffix}`;
  const radius = el('input', { type: 'number', id: id('km'), min: '1', max: '1000', step: '1', value: '25', class: 'radius' });
  const everywhere = el('input', { type: 'radio', name, id: id('all'), value: 'all', checked: true });
  const around = el('input', { type: 'radio', name, id: id('radius'), value: 'radius', disabled: position ? undefined : true });
  const aroundPoint = el('input', { type: 'radio', name, id: id('point'), value: 'point' });
  const lat = el('input', { type: 'number', id: id('lat'), step: 'any', min: '-90', max: '90', class: 'narrow', value: position ? position.lat : undefined });
  const lon = el('input', { type: 'number', id: id('lon'), step: 'any', min: '-180', max: '180', class: 'narrow', value: position ? position.lon : undefined });
  const mapBox = el('div', { class: 'scope-map' });
  const status = el('p', { role: 'status', class: 'lock-result' });
  const centre = () => {
    if (around.checked && position) return { lat: position.lat, lon: position.lon };
    if (aroundPoint.checked && lat.value !== '' && lon.value !== '') return { lat: Number(lat.value), lon: Number(lon.value) };
    return null;
  };
  let drawn = null;  // the scope drawn: a change event after an input event redraws nothing
  const drawScope = () => {
    const c = centre();
    const key = JSON.stringify([c, radius.value]);
    if (key === drawn) return;
    drawn = key;
    const points = position ? [{ id: vehicle.vin, lat: position.lat, lon: position.lon, state: 'online' }] : [];
    replace(mapBox, drawMap(points, {
      title: `Scope of the lock of ${vehicle.vin}`,
      empty: 'No position of this car is known yet: type a point to see the radius here.',
      legend: 'the dot is the car\'s last known position, the dashed circle (centre +) where piles will hold it.',
      circle: c && Number(radius.value) > 0 ? { ...c, radiusKm: Number(radius.value) } : null,
      onPick: (pickedLat, pickedLon) => {
        aroundPoint.checked = true;
        lat.value = pickedLat;
        lon.value = pickedLon;
        drawScope();
      },
    }));
  };
  const radioLabel = (input, text) => el('span', { class: 'inline' }, input, ' ', el('label', { for: input.id, class: 'inline' }, text));
  const form = el('form', { class: 'lock-form', 'data-vin': vehicle.vin },
    el('fieldset', {},
      el('legend', {}, `Lock ${vehicle.vin}: where should piles hold it?`),
      radioLabel(everywhere, 'Everywhere'),
      radioLabel(around, position ? 'Within a radius of its last position' : 'Within a radius of its last position (not known yet)'),
      radioLabel(aroundPoint, 'Within a radius of a point (type it, or click the map)'),
      el('label', { for: id('km') }, 'Radius (km)'), radius,
      el('span', { class: 'inline' }, el('label', { for: id('lat') }, 'Point: latitude'), lat),
      el('span', { class: 'inline' }, el('label', { for: id('lon') }, 'longitude'), lon),
      mapBox),
    el('button', { type: 'submit', class: 'lock-button' }, 'Lock my car'), status);
  // Typing a point means "around this point".
  for (const field of [lat, lon]) field.addEventListener('input', () => { aroundPoint.checked = true; });
  form.addEventListener('input', drawScope);
  form.addEventListener('change', drawScope);
  drawScope();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = {};
    if (around.checked) body.scope = { radiusKm: Number(radius.value) };
    if (aroundPoint.checked) body.scope = { radiusKm: Number(radius.value), lat: Number(lat.value), lon: Number(lon.value) };
    try {
      const lock = await api.post(`vehicles/${encodeURIComponent(vehicle.vin)}/lock`, body);
      status.textContent = `Lock ${lock.lockId}: ${lock.status}.`;
      await refresh();
    } catch (error) {
      status.textContent = `Not locked: ${error.message}`;
    }
  });
  return form;
}

async function drawVehicles(activeVins) {
  const { vehicles } = await api.get('vehicles');
  const rows = vehicles.map((v) => {
    const state = v.lastState;
    const where = state && state.location ? `${state.location.lat.toFixed(4)}, ${state.location.lon.toFixed(4)}` : '—';
    return el('tr', { 'data-vin': v.vin },
      el('th', { scope: 'row' }, v.vin),
      el('td', {}, v.verified ? 'verified' : 'not verified yet (an operator must confirm it is yours)'),
      el('td', {}, state ? `${state.soc} %` : '—'),
      el('td', {}, where), el('td', {}, state ? time(state.timestamp) : '—'));
  });
  const forms = vehicles.filter((v) => v.verified && !activeVins.has(v.vin)).map(lockForm);
  const located = vehicles.filter((v) => v.lastState && v.lastState.location);
  return el('div', {},
    table('Your vehicles', ['VIN', 'Verified', 'State of charge', 'Last position', 'Reported'], rows),
    forms,
    located.length ? drawMap(located.map((v) => ({ id: v.vin, lat: v.lastState.location.lat, lon: v.lastState.location.lon, state: 'online' })), { title: 'Your vehicles\' last positions', legend: 'each dot is a vehicle.' }) : null);
}

async function drawLocks() {
  const { locks } = await api.get('locks');
  const active = locks.filter((l) => ['requested', 'armed', 'engaged'].includes(l.status));
  const rows = locks.slice(0, 20).map((l) => {
    const activeNow = ['requested', 'armed', 'engaged'].includes(l.status);
    const release = activeNow
      ? el('button', { type: 'button', class: 'release-button', 'data-lock': l.lockId, onclick: async (event) => {
        event.target.disabled = true;
        try {
          await api.post(`locks/${encodeURIComponent(l.lockId)}/release`);
        } catch (error) {
          locksBox.append(errorBox(error));
        }
        await refresh();
      } }, `Release ${l.vin}`)
      : '—';
    return el('tr', { 'data-lock': l.lockId, 'data-vin': l.vin },
      el('th', { scope: 'row' }, l.vin),
      el('td', { class: 'lock-status' }, lockBadge(l.status)),
      el('td', { class: 'armed-count' }, `${l.piles.armed} piles armed`),
      el('td', { class: 'held-at' }, l.chargePointId ? `held at pile ${l.chargePointId}` : '—'),
      el('td', {}, time(l.createdAt)), el('td', {}, release));
  });
  return { active, content: table('Your locks, newest first', ['Vehicle', 'Status', 'Armed', 'Caught', 'Since', ''], rows) };
}

async function refresh() {
  try {
    const { active, content } = await drawLocks();
    if (locksBox.firstChild?.outerHTML !== content.outerHTML) replace(locksBox, content);
    // The vehicle table keeps its forms while the person types: only redrawn
    // when the set of locked vehicles changes.
    const key = active.map((l) => l.vin).sort().join(',');
    if (vehiclesBox.dataset.locked !== key || !vehiclesBox.firstChild) {
      vehiclesBox.dataset.locked = key;
      replace(vehiclesBox, await drawVehicles(new Set(active.map((l) => l.vin))));
    }
  } catch (error) {
    if (error.status === 401 || error.status === 403) return signOut('This token is not an owner token that is accepted.');
    replace(locksBox, errorBox(error));
  }
}

function describe(n) {
  const body = n.body || {};
  if (body.message) return body.message;
  if (n.kind === 'low_battery') return `Battery of ${body.vin} at ${body.soc} %: you can lock it from here.`;
  if (n.kind === 'lock_state') return `Lock of ${body.vin || ''} is now ${body.status || body.to || ''}.`;
  return `${n.kind}${body.vin ? ` (${body.vin})` : ''}`;
}

function onNotification(event) {
  const n = event.data;
  notificationsList.prepend(el('li', { 'data-kind': n.kind }, time(n.createdAt), ` ${n.kind}: ${describe(n)}`,
    n.body && n.body.chargePointId ? ` (pile ${n.body.chargePointId})` : ''));
  refresh();
}

function startStream() {
  streamAbort = new AbortController();
  const state = document.getElementById('stream-state');
  api.stream('notifications/stream', onNotification, (s) => {
    state.textContent = s === 'open' ? 'Live updates: on' : 'Live updates: reconnecting…';
  }, streamAbort.signal);
}

function signOut(message) {
  api.token = null;
  clearInterval(timer);
  if (streamAbort) streamAbort.abort();
  document.getElementById('view').hidden = true;
  document.getElementById('nav').hidden = true;
  document.getElementById('signin').hidden = false;
  document.getElementById('signin-error').textContent = message || '';
  replace(vehiclesBox);
  replace(locksBox);
  replace(notificationsList);
  document.getElementById('signin-token').focus();
}

async function signedIn() {
  document.getElementById('signin').hidden = true;
  document.getElementById('nav').hidden = false;
  document.getElementById('view').hidden = false;
  await loadMapSettings();
  await refresh();
  startStream();
  clearInterval(timer);
  timer = setInterval(refresh, REFRESH_MS);
}

wireSignIn(api, {
  probe: () => api.get('vehicles'),
  wrongRole: 'This is not an owner token (operators use the console at /).',
  signedIn,
  signOut,
});
if (api.token) signedIn();
else signOut();
