// The one WebSocket to cocreated (SPEC §4: /ws, subprotocol cocreate.v1): requests
// matched to replies by id, pushed events routed to live handles, the account kept
// logged in, and everything re-established after a reconnect.

const TOKEN_KEY = 'cc_token';
const RETRY_MS = [250, 500, 1000, 2000, 4000];
const SIGNED_OUT_CLOSE = 4001; // the WebSocket close code of an ended session (SPEC §7)
const DEVICE_MAX = 64;         // characters of a session's device name (docs/protocol.md)

// A name for this browser in the account's list of devices, from its user agent:
// "Chrome on Linux", "Safari on iPhone", "Firefox on Windows".
export function deviceName(ua = navigator.userAgent) {
  const browser = /Edg\//.test(ua) ? 'Edge' : /OPR\//.test(ua) ? 'Opera' : /Firefox\//.test(ua) ? 'Firefox'
    : /Chrome\/|Chromium\/|CriOS\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : 'A browser';
  const os = /iPhone/.test(ua) ? 'iPhone' : /iPad/.test(ua) ? 'iPad' : /Android/.test(ua) ? 'Android'
    : /CrOS/.test(ua) ? 'ChromeOS' : /Windows/.test(ua) ? 'Windows' : /Mac OS X|Macintosh/.test(ua) ? 'macOS'
    : /Linux/.test(ua) ? 'Linux' : '';
  return (os ? `${browser} on ${os}` : browser).slice(0, DEVICE_MAX);
}

export class ApiError extends Error {
  constructor(err) {
    super(err.message || err.code);
    this.code = err.code;
    this.detail = err.detail || {};
  }
}

function setCookie(token) {
  // For <img src="/t/…"> and the other HTTP routes (hidden designs, exports).
  const attrs = '; path=/; SameSite=Lax' + (location.protocol === 'https:' ? '; Secure' : '');
  document.cookie = token ? `cc_token=${token}${attrs}; max-age=31536000`
                          : `cc_token=${attrs}; max-age=0`;
}

class Api extends EventTarget {
  constructor() {
    super();
    this.ws = null;
    this.nextId = 1;
    this.pending = new Map();   // id -> {resolve, reject, msg}
    this.live = new Set();      // gallery subscriptions and design watches
    this.account = null;
    this.unread = 0;            // the account's unread notices at its last auth.login/register (SPEC §8)
    this.limits = {};
    this.state = 'connecting';
    this.attempt = 0;
    this.waiters = [];          // resolved when the socket is open (and logged in)
    this.connect();
  }

  get token() { return localStorage.getItem(TOKEN_KEY); }

