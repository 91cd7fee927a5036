// The gallery (/): contest picker, sort tabs, tag and status filters, and a live grid
// of thumbnails fed by gallery.subscribe, grown by infinite scroll.
import { api } from './api.js';
import { h, clear, link, badge, icon, showTally, errText, params, setTitle, STATUS_LABEL } from './dom.js';
import { navigate } from './router.js';

const PAGE = 24;          // designs per window (gallery.subscribe's default limit)
const MAX_WINDOWS = 40;   // live windows per grid (the server allows 64 per connection)
const SORTS = [['top', 'Top'], ['hot', 'Hot'], ['new', 'New']];
const KINDS = [['', 'All kinds'], ['artwork', 'T-shirt artwork'], ['level', 'Game levels']];
const reduceMotion = () => matchMedia('(prefers-reduced-motion: reduce)').matches;

let contestCache = null;
// contest.list, cached for the page's lifetime (scales and titles for the cards).
export async function contests(refresh = false) {
  if (!contestCache || refresh) {
    contestCache = api.call('contest.list').then((r) => r.contests).catch((e) => {
      contestCache = null;
      throw e;
    });
  }
  return contestCache;
}

// A live grid of design cards for gallery args (without offset/limit). Returns
// {el, destroy}. Each gallery.update item is merged by id onto the design held.
export function liveGrid(args, { scale = 'heart', label = 'Designs', empty = 'No designs yet.' } = {}) {
  const designs = new Map();
  const cards = new Map();
  const windows = [];
  let total = 0, ready = false;
  const grid = h('ul.grid', { 'aria-label': label, 'data-testid': 'grid' });
  const count = h('p.count', { 'aria-live': 'polite' });
  const more = h('button.secondary.more', { type: 'button', hidden: true, onclick: () => grow() }, 'Load more');
  const emptyEl = h('p.empty', { hidden: true }, empty);
  // A server that does not filter by kind yet (gallery.get takes no `kind` in SPEC
  // §4) answers with every kind: say so rather than show a filter that is not one.
  const kindNote = h('p.notice', { hidden: true, role: 'status' }, 'This server cannot filter by kind yet: designs of every kind are shown.');
  const sentinel = h('div.sentinel', { 'aria-hidden': 'true' });
  const el = h('div.live-grid', kindNote, count, grid, emptyEl, more, sentinel);

  function addWindow() {
    const w = { offset: windows.length * PAGE, order: [] };
    windows.push(w);
    w.handle = api.gallery({ ...args, offset: w.offset, limit: PAGE },
      (win) => { w.order = win.order; merge(win.items); total = win.total; ready = true; render(); },
      (ev) => { if (ev.order) w.order = ev.order; merge(ev.items || []); total = ev.total; render(); });
    w.handle.onError = (e) => { count.textContent = errText(e); };
  }

  function merge(items) {
    for (const it of items) {
      const had = designs.get(it.id);
      designs.set(it.id, had ? Object.assign(had, it) : { ...it });
      if (args.kind && it.kind && it.kind !== args.kind) kindNote.hidden = false;
    }
  }

  function loaded() { return windows.reduce((n, w) => n + w.order.length, 0); }

  function grow() {
    if (windows.length < MAX_WINDOWS && loaded() >= windows.length * PAGE && loaded() < total) addWindow();
  }

  function card(d) {
    let c = cards.get(d.id);
    if (!c) {
      const img = h('img', { alt: '', loading: 'lazy', width: 320, height: d.kind === 'level' ? 180 : 320, class: `thumb-${d.kind}` });
      const title = h('span.title');
      const by = h('span.by');
      const tally = h('span.tally', { 'data-testid': 'tally' });
      const status = h('span.status');
      const talk = h('span.talk');
      const a = link(`/design/${d.id}`, img, title);
      c = { li: h('li.card', { dataset: { id: d.id } }, a, h('div.meta', by, tally, talk, status)), img, title, by, tally, talk, status, key: '' };
      cards.set(d.id, c);
    }
    const key = JSON.stringify([d.title, d.creator_name, d.tally, d.status, d.thumb, d.comments, d.hidden]);
    if (key !== c.key) {
      const before = c.tally.textContent;
      showTally(c.tally, d.tally, scale);
      if (c.key && c.tally.textContent !== before && !reduceMotion()) {
        c.tally.animate([{ background: '#ffe58a' }, { background: 'transparent' }], { duration: 700 });
      }
      c.img.src = d.thumb || `/t/${d.id}.png`;
      c.img.alt = `${d.title} (thumbnail)`;
      c.title.textContent = d.title;
      c.by.textContent = `by ${d.creator_name || 'creator ' + d.creator}`;
      clear(c.status, d.status && d.status !== 'submitted' ? badge(d.status) : null,
        d.hidden ? h('span.badge.status-hidden', 'Hidden') : null); // seen by the brand and the creator
      clear(c.talk, d.comments ? [icon('comment', 'comments'), ` ${d.comments}`] : null);
      c.talk.title = `${d.comments || 0} comments`;
      c.key = key;
    }
    return c;
  }

  // Re-renders in the windows' order; moved cards slide from where they were (FLIP),
  // new ones fade in, gone ones are removed.
  function render() {
    const seen = new Set();
    const order = [];
    for (const w of windows) for (const id of w.order) if (!seen.has(id) && designs.has(id)) { seen.add(id); order.push(id); }
    const before = new Map();
    const animate = !reduceMotion() && grid.isConnected;
    if (animate) for (const [id, c] of cards) before.set(id, c.li.getBoundingClientRect());
    for (const [id, c] of cards) {
      if (!seen.has(id)) { c.li.remove(); cards.delete(id); designs.delete(id); }
    }
    let prev = null;
    for (const id of order) {
      const c = card(designs.get(id));
      const next = prev ? prev.nextSibling : grid.firstChild;
      if (next !== c.li) grid.insertBefore(c.li, next);
      prev = c.li;
    }
    for (const id of [...designs.keys()]) if (!seen.has(id)) designs.delete(id);
    if (animate) {
      for (const id of order) {
        const c = cards.get(id), was = before.get(id);
        if (!was) { c.li.animate([{ opacity: 0, transform: 'scale(.96)' }, { opacity: 1, transform: 'none' }], { duration: 250 }); continue; }
        const now = c.li.getBoundingClientRect();
        const dx = was.left - now.left, dy = was.top - now.top;
        if (dx || dy) c.li.animate([{ transform: `translate(${dx}px, ${dy}px)` }, { transform: 'none' }], { duration: 300, easing: 'ease-out' });
      }
    }
    count.textContent = ready ? `${total} ${total === 1 ? 'design' : 'designs'}` : 'Loading…';
    emptyEl.hidden = !ready || total > 0;
    more.hidden = !(loaded() < total && windows.length < MAX_WINDOWS);
    // The observer reports crossings only: after a render, look again.
    if (ready && nearEnd()) requestAnimationFrame(() => { if (nearEnd()) grow(); });
  }

  const MARGIN = 400; // px below the viewport at which the next window loads
  const nearEnd = () => sentinel.isConnected && sentinel.getBoundingClientRect().top < innerHeight + MARGIN;
  const io = new IntersectionObserver((es) => {
    if (es.some((e) => e.isIntersecting) && nearEnd()) grow(); // entries can be stale
  }, { rootMargin: `${MARGIN}px` });
  io.observe(sentinel);
  addWindow();
  render();
  return {
    el,
    destroy() { io.disconnect(); for (const w of windows) w.handle.close(); },
  };
}

