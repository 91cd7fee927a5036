// The brand dashboard (/brand, brand accounts only): create and edit contests, the
// live ranked list of a contest with report counts, status moves with a public note,
// hide/unhide, and the production export.
import { api } from './api.js';
import { h, clear, link, badge, showTally, errText, announce, params, STATUS_LABEL } from './dom.js';
import { contests } from './gallery.js';
import { navigate } from './router.js';

const MOVES = ['shortlisted', 'winner', 'not_selected', 'in_production', 'launched'];
// The usual next move from a status (SPEC §2), preselected in each row.
const NEXT = { submitted: 'shortlisted', shortlisted: 'winner', winner: 'in_production', in_production: 'launched' };
const LIST_LIMIT = 100; // gallery.subscribe's largest window

// datetime-local value <-> Unix seconds (0 = not set).
function toLocal(sec) {
  if (!sec) return '';
  const d = new Date(sec * 1000);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}
function fromLocal(v) {
  return v ? Math.floor(new Date(v).getTime() / 1000) : 0;
}

function field(id, label, input, help) {
  input.id = id;
  input.name = id.replace(/^b-/, '');
  const err = h('p.field-error', { id: `${id}-err`, role: 'alert' });
  input.setAttribute('aria-describedby', `${id}-err`);
  return { el: h('div.field', h('label', { for: id }, label), input, help ? h('p.help', help) : null, err), input, err };
}

export function brandPage() {
  const el = h('section.brand', h('h1', 'Brand dashboard'));
  if (!api.account || api.account.role !== 'brand') {
    el.append(h('p', 'This page is for the brand’s staff: log in with a brand token (made by the operator with ',
      h('code', 'cocreated --make-brand NAME'), ').'));
    return { el };
  }
  const selected = params().get('contest') || '';
  const picker = h('select', { id: 'b-pick' }, h('option', { value: '' }, 'New contest…'));
  picker.addEventListener('change', () => navigate(`/brand${picker.value ? `?contest=${encodeURIComponent(picker.value)}` : ''}`, true));
  const formBox = h('div');
  const listBox = h('div');
  el.append(h('div.field', h('label', { for: 'b-pick' }, 'Contest to manage'), picker), formBox, listBox);
  let list = null;

  contests(true).then((all) => {
    const mine = all.filter((c) => c.id !== 'open');
    for (const c of mine) picker.append(h('option', { value: c.id, selected: c.id === selected }, `${c.title} (${c.phase})`));
    const c = mine.find((x) => x.id === selected) || null;
    formBox.append(contestForm(c));
    if (c) { list = rankedList(c); listBox.append(list.el); }
    if (c) formBox.before(listBox); // an open contest: its ranking first, then its settings
  }).catch((e) => formBox.append(h('p.error', errText(e))));
  return { el, destroy() { if (list) list.destroy(); } };
}

