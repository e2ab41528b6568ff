// Browser test of savepoints with a real job: `sluice broker`, clicks written by
// `sluice generate`, and `sluice run click-count --ui ... --ui-token` (its own dashboard).
// From the job's page: "Trigger savepoint" asks for the directory, shows the request in
// progress and then the savepoint's path (found on disk with its _metadata) and the
// savepoint in the Checkpoints tab; "Stop with savepoint" ends the job (the process exits
// 0) and shows the path. A directory name with HTML in it is shown as text. Screenshots in
// $E2E_ARTIFACTS: savepoint-dialog.png, savepoint-checkpoints.png, savepoint-stopped.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startClickCount, tearDown, openClickCountJob, launchBrowser, shot as shotOf } from './harness.mjs';

const TOKEN = 'e2e-savepoint-' + process.pid;
let work, broker, job, jobExit, context, page;
let jobUi;
const pageErrors = [];
const shot = (name) => shotOf(page, name);

before(async () => {
  ({ work, broker, job, jobExit, jobUi } = await startClickCount('savepoint', 500, ['--ui-token', TOKEN]));

  ({ context, page } = await launchBrowser(path.join(work, 'profile')));
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  // The link `sluice run` prints carries the token; the page keeps it for this tab.
  await page.goto(`http://127.0.0.1:${jobUi}/#token=${TOKEN}`);
});

after(() => tearDown({ context, processes: [job, broker], work }));

const openJob = () => openClickCountJob(page, jobUi);

function checkSavepoint(location) {
  assert.ok(existsSync(path.join(location, '_metadata')), `${location}/_metadata exists`);
  const meta = JSON.parse(readFileSync(path.join(location, '_metadata'), 'utf8'));
  assert.equal(meta.job, 'click-count');
  assert.equal(meta.savepoint, true);
  assert.ok(meta.operators.some((op) => op.name === 'count per user'), JSON.stringify(meta.operators));
  return meta;
}

test('trigger a savepoint from the page: progress, then its path; it is in the Checkpoints tab', async () => {
  await openJob();
  // A directory whose name is HTML: shown as text, never parsed.
  const dir = path.join(work, 'saves <img src=x onerror=window.__pwned=1>');
  await page.click('#savepoint-btn');
  await page.waitForSelector('#savepoint-dialog[open]');
  await page.fill('#savepoint-dir', 'relative/dir');
  await page.click('#savepoint-go');
  assert.match(await page.textContent('#savepoint-status .error'), /absolute/);
  await page.fill('#savepoint-dir', dir);
  await page.click('#savepoint-go');
  const location = await page.textContent('#savepoint-path', { timeout: 60000 });
  assert.equal(path.dirname(location), dir);
  assert.match(location, /savepoint-click-count-\d+$/);
  // The resume command quotes the path for the shell.
  assert.ok((await page.textContent('#savepoint-dialog')).includes(`--from-savepoint '${location}'`));
  assert.equal(await page.locator('#savepoint-dialog img').count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  const meta = checkSavepoint(location);
  await shot('savepoint-dialog');
  await page.click('#savepoint-close');
  assert.equal(await page.locator('#savepoint-dialog').count(), 0);

  await page.click('#job-tabs a[data-tab=checkpoints]');
  const row = page.locator('#checkpoints-table tbody tr', { hasText: location });
  await row.waitFor({ timeout: 10000 });
  const text = await row.textContent();
  assert.match(text, new RegExp(`^${meta.id}`));
  assert.match(text, /COMPLETED/);
  assert.match(text, /savepoint/);
  await shot('savepoint-checkpoints');
  assert.deepEqual(pageErrors, []);
});

test('stop with a savepoint from the page: the job ends, the process exits 0, the path is shown', async () => {
  await openJob();
  await page.click('#stop-btn');
  await page.waitForSelector('#savepoint-dialog[open]');
  const dir = path.join(work, 'stopped');
  await page.fill('#savepoint-dir', dir);
  await page.click('#savepoint-go');
  const location = await page.textContent('#savepoint-path', { timeout: 60000 });
  assert.equal(path.dirname(location), dir);
  assert.match(await page.textContent('#savepoint-done'), /job stopped/);
  checkSavepoint(location);
  await shot('savepoint-stopped');
  const exit = await Promise.race([jobExit, new Promise((r) => setTimeout(() => r('still running'), 30000))]);
  assert.deepEqual(exit, { code: 0, signal: null });
  assert.deepEqual(pageErrors, []);
});
