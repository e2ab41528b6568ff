// The dashboard's router: #/page/arg?query -> one page module's render(main, route).
// A page may return a function that stops its timers when the page is left.
import { api, setToken, takeTokenFromLocation, token } from './api.js';
import { errorBox, mount, toast } from './dom.js';
import * as overview from './overview.js';
import * as topics from './topics.js';
import * as groups from './groups.js';
import * as jobs from './jobs.js';
import * as upload from './upload.js';

const pages = { '': overview, jobs, topics, groups, upload };
let leave = null;

function parseRoute() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = hash.split('?');
  const parts = path.split('/').map(decodeURIComponent);
  return { page: parts[0] || '', arg: parts.length > 1 ? parts.slice(1).join('/') : null,
           query: new URLSearchParams(query) };
}

async function show() {
  if (leave) { leave(); leave = null; }
  takeTokenFromLocation();  // a #token= link opened in a tab that is already here
  const route = parseRoute();
  const module = pages[route.page];
  // Each page renders into a fresh element: a redraw still in flight from the page we left
  // (its timer's last fetch) then lands in the detached old one instead of over this page.
  const old = document.getElementById('main');
  const main = old.cloneNode(false);
  old.replaceWith(main);
  for (const a of document.querySelectorAll('nav.side a[data-page]'))
    a.classList.toggle('active', a.dataset.page === (route.page || 'overview'));
  if (!module) { mount(main, errorBox('No page ' + route.page)); return; }
  try {
    leave = (await module.render(main, route)) || null;
  } catch (e) {
    mount(main, errorBox(e));
  }
}

function showTokenForm(ui) {
  const form = document.getElementById('token-form');
  form.hidden = !ui.token_required;
  document.getElementById('token-input').value = token();
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    setToken(document.getElementById('token-input').value.trim());
    toast('token saved for this tab');
  });
  document.addEventListener('sluice-unauthorized', () => {
    form.hidden = false;
    toast('this needs the dashboard token (--ui-token): enter it at the top right');
  });
}

async function start() {
  takeTokenFromLocation();
  window.addEventListener('hashchange', show);
  try {
    const ui = await api.ui();
    document.getElementById('cluster').textContent = 'Kafka at ' + ui.bootstrap_servers;
    showTokenForm(ui);
  } catch (e) {
    document.getElementById('cluster').textContent = 'dashboard API unreachable';
  }
  await show();
}

start();
