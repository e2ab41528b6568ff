// The job's end-to-end latency (Overview tab): the histogram of its sinks, as the JobsProvider
// gives it (src/web/jobs_provider.h "end_to_end_latency"): quantiles and a bar per bucket.
// A record's latency = the wall clock when a sink received it minus the record's timestamp
// (for a Kafka source, the Kafka record's timestamp: when it was produced).
import { h, s, num } from './dom.js';

function ms(v) {
  if (v === null || v === undefined) return '—';
  if (v >= 1000) return (v / 1000).toLocaleString('en-US') + ' s';
  return v + ' ms';
}

function bucketLabel(b) {
  return b.le_ms === null || b.le_ms === undefined ? '> last' : '≤ ' + ms(b.le_ms);
}

export function latencyView(lat) {
  if (!lat) return h('p', { class: 'muted', id: 'latency-summary' }, 'Not measured by this process.');
  const buckets = lat.buckets || [];
  const summary = lat.count
    ? `p50 ≤ ${ms(lat.p50_ms)} · p95 ≤ ${ms(lat.p95_ms)} · p99 ≤ ${ms(lat.p99_ms)} · mean ${lat.mean_ms == null ? '—' : lat.mean_ms.toFixed(1) + ' ms'} · ${num(lat.count)} records`
    : 'No record has reached a sink yet.';
  // Bars from the first to the last non-empty bucket (at least the first 8).
  let last = 7;
  buckets.forEach((b, i) => { if (b.count) last = Math.max(last, i); });
  const shown = buckets.slice(0, last + 1);
  const max = Math.max(1, ...shown.map((b) => b.count));
  const barW = 52, gap = 6, hgt = 90, top = 14, base = top + hgt;
  const width = Math.max(1, shown.length) * (barW + gap) + 10;
  const svg = s('svg', { class: 'chart', id: 'latency-histogram', width, height: base + 34, viewBox: `0 0 ${width} ${base + 34}` },
    s('line', { x1: 4, y1: base, x2: width - 4, y2: base, stroke: '#cbd5e1' }));
  shown.forEach((b, i) => {
    const x = 8 + i * (barW + gap);
    const bh = b.count ? Math.max(2, (b.count / max) * hgt) : 0;
    svg.append(s('rect', { class: 'bar', x, y: base - bh, width: barW, height: bh, style: 'fill:#2563eb', 'data-le': b.le_ms ?? 'inf', 'data-count': b.count }));
    if (b.count) svg.append(s('text', { x: x + 2, y: base - bh - 3 }, num(b.count)));
    svg.append(s('text', { x: x + 2, y: base + 14 }, bucketLabel(b)));
  });
  return [
    h('p', { id: 'latency-summary' }, summary),
    svg,
    h('p', { class: 'muted' }, 'Wall-clock time when a sink received a record minus the record\'s timestamp (for Kafka sources: the Kafka record\'s timestamp), over all of the job\'s sinks, since this run started.'),
  ];
}
