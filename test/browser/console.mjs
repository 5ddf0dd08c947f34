// The operator console and the owner page in a real browser (Debian's
// chromium, headless, driven by puppeteer-core), against a running
// `chargelock serve` prepared by test/integration/browser_console_test.cpp:
//
//   operator: signs in, sees pile BR-1 come online (pilesim started here),
//             sends GetConfiguration from the pile's page and sees the answer;
//   owner:    signs in, locks the car, sees "armed" and the armed count, a
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
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('response', (r) => { if (r.status() >= 400) consoleErrors.push(`${r.status()} ${r.url()}`); });

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

  step = 'operator sends GetConfiguration and sees the answer';
  await page.click('tr[data-cp="BR-2"] a');
  await page.waitForSelector('#command-form');
  await page.select('#command-action', 'GetConfiguration');
  await page.click('#command-send');
  await waitText(page, '#command-status', /completed/);
  await waitText(page, '#command-response', /configurationKey/);
  await shot(page, 'operator-command');

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
  await owner.click(`form.lock-form[data-vin="${vin}"] .lock-button`);
  await waitText(owner, `tr[data-vin="${vin}"] .lock-status`, /armed/);
  await waitText(owner, `tr[data-vin="${vin}"] .armed-count`, /^[12] piles armed/);
  await shot(owner, 'owner-armed');

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
