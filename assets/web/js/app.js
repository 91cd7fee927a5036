// The client's entry point: the router for the page routes of docs/web.md, the header
// with the account controls, and the connection status.
import { api } from './api.js';
import { h, clear, announce, errText, setTitle, notFoundView, params } from './dom.js';
import { galleryPage } from './gallery.js';
import { designPage } from './design.js';
import { submitPage } from './submit.js';
import { contestPage } from './contest.js';
import { creatorPage, leaderboardPage } from './people.js';
import { brandPage } from './brand.js';
import { accountPage } from './account.js';
import { bell, noticesPage } from './notices.js';
import { searchPage, setupSearch, syncSearch } from './search.js';
import { navigate, onNavigate } from './router.js';

const routes = [
  [/^\/$/, () => (params().has('q') ? searchPage() : galleryPage())],
  [/^\/design\/([A-Za-z0-9_.-]+)$/, (m) => designPage(m[1])],
  [/^\/contest\/([A-Za-z0-9_.-]+)$/, (m) => contestPage(m[1])],
  [/^\/creator\/([A-Za-z0-9_.-]+)$/, (m) => creatorPage(m[1])],
  [/^\/leaderboard$/, () => leaderboardPage()],
  [/^\/submit$/, () => submitPage()],
  [/^\/brand$/, () => brandPage()],
  [/^\/account$/, () => (params().get('view') === 'notices' ? noticesPage() : accountPage())],
];

let current = null; // {destroy?} of the page shown

function render() {
  if (current && current.destroy) current.destroy();
  current = null;
  const main = document.getElementById('main');
  clear(main);
  for (const [re, make] of routes) {
    const m = location.pathname.match(re);
    if (m) {
      current = make(m) || null;
      if (current && current.el) main.append(current.el);
      break;
    }
  }
  if (!current) main.append(notFoundView());
  syncSearch();
  for (const a of document.querySelectorAll('header nav a')) {
    const here = a.getAttribute('href') === location.pathname && !params().has('q'); // not search results
    if (here) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  // Pages that load their subject (contest, creator, design) set the title again then.
  const title = main.querySelector('h1');
  setTitle(title ? title.textContent : '');
}

onNavigate(render);

// Same-origin links to page routes stay in the page (no reload).
document.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-link]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
  e.preventDefault();
  navigate(a.getAttribute('href'));
});
window.addEventListener('popstate', render);

// ---- account ----

function accountArea() {
  const box = document.getElementById('account');
  const a = api.account;
  clear(box);
  if (a) {
    box.append(bell(),
      h('a', { href: '/account', 'data-link': '', class: 'me', 'data-testid': 'me', title: 'Your account' },
        a.name, a.role === 'brand' ? ' (brand)' : ''),
      h('button.secondary', { type: 'button', onclick: async () => { await api.logout(); announce('Signed out.'); } }, 'Sign out'));
  } else {
    box.append(h('button', { type: 'button', onclick: () => openDialog('signin') }, 'Sign in'));
  }
  document.getElementById('nav-brand').hidden = !(a && a.role === 'brand');
}

const dialog = () => document.getElementById('account-dialog');
const TITLES = { signin: 'Sign in', signup: 'Create an account', welcome: 'Your account is ready' };

// Shows one panel of the account dialog: signin, signup or welcome (after sign-up).
function showPanel(which) {
  const d = dialog();
  for (const p of ['signin', 'signup', 'welcome']) d.querySelector(`#panel-${p}`).hidden = p !== which;
  d.querySelector('[role=tablist]').hidden = which === 'welcome';
  for (const t of d.querySelectorAll('[role=tab]')) {
    const on = t.id === `tab-${which}`;
    t.setAttribute('aria-selected', String(on));
    t.tabIndex = on ? 0 : -1;
  }
  d.querySelector('#account-title').textContent = TITLES[which];
}

function openDialog(which = 'signin') {
  const d = dialog();
  for (const p of d.querySelectorAll('.field-error')) p.textContent = '';
  showPanel(which);
  if (!d.open) d.showModal();
  d.querySelector(`#panel-${which} input`).focus();
}