  connect() {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    const ws = new WebSocket(url, 'cocreate.v1');
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = async () => {
      this.attempt = 0;
      try {
        const hello = await this.raw('hello', { client: 'cocreate-web/1' });
        this.limits = hello.limits || {};
        if (this.token) {
          try {
            const r = await this.raw('auth.login', { token: this.token });
            this.signedIn(r);
          } catch (e) {
            // Revoked, suspended or deleted while this page was away.
            if (e.code === 'unauthorized') this.signedOut(/suspended/.test(e.message) ? 'suspended' : 'revoked');
          }
        }
      } catch (e) { /* the close handler retries */ }
      if (this.ws !== ws || ws.readyState !== WebSocket.OPEN) return; // closed meanwhile
      this.setState('open');
      for (const w of this.waiters.splice(0)) w();
      for (const h of this.live) h.resume();
    };
    ws.onmessage = (m) => this.onMessage(m.data);
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.setState('closed');
      for (const [, p] of this.pending) p.reject(new ApiError({ code: 'closed_connection', message: 'connection lost' }));
      this.pending.clear();
      for (const h of this.live) h.suspend();
      // SPEC §7: the server ended this session ("revoked", "suspended", "account
      // deleted"); the token will never log in again.
      if (e.code === SIGNED_OUT_CLOSE && this.token) this.signedOut(e.reason || 'revoked');
      const wait = RETRY_MS[Math.min(this.attempt++, RETRY_MS.length - 1)];
      setTimeout(() => this.connect(), wait);
    };
  }

  setState(s) {
    this.state = s;
    this.dispatchEvent(new CustomEvent('state', { detail: s }));
  }

  // The result of auth.login / auth.register: the account and its unread notices.
  signedIn(r) {
    this.unread = r.unread ?? 0;
    this.setAccount(r.account);
  }

  setAccount(a) {
    const same = (this.account && this.account.id) === (a && a.id);
    this.account = a;
    if (same) return;
    this.dispatchEvent(new CustomEvent('account', { detail: a }));
  }

  onMessage(text) {
    let m;
    try { m = JSON.parse(text); } catch { return; }
    if (m.ev) {
      for (const h of this.live) h.event(m);
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.ok) p.resolve(m.result || {});
    else p.reject(new ApiError(m.error || { code: 'internal' }));
  }

  // Sends now, on the current socket (used while connecting, before `ready`).
  raw(op, args = {}) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, op, ...args }));
    });
  }

  // Resolves with the op's result, rejects with ApiError.
  async call(op, args = {}) {
    while (this.state !== 'open') await new Promise((res) => this.waiters.push(res));
    return this.raw(op, args);
  }

  // Binary frame (upload bytes). Resolves once the socket has handed it to the network.
  sendBinary(buf) {
    if (this.state !== 'open') throw new ApiError({ code: 'closed_connection', message: 'connection lost' });
    this.ws.send(buf);
  }

  buffered() { return this.ws ? this.ws.bufferedAmount : 0; }

  // auth.register {name, password?, contact?}: the connection is then the new account.
  async register({ name, password = '', contact = '' }) {
    const args = { name, device: deviceName() };
    if (password) args.password = password;
    if (contact) args.contact = contact;
    const r = await this.call('auth.register', args);
    this.remember(r.token);
    this.signedIn(r);
    return r;
  }

  // auth.login with a token kept from elsewhere.
  async login(token) {
    const r = await this.call('auth.login', { token });
    this.remember(token);
    this.signedIn(r);
    return r;
  }

  // auth.login by name and password: a new session (device) of the account.
  async loginPassword(name, password) {
    const r = await this.call('auth.login', { name, password, device: deviceName() });
    this.remember(r.token);
    this.signedIn(r);
    return r;
  }

  // The account's own record changed (auth.set_password, auth.set_contact).
  updateAccount(a) {
    if (this.account && a && a.id === this.account.id) this.account = a;
  }

  remember(token) {
    localStorage.setItem(TOKEN_KEY, token);
    setCookie(token);
  }

  forget() {
    localStorage.removeItem(TOKEN_KEY);
    setCookie(null);
    this.unread = 0;
    this.setAccount(null);
  }

  // The server ended this browser's session (why: "revoked", "suspended", "account
  // deleted"): the token is forgotten and the page says so ('signedout' event).
  signedOut(why) {
    this.forget();
    this.dispatchEvent(new CustomEvent('signedout', { detail: why }));
  }

  // Signing out: auth.logout ends the session on the server (its token never works
  // again), then a fresh connection starts anonymous, so every live window is
  // subscribed again as nobody. Signed out locally even when the server cannot be told.
  async logout() {
    if (this.token && this.state === 'open') await this.raw('auth.logout').catch(() => {});
    this.reconnectAnonymous();
  }

  // After auth.delete or a sign-out: forget the account, start a new connection.
  reconnectAnonymous() {
    const ws = this.ws;
    ws.onclose = null;
    for (const [, p] of this.pending) p.reject(new ApiError({ code: 'closed_connection', message: 'signed out' }));
    this.pending.clear();
    for (const h of this.live) h.suspend();
    this.setState('connecting'); // the pages' calls wait for the new connection
    ws.close();
    this.forget();
    this.connect();
  }

  // A live gallery window (gallery.subscribe): onWindow({total, order, items}) with
  // the full window first and after every reconnect, onUpdate(ev) for each
  // gallery.update. Returns a handle with close() and set(args).
  gallery(args, onWindow, onUpdate) {
    const api = this;
    const h = {
      args, sub: null, closed: false,
      async resume() {
        try {
          const r = await api.call('gallery.subscribe', h.args);
          if (h.closed) { api.call('gallery.unsubscribe', { sub: r.sub }).catch(() => {}); return; }
          h.sub = r.sub;
          onWindow({ total: r.total, items: r.items, order: r.items.map((d) => d.id) });
        } catch (e) {
          if (h.onError) h.onError(e);
        }
      },
      suspend() { h.sub = null; },
      event(m) { if (m.ev === 'gallery.update' && m.sub === h.sub && h.sub) onUpdate(m); },
      close() {
        h.closed = true;
        api.live.delete(h);
        if (h.sub) api.call('gallery.unsubscribe', { sub: h.sub }).catch(() => {});
        h.sub = null;
      },
    };
    this.live.add(h);
    if (this.state === 'open') h.resume();
    return h;
  }

  // A watched design (design.watch): onDesign(result) first and after reconnects,
  // onUpdate(ev) for each design.update.
  watch(id, onDesign, onUpdate, onError) {
    const api = this;
    const h = {
      closed: false, active: false,
      async resume() {
        try {
          const r = await api.call('design.watch', { design: id });
          if (h.closed) { api.call('design.unwatch', { design: id }).catch(() => {}); return; }
          h.active = true;
          onDesign(r);
        } catch (e) {
          if (onError) onError(e);
        }
      },
      suspend() { h.active = false; },
      event(m) {
        if (m.ev === 'design.update' && h.active && m.design && m.design.id === id) onUpdate(m);
      },
      close() {
        h.closed = true;
        api.live.delete(h);
        if (h.active) api.call('design.unwatch', { design: id }).catch(() => {});
        h.active = false;
      },
    };
    this.live.add(h);
    if (this.state === 'open') h.resume();
    return h;
  }
}

export const api = new Api();
