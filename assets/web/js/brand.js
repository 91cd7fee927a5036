// The brand dashboard (/brand, brand accounts only): an overview of every contest
// (phase, entries, votes, time left, threshold); per contest (?contest=ID) its ranking
// as a live grid of thumbnails with tallies, report counts, the status control, hide,
// a bulk "Shortlist selected", "Close submissions now", the settings form with terms
// and the production export; the review queue of reported designs and look-alikes
// (?view=review);
// the moderation log (?view=log); a new contest (?view=new), which may hide its tallies
// until voting closes (SPEC §8: fixed at creation).
import { api } from './api.js';
import { h, clear, link, badge, icon, showTally, errText, announce, params, askReason, fmtDate, fmtDuration, sealed, STATUS_LABEL } from './dom.js';
import { contests } from './gallery.js';
import { closeness, designLookup, uploadOrder, sideCard } from './similar.js';
import { navigate } from './router.js';
import { nextPhase } from './contest.js';

const MOVES = ['shortlisted', 'winner', 'not_selected', 'in_production', 'launched'];
// The usual next move from a status (SPEC §2), preselected on each card.
const NEXT = { submitted: 'shortlisted', shortlisted: 'winner', winner: 'in_production', in_production: 'launched' };
const LIST_LIMIT = 100;   // gallery.subscribe's largest window
const LOG_PAGE = 50;      // moderation.list's default page
const REVIEW_LIMIT = 100; // review.list's largest page
const VIEWS = [['', 'Contests'], ['review', 'Review queue'], ['log', 'Moderation log'], ['new', 'New contest']];
// SPEC §7: no winner while the contest is upcoming or takes submissions (not `open`).
const tooEarlyForWinners = (c) => c.id !== 'open' && (c.phase === 'upcoming' || c.phase === 'submissions');

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
    el.append(h('p', 'This page is for the brand’s staff: sign in with a brand token (made by the operator with ',
      h('code', 'cocreated --make-brand NAME'), ').'));
    return { el };
  }
  const q = params();
  const selected = q.get('contest') || '';
  const view = selected ? 'contest' : (VIEWS.find(([v]) => v === q.get('view')) || VIEWS[0])[0];
  el.append(h('nav.subnav', { 'aria-label': 'Dashboard' }, VIEWS.map(([v, label]) => link(v ? `/brand?view=${v}` : '/brand', label))));
  for (const a of el.querySelectorAll('.subnav a')) if (a.getAttribute('href') === (view ? `/brand?view=${view}` : '/brand')) a.setAttribute('aria-current', 'page');
  const body = h('div');
  el.append(body);
  let part = null;
  if (view === 'review') part = reviewQueue();
  else if (view === 'log') part = moderationLog();
  else if (view === 'new') part = { el: contestForm(null) };
  if (part) {
    body.append(part.el);
    return { el, destroy() { if (part.destroy) part.destroy(); } };
  }
  contests(true).then((all) => {
    const c = all.find((x) => x.id === selected && x.id !== 'open');
    if (selected && !c) body.append(h('p.error', `There is no contest “${selected}”.`));
    part = c ? contestView(c) : overview(all);
    body.append(part.el);
  }).catch((e) => body.append(h('p.error', errText(e))));
  return { el, destroy() { if (part && part.destroy) part.destroy(); } };
}

// ---- the overview of all contests ----

function timeLeft(c) {
  const next = nextPhase(c);
  if (!next) return { closed: 'Closed', judging: 'Judging: yours to close', voting: 'Voting until you close it', submissions: 'No deadline' }[c.phase] || '–';
  return `${next.label} in ${fmtDuration(next.at - Date.now() / 1000)}`;
}

