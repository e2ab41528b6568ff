// The dashboard's JSON API, with the bearer token (when one is set) on calls that change
// something. The token comes from the URL the server printed (#token=...), or the token
// field in the header; it is kept in sessionStorage for this tab only.

const TOKEN_KEY = 'sluice.ui.token';

export function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }
export function setToken(t) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t); else sessionStorage.removeItem(TOKEN_KEY);
}

// Picks a token out of "#token=abc" once, at start-up.
export function takeTokenFromLocation() {
  const m = location.hash.match(/^#token=([^&]*)/);
  if (!m) return;
  setToken(decodeURIComponent(m[1]));
  history.replaceState(null, '', location.pathname + '#/');
}

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function call(method, path, body) {
  const headers = {};
  if (method !== 'GET' && token()) headers['Authorization'] = 'Bearer ' + token();
  let payload;
  if (body !== undefined) { headers['Content-Type'] = 'application/json'; payload = JSON.stringify(body); }
  const res = await fetch(path, { method, headers, body: payload });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { error: text }; }
  if (!res.ok) {
    if (res.status === 401) document.dispatchEvent(new CustomEvent('sluice-unauthorized'));
    throw new ApiError(res.status, (data && data.error) || `HTTP ${res.status}`);
  }
  return data;
}

export const api = {
  ui: () => call('GET', '/api/ui'),
  cluster: () => call('GET', '/api/cluster'),
  topics: () => call('GET', '/api/topics'),
  topic: (name) => call('GET', '/api/topics/' + encodeURIComponent(name)),
  createTopic: (spec) => call('POST', '/api/topics', spec),
  deleteTopic: (name) => call('DELETE', '/api/topics/' + encodeURIComponent(name)),
  messages: (name, params) =>
    call('GET', '/api/topics/' + encodeURIComponent(name) + '/messages?' + new URLSearchParams(params)),
  groups: () => call('GET', '/api/groups'),
  group: (id) => call('GET', '/api/groups/' + encodeURIComponent(id)),
  jobs: () => call('GET', '/api/jobs'),
  job: (id) => call('GET', '/api/jobs/' + encodeURIComponent(id)),
  cancelJob: (id) => call('POST', '/api/jobs/' + encodeURIComponent(id) + '/cancel'),
  checkpoints: (id) => call('GET', '/api/jobs/' + encodeURIComponent(id) + '/checkpoints'),
  // Savepoints answer at once with {"request-id"}; savepointStatus tells how it went.
  savepoint: (id, dir) => call('POST', '/api/jobs/' + encodeURIComponent(id) + '/savepoints', { 'target-directory': dir }),
  stopJob: (id, dir) => call('POST', '/api/jobs/' + encodeURIComponent(id) + '/stop', { 'target-directory': dir }),
  savepointStatus: (id, request) =>
    call('GET', '/api/jobs/' + encodeURIComponent(id) + '/savepoints/' + encodeURIComponent(request)),
};

// Uploads one file with XMLHttpRequest (fetch has no upload progress). onProgress(0..1).
export function uploadFile(file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/upload');
    if (token()) xhr.setRequestHeader('Authorization', 'Bearer ' + token());
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { data = { error: xhr.responseText }; }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else {
        if (xhr.status === 401) document.dispatchEvent(new CustomEvent('sluice-unauthorized'));
        reject(new ApiError(xhr.status, (data && data.error) || `HTTP ${xhr.status}`));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'the upload did not reach the server'));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}
