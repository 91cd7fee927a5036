// "Your account" (/account): the devices signed in (auth.sessions) with sign-out for
// each (auth.revoke), the password (auth.set_password), the contact (auth.set_contact),
// the download of one's own data (GET /me/export) and deleting the account
// (auth.delete), SPEC §7.
import { api } from './api.js';
import { h, clear, link, fmtDate, errText, announce, signInButton, formField } from './dom.js';
import { navigate } from './router.js';
import { NOTICES_URL } from './notices.js';

const PASSWORD_MIN = 10;  // SPEC §7: 10–200 characters
const PASSWORD_MAX = 200;
const CONTACT_MAX = 200;  // SPEC §7

// The password errors of auth.set_password / auth.delete in plain words.
function passwordError(e) {
  const field = e.detail && e.detail.field;
  if (e.code === 'bad_args' && field === 'old') return 'Your account has a password: give the current one.';
  if (e.code === 'bad_args' && field === 'password' && /required/.test(e.message)) return 'Give your password.';
  if (e.code === 'bad_args' && field === 'password') return `Passwords are ${PASSWORD_MIN}–${PASSWORD_MAX} characters.`;
  if (e.code === 'unauthorized') return 'That is not your current password.';
  return errText(e);
}

export function accountPage() {
  const el = h('section.account-page', h('h1', 'Your account'));
  const a = api.account;
  if (!a) {
    el.append(h('p', 'Sign in to see your account: your devices, your password and your data.'), signInButton('Sign in'));
    return { el };
  }
  el.append(
    h('p', h('strong', a.name), a.role === 'brand' ? ' (brand staff)' : '', ` · member since ${fmtDate(a.created)} · `,
      link(`/creator/${a.id}`, 'your public page'), ' · ', link(NOTICES_URL, 'your notices')),
    devices(), passwordForm(), contactForm(), dataSection(), a.role === 'brand' ? null : deleteSection());
  return { el };
}

function devices() {
  const list = h('ul.devices', { 'data-testid': 'devices', 'aria-label': 'Devices signed in' });
  const msg = h('p.help', { role: 'status' });
  const box = h('section', { 'aria-labelledby': 'dev-h' }, h('h2', { id: 'dev-h' }, 'Devices signed in'),
    h('p.help', 'Each browser or app you signed in with. Signing one out ends its sign-in there at once.'),
    msg, list,
    h('p', h('button.secondary', { type: 'button', onclick: () => api.logout().then(() => announce('Signed out.')) }, 'Sign out on this device')));

  async function load() {
    try {
      const { sessions } = await api.call('auth.sessions');
      clear(list, sessions.map((s) => h('li', { dataset: { session: s.session } },
        h('div.dev-name', h('strong', s.device || 'A device without a name'), s.current ? [' ', h('span.badge.status-official', 'This device')] : null),
        h('div.help', `Signed in ${fmtDate(s.created)} · last seen ${fmtDate(s.last_seen)}`),
        s.current ? null : h('button.secondary', {
          type: 'button', 'aria-label': `Sign out ${s.device || 'the device'} (signed in ${fmtDate(s.created)})`,
          onclick: () => revoke(s),
        }, 'Sign out'))));
    } catch (e) { msg.textContent = errText(e); }
  }
  async function revoke(s) {
    msg.textContent = '';
    try {
      await api.call('auth.revoke', { session: s.session });
      announce(`${s.device || 'The device'} is signed out.`);
      msg.textContent = `${s.device || 'The device'} is signed out.`;
      load();
    } catch (e) { msg.textContent = errText(e); }
  }
  load();
  return box;
}

