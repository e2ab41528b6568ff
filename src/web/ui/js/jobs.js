// Jobs: the engine's jobs (list, status) and one job, in tabs: Overview (the operator graph,
// the job's records/s chart, its end-to-end latency histogram (job_latency.js), the operators
// table), Checkpoints (job_checkpoints.js) and
// Exceptions; cancel / trigger savepoint / stop with savepoint above the tabs. The JSON
// comes from the process's JobsProvider (src/web/jobs_provider.h); refreshed every 2 s.
// A new tab: one entry in TABS, a function job -> nodes.
import { api } from './api.js';
import { h, mount, num, rate, time, duration, badge, errorBox, toast } from './dom.js';
import { drawDag } from './dag.js';
import { openSavepointDialog } from './savepoint_dialog.js';
import { lineChart } from './chart.js';
import { checkpointsTab } from './job_checkpoints.js';
import { latencyView } from './job_latency.js';
import { sampleJobs, jobSeries, spanLabel } from './throughput.js';

const TABS = [
  { id: 'overview', title: 'Overview', draw: overviewTab },
  { id: 'checkpoints', title: 'Checkpoints', draw: checkpointsTab },
  { id: 'exceptions', title: 'Exceptions', draw: exceptionsTab },
];

export async function render(main, route) {
  const draw = route.arg ? () => drawJob(main, route.arg, route.query.get('tab') || 'overview') : () => drawList(main);
  await draw();
  const timer = setInterval(() => draw().catch((e) => mount(main, errorBox(e))), 2000);
  return () => clearInterval(timer);
}

async function drawList(main) {
  const data = await api.jobs();
  sampleJobs(data.jobs);
  mount(main, h('h1', {}, 'Jobs'),
    data.available ? null : h('p', { class: 'muted' }, 'This process runs no stream jobs (start one with sluice run, or sluice demo).'),
    h('table', { id: 'jobs-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Job'), h('th', {}, 'Status'), h('th', {}, 'Started'),
        h('th', {}, 'Duration'), h('th', { class: 'num' }, 'Parallelism'), h('th', { class: 'num' }, 'Records read'))),
      h('tbody', {}, data.jobs.length ? data.jobs.map((j) => h('tr', {},
        h('td', {}, h('a', { href: '#/jobs/' + encodeURIComponent(j.id) }, j.name || j.id)),
        h('td', {}, badge(j.status)), h('td', {}, time(j.start_time_ms)),
        h('td', {}, duration(j.duration_ms)), h('td', { class: 'num' }, j.parallelism ?? '—'),
        h('td', { class: 'num' }, num(j.records_read))))
        : h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No jobs.')))));
}

async function control(action, id, label) {
  try {
    const r = await action(id);
    toast(`${label}: ` + (r.status || (r.cancelled ? 'requested' : 'done')) + (r.path ? ' → ' + r.path : '') + (r.error ? ' — ' + r.error : ''));
  } catch (e) { toast(`${label} failed: ${e.message}`); }
}

async function drawJob(main, id, tabId) {
  const j = await api.job(id);
  sampleJobs([j]);
  const running = j.status === 'RUNNING';
  const tab = TABS.find((t) => t.id === tabId) || TABS[0];
  const href = (t) => '#/jobs/' + encodeURIComponent(id) + (t.id === 'overview' ? '' : '?tab=' + t.id);
  mount(main,
    h('h1', {}, 'Job ', h('span', { id: 'job-name' }, j.name || j.id), ' ', badge(j.status)),
    h('div', { class: 'toolbar' }, h('a', { href: '#/jobs' }, '← all jobs'),
      h('span', { class: 'muted' }, `id ${j.id} · started ${time(j.start_time_ms)} · up ${duration(j.duration_ms)} · parallelism ${j.parallelism ?? '—'}`),
      h('button', { id: 'savepoint-btn', disabled: !running, onclick: () => openSavepointDialog(j, false) }, 'Trigger savepoint'),
      h('button', { class: 'secondary', id: 'stop-btn', disabled: !running, onclick: () => openSavepointDialog(j, true) }, 'Stop with savepoint'),
      h('button', { class: 'danger', id: 'cancel-btn', disabled: !running, onclick: () => control(api.cancelJob, id, 'cancel') }, 'Cancel')),
    h('nav', { class: 'tabs', id: 'job-tabs' }, TABS.map((t) => h('a', { href: href(t), class: t === tab ? 'active' : '', 'data-tab': t.id },
      t.id === 'exceptions' && (j.exceptions || []).length ? `${t.title} (${j.exceptions.length})` : t.title))),
    h('section', { id: 'job-tab', 'data-tab': tab.id }, tab.draw(j)));
}

function overviewTab(j) {
  const series = jobSeries([j.id]);
  return [
    h('h2', {}, 'Operator graph'),
    drawDag(j.vertices || [], j.edges || []),
    h('h2', {}, 'Records read per second'),
    lineChart(series, { label: spanLabel(series), id: 'chart-job' }),
    h('h2', {}, 'End-to-end latency'),
    latencyView(j.end_to_end_latency),
    h('h2', {}, 'Operators'),
    h('table', { id: 'vertices-table' },
      h('thead', {}, h('tr', {}, ['Operator', 'Parallelism', 'Status', 'Records in', 'Records out', 'In/s', 'Out/s', 'Watermark', 'Backpressure']
        .map((t, i) => h('th', { class: i === 0 || i === 2 || i === 7 ? '' : 'num' }, t)))),
      h('tbody', {}, (j.vertices || []).map((v) => h('tr', {},
        h('td', {}, v.name), h('td', { class: 'num' }, v.parallelism ?? '—'), h('td', {}, badge(v.status)),
        h('td', { class: 'num' }, num(v.records_in)), h('td', { class: 'num' }, num(v.records_out)),
        h('td', { class: 'num' }, rate(v.records_in_per_second)), h('td', { class: 'num' }, rate(v.records_out_per_second)),
        h('td', {}, time(v.watermark_ms)),
        h('td', { class: 'num' }, v.backpressure === undefined || v.backpressure === null ? '—' : (v.backpressure * 100).toFixed(0) + '%'))))),
  ];
}

function exceptionsTab(j) {
  return (j.exceptions || []).length
    ? j.exceptions.map((e) => h('div', { class: 'error exception' }, h('div', { class: 'muted' }, time(e.time_ms)), h('pre', {}, e.message)))
    : h('p', { class: 'muted', id: 'no-exceptions' }, 'None.');
}
