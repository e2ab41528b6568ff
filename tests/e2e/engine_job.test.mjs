// Browser test of the dashboard with a real stream job: `sluice broker`, `sluice generate
// clicks` writing continuously, and `sluice run click-count --ui` (the job's own dashboard,
// a Kafka client of the broker). In the browser: the job RUNNING with its operator graph
// and a non-zero records/s, its records/s chart and end-to-end latency histogram (also on
// /metrics with the operators' counters), the job's consumer group and its lag, the
// counts in the output topic, partition sizes on disk told by the broker (DescribeLogDirs),
// and the broker's own dashboard charting its bytes in/out. Screenshots in $E2E_ARTIFACTS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SLUICE, freePort, waitForPort, sluice, tearDown, launchBrowser, shot as shotOf } from './harness.mjs';

let work, broker, generator, job, context, page;
let kafkaPort, brokerUi, jobUi, bootstrap;
const pageErrors = [];
const shot = (name) => shotOf(page, name);
const jobPage = (hash) => page.goto(`http://127.0.0.1:${jobUi}/${hash}`);

before(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'sluice-e2e-job-'));
  [kafkaPort, brokerUi, jobUi] = [await freePort(), await freePort(), await freePort()];
  bootstrap = `127.0.0.1:${kafkaPort}`;
  broker = sluice(['broker', '--listen', bootstrap, '--data-dir', path.join(work, 'data'), '--ui', `127.0.0.1:${brokerUi}`]);
  await waitForPort(kafkaPort, broker);
  await waitForPort(brokerUi, broker);
  // input-topic with 2 partitions and some clicks before the job starts, then a steady 200/s.
  execFileSync(SLUICE, ['generate', 'clicks', '-b', bootstrap, '--partitions', '2', '-n', '500', '-q', '--seed', '1'],
    { timeout: 60000, stdio: ['ignore', 'ignore', 'inherit'] });
  generator = sluice(['generate', 'clicks', '-b', bootstrap, '-n', '0', '-r', '200', '-q', '--seed', '2']);
  job = sluice(['run', 'click-count', '--bootstrap-servers', bootstrap, '--starting-offsets', 'earliest',
    '-p', '2', '--ui', `127.0.0.1:${jobUi}`]);
  await waitForPort(jobUi, job, 30000);

  ({ context, page } = await launchBrowser(path.join(work, 'profile')));
  page.on('pageerror', (e) => pageErrors.push(String(e)));
});

after(() => tearDown({ context, processes: [generator, job, broker], work }));