function overview(all) {
  const list = all.filter((c) => c.id !== 'open');
  const body = h('tbody');
  const el = h('section', { 'aria-labelledby': 'ov-h' }, h('h2', { id: 'ov-h' }, 'All contests'),
    list.length ? h('div.table-wrap', h('table.admin.overview', { 'data-testid': 'overview' }, h('caption.visually-hidden', 'Contests with their phase, entries, votes, time left and threshold'),
      h('thead', h('tr', ['Contest', 'Phase', 'Entries', 'Votes', 'Time left', 'Threshold'].map((t) => h('th', { scope: 'col' }, t)))), body))
      : h('p.empty', 'No contests yet: ', link('/brand?view=new', 'create the first one'), '.'));
  for (const c of list) {
    const entries = h('td', '…'), votes = h('td', '…');
    body.append(h('tr', { dataset: { id: c.id } },
      h('th', { scope: 'row' }, link(`/brand?contest=${encodeURIComponent(c.id)}`, c.title)),
      h('td', h(`span.badge.phase-${c.phase}`, c.phase), sealed(c) ? [' ', h('span.badge.sealed', { title: 'Tallies hidden from members until voting closes' }, icon('lock'), ' tallies hidden')] : null),
      entries, votes, h('td', timeLeft(c)),
      h('td', c.threshold ? String(c.threshold) : '–')));
    // Entries and votes from the results (the brand's count every design, hidden too).
    api.call('contest.results', { contest: c.id }).then((r) => {
      entries.textContent = String(r.total);
      votes.textContent = String((r.ranking || []).reduce((n, x) => n + ((x.tally && x.tally.votes) || 0), 0));
    }).catch((e) => { entries.textContent = errText(e); votes.textContent = ''; });
  }
  return { el };
}

// ---- one contest: actions, ranking grid, settings ----

function contestView(c) {
  const msg = h('p', { role: 'status', 'data-testid': 'contest-action-msg' });
  async function update(args, done) {
    msg.textContent = '';
    try {
      await api.call('contest.update', { contest: c.id, ...args });
      announce(done);
      navigate(`/brand?contest=${encodeURIComponent(c.id)}`, true);
    } catch (e) { msg.textContent = errText(e); }
  }
  const closeSubmissions = () => {
    if (confirm(`Close submissions of “${c.title}” now? No more uploads; votes go on${c.vote_close ? ' until voting closes' : ''}.`)) {
      update({ submit_close: Math.floor(Date.now() / 1000) }, 'Submissions closed.');
    }
  };
  const closeContest = () => {
    if (confirm(`Close “${c.title}”? Its results become final.`)) update({ closed: true }, 'Contest closed.');
  };
  const ranking = rankedGrid(c);
  const el = h('div',
    h('h2', c.title, ' ', h(`span.badge.phase-${c.phase}`, { 'data-testid': 'phase' }, c.phase)),
    h('p.help', timeLeft(c), c.threshold ? ` · ${c.threshold} supports shortlist a design` : ''),
    h('div.actions',
      c.phase === 'submissions' ? h('button.secondary', { type: 'button', onclick: closeSubmissions }, 'Close submissions now') : null,
      c.phase !== 'closed' ? h('button.danger', { type: 'button', onclick: closeContest }, 'Close contest (results final)') : null),
    msg,
    sealed(c) ? h('p.sealed-note', { 'data-testid': 'sealed-brand' }, icon('lock'),
      'Tallies are hidden from members until voting closes: they browse newest first, and each sees a design’s count once they voted on it. You see everything.') : null,
    h('p', link(`/contest/${c.id}`, 'Public contest page'), ' · ',
      h('a', { href: `/export/${encodeURIComponent(c.id)}`, download: '', 'data-testid': 'export' }, 'Download the production export'),
      ' · ', sealed(c) ? h('span.help', 'Audit log (published when voting closes)') // /log/ is 403 until the reveal
        : h('a', { href: `/log/${encodeURIComponent(c.id)}` }, 'Audit log')),
    ranking.el, contestForm(c));
  return { el, destroy: ranking.destroy };
}