function contestForm(c) {
  const create = !c;
  const f = {
    slug: field('b-slug', 'Slug (the contest id)', h('input', { required: true, maxlength: 64, pattern: '[a-z0-9-]+', value: c ? c.slug : '', disabled: !create }), 'a–z, 0–9 and -; fixed once created.'),
    title: field('b-title', 'Title', h('input', { required: true, maxlength: 120, value: c ? c.title : '' })),
    brief: field('b-brief', 'Brief', h('textarea', { rows: 4 }, c ? c.brief || '' : '')),
    prize: field('b-prize', 'Prize', h('input', { maxlength: 200, value: c ? c.prize || '' : '' }), 'What a winner gets (at most 200 characters).'),
    kind: field('b-kind', 'Kind', h('select', { disabled: !create },
      ['artwork', 'level'].map((k) => h('option', { value: k, selected: c && c.kind === k }, k === 'artwork' ? 'T-shirt artwork' : 'Game level')))),
    scale: field('b-scale', 'Voting scale', h('select', { disabled: !create },
      [['heart', 'Hearts'], ['stars5', '1–5 stars'], ['updown', 'Up / down']].map(([v, l]) => h('option', { value: v, selected: c && c.scale === v }, l)))),
    submit_open: field('b-submit_open', 'Submissions open', h('input', { type: 'datetime-local', value: toLocal(c && c.submit_open) }), 'Empty: open now.'),
    submit_close: field('b-submit_close', 'Submissions close', h('input', { type: 'datetime-local', value: toLocal(c && c.submit_close) }), 'Empty: no deadline.'),
    vote_close: field('b-vote_close', 'Voting closes', h('input', { type: 'datetime-local', value: toLocal(c && c.vote_close) }), 'Empty: voting stays open until you close the contest.'),
    threshold: field('b-threshold', 'Support threshold', h('input', { type: 'number', min: 0, value: c ? c.threshold || 0 : 0 }), 'Supports that shortlist a design by themselves; 0 = off.'),
  };
  const msg = h('p', { role: 'status', 'data-testid': 'contest-msg' });
  const form = h('form.contest-form', { novalidate: true },
    h('h2', create ? 'New contest' : `Edit “${c.title}”`),
    Object.values(f).map((x) => x.el), msg,
    h('button', { type: 'submit' }, create ? 'Create contest' : 'Save changes'),
    !create && c.phase !== 'closed' ? h('button.danger', { type: 'button', onclick: closeContest }, 'Close contest (results final)') : null,
    !create ? h('p', link(`/contest/${c.id}`, 'Public contest page')) : null);

  function args() {
    const a = { title: f.title.input.value.trim(), brief: f.brief.input.value, prize: f.prize.input.value,
      submit_open: fromLocal(f.submit_open.input.value), submit_close: fromLocal(f.submit_close.input.value),
      vote_close: fromLocal(f.vote_close.input.value), threshold: Number(f.threshold.input.value) || 0 };
    if (create) Object.assign(a, { slug: f.slug.input.value.trim(), kind: f.kind.input.value, scale: f.scale.input.value });
    return a;
  }
  async function run(op, a) {
    for (const x of Object.values(f)) x.err.textContent = '';
    msg.textContent = '';
    try {
      const r = await api.call(op, a);
      announce(create ? 'Contest created.' : 'Contest saved.');
      navigate(`/brand?contest=${encodeURIComponent(r.contest.id)}`, true);
    } catch (e) {
      const x = f[e.detail && e.detail.field];
      if (x) { x.err.textContent = errText(e); x.input.focus(); } else msg.textContent = errText(e);
    }
  }
  async function closeContest() {
    if (!confirm(`Close “${c.title}”? Its results become final.`)) return;
    run('contest.update', { contest: c.id, closed: true });
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run(create ? 'contest.create' : 'contest.update', create ? args() : { contest: c.id, ...args() });
  });
  return form;
}

