// The pile page's command form: the action's fields are built from its OCPP
// request schema (schema_form.js); "Advanced" sends raw JSON instead. After
// POST /chargepoints/{id}/commands the command is polled until it ends, its
// status and the pile's answer shown as they come.
import { el, json, replace } from './ui.js';
import { schemaForm } from './schema_form.js';

// Central-system-initiated actions (OCPP 1.6 and the security extension).
const ACTIONS = [
  'GetConfiguration', 'ChangeConfiguration', 'ChangeAvailability', 'ClearCache', 'DataTransfer',
  'GetDiagnostics', 'GetLocalListVersion', 'RemoteStartTransaction', 'RemoteStopTransaction', 'Reset',
  'TriggerMessage', 'UnlockConnector', 'CancelReservation', 'ReserveNow', 'SendLocalList',
  'ClearChargingProfile', 'GetCompositeSchedule', 'SetChargingProfile', 'UpdateFirmware',
  'ExtendedTriggerMessage', 'GetInstalledCertificateIds', 'GetLog', 'SignedUpdateFirmware',
  'InstallCertificate', 'DeleteCertificate', 'CertificateSigned',
];

const schemas = new Map();
async function schemaOf(action) {
  if (!schemas.has(action)) {
    const response = await fetch(`/console/schema-${action}.json`);
    if (!response.ok) throw new Error(`no schema for ${action}`);
    schemas.set(action, await response.json());
  }
  return schemas.get(action);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function commandForm(api, id) {
  const select = el('select', { id: 'command-action' }, ACTIONS.map((a) => el('option', { value: a }, a)));
  const fields = el('div', { id: 'command-fields' });
  const raw = el('textarea', { id: 'command-payload', spellcheck: 'false' });
  const advanced = el('details', { id: 'command-advanced' },
    el('summary', {}, 'Advanced: send raw JSON instead of the form'),
    el('label', { for: 'command-payload' }, 'Payload (JSON)'), raw);
  const status = el('p', { id: 'command-status', role: 'status' });
  const answer = el('div', { id: 'command-response' });
  let current = null;  // {read} of the schema form shown

  const showAction = async () => {
    const action = select.value;
    try {
      current = schemaForm(await schemaOf(action), 'cmd');
      if (select.value === action) replace(fields, current.node);
    } catch (error) {
      current = null;
      replace(fields, el('p', { class: 'error' }, `${error.message}: use the raw JSON below.`));
      advanced.open = true;
    }
  };
  select.addEventListener('change', showAction);
  // Opening the raw editor starts from what the form holds.
  advanced.addEventListener('toggle', () => {
    if (!advanced.open || !current) return;
    try {
      raw.value = JSON.stringify(current.read(), null, 2);
    } catch { /* the form's JSON field is broken: keep the text */ }
  });
  showAction();

  const form = el('form', { class: 'card', id: 'command-form' },
    el('h3', {}, 'Send a command'),
    el('label', { for: 'command-action' }, 'Action'), select, fields, advanced,
    el('button', { type: 'submit', id: 'command-send' }, 'Send'), status, answer);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    let payload;
    try {
      payload = advanced.open || !current ? JSON.parse(raw.value || '{}') : current.read();
    } catch (error) {
      status.textContent = `Not sent: ${error.message}`;
      return;
    }
    try {
      let command = await api.post(`chargepoints/${encodeURIComponent(id)}/commands`, { action: select.value, payload });
      status.textContent = `Command ${command.commandId}: ${command.status}`;
      replace(answer);
      const started = Date.now();
      while (['queued', 'sent'].includes(command.status) && Date.now() - started < 120000) {
        await sleep(500);
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
