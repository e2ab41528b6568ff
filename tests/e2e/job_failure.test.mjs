// Browser test of a real job's failure: `sluice broker`, clicks written by `sluice generate`,
// and `sluice run click-count --on-bad-record fail --ui-linger-after-end --ui ...`. The job
// runs; then `sluice produce` writes one record that is not JSON (an HTML snippet with a
// <script>), the source fails the job on it, and the dashboard (kept up after the end) shows
// the job FAILED and, in the Exceptions tab, the error naming the partition, the offset and
// the record's value — as text: no element is made from it, nothing runs. Ctrl-C (SIGTERM)
// then ends the process with exit status 1. Screenshots in $E2E_ARTIFACTS:
// failed-jobs.png, failed-job-exceptions.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { SLUICE, startClickCount, tearDown, openClickCountJob, launchBrowser, shot as shotOf } from './harness.mjs';

const EVIL = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">';
let work, broker, job, jobExit, context, page;
let jobUi, bootstrap;
const pageErrors = [];
const shot = (name) => shotOf(page, name);

before(async () => {
  ({ work, broker, job, jobExit, bootstrap, jobUi } =
    await startClickCount('failure', 300, ['--on-bad-record', 'fail', '--ui-linger-after-end']));

  ({ context, page } = await launchBrowser(path.join(work, 'profile')));
  page.on('pageerror', (e) => pageErrors.push(String(e)));
});

after(() => tearDown({ context, processes: [job, broker], work }));

const openJob = () => openClickCountJob(page, jobUi);

test('a bad record fails the job; its page shows FAILED and the exception as text', async () => {
  const id = await openJob();
  // Running, and the 300 clicks counted, before the bad record arrives.
  await page.waitForFunction(() => [...document.querySelectorAll('#vertices-table tbody tr')]
    .some((tr) => tr.children[0].textContent === 'counts' && Number(tr.children[3].textContent.replace(/,/g, '')) >= 300),
  null, { timeout: 30000 });
  assert.match(await page.textContent('h1'), /RUNNING/);
  await page.click('#job-tabs a[data-tab=exceptions]');
  await page.waitForSelector('#no-exceptions');

  execFileSync(SLUICE, ['produce', '-b', bootstrap, 'input-topic', '-K', ':', '-q'],
    { input: `evil:${EVIL}\n`, timeout: 30000, stdio: ['pipe', 'ignore', 'inherit'] });

  // The page refreshes every 2 s: the job FAILED, the tab counts one exception.
  await page.waitForFunction(() => /FAILED/.test(document.querySelector('h1').textContent), null, { timeout: 30000 });
  await page.waitForSelector('#job-tab .exception pre');
  assert.match(await page.textContent('#job-tabs a[data-tab=exceptions]'), /Exceptions \(1\)/);
  const message = await page.textContent('#job-tab .exception pre');
  assert.match(message, /bad record in input-topic-[01] at offset \d+/);
  assert.ok(message.includes(EVIL), `the record's value is shown as it is: ${message}`);
  assert.match(await page.textContent('#job-tab .exception .muted'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
  // Shown, not run: no element came from the value and its script did not run.
  assert.equal(await page.locator('#job-tab script, #job-tab img').count(), 0);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  for (const b of ['#savepoint-btn', '#stop-btn', '#cancel-btn']) assert.ok(await page.isDisabled(b), `${b} disabled`);
  await shot('failed-job-exceptions');

  const api = await (await page.request.get(`http://127.0.0.1:${jobUi}/api/jobs/${id}`)).json();
  assert.equal(api.status, 'FAILED');
  assert.equal(api.exceptions.length, 1);
  assert.ok(api.exceptions[0].message.includes(EVIL));
  assert.ok(api.exceptions[0].time_ms > api.start_time_ms);

  await page.goto(`http://127.0.0.1:${jobUi}/#/jobs`);
  const row = page.locator('#jobs-table tr', { hasText: 'click-count' });
  await row.waitFor();
  assert.match(await row.textContent(), /FAILED/);
  await shot('failed-jobs');
  assert.deepEqual(pageErrors, []);
});

test('Ctrl-C ends the lingering process with the failed job\'s status', async () => {
  job.kill('SIGTERM');
  const { code } = await jobExit;
  assert.equal(code, 1);
});
