// Every page at 360 × 740 (issue 17: "a layout that really works from 360 px"): no
// horizontal scroll, the header in at most two rows, the results table and the
// leaderboard within the width; a screenshot of each page (phone-*.png) for review.
// On the way: page titles, "No votes yet" (no prior score), the "Sign in to vote"
// button opening the sign-in dialog, the not-found pages, the kind filter of the open
// gallery and the words of an empty filter. Issue 17's new pages too: the sign-up tab,
// Your account, the brand's overview, review queue (with its reason form), moderation
// log, new contest, and a creator page as the brand sees it. Issue 18's: the bell and the
// notices, the lucky dip, search results.
import { scenario, person, register, loginWithToken, go, uploadLevels, wsCalls, checkFits, check, checkLabels, noPageErrors } from './lib.mjs';

const PHONE = { width: 360, height: 740 };
const LONG_NAME = 'a_creator_with_a_32_letter_name_'; // SPEC §2: names are at most 32
const TITLE = 'Winter Run: levels for the longest night';

await scenario('phone_layout', [], async ({ srv, b }) => {
  check(LONG_NAME.length === 32, 'the longest name');
  const token = srv.makeBrand('acme');
  const maker = await person(b, srv, PHONE);
  await maker.goto('/');
  await checkFits(maker, 'phone-gallery-empty');
  await wsCalls(maker, [['auth.login', { token }], ['contest.create', {
    slug: 'winter-run', title: TITLE, kind: 'level', scale: 'stars5', prize: 'Your level in the winter update and $300',
    brief: 'Snow, ice and long jumps: a level that feels like the longest night of the year.' }]]);
  await register(maker, LONG_NAME);
  await checkFits(maker, 'phone-gallery-signed-in');
  const ids = await uploadLevels(maker, 3, { contest: 'winter-run', prefix: 'Frost Hollow' });
  await wsCalls(maker, [['auth.register', { name: 'snow-voter' }], ['vote.cast', { design: ids[0], value: 5 }],
    ['vote.cast', { design: ids[1], value: 3 }], ['comment.post', { design: ids[0], text: 'The ice slide at the end is great.' }]]);
  await wsCalls(maker, [['auth.register', { name: 'ice-voter' }], ['vote.cast', { design: ids[0], value: 4 }]]);
  await wsCalls(maker, [['auth.login', { token }], ['contest.update', { contest: 'winter-run', closed: true }]]);

  await go(maker, '/submit');
  await maker.getByLabel('Game level').check();
  await maker.getByTestId('level-canvas').waitFor();
  await checkFits(maker, 'phone-submit-level');
  await maker.getByTestId('me').click();
  await maker.getByTestId('devices').locator('li').first().waitFor();
  await checkFits(maker, 'phone-account');
  // snow-voter's comment, and the contest's closing (the clock's notice, within a second)
  await maker.getByRole('link', { name: 'Notices, 2 unread' }).click();
  await maker.getByTestId('notices').getByText('snow-voter commented on “Frost Hollow 1”: The ice slide at the end is great.').waitFor();
  await maker.getByRole('link', { name: 'Notices, none unread' }).waitFor();
  await checkFits(maker, 'phone-notices');
  await maker.getByRole('link', { name: 'Your account' }).click();
  await maker.getByRole('link', { name: 'your public page' }).click();
  await maker.getByRole('heading', { name: LONG_NAME }).waitFor();
  check(await maker.title() === `${LONG_NAME} · Cocreate`, `the creator page's title: ${await maker.title()}`);
  await checkFits(maker, 'phone-creator');

  // Someone who has not signed in.
  const guest = await person(b, srv, PHONE);
  await guest.goto('/');
  await guest.getByLabel('Kind').selectOption('level');
  await guest.getByText('No designs match these filters.').waitFor(); // the open gallery has none
  check(new URL(guest.url()).search === '?kind=level', `the kind is in the URL: ${guest.url()}`);
  await checkFits(guest, 'phone-gallery-filtered');
  await go(guest, '/?contest=winter-run&sort=new');
  await guest.getByTestId('grid').locator('li.card').nth(2).waitFor();
  check(await guest.getByLabel('Kind').isHidden(), 'a contest of one kind has no kind filter');
  await guest.getByTestId('grid').getByText('No votes yet').waitFor(); // Frost Hollow 3
  await checkFits(guest, 'phone-gallery-contest');
  await guest.getByRole('tab', { name: 'Lucky dip' }).click();
  await guest.getByText('3 designs in a random order').waitFor();
  await checkFits(guest, 'phone-lucky-dip');
  await guest.getByRole('searchbox', { name: 'Search designs' }).fill('frost');
  await guest.getByRole('searchbox', { name: 'Search designs' }).press('Enter');
  await guest.getByRole('heading', { name: 'Search' }).waitFor();
  check(new URL(guest.url()).search === '?q=frost', `the query is in the address: ${guest.url()}`);
  await guest.getByText('3 designs match “frost”').waitFor();
  await checkFits(guest, 'phone-search');

  await go(guest, '/contest/winter-run');
  const results = guest.locator('table.results-table');
  await results.waitFor();
  check(await guest.title() === `${TITLE} · Cocreate`, `the contest page's title: ${await guest.title()}`);
  const unvoted = results.locator('tbody tr', { hasText: 'Frost Hollow 3' }); // ranked by its prior
  await unvoted.getByText('No votes yet').waitFor();
  check((await unvoted.locator('td').last().textContent()) === '–', 'no votes: no score');
  await checkFits(guest, 'phone-contest-results');

  await go(guest, `/design/${ids[0]}`);
  await guest.getByText('The ice slide at the end is great.').waitFor();
  await guest.getByTestId('tally').filter({ hasText: '4.5 (2 votes)' }).waitFor();
  await checkFits(guest, 'phone-design');
  await guest.getByRole('button', { name: 'Sign in to comment' }).waitFor();
  await guest.getByRole('button', { name: 'Sign in to vote' }).click();
  await guest.locator('#account-dialog[open]').waitFor();
  await guest.locator('#login-form').getByLabel('Name').waitFor();
  await checkFits(guest, 'phone-sign-in');
  await guest.getByRole('tab', { name: 'New account' }).click();
  await guest.locator('#register-form').getByLabel('Contact e-mail').waitFor();
  await checkFits(guest, 'phone-sign-up');
  await guest.locator('#account-dialog .close').click();

  await go(guest, '/leaderboard');
  await guest.locator('table.board tbody tr').first().waitFor();
  await checkFits(guest, 'phone-leaderboard');
  await go(guest, '/submit');
  await guest.getByRole('button', { name: 'Sign in to submit' }).waitFor();
  await checkFits(guest, 'phone-submit-signed-out');
  await go(guest, '/design/999999');
  await guest.getByRole('heading', { name: 'Design not found' }).waitFor();
  check(await guest.title() === 'Design not found · Cocreate', `the not-found page's title: ${await guest.title()}`);
  await guest.getByRole('link', { name: 'Go to the gallery' }).waitFor();
  await checkFits(guest, 'phone-not-found');
  await checkLabels(guest, 'not found');

  // The brand's dashboard.
  const brand = await person(b, srv, PHONE);
  await brand.goto('/');
  await loginWithToken(brand, token, 'acme');
  await go(brand, '/brand?contest=winter-run');
  await brand.getByTestId('ranking').locator('li[data-id]').nth(2).waitFor();
  await checkFits(brand, 'phone-brand');
  await wsCalls(brand, [['auth.register', { name: 'tattler' }], ['design.report', { design: ids[1], reason: 'Looks like a level from another game I played last winter' }]]);
  await go(brand, '/brand');
  await brand.getByTestId('overview').locator('tr[data-id="winter-run"] td').nth(1).filter({ hasText: /^3$/ }).waitFor();
  await checkFits(brand, 'phone-brand-overview');
  await go(brand, '/brand?view=review');
  await brand.getByTestId('review').locator('li.review-item').first().waitFor();
  await checkFits(brand, 'phone-brand-review');
  await brand.getByRole('button', { name: 'Hide Frost Hollow 2' }).click();
  await brand.locator('form.reason-form').getByLabel('Reason').waitFor();
  await checkFits(brand, 'phone-brand-reason');
  await brand.locator('form.reason-form').getByLabel('Reason').fill('Copied from another game');
  await brand.locator('form.reason-form').getByRole('button', { name: 'Hide design' }).click();
  await go(brand, '/brand?view=log');
  await brand.getByTestId('modlog').locator('li').first().waitFor();
  await checkFits(brand, 'phone-brand-log');
  await go(brand, '/brand?view=new');
  await brand.getByLabel('Terms version').waitFor();
  await checkFits(brand, 'phone-brand-new');
  await go(brand, `/design/${ids[0]}`);
  await brand.locator('p.by').getByRole('link', { name: LONG_NAME }).click();
  await brand.getByRole('button', { name: 'Suspend' }).waitFor();
  await checkFits(brand, 'phone-creator-brand');
  noPageErrors(maker, guest, brand);
});
