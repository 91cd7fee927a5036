// The contest page (/contest/<id>): brief, prize, phase with a countdown to the next
// one, the live ranking, and once closed the results with the audit-log head. A contest
// that hides its tallies (SPEC §8) shows everyone but the brand its designs newest first
// and the log head alone until voting closes, then turns into a contest like any other.
import { api } from './api.js';
import { h, clear, link, badge, fmtDate, fmtDuration, showTally, errText, setTitle, notFoundView, stagesText, sealed, sealedNote } from './dom.js';
import { liveGrid } from './grid.js';

const RESULTS_LIMIT = 100; // rows of the results table (contest.results pages ≤ 1000)

const PHASE_TEXT = {
  upcoming: 'Not open yet',
  submissions: 'Open for submissions and votes',
  voting: 'Voting (submissions closed)',
  judging: 'Judging: the brand is deciding',
  closed: 'Closed: results are final',
};

// The next phase change: {label, at} or null.
export function nextPhase(c) {
  if (c.phase === 'upcoming' && c.submit_open) return { label: 'Submissions open', at: c.submit_open };
  if (c.phase === 'submissions' && c.submit_close) return { label: c.vote_close ? 'Submissions close' : 'Submissions and votes close', at: c.submit_close };
  if (c.phase === 'voting' && c.vote_close) return { label: 'Voting closes', at: c.vote_close };
  return null;
}

// Watches for the reveal of a sealed contest's tallies (SPEC §8). No event says it, but
// at the reveal the server sends every window of the contest again: a page pokes this
// on each gallery update; it then reads the contest (one read per burst of pokes) and
// calls revealed(contest) once, when tallies_revealed. A contest already past voting is
// read again each second until then (the reveal follows the phase change within a tick
// of the server's clock). Returns {poke(delayMs?), stop()}.
const REVEAL_DEBOUNCE_MS = 250;
const REVEAL_RETRY_MS = 1000;
export function revealWatch(id, revealed) {
  let timer = null, busy = false, again = false, done = false;
  async function look() {
    timer = null;
    if (busy) { again = true; return; }
    busy = true;
    try {
      const c = (await api.call('contest.get', { contest: id })).contest;
      if (done) return;
      if (!sealed(c)) { done = true; revealed(c); return; }
      if (c.phase === 'judging' || c.phase === 'closed') poke(REVEAL_RETRY_MS);
    } catch { /* the next update (or the next page) looks again */ } finally {
      busy = false;
      if (again) { again = false; poke(); }
    }
  }
  function poke(delay = REVEAL_DEBOUNCE_MS) {
    if (!done && !timer) timer = setTimeout(look, delay);
  }
  return { poke, stop() { done = true; clearTimeout(timer); } };
}