function contestForm(c) {
  const create = !c;
  const t = c && c.terms;
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
    tallies_hidden: talliesField(c),
    threshold: field('b-threshold', 'Support threshold', h('input', { type: 'number', min: 0, value: c ? c.threshold || 0 : 0 }), 'Supports that shortlist a design by themselves; 0 = off.'),
    stages: field('b-stages', 'Stages', h('input', { value: (c && c.stages || []).map((s) => `${s.supports}/${s.days}`).join(' '), placeholder: 'e.g. 100/30 1000/60' }),
      'Supports to reach within days, stage after stage (LEGO Ideas), as supports/days separated by spaces; a design that misses one expires; the last shortlists it. Empty: no stages.'),
    terms_version: field('b-terms_version', 'Terms version', h('input', { maxlength: 64, value: t ? t.version : '', placeholder: 'e.g. 2025-06' }),
      'Creators accept this version at upload; change it when the text changes. Empty: no terms.'),
    terms_text: field('b-terms_text', 'Terms', h('textarea', { rows: 5 }, t ? t.text : ''), 'What creators agree to: rights, prize, printing.'),
  };
  const msg = h('p', { role: 'status', 'data-testid': 'contest-msg' });
  const form = h('form.contest-form', { novalidate: true },
    h('h2', create ? 'New contest' : 'Settings'),
    Object.values(f).map((x) => x.el), msg,
    h('button', { type: 'submit' }, create ? 'Create contest' : 'Save changes'));

  function args() {
    const a = { title: f.title.input.value.trim(), brief: f.brief.input.value, prize: f.prize.input.value,
      submit_open: fromLocal(f.submit_open.input.value), submit_close: fromLocal(f.submit_close.input.value),
      vote_close: fromLocal(f.vote_close.input.value), threshold: Number(f.threshold.input.value) || 0 };
    const st = f.stages.input.value.trim();
    if (st) a.stages = st.split(/\s+/).map((x) => { const [s, d] = x.split('/'); return { supports: Number(s), days: Number(d) }; });
    else if (!create && c && c.stages) a.stages = null; // removes them
    const version = f.terms_version.input.value.trim(), text = f.terms_text.input.value.trim();
    if (version || text) a.terms = { version, text };
    else if (!create && t) a.terms = null; // removes them
    if (create) Object.assign(a, { slug: f.slug.input.value.trim(), kind: f.kind.input.value, scale: f.scale.input.value });
    // Fixed at creation: contest.update naming it is refused, so only a create sends it.
    if (create && f.tallies_hidden.input.checked) a.tallies_hidden = true;
    return a;
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    for (const x of Object.values(f)) x.err.textContent = '';
    msg.textContent = '';
    const a = args();
    if (a.terms && (!a.terms.version || !a.terms.text)) {
      const x = a.terms.version ? f.terms_text : f.terms_version;
      x.err.textContent = 'Terms need both a version and a text (or neither).';
      x.input.focus();
      return;
    }
    try {
      const r = await api.call(create ? 'contest.create' : 'contest.update', create ? a : { contest: c.id, ...a });
      announce(create ? 'Contest created.' : 'Contest saved.');
      navigate(`/brand?contest=${encodeURIComponent(r.contest.id)}`, true);
    } catch (x) {
      const name = x.detail && x.detail.field;
      const at = f[name] || (name === 'terms' ? f.terms_version : null);
      if (at) { at.err.textContent = name === 'terms' ? 'Terms: a version of a–z, 0–9, . _ - and a text.' : name === 'stages' ? 'Stages: up to 8 of supports/days, each needing more supports than the one before, 1 to 365 days.' : errText(x); at.input.focus(); } else msg.textContent = errText(x);
    }
  });
  return form;
}

// "Hide tallies until voting closes" (SPEC §8): a checkbox when creating; shown checked
// or not, disabled, with why, when editing (fixed at creation).
function talliesField(c) {
  const create = !c;
  const id = 'b-tallies_hidden';
  const input = h('input', { type: 'checkbox', id, name: 'tallies_hidden', checked: !!(c && c.tallies_hidden), disabled: !create,
    'aria-describedby': `${id}-help ${id}-err` });
  const help = create
    ? 'Until voting closes, members see no counts and no Top or Hot order (you see everything); each sees a design’s count once they voted on it. Fixed once created.'
    : !c.tallies_hidden ? 'Fixed at creation: this contest shows its tallies.'
      : c.tallies_revealed ? 'Fixed at creation: the tallies were hidden until voting closed; now everyone sees them.'
        : 'Fixed at creation: members see the tallies when voting closes.';
  const err = h('p.field-error', { id: `${id}-err`, role: 'alert' });
  return { el: h('div.field.check-field', h('label', { for: id }, input, ' Hide tallies until voting closes'), h('p.help', { id: `${id}-help` }, help), err), input, err };
}

