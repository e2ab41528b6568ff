// Browser tests of the dashboard's Kafka pages against a real `sluice broker --ui` (token,
// topics with their size on disk, the message browser with a <script> value, group lag,
// uploads, the overview's charts), Debian's Chromium driven headless by playwright-core.
// The Jobs page with a real job is engine_job.test.mjs; here only what a real job cannot
// show yet, from the test-only FakeJobsProvider: savepoints and stop with savepoint.
// Each test leaves a screenshot in $E2E_ARTIFACTS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SLUICE, freePort, waitForPort, launchBrowser, shot as shotOf } from './harness.mjs';

const FAKE_JOBS = process.env.FAKE_JOBS_BIN || path.resolve('../../build/tests/e2e/fake_jobs_dashboard');
const TOKEN = 'e2e-token-' + process.pid;

let work, broker, fakeJobs, context, page;
let kafkaPort, uiPort, jobsPort;
const pageErrors = [];

function produce(topic, lines, ...args) {
  execFileSync(SLUICE, ['produce', '-b', `127.0.0.1:${kafkaPort}`, '-q', ...args, topic],
    { input: lines.map((l) => l + '\n').join(''), timeout: 60000 });
}

const shot = (name) => shotOf(page, name);

async function go(hash) {
  await page.goto(`http://127.0.0.1:${uiPort}/${hash}`);
}

before(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'sluice-e2e-'));
  [kafkaPort, uiPort, jobsPort] = [await freePort(), await freePort(), await freePort()];
  broker = spawn(SLUICE, ['broker', '--listen', `127.0.0.1:${kafkaPort}`, '--data-dir', path.join(work, 'data'),
    '--ui', `127.0.0.1:${uiPort}`, '--ui-token', TOKEN], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitForPort(kafkaPort, broker);
  await waitForPort(uiPort, broker);
  fakeJobs = spawn(FAKE_JOBS, [`127.0.0.1:${kafkaPort}`, String(jobsPort)], { stdio: ['pipe', 'ignore', 'inherit'] });
  await waitForPort(jobsPort, fakeJobs);

  ({ context, page } = await launchBrowser(path.join(work, 'profile')));
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('dialog', (d) => d.accept());
});

