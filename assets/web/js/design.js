// The design page (/design/<id>): full render, the vote control of the contest's
// scale with the viewer's own vote, the live tally, the status timeline with the
// brand's notes, comments and reporting; for the brand its look-alikes (SPEC §8
// "Similar designs"). Live through design.watch.
import { api } from './api.js';
import { h, clear, link, badge, icon, fmtDate, showTally, errText, announce, setTitle, signInButton, notFoundView, formField, parseTags, askReason } from './dom.js';
import { nextPhase } from './contest.js';
import { closeness, designLookup, uploadOrder, thumb } from './similar.js';

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
    ui.tallyNote = h('p.help', { 'data-testid': 'tally-note' });
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
    ui.h1 = h('h1');
    ui.tags = h('ul.tags', { 'aria-label': 'Tags' });
    ui.own = h('div.own', { 'data-testid': 'own' });
    ui.similar = h('section.similar', { 'aria-labelledby': 'sim-h', 'data-testid': 'similar', hidden: true });
    clear(el,
      h('div.design-layout',
        h('figure.render-box', img),
        h('div.side',
          ui.h1,
          h('p.by', 'by ', link(`/creator/${d.creator}`, d.creator_name || `creator ${d.creator}`),
            ' in ', link(`/contest/${d.contest}`, contest ? contest.title : d.contest),
            ' · ', fmtDate(d.created)),
          ui.tags,
          h('p', 'Status: ', ui.status), ui.hidden, ui.own,
          ui.tally, ui.tallyNote, ui.vote, ui.voteMsg,
          h('p.links', h('a', { href: `/d/${d.id}`, download: '' }, 'Download original'),
            api.account && api.account.role === 'brand' ? [' · ', link(`/brand?contest=${encodeURIComponent(d.contest)}`, 'Manage in the dashboard')] : null),
          reportForm())),
      ui.similar,
      h('section', { 'aria-labelledby': 'tl-h' }, h('h2', { id: 'tl-h' }, 'Status and official notes'), ui.timeline),
      h('section', { 'aria-labelledby': 'cm-h' },
        h('h2', { id: 'cm-h' }, 'Comments ', ui.commentCount),
        ui.older, ui.comments, commentForm()));
    update();
    renderSimilar();
    loadOlder();
  }

  // SPEC §8: `similar` comes to the brand only (in the watch's replies, not its
  // events): the designs of other creators that look like this one, nearest first.
  const lookup = designLookup();
  let similarSeen = null;
  async function renderSimilar() {
    const sim = design.similar;
    const key = JSON.stringify(sim || null);
    if (key === similarSeen) return;
    similarSeen = key;
    if (!Array.isArray(sim)) { ui.similar.hidden = true; clear(ui.similar); return; }
    const got = await Promise.all(sim.map((s) => lookup(s.design)));
    if (key !== similarSeen) return; // a newer reply came meanwhile
    const me = design;
    clear(ui.similar, h('h2', { id: 'sim-h' }, 'Similar designs'),
      h('p.help', 'Designs of other creators whose fingerprint is close to this one’s, nearest first. Only the brand sees this.'),
      sim.length ? h('ul.similar-list', sim.map((s, i) => {
        const o = got[i];
        if (!o) return h('li', { dataset: { id: s.design } }, `Design ${s.design} (no longer readable) · ${closeness(s.distance)}`);
        return h('li', { dataset: { id: o.id } }, link(`/design/${o.id}`, thumb(o, 160)),
          h('div',
            h('strong', link(`/design/${o.id}`, o.title)), o.hidden ? [' ', h('span.badge.status-hidden', 'Hidden')] : null,
            h('span.by', 'by ', link(`/creator/${o.creator}`, o.creator_name || `creator ${o.creator}`)),
            h('span.when', `Uploaded ${uploadOrder(o, me) < 0 ? 'before' : 'after'} this one, ${fmtDate(o.created)}`),
            h('span.distance', closeness(s.distance))));
      })) : h('p', 'None: no design of another creator looks like this one.'));
    ui.similar.hidden = false;
  }

  function update() {
    const d = design;
    ui.h1.textContent = d.title;
    clear(ui.tags, (d.tags || []).map((t) => h('li', link(`/?contest=${encodeURIComponent(d.contest)}&tag=${encodeURIComponent(t)}`, '#' + t))));
    ui.tags.hidden = !(d.tags || []).length;
    renderOwn();
    showTally(ui.tally, d.tally, contest && contest.scale);
    // SPEC §8: a null tally is hidden until voting closes; a vote shows it (the reply).
    ui.tallyNote.hidden = d.tally !== null;
    ui.tallyNote.textContent = d.tally !== null ? ''
      : !api.account ? 'Tallies are hidden until voting closes: sign in and vote to see this design’s count.'
        : canVote() ? 'Tallies are hidden until voting closes.'
          : 'Tallies are hidden until voting closes: vote to see this design’s count.';
    clear(ui.status, badge(d.status));
    ui.hidden.textContent = d.hidden ? 'Hidden by the brand: only its creator and the brand can see it.' : '';
    ui.hidden.hidden = !d.hidden;
    clear(ui.timeline, (d.timeline || []).map((t) => h('li', { class: t.note ? 'has-note' : '' },
      h('div', badge(t.status), ' ', h('time', fmtDate(t.at))),
      t.note ? h('blockquote.official', { 'data-testid': 'note' }, h('span.label', 'Official note: '), t.note) : null)));
    ui.commentCount.textContent = d.comments !== undefined ? `(${d.comments})` : '';
    renderVote();
  }

  // The creator's own tools (SPEC §7): edit and withdraw while the contest takes
  // submissions; otherwise why not.
  let editing = false;
  function renderOwn() {
    const d = design;
    if (!api.account || String(api.account.id) !== String(d.creator) || editing) { if (!editing) clear(ui.own); return; }
    if (d.status === 'withdrawn') return clear(ui.own, h('p.notice', 'You withdrew this design: only you and the brand can see it.'));
    if (!contest || contest.phase !== 'submissions') {
      return clear(ui.own, h('p.help', 'This design can no longer be edited or withdrawn: its contest no longer takes submissions.'));
    }
    const next = nextPhase(contest);
    clear(ui.own, h('div.actions',
      h('button.secondary', { type: 'button', onclick: openEdit }, 'Edit title and tags'),
      h('button.danger', { type: 'button', onclick: withdraw }, 'Withdraw')),
    h('p.help', 'Yours to edit or withdraw while the contest takes submissions', next ? ` (until ${fmtDate(next.at)})` : '', '.'));
  }

  function openEdit() {
    editing = true;
    const title = formField('e-title', 'Title', h('input', { required: true, maxlength: 80, value: design.title }), '1–80 characters.');
    const tags = formField('e-tags', 'Tags', h('input', { value: (design.tags || []).join(' '), autocomplete: 'off' }), 'Up to 8, separated by spaces: a–z, 0–9 and -.');
    const msg = h('p.field-error', { role: 'alert' });
    const close = () => { editing = false; renderOwn(); };
    const form = h('form.edit-form', {
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        title.err.textContent = tags.err.textContent = msg.textContent = '';
        const t = title.input.value.trim(), parsed = parseTags(tags.input.value);
        if (!t) { title.err.textContent = 'A title is needed.'; title.input.focus(); return; }
        if (parsed.error) { tags.err.textContent = parsed.error; tags.input.focus(); return; }
        try {
          const r = await api.call('design.edit', { design: id, title: t, tags: parsed.tags });
          Object.assign(design, r.design);
          editing = false;
          update();
          setTitle(design.title);
          announce('Saved.');
        } catch (x) {
          const f = { title, tags }[x.detail && x.detail.field];
          if (f) { f.err.textContent = errText(x); f.input.focus(); } else msg.textContent = errText(x);
        }
      },
    }, title.el, tags.el, msg, h('div.actions', h('button', { type: 'submit' }, 'Save'), h('button.secondary', { type: 'button', onclick: close }, 'Cancel')));
    clear(ui.own, form);
    title.input.focus();
  }

  async function withdraw() {
    if (!confirm(`Withdraw “${design.title}”? It leaves the galleries and the contest for good; only you and the brand will still see it.`)) return;
    try {
      const r = await api.call('design.withdraw', { design: id });
      Object.assign(design, r.design);
      update();
      announce('Withdrawn.');
    } catch (x) {
      clear(ui.own, h('p.field-error', { role: 'alert' }, errText(x)));
    }
  }

  function canVote() {
    if (design.status === 'withdrawn') return 'Withdrawn by its creator: no more votes.';
    if (design.status === 'expired') return 'This design missed a stage of its contest: no more votes, unless the brand gives it another chance.';
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
    const brand = api.account && api.account.role === 'brand';
    const li = h('li', { class: c.official ? 'official' : '', dataset: { id: c.id } },
      h('div.c-head', h('strong', c.author_name || `member ${c.author}`), c.official ? [' ', h('span.badge.status-official', 'Official')] : null,
        c.hidden ? [' ', h('span.badge.status-hidden', 'Hidden')] : null, ' ', h('time', fmtDate(c.created))),
      h('p.c-text', c.text));
    if (brand && !c.official) {
      const btn = h('button.secondary.small', { type: 'button', 'aria-label': `${c.hidden ? 'Show' : 'Hide'} the comment by ${c.author_name}` }, c.hidden ? 'Show again' : 'Hide');
      btn.addEventListener('click', () => hideComment(c, btn));
      li.append(btn);
    }
    return li;
  }

  // The brand hides (or shows again) a comment, with a reason (SPEC §7: comment.hide).
  async function hideComment(c, btn) {
    const reason = await askReason(btn, { action: c.hidden ? 'Show again' : 'Hide comment' });
    if (reason === null) return;
    try {
      await api.call('comment.hide', { comment: c.id, hidden: !c.hidden, reason });
      c.hidden = !c.hidden;
      renderComments();
      announce(c.hidden ? 'Comment hidden.' : 'Comment shown again.');
    } catch (x) {
      btn.after(h('p.field-error', { role: 'alert' }, errText(x)));
    }
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
      renderSimilar();
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

