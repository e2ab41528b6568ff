// Topics: the list (partitions, offsets, records) with create and delete, and one topic's
// partitions, configs and message browser (#/topics/NAME?partition=&offset=&limit=).
import { api } from './api.js';
import { h, mount, num, time, bytes, errorBox, toast } from './dom.js';

export async function render(main, route) {
  if (route.arg) return renderTopic(main, route.arg, route.query);
  const data = await api.topics();
  const showInternal = route.query.get('internal') === '1';
  const rows = data.topics.filter((t) => showInternal || !t.internal).map((t) => {
    const low = t.partitions.reduce((a, p) => a + (p.low || 0), 0);
    const high = t.partitions.reduce((a, p) => a + (p.high || 0), 0);
    return h('tr', {},
      h('td', {}, h('a', { href: '#/topics/' + encodeURIComponent(t.name) }, t.name)),
      h('td', { class: 'num' }, t.partition_count),
      h('td', { class: 'num' }, num(low)),
      h('td', { class: 'num' }, num(high)),
      h('td', { class: 'num' }, num(t.records)),
      h('td', { class: 'num size', title: t.size_bytes === null ? 'the broker does not tell (DescribeLogDirs)' : num(t.size_bytes) + ' bytes' }, bytes(t.size_bytes)),
      h('td', {}, t.error ? h('span', { class: 'lag-high' }, t.error) : ''),
      h('td', {}, h('button', { class: 'danger', onclick: () => removeTopic(t.name) }, 'Delete')));
  });
  const form = h('form', { class: 'inline', onsubmit: createTopic },
    h('label', {}, 'name', h('input', { name: 'name', required: true, pattern: '[a-zA-Z0-9._-]+', placeholder: 'my-topic' })),
    h('label', {}, 'partitions', h('input', { name: 'partitions', type: 'number', min: 1, value: 1, size: 4 })),
    h('label', {}, 'configs (k=v, comma-separated)', h('input', { name: 'configs', size: 36, placeholder: 'retention.ms=86400000' })),
    h('button', { type: 'submit' }, 'Create topic'));
  mount(main,
    h('h1', {}, 'Topics'),
    h('div', { class: 'panel' }, form),
    h('div', { class: 'toolbar' },
      h('a', { href: showInternal ? '#/topics' : '#/topics?internal=1' }, showInternal ? 'hide internal topics' : 'show internal topics')),
    h('table', { id: 'topics-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Topic'), h('th', { class: 'num' }, 'Partitions'),
        h('th', { class: 'num' }, 'Low offsets'), h('th', { class: 'num' }, 'High offsets'),
        h('th', { class: 'num' }, 'Records'), h('th', { class: 'num' }, 'Size on disk'), h('th', {}, ''), h('th', {}, ''))),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No topics yet.')))));
}

async function createTopic(e) {
  e.preventDefault();
  const f = new FormData(e.target);
  const configs = {};
  for (const kv of String(f.get('configs') || '').split(',').map((x) => x.trim()).filter(Boolean)) {
    const i = kv.indexOf('=');
    if (i > 0) configs[kv.slice(0, i).trim()] = kv.slice(i + 1).trim();
  }
  try {
    await api.createTopic({ name: f.get('name'), partitions: Number(f.get('partitions') || 1), configs });
    toast('created topic ' + f.get('name'));
    location.hash = '#/topics/' + encodeURIComponent(f.get('name'));
  } catch (err) { toast(err.message); }
}

async function removeTopic(name) {
  if (!confirm(`Delete topic ${name} and all its records?`)) return;
  try {
    await api.deleteTopic(name);
    toast('deleted topic ' + name);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } catch (err) { toast(err.message); }
}

