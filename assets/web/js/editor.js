// The level tile editor: paint SPEC §3's tiles on a grid with the mouse, touch or the
// keyboard, resize it, load a sample (assets/samples), and show the server's
// invalid_design error at its row and column.
import { h } from './dom.js';

// SPEC §3: 16 ≤ W ≤ 1024, 8 ≤ H ≤ 256.
export const LIMITS = { minW: 16, maxW: 1024, minH: 8, maxH: 256 };
// The colours are the renders' (shared/kinds/level.c's palette; test_web checks it), so
// a level looks the same in the editor and in its thumbnail.
export const TILES = [
  ['.', 'Air', '#87ceeb'],
  ['#', 'Ground', '#6b4f2a'],
  ['=', 'Platform', '#c8a165'],
  ['^', 'Spikes', '#b0b4bc'],
  ['~', 'Water', '#2f6fd6'],
  ['o', 'Coin', '#f5c518'],
  ['E', 'Enemy', '#c0392b'],
  ['S', 'Spawn', '#2ecc71'],
  ['G', 'Goal', '#ff8c1a'],
];
const COLOR = Object.fromEntries(TILES.map(([t, , c]) => [t, c]));
const NAME = Object.fromEntries(TILES.map(([t, n]) => [t, n]));
const CELL = 24; // canvas pixels per tile

const RULES = {
  json: 'The level is not valid JSON.',
  format: 'The level does not have the cocreate.level/1 format.',
  size: 'The size is outside 16–1024 × 8–256.',
  tile: 'This cell holds something that is not a tile.',
  spawn: 'A level needs exactly one spawn (S) on a cell the player can stand on.',
  goal: 'A level needs at least one goal (G).',
  playable: 'The goal cannot be reached from the spawn.',
};

export function blankLevel(width = 24, height = 12) {
  const rows = [];
  for (let r = 0; r < height; r++) rows.push((r >= height - 2 ? '#' : '.').repeat(width));
  return rows;
}

