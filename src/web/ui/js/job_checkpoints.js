// The Checkpoints tab of a job: counts, the checkpoint restored from, and the history
// (newest first) with duration, size, alignment and path, or why it failed. Reads the
// "checkpoints" object of /api/jobs/{id} (src/web/jobs_provider.h). Savepoints appear here
// too (Kind: savepoint); the buttons that take them are the job's controls (jobs.js,
// savepoint_dialog.js).
import { h, num, time, bytes, badge } from './dom.js';

const ms = (v) => (v === undefined || v === null ? '—' : num(v) + ' ms');

export function checkpointsTab(job) {
  const cp = job.checkpoints || {};
  const restored = cp.latest_restored;
  return [
    h('p', { id: 'checkpoint-counts' },
      `${num(cp.completed ?? 0)} completed, ${num(cp.failed ?? 0)} failed, ${num(cp.in_progress ?? 0)} in progress`),
    restored
      ? h('p', { id: 'latest-restored' }, 'Restored from ', restored.savepoint ? 'savepoint ' : 'checkpoint ',
        h('b', {}, restored.id), ' ', h('code', {}, restored.path || ''), ' at ', time(restored.restore_time_ms ?? restored.trigger_time_ms))
      : h('p', { class: 'muted', id: 'latest-restored' }, 'Not restored: the job started fresh.'),
    h('table', { id: 'checkpoints-table' },
      h('thead', {}, h('tr', {}, ['ID', 'Status', 'Kind', 'Triggered', 'Duration', 'Size', 'Alignment', 'Path']
        .map((t, i) => h('th', { class: i === 4 || i === 5 || i === 6 ? 'num' : '' }, t)))),
      h('tbody', {}, (cp.history || []).length ? cp.history.map((c) => h('tr', {},
        h('td', {}, c.id), h('td', {}, badge(c.status)), h('td', {}, c.savepoint ? 'savepoint' : 'checkpoint'),
        h('td', {}, time(c.trigger_time_ms)), h('td', { class: 'num' }, ms(c.duration_ms)),
        h('td', { class: 'num' }, bytes(c.size_bytes)), h('td', { class: 'num' }, ms(c.alignment_ms)),
        h('td', {}, c.path ? h('code', {}, c.path) : c.failure ? h('span', { class: 'failure' }, c.failure) : '—')))
        : h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No checkpoints yet.')))),
  ];
}
