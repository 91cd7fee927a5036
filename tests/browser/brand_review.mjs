// The brand that can judge (issue 17): a contest made in the dashboard with terms (the
// creator accepts them at upload), the overview of all contests, the ranking as a grid
// of thumbnails with tallies and a bulk "Shortlist selected"; members report designs,
// the brand's review queue shows them with their reasons (all contests', or one
// contest's, kept in the URL), the brand hides one with a reason and dismisses another; it hides a comment from the design page and suspends
// a spammer from their creator page (whose open page says it was signed out); the
// moderation log shows who did what, when and why.
import { scenario, person, register, loginWithToken, go, shot, submitLevel, uploadLevels, adminRow, giveReason, wsCalls, check, checkLabels, noPageErrors } from './lib.mjs';

const TERMS = 'You keep the rights to your level. If it wins, we may ship it in the game and credit you by name.';

await scenario('brand_review', [], async ({ srv, b }) => {
  const token = srv.makeBrand('acme');
  const brand = await person(b, srv);
  await brand.goto('/');
  await loginWithToken(brand, token, 'acme');

  // A contest with terms, from the dashboard's form.
  await go(brand, '/brand?view=new');
  await brand.getByLabel('Slug (the contest id)').fill('night-levels');
  await brand.getByLabel('Title').fill('Night Levels');
  await brand.getByLabel('Kind').selectOption('level');
  await brand.getByLabel('Terms version').fill('v1');
  await brand.getByRole('button', { name: 'Create contest' }).click();
  await brand.getByText('Terms need both a version and a text (or neither).').waitFor();
  await brand.getByLabel('Terms', { exact: true }).fill(TERMS);
  await brand.getByRole('button', { name: 'Create contest' }).click();
  await brand.getByRole('heading', { name: 'Ranking of “Night Levels”' }).waitFor();

  // The creator accepts the terms at upload: the box must be ticked.
  const maker = await person(b, srv);
  await maker.goto('/');
  await register(maker, 'moonwalker');
  await go(maker, '/submit?contest=night-levels');
  await maker.getByText(TERMS).waitFor();
  await maker.getByLabel('Game level').check();
  await maker.getByLabel('Title').fill('Moon Jump');
  await maker.getByRole('button', { name: 'Submit', exact: true }).click();
  await maker.getByText('Tick the box to accept the contest’s terms').waitFor();
  await shot(maker, 'submit-terms');
  const first = await submitLevel(maker, { title: 'Moon Jump', contest: 'night-levels', terms: true });
  const [second, third] = await uploadLevels(maker, 2, { contest: 'night-levels', prefix: 'Star Path', terms: 'v1' });
  const [elsewhere] = await uploadLevels(maker, 1, { contest: 'open', prefix: 'Open Path', first: 5 });

  // Votes, two reports with reasons, a spam comment; a spammer with a page open.
  const spammer = await person(b, srv, { width: 390, height: 844 });
  await spammer.goto('/');
  await register(spammer, 'spammer');
  await wsCalls(spammer, [['auth.register', { name: 'owl' }], ['vote.cast', { design: first, value: 1 }], ['vote.cast', { design: second, value: 1 }],
    ['design.report', { design: first, reason: 'copied from someone else' }]]);
  await wsCalls(spammer, [['auth.register', { name: 'bat' }], ['vote.cast', { design: first, value: 1 }],
    ['design.report', { design: first, reason: 'offensive' }], ['design.report', { design: third, reason: 'spam' }],
    ['design.report', { design: elsewhere, reason: 'not a level' }]]);
  await go(spammer, `/design/${second}`);
  await spammer.getByLabel('Add a comment').fill('Buy cheap followers at example.com!!!');
  await spammer.getByRole('button', { name: 'Post comment' }).click();
  await spammer.getByText('Buy cheap followers').waitFor();

  // The overview: phase, entries, votes, time left, threshold.
  await go(brand, '/brand');
  const row = brand.getByTestId('overview').locator('tr[data-id="night-levels"]');
  await row.locator('td').nth(1).filter({ hasText: /^3$/ }).waitFor();
  check((await row.locator('th, td').allTextContents()).join('|') === 'Night Levels|submissions|3|3|No deadline|–', `overview row: ${await row.locator('th, td').allTextContents()}`);
  await shot(brand, 'brand-overview');

  // The ranking grid: thumbnails with tallies; shortlist two at once.
  await row.getByRole('link', { name: 'Night Levels' }).click();
  const grid = brand.getByTestId('ranking');
  await adminRow(brand, first).getByText('2', { exact: true }).waitFor(); // 2 hearts, ranked first
  check(await grid.locator('li').first().getAttribute('data-id') === first, 'the most hearted first');
  check(await adminRow(brand, first).locator('img').evaluate((i) => i.complete && i.naturalWidth === 320), 'a thumbnail on each card');
  await adminRow(brand, first).getByRole('checkbox').check();
  await adminRow(brand, second).getByRole('checkbox').check();
  await brand.getByRole('button', { name: 'Shortlist selected (2)' }).click();
  await brand.locator('main').getByText('2 shortlisted.').waitFor();
  await adminRow(brand, first).locator('.badge', { hasText: 'Shortlisted' }).waitFor();
  await adminRow(brand, second).locator('.badge', { hasText: 'Shortlisted' }).waitFor();
  await shot(brand, 'brand-ranking-grid');
  await checkLabels(brand, 'ranking grid');

  // The review queue: most reported first, with the reasons.
  await brand.getByRole('link', { name: 'Review queue' }).click();
  const queue = brand.getByTestId('review');
  const top = queue.locator(`li[data-id="${first}"]`);
  await top.getByRole('heading', { name: 'Reported by 2 members' }).waitFor();
  check(await queue.locator('li.review-item').first().getAttribute('data-id') === first, 'most reported first');
  check((await top.locator('.reasons q').allTextContents()).join('|') === 'copied from someone else|offensive', 'the reasons, oldest first');
  await shot(brand, 'brand-review-queue');
  await checkLabels(brand, 'review queue');
  // One contest's queue (review.list's contest), kept in the URL; then every contest's.
  await queue.locator(`li[data-id="${elsewhere}"]`).waitFor();
  await brand.getByLabel('Contest').selectOption('night-levels');
  await queue.locator(`li[data-id="${elsewhere}"]`).waitFor({ state: 'detached' });
  check(await queue.locator('li.review-item').count() === 2, 'the night-levels queue: its two reported designs');
  check(new URL(brand.url()).searchParams.get('of') === 'night-levels', `the contest in the URL: ${brand.url()}`);
  await go(brand, '/brand?view=review&of=open');
  await queue.locator(`li[data-id="${elsewhere}"]`).waitFor();
  check(await queue.locator('li.review-item').count() === 1, 'the open contest\'s queue: one design');
  check(await brand.getByLabel('Contest').inputValue() === 'open', 'the picker shows the URL\'s contest');
  await brand.getByLabel('Contest').selectOption('');
  await queue.locator(`li[data-id="${first}"]`).waitFor();
  await queue.locator(`li[data-id="${elsewhere}"]`).waitFor();
  // Dismiss the lone spam report: it leaves the queue (review.dismiss: for every brand
  // session, until a new report).
  await queue.locator(`li[data-id="${third}"]`).getByRole('button', { name: 'Dismiss the reports of Star Path 2' }).click();
  await brand.getByText('Reports of “Star Path 2” dismissed.').waitFor();
  await queue.locator(`li[data-id="${third}"]`).waitFor({ state: 'detached' });
  // Hide the most reported one, with a reason.
  await top.getByRole('button', { name: 'Hide Moon Jump' }).click();
  await giveReason(brand, 'Copied from a published game', 'Hide design');
  await queue.locator(`li[data-id="${first}"]`).getByText('Hidden', { exact: true }).waitFor();

  // A comment hidden from the design page, with a reason.
  await go(brand, `/design/${second}`);
  const spam = brand.locator('ol.comments li', { hasText: 'Buy cheap followers' });
  await spam.getByRole('button', { name: 'Hide the comment by spammer' }).click();
  await giveReason(brand, 'Advertising', 'Hide comment');
  await spam.getByText('Hidden', { exact: true }).waitFor();
  await shot(brand, 'design-brand-comment-hidden');

  // Suspend the spammer from their creator page: their open page is signed out.
  const sid = await spammer.evaluate(async () => (await import(document.querySelector('script[type=module]').src.replace(/app\.js$/, 'api.js'))).api.account.id);
  await go(brand, `/creator/${sid}`);
  await brand.getByRole('button', { name: 'Suspend' }).click();
  await giveReason(brand, 'Spam in comments', 'Suspend account');
  await brand.getByTestId('suspended').filter({ hasText: 'Suspended' }).waitFor();
  await spammer.locator('#signed-out').getByText('the brand suspended this account').waitFor();
  await shot(brand, 'creator-brand-suspended');
  await shot(spammer, 'signed-out-suspended');

  // The moderation log: who, when, why; newest first.
  await go(brand, '/brand?view=log');
  const log = brand.getByTestId('modlog').locator('li');
  await log.nth(2).waitFor();
  const lines = await log.allTextContents();
  check(/acme suspended the account .*: Spam in comments/.test(lines[0]), `log: ${lines[0]}`);
  check(/acme hid a comment .*: Advertising/.test(lines[1]), `log: ${lines[1]}`);
  check(new RegExp(`acme hid the design design ${first}: Copied from a published game`).test(lines[2]), `log: ${lines[2]}`);
  await shot(brand, 'brand-moderation-log');
  await checkLabels(brand, 'moderation log');
  noPageErrors(brand, maker, spammer);
});
