// The gallery (/): contest picker, sort tabs, kind, tag and status filters, and a live
// grid of thumbnails fed by gallery.subscribe (grid.js), or the lucky dip: a random
// order (SPEC §8) in pages, shuffled again on demand. A contest that hides its tallies
// (SPEC §8) has no Top or Hot for anyone but the brand until voting closes.
import { api } from './api.js';
import { h, clear, link, errText, params, setTitle, announce, sealed, sealedNote, STATUS_LABEL } from './dom.js';
import { liveGrid, pagedGrid } from './grid.js';
import { revealWatch } from './contest.js';
import { navigate } from './router.js';

const SORTS = [['top', 'Top'], ['hot', 'Hot'], ['new', 'New'], ['random', 'Lucky dip']];
export const KINDS = [['', 'All kinds'], ['artwork', 'T-shirt artwork'], ['level', 'Game levels']];

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
  // The tabs come with the contest: a sealed one offers no Top or Hot (but to the brand).
  const tabs = h('div.tabs', { role: 'tablist', 'aria-label': 'Sort' });
  function showTabs(sorts) {
    clear(tabs, sorts.map(([s, label]) => h('button', {
      type: 'button', role: 'tab', 'aria-selected': String(s === state.sort), 'aria-controls': 'g-results',
      tabindex: s === state.sort ? '0' : '-1', dataset: { sort: s },
      onclick: () => go({ sort: s }),
      onkeydown: (e) => {
        const i = sorts.findIndex(([x]) => x === s);
        const j = e.key === 'ArrowRight' ? (i + 1) % sorts.length : e.key === 'ArrowLeft' ? (i + sorts.length - 1) % sorts.length : -1;
        if (j >= 0) { e.preventDefault(); go({ sort: sorts[j][0] }, true); }
      },
    }, label)));
  }
  const note = h('div.sealed-slot');
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
  const el = h('section.gallery', h('div.page-head', h('h1', 'Gallery'), link('/submit', 'Submit a design')), filters, brief, note, tabs, results);

  // Shows the gallery of state + change (render false: only the address changes).
  function go(change, focusTab = false, render = true) {
    const next = { ...state, ...change };
    const p = new URLSearchParams();
    if (next.contest !== 'open') p.set('contest', next.contest);
    if (next.sort !== 'top') p.set('sort', next.sort);
    if (next.tag) p.set('tag', next.tag);
    if (next.status) p.set('status', next.status);
    if (next.kind) p.set('kind', next.kind);
    const qs = p.toString();
    if (!render) { history.replaceState(null, '', '/' + (qs ? '?' + qs : '')); return; }
    navigate('/' + (qs ? '?' + qs : ''), true);
    if (focusTab) document.querySelector(`[role=tab][data-sort="${next.sort}"]`)?.focus();
  }
  picker.addEventListener('change', () => go({ contest: picker.value }));
  status.addEventListener('change', () => go({ status: status.value }));
  kind.addEventListener('change', () => go({ kind: kind.value }));

  let grid = null, reveal = null;
  contests(true).then((list) => {
    clear(picker, list.map((c) => h('option', { value: c.id, selected: c.id === state.contest }, `${c.title} (${c.phase})`)));
    const c = list.find((x) => x.id === state.contest);
    if (!c) { clear(results, h('p.error', `No contest “${state.contest}”.`)); return; }
    clear(brief, c.brief || '', c.id !== 'open' ? [' ', link(`/contest/${c.id}`, 'Contest page')] : null);
    if (c.id !== 'open') setTitle(`${c.title} · Gallery`);
    // Only a contest of both kinds (the open one) has a kind to filter by.
    const mixed = c.kind !== 'artwork' && c.kind !== 'level';
    kindField.hidden = !mixed;
    // SPEC §8: while the tallies are sealed, top and hot are the brand's alone; anyone
    // else (a deep link with ?sort=top too) sees the newest first and why.
    const hide = sealed(c) && !(api.account && api.account.role === 'brand');
    if (hide && (state.sort === 'top' || state.sort === 'hot')) state.sort = 'new';
    showTabs(hide ? SORTS.filter(([s]) => s !== 'top' && s !== 'hot') : SORTS);
    if (hide) {
      clear(note, sealedNote('Top and Hot open when voting closes.'));
      reveal = revealWatch(c.id, () => { // the grid's windows come again with tallies
        clear(note);
        showTabs(SORTS);
        go({}, false, false); // the address says the order shown (New), across reloads
        announce('Voting has closed: the tallies are shown.', { toast: false });
      });
      if (c.phase === 'judging' || c.phase === 'closed') reveal.poke(1000);
    }
    const args = { contest: state.contest, sort: state.sort };
    if (state.tag) args.tag = state.tag;
    if (state.status) args.status = state.status;
    if (state.kind && mixed) args.kind = state.kind;
    const filtered = !!(args.tag || args.status || args.kind);
    const empty = filtered ? 'No designs match these filters.' : 'No designs yet.';
    grid = state.sort === 'random' ? luckyDip(args, c, empty)
      : liveGrid(args, { scale: c.scale, label: `${c.title}, sorted by ${state.sort}`, empty, onUpdate: reveal ? () => reveal.poke() : null });
    results.append(grid.el);
  }).catch((e) => clear(results, h('p.error', errText(e))));
  return { el, destroy() { if (grid) grid.destroy(); if (reveal) reveal.stop(); } };
}

// The lucky dip (SPEC §8: gallery.get sort "random"): the server picks a seed and says
// which designs the shuffle covers (until); the next pages ask with both, so no design
// comes twice and none newer slips in. "Shuffle again" starts over with a new seed. Not
// live: a random order has no live window (gallery.subscribe refuses it).
function luckyDip(args, c, empty) {
  const box = h('div');
  const shuffle = h('button.secondary', { type: 'button', onclick: () => { start(); announce('Shuffled again.'); } }, 'Shuffle again');
  const el = h('div.dip', h('div.dip-head', h('p.help', 'A random pick of the gallery, a new one each time.'), shuffle), box);
  let grid = null;
  function start() {
    if (grid) grid.destroy();
    let dip = null; // {seed, until} of this shuffle, from its first page
    grid = pagedGrid(async (offset, limit) => {
      const r = await api.call('gallery.get', { ...args, ...dip, offset, limit });
      if (!dip) dip = { seed: r.seed, ...(r.until != null ? { until: r.until } : {}) };
      return r;
    }, {
      label: `${c.title}, a lucky dip`, empty, scaleOf: () => c.scale,
      countText: (n) => `${n} ${n === 1 ? 'design' : 'designs'} in a random order`,
      // A server without SPEC §8's random order refuses the sort.
      errorText: (e) => (e.code === 'bad_args' && e.detail.field === 'sort' ? 'This server has no lucky dip yet.' : errText(e)),
    });
    clear(box, grid.el);
  }
  start();
  return { el, destroy() { grid.destroy(); } };
}
