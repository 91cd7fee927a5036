// The submit page (/submit): contest, title and tags, then a PNG upload (with a
// progress bar and a size check before sending) or a level from the tile editor.
// upload.begin → binary frames → upload.commit (SPEC §4); errors show at their field.
import { api } from './api.js';
import { h, clear, link, errText, params, signInButton, formField as field, parseTags } from './dom.js';
import { contests } from './gallery.js';
import { levelEditor } from './editor.js';
import { sha256Hex } from './sha256.js';
import { drawMockup } from './mockup.js';

// SPEC §3 limits, unless hello reports others.
const MAX_BYTES = { artwork: 16 << 20, level: 1 << 20 };
const CHUNK = 60000;            // bytes per binary frame
const HIGH_WATER = 1 << 20;     // bytes left in the socket's buffer before we wait
const PNG_SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function limitFor(kind) {
  const l = api.limits || {};
  return (l.upload_bytes && l.upload_bytes[kind]) || l[`${kind}_bytes`] || MAX_BYTES[kind];
}

function fmtBytes(n) {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${Math.round(n / 1024)} KiB` : `${n} bytes`;
}

export function submitPage() {
  const el = h('section.submit', h('h1', 'Submit a design'));
  if (!api.account) {
    el.append(h('p', 'Sign in to submit a design. Browsing and the galleries need no account.'), signInButton('Sign in to submit'));
    return { el };
  }
  const contestSel = field('s-contest', 'Contest', h('select', { name: 'contest' }));
  const title = field('s-title', 'Title', h('input', { name: 'title', required: true, maxlength: 80, autocomplete: 'off' }), '1–80 characters.');
  const tags = field('s-tags', 'Tags', h('input', { name: 'tags', autocomplete: 'off', placeholder: 'e.g. retro space' }),
    'Up to 8, separated by spaces or commas: a–z, 0–9 and -, 24 characters each.');
  const kindArt = h('input', { type: 'radio', name: 'kind', id: 's-kind-artwork', value: 'artwork', checked: true });
  const kindLevel = h('input', { type: 'radio', name: 'kind', id: 's-kind-level', value: 'level' });
  const kindBox = h('fieldset.kinds', h('legend', 'What are you submitting?'),
    h('label', { for: 's-kind-artwork' }, kindArt, ' T-shirt artwork (PNG)'),
    h('label', { for: 's-kind-level' }, kindLevel, ' Game level'));
  const file = field('s-file', 'PNG file', h('input', { type: 'file', name: 'file', accept: 'image/png' }),
    `PNG, 64–6000 pixels a side, at most ${fmtBytes(MAX_BYTES.artwork)}.`);
  const preview = h('canvas.preview', { role: 'img', 'aria-label': 'Preview of the chosen file on the shirt', hidden: true, 'data-testid': 'mockup' });
  const previewBox = h('figure.preview-box', { hidden: true }, preview,
    h('figcaption.help', 'A preview on the shirt: the gallery shows the server’s own thumbnail.'));
  const artBox = h('div.art', file.el, previewBox);
  // SPEC §7: a contest's terms, accepted at upload (accept_terms: their version).
  const termsText = h('div.terms-text', { tabindex: 0, id: 's-terms-text', role: 'region', 'aria-label': 'The contest’s terms' });
  const termsCheck = h('input', { type: 'checkbox', id: 's-terms', 'aria-describedby': 's-terms-err' });
  const termsErr = h('p.field-error', { id: 's-terms-err', role: 'alert' });
  const termsBox = h('fieldset.terms', { hidden: true }, h('legend', 'The contest’s terms'), termsText,
    h('label', { for: 's-terms' }, termsCheck, ' ', h('span', { 'data-testid': 'terms-label' })), termsErr);
  const editor = levelEditor();
  const levelBox = h('div.level', { hidden: true }, editor.el);
  const progress = h('progress', { max: 100, value: 0, hidden: true, 'aria-label': 'Upload progress', 'data-testid': 'progress' });
  const formErr = h('p.field-error', { role: 'alert', 'data-testid': 'form-error' });
  const done = h('div.done', { role: 'status', 'data-testid': 'done' });
  const submitBtn = h('button', { type: 'submit' }, 'Submit');
  const form = h('form.submit-form', { novalidate: true },
    contestSel.el, kindBox, title.el, tags.el, artBox, levelBox, termsBox, progress, formErr, submitBtn, done);
  const chosen = () => contestList.find((x) => x.id === contestSel.input.value) || null;
  function syncTerms() {
    const t = (chosen() || {}).terms;
    termsBox.hidden = !t;
    termsCheck.checked = false;
    termsErr.textContent = '';
    if (!t) return;
    termsText.textContent = t.text;
    form.querySelector('[data-testid=terms-label]').textContent = `I have read and accept these terms (version ${t.version})`;
  }
  el.append(form);

  let contestList = [];
  const kind = () => (kindLevel.checked ? 'level' : 'artwork');
  function syncKind() {
    const c = chosen();
    const fixed = c && c.kind !== 'any' ? c.kind : null;
    if (fixed) (fixed === 'level' ? kindLevel : kindArt).checked = true;
    kindArt.disabled = fixed === 'level';
    kindLevel.disabled = fixed === 'artwork';
    artBox.hidden = kind() !== 'artwork';
    levelBox.hidden = kind() !== 'level';
  }
  kindArt.addEventListener('change', syncKind);
  kindLevel.addEventListener('change', syncKind);
  contestSel.input.addEventListener('change', () => { syncKind(); syncTerms(); });
  const wanted = params().get('contest') || 'open';
  contests(true).then((list) => {
    contestList = list.filter((c) => c.phase === 'submissions');
    clear(contestSel.input, contestList.map((c) => h('option', { value: c.id, selected: c.id === wanted }, `${c.title}${c.kind !== 'any' ? ` (${c.kind})` : ''}`)));
    if (params().get('kind') === 'level') kindLevel.checked = true;
    syncKind();
    syncTerms();
  }).catch((e) => { contestSel.err.textContent = errText(e); });

  file.input.addEventListener('change', () => {
    file.err.textContent = '';
    const f = file.input.files[0];
    previewBox.hidden = true;
    if (!f) return;
    if (f.size > limitFor('artwork')) { file.err.textContent = `This file is ${fmtBytes(f.size)}: the limit is ${fmtBytes(limitFor('artwork'))}.`; return; }
    const img = new Image();
    const url = URL.createObjectURL(f);
    img.onload = () => { URL.revokeObjectURL(url); drawMockup(preview, img); preview.hidden = false; previewBox.hidden = false; };
    img.onerror = () => URL.revokeObjectURL(url); // not an image: the checks at Submit say so
    img.src = url;
  });

  function clearErrors() {
    for (const f of [contestSel, title, tags, file]) f.err.textContent = '';
    formErr.textContent = termsErr.textContent = '';
    editor.clearError();
  }

  // Shows e at the field it names; returns that field's input (for focus) or null.
  function showError(e) {
    const d = e.detail || {};
    const at = { title, tags, contest: contestSel, kind: contestSel };
    if (e.code === 'invalid_design' || e.code === 'too_large' || d.field === 'bytes' || d.field === 'sha256') {
      if (kind() === 'level') { editor.showError(e); return editor; }
      file.err.textContent = e.code === 'too_large' && d.limit ? `Too large: the limit is ${fmtBytes(d.limit)}.` : errText(e);
      return file.input;
    }
    if (d.field === 'accept_terms') { termsErr.textContent = 'The terms changed or were not accepted: read them and tick the box.'; return termsCheck; }
    if (e.code === 'conflict' && d.design) { // SPEC §7: the same creator's bytes, same contest
      clear(formErr, 'You have already entered this file in this contest: ', link(`/design/${d.design}`, 'see your design'), '.');
      return formErr.querySelector('a');
    }
    if (e.code === 'conflict' && d.rule === 'duplicate') {
      formErr.textContent = 'Another creator has already uploaded this exact file, so it cannot be entered again.';
      return kind() === 'level' ? null : file.input;
    }
    const f = at[d.field];
    if (f) { f.err.textContent = errText(e); return f.input; }
    formErr.textContent = errText(e);
    return null;
  }

  async function send(bytes, onProgress) {
    const total = bytes.length;
    for (let off = 0; off < total; off += CHUNK) {
      while (api.buffered() > HIGH_WATER) await new Promise((r) => setTimeout(r, 20));
      api.sendBinary(bytes.subarray(off, Math.min(total, off + CHUNK)));
      onProgress(off + CHUNK - api.buffered());
    }
    while (api.buffered() > 0) {
      onProgress(total - api.buffered());
      await new Promise((r) => setTimeout(r, 20));
    }
    onProgress(total);
  }

  async function upload(args, bytes) {
    let begin;
    try {
      begin = await api.call('upload.begin', args);
    } catch (e) {
      if (e.code !== 'conflict' || !e.detail.upload) throw e;
      await api.call('upload.abort', { upload: e.detail.upload }).catch(() => {});
      begin = await api.call('upload.begin', args);
    }
    try {
      if (!begin.have) await send(bytes, (n) => { progress.value = Math.min(100, Math.max(0, (100 * n) / bytes.length)); });
      progress.value = 100;
      return (await api.call('upload.commit', { upload: begin.upload })).design;
    } catch (e) {
      if (e.code === 'closed_connection') throw e;
      if (!['invalid_design', 'too_large', 'bad_args'].includes(e.code)) await api.call('upload.abort', { upload: begin.upload }).catch(() => {});
      throw e;
    }
  }

  // One submission at a time: a second click while one is read, hashed or sent does
  // nothing (the button is disabled too once the bytes are ready).
  let sending = false;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (sending) return;
    sending = true;
    try { await submitOnce(); } finally { sending = false; }
  });

  async function submitOnce() {
    clearErrors();
    clear(done);
    const k = kind();
    const t = title.input.value.trim();
    const parsed = parseTags(tags.input.value);
    const tagList = parsed.tags || [];
    let first = null;
    if (!t) { title.err.textContent = 'A title is needed.'; first = first || title.input; }
    if (parsed.error) { tags.err.textContent = parsed.error; first = first || tags.input; }
    let bytes = null;
    if (k === 'artwork') {
      const f = file.input.files[0];
      if (!f) { file.err.textContent = 'Choose a PNG file.'; first = first || file.input; }
      else if (f.size > limitFor('artwork')) { file.err.textContent = `This file is ${fmtBytes(f.size)}: the limit is ${fmtBytes(limitFor('artwork'))}.`; first = first || file.input; }
      else {
        bytes = new Uint8Array(await f.arrayBuffer());
        if (!PNG_SIG.every((b, i) => bytes[i] === b)) { file.err.textContent = 'This is not a PNG file.'; first = first || file.input; bytes = null; }
      }
    } else {
      bytes = editor.bytes();
      if (bytes.length > limitFor('level')) { formErr.textContent = `The level is ${fmtBytes(bytes.length)}: the limit is ${fmtBytes(limitFor('level'))}.`; first = first || submitBtn; bytes = null; }
    }
    const terms = (chosen() || {}).terms;
    if (terms && !termsCheck.checked) { termsErr.textContent = 'Tick the box to accept the contest’s terms: entering needs them.'; first = first || termsCheck; }
    if (first || !bytes) { (first || submitBtn).focus(); return; }
    submitBtn.disabled = true;
    form.setAttribute('aria-busy', 'true');
    progress.hidden = false;
    progress.value = 0;
    try {
      const args = { kind: k, title: t, contest: contestSel.input.value, bytes: bytes.length, sha256: await sha256Hex(bytes) };
      if (tagList.length) args.tags = tagList;
      if (terms) args.accept_terms = terms.version;
      const d = await upload(args, bytes);
      // Cleared for the next design, so the same one is not sent twice by accident.
      title.input.value = tags.input.value = file.input.value = '';
      previewBox.hidden = true;
      termsCheck.checked = false;
      clear(done, h('p', 'Submitted! ', link(`/design/${d.id}`, `See “${d.title}”`), ' · ',
        link(`/?contest=${encodeURIComponent(d.contest)}&sort=new`, 'see it in the gallery'),
        ' · or fill the form again for another design.'));
      done.querySelector('a').focus();
    } catch (x) {
      const f = showError(x);
      if (f) f.focus();
    } finally {
      submitBtn.disabled = false;
      form.removeAttribute('aria-busy');
      progress.hidden = true;
    }
  }
  return { el };
}
