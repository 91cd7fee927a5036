// Search (SPEC §8): the header's search box and the results page (/?q=WORDS&kind=K),
// the designs whose titles, tags or creator names match every word (the server's rules:
// prefixes, any case and accents, one typo in words of 5+ letters), in pages.
import { api } from './api.js';
import { h, clear, icon, errText, params, setTitle } from './dom.js';
import { contests, KINDS } from './gallery.js';
import { pagedGrid } from './grid.js';
import { navigate } from './router.js';

const Q_MAX = 200; // characters of a query the box takes (a search is a few words)

// The results' address for a query (and a kind: '' for all).
export function searchUrl(q, kind = '') {
  const p = new URLSearchParams({ q });
  if (kind) p.set('kind', kind);
  return '/?' + p.toString();
}

// The header's form (index.html #search-form): works without scripts too (GET /?q=),
// and stays in the page with them. syncSearch() shows the query of the page shown.
export function setupSearch() {
  const form = document.getElementById('search-form');
  form.elements.q.maxLength = Q_MAX;
  form.querySelector('.search-go').append(icon('search'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = form.elements.q.value.trim();
    if (q) navigate(searchUrl(q, params().get('q') !== null ? params().get('kind') || '' : ''));
    else form.elements.q.focus();
  });
}

export function syncSearch() {
  document.getElementById('search-form').elements.q.value = params().get('q') || '';
}

// The plain words of search's errors: a server without the op (SPEC §8 is newer than
// some servers), a query it refuses.
function searchError(e) {
  if (e.code === 'unknown_op') return 'This server cannot search yet.';
  if (e.code === 'bad_args' && e.detail.field === 'q') return `Search for 1–${Q_MAX} characters of words.`;
  return errText(e);
}

// search, asked again while the server is still building its index after a start
// (busy with retry_after, docs/protocol.md), a few times.
const BUSY_TRIES = 5;
async function searchOnce(args) {
  for (let i = 1; ; i++) {
    try {
      return await api.call('search', args);
    } catch (e) {
      if (e.code !== 'busy' || i === BUSY_TRIES) throw e;
      await new Promise((r) => setTimeout(r, 1000 * (e.detail.retry_after || 1)));
    }
  }
}

export function searchPage() {
  const q = (params().get('q') || '').trim();
  const kind = KINDS.some(([k]) => k && k === params().get('kind')) ? params().get('kind') : '';
  const input = h('input', { id: 's-q', name: 'q', type: 'search', value: q, maxlength: Q_MAX, autocomplete: 'off', enterkeyhint: 'search' });
  const kindSel = h('select', { id: 's-kind', name: 'kind' }, KINDS.map(([v, l]) => h('option', { value: v, selected: v === kind }, l)));
  const form = h('form.filters', {
    role: 'search',
    onsubmit: (e) => {
      e.preventDefault();
      const words = input.value.trim();
      if (words) navigate(searchUrl(words, kindSel.value), true);
      else input.focus();
    },
  }, h('div.field', h('label', { for: 's-q' }, 'Search for'), input),
  h('div.field', h('label', { for: 's-kind' }, 'Kind'), kindSel),
  h('button', { type: 'submit' }, 'Search'));
  kindSel.addEventListener('change', () => { if (input.value.trim()) form.requestSubmit(); });
  const results = h('div.search-results');
  const el = h('section.search-page', h('h1', 'Search'), form,
    h('p.help', 'Titles, tags and creator names: every word counts, the start of a word is enough, accents and one typo are forgiven.'),
    results);
  if (!q) {
    results.append(h('p.empty', 'Type a few words: a title, a tag or a creator’s name.'));
    return { el };
  }
  let scales = new Map();
  const grid = pagedGrid(async (offset, limit) => {
    const args = { q, offset, limit };
    if (kind) args.kind = kind;
    const [r, list] = await Promise.all([searchOnce(args), contests().catch(() => [])]);
    scales = new Map(list.map((c) => [c.id, c.scale]));
    setTitle(`Search for “${q}”`); // after app.js named the page by its h1
    return r;
  }, {
    label: `Designs matching “${q}”`,
    empty: `No designs match “${q}”${kind ? ` among ${KINDS.find(([k]) => k === kind)[1].toLowerCase()}` : ''}. Try fewer or shorter words.`,
    scaleOf: (d) => scales.get(d.contest) || 'heart',
    countText: (n) => (n ? `${n} ${n === 1 ? 'design matches' : 'designs match'} “${q}”` : ''),
    errorText: searchError,
  });
  clear(results, grid.el);
  return { el, destroy() { grid.destroy(); } };
}
