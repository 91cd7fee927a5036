// The gallery (/): contest picker, sort tabs, kind, tag and status filters, and a live
// grid of thumbnails fed by gallery.subscribe (grid.js), or the lucky dip: a random
// order (SPEC §8) in pages, shuffled again on demand.
import { api } from './api.js';
import { h, clear, link, errText, params, setTitle, announce, STATUS_LABEL } from './dom.js';
import { liveGrid, pagedGrid } from './grid.js';
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
    const empty = filtered ? 'No designs match these filters.' : 'No designs yet.';
    grid = state.sort === 'random' ? luckyDip(args, c, empty)
      : liveGrid(args, { scale: c.scale, label: `${c.title}, sorted by ${state.sort}`, empty });
    results.append(grid.el);
  }).catch((e) => clear(results, h('p.error', errText(e))));
  return { el, destroy() { if (grid) grid.destroy(); } };
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
