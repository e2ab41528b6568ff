// Small line charts in SVG, no library: the last N samples of one or more series (records/s
// per job, broker bytes in/out per second). A series is {name, samples: [number], color};
// a plain array of numbers is one unnamed series. `format` renders the axis values.
import { s, rate } from './dom.js';

const COLORS = ['#2563eb', '#16a34a', '#ea580c', '#9333ea', '#0891b2', '#be123c'];

export function lineChart(series, { width = 560, height = 140, label = '', format = rate, id } = {}) {
  if (series.length === 0 || typeof series[0] === 'number') series = [{ name: '', samples: series }];
  const pad = { l: 64, r: 10, t: 14, b: 20 };
  const all = series.flatMap((x) => x.samples);
  const max = Math.max(1, ...all);
  const w = width - pad.l - pad.r, hgt = height - pad.t - pad.b;
  const longest = Math.max(0, ...series.map((x) => x.samples.length));
  const n = Math.max(longest - 1, 1);
  const legend = series.filter((x) => x.name);
  const svg = s('svg', { class: 'chart', width, height: height + (legend.length ? 18 : 0), id,
                         viewBox: `0 0 ${width} ${height + (legend.length ? 18 : 0)}` },
    s('line', { x1: pad.l, y1: pad.t + hgt, x2: pad.l + w, y2: pad.t + hgt, stroke: '#cbd5e1' }),
    s('line', { x1: pad.l, y1: pad.t, x2: pad.l + w, y2: pad.t, stroke: '#eef0f4' }),
    s('text', { x: 4, y: pad.t + 4 }, format(max)),
    s('text', { x: 4, y: pad.t + hgt }, format(0)),
    s('text', { x: pad.l, y: height - 4 }, label));
  series.forEach((x, i) => {
    const color = x.color || COLORS[i % COLORS.length];
    // Right-aligned: the newest sample of every series at the right edge.
    const offset = longest - x.samples.length;
    const points = x.samples.map((v, j) =>
      `${(pad.l + ((j + offset) / n) * w).toFixed(1)},${(pad.t + hgt - (v / max) * hgt).toFixed(1)}`).join(' ');
    if (x.samples.length > 1) svg.append(s('polyline', { points, style: 'stroke:' + color, 'data-series': x.name }));
  });
  let lx = pad.l;
  for (const x of legend) {
    const color = x.color || COLORS[series.indexOf(x) % COLORS.length];
    const last = x.samples.length ? format(x.samples[x.samples.length - 1]) : '—';
    svg.append(s('rect', { x: lx, y: height + 4, width: 10, height: 10, style: 'fill:' + color }));
    const text = `${x.name}: ${last}`;
    svg.append(s('text', { class: 'legend', x: lx + 14, y: height + 13 }, text));
    lx += 24 + text.length * 6.5;
  }
  return svg;
}
