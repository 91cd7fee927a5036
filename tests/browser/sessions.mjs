// Accounts that last (issue 17, SPEC §7): sign up with a password and a contact in one
// browser (the token shown once, with a copy button), sign in by name and password in a
// second browser, see both devices on "Your account", sign the first out from the second:
// the first shows in plain words that it is signed out and forgets its token. Then the
// data downloaded (GET /me/export), the contact, a password change, and the wrong-password and signed-out-token errors.
import { scenario, person, register, loginWithPassword, openSignIn, go, shot, check, checkLabels, noPageErrors, readFileSync } from './lib.mjs';

const PW = 'sea otters hold hands';
const PW2 = 'otters sleep on kelp beds';

await scenario('sessions', [], async ({ srv, b }) => {
  const phone = await person(b, srv, { width: 390, height: 844 });
  await phone.goto('/');
  await openSignIn(phone, 'New account');
  const form = phone.locator('#register-form');
  await form.getByLabel('Name').fill('Otter');
  await form.getByLabel('Password').fill('short');
  await form.getByRole('button', { name: 'Create account' }).click();
  await phone.getByText('Passwords are 10–200 characters (or leave it empty).').waitFor();
  await shot(phone, 'sign-up-error');
  await phone.locator('#account-dialog .close').click();
  // The token, shown once with a copy button; the welcome says how to sign in elsewhere.
  await phone.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  const token = await (async () => {
    await openSignIn(phone, 'New account');
    await form.getByLabel('Name').fill('Otter');
    await form.getByLabel('Password').fill(PW);
    await form.getByLabel('Contact e-mail').fill('otter@example.org');
    await form.getByRole('button', { name: 'Create account' }).click();
    const t = await phone.locator('#welcome-token').filter({ hasText: /^[0-9a-f]{64}$/ }).textContent();
    await phone.getByText('Sign in on other devices with your name and password.').waitFor();
    await phone.getByRole('button', { name: 'Copy the token' }).click();
    await phone.getByText('Copied.').waitFor();
    check(await phone.evaluate(() => navigator.clipboard.readText()) === t, 'the copy button copies the token');
    await shot(phone, 'sign-up-token');
    await phone.getByRole('button', { name: 'Done' }).click();
    return t;
  })();
  await phone.getByTestId('me').filter({ hasText: 'Otter' }).waitFor();
  check(await phone.locator('#welcome-token').textContent() === '', 'the token is shown once');

  // A second browser: by name (any case) and password. A wrong one first.
  const laptop = await person(b, srv);
  await laptop.goto('/');
  await openSignIn(laptop);
  const login = laptop.locator('#login-form');
  await login.getByLabel('Name').fill('otter');
  await login.getByLabel('Password').fill('not my password');
  await login.getByRole('button', { name: 'Sign in' }).click();
  await laptop.getByText('Wrong name or password.').waitFor();
  await shot(laptop, 'sign-in-wrong-password');
  await laptop.locator('#account-dialog .close').click();
  await loginWithPassword(laptop, 'otter', PW);

  // "Your account": both devices, named from the user agent, this one marked.
  await laptop.getByTestId('me').click();
  await laptop.getByRole('heading', { name: 'Your account', exact: true }).waitFor();
  const devices = laptop.getByTestId('devices').locator('li');
  await devices.nth(1).waitFor();
  check(await devices.count() === 2, 'two devices');
  const names = await devices.locator('.dev-name strong').allTextContents();
  check(names.every((n) => n === 'Chrome on Linux'), `device names from the user agent: ${names}`);
  await devices.nth(1).getByText('This device').waitFor();
  check(await laptop.locator('main').getByLabel('Contact e-mail').inputValue() === 'otter@example.org', 'the contact given at sign-up');
  await shot(laptop, 'account');
  await checkLabels(laptop, 'account page');
  // Download my data: a tar of the account's own data (GET /me/export, the cookie).
  const [dl] = await Promise.all([laptop.waitForEvent('download'), laptop.getByTestId('my-export').click()]);
  const tar = readFileSync(await dl.path());
  check(tar.length % 512 === 0 && tar.subarray(257, 262).toString() === 'ustar', 'my data is a ustar archive');
  check(tar.includes(Buffer.from('manifest.json')) && tar.includes(Buffer.from('otter@example.org')), 'with the manifest and the contact');

  // Sign the phone out from the laptop: the phone says so and forgets its token.
  await devices.nth(0).getByRole('button', { name: /^Sign out Chrome on Linux/ }).click();
  await laptop.getByRole('status').filter({ hasText: 'is signed out.' }).first().waitFor();
  await phone.locator('#signed-out').getByText('You have been signed out on this device').waitFor();
  await phone.locator('#account').getByRole('button', { name: 'Sign in' }).waitFor();
  check(await phone.evaluate(() => localStorage.getItem('cc_token')) === null, 'the signed-out phone forgot its token');
  await shot(phone, 'signed-out-revoked');
  await devices.nth(1).waitFor({ state: 'detached' });
  check(await devices.count() === 1, 'one device left');
  // The revoked token never signs in again: the phone tries it and is told in words.
  await phone.locator('#signed-out').getByRole('button', { name: 'Sign in again' }).click();
  await phone.getByText('Sign in with a token instead').click();
  await phone.getByLabel('Token', { exact: true }).fill(token);
  await phone.getByRole('button', { name: 'Sign in with the token' }).click();
  await phone.getByText('This token does not work').waitFor();
  await phone.locator('#account-dialog .close').click();

  // Contact and password from "Your account".
  await laptop.locator('main').getByLabel('Contact e-mail').fill('');
  await laptop.locator('main').getByRole('button', { name: 'Save contact' }).click();
  await laptop.getByTestId('contact-msg').filter({ hasText: 'Contact removed.' }).waitFor();
  await laptop.locator('main').getByLabel('Current password').fill('not my password');
  await laptop.locator('main').getByLabel('New password', { exact: true }).fill(PW2);
  await laptop.locator('main').getByLabel('New password again').fill(PW2);
  await laptop.locator('main').getByRole('button', { name: /password/ }).click();
  await laptop.getByText('That is not your current password.').waitFor();
  await laptop.locator('main').getByLabel('Current password').fill(PW);
  await laptop.locator('main').getByRole('button', { name: /password/ }).click();
  await laptop.getByTestId('password-msg').filter({ hasText: 'Password saved' }).waitFor();
  await loginWithPassword(phone, 'Otter', PW2);

  // Signing out here ends this session too: "Sign out" in the header.
  await go(laptop, '/account');
  await laptop.locator('#account').getByRole('button', { name: 'Sign out' }).click();
  await laptop.locator('#account').getByRole('button', { name: 'Sign in' }).waitFor();
  await laptop.getByRole('button', { name: 'Sign in', exact: true }).last().waitFor(); // the page asks to sign in
  noPageErrors(phone, laptop);
});
