// Upload: the seeds' file-upload page. Drop or pick several files; each is POSTed on its
// own with a progress bar, and lands as one record in uploaded_documents, uploaded_videos
// or uploaded_images (by type), with its base64 content, MD5 and metadata.
import { api, uploadFile } from './api.js';
import { h, mount, bytes } from './dom.js';

export async function render(main) {
  let limit = null;
  try { limit = (await api.ui()).upload_limit_bytes; } catch { /* shown as unknown */ }
  const list = h('div', { id: 'upload-list' });
  const input = h('input', { type: 'file', multiple: true, id: 'file-input',
    onchange: () => { send([...input.files]); input.value = ''; } });
  const zone = h('div', { class: 'dropzone', id: 'dropzone' },
    h('p', {}, 'Drop files here, or ', h('label', {}, h('u', {}, 'choose files'), input)),
    h('p', { class: 'muted' }, `Documents, videos and images; at most ${limit ? bytes(limit) : '?'} each.`));
  input.style.display = 'none';
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    send([...e.dataTransfer.files]);
  });

  function send(files) {
    for (const file of files) {
      const bar = h('progress', { max: 1, value: 0 });
      const status = h('span', { class: 'muted' }, 'uploading…');
      list.prepend(h('div', { class: 'upload-row' },
        h('span', {}, h('b', {}, file.name), ' ', h('span', { class: 'muted' }, bytes(file.size))), bar, status));
      if (limit && file.size > limit) {
        status.textContent = `too large: the limit is ${bytes(limit)}`;
        status.className = 'lag-high';
        continue;
      }
      uploadFile(file, (p) => { bar.value = p; }).then((res) => {
        const r = res.uploaded[0];
        bar.value = 1;
        status.className = '';
        mount(status, 'in ', h('a', { href: '#/topics/' + encodeURIComponent(r.topic) }, r.topic),
          ` · md5 ${r.file_hash} · ${r.metadata.mime_type}`);
      }).catch((err) => {
        status.textContent = err.message;
        status.className = 'lag-high';
      });
    }
  }

  mount(main, h('h1', {}, 'Upload files'), zone, h('h2', {}, 'Uploads'), list);
}
