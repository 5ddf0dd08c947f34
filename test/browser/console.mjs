// The operator console and the owner page in a real browser (Debian's
// chromium, headless, driven by puppeteer-core), against a running
// `chargelock serve` prepared by test/integration/browser_console_test.cpp:
//
//   operator: signs in, sees pile BR-1 come online (pilesim started here),
//             registers BR-9 (after the API refused a short password), edits
//             and removes it, adds an id tag for the owner, issues a token,
//             sends ChangeConfiguration and GetConfiguration to BR-2 from the
//             schema-built form and sees the answers, starts a charging
//             session there and sees the transaction's meter chart grow;
//   owner:    signs in, picks a 50 km radius around a point on the map,
//             locks the car, sees "armed" and the armed count, a
//             pilesim scenario plugs the car in at BR-2 and the page shows
//             the catch there without a reload, releases, sees "released".
//
// Screenshots of each step go to CL_SCREENSHOTS. Exit 0 when every step
// passed; otherwise the failing step is printed and the exit code is 1.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const base = env('CL_BASE_URL');
const screenshots = env('CL_SCREENSHOTS');
const pilesim = env('CL_PILESIM');
const ocppUrl = env('CL_OCPP_URL');
const vin = env('CL_VIN');
const idTag = env('CL_ID_TAG');
mkdirSync(screenshots, { recursive: true });

const children = [];
function startPilesim(args, name) {
  const child = spawn(pilesim, ['--url', ocppUrl, '--password-pattern', 'browser-pile-secret-{n}', ...args]);
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  children.push({ child, name, output: () => output });
  return child;
}

let step = 'start';
// Also kept beside the screenshots: what happened when, for a failed run.
const log = (text) => {
  console.log(`browser test: ${text}`);
  appendFileSync(path.join(screenshots, 'steps.log'), `${new Date().toISOString()} ${text}\n`);
};
async function shot(page, name) {
  log(`${step}: done (${name}.png)`);
  await page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });
}
// Waits until the element matching `selector` has text matching `pattern`.
async function waitText(page, selector, pattern, timeout = 30000) {
  await page.waitForFunction(
    (s, p) => [...document.querySelectorAll(s)].some((e) => new RegExp(p).test(e.textContent)),
    { timeout, polling: 200 }, selector, pattern.source);
}

// Replaces what a field holds with `text`, typed as a person would.
async function fill(page, selector, text) {
  await page.$eval(selector, (e) => { e.value = ''; });
  await page.type(selector, text);
}

