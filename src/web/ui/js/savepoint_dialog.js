// The job controls "Trigger savepoint" and "Stop with savepoint": a dialog that asks for
// the directory (an absolute path on the machine the job runs on; the last one used is
// remembered in this browser), starts the savepoint (POST /api/jobs/{id}/savepoints or
// /stop), polls its request until it ends, and shows the savepoint's path, or why it failed.
// The dialog lives outside #main, so the job page's redraw every 2 s leaves it alone.
import { api } from './api.js';
import { h, mount } from './dom.js';

const DIR_KEY = 'sluice.savepoint.dir';

// A path as a shell word: as it is when it is plain, else in single quotes.
const shellWord = (p) => (/^[\w/.,:@%+=-]+$/.test(p) ? p : "'" + p.replace(/'/g, "'\\''") + "'");

let current = null; // the open dialog: { el, stopped }

function close() {
  if (!current) return;
  current.stopped = true;
  current.el.close();
  current.el.remove();
  current = null;
}

async function suggestedDirectory() {
  const last = localStorage.getItem(DIR_KEY);
  if (last) return last;
  try {
    return (await api.ui()).savepoint_root || '';
  } catch {
    return '';
  }
}

// Opens the dialog for `job` ({id, name}); `stop`: stop the job after the savepoint.
export async function openSavepointDialog(job, stop) {
  close();
  const title = stop ? 'Stop with savepoint' : 'Trigger savepoint';
  const input = h('input', {
    id: 'savepoint-dir', type: 'text', size: 48, required: true, spellcheck: 'false',
    placeholder: '/absolute/path/to/savepoints', value: await suggestedDirectory(),
  });
  const status = h('div', { id: 'savepoint-status', role: 'status' });
  const go = h('button', { id: 'savepoint-go', type: 'submit', class: stop ? 'danger' : '' }, stop ? 'Stop job' : 'Take savepoint');
  const closeBtn = h('button', { id: 'savepoint-close', type: 'button', class: 'secondary', onclick: close }, 'Close');
  const form = h('form', { method: 'dialog' },
    h('h2', {}, title, ': ', h('span', {}, job.name || job.id)),
    h('p', { class: 'muted' }, stop
      ? 'The job writes a savepoint and then ends without draining its windows. Resume it later from the savepoint.'
      : 'The job writes a savepoint and goes on running.'),
    h('label', {}, 'Directory on the job\'s machine (made if missing) ', input),
    h('div', { class: 'toolbar' }, go, closeBtn),
    status);
  const el = h('dialog', { id: 'savepoint-dialog', class: 'savepoint-dialog' }, form);
  const state = { el, stopped: false };
  current = state;
  el.addEventListener('close', () => { if (current === state) close(); });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run(job, stop, input.value.trim(), state, { go, input, status });
  });
  document.body.append(el);
  el.showModal();
  input.focus();
}

async function run(job, stop, dir, state, { go, input, status }) {
  if (!dir.startsWith('/')) {
    mount(status, h('div', { class: 'error' }, 'Give an absolute directory, starting with /.'));
    return;
  }
  go.disabled = true;
  input.disabled = true;
  const started = Date.now();
  const progress = () => mount(status, h('p', { id: 'savepoint-progress' },
    'In progress… ', ((Date.now() - started) / 1000).toFixed(1), ' s'));
  progress();
  try {
    const request = await (stop ? api.stopJob(job.id, dir) : api.savepoint(job.id, dir));
    localStorage.setItem(DIR_KEY, dir);
    let result;
    for (;;) {
      if (state.stopped) return;
      result = await api.savepointStatus(job.id, request['request-id']);
      if (result.status !== 'IN_PROGRESS') break;
      progress();
      await new Promise((r) => setTimeout(r, 300));
    }
    if (state.stopped) return;
    if (result.status === 'COMPLETED') {
      mount(status,
        h('p', { class: 'ok', id: 'savepoint-done' }, stop ? 'Savepoint written and the job stopped:' : 'Savepoint written:'),
        h('code', { id: 'savepoint-path', class: 'path' }, result.location),
        h('p', { class: 'muted' }, 'Resume with: ',
          h('code', {}, `sluice run ${job.name || 'JOB'} --from-savepoint ${shellWord(result.location)}`)));
    } else {
      mount(status, h('div', { class: 'error', id: 'savepoint-failed' }, 'The savepoint failed: ', result.failure || 'no reason given'));
      go.disabled = false;
      input.disabled = false;
    }
  } catch (e) {
    if (state.stopped) return;
    mount(status, h('div', { class: 'error', id: 'savepoint-failed' }, e.message));
    go.disabled = false;
    input.disabled = false;
  }
}
