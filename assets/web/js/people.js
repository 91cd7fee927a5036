// The creator page (/creator/<id>: points, designs, wins; creator.get) and the
// leaderboard (/leaderboard: creator.top).
import { api } from './api.js';
import { h, clear, link, badge, fmtDate, errText, setTitle, notFoundView, askReason, announce } from './dom.js';
import { liveGrid } from './grid.js';

const TOP = 50;

function count(v) {
  return Array.isArray(v) ? v.length : (v ?? 0);
}

// The list a result holds, whatever it is called.
function firstArray(r) {
  return Object.values(r).find(Array.isArray) || [];
}

export function creatorPage(id) {
  const el = h('section.creator', h('p', 'Loading…'));
  let grid = null;
  api.call('creator.get', { account: id }).then((r) => {
    const a = r.account || r.creator || r;
    const designs = Array.isArray(a.designs) ? a.designs : Array.isArray(r.designs) ? r.designs : null;
    const wins = a.wins ?? (designs ? designs.filter((d) => ['winner', 'in_production', 'launched'].includes(d.status)).length : 0);
    const stats = h('dl.stats',
      h('div', h('dt', 'Points'), h('dd', { 'data-testid': 'points' }, String(a.points ?? 0))),
      h('div', h('dt', 'Designs'), h('dd', { 'data-testid': 'designs' }, String(a.designs_total ?? count(a.designs)))),
      h('div', h('dt', 'Wins'), h('dd', { 'data-testid': 'wins' }, String(count(wins)))),
      a.rank ? h('div', h('dt', 'Rank'), h('dd', `#${a.rank}`)) : null);
    let list;
    if (designs && !designs.length) {
      list = h('p.empty', 'No designs yet.');
    } else if (designs) {
      list = h('ul.grid', { 'aria-label': `Designs by ${a.name}`, 'data-testid': 'grid' }, designs.map((d) => h('li.card', { dataset: { id: d.id } },
        link(`/design/${d.id}`, h('img', { src: d.thumb || `/t/${d.id}.png`, alt: `${d.title} (thumbnail)`, loading: 'lazy', width: 320, height: d.kind === 'level' ? 180 : 320 }), h('span.title', d.title)),
        h('div.meta', h('span.by', link(`/contest/${d.contest}`, d.contest)), d.status !== 'submitted' ? badge(d.status) : null,
          d.hidden ? h('span.badge.status-hidden', 'Hidden') : null))));
    } else {
      grid = liveGrid({ contest: 'open', sort: 'new', creator: String(a.id ?? id) }, { label: `Designs by ${a.name}` });
      list = grid.el;
    }
    setTitle(a.name || `Creator ${id}`);
    clear(el, h('h1', a.name || `Creator ${id}`),
      h('p.help', a.role === 'brand' ? 'Brand staff' : 'Creator', a.created ? ` since ${fmtDate(a.created)}` : ''),
      brandTools(a), stats, h('h2', 'Designs'), list);
  }).catch((e) => {
    if (e.code === 'not_found' || e.code === 'bad_args') clear(el, notFoundView('Creator not found', 'There is no creator with this id.'));
    else clear(el, h('h1', 'Creator'), h('p.error', errText(e)));
    setTitle('Creator not found');
  });
  return { el, destroy() { if (grid) grid.destroy(); } };
}

// What the brand sees and does on a member's page: the contact (SPEC §7) and suspend
// or reinstate, with a reason (account.suspend).
function brandTools(a) {
  if (!api.account || api.account.role !== 'brand' || a.role === 'brand') return null;
  const state = h('p', { 'data-testid': 'suspended' });
  const btn = h('button', { type: 'button' });
  const box = h('div.brand-tools', a.contact ? h('p', 'Contact: ', h('a', { href: `mailto:${a.contact}` }, a.contact)) : h('p.help', 'No contact given.'), state, btn);
  const show = () => {
    state.textContent = a.suspended ? 'Suspended: signed out everywhere, cannot sign in, designs hidden.' : '';
    state.className = a.suspended ? 'notice' : '';
    btn.textContent = a.suspended ? 'Reinstate' : 'Suspend';
    btn.className = a.suspended ? 'secondary' : 'danger';
  };
  btn.addEventListener('click', async () => {
    const suspended = !a.suspended;
    const reason = await askReason(btn, { action: suspended ? 'Suspend account' : 'Reinstate account' });
    if (reason === null) return;
    try {
      await api.call('account.suspend', { account: String(a.id), suspended, reason });
      a.suspended = suspended;
      announce(suspended ? `${a.name} is suspended.` : `${a.name} is reinstated.`);
      show();
    } catch (e) { state.textContent = errText(e); }
  });
  show();
  return box;
}

export function leaderboardPage() {
  const body = h('tbody');
  const msg = h('p', 'Loading…');
  const el = h('section.leaderboard', h('h1', 'Leaderboard'),
    h('p.help', 'Points: +10 per accepted design, +1 per support received, +100 per win.'), msg,
    h('table.board', h('caption.visually-hidden', 'Creators by points'),
      h('thead', h('tr', ['Rank', 'Creator', 'Points', 'Wins'].map((t) => h('th', { scope: 'col' }, t)))), body));
  api.call('creator.top', { limit: TOP }).then((r) => {
    const list = firstArray(r);
    msg.textContent = list.length ? '' : 'Nobody has points yet.';
    clear(body, list.map((x, i) => {
      const a = x.account || x;
      return h('tr', h('td', String(x.rank ?? i + 1)), h('td', link(`/creator/${a.id}`, a.name)),
        h('td', String(a.points ?? 0)), h('td', String(a.wins ?? 0)));
    }));
  }).catch((e) => { msg.textContent = errText(e); });
  return { el };
}