export function contestPage(id) {
  const el = h('section.contest', h('p', 'Loading…'));
  let timer = null, grid = null, reveal = null;

  async function load() {
    let c;
    try {
      c = (await api.call('contest.get', { contest: id })).contest;
    } catch (e) {
      if (e.code === 'not_found' || e.code === 'bad_args') clear(el, notFoundView('Contest not found', `There is no contest “${id}”.`));
      else clear(el, h('h1', 'Contest'), h('p.error', errText(e)));
      setTitle('Contest not found');
      return;
    }
    show(c);
  }

  function show(c) {
    setTitle(c.title);
    if (grid) grid.destroy();
    if (reveal) reveal.stop();
    clearInterval(timer);
    // SPEC §8: a sealed contest has no ranking for anyone but the brand (top is refused).
    const brand = !!(api.account && api.account.role === 'brand');
    const hide = sealed(c) && !brand;
    reveal = sealed(c) ? revealWatch(c.id, () => load()) : null;
    if (reveal && (c.phase === 'judging' || c.phase === 'closed')) reveal.poke(REVEAL_RETRY_MS);
    const countdown = h('p.countdown', { 'data-testid': 'countdown' });
    const next = nextPhase(c);
    const tick = () => {
      if (!next) { countdown.textContent = ''; return; }
      const left = next.at - Date.now() / 1000;
      if (left <= 0) { clearInterval(timer); countdown.textContent = `${next.label} now.`; setTimeout(load, 1000); return; }
      countdown.textContent = `${next.label} in ${fmtDuration(left)} (${fmtDate(next.at)})`;
    };
    tick();
    if (next) timer = setInterval(tick, 1000);
    const results = h('section.results', { 'aria-labelledby': 'res-h' });
    grid = liveGrid({ contest: c.id, sort: hide ? 'new' : 'top' }, {
      scale: c.scale, label: hide ? `Designs of ${c.title}, newest first` : `Ranking of ${c.title}`, empty: 'No designs yet.',
      onUpdate: reveal ? () => reveal.poke() : null,
    });
    if (!hide) grid.el.classList.add('ranked');
    clear(el,
      h('div.page-head', h('h1', c.title),
        c.phase === 'submissions' ? link(`/submit?contest=${encodeURIComponent(c.id)}`, 'Submit a design') : null),
      h('p.phase', h('span.badge.phase-' + c.phase, { 'data-testid': 'phase' }, c.phase), ' ', PHASE_TEXT[c.phase] || ''),
      countdown,
      c.brief ? h('p.brief', c.brief) : null,
      c.prize ? h('p.prize', h('strong', 'Prize: '), c.prize) : null,
      c.stages && c.stages.length ? h('p.stages', { 'data-testid': 'stages' }, h('strong', 'Stages: '),
        `a design needs ${stagesText(c.stages)} (each counted from the stage before); one that misses a stage expires, and the last stage puts it on the shortlist.`) : null,
      h('p.help', `${c.kind === 'any' ? 'Artwork and levels' : c.kind === 'level' ? 'Game levels' : 'T-shirt artwork'}, voted with `,
        c.scale === 'stars5' ? '1–5 stars' : c.scale === 'updown' ? 'up and down votes' : 'hearts',
        c.threshold ? `; ${c.threshold} supports put a design on the shortlist` : '', '. ',
        link(`/?contest=${encodeURIComponent(c.id)}`, 'Browse the gallery')),
      hide ? sealedNote()
        : sealed(c) ? h('p.help', { 'data-testid': 'sealed-brand' }, 'Tallies are hidden from members until voting closes; as the brand you see them.') : null,
      c.phase === 'closed' || hide ? results : null,
      h('section', { 'aria-labelledby': 'rank-h' },
        h('h2', { id: 'rank-h' }, hide ? 'Designs, newest first' : c.phase === 'closed' ? 'Final ranking (live view)' : 'Live ranking'), grid.el));
    if (c.phase === 'closed' || hide) loadResults(c, results);
  }

  async function loadResults(c, box) {
    clear(box, h('h2', { id: 'res-h' }, 'Results'), h('p', 'Loading…'));
    try {
      const r = await api.call('contest.results', { contest: c.id, limit: RESULTS_LIMIT });
      if (r.tallies_hidden) return clear(box, ...sealedResults(c, r));
      const rows = (r.ranking || []).map((x) => h('tr', h('td', String(x.rank)),
        h('td', link(`/design/${x.design}`, x.title || `Design ${x.design}`), x.status && x.status !== 'submitted' ? [' ', badge(x.status)] : null),
        h('td', link(`/creator/${x.creator}`, x.creator_name || x.creator)),
        showTally(h('td.tally'), x.tally, c.scale),
        // no votes: no score (its prior, SPEC §5's C·m, is not a rating)
        h('td', x.tally && x.tally.votes && typeof x.score === 'number' ? x.score.toFixed(3) : '–')));
      clear(box, h('h2', { id: 'res-h' }, 'Results'),
        h('div.table-wrap', h('table.results-table', h('caption', `Final results of ${c.title}`),
          h('thead', h('tr', ['Rank', 'Design', 'Creator', 'Tally', 'Score'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', rows))),
        r.total > (r.ranking || []).length ? h('p.help', `The first ${r.ranking.length} of ${r.total} designs.`) : null,
        h('p.audit', `Audit log: ${r.log_length ?? '?'} ${r.log_length === 1 ? 'entry' : 'entries'}, head `, h('code', { 'data-testid': 'log-head' }, r.log_head || '(empty)'), ' · ',
          h('a', { href: `/log/${encodeURIComponent(c.id)}` }, 'Download the audit log'),
          ' (check it with ', h('code', 'cocreate verify'), ')'));
    } catch (e) {
      clear(box, h('h2', { id: 'res-h' }, 'Results'), h('p.error', errText(e)));
    }
  }

  load();
  return { el, destroy() { clearInterval(timer); if (grid) grid.destroy(); if (reveal) reveal.stop(); } };
}

// The results of a sealed contest as anyone but the brand gets them (ranking: [] and
// tallies_hidden): when the ranking comes, and the audit log's head so far. No link:
// /log/ is 403 until the reveal.
function sealedResults(c, r) {
  return [h('h2', { id: 'res-h' }, 'Results'),
    h('p', { 'data-testid': 'results-sealed' }, c.phase === 'closed' || c.phase === 'judging'
      ? 'Voting has closed: the ranking is being published.'
      : 'The ranking is published when voting closes: until then nobody but the brand sees the tallies.'),
    h('p.audit', `Audit log so far: ${r.log_length ?? '?'} ${r.log_length === 1 ? 'entry' : 'entries'}, head `,
      h('code', { 'data-testid': 'log-head' }, r.log_head || '(empty)'),
      '. The log itself is published when voting closes (then check it with ', h('code', 'cocreate verify'), ').')];
}
