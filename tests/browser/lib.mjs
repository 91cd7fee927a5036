// Shared by the browser scenarios: a real cocreated on a free loopback port with a
// temp data dir, Debian's headless Chromium through playwright-core, screenshots, and
// the UI steps several scenarios take (sign in, submit a level).
//
// Environment (ctest sets it): COCREATED the daemon, CC_WEB_DIR the client's files,
// CC_BROWSER_OUT where screenshots go, CC_SANITIZE=1 when the daemon runs under ASan.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const SOURCE = join(here, '..', '..');
const COCREATED = process.env.COCREATED || join(SOURCE, 'build', 'cocreated');
const WEB_DIR = process.env.CC_WEB_DIR || join(SOURCE, 'assets', 'web');
export const OUT = process.env.CC_BROWSER_OUT || join(SOURCE, 'build', 'browser-out');
// Every wait has this bound (a guard against hangs, generous for ASan on 2 cores).
export const WAIT = +(process.env.CC_WAIT || 30000);
const SANITIZER_MARKS = ['ERROR: AddressSanitizer', 'runtime error:', 'LeakSanitizer'];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class Server {
  // Like the Python harness: --no-rate-limits unless rateLimits (common.md); password
  // hashes at the low cost (--password-cost low: people here sign in many times a run).
  constructor(args = [], { rateLimits = false } = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'cc-browser-'));
    this.data = join(this.dir, 'data');
    this.args = [...(rateLimits ? args : [...args, '--no-rate-limits']), '--password-cost', 'low'];
    this.log = '';
  }

  async start(port = null) {
    for (let attempt = 0; attempt < 5; attempt++) {
      this.port = port || await freePort();
      this.url = `http://127.0.0.1:${this.port}`;
      this.log = '';
      this.proc = spawn(COCREATED, ['--listen', `127.0.0.1:${this.port}`, '--data', this.data,
        '--web', WEB_DIR, ...this.args], { stdio: ['ignore', 'pipe', 'pipe'] });
      this.proc.stdout.on('data', (d) => { this.log += d; });
      this.proc.stderr.on('data', (d) => { this.log += d; });
      this.exited = new Promise((r) => this.proc.on('exit', (code, sig) => r({ code, sig })));
      const deadline = Date.now() + WAIT;
      while (Date.now() < deadline) {
        if (this.proc.exitCode !== null) break;
        // Our daemon's own "listening" line first: one that lost its port to another
        // test's server must not take that server's /healthz for its own.
        if (this.log.includes(`listening on ws://127.0.0.1:${this.port}/ws`)) {
          try {
            const r = await fetch(`${this.url}/healthz`);
            if (r.ok && this.proc.exitCode === null) return this;
          } catch { /* not yet */ }
        }
        await sleep(50);
      }
      await this.exited;
      if (!this.log.includes('cannot listen')) break;
    }
    throw new Error(`cocreated did not start:\n${this.log}`);
  }

  // A brand account made by the operator's command (works while the server runs).
  makeBrand(name) {
    const r = spawnSync(COCREATED, ['--data', this.data, '--make-brand', name], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`--make-brand failed: ${r.stderr}`);
    return r.stdout.trim();
  }

  // SIGTERM; the daemon must exit 0 with no sanitizer report. keep: leave the data.
  async stop(keep = false) {
    if (!this.proc || this.proc.exitCode !== null) return;
    this.proc.kill('SIGTERM');
    const { code, sig } = await this.exited;
    for (const m of SANITIZER_MARKS) if (this.log.includes(m)) throw new Error(`sanitizer report in cocreated's log:\n${this.log}`);
    if (code !== 0) throw new Error(`cocreated exited ${code ?? sig}:\n${this.log}`);
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
  }

  // Stops and starts again on the same data and port (pages reconnect by themselves).
  async restart(between = async () => {}) {
    const port = this.port;
    await this.stop(true);
    await between();
    await this.start(port);
  }
}