test('the job RUNNING with its operator graph and a non-zero records/s', async () => {
  await jobPage('#/jobs');
  const row = page.locator('#jobs-table tr', { hasText: 'click-count' });
  await row.waitFor();
  assert.match(await row.textContent(), /RUNNING/);
  await row.locator('a').click();
  await page.waitForSelector('#job-dag g.node');

  const id = decodeURIComponent(new URL(page.url()).hash.split('/')[2]);
  const api = await (await page.request.get(`http://127.0.0.1:${jobUi}/api/jobs/${id}`)).json();
  assert.equal(api.status, 'RUNNING');
  assert.equal(await page.locator('#job-dag g.node').count(), api.vertices.length);
  assert.equal(await page.locator('#job-dag path.edge').count(), api.edges.length);
  const dag = await page.textContent('#job-dag');
  assert.match(dag, /count per user/);
  assert.match(dag, /HASH/, 'key_by is a hash exchange');

  // Rates are per-second changes between two reads: wait for a refresh that shows records
  // flowing (the generator writes 200/s) in the operators table and in the DAG's nodes.
  await page.waitForFunction(() => [...document.querySelectorAll('#vertices-table tbody tr')]
    .some((tr) => /^[1-9][\d.]*k?\/s$/.test(tr.children[6].textContent)), null, { timeout: 30000 });
  assert.match(await page.textContent('#job-dag'), /out [1-9][\d.]*k?\/s/);
  // The job's records/s chart has a line and its legend a non-zero rate.
  await page.waitForFunction(() => document.querySelectorAll('#chart-job polyline').length === 1
    && /click-count: [1-9]/.test(document.querySelector('#chart-job').textContent), null, { timeout: 30000 });
  // The end-to-end latency histogram: records reached the sink, so quantiles and bars.
  await page.waitForFunction(() => /p50 ≤ [\d.,]+ m?s/.test(document.querySelector('#latency-summary')?.textContent || ''),
    null, { timeout: 30000 });
  assert.ok(await page.locator('#latency-histogram rect.bar[data-count]:not([data-count="0"])').count() > 0);
  await shot('engine-job');

  // /metrics: per operator records in/out and back-pressure, the job's latency histogram.
  const metrics = await (await page.request.get(`http://127.0.0.1:${jobUi}/metrics`)).text();
  assert.match(metrics, /^sluice_operator_records_in_total\{job="click-count",operator="count per user",operator_id="\d+"\} [1-9]\d*$/m);
  assert.match(metrics, /^sluice_operator_records_out_total\{job="click-count",operator="Source: clicks",operator_id="\d+"\} [1-9]\d*$/m);
  assert.match(metrics, /^sluice_operator_backpressured_seconds_total\{job="click-count",operator="counts",/m);
  assert.match(metrics, /^# TYPE sluice_job_end_to_end_latency_seconds histogram$/m);
  const count = Number(metrics.match(/^sluice_job_end_to_end_latency_seconds_count\{job="click-count",job_id="[^"]+"\} (\d+)$/m)[1]);
  const inf = Number(metrics.match(/^sluice_job_end_to_end_latency_seconds_bucket\{job="click-count",job_id="[^"]+",le="\+Inf"\} (\d+)$/m)[1]);
  assert.ok(count > 0 && inf === count, `count ${count}, +Inf bucket ${inf}`);
  assert.match(metrics, /^sluice_job_end_to_end_latency_seconds_bucket\{job="click-count",job_id="[^"]+",le="0.001"\} \d+$/m);
  assert.match(metrics, /^sluice_job_end_to_end_latency_seconds_sum\{job="click-count",job_id="[^"]+"\} [\d.]+$/m);

  await page.click('#job-tabs a[data-tab=checkpoints]');
  await page.waitForSelector('#checkpoints-table');
  assert.match(await page.textContent('#latest-restored'), /started fresh/);
  await page.click('#job-tabs a[data-tab=exceptions]');
  await page.waitForSelector('#no-exceptions');
});

test("the job's consumer group and its lag", async () => {
  await jobPage('#/groups');
  const row = page.locator('#groups-table tr', { hasText: 'click-count' });
  await row.waitFor({ timeout: 30000 });
  assert.match(await row.locator('td.lag').textContent(), /^[\d,]+$/);
  await shot('engine-groups');
  await row.locator('a').click();
  await page.waitForSelector('#group-lag');
  assert.match(await page.textContent('#group-lag'), /^[\d,]+$/);
  // The input partitions the clicks went to, with the offsets the job committed.
  await page.waitForFunction(() => [...document.querySelectorAll('#offsets-table tbody tr')]
    .some((tr) => tr.children[0].textContent === 'input-topic' && Number(tr.children[2].textContent.replace(/,/g, '')) > 0),
  null, { timeout: 30000 });
  await shot('engine-group-detail');
});

test("the output topic's messages: the per-user counts", async () => {
  await jobPage('#/topics/output-topic');
  await page.waitForSelector('#messages .message', { timeout: 30000 });
  const values = await page.locator('#messages pre.value').allTextContents();
  assert.ok(values.length > 0);
  for (const v of values) assert.match(v, /^User \S+ clicked \d+ times$/);
  const keys = await page.locator('#messages .key').allTextContents();
  assert.ok(values.every((v, i) => v.startsWith(`User ${keys[i]} `)), 'each count is keyed by its user');
  await shot('engine-output');
});

test('topics with their size on disk, from a dashboard in another process than the broker', async () => {
  await jobPage('#/topics');
  const row = page.locator('#topics-table tr', { hasText: 'input-topic' }).first();
  await row.waitFor();
  assert.match(await row.locator('td.size').textContent(), /\d (B|KiB|MiB)$/);
  const api = await (await page.request.get(`http://127.0.0.1:${jobUi}/api/topics/input-topic`)).json();
  // A partition's size is its log's: zero while empty, growing with its records.
  assert.ok(api.size_bytes > 0, JSON.stringify(api));
  for (const p of api.partitions) assert.equal(p.size_bytes > 0, p.high > p.low, JSON.stringify(p));
  assert.equal(api.size_bytes, api.partitions.reduce((a, p) => a + p.size_bytes, 0));
  await shot('engine-topics');
});

test('overview charts: records/s per job here, bytes in/out on the broker\'s dashboard', async () => {
  await jobPage('');
  await page.waitForFunction(() => document.querySelectorAll('#chart-jobs polyline').length === 1, null, { timeout: 15000 });
  // The broker is another process: its traffic is not known here, and the page says so.
  assert.match(await page.textContent('#chart-broker-unknown'), /another process/);
  await shot('engine-overview');

  await page.goto(`http://127.0.0.1:${brokerUi}/`);
  await page.waitForFunction(() => document.querySelectorAll('#chart-broker polyline').length === 2
    && /bytes in: [1-9]/.test(document.querySelector('#chart-broker').textContent), null, { timeout: 15000 });
  await shot('broker-overview');
  assert.deepEqual(pageErrors, []);
});
