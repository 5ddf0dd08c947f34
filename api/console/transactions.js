// Transactions: the list (GET /transactions, newest first, paged with
// `before`, filtered by pile) and one transaction's page with its meter
// values as a chart (chart.js) and a table.
import { el, replace, table, time } from './ui.js';
import { DEFAULT_MEASURAND, lineChart, measurandOf } from './chart.js';

const PAGE = 50;

function row(t) {
  return el('tr', { 'data-transaction': t.id },
    el('td', {}, el('a', { href: `#/transactions/${t.id}` }, `#${t.id}`)),
    el('td', {}, el('a', { href: `#/chargepoints/${encodeURIComponent(t.chargePointId)}` }, t.chargePointId), ` / ${t.connectorId}`),
    el('td', {}, t.idTag),
    el('td', {}, time(t.startTimestamp)),
    el('td', {}, t.active ? 'charging now' : time(t.stopTimestamp)),
    el('td', {}, t.energyWh === null ? '—' : `${t.energyWh} Wh`));
}

export async function transactionsView({ api, view, guarded, every }) {
  const filter = el('input', { id: 'tx-filter', type: 'search', placeholder: 'charge point id' });
  const body = el('div');
  replace(view, el('h2', {}, 'Transactions'),
    el('form', { id: 'tx-filter-form', role: 'search' },
      el('label', { for: 'tx-filter' }, 'Charge point'), filter, ' ',
      el('button', { type: 'submit', class: 'secondary' }, 'Show')),
    body);
  // Pages already shown stay; "Older" appends the next one.
  let pages = [];
  const draw = async () => {
    const pile = filter.value.trim();
    const query = (before) => `transactions?limit=${PAGE}${pile ? `&chargePointId=${encodeURIComponent(pile)}` : ''}${before ? `&before=${before}` : ''}`;
    const first = await api.get(query(null));
    pages = [first, ...pages.slice(1)];
    const rows = pages.flatMap((p) => p.transactions.map(row));
    const next = pages[pages.length - 1].nextBefore;
    const older = el('button', { type: 'button', class: 'secondary', id: 'tx-older', disabled: next ? undefined : true,
      onclick: async () => {
        pages.push(await api.get(query(next)));
        guarded(body, draw);
      } }, 'Older transactions');
    return el('div', {}, table('Transactions, newest first', ['Transaction', 'Pile / connector', 'Id tag', 'Started', 'Stopped', 'Energy'], rows), older);
  };
  view.querySelector('#tx-filter-form').addEventListener('submit', (event) => {
    event.preventDefault();
    pages = [];
    guarded(body, draw);
  });
  await guarded(body, draw);
  every(() => guarded(body, draw));
}

export async function transactionView({ api, view, guarded, every }, id) {
  const body = el('div');
  replace(view, el('h2', {}, `Transaction #${id}`), body);
  let chosen = null;  // the measurand the reader picked
  const draw = async () => {
    const t = await api.get(`transactions/${encodeURIComponent(id)}`);
    const values = t.meterValues || [];
    const measurands = [...new Set(values.map(measurandOf))].sort();
    const shown = chosen && measurands.includes(chosen) ? chosen
      : measurands.includes(DEFAULT_MEASURAND) ? DEFAULT_MEASURAND : measurands[0];
    const series = values.filter((v) => measurandOf(v) === shown && Number.isFinite(Number(v.value)))
      .map((v) => ({ at: new Date(v.timestamp), value: Number(v.value), unit: v.unit }))
      .sort((a, b) => a.at - b.at);
    const unit = (series[0] && series[0].unit) || (shown === DEFAULT_MEASURAND ? 'Wh' : '');
    const picker = measurands.length > 1 ? el('div', {},
      el('label', { for: 'tx-measurand' }, 'Measurand'),
      el('select', { id: 'tx-measurand', onchange: (event) => { chosen = event.target.value; guarded(body, draw); } },
        measurands.map((m) => el('option', { value: m, selected: m === shown }, m)))) : null;
    return el('div', {},
      el('p', {}, 'Pile ', el('a', { href: `#/chargepoints/${encodeURIComponent(t.chargePointId)}` }, t.chargePointId),
        ` connector ${t.connectorId} · id tag ${t.idTag} · meter start ${t.meterStart} Wh`,
        t.meterStop !== undefined && t.meterStop !== null ? ` · meter stop ${t.meterStop} Wh (${t.energyWh} Wh)` : ' · charging now'),
      el('p', {}, 'Started ', time(t.startTimestamp), t.stopTimestamp ? [' · stopped ', time(t.stopTimestamp), ` (${t.stopReason || 'no reason given'})`] : ''),
      picker,
      el('div', { id: 'tx-chart' }, lineChart(series, { title: shown || 'Meter values', unit })),
      table('Meter values', ['Time', 'Connector', 'Measurand', 'Phase', 'Value', 'Unit', 'Context'],
        values.map((v) => el('tr', {}, el('td', {}, time(v.timestamp)), el('td', {}, v.connectorId), el('td', {}, measurandOf(v)),
          el('td', {}, v.phase || '—'), el('td', {}, v.value), el('td', {}, v.unit || '—'), el('td', {}, v.context || '—')))));
  };
  await guarded(body, draw);
  every(() => guarded(body, draw));
}