export function levelEditor() {
  let rows = blankLevel();
  let tile = '#';
  let cursor = { r: 0, c: 0 };
  let mark = null; // {row, col} of the server's error
  const canvas = h('canvas.level-canvas', {
    tabindex: 0, role: 'img', 'data-testid': 'level-canvas',
    'aria-label': 'Level grid. Arrow keys move the cursor, Space or Enter paints the chosen tile, the tile letters choose a tile.',
    'aria-describedby': 'ed-cursor',
  });
  const cursorText = h('p.help', { id: 'ed-cursor', 'aria-live': 'polite' });
  const error = h('p.field-error', { id: 'ed-error', role: 'alert', 'data-testid': 'editor-error' });
  const palette = h('div.palette', { role: 'radiogroup', 'aria-label': 'Tile to paint' },
    TILES.map(([t, name, color]) => {
      const id = `tile-${name.toLowerCase()}`;
      return h('label.tile', { for: id, title: `${name} (${t})` },
        h('input', { type: 'radio', name: 'tile', id, value: t, checked: t === tile, onchange: () => { tile = t; } }),
        h('span.swatch', { style: `background:${color}` }, t), name);
    }));
  const wIn = h('input', { id: 'ed-w', type: 'number', min: LIMITS.minW, max: LIMITS.maxW, value: 24 });
  const hIn = h('input', { id: 'ed-h', type: 'number', min: LIMITS.minH, max: LIMITS.maxH, value: 12 });
  const sizeMsg = h('p.field-error', { role: 'alert' });
  const sample = h('select', { id: 'ed-sample' }, h('option', { value: '' }, 'Choose a sample…'));
  const el = h('fieldset.editor',
    h('legend', 'Level editor'),
    palette,
    h('div.canvas-wrap', canvas),
    cursorText, error,
    h('div.editor-tools',
      h('div.field', h('label', { for: 'ed-w' }, 'Width'), wIn),
      h('div.field', h('label', { for: 'ed-h' }, 'Height'), hIn),
      h('button.secondary', { type: 'button', onclick: resize }, 'Resize'),
      h('button.secondary', { type: 'button', onclick: () => set(blankLevel(width(), height())) }, 'Clear'),
      h('div.field', h('label', { for: 'ed-sample' }, 'Load a sample'), sample)),
    sizeMsg);

  const width = () => rows[0].length;
  const height = () => rows.length;

  function set(newRows) {
    rows = newRows;
    mark = null;
    error.textContent = '';
    wIn.value = width();
    hIn.value = height();
    cursor = { r: Math.min(cursor.r, height() - 1), c: Math.min(cursor.c, width() - 1) };
    draw();
  }

  function resize() {
    const w = Number(wIn.value), hh = Number(hIn.value);
    sizeMsg.textContent = '';
    if (!(w >= LIMITS.minW && w <= LIMITS.maxW && hh >= LIMITS.minH && hh <= LIMITS.maxH)) {
      sizeMsg.textContent = `Width must be ${LIMITS.minW}–${LIMITS.maxW} and height ${LIMITS.minH}–${LIMITS.maxH}.`;
      return;
    }
    // Keeps the bottom-left (where the ground usually is): rows come and go at the top.
    let next = rows.map((r) => (r.length >= w ? r.slice(0, w) : r + '.'.repeat(w - r.length)));
    if (hh < next.length) next = next.slice(next.length - hh);
    while (next.length < hh) next.unshift('.'.repeat(w));
    set(next);
  }

  function paint(r, c, t = tile) {
    if (r < 0 || c < 0 || r >= height() || c >= width() || rows[r][c] === t) return;
    if (t === 'S') rows = rows.map((row) => row.replaceAll('S', '.')); // exactly one spawn
    rows[r] = rows[r].slice(0, c) + t + rows[r].slice(c + 1);
    if (mark) { mark = null; error.textContent = ''; }
    draw();
  }

  function draw() {
    canvas.width = width() * CELL;
    canvas.height = height() * CELL;
    canvas.style.aspectRatio = `${width()} / ${height()}`;
    // Small levels fit the page; wide ones keep a usable cell size and scroll.
    canvas.style.width = `${width() * CELL}px`;
    canvas.style.maxWidth = width() > 48 ? 'none' : '100%';
    const g = canvas.getContext('2d');
    g.font = `bold ${CELL * 0.6}px system-ui, sans-serif`;
    g.textAlign = 'center';
    g.textBaseline = 'middle';
    for (let r = 0; r < height(); r++) {
      for (let c = 0; c < width(); c++) {
        const t = rows[r][c];
        g.fillStyle = COLOR[t] || '#000';
        g.fillRect(c * CELL, r * CELL, CELL, CELL);
        if (t !== '.' && t !== '#') { // shapes, not only colours
          g.fillStyle = 'E~'.includes(t) ? '#fff' : '#1c1b22'; // contrast on its tile
          g.fillText(t, c * CELL + CELL / 2, r * CELL + CELL / 2 + 1);
        }
      }
    }
    g.strokeStyle = 'rgba(0,0,0,.12)';
    g.lineWidth = 1;
    for (let c = 1; c < width(); c++) { g.beginPath(); g.moveTo(c * CELL + 0.5, 0); g.lineTo(c * CELL + 0.5, canvas.height); g.stroke(); }
    for (let r = 1; r < height(); r++) { g.beginPath(); g.moveTo(0, r * CELL + 0.5); g.lineTo(canvas.width, r * CELL + 0.5); g.stroke(); }
    if (mark) {
      g.strokeStyle = '#d00';
      g.lineWidth = 4;
      g.strokeRect(mark.col * CELL + 2, mark.row * CELL + 2, CELL - 4, CELL - 4);
    }
    if (document.activeElement === canvas) {
      g.strokeStyle = '#000';
      g.lineWidth = 2;
      g.setLineDash([4, 3]);
      g.strokeRect(cursor.c * CELL + 1, cursor.r * CELL + 1, CELL - 2, CELL - 2);
      g.setLineDash([]);
    }
    const t = rows[cursor.r][cursor.c];
    cursorText.textContent = `Cursor at row ${cursor.r}, column ${cursor.c}: ${NAME[t] || t}. Painting ${NAME[tile]}.`;
  }

  function cellAt(e) {
    const rect = canvas.getBoundingClientRect();
    return {
      r: Math.floor(((e.clientY - rect.top) / rect.height) * height()),
      c: Math.floor(((e.clientX - rect.left) / rect.width) * width()),
    };
  }
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    const { r, c } = cellAt(e);
    cursor = { r: Math.max(0, Math.min(r, height() - 1)), c: Math.max(0, Math.min(c, width() - 1)) };
    paint(r, c, e.button === 2 ? '.' : tile);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!e.buttons) return;
    const { r, c } = cellAt(e);
    paint(r, c, e.buttons & 2 ? '.' : tile);
  });
  canvas.addEventListener('contextmenu', (e) => e.preventDefault());
  canvas.addEventListener('focus', draw);
  canvas.addEventListener('blur', draw);
  canvas.addEventListener('keydown', (e) => {
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (moves[e.key]) {
      const [dr, dc] = moves[e.key];
      cursor = { r: Math.max(0, Math.min(cursor.r + dr, height() - 1)), c: Math.max(0, Math.min(cursor.c + dc, width() - 1)) };
      e.preventDefault();
      draw();
    } else if (e.key === ' ' || e.key === 'Enter') {
      e.preventDefault();
      paint(cursor.r, cursor.c);
    } else if (COLOR[e.key]) {
      tile = e.key;
      palette.querySelector(`input[value="${CSS.escape(tile)}"]`).checked = true;
      e.preventDefault();
      draw();
    }
  });

  // Samples: the level files of assets/samples, served with the client's assets.
  const samplesUrl = new URL('../samples/manifest.json', import.meta.url);
  fetch(samplesUrl).then((r) => (r.ok ? r.json() : [])).then((list) => {
    for (const s of list.filter((x) => x.kind === 'level')) sample.append(h('option', { value: s.file }, s.title));
  }).catch(() => {});
  sample.addEventListener('change', async () => {
    if (!sample.value) return;
    try {
      const lv = await (await fetch(new URL(`../samples/${sample.value}`, samplesUrl))).json();
      set(lv.rows);
    } catch { sizeMsg.textContent = 'Could not load that sample.'; }
  });

  draw();
  return {
    el,
    // The level as the bytes to upload (SPEC §3 JSON).
    bytes() {
      return new TextEncoder().encode(JSON.stringify({ format: 'cocreate.level/1', width: width(), height: height(), rows }));
    },
    // Shows an invalid_design error; returns true when it pointed at a cell.
    showError(err) {
      const d = err.detail || {};
      const where = Number.isInteger(d.row) && Number.isInteger(d.col);
      mark = where ? { row: d.row, col: d.col } : null;
      const text = RULES[d.rule] || err.message || 'This level is not valid.';
      const why = RULES[d.rule] ? `${text} The server says: ${err.message || d.rule}.` : text;
      error.textContent = where ? `Row ${d.row}, column ${d.col}: ${why}` : why;
      if (where) cursor = { r: Math.min(d.row, height() - 1), c: Math.min(d.col, width() - 1) };
      draw();
      return where;
    },
    clearError() { mark = null; error.textContent = ''; draw(); },
    focus() { canvas.focus(); },
    set,
  };
}