async function renderTopic(main, name, query) {
  const topic = await api.topic(name);
  const partition = Number(query.get('partition') || 0);
  const params = { partition, limit: query.get('limit') || 20 };
  if (query.get('offset') !== null) params.offset = query.get('offset');
  if (query.get('timestamp') !== null) params.timestamp = query.get('timestamp');
  if (query.get('from') === 'beginning') params.from = 'beginning';
  const link = (p) => '#/topics/' + encodeURIComponent(name) + '?' +
    new URLSearchParams(Object.fromEntries(Object.entries({ partition, limit: params.limit, ...p }).filter(([, v]) => v !== undefined)));

  let page, pageError = null;
  try { page = await api.messages(name, params); } catch (e) { pageError = e; }

  const partitions = h('table', { id: 'partitions-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Partition'), h('th', {}, 'Leader'), h('th', {}, 'Replicas'),
      h('th', {}, 'ISR'), h('th', { class: 'num' }, 'Low'), h('th', { class: 'num' }, 'High'), h('th', { class: 'num' }, 'Records'),
      h('th', { class: 'num' }, 'Size on disk'))),
    h('tbody', {}, topic.partitions.map((p) => h('tr', {},
      h('td', {}, h('a', { href: link({ partition: p.id }) }, p.id)), h('td', {}, p.leader),
      h('td', {}, p.replicas.join(', ')), h('td', {}, p.isr.join(', ')),
      h('td', { class: 'num' }, num(p.low)), h('td', { class: 'num' }, num(p.high)),
      h('td', { class: 'num' }, num(p.high - p.low)), h('td', { class: 'num size' }, bytes(p.size_bytes))))));

  const overrides = topic.configs.filter((c) => !c.default);
  const configs = h('details', {},
    h('summary', {}, `Configs (${overrides.length} set on the topic, ${topic.configs.length} in all)`),
    h('table', {}, h('tbody', {}, topic.configs.map((c) => h('tr', {},
      h('td', {}, c.default ? c.name : h('b', {}, c.name)), h('td', {}, c.value === null ? '—' : c.value),
      h('td', { class: 'muted' }, c.default ? 'default' : 'set on topic'))))));

  const seek = h('form', { class: 'inline', id: 'seek-form', onsubmit: (e) => {
      e.preventDefault();
      const f = new FormData(e.target);
      const p = { partition: f.get('partition'), limit: f.get('limit') };
      if (f.get('offset')) p.offset = f.get('offset');
      else if (f.get('time')) p.timestamp = Date.parse(f.get('time') + 'Z');
      location.hash = link(p);
    } },
    h('label', {}, 'partition', h('select', { name: 'partition' },
      topic.partitions.map((p) => h('option', { value: p.id, selected: p.id === partition }, p.id)))),
    h('label', {}, 'offset', h('input', { name: 'offset', type: 'number', min: 0, size: 8, value: query.get('offset') || '' })),
    h('label', {}, 'or time (UTC)', h('input', { name: 'time', type: 'datetime-local', step: 1 })),
    h('label', {}, 'page size', h('select', { name: 'limit' },
      [10, 20, 50, 100, 200].map((n) => h('option', { value: n, selected: String(n) === String(params.limit) }, n)))),
    h('button', { type: 'submit' }, 'Go'));

  let browser;
  if (pageError) browser = errorBox(pageError);
  else {
    const nav = h('div', { class: 'toolbar' },
      h('a', { href: link({ from: 'beginning' }) }, '⏮ oldest'),
      h('a', { href: link({ offset: page.prev_offset }) }, '◀ older'),
      h('a', { href: link({ offset: page.next_offset }) }, 'newer ▶'),
      h('a', { href: link({}) }, 'newest ⏭'),
      h('span', { class: 'muted' }, `offsets ${page.start}..${page.next_offset - 1} of ${page.low}..${page.high - 1} in partition ${page.partition}`));
    browser = h('div', { id: 'messages' }, nav,
      page.messages.length ? page.messages.map(messageCard) : h('p', { class: 'muted' }, 'No records here.'));
  }

  mount(main,
    h('h1', {}, 'Topic ', h('span', { id: 'topic-name' }, name)),
    h('div', { class: 'toolbar' }, h('a', { href: '#/topics' }, '← all topics'),
      h('span', { class: 'muted' }, 'size on disk ', h('b', { id: 'topic-size' }, bytes(topic.size_bytes)),
        topic.size_bytes === null ? ' (the broker does not tell: DescribeLogDirs)' : '')),
    partitions, h('div', { class: 'panel' }, configs),
    h('h2', {}, 'Messages'), h('div', { class: 'panel' }, seek), browser);
}

// Text for a key, value or header value: JSON pretty-printed, text as is, binary as base64.
function shown(obj, field) {
  const v = obj[field];
  if (v === null || v === undefined) return { text: 'null', note: '' };
  const enc = obj[field + '_encoding'];
  const cut = obj[field + '_truncated'] ? ` (first ${bytes(v.length)} of ${bytes(obj[field + '_size'])})` : '';
  if (enc === 'base64') return { text: v, note: `binary, ${bytes(obj[field + '_size'])}, base64${cut}` };
  if (!cut && /^\s*[\[{"]/.test(v)) {
    try { return { text: JSON.stringify(JSON.parse(v), null, 2), note: 'JSON' }; } catch { /* not JSON */ }
  }
  return { text: v, note: cut ? 'text' + cut : '' };
}

function messageCard(m) {
  const key = shown(m, 'key'), value = shown(m, 'value');
  return h('div', { class: 'message', 'data-offset': m.offset },
    h('div', { class: 'meta' },
      h('span', {}, 'offset ', h('b', {}, m.offset)),
      h('span', {}, 'partition ', h('b', {}, m.partition)),
      h('span', {}, 'time ', h('b', {}, time(m.timestamp_ms)), ` (${m.timestamp_type})`),
      h('span', {}, 'key ', h('b', { class: 'key' }, key.text)),
      value.note ? h('span', {}, value.note) : null),
    m.headers.length ? h('div', { class: 'headers' }, 'headers: ',
      m.headers.map((hd, i) => h('span', {}, i ? ', ' : '', h('b', {}, hd.key), '=', shown(hd, 'value').text))) : null,
    h('pre', { class: 'value' }, value.text));
}