function passwordForm() {
  const has = api.account.has_password; // undefined: the server does not say
  const old = formField('a-old', 'Current password', h('input', { type: 'password', autocomplete: 'current-password', maxlength: PASSWORD_MAX }),
    has === undefined ? 'Leave it empty if you never set one.' : null);
  old.el.hidden = has === false;
  const pw = formField('a-new', 'New password', h('input', { type: 'password', autocomplete: 'new-password', maxlength: PASSWORD_MAX }),
    `${PASSWORD_MIN}–${PASSWORD_MAX} characters; a few words you remember are better than a short jumble.`);
  const again = formField('a-again', 'New password again', h('input', { type: 'password', autocomplete: 'new-password', maxlength: PASSWORD_MAX }));
  const msg = h('p', { role: 'status', 'data-testid': 'password-msg' });
  const form = h('form.account-form', { novalidate: true }, old.el, pw.el, again.el, msg,
    h('button', { type: 'submit' }, has === false ? 'Set password' : 'Change password'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    for (const f of [old, pw, again]) f.err.textContent = '';
    msg.textContent = '';
    const n = [...pw.input.value].length;
    if (n < PASSWORD_MIN || n > PASSWORD_MAX) { pw.err.textContent = `Passwords are ${PASSWORD_MIN}–${PASSWORD_MAX} characters.`; pw.input.focus(); return; }
    if (pw.input.value !== again.input.value) { again.err.textContent = 'The two new passwords differ.'; again.input.focus(); return; }
    const args = { password: pw.input.value };
    if (old.input.value) args.old = old.input.value;
    try {
      const r = await api.call('auth.set_password', args);
      api.updateAccount(r.account);
      form.reset();
      old.el.hidden = false;
      msg.textContent = 'Password saved: sign in on other devices with your name and this password.';
    } catch (x) {
      const at = x.detail && x.detail.field === 'password' ? pw : old;
      at.err.textContent = passwordError(x);
      at.input.focus();
    }
  });
  return h('section', { 'aria-labelledby': 'pw-h' }, h('h2', { id: 'pw-h' }, 'Password'), form);
}

function contactForm() {
  const contact = formField('a-contact', 'Contact e-mail', h('input', { type: 'email', autocomplete: 'email', maxlength: CONTACT_MAX, value: api.account.contact || '' }),
    'Only you and the brand see it: how the brand reaches you when you win. Empty removes it.');
  const msg = h('p', { role: 'status', 'data-testid': 'contact-msg' });
  const form = h('form.account-form', { novalidate: true }, contact.el, msg, h('button', { type: 'submit' }, 'Save contact'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    contact.err.textContent = '';
    msg.textContent = '';
    try {
      const r = await api.call('auth.set_contact', { contact: contact.input.value.trim() });
      api.updateAccount(r.account);
      msg.textContent = r.account.contact ? 'Contact saved.' : 'Contact removed.';
    } catch (x) {
      contact.err.textContent = x.code === 'bad_args' ? `At most ${CONTACT_MAX} characters, on one line.` : errText(x);
      contact.input.focus();
    }
  });
  return h('section', { 'aria-labelledby': 'ct-h' }, h('h2', { id: 'ct-h' }, 'Contact'), form);
}

function dataSection() {
  return h('section', { 'aria-labelledby': 'data-h' }, h('h2', { id: 'data-h' }, 'Your data'),
    h('p', 'One archive (tar) of everything the server keeps about you: your account, your designs with their original files, your comments and your votes.'),
    h('p', h('a.button', { href: '/me/export', download: '', 'data-testid': 'my-export' }, 'Download my data')));
}

function deleteSection() {
  const pw = formField('a-del-pw', 'Your password', h('input', { type: 'password', autocomplete: 'current-password', maxlength: PASSWORD_MAX }),
    api.account.has_password === undefined ? 'Leave it empty if you never set one.' : null);
  pw.el.hidden = api.account.has_password === false;
  const msg = h('p.field-error', { role: 'alert' });
  const form = h('form.account-form', { novalidate: true }, pw.el, msg, h('button.danger', { type: 'submit' }, 'Delete my account'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    pw.err.textContent = '';
    msg.textContent = '';
    if (!confirm('Delete your account for good? This cannot be undone.')) return;
    const args = pw.input.value ? { password: pw.input.value } : {};
    try {
      await api.call('auth.delete', args);
      api.reconnectAnonymous();
      navigate('/', true);
      announce('Your account is deleted.');
    } catch (x) {
      if (x.code === 'bad_args' || x.code === 'unauthorized') { pw.el.hidden = false; pw.err.textContent = passwordError(x); pw.input.focus(); } else msg.textContent = errText(x);
    }
  });
  return h('section.danger-zone', { 'aria-labelledby': 'del-h' }, h('h2', { id: 'del-h' }, 'Delete your account'),
    h('ul',
      h('li', 'Your name becomes “deleted-<number>”; your contact, password and every sign-in are erased.'),
      h('li', 'Your designs are withdrawn: nobody but the brand sees them any more.'),
      h('li', 'Your comments stay, shown as by a deleted account; your votes stay as they are (the public audit log never named you).'),
      h('li', 'Download your data first if you want to keep it.')),
    form);
}