function rankedList(c) {
  const rows = new Map();   // id -> {tr, cells...}
  const designs = new Map();
  let order = [];
  const hiddenHere = new Map(); // hidden here but not (or no longer) in the window: kept listed
  const body = h('tbody');
  const count = h('p.count');
  const unhideId = h('input', { id: 'b-unhide', inputmode: 'numeric', size: 8 });
  const unhideMsg = h('p', { role: 'status' });
  const el = h('section.ranked', { 'aria-labelledby': 'rl-h' },
    h('h2', { id: 'rl-h' }, `Ranking of “${c.title}”`),
    h('p', h('a', { href: `/export/${encodeURIComponent(c.id)}`, download: '', 'data-testid': 'export' }, 'Download the production export'),
      ' · ', h('a', { href: `/log/${encodeURIComponent(c.id)}` }, 'Audit log')),
    count,
    h('div.table-wrap', h('table.admin', h('caption.visually-hidden', 'Designs by rank, with actions'),
      h('thead', h('tr', ['#', 'Design', 'Creator', 'Tally', 'Reports', 'Status', 'Set status', 'Visibility'].map((t) => h('th', { scope: 'col' }, t)))),
      body)),
    h('form.unhide', { onsubmit: (e) => { e.preventDefault(); hide(unhideId.value.trim(), false, unhideMsg); } },
      h('label', { for: 'b-unhide' }, 'Unhide a design by id'), unhideId, h('button.secondary', { type: 'submit' }, 'Unhide'), unhideMsg));

  async function hide(id, hidden, msgEl) {
    try {
      const r = await api.call('design.hide', { design: id, hidden });
      const d = Object.assign(designs.get(id) || {}, r.design);
      designs.set(id, d);
      if (d.hidden) hiddenHere.set(id, d); else hiddenHere.delete(id);
      msgEl.textContent = d.hidden ? 'Hidden.' : 'Visible again.';
      announce(d.hidden ? `Design ${id} hidden.` : `Design ${id} visible again.`);
      render();
    } catch (e) { msgEl.textContent = errText(e); }
  }

  function row(d) {
    let r = rows.get(d.id);
    if (!r) {
      const note = h('input', { id: `note-${d.id}`, placeholder: 'Public note (optional)', maxlength: 2000 });
      const sel = h('select', { id: `st-${d.id}`, 'aria-label': `New status for ${d.title}`, onchange: () => { sel.dataset.touched = '1'; } },
        MOVES.map((s) => h('option', { value: s }, STATUS_LABEL[s])));
      const msg = h('p.row-msg', { role: 'status' });
      const hideBtn = h('button.secondary', { type: 'button' });
      r = {
        tr: h('tr', { dataset: { id: d.id } }),
        rank: h('td'), title: h('td'), creator: h('td'), tally: h('td'), reports: h('td'), status: h('td'),
        set: h('td', h('form.set-status', {
          onsubmit: async (e) => {
            e.preventDefault();
            msg.textContent = '';
            const a = { design: d.id, status: sel.value };
            if (note.value.trim()) a.note = note.value.trim();
            try {
              const res = await api.call('design.set_status', a);
              if (res.design) Object.assign(designs.get(d.id) || {}, res.design);
              note.value = '';
              msg.textContent = `Now ${STATUS_LABEL[sel.value]}.`;
              delete sel.dataset.touched;
              render();
            } catch (x) { msg.textContent = errText(x); }
          },
        }, h('label.visually-hidden', { for: `st-${d.id}` }, 'Status'), sel,
          h('label.visually-hidden', { for: `note-${d.id}` }, 'Note'), note,
          h('button', { type: 'submit' }, 'Set'), msg)),
        vis: h('td', hideBtn),
        hideBtn, msg, sel,
      };
      hideBtn.addEventListener('click', () => hide(d.id, !(designs.get(d.id) || {}).hidden, msg));
      r.tr.append(r.rank, r.title, r.creator, r.tally, r.reports, r.status, r.set, r.vis);
      rows.set(d.id, r);
    }
    return r;
  }

  function render() {
    const ids = [...order];
    for (const id of hiddenHere.keys()) if (!ids.includes(id)) ids.push(id);
    for (const [id, r] of rows) if (!ids.includes(id)) { r.tr.remove(); rows.delete(id); }
    let prev = null;
    ids.forEach((id, i) => {
      const d = designs.get(id) || hiddenHere.get(id);
      if (!d) return;
      const hidden = !!d.hidden; // the brand's windows list hidden designs too
      const r = row(d);
      r.rank.textContent = order.includes(id) ? String(i + 1) : '–';
      clear(r.title, link(`/design/${id}`, d.title), hidden ? h('span.badge.status-hidden', 'Hidden') : null);
      clear(r.creator, link(`/creator/${d.creator}`, d.creator_name || d.creator));
      showTally(r.tally, d.tally, c.scale);
      r.reports.textContent = String(d.reports ?? d.report_count ?? 0);
      clear(r.status, badge(d.status));
      if (!r.sel.dataset.touched && NEXT[d.status]) r.sel.value = NEXT[d.status];
      r.hideBtn.textContent = hidden ? 'Unhide' : 'Hide';
      r.hideBtn.setAttribute('aria-label', `${hidden ? 'Unhide' : 'Hide'} ${d.title}`);
      const next = prev ? prev.nextSibling : body.firstChild;
      if (next !== r.tr) body.insertBefore(r.tr, next);
      prev = r.tr;
    });
    count.textContent = `${order.length} ${order.length === 1 ? 'design' : 'designs'} shown`;
  }

  const merge = (items) => { for (const it of items) designs.set(it.id, Object.assign(designs.get(it.id) || {}, it)); };
  const sub = api.gallery({ contest: c.id, sort: 'top', limit: LIST_LIMIT },
    (w) => { order = w.order; merge(w.items); render(); },
    (ev) => { if (ev.order) order = ev.order; merge(ev.items || []); render(); });
  sub.onError = (e) => { count.textContent = errText(e); };
  return { el, destroy() { sub.close(); } };
}
