// Scenario 2 (issue 6): upload a PNG artwork. Before that: the client's own checks (no
// file, not a PNG, past 16 MiB: nothing is sent) and a server error shown at the file
// field (a PNG whose CRC is broken: invalid_design). After it, the same file again
// (issue 13, SPEC §7): by its creator, a link to the design that has it; by another
// creator, a refusal that names no design.
import { join } from 'node:path';
import { scenario, person, register, loginWithPassword, wsCalls, go, shot, card, check, checkLabels, noPageErrors, readFileSync, SOURCE } from './lib.mjs';

const PW = 'a long paper owl';
const PNG = readFileSync(join(SOURCE, 'assets', 'samples', 'artwork-03.png'));

await scenario('artwork_upload', [], async ({ srv, b }) => {
  const page = await person(b, srv, { width: 390, height: 844 }); // phone width
  await page.goto('/');
  await register(page, 'painter', { password: PW });
  await go(page, '/submit');
  const fileErr = page.locator('#s-file-err');
  const submit = page.getByRole('button', { name: 'Submit', exact: true });
  await page.getByLabel('Title').fill('Night Owl');
  await page.getByLabel('Tags').fill('owl night');

  await submit.click();
  await fileErr.filter({ hasText: 'Choose a PNG file.' }).waitFor();

  await page.getByLabel('PNG file').setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not a png at all') });
  await submit.click();
  await fileErr.filter({ hasText: 'This is not a PNG file.' }).waitFor();

  const huge = Buffer.alloc((16 << 20) + 1);
  PNG.copy(huge);
  await page.getByLabel('PNG file').setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: huge });
  await fileErr.filter({ hasText: 'the limit is 16.0 MiB' }).waitFor();
  await submit.click();
  await fileErr.filter({ hasText: 'the limit is 16.0 MiB' }).waitFor();

  const broken = Buffer.from(PNG);
  broken[29] ^= 0xff; // inside IHDR: its CRC no longer matches
  await page.getByLabel('PNG file').setInputFiles({ name: 'broken.png', mimeType: 'image/png', buffer: broken });
  await submit.click();
  await fileErr.filter({ hasText: /\S/ }).waitFor();
  const text = await fileErr.textContent();
  check(!/Choose|not a PNG|limit/.test(text), `the server's refusal is shown at the file field, got "${text}"`);
  check(await page.evaluate(() => document.activeElement.id) === 's-file', 'focus moves to the field in error');
  await shot(page, 'submit-artwork-error');

  await page.getByLabel('PNG file').setInputFiles({ name: 'owl.png', mimeType: 'image/png', buffer: PNG });
  check(!(await fileErr.isVisible()), 'the error clears with a good file');
  // The preview on the shirt (a canvas mimic of the thumbnail), drawn from the file.
  const mockup = page.getByTestId('mockup');
  await mockup.waitFor();
  const painted = await mockup.evaluate((c) => { // the print area's middle holds the artwork, not the shirt
    const px = c.getContext('2d').getImageData(160, 140, 1, 1).data;
    return [px[0], px[1], px[2]].join(',');
  });
  check(painted !== '207,210,214', `the artwork is drawn in the print area (${painted})`);
  await shot(page, 'submit-artwork-mockup');
  await page.evaluate(() => { // what the progress bar shows while it is visible
    const p = document.querySelector('[data-testid=progress]');
    window.seen = new Set();
    const look = () => { if (!p.hidden) window.seen.add(p.value); requestAnimationFrame(look); };
    look();
    const orig = Object.getOwnPropertyDescriptor(HTMLProgressElement.prototype, 'value');
    Object.defineProperty(p, 'value', { get() { return orig.get.call(p); }, set(v) { orig.set.call(p, v); if (!p.hidden) window.seen.add(orig.get.call(p)); } });
  });
  await submit.click();
  const done = page.getByTestId('done').getByRole('link', { name: 'See “Night Owl”' });
  await done.waitFor();
  check(await page.getByTestId('progress').isHidden(), 'the progress bar is gone when done');
  check(await page.evaluate(() => window.seen.has(100)), 'the progress bar reached 100 %');
  await shot(page, 'submit-artwork-done');
  // Cleared for the next design: no double submission by a second click.
  check(await page.getByLabel('Title').inputValue() === '', 'the title is cleared after success');
  check(await page.getByLabel('PNG file').evaluate((i) => i.files.length) === 0, 'the file is cleared');
  check(await mockup.isHidden(), 'the preview is gone');

  await done.click();
  await page.getByRole('heading', { name: 'Night Owl' }).waitFor();
  await page.locator('img.render').evaluate((img) => img.decode());
  check(await page.locator('img.render').evaluate((img) => img.naturalWidth > 0), 'the full render loads');
  const orig = await page.evaluate(async (id) => { const r = await fetch(`/d/${id}`); return [r.status, r.headers.get('content-type'), (await r.arrayBuffer()).byteLength]; },
    page.url().split('/').pop());
  check(orig[0] === 200 && orig[1] === 'image/png' && orig[2] === PNG.length, `the original downloads as uploaded, got ${orig}`);
  await shot(page, 'design-artwork-phone');

  await page.getByRole('link', { name: 'Gallery', exact: true }).click();
  await card(page, 'Night Owl').waitFor();
  await shot(page, 'gallery-phone');
  await checkLabels(page, 'gallery');

  // Sign out: read-only, the token and its cookie gone and the session ended on the
  // server (the token never signs in again); sign in again with name and password.
  const token = await page.evaluate(() => localStorage.getItem('cc_token'));
  check(/^[0-9a-f]{64}$/.test(token), 'the token is kept in localStorage');
  check((await page.context().cookies()).some((c) => c.name === 'cc_token' && c.value === token), 'and as the cc_token cookie');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.locator('#account').getByRole('button', { name: 'Sign in' }).waitFor();
  check(await page.evaluate(() => localStorage.getItem('cc_token')) === null, 'signed out: no token');
  check(!(await page.context().cookies()).some((c) => c.name === 'cc_token'), 'signed out: no cookie');
  const dead = await wsCalls(page, [['auth.login', { token }]]).then(() => 'signed in', (e) => String(e));
  check(/unknown or revoked token/.test(dead), `the signed-out token is dead: ${dead}`);
  await go(page, '/submit');
  await page.getByText('Sign in to submit a design.', { exact: false }).waitFor();
  await loginWithPassword(page, 'painter', PW);
  await page.getByLabel('PNG file').waitFor(); // the page follows the login

  // The same file again (SPEC §7): refused, with a way to the design that has it; and
  // another creator cannot enter it at all.
  const formErr = page.getByTestId('form-error');
  const again = async (who) => {
    await page.getByLabel('Title').fill(`Owl by ${who}`);
    await page.getByLabel('PNG file').setInputFiles({ name: 'owl.png', mimeType: 'image/png', buffer: PNG });
    await page.getByRole('button', { name: 'Submit', exact: true }).click();
  };
  await again('painter');
  await formErr.getByText('You have already entered this file in this contest').waitFor();
  const mine = formErr.getByRole('link', { name: 'see your design' });
  check((await mine.getAttribute('href')).startsWith('/design/'), 'the refusal links to the design');
  await shot(page, 'submit-duplicate-own');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await register(page, 'copycat');
  await go(page, '/submit');
  await again('copycat');
  await formErr.getByText('Another creator has already uploaded this exact file').waitFor();
  check(!(await formErr.getByRole('link').count()), 'another creator\'s design is not named');
  noPageErrors(page);
});