// An error of auth.login / auth.register in plain words.
function authError(x, how) {
  if (x.code === 'unauthorized' && /suspended/.test(x.message)) return 'This account is suspended by the brand.';
  if (x.code === 'unauthorized' && how === 'token') return 'This token does not work: check that you copied all of it (a token that was signed out never works again).';
  if (x.code === 'unauthorized') return 'Wrong name or password.';
  if (x.code === 'bad_args' && x.detail.field === 'password') return how === 'signup' ? 'Passwords are 10–200 characters (or leave it empty).' : 'Give your password.';
  if (x.code === 'bad_args' && x.detail.field === 'contact') return 'The contact is at most 200 characters, on one line.';
  return errText(x);
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

function setupDialogs() {
  const d = dialog();
  const reg = d.querySelector('#register-form');
  const login = d.querySelector('#login-form');
  const tokenForm = d.querySelector('#token-form');
  const tabs = [...d.querySelectorAll('[role=tab]')];
  for (const t of tabs) {
    t.addEventListener('click', () => openDialog(t.id.slice(4)));
    t.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
      const other = tabs.find((x) => x !== t);
      openDialog(other.id.slice(4));
      other.focus();
    });
  }
  reg.addEventListener('submit', async (e) => {
    e.preventDefault();
    for (const p of reg.querySelectorAll('.field-error')) p.textContent = '';
    const name = reg.elements.name.value.trim(), password = reg.elements.password.value;
    const contact = reg.elements.contact.value.trim();
    const at = { name: reg.elements.name, password: reg.elements.password, contact: reg.elements.contact };
    const errAt = { name: '#reg-name-error', password: '#reg-pw-error', contact: '#reg-ct-error' };
    const fail = (field, text) => { reg.querySelector(errAt[field] || '#reg-error').textContent = text; (at[field] || reg.elements.name).focus(); };
    if (password && [...password].length < 10) return fail('password', 'Passwords are 10–200 characters (or leave it empty).');
    const btn = reg.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      const r = await api.register({ name, password, contact });
      reg.reset();
      d.querySelector('#welcome-text').textContent = password
        ? `Welcome, ${r.account.name}! Sign in on other devices with your name and password.`
        : `Welcome, ${r.account.name}! You have no password yet: set one on “Your account”, or keep the token below to sign in elsewhere.`;
      d.querySelector('#welcome-token').textContent = r.token;
      d.querySelector('#copy-msg').textContent = '';
      showPanel('welcome');
      d.querySelector('#copy-token').focus();
      announce(`Welcome, ${r.account.name}!`);
    } catch (x) {
      const field = x.detail && x.detail.field;
      fail(errAt[field] ? field : 'name', authError(x, 'signup'));
    } finally {
      btn.disabled = false;
    }
  });
  // A sign-in form: call() signs in; its error shows in the form, focus on retry.
  const signInForm = (form, how, call, retry) => form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const err = form.querySelector('.field-error');
    err.textContent = '';
    if (!form.checkValidity()) { err.textContent = how === 'token' ? 'Paste your token.' : 'Give your name and your password.'; retry().focus(); return; }
    try {
      const r = await call();
      form.reset();
      d.close();
      announce(`Signed in as ${r.account.name}.`);
    } catch (x) {
      err.textContent = authError(x, how);
      retry().focus();
    }
  });
  signInForm(login, 'password', () => api.loginPassword(login.elements.name.value.trim(), login.elements.password.value),
    () => (login.elements.name.value.trim() ? login.elements.password : login.elements.name));
  signInForm(tokenForm, 'token', () => api.login(tokenForm.elements.token.value.trim()), () => tokenForm.elements.token);
  d.querySelector('#copy-token').addEventListener('click', async () => {
    const out = d.querySelector('#welcome-token');
    const ok = await copyText(out.textContent);
    if (!ok) getSelection().selectAllChildren(out); // select it for a manual copy
    d.querySelector('#copy-msg').textContent = ok ? 'Copied.' : 'Selected: copy it with Ctrl+C (⌘C).';
  });
  // The token is shown once: gone as the dialog closes (Done, ×, or Escape).
  const close = () => { d.querySelector('#welcome-token').textContent = ''; d.close(); };
  d.querySelector('#welcome-done').addEventListener('click', close);
  d.addEventListener('close', () => { d.querySelector('#welcome-token').textContent = ''; });
  d.querySelector('.close').addEventListener('click', close);
}

// The server ended this browser's session (api.js 'signedout'): say so until dismissed.
const SIGNED_OUT_TEXT = {
  revoked: 'You have been signed out on this device: it was removed from your account (from another device or by signing out).',
  suspended: 'You have been signed out: the brand suspended this account.',
  'account deleted': 'You have been signed out: this account was deleted.',
};
function signedOutBanner() {
  const box = document.getElementById('signed-out');
  box.querySelector('.close').addEventListener('click', () => { box.hidden = true; });
  box.querySelector('[data-action=sign-in]').addEventListener('click', () => { box.hidden = true; openDialog('signin'); });
  api.addEventListener('signedout', (e) => {
    box.querySelector('p').textContent = SIGNED_OUT_TEXT[e.detail] || SIGNED_OUT_TEXT.revoked;
    box.hidden = false;
  });
  api.addEventListener('account', (e) => { if (e.detail) box.hidden = true; });
}

function connectionStatus() {
  const el = document.getElementById('conn');
  const show = () => {
    el.hidden = api.state === 'open';
    el.textContent = api.state === 'open' ? '' : 'Reconnecting…';
  };
  api.addEventListener('state', show);
  show();
}

setupDialogs();
setupSearch();
signedOutBanner();
// "Sign in to …" buttons of the pages (dom.js signInButton).
document.addEventListener('cc-sign-in', () => openDialog('signin'));
accountArea();
connectionStatus();
api.addEventListener('account', () => {
  accountArea();
  render(); // pages depend on who is looking (votes, brand tools)
});
render();
