// The client's entry point: the router for the page routes of docs/web.md, the header
// with the account controls, and the connection status.
import { api } from './api.js';
import { h, clear, announce, errText, setTitle, notFoundView } from './dom.js';
import { galleryPage } from './gallery.js';
import { designPage } from './design.js';
import { submitPage } from './submit.js';
import { contestPage } from './contest.js';
import { creatorPage, leaderboardPage } from './people.js';
import { brandPage } from './brand.js';

const routes = [
  [/^\/$/, () => galleryPage()],
  [/^\/design\/([A-Za-z0-9_.-]+)$/, (m) => designPage(m[1])],
  [/^\/contest\/([A-Za-z0-9_.-]+)$/, (m) => contestPage(m[1])],
  [/^\/creator\/([A-Za-z0-9_.-]+)$/, (m) => creatorPage(m[1])],
  [/^\/leaderboard$/, () => leaderboardPage()],
  [/^\/submit$/, () => submitPage()],
  [/^\/brand$/, () => brandPage()],
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
  for (const a of document.querySelectorAll('nav a')) {
    const here = a.getAttribute('href') === location.pathname;
    if (here) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  // Pages that load their subject (contest, creator, design) set the title again then.
  const title = main.querySelector('h1');
  setTitle(title ? title.textContent : '');
}

export function navigate(url, replace = false) {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  render();
  window.scrollTo(0, 0);
  const main = document.getElementById('main');
  main.focus({ preventScroll: true });
}

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
  const dialog = document.getElementById('account-dialog');
  const a = api.account;
  clear(box);
  if (a) {
    box.append(
      h('a', { href: `/creator/${a.id}`, 'data-link': '', class: 'me', 'data-testid': 'me' },
        a.name, a.role === 'brand' ? ' (brand)' : ''),
      h('button.secondary', { type: 'button', onclick: () => showToken() }, 'Token'),
      h('button.secondary', { type: 'button', onclick: () => { api.logout(); announce('Logged out.'); } }, 'Log out'));
  } else {
    box.append(h('button', { type: 'button', onclick: () => openDialog(dialog) }, 'Sign in'));
  }
  document.getElementById('nav-brand').hidden = !(a && a.role === 'brand');
}

function showToken() {
  const dialog = document.getElementById('token-dialog');
  dialog.querySelector('output').textContent = api.token || '';
  dialog.showModal();
}

function openDialog(dialog) {
  for (const p of dialog.querySelectorAll('.field-error')) p.textContent = '';
  dialog.showModal();
  dialog.querySelector('input').focus();
}

function setupDialogs() {
  const dialog = document.getElementById('account-dialog');
  const reg = dialog.querySelector('#register-form');
  const login = dialog.querySelector('#login-form');
  reg.addEventListener('submit', async (e) => {
    e.preventDefault();
    const err = reg.querySelector('.field-error');
    err.textContent = '';
    try {
      const r = await api.register(reg.elements.name.value.trim());
      dialog.close();
      announce(`Welcome, ${r.account.name}! Your token is saved in this browser.`);
    } catch (x) {
      err.textContent = errText(x);
      reg.elements.name.focus();
    }
  });
  login.addEventListener('submit', async (e) => {
    e.preventDefault();
    const err = login.querySelector('.field-error');
    err.textContent = '';
    try {
      const r = await api.login(login.elements.token.value.trim());
      dialog.close();
      announce(`Logged in as ${r.account.name}.`);
    } catch (x) {
      err.textContent = x.code === 'unauthorized' ? 'Unknown token: check that you copied all of it.' : errText(x);
      login.elements.token.focus();
    }
  });
  for (const d of document.querySelectorAll('dialog')) {
    d.querySelector('.close').addEventListener('click', () => d.close());
  }
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
// "Sign in to …" buttons of the pages (dom.js signInButton).
document.addEventListener('cc-sign-in', () => openDialog(document.getElementById('account-dialog')));
accountArea();
connectionStatus();
api.addEventListener('account', () => {
  accountArea();
  render(); // pages depend on who is looking (votes, brand tools)
});
render();