// A status move's refusal in words: winners wait until submissions close.
function statusError(x, to) {
  if (x.code === 'closed' && to === 'winner' && x.detail.phase !== 'closed') return 'Winners are picked once submissions close: use “Close submissions now” above.';
  if (x.code === 'conflict' && x.detail.from) return `A design that is ${STATUS_LABEL[x.detail.from] || x.detail.from} cannot become ${STATUS_LABEL[to] || to}.`;
  return errText(x);
}

// Hides (with a reason) or shows a design again: {design} or throws.
export async function hideDesign(d, anchor) {
  const hidden = !d.hidden;
  const reason = await askReason(anchor, { action: hidden ? 'Hide design' : 'Show again' });
  if (reason === null) return null;
  const r = await api.call('design.hide', { design: d.id, hidden, reason });
  announce(hidden ? `“${d.title}” hidden.` : `“${d.title}” visible again.`);
  return r.design;
}

function rankedGrid(c) {
  const cards = new Map();   // id -> {li, ...}
  const designs = new Map();
  let order = [];
  const grid = h('ul.grid.admin-grid', { 'data-testid': 'ranking', 'aria-label': `Ranking of ${c.title}` });
  const count = h('p.count');
  const bulkMsg = h('p', { role: 'status' });
  const bulk = h('button.secondary', { type: 'button', disabled: true, onclick: shortlistSelected }, 'Shortlist selected');
  const early = tooEarlyForWinners(c);
  const el = h('section.brand-ranking', { 'aria-labelledby': 'rl-h' },
    h('h2', { id: 'rl-h' }, `Ranking of “${c.title}”`), count,
    early ? h('p.help', 'Winners can be picked once submissions close (SPEC: the crowd first): shortlist now, close submissions, then pick.') : null,
    h('div.actions', bulk), bulkMsg, grid);

  const selected = () => [...cards.entries()].filter(([, x]) => x.pick.checked).map(([id]) => id);
  function syncBulk() {
    const n = selected().length;
    bulk.disabled = !n;
    bulk.textContent = n ? `Shortlist selected (${n})` : 'Shortlist selected';
  }
  async function shortlistSelected() {
    const ids = selected();
    let done = 0;
    const skipped = [];
    bulk.disabled = true;
    for (const id of ids) {
      const d = designs.get(id);
      if (!d || d.status !== 'submitted') { skipped.push(d ? d.title : id); continue; }
      try {
        const r = await api.call('design.set_status', { design: id, status: 'shortlisted' });
        Object.assign(d, r.design);
        done += 1;
      } catch (x) { skipped.push(`${d.title} (${statusError(x, 'shortlisted')})`); }
    }
    for (const x of cards.values()) x.pick.checked = false;
    bulkMsg.textContent = `${done} shortlisted.${skipped.length ? ` Not shortlisted (not “Submitted”): ${skipped.join(', ')}.` : ''}`;
    announce(bulkMsg.textContent);
    render();
  }

  function card(d) {
    let x = cards.get(d.id);
    if (x) return x;
    const pick = h('input', { type: 'checkbox', 'aria-label': `Select ${d.title}`, onchange: syncBulk });
    const note = h('input', { id: `note-${d.id}`, placeholder: 'Public note (optional)', maxlength: 1000 });
    const sel = h('select', { id: `st-${d.id}`, 'aria-label': `New status for ${d.title}`, onchange: () => { sel.dataset.touched = '1'; } },
      MOVES.map((s) => h('option', { value: s, disabled: s === 'winner' && early }, STATUS_LABEL[s], s === 'winner' && early ? ' (after submissions close)' : '')));
    const msg = h('p.row-msg', { role: 'status' });
    const hideBtn = h('button.secondary.small', { type: 'button' });
    const img = h('img', { loading: 'lazy', width: 320, height: d.kind === 'level' ? 180 : 320, class: `thumb-${d.kind}`, alt: '' });
    x = {
      li: h('li.card', { dataset: { id: d.id } }), pick, sel, msg, hideBtn, img,
      rank: h('span.rank'), title: h('span.title'), by: h('span.by'), tally: h('span.tally'), reports: h('span.reports'), status: h('span.status'),
    };
    const form = h('form.set-status', {
      onsubmit: async (e) => {
        e.preventDefault();
        msg.textContent = '';
        const a = { design: d.id, status: sel.value };
        if (note.value.trim()) a.note = note.value.trim();
        try {
          const res = await api.call('design.set_status', a);
          Object.assign(designs.get(d.id) || {}, res.design);
          note.value = '';
          msg.textContent = `Now ${STATUS_LABEL[sel.value]}.`;
          delete sel.dataset.touched;
          render();
        } catch (err) { msg.textContent = statusError(err, sel.value); }
      },
    }, h('label.visually-hidden', { for: `st-${d.id}` }, 'Status'), sel,
    h('label.visually-hidden', { for: `note-${d.id}` }, 'Note'), note, h('button', { type: 'submit' }, 'Set'), msg);
    hideBtn.addEventListener('click', async () => {
      try {
        const r = await hideDesign(designs.get(d.id), hideBtn);
        if (r) { Object.assign(designs.get(d.id), r); render(); }
      } catch (err) { msg.textContent = errText(err); }
    });
    x.li.append(
      h('div.pick', pick, x.rank),
      link(`/design/${d.id}`, img, x.title),
      h('div.meta', x.by, x.tally, x.reports, x.status), form, h('div.meta', hideBtn));
    cards.set(d.id, x);
    return x;
  }

  function render() {
    for (const [id, x] of cards) if (!order.includes(id)) { x.li.remove(); cards.delete(id); }
    let prev = null, rank = 0;
    for (const id of order) {
      const d = designs.get(id);
      if (!d) continue;
      const x = card(d);
      if (!d.hidden) rank += 1; // ranks count visible designs (docs/protocol.md)
      x.rank.textContent = d.hidden ? '–' : `#${rank}`;
      x.img.src = d.thumb || `/t/${d.id}.png`;
      x.img.alt = `${d.title} (thumbnail)`;
      x.title.textContent = d.title;
      clear(x.by, 'by ', link(`/creator/${d.creator}`, d.creator_name || d.creator));
      showTally(x.tally, d.tally, c.scale);
      x.reports.textContent = d.reports ? `${d.reports} ${d.reports === 1 ? 'report' : 'reports'}` : '';
      x.reports.dataset.count = String(d.reports || 0);
      clear(x.status, badge(d.status), d.hidden ? [' ', h('span.badge.status-hidden', 'Hidden')] : null);
      if (!x.sel.dataset.touched && NEXT[d.status]) x.sel.value = NEXT[d.status];
      x.hideBtn.textContent = d.hidden ? 'Unhide' : 'Hide';
      x.hideBtn.setAttribute('aria-label', `${d.hidden ? 'Unhide' : 'Hide'} ${d.title}`);
      const next = prev ? prev.nextSibling : grid.firstChild;
      if (next !== x.li) grid.insertBefore(x.li, next);
      prev = x.li;
    }
    count.textContent = `${order.length} ${order.length === 1 ? 'design' : 'designs'}`;
    syncBulk();
  }

  const merge = (items) => { for (const it of items) designs.set(it.id, Object.assign(designs.get(it.id) || {}, it)); };
  const sub = api.gallery({ contest: c.id, sort: 'top', limit: LIST_LIMIT },
    (w) => { order = w.order; merge(w.items); render(); },
    (ev) => { if (ev.order) order = ev.order; merge(ev.items || []); render(); });
  sub.onError = (e) => { count.textContent = errText(e); };
  return { el, destroy() { sub.close(); } };
}

