// Throughput over the last minutes, kept across page visits: the pages that poll (overview,
// a job) hand each answer of /api/jobs, /api/jobs/{id} and /api/cluster to sample*(), which
// turn running totals into per-second rates. The charts read the series back.
import { duration } from './dom.js';

const KEEP = 150;  // samples: 5 minutes at one every 2 s

function rateOf(history, total, now) {
  if (total === null || total === undefined) return;
  if (history.last && now - history.last.t >= 500) {
    const dt = (now - history.last.t) / 1000;
    history.samples.push(Math.max(0, (total - history.last.total) / dt));
    history.times.push(now);
    if (history.samples.length > KEEP) { history.samples.shift(); history.times.shift(); }
  }
  if (!history.last || now - history.last.t >= 500) history.last = { t: now, total };
}

const jobs = new Map();  // job id -> {name, last, samples, times}
const broker = { in: { samples: [], times: [] }, out: { samples: [], times: [] }, known: null };

function jobHistory(id, name) {
  if (!jobs.has(id)) jobs.set(id, { name, last: null, samples: [], times: [] });
  const j = jobs.get(id);
  if (name) j.name = name;
  return j;
}

// A /api/jobs answer, or one job of /api/jobs/{id}.
export function sampleJobs(list, now = Date.now()) {
  for (const j of list) rateOf(jobHistory(j.id, j.name || j.id), j.records_read, now);
}

export function sampleBroker(cluster, now = Date.now()) {
  broker.known = cluster.broker_bytes_in_total !== null && cluster.broker_bytes_in_total !== undefined;
  if (!broker.known) return;
  rateOf(broker.in, cluster.broker_bytes_in_total, now);
  rateOf(broker.out, cluster.broker_bytes_out_total, now);
}

// Records read per second, one series per job (all jobs, or the ids given).
export function jobSeries(ids = null) {
  return [...jobs.entries()].filter(([id]) => !ids || ids.includes(id))
    .map(([, j]) => ({ name: j.name, samples: j.samples }));
}

// Bytes in/out per second of the broker in this process; null when it runs elsewhere.
export function brokerSeries() {
  if (!broker.known) return null;
  return [{ name: 'bytes in', samples: broker.in.samples }, { name: 'bytes out', samples: broker.out.samples }];
}

// "last 2m 10s" for the span the series cover.
export function spanLabel(series) {
  let times = [];
  for (const h of [...jobs.values(), broker.in, broker.out]) if (series.some((x) => x.samples === h.samples)) times = times.concat(h.times);
  if (times.length < 2) return 'collecting…';
  return 'last ' + duration(Math.max(...times) - Math.min(...times));
}
