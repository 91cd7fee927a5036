// Notices (SPEC §8, dialogue): the signed-in account's unread count, kept live from the
// `notice` events (the bell in the header), and the notices page (/account?view=notices):
// newest first, paged, each in plain words with a link to its design, marked read as it
// is seen (notice.read up to the newest shown).
import { api } from './api.js';
import { h, clear, link, icon, fmtDate, errText, announce, signInButton, STATUS_LABEL } from './dom.js';

export const NOTICES_URL = '/account?view=notices'; // a page route the server knows (docs/web.md)
const PAGE = 20;      // notices a page (notice.list allows 100)
const BADGE_MAX = 99; // the bell says "99+" past this

// ---- the unread count: api.unread at sign-in, +1 a notice event, notice.read's answer ----

const news = new EventTarget(); // 'unread' when the count changes; 'notice' (detail) live
let unread = 0;

function setUnread(n) {
  unread = Math.max(0, n);
  news.dispatchEvent(new Event('unread'));
}

api.live.add({
  resume() { setUnread(api.account ? api.unread : 0); }, // after every (re)connect
  suspend() {},
  event(m) {
    if (m.ev !== 'notice' || !m.notice) return;
    setUnread(unread + 1);
    news.dispatchEvent(new CustomEvent('notice', { detail: m.notice }));
    // Said to screen readers, not shown as a toast (the bell shows it).
    describe(m.notice).then((parts) => announce(`New notice: ${plain(parts)}`, { toast: false }));
  },
});
api.addEventListener('account', () => setUnread(api.account ? api.unread : 0));

// The header's bell: a link to the notices with the unread count, named for screen
// readers ("Notices, 3 unread"). One element for the page's lifetime.
let bellEl = null;
export function bell() {
  if (bellEl) return bellEl;
  const count = h('span.bell-count', { 'aria-hidden': 'true' });
  bellEl = h('a.bell', { href: NOTICES_URL, 'data-link': '', 'data-testid': 'bell' }, icon('bell'), count);
  const show = () => {
    count.textContent = unread > BADGE_MAX ? `${BADGE_MAX}+` : String(unread);
    count.hidden = !unread;
    const label = unread ? `Notices, ${unread} unread` : 'Notices, none unread';
    bellEl.setAttribute('aria-label', label);
    bellEl.title = label;
  };
  news.addEventListener('unread', show);
  show();
  return bellEl;
}

// ---- a notice in plain words ----

// Designs and people the notices name, looked up once a page view (titles can change).
const designs = new Map(), names = new Map();
function designOf(id) {
  if (!designs.has(id)) designs.set(id, api.call('design.get', { design: id }).then((r) => r.design, () => null));
  return designs.get(id);
}
function nameOf(id) {
  if (!names.has(id)) names.set(id, api.call('creator.get', { account: id }).then((r) => r.account.name, () => null));
  return names.get(id);
}

// What the brand did, by the status it moved the design to; t is the design's title.
const STATUS_WORDS = {
  submitted: (t) => ['The brand moved ', t, ' back to submitted'],
  shortlisted: (t) => ['The brand shortlisted ', t],
  winner: (t) => ['The brand picked ', t, ' as a winner'],
  not_selected: (t) => ['The brand did not select ', t],
  in_production: (t) => ['The brand put ', t, ' into production'],
  launched: (t) => ['The brand launched ', t],
};

