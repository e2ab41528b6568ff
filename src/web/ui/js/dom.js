// DOM helpers. Every piece of data reaches the page as a text node or an attribute value
// set through the DOM, never as HTML: h() turns strings into text nodes, so a record value
// of "<script>" is shown, not run.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// h('a', {href: '#/x'}, 'text', child, [more]) -> an element.
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

// The same for SVG elements.
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function mount(parent, ...children) {
  parent.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined));
}

export const dash = '—';

export function num(n) {
  if (n === null || n === undefined) return dash;
  return Number(n).toLocaleString('en-US');
}

export function rate(n) {
  if (n === null || n === undefined) return dash;
  const v = Number(n);
  if (v >= 1e6) return (v / 1e6).toFixed(1) + 'M/s';
  if (v >= 1e3) return (v / 1e3).toFixed(1) + 'k/s';
  return v.toFixed(v < 10 ? 1 : 0) + '/s';
}

export function bytes(n) {
  if (n === null || n === undefined) return dash;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Number(n), i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return (i ? v.toFixed(1) : v) + ' ' + units[i];
}

export function time(ms) {
  if (ms === null || ms === undefined || ms < 0) return dash;
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC');
}

export function duration(ms) {
  if (ms === null || ms === undefined) return dash;
  const s = Math.floor(ms / 1000);
  if (s < 60) return s + 's';
  if (s < 3600) return Math.floor(s / 60) + 'm ' + (s % 60) + 's';
  return Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm';
}

export function badge(text) {
  return h('span', { class: 'badge ' + String(text || '').replace(/[^A-Za-z]/g, '') }, text || dash);
}

export function errorBox(err) {
  return h('div', { class: 'error' }, String(err && err.message ? err.message : err));
}

let toastTimer = null;
export function toast(text) {
  const el = document.getElementById('toast');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 4000);
}
