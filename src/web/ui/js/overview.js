// Overview: the cluster, counts of topics/groups/jobs, and live charts over the last
// minutes: records written per second across all topics (from the topics' high offsets),
// records read per second by each job, and the broker's bytes in/out per second.
import { api } from './api.js';
import { h, mount, num, bytes, errorBox } from './dom.js';
import { lineChart } from './chart.js';
import { sampleJobs, sampleBroker, jobSeries, brokerSeries, spanLabel } from './throughput.js';

const history = [];  // records/s samples, kept across visits
let last = null;

function total(topics) {
  return topics.reduce((sum, t) => sum + t.partitions.reduce((a, p) => a + (p.high || 0), 0), 0);
}

export async function render(main) {
  const draw = async () => {
    let cluster, topics, groups, jobs;
    try {
      [cluster, topics, groups, jobs] = await Promise.all([api.cluster(), api.topics(), api.groups(), api.jobs()]);
    } catch (e) { mount(main, h('h1', {}, 'Overview'), errorBox(e)); return; }
    const now = Date.now(), written = total(topics.topics);
    if (last) history.push(Math.max(0, (written - last.written) / ((now - last.now) / 1000)));
    if (history.length > 150) history.shift();
    sampleJobs(jobs.jobs, now);
    sampleBroker(cluster, now);
    const perJob = jobSeries(), traffic = brokerSeries();
    last = { now, written };
    const lag = groups.groups.reduce((a, g) => a + (g.lag || 0), 0);
    mount(main,
      h('h1', {}, 'Overview'),
      h('div', { class: 'cards' },
        card('Brokers', cluster.brokers.length, cluster.brokers.map((b) => `${b.host}:${b.port}`).join(', ')),
        card('Topics', topics.topics.filter((t) => !t.internal).length, num(written) + ' records written'),
        card('Consumer groups', groups.groups.length, 'total lag ' + num(lag)),
        card('Jobs', jobs.jobs.length, jobs.available ? 'from the engine' : 'no engine in this process')),
      h('div', { class: 'charts' },
        h('div', {}, h('h2', {}, 'Records written per second, all topics'),
          lineChart(history, { label: 'last ' + history.length * 2 + ' s', id: 'chart-written' })),
        h('div', {}, h('h2', {}, 'Records read per second, per job'),
          perJob.length ? lineChart(perJob, { label: spanLabel(perJob), id: 'chart-jobs' })
            : h('p', { class: 'muted' }, 'No jobs in this process.')),
        h('div', {}, h('h2', {}, 'Broker bytes in / out per second'),
          traffic ? lineChart(traffic, { label: spanLabel(traffic), id: 'chart-broker', format: (v) => bytes(Math.round(v)) + '/s' })
            : h('p', { class: 'muted', id: 'chart-broker-unknown' },
              'The broker runs in another process: its traffic is on its own dashboard and /metrics (Kafka has no API for it).'))));
  };
  await draw();
  const timer = setInterval(draw, 2000);
  return () => clearInterval(timer);
}

function card(title, big, sub) {
  return h('div', { class: 'card' }, h('div', { class: 'muted' }, title), h('div', { class: 'big' }, num(big)),
    h('div', { class: 'muted' }, sub));
}
