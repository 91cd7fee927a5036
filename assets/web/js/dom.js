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
// it briefly as a toast.
export function announce(text) {
  const region = document.getElementById('announce');
  if (region) region.textContent = text;
  const t = document.getElementById('toast');
  if (!t) return;
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
};

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

// One line telling a tally in the contest's scale.
export function fmtTally(t, scale) {
  if (!t) return '';
  if (scale === 'stars5') {
    const avg = t.votes ? (t.sum / t.votes).toFixed(1) : '–';
    return `★ ${avg} (${t.votes} ${t.votes === 1 ? 'vote' : 'votes'})`;
  }
  if (scale === 'updown') return `▲ ${t.up ?? 0} ▼ ${t.down ?? 0}`;
  const n = t.hearts ?? t.supports ?? 0;
  return `♥ ${n}`;
}

// Human text for an ApiError (or any error).
export function errText(e) {
  if (!e) return '';
  const d = e.detail || {};
  if (e.code === 'rate_limited' && d.retry_after) return `Too fast: try again in ${d.retry_after} s.`;
  if (e.code === 'unauthorized') return 'Log in first.';
  if (e.code === 'closed_connection') return 'Connection lost; try again.';
  return e.message || e.code || String(e);
}

export function params() {
  return new URLSearchParams(location.search);
}
