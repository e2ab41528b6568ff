// What the browser tests share: the programs under test, free loopback ports, waiting for a
// child process to listen, Debian's Chromium headless (flags from the environment notes,
// a fresh profile each run), and screenshots in $E2E_ARTIFACTS.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const SLUICE = process.env.SLUICE_BIN || path.resolve('../../build/sluice');
export const ARTIFACTS = process.env.E2E_ARTIFACTS || path.resolve('../../build/e2e-artifacts');

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
    srv.on('error', reject);
  });
}

export async function waitForPort(port, child, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode} before listening on ${port}`);
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
}

// A sluice subcommand as a child process; its stderr goes to ours (the test log).
export function sluice(args, options = {}) {
  return spawn(SLUICE, args, { stdio: ['ignore', 'ignore', 'inherit'], ...options });
}

// Sends SIGTERM (sluice drains and exits) and waits; SIGKILL after `graceMs`.
export async function stop(child, graceMs = 30000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

// A real click-count job to drive: in a fresh work directory, a broker (its dashboard off)
// holding `clicks` records of `sluice generate clicks` in two partitions, and `sluice run
// click-count -p 2` reading them from the beginning with its dashboard on a free port, and
// `jobArgs`. Resolves once that dashboard listens; `jobExit` resolves with the job's exit.
export async function startClickCount(name, clicks, jobArgs = []) {
  const work = mkdtempSync(path.join(tmpdir(), `sluice-e2e-${name}-`));
  const [kafkaPort, jobUi] = [await freePort(), await freePort()];
  const bootstrap = `127.0.0.1:${kafkaPort}`;
  const broker = sluice(['broker', '--listen', bootstrap, '--data-dir', path.join(work, 'data'), '--ui', 'off']);
  await waitForPort(kafkaPort, broker);
  execFileSync(SLUICE, ['generate', 'clicks', '-b', bootstrap, '--partitions', '2', '-n', String(clicks), '-q', '--seed', '1'],
    { timeout: 60000, stdio: ['ignore', 'ignore', 'inherit'] });
  const job = sluice(['run', 'click-count', '--bootstrap-servers', bootstrap, '--starting-offsets', 'earliest',
    '-p', '2', '--ui', `127.0.0.1:${jobUi}`, ...jobArgs]);
  const jobExit = new Promise((resolve) => job.on('exit', (code, signal) => resolve({ code, signal })));
  await waitForPort(jobUi, job, 30000);
  return { work, broker, job, jobExit, bootstrap, jobUi };
}

// A test file's teardown: closes the browser, stops the processes in the order given (each
// SIGTERM, waited for), then removes the work directory. Any of them may be unset (a
// `before` that failed half way).
export async function tearDown({ context, processes = [], work }) {
  if (context) await context.close();
  for (const child of processes) await stop(child);
  if (work) rmSync(work, { recursive: true, force: true });
}

// Opens the click-count job's page from the jobs list of the dashboard on `jobUi` and waits
// for its operator graph; returns the job's id (from the page's address).
export async function openClickCountJob(page, jobUi) {
  await page.goto(`http://127.0.0.1:${jobUi}/#/jobs`);
  const row = page.locator('#jobs-table tr', { hasText: 'click-count' });
  await row.waitFor();
  await row.locator('a').click();
  await page.waitForSelector('#job-dag g.node');
  return decodeURIComponent(new URL(page.url()).hash.split('/')[2]);
}

export async function launchBrowser(profileDir) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 860 },
  });
  const page = context.pages()[0] || await context.newPage();
  return { context, page };
}

export async function shot(page, name) {
  const file = path.join(ARTIFACTS, name + '.png');
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
