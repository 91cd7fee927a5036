// Small DOM and formatting helpers shared by the pages.

// h('div.card', {onclick, 'aria-label': …}, child, …): an element. Strings become
// text nodes (never HTML), null/false children are skipped, arrays are flattened.
export function h(tag, attrs, ...children) {
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name || 'div');
  if (classes.length) el.className = classes.join(' ');
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className += (el.className ? ' ' : '') + v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style') el.style.cssText = v; // CSSOM: allowed by the page's CSP
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// Announces text to screen readers (the polite live region of index.html) and shows
// it briefly as a toast (unless toast is false: news nobody asked for right now).
export function announce(text, { toast = true } = {}) {
  const region = document.getElementById('announce');
  if (region) region.textContent = text;
  const t = document.getElementById('toast');
  if (!t || !toast) return;
  t.textContent = text;
  t.hidden = false;
  clearTimeout(announce.timer);
  announce.timer = setTimeout(() => { t.hidden = true; }, 3000);
}

export function link(href, ...children) {
  return h('a', { href, 'data-link': '' }, ...children);
}

export const STATUS_LABEL = {
  submitted: 'Submitted',
  shortlisted: 'Shortlisted',
  winner: 'Winner',
  not_selected: 'Not selected',
  in_production: 'In production',
  launched: 'Launched',
  withdrawn: 'Withdrawn',
  expired: 'Expired',
};

// SPEC §8 stages in words: "2 supports within 1 day, then 5 within 3 days".
export function stagesText(stages) {
  return (stages || []).map((s, i) => `${i ? 'then ' : ''}${s.supports} ${s.supports === 1 ? 'support' : 'supports'} within ${s.days} ${s.days === 1 ? 'day' : 'days'}`).join(', ');
}

export function badge(status) {
  return h(`span.badge.status-${status || 'submitted'}`, STATUS_LABEL[status] || status);
}