// Resolves with the notice as a sentence: strings and the design's title as a link,
// e.g. ['ann', ' commented on ', <a>“Moon Jump”</a>, ': ', 'Nice!'].
async function describe(n) {
  const [d, actor] = await Promise.all([n.design ? designOf(n.design) : null,
    n.kind === 'comment' && n.actor ? nameOf(n.actor) : null]);
  const t = n.design ? link(`/design/${n.design}`, d ? `“${d.title}”` : 'your design') : 'your design';
  const count = (x) => Number(x).toLocaleString('en');
  switch (n.kind) {
    case 'status': {
      // docs/protocol.md: the text is the brand's public note, or this when it gave none.
      const note = n.note || '';
      const words = STATUS_WORDS[n.status] || ((x) => ['The brand moved ', x, ` to “${STATUS_LABEL[n.status] || n.status}”`]);
      return [...words(t), note ? `: ${note}` : '.'];
    }
    case 'comment': return [actor || 'Someone', ' commented on ', t, `: ${n.text}`];
    case 'official': return ['The brand commented on ', t, `: ${n.text}`];
    case 'milestone': return [t, ` reached ${count(n.supports)} supports.`];
    case 'threshold': return [t, ` reached its contest’s threshold of ${count(n.supports)} supports and is shortlisted.`];
    default: return [n.text]; // contest phases and kinds this client does not know yet
  }
}

const plain = (parts) => parts.map((p) => (typeof p === 'string' ? p : p.textContent)).join('');

// ---- the page ----

export function noticesPage() {
  const el = h('section.notices-page', h('h1', 'Notices'));
  if (!api.account) {
    el.append(h('p', 'Sign in to see your notices: what the brand decided about your designs, comments on them, their supports.'),
      signInButton('Sign in'));
    return { el };
  }
  designs.clear();
  names.clear();
  const list = h('ol.notices', { 'data-testid': 'notices', 'aria-label': 'Notices, newest first' });
  const msg = h('p.help', { role: 'status' });
  const older = h('button.secondary', { type: 'button', hidden: true, onclick: () => load() }, 'Older notices');
  el.append(h('p.help', 'What happened to your designs: the brand’s decisions and notes, comments, supports. ',
    link('/account', 'Your account')), msg, list, older);

  const shown = new Set();
  let before = null, loaded = false, newLeft = 0, newest = 0, readSent = 0, closed = false;
  const early = []; // live notices that came before the first page

  function add(n, fresh, top) {
    if (shown.has(n.id)) return;
    shown.add(n.id);
    newest = Math.max(newest, Number(n.id));
    const text = h('p.n-text', n.text || '');
    const li = h('li', { dataset: { id: n.id, kind: n.kind }, class: fresh ? 'new' : '' },
      fresh ? h('span.badge.status-official', 'New') : null, text, h('p.help', h('time', fmtDate(n.created))));
    if (top) list.prepend(li); else list.append(li);
    describe(n).then((parts) => clear(text, parts));
    msg.textContent = '';
  }

  // Everything shown is read once the page is seen (a hidden tab waits).
  function markRead() {
    if (closed || document.hidden || !unread || newest <= readSent) return;
    readSent = newest;
    api.call('notice.read', { upto: String(newest) }).then((r) => setUnread(r.unread), (e) => { msg.textContent = errText(e); });
  }

  async function load() {
    older.disabled = true;
    try {
      const r = await api.call('notice.list', before ? { before, limit: PAGE } : { limit: PAGE });
      if (closed) return;
      if (!loaded) newLeft = r.unread; // the newest `unread` notices are the new ones
      loaded = true;
      for (const n of r.items) add(n, newLeft-- > 0, false);
      for (const n of early.splice(0).sort((a, b) => a.id - b.id)) add(n, true, true);
      if (r.items.length) before = r.items[r.items.length - 1].id;
      older.hidden = !r.more;
      if (!list.children.length) msg.textContent = 'No notices yet. When the brand decides about one of your designs, someone comments on it or it reaches a number of supports, it shows here.';
      markRead();
    } catch (e) {
      msg.textContent = errText(e);
    } finally {
      older.disabled = false;
    }
  }

  const onNotice = (e) => {
    if (!loaded) { early.push(e.detail); return; }
    add(e.detail, true, true);
    markRead();
  };
  news.addEventListener('notice', onNotice);
  document.addEventListener('visibilitychange', markRead);
  load();
  return {
    el,
    destroy() {
      closed = true;
      news.removeEventListener('notice', onNotice);
      document.removeEventListener('visibilitychange', markRead);
    },
  };
}
