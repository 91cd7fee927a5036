// Look-alikes (SPEC §8) as the brand sees them: `similar` names designs by id with the
// distance of their fingerprints; this module says the distance in words, looks the
// designs up (design.get) and draws a design's card for a side-by-side comparison. Used
// by the review queue (brand.js) and the design page's "Similar designs" (design.js).
import { api } from './api.js';
import { h, link, fmtDate } from './dom.js';

const FP_BITS = 64;       // docs/protocol.md "Look-alikes": 64-bit fingerprints
const VERY_CLOSE = 2;     // at most this many bits apart: "Very close"
const CLOSE = 6;          // at most this many (a level's look-alike limit): "Close"

// A fingerprint distance in words, with its number: "Very close (distance 2 of 64)";
// 0 is "Same picture" (every bit of the fingerprint alike). Past CLOSE only artwork is
// a look-alike (its limit is 10 bits): "Somewhat alike".
export function closeness(distance) {
  const word = distance === 0 ? 'Same picture' : distance <= VERY_CLOSE ? 'Very close'
    : distance <= CLOSE ? 'Close' : 'Somewhat alike';
  return `${word} (distance ${distance} of ${FP_BITS})`;
}

// A look-up of designs by id, each asked once (design.get: the brand sees hidden and
// withdrawn ones too). Returns lookup(id) → a promise of the design, or of null for one
// that cannot be read (erased since).
export function designLookup() {
  const cache = new Map();
  return (id) => {
    if (!cache.has(id)) cache.set(id, api.call('design.get', { design: id }).then((r) => r.design, () => null));
    return cache.get(id);
  };
}

// Which of two designs came first: negative when a was uploaded before b (ids break a
// tie of seconds: they grow with each upload).
export function uploadOrder(a, b) {
  if (a.created !== b.created) return a.created - b.created;
  return a.id.length - b.id.length || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function thumb(d, width = 320) {
  return h('img', { src: d.thumb || `/t/${d.id}.png`, alt: `${d.title} (thumbnail)`, loading: 'lazy', width,
    height: d.kind === 'level' ? Math.round(width * 9 / 16) : width, class: `thumb-${d.kind}` });
}

// A design's card for a side-by-side comparison: `label` ("In the queue", "Look-alike")
// and whether it came first (`first` true or false; left out when undefined), its thumbnail and title (links to its page), creator,
// contest and upload date.
export function sideCard(d, { label, first }) {
  return h('figure.side-card', { dataset: { id: d.id } },
    h('p.side-label', h('span', label), first === undefined ? null
      : [' ', h(`span.order.${first ? 'first' : 'later'}`, first ? 'Uploaded first' : 'Uploaded later')]),
    link(`/design/${d.id}`, thumb(d)),
    h('figcaption',
      h('strong', link(`/design/${d.id}`, d.title)), d.hidden ? [' ', h('span.badge.status-hidden', 'Hidden')] : null,
      h('span.by', 'by ', link(`/creator/${d.creator}`, d.creator_name || `creator ${d.creator}`)),
      h('span.when', 'Uploaded ', h('time', { datetime: new Date(d.created * 1000).toISOString() }, fmtDate(d.created)))));
}