export function galleryPage() {
  const q = params();
  const state = {
    contest: q.get('contest') || 'open',
    sort: SORTS.some(([s]) => s === q.get('sort')) ? q.get('sort') : 'top',
    tag: q.get('tag') || '',
    status: q.get('status') || '',
    kind: KINDS.some(([k]) => k && k === q.get('kind')) ? q.get('kind') : '',
  };
  const picker = h('select', { id: 'g-contest', name: 'contest' }, h('option', { value: state.contest }, state.contest));
  const tabs = h('div.tabs', { role: 'tablist', 'aria-label': 'Sort' },
    SORTS.map(([s, label]) => h('button', {
      type: 'button', role: 'tab', 'aria-selected': String(s === state.sort), 'aria-controls': 'g-results',
      tabindex: s === state.sort ? '0' : '-1', dataset: { sort: s },
      onclick: () => go({ sort: s }),
      onkeydown: (e) => {
        const i = SORTS.findIndex(([x]) => x === s);
        const j = e.key === 'ArrowRight' ? (i + 1) % SORTS.length : e.key === 'ArrowLeft' ? (i + SORTS.length - 1) % SORTS.length : -1;
        if (j >= 0) { e.preventDefault(); go({ sort: SORTS[j][0] }, true); }
      },
    }, label)));
  const tag = h('input', { id: 'g-tag', name: 'tag', value: state.tag, placeholder: 'any', pattern: '[a-z0-9-]{1,24}', maxlength: 24 });
  const status = h('select', { id: 'g-status', name: 'status' },
    h('option', { value: '' }, 'Any status'),
    Object.entries(STATUS_LABEL).map(([v, l]) => h('option', { value: v, selected: v === state.status }, l)));
  const kind = h('select', { id: 'g-kind', name: 'kind' },
    KINDS.map(([v, l]) => h('option', { value: v, selected: v === state.kind }, l)));
  const kindField = h('div.field', { hidden: true }, h('label', { for: 'g-kind' }, 'Kind'), kind);
  const filters = h('form.filters', { role: 'search', onsubmit: (e) => { e.preventDefault(); go({ tag: tag.value.trim().toLowerCase() }); } },
    h('div.field', h('label', { for: 'g-contest' }, 'Contest'), picker), kindField,
    h('div.field', h('label', { for: 'g-tag' }, 'Tag'), tag),
    h('div.field', h('label', { for: 'g-status' }, 'Status'), status),
    h('button.secondary', { type: 'submit' }, 'Filter'));
  const brief = h('p.brief');
  const results = h('div', { id: 'g-results', role: 'tabpanel' });
  const el = h('section.gallery', h('div.page-head', h('h1', 'Gallery'), link('/submit', 'Submit a design')), filters, brief, tabs, results);

  function go(change, focusTab = false) {
    const next = { ...state, ...change };
    const p = new URLSearchParams();
    if (next.contest !== 'open') p.set('contest', next.contest);
    if (next.sort !== 'top') p.set('sort', next.sort);
    if (next.tag) p.set('tag', next.tag);
    if (next.status) p.set('status', next.status);
    if (next.kind) p.set('kind', next.kind);
    const qs = p.toString();
    navigate('/' + (qs ? '?' + qs : ''), true);
    if (focusTab) document.querySelector(`[role=tab][data-sort="${next.sort}"]`)?.focus();
  }
  picker.addEventListener('change', () => go({ contest: picker.value }));
  status.addEventListener('change', () => go({ status: status.value }));
  kind.addEventListener('change', () => go({ kind: kind.value }));

  let grid = null;
  contests(true).then((list) => {
    clear(picker, list.map((c) => h('option', { value: c.id, selected: c.id === state.contest }, `${c.title} (${c.phase})`)));
    const c = list.find((x) => x.id === state.contest);
    if (!c) { clear(results, h('p.error', `No contest “${state.contest}”.`)); return; }
    clear(brief, c.brief || '', c.id !== 'open' ? [' ', link(`/contest/${c.id}`, 'Contest page')] : null);
    if (c.id !== 'open') setTitle(`${c.title} · Gallery`);
    // Only a contest of both kinds (the open one) has a kind to filter by.
    const mixed = c.kind !== 'artwork' && c.kind !== 'level';
    kindField.hidden = !mixed;
    const args = { contest: state.contest, sort: state.sort };
    if (state.tag) args.tag = state.tag;
    if (state.status) args.status = state.status;
    if (state.kind && mixed) args.kind = state.kind;
    const filtered = !!(args.tag || args.status || args.kind);
    grid = liveGrid(args, { scale: c.scale, label: `${c.title}, sorted by ${state.sort}`,
      empty: filtered ? 'No designs match these filters.' : 'No designs yet.' });
    results.append(grid.el);
  }).catch((e) => clear(results, h('p.error', errText(e))));
  return { el, destroy() { if (grid) grid.destroy(); } };
}