// ---- the review queue (review.list) ----

// Reported designs (most reported first, with their reasons), then designs uploaded
// looking like another creator's (SPEC §8: `reports: 0`, `similar`), each beside its
// nearest look-alike. Every item says why it is there in its heading.
const SIMILAR_SHOWN = 3; // look-alikes of an item looked up: the nearest beside it, two more named

const plural = (n, one, many = one + 's') => `${n} ${n === 1 ? one : many}`;

function reviewQueue() {
  const open = h('ol.review', { 'data-testid': 'review', 'aria-label': 'Designs to review' });
  const msg = h('p', { role: 'status' });
  const count = h('p.help', { 'data-testid': 'review-count' });
  // One contest's queue or every contest's (review.list's `contest`), kept in the URL
  // (?view=review&of=SLUG) so that a link or a reload shows the same queue.
  let of = params().get('of') || '';
  const picker = h('select', { id: 'rq-contest', name: 'of' }, h('option', { value: '' }, 'All contests'),
    of ? h('option', { value: of, selected: true }, of) : null);
  contests(true).then((all) => {
    clear(picker, h('option', { value: '' }, 'All contests'),
      all.map((c) => h('option', { value: c.id, selected: c.id === of }, c.title)));
  }).catch((e) => { msg.textContent = errText(e); });
  picker.addEventListener('change', () => {
    of = picker.value;
    history.replaceState(null, '', `/brand?view=review${of ? `&of=${encodeURIComponent(of)}` : ''}`);
    load();
  });
  const el = h('section', { 'aria-labelledby': 'rq-h' }, h('h2', { id: 'rq-h' }, 'Review queue'),
    h('p.help', 'Designs members reported, most reported first, with their reasons; then designs uploaded looking like another creator’s, beside it. Hide one (with a reason for the log), or dismiss it to keep it up: it leaves the queue for all of the brand’s staff until someone reports it.'),
    h('div.filters', h('div.field', h('label', { for: 'rq-contest' }, 'Contest'), picker)),
    msg, count, open);
  let lookup = designLookup();

  function item(x, alike) {
    const d = x.design;
    const reported = x.reports > 0;
    const near = alike[0] || null; // {design, distance, of}: the nearest look-alike read
    const nearFirst = near && uploadOrder(near.of, d) < 0;
    const nearName = near && (near.of.creator_name || `creator ${near.of.creator}`);
    const alikeWhy = near && `Looks like ${nearFirst ? 'an earlier' : 'a later'} design by ${nearName}`;
    const hideBtn = h('button', { type: 'button', 'aria-label': `${d.hidden ? 'Show again' : 'Hide'} ${d.title}` }, d.hidden ? 'Show again' : 'Hide');
    const dismiss = h('button.secondary', { type: 'button', 'aria-label': reported ? `Dismiss the reports of ${d.title}` : `Dismiss the look-alike ${d.title}` }, 'Dismiss');
    const err = h('p.field-error', { role: 'alert' });
    const more = alike.slice(1);
    const left = (x.similar || []).length - alike.length;
    const li = h('li.review-item', { dataset: { id: d.id, why: reported ? 'reports' : 'lookalike' } },
      h('h3.why', reported ? `Reported by ${plural(x.reports, 'member')}` : alikeWhy || 'Looks like another creator’s design'),
      h('p.help', 'In ', link(`/brand?contest=${encodeURIComponent(d.contest)}`, d.contest),
        near ? [' · ', reported ? `also ${alikeWhy.replace(/^L/, 'l')}: ` : '', h('strong.distance', closeness(near.distance))] : null),
      near
        ? h('div.pair', { role: 'group', 'aria-label': `${d.title} beside its look-alike` },
          sideCard(d, { label: reported ? 'Reported' : 'In the queue', first: !nearFirst }),
          sideCard(near.of, { label: 'Look-alike', first: nearFirst }))
        : h('div.pair.single', sideCard(d, { label: 'Reported' })),
      more.length || left > 0 ? h('p.help.also', 'Also like: ', more.map((m, i) => [i ? ', ' : '',
        link(`/design/${m.of.id}`, m.of.title), ` by ${m.of.creator_name || 'creator ' + m.of.creator} (${closeness(m.distance)})`]),
      left > 0 ? [more.length ? '; ' : '', link(`/design/${d.id}`, `${plural(left, 'more')} on its page`)] : null) : null,
      reported ? h('ul.reasons', { 'aria-label': 'Reasons given' }, (x.reasons || []).map((r) => h('li', h('q', r.reason), ' ', h('time.help', fmtDate(r.at))))) : null,
      h('div.actions', hideBtn, dismiss), err);
    hideBtn.addEventListener('click', async () => {
      err.textContent = '';
      try {
        const r = await hideDesign(d, hideBtn);
        if (r) { msg.textContent = r.hidden ? `“${d.title}” is hidden.` : `“${d.title}” is visible again.`; load(); }
      } catch (e) { err.textContent = errText(e); }
    });
    dismiss.addEventListener('click', async () => {
      err.textContent = '';
      dismiss.disabled = true;
      try {
        await api.call('review.dismiss', { design: d.id });
        msg.textContent = reported ? `Reports of “${d.title}” dismissed.` : `“${d.title}” dismissed: it stays up and leaves the queue.`;
        load();
      } catch (e) { err.textContent = errText(e); dismiss.disabled = false; }
    });
    return li;
  }

  // The look-alikes of an item that can still be read, nearest first: [{design,
  // distance, of}] (`of` the design itself).
  async function alikes(x) {
    const sim = (x.similar || []).slice(0, SIMILAR_SHOWN);
    const got = await Promise.all(sim.map((s) => lookup(s.design)));
    return sim.map((s, i) => ({ ...s, of: got[i] })).filter((s) => s.of);
  }

  async function load() {
    try {
      lookup = designLookup(); // titles, names and hidden marks as of now
      const asked = of;
      const r = await api.call('review.list', of ? { contest: of, limit: REVIEW_LIMIT } : { limit: REVIEW_LIMIT });
      const found = await Promise.all(r.items.map(alikes));
      if (asked !== of) return; // another contest was picked meanwhile: its load shows
      count.textContent = r.total > r.items.length
        ? `The first ${r.items.length} of ${plural(r.total, 'design')} to review: those handled leave the queue and the next come.`
        : '';
      clear(open, r.items.length ? r.items.map((x, i) => item(x, found[i]))
        : h('li.empty', of ? 'Nothing to review in this contest: no reported designs or look-alikes waiting.' : 'Nothing to review: no reported designs or look-alikes waiting.'));
    } catch (e) { msg.textContent = errText(e); }
  }
  load();
  return { el };
}