const browser = await puppeteer.launch({
  executablePath: env('CL_CHROMIUM'),
  headless: true,
  // root in CI containers: chromium's sandbox needs user namespaces it may not have.
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
let failed = false;
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 900 });
  const consoleErrors = [];
  // The one refusal the test asks for (a short password) is not an error of the page.
  let refusalExpected = false;
  page.on('console', (m) => { if (m.type() === 'error' && !refusalExpected) consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('response', (r) => { if (r.status() >= 400 && !refusalExpected) consoleErrors.push(`${r.status()} ${r.url()}`); });

  step = 'operator signs in';
  await page.goto(`${base}/`, { waitUntil: 'load' });
  await page.waitForSelector('#signin-token', { visible: true });
  // The sign-in form works from the keyboard alone.
  await page.focus('#signin-token');
  await page.keyboard.type(env('CL_ADMIN_TOKEN'));
  await page.keyboard.press('Enter');
  await page.waitForSelector('#dash-online', { visible: true });
  if (page.url().includes(env('CL_ADMIN_TOKEN'))) throw new Error('the token is in the URL');
  const stored = await page.evaluate(() => sessionStorage.getItem('chargelock.operatorToken'));
  if (stored !== env('CL_ADMIN_TOKEN')) throw new Error('the token is not in sessionStorage');
  await shot(page, 'operator-dashboard');

  step = 'operator sees BR-1 come online';
  await page.goto(`${base}/#/chargepoints`);
  await waitText(page, 'tr[data-cp="BR-1"] .cp-status', /Offline/);
  startPilesim(['--count', '2', '--id-pattern', 'BR-{n}', '--quiet'], 'piles');
  await waitText(page, 'tr[data-cp="BR-1"] .cp-status', /Online/);
  await page.type('#cp-filter', 'BR-2');
  await page.waitForFunction(() => !document.querySelector('tr[data-cp="BR-1"]') && document.querySelector('tr[data-cp="BR-2"]'));
  await shot(page, 'operator-chargepoints');

  step = 'the dashboard shows the handler latency per action';
  await page.goto(`${base}/#/dashboard`);
  // BR-1 and BR-2 booted once each.
  await waitText(page, '#dash-latency tr[data-action="BootNotification"] td', /^2$/);
  await waitText(page, '#dash-latency tr[data-action="BootNotification"] td', / ms$/);
  await shot(page, 'operator-dashboard-latency');

  step = 'the map of the piles has the configured tiles underneath';
  await page.goto(`${base}/#/map`);
  await page.waitForSelector('figure.map .map-tiles image');
  await waitText(page, 'figure.map figcaption', /Map tiles from 127\.0\.0\.1:\d+/);
  await page.goto(`${base}/#/chargepoints`);
  await page.waitForSelector('#register-form');

  step = 'operator registers a pile, sees it in the table, edits and removes it';
  // Cleared first: the filter still says BR-2.
  await fill(page, '#cp-filter', ' ');
  await page.type('#register-id', 'BR-9');
  await page.type('#register-password', 'short');
  refusalExpected = true;
  await page.click('#register-send');
  await waitText(page, '#register-result', /Error: .*16/);  // the API's refusal, as it says it
  refusalExpected = false;
  await fill(page, '#register-password', 'browser-pile-secret-9');
  await page.type('#register-lat', '48.3');
  await page.type('#register-lon', '11.7');
  await page.click('#register-send');
  await waitText(page, '#register-result', /Registered BR-9/);
  await waitText(page, 'tr[data-cp="BR-9"] .cp-status', /Offline/);
  await shot(page, 'operator-register');
  await page.click('tr[data-cp="BR-9"] a');
  await page.waitForSelector('#edit-form');
  await page.waitForFunction(() => document.querySelector('#edit-lat').value === '48.3');
  await fill(page, '#edit-lat', '48.25');
  await page.select('#edit-status', 'Pending');
  await page.click('#edit-send');
  await waitText(page, '#edit-result', /Saved/);
  await waitText(page, '#cp-state', /Pending/);
  await waitText(page, '#main', /at 48\.25, 11\.7/);
  await page.click('#edit-remove');
  await waitText(page, '#edit-remove', /Press again/);
  await page.click('#edit-remove');
  await page.waitForFunction(() => location.hash === '#/chargepoints');
  await waitText(page, 'caption', /of 3 charge points/);
  if (await page.$('tr[data-cp="BR-9"]')) throw new Error('BR-9 is still listed after its removal');

  step = 'operator adds an id tag with its owner';
  await page.goto(`${base}/#/idtags`);
  await page.waitForSelector('#idtag-form');
  await page.type('#idtag-new-id', 'BR-TAG-OK');
  await page.type('#idtag-new-owner', env('CL_OWNER_ID'));
  await page.click('#idtag-form-send');
  await waitText(page, '#idtag-form-result', /Added BR-TAG-OK/);
  await page.waitForFunction((owner) => document.querySelector('#owner-of-BR-TAG-OK')?.value === owner, {}, env('CL_OWNER_ID'));

  step = 'operator issues a token and sees it once';
  await page.goto(`${base}/#/access`);
  await page.waitForSelector('#token-form');
  await page.type('#token-name', 'browser-scraper');
  await page.click('#token-form-send');
  await waitText(page, '#new-token', /^clk_/);
  await waitText(page, 'td', /browser-scraper/);
  await shot(page, 'operator-access');

  step = 'operator sends commands built from the schema form and sees the answers';
  await page.goto(`${base}/#/chargepoints/BR-2`);
  await page.waitForSelector('#command-form');
  await page.select('#command-action', 'ChangeConfiguration');
  await page.waitForSelector('#cmd-value');  // the form of this action (GetConfiguration has a key too)
  await page.type('#cmd-key', 'MeterValueSampleInterval');
  await page.type('#cmd-value', '1');
  await page.click('#command-send');
  await waitText(page, '#command-status', /completed/);
  await waitText(page, '#command-response', /"status": "Accepted"/);
  await page.select('#command-action', 'GetConfiguration');
  await page.waitForSelector('#cmd-key[aria-describedby]');
  await page.type('#cmd-key', 'MeterValueSampleInterval');
  await page.click('#command-send');
  await waitText(page, '#command-status', /completed/);
  await waitText(page, '#command-response', /"value": "1"/);
  await shot(page, 'operator-command');

  step = 'operator starts a charging session and sees its meter chart';
  await page.select('#command-action', 'RemoteStartTransaction');
  await page.waitForSelector('#cmd-idTag');
  await page.type('#cmd-connectorId', '1');
  await page.type('#cmd-idTag', 'BR-TAG-OK');
  await page.click('#command-send');
  await waitText(page, '#command-response', /"status": "Accepted"/);
  await page.goto(`${base}/#/transactions`);
  await waitText(page, 'tr[data-transaction]', /BR-2/);
  await page.click('tr[data-transaction] a');
  await page.waitForSelector('#tx-chart');
  // A meter value a second: the chart grows as the page refreshes.
  await page.waitForFunction(() => document.querySelectorAll('#tx-chart circle.chart-point').length >= 3,
    { timeout: 30000, polling: 500 });
  await waitText(page, '#tx-chart figcaption', /Energy\.Active\.Import\.Register \(Wh\)/);
  await shot(page, 'operator-transaction');

  step = 'owner signs in and locks the car';
  const owner = await browser.newPage();
  await owner.setViewport({ width: 1200, height: 900 });
  owner.on('pageerror', (e) => consoleErrors.push(String(e)));
  owner.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  owner.on('response', (r) => { if (r.status() >= 400) consoleErrors.push(`${r.status()} ${r.url()}`); });
  await owner.goto(`${base}/owner`, { waitUntil: 'load' });
  await owner.waitForSelector('#signin-token', { visible: true });
  await owner.type('#signin-token', env('CL_OWNER_TOKEN'));
  await owner.click('#signin-button');
  await owner.waitForSelector(`tr[data-vin="${vin}"]`);
  await waitText(owner, '#stream-state', /on/);
  // The scope: 50 km around a point, typed and then picked on the map (its
  // middle, where the typed point is drawn); the map shows the radius.
  const scope = `scope-${vin}`;
  await owner.type(`#${scope}-lat`, '48.12');
  await owner.type(`#${scope}-lon`, '11.52');
  await fill(owner, `#${scope}-km`, '50');
  await owner.waitForSelector(`form.lock-form[data-vin="${vin}"] .scope-map circle.map-scope`);
  if (!await owner.$eval(`#${scope}-point`, (e) => e.checked)) throw new Error('typing a point did not choose "around a point"');
  const map = await owner.$(`form.lock-form[data-vin="${vin}"] .scope-map svg`);
  const box = await map.boundingBox();
  // A click right of the middle: the same latitude, a longitude to the east.
  await owner.mouse.click(box.x + box.width * 0.6, box.y + box.height / 2);
  await owner.waitForFunction((id) => {
    const lat = Number(document.getElementById(`${id}-lat`).value);
    const lon = Number(document.getElementById(`${id}-lon`).value);
    return Math.abs(lat - 48.12) < 0.05 && lon > 11.53 && lon < 12.5;
  }, { timeout: 5000 }, scope);
  await shot(owner, 'owner-scope');
  await owner.click(`form.lock-form[data-vin="${vin}"] .lock-button`);
  await waitText(owner, `tr[data-vin="${vin}"] .lock-status`, /armed/);
  await waitText(owner, `tr[data-vin="${vin}"] .armed-count`, /^[12] piles armed/);
  await shot(owner, 'owner-armed');

  step = 'the operator sees the lock\'s radius on its map';
  await page.bringToFront();  // a tab in the background may not run its timers or paint
  await page.goto(`${base}/#/locks`);
  await page.waitForSelector('tr[data-lock] a');
  await page.click('tr[data-lock] a');
  await page.waitForSelector('figure.map circle.map-scope');
  await waitText(page, 'figure.map title', /Lock scope: 50 km around 48\.12/);
  await shot(page, 'operator-lock-scope');
  await owner.bringToFront();

  step = 'a pile catches the car and the owner page shows it live';
  writeFileSync(path.join(screenshots, 'scenario.json'), JSON.stringify({
    vehicles: { stolen: { vin, idTag } },
    actions: [{ at: 3, action: 'plug', pile: 'BR-3', connector: 1, vehicle: 'stolen' }],
  }));
  startPilesim(['--count', '1', '--first', '3', '--id-pattern', 'BR-{n}', '--scenario', path.join(screenshots, 'scenario.json')], 'thief');
  await waitText(owner, `tr[data-vin="${vin}"] .held-at`, /BR-3/, 60000);
  await waitText(owner, '#notifications li', /vehicle_caught/, 30000);
  await shot(owner, 'owner-caught');

  step = 'the owner releases';
  await owner.click(`tr[data-vin="${vin}"] .release-button`);
  await waitText(owner, `tr[data-vin="${vin}"] .lock-status`, /released/, 60000);
  await shot(owner, 'owner-released');

  step = 'no script errors';
  if (consoleErrors.length) throw new Error(`script errors: ${consoleErrors.join(' | ')}`);
  log('every step passed');
} catch (error) {
  failed = true;
  log(`FAILED at "${step}": ${error.message}`);
  for (const { name, output } of children) console.log(`--- pilesim ${name}:\n${output().slice(-3000)}`);
  // A page in the background may never paint: each look is bounded.
  const bounded = (promise) => Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), 5000))]);
  let n = 0;
  for (const page of await browser.pages()) {
    n += 1;
    try {
      await bounded(page.bringToFront());
      await bounded(page.screenshot({ path: path.join(screenshots, `failure-${n}.png`) }));
      console.log(`--- page ${page.url()}:\n${(await bounded(page.evaluate(() => document.body.innerText))).slice(0, 3000)}`);
    } catch { /* the page is gone or stuck */ }
  }
} finally {
  log('closing');
  for (const { child } of children) child.kill('SIGTERM');
  // An open notification stream can keep chromium's close waiting: bounded,
  // then the process is killed.
  await Promise.race([browser.close(), new Promise((resolve) => setTimeout(resolve, 5000))]);
  browser.process()?.kill('SIGKILL');
}
log('closed');
process.exit(failed ? 1 : 0);
