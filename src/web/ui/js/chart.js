// A small line chart in SVG: the last N samples of one series (e.g. records/s).
import { s, rate } from './dom.js';

export function lineChart(samples, { width = 560, height = 140, label = '' } = {}) {
  const pad = { l: 56, r: 10, t: 14, b: 20 };
  const max = Math.max(1, ...samples);
  const w = width - pad.l - pad.r, hgt = height - pad.t - pad.b;
  const n = Math.max(samples.length - 1, 1);
  const points = samples.map((v, i) =>
    `${(pad.l + (i / n) * w).toFixed(1)},${(pad.t + hgt - (v / max) * hgt).toFixed(1)}`).join(' ');
  return s('svg', { class: 'chart', width, height, viewBox: `0 0 ${width} ${height}` },
    s('line', { x1: pad.l, y1: pad.t + hgt, x2: pad.l + w, y2: pad.t + hgt, stroke: '#cbd5e1' }),
    s('text', { x: 4, y: pad.t + 4 }, rate(max)),
    s('text', { x: 4, y: pad.t + hgt }, '0/s'),
    s('text', { x: pad.l, y: height - 4 }, label),
    samples.length > 1 ? s('polyline', { points }) : null);
}