// ---- the moderation log (moderation.list) ----

const ACTION_TEXT = {
  'design.hide': (e) => (e.hidden === false ? 'showed again the design' : 'hid the design'),
  'comment.hide': (e) => (e.hidden === false ? 'showed again a comment' : 'hid a comment'),
  'account.suspend': () => 'suspended the account',
  'account.reinstate': () => 'reinstated the account',
  'review.dismiss': () => 'dismissed the review of',
};

function moderationLog() {
  const list = h('ol.modlog', { 'data-testid': 'modlog', 'aria-label': 'Moderation actions, newest first' });
  const msg = h('p', { role: 'status' });
  const more = h('button.secondary', { type: 'button', hidden: true, onclick: () => load() }, 'Older entries');
  const el = h('section', { 'aria-labelledby': 'ml-h' }, h('h2', { id: 'ml-h' }, 'Moderation log'),
    h('p.help', 'Every hide, suspension and reinstatement: who, when and why, newest first.'), msg, list, more);
  let before = null;

  function target(e) {
    if (e.design) return link(`/design/${e.design}`, `design ${e.design}`);
    if (e.comment) return `comment ${e.comment}`;
    if (e.account) return link(`/creator/${e.account}`, `account ${e.account}`);
    return '';
  }
  async function load() {
    try {
      const r = await api.call('moderation.list', before ? { before, limit: LOG_PAGE } : { limit: LOG_PAGE });
      for (const e of r.entries) {
        const what = (ACTION_TEXT[e.action] || (() => e.action))(e);
        list.append(h('li', { dataset: { id: e.id } }, h('time', fmtDate(e.at)), ' ',
          h('strong', e.by_name || `account ${e.by}`), ` ${what} `, target(e),
          e.reason ? [': ', h('q.reason', e.reason)] : null));
      }
      if (!list.children.length) list.append(h('li.empty', 'Nothing yet: no design or comment hidden, no account suspended.'));
      if (r.entries.length) before = r.entries[r.entries.length - 1].id;
      more.hidden = !r.more;
    } catch (e) { msg.textContent = errText(e); }
  }
  load();
  return { el };
}
