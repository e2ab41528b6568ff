// Jobs: the engine's jobs (list, status) and one job's operator graph, vertices,
// checkpoints and exceptions, with cancel / savepoint / stop-with-savepoint. The JSON
// comes from the process's JobsProvider (src/web/jobs_provider.h); refreshed every 2 s.
import { api } from './api.js';
import { h, mount, num, rate, time, duration, bytes, badge, errorBox, toast } from './dom.js';
import { drawDag } from './dag.js';

export async function render(main, route) {
  const draw = route.arg ? () => drawJob(main, route.arg) : () => drawList(main);
  await draw();
  const timer = setInterval(() => draw().catch((e) => mount(main, errorBox(e))), 2000);
  return () => clearInterval(timer);
}

async function drawList(main) {
  const data = await api.jobs();
  mount(main, h('h1', {}, 'Jobs'),
    data.available ? null : h('p', { class: 'muted' }, 'This process runs no stream jobs (start one with sluice run, or sluice demo).'),
    h('table', { id: 'jobs-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Job'), h('th', {}, 'Status'), h('th', {}, 'Started'),
        h('th', {}, 'Duration'), h('th', { class: 'num' }, 'Parallelism'))),
      h('tbody', {}, data.jobs.length ? data.jobs.map((j) => h('tr', {},
        h('td', {}, h('a', { href: '#/jobs/' + encodeURIComponent(j.id) }, j.name || j.id)),
        h('td', {}, badge(j.status)), h('td', {}, time(j.start_time_ms)),
        h('td', {}, duration(j.duration_ms)), h('td', { class: 'num' }, j.parallelism ?? '—')))
        : h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No jobs.')))));
}

async function control(action, id, label) {
  try {
    const r = await action(id);
    toast(`${label}: ` + (r.status || (r.cancelled ? 'requested' : 'done')) + (r.path ? ' → ' + r.path : '') + (r.error ? ' — ' + r.error : ''));
  } catch (e) { toast(`${label} failed: ${e.message}`); }
}

async function drawJob(main, id) {
  const j = await api.job(id);
  const cp = j.checkpoints || {};
  const running = j.status === 'RUNNING';
  mount(main,
    h('h1', {}, 'Job ', h('span', { id: 'job-name' }, j.name || j.id), ' ', badge(j.status)),
    h('div', { class: 'toolbar' }, h('a', { href: '#/jobs' }, '← all jobs'),
      h('span', { class: 'muted' }, `id ${j.id} · started ${time(j.start_time_ms)} · up ${duration(j.duration_ms)} · parallelism ${j.parallelism ?? '—'}`),
      h('button', { id: 'savepoint-btn', disabled: !running, onclick: () => control(api.savepoint, id, 'savepoint') }, 'Trigger savepoint'),
      h('button', { class: 'secondary', id: 'stop-btn', disabled: !running, onclick: () => control(api.stopJob, id, 'stop with savepoint') }, 'Stop with savepoint'),
      h('button', { class: 'danger', id: 'cancel-btn', disabled: !running, onclick: () => control(api.cancelJob, id, 'cancel') }, 'Cancel')),
    h('h2', {}, 'Operator graph'),
    drawDag(j.vertices || [], j.edges || []),
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
    h('h2', {}, `Checkpoints (${num(cp.completed ?? 0)} completed, ${num(cp.failed ?? 0)} failed, ${num(cp.in_progress ?? 0)} in progress)`),
    cp.latest_restored ? h('p', {}, 'Restored from checkpoint ', h('b', {}, cp.latest_restored.id), ' ', cp.latest_restored.path || '') : null,
    h('table', { id: 'checkpoints-table' },
      h('thead', {}, h('tr', {}, ['ID', 'Status', 'Kind', 'Triggered', 'Duration', 'Size', 'Alignment', 'Path'].map((t) => h('th', {}, t)))),
      h('tbody', {}, (cp.history || []).length ? cp.history.map((c) => h('tr', {},
        h('td', {}, c.id), h('td', {}, badge(c.status)), h('td', {}, c.savepoint ? 'savepoint' : 'checkpoint'),
        h('td', {}, time(c.trigger_time_ms)), h('td', {}, c.duration_ms === undefined || c.duration_ms === null ? '—' : c.duration_ms + ' ms'),
        h('td', {}, bytes(c.size_bytes)), h('td', {}, c.alignment_ms === undefined || c.alignment_ms === null ? '—' : c.alignment_ms + ' ms'),
        h('td', {}, c.path || '—')))
        : h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No checkpoints yet.')))),
    h('h2', {}, 'Exceptions'),
    (j.exceptions || []).length
      ? j.exceptions.map((e) => h('div', { class: 'error' }, time(e.time_ms) + '  ' + e.message))
      : h('p', { class: 'muted' }, 'None.'));
}
