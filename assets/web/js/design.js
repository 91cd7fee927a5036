// The design page (/design/<id>): full render, the vote control of the contest's
// scale with the viewer's own vote, the live tally, the status timeline with the
// brand's notes, comments and reporting. Live through design.watch.
import { api } from './api.js';
import { h, clear, link, badge, icon, fmtDate, showTally, errText, announce, setTitle, signInButton, notFoundView } from './dom.js';

const COMMENT_PAGE = 20;
const COMMENT_MAX = 2000; // SPEC §2: comment text 1–2000 characters

export function designPage(id) {
  const el = h('section.design', h('p', 'Loading…'));
  let design = null, contest = null, myVote = null, watch = null;
  const comments = new Map();
  let moreComments = true;

  const ui = {};

  function build() {
    const d = design;
    ui.tally = h('p.tally.big', { 'data-testid': 'tally', 'aria-live': 'polite' });
    ui.vote = h('div.vote', { 'data-testid': 'vote' });
    ui.voteMsg = h('p.field-error', { role: 'alert' });
    ui.status = h('span', { 'data-testid': 'status' });
    ui.hidden = h('p.notice', { role: 'status' });
    ui.timeline = h('ol.timeline', { 'data-testid': 'timeline', 'aria-live': 'polite' });
    ui.comments = h('ol.comments', { 'data-testid': 'comments' });
    ui.commentCount = h('span');
    ui.older = h('button.secondary', { type: 'button', onclick: loadOlder }, 'Load older comments');
    const img = h('img.render', {
      src: `/r/${d.id}.png`, alt: `${d.title}: full-size ${d.kind === 'level' ? 'level map' : 'artwork'}`,
    });
    const tags = (d.tags || []).map((t) => h('li', link(`/?contest=${encodeURIComponent(d.contest)}&tag=${encodeURIComponent(t)}`, '#' + t)));
    clear(el,
      h('div.design-layout',
        h('figure.render-box', img),
        h('div.side',
          h('h1', d.title),
          h('p.by', 'by ', link(`/creator/${d.creator}`, d.creator_name || `creator ${d.creator}`),
            ' in ', link(`/contest/${d.contest}`, contest ? contest.title : d.contest),
            ' · ', fmtDate(d.created)),
          tags.length ? h('ul.tags', { 'aria-label': 'Tags' }, tags) : null,
          h('p', 'Status: ', ui.status), ui.hidden,
          ui.tally, ui.vote, ui.voteMsg,
          h('p.links', h('a', { href: `/d/${d.id}`, download: '' }, 'Download original'),
            api.account && api.account.role === 'brand' ? [' · ', link(`/brand?contest=${encodeURIComponent(d.contest)}`, 'Manage in the dashboard')] : null),
          reportForm())),
      h('section', { 'aria-labelledby': 'tl-h' }, h('h2', { id: 'tl-h' }, 'Status and official notes'), ui.timeline),
      h('section', { 'aria-labelledby': 'cm-h' },
        h('h2', { id: 'cm-h' }, 'Comments ', ui.commentCount),
        ui.older, ui.comments, commentForm()));
    update();
    loadOlder();
  }

  function update() {
    const d = design;
    showTally(ui.tally, d.tally, contest && contest.scale);
    clear(ui.status, badge(d.status));
    ui.hidden.textContent = d.hidden ? 'Hidden by the brand: only its creator and the brand can see it.' : '';
    ui.hidden.hidden = !d.hidden;
    clear(ui.timeline, (d.timeline || []).map((t) => h('li', { class: t.note ? 'has-note' : '' },
      h('div', badge(t.status), ' ', h('time', fmtDate(t.at))),
      t.note ? h('blockquote.official', { 'data-testid': 'note' }, h('span.label', 'Official note: '), t.note) : null)));
    ui.commentCount.textContent = d.comments !== undefined ? `(${d.comments})` : '';
    renderVote();
  }

  function canVote() {
    if (!api.account) return signInButton('Sign in to vote');
    if (String(api.account.id) === String(design.creator)) return 'This is your design.';
    if (contest && !['submissions', 'voting'].includes(contest.phase)) return `Voting is ${contest.phase === 'upcoming' ? 'not open yet' : 'closed'}.`;
    return '';
  }

  async function cast(value) {
    ui.voteMsg.textContent = '';
    try {
      const r = value === null ? await api.call('vote.clear', { design: id })
                               : await api.call('vote.cast', { design: id, value });
      myVote = value;
      design.tally = r.tally;
      update();
      announce(value === null ? 'Vote removed.' : 'Vote saved.');
    } catch (e) {
      ui.voteMsg.textContent = errText(e);
    }
  }

  function renderVote() {
    const why = canVote();
    const dis = !!why;
    const scale = contest ? contest.scale : 'heart';
    let control;
    if (scale === 'stars5') {
      control = h('div.stars', { role: 'group', 'aria-label': 'Your rating' },
        [1, 2, 3, 4, 5].map((n) => h('button.star', {
          type: 'button', disabled: dis, 'aria-pressed': String(myVote === n),
          'aria-label': `${n} star${n > 1 ? 's' : ''}`, class: myVote >= n ? 'on' : '',
          onclick: () => cast(myVote === n ? null : n),
        }, icon('star'))));
    } else if (scale === 'updown') {
      control = h('div.updown', { role: 'group', 'aria-label': 'Your vote' },
        h('button', { type: 'button', disabled: dis, 'aria-pressed': String(myVote === 1), 'aria-label': 'Vote up', onclick: () => cast(myVote === 1 ? null : 1) }, icon('up'), ' Up'),
        h('button', { type: 'button', disabled: dis, 'aria-pressed': String(myVote === -1), 'aria-label': 'Vote down', onclick: () => cast(myVote === -1 ? null : -1) }, icon('down'), ' Down'));
    } else {
      control = h('button.heart', {
        type: 'button', disabled: dis, 'aria-pressed': String(myVote === 1),
        onclick: () => cast(myVote === 1 ? null : 1),
      }, icon(myVote === 1 ? 'heart' : 'heart-outline'), myVote === 1 ? ' Hearted' : ' Heart');
    }
    clear(ui.vote, control, why ? (why instanceof Node ? why : h('p.help', why)) : (myVote !== null ? h('p.help', 'Press your vote again to take it back.') : null));
  }

  function commentEl(c) {
    return h('li', { class: c.official ? 'official' : '', dataset: { id: c.id } },
      h('div.c-head', h('strong', c.author_name || `member ${c.author}`), c.official ? [' ', h('span.badge.status-official', 'Official')] : null,
        ' ', h('time', fmtDate(c.created))),
      h('p.c-text', c.text));
  }

  function renderComments() {
    const list = [...comments.values()].sort((a, b) => (a.created - b.created) || (Number(a.id) - Number(b.id)));
    clear(ui.comments, list.map(commentEl));
    ui.older.hidden = !moreComments;
  }

  function addComments(list) {
    for (const c of list || []) comments.set(String(c.id), c);
    renderComments();
  }

  async function refreshNewest() {
    try {
      const r = await api.call('comment.list', { design: id, limit: COMMENT_PAGE });
      addComments(r.comments || []);
    } catch { /* the next event tries again */ }
  }

  async function loadOlder() {
    const args = { design: id, limit: COMMENT_PAGE };
    const ids = [...comments.keys()].map(Number);
    if (ids.length) args.before = String(Math.min(...ids));
    try {
      const r = await api.call('comment.list', args);
      const list = r.comments || r.items || [];
      moreComments = r.more !== undefined ? !!r.more : list.length >= COMMENT_PAGE;
      addComments(list);
    } catch (e) {
      moreComments = false;
      renderComments();
      if (e.code !== 'unknown_op') ui.comments.before(h('p.error', errText(e)));
    }
  }

  function commentForm() {
    const text = h('textarea', { id: 'c-text', name: 'text', rows: 3, maxlength: COMMENT_MAX, required: true, 'aria-describedby': 'c-err' });
    const err = h('p.field-error', { id: 'c-err', role: 'alert' });
    const form = h('form.comment-form', {
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        err.textContent = '';
        const t = text.value.trim();
        if (!t) { err.textContent = 'Write something first.'; text.focus(); return; }
        try {
          const r = await api.call('comment.post', { design: id, text: t });
          text.value = '';
          addComments([r.comment]);
        } catch (x) { err.textContent = errText(x); text.focus(); }
      },
    }, h('label', { for: 'c-text' }, 'Add a comment'), text, err, h('button', { type: 'submit' }, 'Post comment'));
    if (!api.account) return h('p.help', signInButton('Sign in to comment'));
    return form;
  }

  function reportForm() {
    if (!api.account || String(api.account.id) === String(design.creator)) return null;
    const reason = h('select', { id: 'r-reason', name: 'reason' },
      ['copied from someone else', 'offensive', 'spam', 'other'].map((r) => h('option', { value: r }, r)));
    const msg = h('p.help', { role: 'status' });
    return h('details.report', h('summary', 'Report this design'),
      h('form', {
        onsubmit: async (e) => {
          e.preventDefault();
          try {
            await api.call('design.report', { design: id, reason: reason.value });
            msg.textContent = 'Thank you: the brand will review it.';
          } catch (x) { msg.textContent = errText(x); }
        },
      }, h('label', { for: 'r-reason' }, 'Reason'), reason, h('button.secondary', { type: 'submit' }, 'Send report'), msg));
  }

  watch = api.watch(id, async (r) => {
    const first = !design;
    design = r.design;
    myVote = design.my_vote ?? null;
    if (first) {
      try { contest = (await api.call('contest.get', { contest: design.contest })).contest; } catch { contest = null; }
      build();
      setTitle(design.title);
    } else {
      update();
    }
  }, (ev) => {
    if (!design) return;
    const { my_vote: _ignored, ...fields } = ev.design;
    Object.assign(design, fields);
    if (ev.comments_new) addComments(ev.comments_new);
    // Comments left out of the event (a gap, or a watcher that fell behind): re-read.
    if (ev.comments_gap || (!ev.comments_new && design.comments > comments.size && !moreComments)) refreshNewest();
    update();
  }, (e) => {
    if (e.code === 'not_found' || e.code === 'bad_args') clear(el, notFoundView('Design not found', 'It does not exist or was hidden.'));
    else clear(el, h('h1', 'Design'), h('p.error', errText(e)));
    setTitle('Design not found');
  });

  return { el, destroy() { watch.close(); } };
}

