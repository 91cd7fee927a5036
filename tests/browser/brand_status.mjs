// Scenario 4 (issue 6): the brand creates a contest in its dashboard, a creator submits
// to it, a voter rates it (stars5), the brand shortlists it and then picks it as the
// winner with a note (after closing submissions from the dashboard: SPEC §7), and the
// voter's open design page shows the note live.
import { scenario, person, register, loginWithToken, go, shot, submitLevel, createContest, adminRow, check, checkLabels, noPageErrors, readFileSync } from './lib.mjs';

const NOTE = 'Congratulations: this level ships in the summer update!';

await scenario('brand_status', [], async ({ srv, b }) => {
  const token = srv.makeBrand('acme');
  const brand = await person(b, srv);
  await brand.goto('/');
  await loginWithToken(brand, token, 'acme');
  await brand.getByRole('link', { name: 'Brand', exact: true }).waitFor();
  await createContest(brand, { slug: 'summer-levels', title: 'Summer Levels', brief: 'Beach-themed levels.', prize: '$500 and credits', scale: 'stars5' });
  await shot(brand, 'brand-new-contest');

  const maker = await person(b, srv);
  await maker.goto('/');
  await register(maker, 'surfer');
  const id = await submitLevel(maker, { title: 'Wave Rider', contest: 'summer-levels' });
  await adminRow(brand, id).waitFor(); // the dashboard's ranking is live

  const voter = await person(b, srv, { width: 390, height: 844 });
  await voter.goto(`/design/${id}`);
  await register(voter, 'fan');
  await voter.getByRole('heading', { name: 'Wave Rider' }).waitFor();
  await voter.getByRole('button', { name: '4 stars' }).click();
  await voter.getByTestId('tally').filter({ hasText: '4.0 (1 vote)' }).waitFor();
  check(await voter.getByRole('button', { name: '4 stars' }).getAttribute('aria-pressed') === 'true', 'the own rating shows');
  await adminRow(brand, id).getByText('4.0 (1 vote)').waitFor();

  const row = adminRow(brand, id);
  await row.getByRole('combobox').selectOption('shortlisted');
  await row.getByRole('button', { name: 'Set' }).click();
  await row.getByText('Now Shortlisted.').waitFor();
  await voter.getByTestId('status').filter({ hasText: 'Shortlisted' }).waitFor();

  // SPEC §7: no winner while the contest takes submissions; the dashboard says so and
  // closes them.
  check(await row.locator('option[value=winner]').isDisabled(), 'no winner while submissions are open');
  await brand.getByText('Winners can be picked once submissions close').waitFor();
  await shot(brand, 'brand-before-close-submissions');
  let asked = '';
  brand.once('dialog', (d) => { asked = d.message(); d.accept(); });
  await brand.getByRole('button', { name: 'Close submissions now' }).click();
  await brand.getByTestId('phase').filter({ hasText: 'voting' }).waitFor();
  check(/Close submissions of “Summer Levels” now\?/.test(asked), `the confirm names the contest: ${asked}`);
  check(!(await row.locator('option[value=winner]').isDisabled()), 'winners once submissions closed');
  await row.getByRole('combobox').selectOption('winner');
  await row.getByPlaceholder('Public note (optional)').fill(NOTE);
  await row.getByRole('button', { name: 'Set' }).click();
  await row.getByText('Now Winner.').waitFor();
  await shot(brand, 'brand-dashboard');

  // The production export downloads from the dashboard's link (the brand's cookie).
  const [dl] = await Promise.all([brand.waitForEvent('download'), brand.getByTestId('export').click()]);
  check(dl.suggestedFilename() === 'summer-levels-export.tar', `export file name ${dl.suggestedFilename()}`);
  const tar = readFileSync(await dl.path());
  check(tar.length % 512 === 0 && tar.subarray(257, 262).toString() === 'ustar', 'a ustar archive');
  check(tar.includes(Buffer.from(`${id}/original.json`)) && tar.includes(Buffer.from('manifest.json')), 'with the winner and the manifest');
  const asMember = await voter.evaluate(async () => (await fetch('/export/summer-levels')).status);
  check(asMember === 403, `a member gets 403 for the export, got ${asMember}`);
  voter.errors = voter.errors.filter((e) => !/status of 403/.test(e)); // that refusal, expected
  await checkLabels(brand, 'brand dashboard');

  // Live on the voter's page: no reload.
  await voter.getByTestId('note').filter({ hasText: NOTE }).waitFor();
  await voter.getByTestId('status').filter({ hasText: 'Winner' }).waitFor();
  await shot(voter, 'design-winner-note');
  await checkLabels(voter, 'design page');

  // The public contest page and the gallery's status filter agree.
  await go(voter, '/contest/summer-levels');
  await voter.getByText('Prize: $500 and credits').waitFor();
  await voter.locator('li.card', { hasText: 'Wave Rider' }).waitFor();
  await shot(voter, 'contest-page');
  await go(voter, '/?contest=summer-levels&status=winner');
  await voter.locator('li.card', { hasText: 'Wave Rider' }).getByText('Winner').waitFor();

  // Points: +10 accepted, +1 support (4 stars), +100 winner; the leaderboard agrees.
  await go(voter, '/leaderboard');
  const top = voter.locator('table.board tbody tr').first();
  await top.filter({ hasText: 'surfer' }).waitFor();
  check((await top.locator('td').allTextContents()).join('|') === '1|surfer|111|1', `leaderboard row, got ${await top.locator('td').allTextContents()}`);
  await shot(voter, 'leaderboard');
  await top.getByRole('link', { name: 'surfer' }).click();
  await voter.getByRole('heading', { name: 'surfer' }).waitFor();
  check(await voter.getByTestId('points').textContent() === '111', 'creator page points');
  check(await voter.getByTestId('wins').textContent() === '1', 'creator page wins');
  check(await voter.getByTestId('designs').textContent() === '1', 'creator page designs');
  await voter.locator('li.card', { hasText: 'Wave Rider' }).getByText('Winner').waitFor();
  await shot(voter, 'creator-page');
  await checkLabels(voter, 'creator page');
  noPageErrors(brand, maker, voter);
});