// Chromium as the machine runs it (no network but loopback); launch() gives each
// browser a fresh temporary profile (its own --user-data-dir).
export async function browser() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// A new context (its own localStorage and cookies: another person) with one page.
export async function person(b, srv, { width = 1200, height = 900 } = {}) {
  const ctx = await b.newContext({ baseURL: srv.url, viewport: { width, height } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(WAIT);
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
  return page;
}

export async function shot(page, name) {
  mkdirSync(OUT, { recursive: true });
  await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'));
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
}

// Opens the account dialog from the header's Sign in, on its 'Sign in' or 'New account' tab.
export async function openSignIn(page, tab = 'Sign in') {
  if (!page.url().startsWith('http')) await page.goto('/');
  await page.locator('#account').getByRole('button', { name: 'Sign in' }).click(); // the header's
  await page.locator('#account-dialog').getByRole('tab', { name: tab }).click();
}

// Signs up through the dialog (a password and a contact when given); returns the token
// the dialog shows once.
export async function register(page, name, { password = '', contact = '' } = {}) {
  await openSignIn(page, 'New account');
  const form = page.locator('#register-form');
  await form.getByLabel('Name').fill(name);
  if (password) await form.getByLabel('Password').fill(password);
  if (contact) await form.getByLabel('Contact e-mail').fill(contact);
  await form.getByRole('button', { name: 'Create account' }).click();
  const token = await page.locator('#welcome-token').filter({ hasText: /^[0-9a-f]{64}$/ }).textContent();
  await page.getByRole('button', { name: 'Done' }).click();
  await page.getByTestId('me').filter({ hasText: name }).waitFor();
  return token;
}

export async function loginWithPassword(page, name, password) {
  await openSignIn(page);
  const form = page.locator('#login-form');
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('me').filter({ hasText: name }).waitFor();
}

export async function loginWithToken(page, token, name) {
  await openSignIn(page);
  await page.getByText('Sign in with a token instead').click();
  await page.getByLabel('Token', { exact: true }).fill(token);
  await page.getByRole('button', { name: 'Sign in with the token' }).click();
  await page.getByTestId('me').filter({ hasText: name }).waitFor();
}

// Navigates inside the page (no reload: the connection and login stay).
export async function go(page, path) {
  await page.evaluate((p) => {
    history.pushState(null, '', p);
    dispatchEvent(new PopStateEvent('popstate'));
  }, path);
}

// Clicks the centre of cell (row, col) of the level editor's canvas.
export async function paintCell(page, row, col) {
  const canvas = page.getByTestId('level-canvas');
  const box = await canvas.boundingBox();
  const { w, h } = await canvas.evaluate((c) => ({ w: c.width / 24, h: c.height / 24 }));
  await page.mouse.click(box.x + ((col + 0.5) * box.width) / w, box.y + ((row + 0.5) * box.height) / h);
}

export async function chooseTile(page, name) {
  await page.getByRole('radio', { name }).check();
}

// Submits a playable level through the submit page; returns the new design's id.
export async function submitLevel(page, { title, contest = null, tags = '', goalCol = 6, terms = false }) {
  await go(page, contest ? `/submit?contest=${contest}` : '/submit');
  await page.getByLabel('Game level').check();
  await page.getByLabel('Title').fill(title);
  if (tags) await page.getByLabel('Tags').fill(tags);
  await chooseTile(page, 'Spawn');
  await paintCell(page, 9, 1);
  await chooseTile(page, 'Goal');
  await paintCell(page, 9, goalCol);
  if (terms) await page.getByRole('checkbox', { name: /I have read and accept these terms/ }).check();
  await page.getByRole('button', { name: 'Submit', exact: true }).click();
  const link = page.getByTestId('done').getByRole('link', { name: `See “${title}”` });
  await link.waitFor();
  return (await link.getAttribute('href')).split('/').pop();
}

export function card(page, title) {
  return page.getByTestId('grid').locator('li.card', { hasText: title });
}

export function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

export function noPageErrors(...pages) {
  for (const p of pages) {
    const errs = p.errors.filter((e) => !/Failed to load resource.*404/.test(e));
    check(errs.length === 0, `no errors in the page, got:\n${errs.join('\n')}`);
  }
}

// Runs a scenario: server up, browser up, fn({srv, b}), everything down; exit code 1
// with the error (and the server's log) on failure.
export async function scenario(name, serverArgs, fn, opts = {}) {
  const srv = new Server(serverArgs, opts);
  let b = null;
  const t0 = Date.now();
  try {
    await srv.start();
    b = await browser();
    await fn({ srv, b });
    await b.close();
    b = null;
    await srv.stop();
    console.log(`${name}: ok (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    console.error(`${name}: FAILED\n${e.stack || e}\n--- cocreated log ---\n${srv.log}`);
    if (b) await b.close().catch(() => {});
    if (srv.proc && srv.proc.exitCode === null) srv.proc.kill('SIGKILL');
    process.exit(1);
  }
}

export { readFileSync, sleep };

// Calls an op on the page's own connection (as whoever the page is logged in as), for
// set-up steps that are not what the scenario tests (e.g. test.clock).
export async function rpc(page, op, args = {}) {
  return page.evaluate(async ([o, a]) => {
    const src = document.querySelector('script[type=module]').src;
    const { api } = await import(src.replace(/app\.js$/, 'api.js'));
    return api.call(o, a);
  }, [op, args]);
}

// Creates a contest through the brand dashboard (the page is logged in as a brand);
// hideTallies ticks "Hide tallies until voting closes" (SPEC §8).
export async function createContest(page, { slug, title, brief = '', prize = '', kind = 'level', scale = 'heart', hideTallies = false }) {
  await go(page, '/brand?view=new');
  await page.getByLabel('Slug (the contest id)').fill(slug);
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Brief').fill(brief);
  await page.getByLabel('Prize').fill(prize);
  await page.getByLabel('Kind').selectOption(kind);
  await page.getByLabel('Voting scale').selectOption(scale);
  if (hideTallies) await page.getByLabel('Hide tallies until voting closes').check();
  await page.getByRole('button', { name: 'Create contest' }).click();
  await page.getByRole('heading', { name: `Ranking of “${title}”` }).waitFor();
}

// The brand dashboard's card of a design in a contest's ranking.
export function adminRow(page, id) {
  return page.getByTestId('ranking').locator(`li[data-id="${id}"]`);
}

// Fills the reason a moderation action asks for (dom.js askReason) and confirms it.
export async function giveReason(page, reason, action) {
  const form = page.locator('form.reason-form');
  await form.getByLabel('Reason').fill(reason);
  await form.getByRole('button', { name: action }).click();
  await form.waitFor({ state: 'detached' });
}

// Uploads n small playable levels (distinct bytes) on the page's own connection, as
// its account: set-up for scenarios about many designs. Returns their ids. The levels
// are numbered from first (another batch with a later first has other bytes).
export async function uploadLevels(page, n, { contest = 'open', prefix = 'Level', terms = null, first = 0 } = {}) {
  const ids = [];
  for (let i = first; i < first + n; i++) {
    const rows = Array(8).fill('.'.repeat(20));
    rows[1] = [...Array(20)].map((_, k) => ((i >> k) & 1 ? 'o' : '.')).join('');
    rows[6] = 'S' + '.'.repeat(18) + 'G';
    rows[7] = '#'.repeat(20);
    ids.push(await uploadLevelRows(page, rows, { title: `${prefix} ${i + 1}`, contest, terms }));
  }
  return ids;
}

// Uploads one level made of `rows` (strings of SPEC §3's tiles) on the page's own
// connection, as its account; returns the new design's id.
export async function uploadLevelRows(page, rows, { title, contest = 'open', terms = null }) {
  return page.evaluate(async ([r, t, c, accept]) => {
    const base = document.querySelector('script[type=module]').src.replace(/app\.js$/, '');
    const { api } = await import(base + 'api.js');
    const { sha256Hex } = await import(base + 'sha256.js');
    const bytes = new TextEncoder().encode(JSON.stringify({ format: 'cocreate.level/1', width: r[0].length, height: r.length, rows: r }));
    const args = { kind: 'level', title: t, contest: c, bytes: bytes.length, sha256: await sha256Hex(bytes) };
    if (accept) args.accept_terms = accept;
    const b = await api.call('upload.begin', args);
    if (!b.have) api.sendBinary(bytes);
    return (await api.call('upload.commit', { upload: b.upload })).design.id;
  }, [rows, title, contest, terms]);
}

// Every visible form control has an accessible name (a label, aria-label or
// aria-labelledby), and every image an alt text.
export async function checkLabels(page, where) {
  const bad = await page.evaluate(() => {
    const out = [];
    for (const el of document.querySelectorAll('input, select, textarea, button')) {
      if (el.type === 'hidden' || !el.offsetParent) continue;
      const named = (el.labels && el.labels.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')
        || (el.tagName === 'BUTTON' && el.textContent.trim());
      if (!named) out.push(el.outerHTML.slice(0, 80));
    }
    for (const img of document.querySelectorAll('img')) if (!img.hasAttribute('alt')) out.push(img.outerHTML.slice(0, 80));
    return out;
  });
  check(bad.length === 0, `${where}: controls without a name: ${bad.join(' ')}`);
}

// Calls ops on a connection of its own, opened from the page (the page's account is
// not involved): ops is [[op, args], ...], usually starting with auth.register or
// auth.login. Set-up of other people's actions (votes, comments, a brand's contest)
// without a browser context each. Returns the results; throws on an error reply.
export async function wsCalls(page, ops) {
  const out = await page.evaluate(async (list) => {
    const ws = new WebSocket(`ws://${location.host}/ws`, 'cocreate.v1');
    await new Promise((res, rej) => { ws.onopen = res; ws.onerror = () => rej(new Error('ws failed')); });
    let id = 0;
    const waiting = new Map();
    ws.onmessage = (m) => {
      const x = JSON.parse(m.data);
      if (x.id && waiting.has(x.id)) { waiting.get(x.id)(x); waiting.delete(x.id); }
    };
    const replies = [];
    for (const [op, args] of list) {
      const r = await new Promise((res) => { id += 1; waiting.set(id, res); ws.send(JSON.stringify({ id, op, ...args })); });
      replies.push(r);
      if (!r.ok) break;
    }
    ws.close();
    return replies;
  }, ops);
  const bad = out.find((r) => !r.ok);
  if (bad) throw new Error(`wsCalls: ${JSON.stringify(bad.error)} (op ${ops[out.indexOf(bad)][0]})`);
  return out.map((r) => r.result);
}

// The page as a phone shows it: no horizontal scroll, the header in at most two rows,
// every visible results table as wide as its box at most; then a screenshot. Waits
// for the page's content (no "Loading…" left) first.
export async function checkFits(page, name) {
  await page.waitForFunction(() => !document.querySelector('main').textContent.includes('Loading…'));
  const r = await page.evaluate(() => {
    const rects = [...document.querySelector('header.top').children]
      .filter((e) => e.getClientRects().length).map((e) => e.getBoundingClientRect())
      .sort((a, b) => a.top - b.top);
    let rows = 0, bottom = -Infinity;
    for (const x of rects) if ((x.top + x.bottom) / 2 > bottom) { rows += 1; bottom = x.bottom; }
    const tables = [...document.querySelectorAll('table.results-table, table.board')].filter((t) => t.getClientRects().length)
      .map((t) => ({ table: t.className, width: t.scrollWidth, room: t.parentElement.clientWidth }));
    const clipped = (e) => { for (let p = e.parentElement; p; p = p.parentElement) if (getComputedStyle(p).overflowX !== 'visible') return true; return false; };
    const wide = [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > innerWidth + 0.5 && !clipped(e))
      .slice(0, 3).map((e) => `${e.tagName.toLowerCase()}.${e.className} (${Math.round(e.getBoundingClientRect().right)} px)`);
    if (!wide.length) { // overflow without a box past the edge: the widest scroller
      for (const e of document.querySelectorAll('body, body *')) if (e.scrollWidth > innerWidth && !clipped(e)) wide.push(`${e.tagName.toLowerCase()}.${e.className} scrolls ${e.scrollWidth} px`);
    }
    return { scroll: document.documentElement.scrollWidth, width: innerWidth, rows, tables, wide: wide.slice(-3) };
  });
  check(r.scroll <= r.width, `${name}: no horizontal scroll (page ${r.scroll} px wide, window ${r.width}: ${r.wide.join(', ')})`);
  check(r.rows <= 2, `${name}: the header takes ${r.rows} rows`);
  for (const t of r.tables) check(t.width <= t.room, `${name}: ${t.table} is ${t.width} px in ${t.room}`);
  await shot(page, name);
}