export function fmtDate(sec) {
  if (!sec) return '';
  return new Date(sec * 1000).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function fmtDuration(sec) {
  sec = Math.max(0, Math.floor(sec));
  const d = Math.floor(sec / 86400), hh = Math.floor((sec % 86400) / 3600);
  const m = Math.floor((sec % 3600) / 60), s = sec % 60;
  if (d) return `${d}d ${hh}h ${m}m`;
  if (hh) return `${hh}h ${m}m ${s}s`;
  return `${m}m ${s}s`;
}

// Inline SVG icons (no emoji or symbol font needed). icon(name, label?): decorative
// (aria-hidden) without a label, an image named `label` with one.
const ICONS = {
  heart: 'M12 20.5s-7.4-4.5-9.6-9C.9 8.2 2.9 4.5 6.6 4.5c2.2 0 3.7 1.3 5.4 3.3 1.7-2 3.2-3.3 5.4-3.3 3.7 0 5.7 3.7 4.2 7-2.2 4.5-9.6 9-9.6 9z',
  star: 'M12 2.8l2.8 6 6.5.7-4.9 4.4 1.4 6.5L12 17.1l-5.8 3.3 1.4-6.5-4.9-4.4 6.5-.7z',
  up: 'M12 4.5l8.5 13h-17z',
  down: 'M3.5 6.5h17l-8.5 13z',
  comment: 'M4.5 4h15A2.5 2.5 0 0 1 22 6.5v9a2.5 2.5 0 0 1-2.5 2.5H10l-5.5 4v-4A2.5 2.5 0 0 1 2 15.5v-9A2.5 2.5 0 0 1 4.5 4z',
  bell: 'M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22zm7-6v-5a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1z',
  lock: 'M7 10V7a5 5 0 0 1 10 0v3h1.5a1.5 1.5 0 0 1 1.5 1.5v9a1.5 1.5 0 0 1-1.5 1.5h-13A1.5 1.5 0 0 1 4 20.5v-9A1.5 1.5 0 0 1 5.5 10zm2.2 0h5.6V7a2.8 2.8 0 0 0-5.6 0z',
  search: 'M10 2.5a7.5 7.5 0 0 1 6 12l5.3 5.3-1.5 1.5-5.3-5.3A7.5 7.5 0 1 1 10 2.5zm0 2.2a5.3 5.3 0 1 0 0 10.6 5.3 5.3 0 0 0 0-10.6z',
};
const SVG = 'http://www.w3.org/2000/svg';
export function icon(name, label = null) {
  const outline = name.endsWith('-outline');
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', `icon icon-${name}`);
  if (label) { svg.setAttribute('role', 'img'); svg.setAttribute('aria-label', label); } else svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', ICONS[outline ? name.slice(0, -8) : name]);
  path.setAttribute('fill', outline ? 'none' : 'currentColor');
  path.setAttribute('fill-rule', 'evenodd'); // holes (the magnifier's lens)
  if (outline) { path.setAttribute('stroke', 'currentColor'); path.setAttribute('stroke-width', '2'); }
  svg.append(path);
  return svg;
}

const plural = (n, one, many = one + 's') => `${n} ${n === 1 ? one : many}`;

// SPEC §8 hidden tallies: while a contest hides its tallies, a design's `tally` is null
// for everyone but the brand, its creator and those who voted on it.
export const TALLY_HIDDEN = 'Tallies are hidden until voting closes: vote to see this design’s count.';
export const SEALED_NOTE = 'Tallies are hidden until voting closes — vote to see a design’s count.';

// A contest whose tallies are still sealed (tallies_hidden and not yet revealed).
export const sealed = (c) => !!(c && c.tallies_hidden && !c.tallies_revealed);

// The note a sealed contest's pages show to all but the brand (more: a sentence after it).
export function sealedNote(more = '') {
  return h('p.sealed-note', { role: 'note', 'data-testid': 'sealed-note' }, icon('lock'), SEALED_NOTE, more ? ` ${more}` : '');
}

// A tally in the contest's scale, in words (for labels and announcements): "No votes
// yet" while nobody voted (never a prior score, SPEC §5's C·m, as if it were one).
export function fmtTally(t, scale) {
  if (t === null) return TALLY_HIDDEN;
  if (!t) return '';
  if (!t.votes) return 'No votes yet';
  if (scale === 'stars5') return `${(t.sum / t.votes).toFixed(1)} stars (${plural(t.votes, 'vote')})`;
  if (scale === 'updown') return `${plural(t.up ?? 0, 'up vote')}, ${plural(t.down ?? 0, 'down vote')}`;
  return plural(t.hearts ?? t.supports ?? 0, 'heart');
}

// The same tally to show: icons and numbers, "No votes yet" in words, a lock and
// "Vote to see" while hidden (null). Fills el (its
// text is then e.g. "4.0 (1 vote)", "2 1", "3"; the icons name what they count).
export function showTally(el, t, scale) {
  if (t === null) { // hidden (SPEC §8), never "null" or "0 votes"
    el.title = TALLY_HIDDEN;
    return clear(el, h('span.tally-hidden', icon('lock'), ' Vote to see'));
  }
  if (!t) return clear(el);
  el.title = fmtTally(t, scale);
  if (!t.votes) return clear(el, h('span.no-votes', 'No votes yet'));
  if (scale === 'stars5') return clear(el, icon('star', 'average stars'), ` ${(t.sum / t.votes).toFixed(1)} (${plural(t.votes, 'vote')})`);
  if (scale === 'updown') return clear(el, icon('up', 'up votes'), ` ${t.up ?? 0} `, icon('down', 'down votes'), ` ${t.down ?? 0}`);
  return clear(el, icon('heart', 'hearts'), ` ${t.hearts ?? t.supports ?? 0}`);
}

// What a person can do about an ApiError (or any error), in plain words: the
// server's messages are for programmers ("character 5 is not ..."), so the codes and
// the field they name pick the sentence; the server's own words are the last resort.
const FIELD_TEXT = {
  name: 'Names are 3–32 characters: letters, digits, _ . and -.',
  title: 'Titles are 1–80 characters.',
  tags: 'Tags are up to 8 words of a–z, 0–9 and -, 24 characters each.',
  text: 'Comments are 1–2000 characters.',
  slug: 'The slug is 1–64 of a–z, 0–9 and -.',
};
const DESIGN_TEXT = { // artwork's rules (a level's are the editor's, at their cell)
  png: 'This file is not a complete, valid PNG: export it again as PNG.',
  dimensions: 'The image must be 64–6000 pixels wide and high, at most 36 million pixels.',
};
const CODE_TEXT = {
  unauthorized: 'Sign in first.',
  forbidden: 'You are not allowed to do that.',
  not_found: 'It is not there any more (deleted or hidden).',
  too_large: 'That is too large.',
  busy: 'The server is busy: try again in a moment.',
  internal: 'Something went wrong on the server: try again.',
  closed_connection: 'Connection lost; try again.',
  bad_json: 'Something went wrong in this page: reload it.',
  unknown_op: 'The server does not know this action: reload the page.',
};
export function errText(e) {
  if (!e) return '';
  const d = e.detail || {};
  if (e.code === 'rate_limited') return d.retry_after ? `Too fast: try again in ${d.retry_after} s.` : 'Too fast: wait a moment and try again.';
  if (e.code === 'conflict' && d.field === 'name') return 'That name is taken: pick another.';
  if (e.code === 'conflict' && d.field === 'slug') return 'That slug is taken: pick another.';
  if (e.code === 'closed') {
    const phase = d.phase ? ` (the contest is ${d.phase === 'upcoming' ? 'not open yet' : d.phase === 'closed' ? 'closed' : `in ${d.phase}`})` : '';
    return `Not possible at this stage${phase}.`;
  }
  if (e.code === 'forbidden' && d.reason === 'tallies_hidden') return 'This contest hides its tallies until voting closes: browse it by New or Lucky dip.';
  if (e.code === 'bad_args' && FIELD_TEXT[d.field]) return FIELD_TEXT[d.field];
  if (e.code === 'invalid_design' && DESIGN_TEXT[d.rule]) return DESIGN_TEXT[d.rule];
  if (CODE_TEXT[e.code]) return CODE_TEXT[e.code];
  return e.message ? e.message.charAt(0).toUpperCase() + e.message.slice(1) + (/[.!?]$/.test(e.message) ? '' : '.') : String(e.code || e);
}

// The document's title: "what · Cocreate".
export function setTitle(what) {
  document.title = what ? `${what} · Cocreate` : 'Cocreate';
}

// Asks the page to open the sign-in dialog (app.js owns it): for "Sign in to …" buttons
// of the pages, without the pages importing app.js.
export function signInButton(text) {
  return h('button.secondary.sign-in', { type: 'button', onclick: () => document.dispatchEvent(new CustomEvent('cc-sign-in')) }, text);
}

// The page for an address that leads nowhere, or an object that is not there.
export function notFoundView(title = 'Page not found', text = 'There is no page at this address.') {
  return h('section.not-found', h('h1', title), h('p', text),
    h('p', link('/', 'Go to the gallery'), ' · ', link('/leaderboard', 'see the leaderboard')));
}

// A labelled form field: {el, input, err}. The input gets the id; its error (role
// alert) and help text are linked with aria-describedby.
export function formField(id, label, input, help = null) {
  const err = h('p.field-error', { id: `${id}-err`, role: 'alert' });
  input.id = id;
  input.setAttribute('aria-describedby', `${id}-err${help ? ` ${id}-help` : ''}`);
  return { el: h('div.field', h('label', { for: id }, label), input, help ? h('p.help', { id: `${id}-help` }, help) : null, err), err, input };
}

// Tags as typed ("retro space, pixel"): {tags} (lowercase, repeats once) or {error} in
// words. SPEC §2: up to 8 tags of 1–24 of a-z 0-9 -.
const TAG_RE = /^[a-z0-9-]{1,24}$/;
export function parseTags(text) {
  const tags = [...new Set(text.toLowerCase().split(/[\s,]+/).filter(Boolean))];
  const bad = tags.find((x) => !TAG_RE.test(x));
  if (bad) return { error: `“${bad}” is not a tag: use a–z, 0–9 and -, up to 24.` };
  if (tags.length > 8) return { error: 'At most 8 tags.' };
  return { tags };
}

// Asks for the reason of a moderation action in a small form put after `after`
// (SPEC §7: every hide and suspension says why). Resolves with the trimmed reason, or
// null when cancelled. The form removes itself either way.
const REASON_MAX = 500; // docs/protocol.md: reasons are 1–500 characters
let reasonIds = 0;
export function askReason(after, { label = 'Reason', action = 'Hide', placeholder = 'Say why (the moderation log keeps it)' } = {}) {
  after.parentElement.querySelector(':scope > form.reason-form')?.remove();
  return new Promise((resolve) => {
    const id = `reason-${++reasonIds}`;
    const input = h('input', { id, required: true, maxlength: REASON_MAX, placeholder, autocomplete: 'off' });
    const err = h('p.field-error', { role: 'alert' });
    const done = (v) => { form.remove(); resolve(v); };
    const form = h('form.reason-form', {
      novalidate: true,
      onsubmit: (e) => {
        e.preventDefault();
        const v = input.value.trim();
        if (!v) { err.textContent = 'Give a reason.'; input.focus(); return; }
        done(v);
      },
    }, h('label', { for: id }, label), input, h('button', { type: 'submit' }, action),
    h('button.secondary', { type: 'button', onclick: () => { done(null); after.focus(); } }, 'Cancel'), err);
    after.after(form);
    input.focus();
  });
}

export function params() {
  return new URLSearchParams(location.search);
}
