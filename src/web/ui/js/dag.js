// Draws a job's operator graph as a left-to-right DAG in SVG. Input: the "vertices" and
// "edges" of a job (see src/web/jobs_provider.h). Layers are the longest path from a
// source; within a layer nodes are ordered by the mean position of their inputs.
import { s, rate, time } from './dom.js';

const W = 250, H = 96, GAP_X = 110, GAP_Y = 28, PAD = 20;

export function layout(vertices, edges) {
  const ids = vertices.map((v) => String(v.id));
  const preds = new Map(ids.map((id) => [id, []]));
  for (const e of edges) if (preds.has(String(e.target)) && preds.has(String(e.source))) preds.get(String(e.target)).push(String(e.source));
  const layer = new Map();
  const visiting = new Set();
  const depth = (id) => {
    if (layer.has(id)) return layer.get(id);
    if (visiting.has(id)) return 0;  // a cycle: not a DAG, draw it anyway
    visiting.add(id);
    const d = Math.max(-1, ...preds.get(id).map(depth)) + 1;
    visiting.delete(id);
    layer.set(id, d);
    return d;
  };
  ids.forEach(depth);
  const layers = [];
  for (const id of ids) (layers[layer.get(id)] ||= []).push(id);
  const pos = new Map();
  layers.forEach((ids_, x) => {
    if (x > 0) {
      const mean = (id) => { const p = preds.get(id).map((q) => pos.get(q)?.row ?? 0); return p.length ? p.reduce((a, b) => a + b, 0) / p.length : 0; };
      ids_.sort((a, b) => mean(a) - mean(b));
    }
    ids_.forEach((id, row) => pos.set(id, { col: x, row }));
  });
  const rows = Math.max(1, ...layers.map((l) => l.length));
  for (const [id, p] of pos) {
    const inLayer = layers[p.col].length;
    const offset = ((rows - inLayer) * (H + GAP_Y)) / 2;
    p.x = PAD + p.col * (W + GAP_X);
    p.y = PAD + offset + p.row * (H + GAP_Y);
  }
  return { pos, width: PAD * 2 + layers.length * W + (layers.length - 1) * GAP_X,
           height: PAD * 2 + rows * H + (rows - 1) * GAP_Y };
}

function clip(text, n) { text = String(text ?? ''); return text.length > n ? text.slice(0, n - 1) + '…' : text; }

export function drawDag(vertices, edges) {
  const { pos, width, height } = layout(vertices, edges);
  const svg = s('svg', { class: 'dag', id: 'job-dag', width, height, viewBox: `0 0 ${width} ${height}` },
    s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse' },
      s('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#64748b' }))));
  for (const e of edges) {
    const a = pos.get(String(e.source)), b = pos.get(String(e.target));
    if (!a || !b) continue;
    const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2, mx = (x1 + x2) / 2;
    svg.append(s('path', { class: 'edge', d: `M ${x1} ${y1} C ${mx} ${y1}, ${mx} ${y2}, ${x2} ${y2}`, 'marker-end': 'url(#arrow)' }));
    if (e.ship_strategy) svg.append(s('text', { class: 'edge-label', x: mx, y: (y1 + y2) / 2 - 4, 'text-anchor': 'middle' }, e.ship_strategy));
  }
  for (const v of vertices) {
    const p = pos.get(String(v.id));
    const bp = Number(v.backpressure || 0);
    const wm = v.watermark_ms === null || v.watermark_ms === undefined ? '—' : time(v.watermark_ms).slice(11, 19);
    svg.append(s('g', { class: 'node' + (bp > 0.5 ? ' bp' : ''), 'data-vertex': v.id, transform: `translate(${p.x},${p.y})` },
      s('title', {}, v.name),
      s('rect', { width: W, height: H, rx: 6 }),
      s('text', { class: 'title', x: 10, y: 20 }, clip(v.name, 30)),
      s('text', { x: 10, y: 40 }, `parallelism ${v.parallelism ?? '—'} · ${v.status ?? ''}`),
      s('text', { x: 10, y: 58 }, `in ${rate(v.records_in_per_second)} · out ${rate(v.records_out_per_second)}`),
      s('text', { x: 10, y: 76 }, `watermark ${wm}` + (bp > 0 ? ` · backpressure ${(bp * 100).toFixed(0)}%` : ''))));
  }
  return svg;
}
