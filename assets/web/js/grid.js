// The grids of design cards: a card (thumbnail, title, creator, tally, comments,
// status), the live grid of a gallery (gallery.subscribe windows, infinite scroll) and
// a grid of pages fetched on demand (lucky dip, search results: no live order).
import { api } from './api.js';
import { h, clear, link, badge, icon, showTally, errText } from './dom.js';

const PAGE = 24;          // designs per window or page (gallery.subscribe's default limit)
const MAX_WINDOWS = 40;   // live windows per grid (the server allows 64 per connection)
const reduceMotion = () => matchMedia('(prefers-reduced-motion: reduce)').matches;

// A design's card: {li, update(d, scale, flash)}. update shows d's current values;
// with flash, a tally that changed since the last update blinks.
export function designCard(d) {
  const img = h('img', { alt: '', loading: 'lazy', width: 320, height: d.kind === 'level' ? 180 : 320, class: `thumb-${d.kind}` });
  const title = h('span.title');
  const by = h('span.by');
  const tally = h('span.tally', { 'data-testid': 'tally' });
  const status = h('span.status');
  const talk = h('span.talk');
  const li = h('li.card', { dataset: { id: d.id } }, link(`/design/${d.id}`, img, title), h('div.meta', by, tally, talk, status));
  let key = '';
  function update(x, scale, flash = false) {
    const next = JSON.stringify([x.title, x.creator_name, x.tally, x.status, x.thumb, x.comments, x.hidden]);
    if (next === key) return;
    const before = tally.textContent;
    showTally(tally, x.tally, scale);
    if (flash && key && tally.textContent !== before && !reduceMotion()) {
      tally.animate([{ background: '#ffe58a' }, { background: 'transparent' }], { duration: 700 });
    }
    img.src = x.thumb || `/t/${x.id}.png`;
    img.alt = `${x.title} (thumbnail)`;
    title.textContent = x.title;
    by.textContent = `by ${x.creator_name || 'creator ' + x.creator}`;
    clear(status, x.status && x.status !== 'submitted' ? badge(x.status) : null,
      x.hidden ? h('span.badge.status-hidden', 'Hidden') : null); // seen by the brand and the creator
    clear(talk, x.comments ? [icon('comment', 'comments'), ` ${x.comments}`] : null);
    talk.title = `${x.comments || 0} comments`;
    key = next;
  }
  return { li, update };
}

// A live grid of design cards for gallery args (without offset/limit). Returns
// {el, destroy}. Each gallery.update item is merged by id onto the design held (its
// tally may be null: hidden, SPEC §8); onUpdate(ev) is told of each one after.
export function liveGrid(args, { scale = 'heart', label = 'Designs', empty = 'No designs yet.', onUpdate = null } = {}) {
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
      (ev) => { if (ev.order) w.order = ev.order; merge(ev.items || []); total = ev.total; render(); if (onUpdate) onUpdate(ev); });
    w.handle.onError = (e) => { count.textContent = errText(e); };
  }

  function merge(items) {
    for (const it of items) {
      const had = designs.get(it.id);
      // SPEC §8: the live items of a sealed contest's window are the same for every
      // member, so they carry tally null even for a design this viewer voted on (whose
      // count the window's first answer gave): there null means "not told", and the
      // count already shown stays (the reveal sends every window again, with tallies).
      if (had && it.tally === null && had.tally) {
        const { tally: _t, score: _s, ...rest } = it;
        Object.assign(had, rest);
      } else designs.set(it.id, had ? Object.assign(had, it) : { ...it });
      if (args.kind && it.kind && it.kind !== args.kind) kindNote.hidden = false;
    }
  }

  function loaded() { return windows.reduce((n, w) => n + w.order.length, 0); }

  function grow() {
    if (windows.length < MAX_WINDOWS && loaded() >= windows.length * PAGE && loaded() < total) addWindow();
  }

  function card(d) {
    let c = cards.get(d.id);
    if (!c) { c = designCard(d); cards.set(d.id, c); }
    c.update(d, scale, true);
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


// A grid of pages that are not live: fetchPage(offset, limit) resolves with {total,
// items}; the first page at once, the next on "More designs". A design a later page
// repeats is shown once. scaleOf(design) names its contest's scale; countText(total)
// says what the count means. Returns {el, destroy}.
export function pagedGrid(fetchPage, { label = 'Designs', empty = 'No designs yet.', scaleOf = () => 'heart',
  countText = (n) => `${n} ${n === 1 ? 'design' : 'designs'}`, errorText = errText } = {}) {
  const grid = h('ul.grid', { 'aria-label': label, 'data-testid': 'grid' });
  const count = h('p.count', { 'aria-live': 'polite' }, 'Loading…');
  const more = h('button.secondary.more', { type: 'button', hidden: true, onclick: () => next() }, 'More designs');
  const emptyEl = h('p.empty', { hidden: true }, empty);
  const el = h('div.paged-grid', count, grid, emptyEl, more);
  const shown = new Set();
  let offset = 0, closed = false;

  async function next() {
    more.disabled = true;
    try {
      const r = await fetchPage(offset, PAGE);
      if (closed) return;
      offset += r.items.length;
      for (const d of r.items) {
        if (shown.has(d.id)) continue;
        shown.add(d.id);
        const c = designCard(d);
        c.update(d, scaleOf(d));
        grid.append(c.li);
      }
      count.textContent = countText(r.total);
      emptyEl.hidden = r.total > 0;
      more.hidden = !r.items.length || offset >= r.total;
    } catch (e) {
      if (!closed) count.textContent = errorText(e);
    } finally {
      more.disabled = false;
    }
  }
  next();
  return { el, destroy() { closed = true; } };
}