after(async () => {
  if (context) await context.close();
  if (fakeJobs) { fakeJobs.stdin.end(); await new Promise((r) => fakeJobs.exitCode !== null ? r() : fakeJobs.on('exit', r)); }
  if (broker && broker.exitCode === null) {
    broker.kill('SIGTERM');
    await new Promise((r) => broker.on('exit', r));
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

test('without the token a change is refused; the printed #token= link authorizes this tab', async () => {
  await go('#/topics');
  await page.waitForSelector('#topics-table');
  await page.fill('input[name=name]', 'clicks');
  await page.fill('input[name=partitions]', '2');
  await page.click('form.inline button[type=submit]');
  await page.waitForSelector('#toast:not([hidden])');
  assert.match(await page.textContent('#toast'), /token/);
  assert.equal(await page.isVisible('#token-form'), true);

  await page.goto(`http://127.0.0.1:${uiPort}/#token=${TOKEN}`);
  await page.waitForFunction(() => location.hash === '#/');
  await go('#/topics');
  await page.waitForSelector('#topics-table');
  await page.fill('input[name=name]', 'clicks');
  await page.fill('input[name=partitions]', '2');
  await page.click('form.inline button[type=submit]');
  await page.waitForFunction(() => location.hash.startsWith('#/topics/clicks'));
  await page.waitForSelector('#topic-name');
});

test('a topic and its messages; JSON pretty-printed, a <script> value shown as text', async () => {
  produce('clicks', Array.from({ length: 12 }, (_, i) => `u${i % 3}\t{"userId":"u${i % 3}","action":"CLICK","n":${i}}`),
    '-K', '\t', '-p', '0', '-H', 'source=e2e');
  produce('clicks', ['evil\t<script>window.__xss = 1</script><img src=x onerror="window.__xss=2">'], '-K', '\t', '-p', '0');

  await go('#/topics');
  await page.waitForSelector('#topics-table');
  const row = page.locator('#topics-table tr', { hasText: 'clicks' });
  assert.match(await row.textContent(), /clicks\s*2/);
  // Size on disk, from the broker's DescribeLogDirs: 13 records are some hundreds of bytes.
  assert.match(await row.locator('td.size').textContent(), /^\d+ B$|KiB$/);
  await shot('topics');

  await row.locator('a').click();
  await page.waitForSelector('#messages .message');
  const values = await page.locator('#messages pre.value').allTextContents();
  assert.equal(values.length, 13);
  assert.ok(values[0].includes('"userId": "u0"') && values[0].includes('\n'), 'JSON is pretty-printed: ' + values[0]);
  const evil = values[12];
  assert.equal(evil, '<script>window.__xss = 1</script><img src=x onerror="window.__xss=2">');
  assert.equal(await page.locator('#messages script, #messages img').count(), 0, 'no element made from a value');
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'the value did not run');
  assert.match(await page.locator('#messages .message').first().textContent(), /source=e2e/);
  await shot('topic-messages');

  // Paging: offsets 5..7 with a page size of 10 from the seek form.
  await page.fill('#seek-form input[name=offset]', '5');
  await page.selectOption('#seek-form select[name=limit]', '10');
  await page.click('#seek-form button');
  await page.waitForFunction(() => document.querySelector('#messages .message')?.dataset.offset === '5');
  assert.deepEqual(await page.locator('#messages .message').evaluateAll((els) => els.map((e) => e.dataset.offset)),
    ['5', '6', '7', '8', '9', '10', '11', '12', '13', '14'].slice(0, 8));
});

test("a consumer group's lag", async () => {
  produce('orders', Array.from({ length: 8 }, (_, i) => `order-${i}`), '-p', '0');
  execFileSync('kcat', ['-b', `127.0.0.1:${kafkaPort}`, '-G', 'billing', '-X', 'auto.offset.reset=earliest',
    '-e', '-q', 'orders'], { timeout: 120000, stdio: ['ignore', 'ignore', 'inherit'] });
  produce('orders', ['late-1', 'late-2', 'late-3'], '-p', '0');

  await go('#/groups');
  const row = page.locator('#groups-table tr', { hasText: 'billing' });
  await row.waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll('#groups-table tr')]
    .some((tr) => tr.textContent.includes('billing') && tr.querySelector('td.lag')?.textContent === '3'), null, { timeout: 20000 });
  await shot('groups');
  await row.locator('a').click();
  await page.waitForSelector('#group-lag');
  assert.equal(await page.textContent('#group-lag'), '3');
  const offsets = await page.locator('#offsets-table tbody tr').first().textContent();
  assert.match(offsets, /orders\s*0\s*8\s*11\s*3/);
  await shot('group-detail');
});

test('upload files and find them in their topics', async () => {
  await go('#/upload');
  await page.waitForSelector('#dropzone');
  const report = 'Quarterly report\n'.repeat(20);
  await page.setInputFiles('#file-input', [
    { name: 'report.txt', mimeType: 'text/plain', buffer: Buffer.from(report) },
    { name: 'pixel.png', mimeType: 'image/png', buffer: Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex') },
  ]);
  await page.waitForFunction(() => document.querySelectorAll('#upload-list .upload-row a').length === 2, null, { timeout: 30000 });
  const rows = await page.locator('#upload-list .upload-row').allTextContents();
  assert.ok(rows.some((r) => r.includes('report.txt') && r.includes('uploaded_documents')), rows.join('\n'));
  assert.ok(rows.some((r) => r.includes('pixel.png') && r.includes('uploaded_images')), rows.join('\n'));
  await shot('upload');

  await page.locator('#upload-list .upload-row', { hasText: 'report.txt' }).locator('a').click();
  await page.waitForSelector('#messages .message');
  const value = await page.locator('#messages pre.value').first().textContent();
  const record = JSON.parse(value);
  assert.equal(record.filename, 'report.txt');
  assert.equal(Buffer.from(record.file_content, 'base64').toString(), report);
  assert.equal(record.metadata.mime_type, 'text/plain');
  await shot('upload-topic');
});

test('the overview chart and the broker metrics', async () => {
  await go('');
  await page.waitForSelector('.cards .card');
  await page.waitForTimeout(2500);  // a second sample for the chart
  produce('clicks', ['u1\t{"n":100}'], '-K', '\t');
  await page.waitForTimeout(2200);
  assert.match(await page.textContent('.cards'), /Topics/);
  // The broker runs in this process: its bytes in and out are charted, with a legend.
  assert.equal(await page.locator('#chart-broker polyline').count(), 2);
  assert.match(await page.textContent('#chart-broker'), /bytes in: .*B\/s/);
  await shot('overview');
  const metrics = await (await page.request.get(`http://127.0.0.1:${uiPort}/metrics`)).text();
  assert.match(metrics, /sluice_broker_requests_total\{api="Produce"\} [1-9]/);
  assert.match(metrics, /sluice_consumer_group_lag\{group="billing",topic="orders",partition="0"\} 3/);
});

test('jobs: the operator graph as a DAG, savepoint and stop from the page', async () => {
  await page.goto(`http://127.0.0.1:${jobsPort}/#/jobs`);
  const row = page.locator('#jobs-table tr', { hasText: 'click-count' });
  await row.waitFor();
  assert.match(await row.textContent(), /RUNNING/);
  await row.locator('a').click();
  await page.waitForSelector('#job-dag g.node');
  assert.equal(await page.locator('#job-dag g.node').count(), 5);
  assert.equal(await page.locator('#job-dag path.edge').count(), 4);
  assert.match(await page.textContent('#job-dag'), /HASH/);
  assert.match(await page.textContent('#job-dag'), /Kafka source: input-topic/);
  // Sources left of their consumers.
  const x = async (id) => page.locator(`#job-dag g.node[data-vertex="${id}"]`).evaluate((g) => g.transform.baseVal[0].matrix.e);
  assert.ok((await x('1')) < (await x('2')) && (await x('2')) < (await x('3')) && (await x('3')) < (await x('4')));
  await shot('job-graph');

  // The savepoint dialog asks for the directory, shows the request's progress, then the path.
  await page.click('#savepoint-btn');
  await page.fill('#savepoint-dir', path.join(work, 'saves'));
  await page.click('#savepoint-go');
  assert.equal(await page.textContent('#savepoint-path', { timeout: 10000 }), path.join(work, 'saves', 'savepoint-click-count-1'));
  await page.click('#savepoint-close');
  await page.click('#job-tabs a[data-tab=checkpoints]');
  await page.waitForFunction(() => document.querySelector('#checkpoints-table tbody')?.textContent.includes('savepoint'), null, { timeout: 10000 });
  await page.click('#stop-btn');
  assert.equal(await page.inputValue('#savepoint-dir'), path.join(work, 'saves'), 'the last directory is remembered');
  await page.click('#savepoint-go');
  await page.waitForSelector('#savepoint-path');
  await page.click('#savepoint-close');
  await page.waitForFunction(() => document.querySelector('h1 .badge')?.textContent === 'FINISHED', null, { timeout: 10000 });
  assert.equal(await page.locator('#checkpoints-table tbody tr').count(), 2);
  await shot('job-stopped');
  assert.deepEqual(pageErrors, []);
});

test('topics can be deleted from the list', async () => {
  await go('#/topics');
  const row = page.locator('#topics-table tr', { hasText: 'orders' });
  await row.locator('button.danger').click();
  await page.waitForFunction(() => ![...document.querySelectorAll('#topics-table td a')].some((a) => a.textContent === 'orders'));
});
