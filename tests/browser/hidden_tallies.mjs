// Hidden tallies (SPEC §8, Threadless; issue 18): the brand creates a contest with "Hide
// tallies until voting closes" (fixed afterwards: the settings show it disabled); a
// member sees "Vote to see" on the cards and the design page, no Top or Hot (a deep link
// to Top falls back to New, with the note), the log head but no log; their vote shows
// its count at once. The brand sees counts and Top. The brand closes the contest and,
// without a reload, the member's gallery gets Top back and the counts, and a signed-out
// visitor's open design page its count; the results and the log are then public.
import {
  scenario, person, register, loginWithToken, go, shot, card, check, checkLabels, checkFits, noPageErrors,
  rpc, createContest, uploadLevels, wsCalls,
} from './lib.mjs';

await scenario('hidden_tallies', [], async ({ srv, b }) => {
  const token = srv.makeBrand('acme');
  const brand = await person(b, srv);
  await brand.goto('/');
  await loginWithToken(brand, token, 'acme');
  await createContest(brand, { slug: 'sealed', title: 'Sealed Levels', hideTallies: true });
  const made = (await rpc(brand, 'contest.get', { contest: 'sealed' })).contest;
  check(made.tallies_hidden === true && !made.tallies_revealed, `created sealed: ${JSON.stringify(made)}`);
  // Fixed at creation: shown, checked, disabled, and saving the settings works (the
  // update does not name it, which the server would refuse).
  const box = brand.getByLabel('Hide tallies until voting closes');
  check(await box.isChecked() && await box.isDisabled(), 'the setting is shown checked and disabled');
  await brand.getByText('Fixed at creation: members see the tallies when voting closes.').waitFor();
  await brand.getByTestId('sealed-brand').waitFor();
  await checkLabels(brand, 'contest settings');
  check(!(await brand.locator('a[href="/log/sealed"]').count()), 'no link to the log before the reveal');
  await brand.getByLabel('Prize').fill('A golden key');
  await brand.getByRole('button', { name: 'Save changes' }).click();
  await brand.getByLabel('Prize').and(brand.locator('[value="A golden key"]')).waitFor();
  check(!(await brand.getByTestId('contest-msg').textContent()), 'saved without an error');
  await shot(brand, 'hidden-brand-settings');

  // Two designs by a creator; two other members vote on the second.
  const maker = await person(b, srv);
  await maker.goto('/');
  await register(maker, 'locksmith');
  const [one, two] = await uploadLevels(maker, 2, { contest: 'sealed', prefix: 'Secret' });
  for (const name of ['vera', 'walt']) await wsCalls(maker, [['auth.register', { name }], ['vote.cast', { design: two, value: 1 }]]);

  // A member: New only, the note, "Vote to see" on every card.
  const member = await person(b, srv);
  await member.goto('/');
  await register(member, 'mira');
  await go(member, '/?contest=sealed');
  const note = member.getByTestId('sealed-note');
  await note.filter({ hasText: 'Tallies are hidden until voting closes — vote to see a design’s count' }).waitFor();
  await member.getByRole('tab', { name: 'New' }).and(member.locator('[aria-selected="true"]')).waitFor();
  check(!(await member.getByRole('tab', { name: 'Top' }).count()) && !(await member.getByRole('tab', { name: 'Hot' }).count()), 'no Top or Hot tab');
  const tallyOf = (page, title) => card(page, title).getByTestId('tally');
  for (const t of ['Secret 1', 'Secret 2']) await tallyOf(member, t).filter({ hasText: /^\s*Vote to see$/ }).waitFor();
  const main = await member.locator('main').textContent();
  check(!/null|NaN|0 votes|No votes yet/.test(main), `nothing shows a hidden tally as a number: ${main}`);
  await checkLabels(member, 'sealed gallery');
  await shot(member, 'hidden-gallery-member');

  // A deep link to Top: New, with the note, never an error.
  await go(member, '/?contest=sealed&sort=top');
  await member.getByRole('tab', { name: 'New' }).and(member.locator('[aria-selected="true"]')).waitFor();
  await note.waitFor();
  await tallyOf(member, 'Secret 2').filter({ hasText: 'Vote to see' }).waitFor();
  check(!(await member.locator('main .error, main p.count').filter({ hasText: /allowed|forbidden/i }).count()), 'no error shown');

  // The contest page: designs newest first, the ranking promised, the log head, no log.
  await go(member, '/contest/sealed');
  await member.getByRole('heading', { name: 'Sealed Levels' }).waitFor();
  await member.getByTestId('sealed-note').waitFor();
  await member.getByTestId('results-sealed').filter({ hasText: 'The ranking is published when voting closes' }).waitFor();
  const head = await member.getByTestId('log-head').textContent();
  check(/^[0-9a-f]{64}$/.test(head), `the log head so far, got ${head}`);
  check(!(await member.locator('a[href^="/log/"]').count()), 'no link to the log before the reveal');
  check(!(await member.locator('.ranked').count()), 'no ranking');
  await tallyOf(member, 'Secret 1').filter({ hasText: 'Vote to see' }).waitFor();
  await checkLabels(member, 'sealed contest page');
  await shot(member, 'hidden-contest-member');

  // The design page: "Vote to see", then the vote's own tally at once.
  await go(member, `/design/${one}`);
  const bigTally = member.getByTestId('tally');
  await bigTally.filter({ hasText: 'Vote to see' }).waitFor();
  await member.getByTestId('tally-note').filter({ hasText: 'vote to see this design’s count' }).waitFor();
  await shot(member, 'hidden-design-before-vote');
  await member.getByRole('button', { name: 'Heart' }).click();
  await bigTally.filter({ hasText: /^\s*1$/ }).waitFor();
  check(await member.getByTestId('tally-note').isHidden(), 'the note goes with the count');
  await shot(member, 'hidden-design-after-vote');
  // Back in the gallery: the voted design's count, the other still hidden.
  await go(member, '/?contest=sealed');
  await tallyOf(member, 'Secret 1').filter({ hasText: /^\s*1$/ }).waitFor();
  await tallyOf(member, 'Secret 2').filter({ hasText: 'Vote to see' }).waitFor();
  // Live: a new design and a comment come with null tallies; nothing shows "null".
  await uploadLevels(maker, 1, { contest: 'sealed', prefix: 'Secret', first: 2 });
  await tallyOf(member, 'Secret 3').filter({ hasText: 'Vote to see' }).waitFor();
  await wsCalls(maker, [['auth.register', { name: 'xena' }], ['comment.post', { design: two, text: 'Nice door.' }],
    ['comment.post', { design: one, text: 'Nice key.' }]]);
  await card(member, 'Secret 2').locator('.talk').filter({ hasText: '1' }).waitFor();
  await card(member, 'Secret 1').locator('.talk').filter({ hasText: '1' }).waitFor();
  // The count the member's vote showed stays (the window's live items are shared: null).
  check(/^\s*1$/.test(await tallyOf(member, 'Secret 1').textContent()), 'the voted design keeps its count');
  check((await tallyOf(member, 'Secret 2').textContent()).includes('Vote to see'), 'the other stays hidden');
  check(!/null|NaN/.test(await member.locator('main').textContent()), 'no "null" after live updates');

  // The creator sees the counts of their own designs.
  await go(maker, `/design/${two}`);
  await maker.getByTestId('tally').filter({ hasText: /^\s*2$/ }).waitFor();

  // A signed-out visitor, on a phone: the design page says to sign in and vote.
  const visitor = await person(b, srv, { width: 360, height: 740 });
  await visitor.goto(`/design/${two}`);
  await visitor.getByTestId('tally').filter({ hasText: 'Vote to see' }).waitFor();
  await visitor.getByTestId('tally-note').filter({ hasText: 'sign in and vote to see' }).waitFor();
  await checkFits(visitor, 'hidden-phone-design');
  await go(visitor, '/?contest=sealed&sort=hot');
  await visitor.getByTestId('sealed-note').waitFor();
  await tallyOf(visitor, 'Secret 1').filter({ hasText: 'Vote to see' }).waitFor();
  await checkFits(visitor, 'hidden-phone-gallery');
  await go(visitor, '/contest/sealed');
  await visitor.getByTestId('results-sealed').waitFor();
  await checkFits(visitor, 'hidden-phone-contest');
  await go(visitor, `/design/${two}`);
  await visitor.getByTestId('tally').filter({ hasText: 'Vote to see' }).waitFor();

  // The brand: Top, counts, the ranking in order.
  await go(brand, '/?contest=sealed');
  await brand.getByRole('tab', { name: 'Top' }).and(brand.locator('[aria-selected="true"]')).waitFor();
  check(!(await brand.getByTestId('sealed-note').count()), 'no note for the brand');
  await tallyOf(brand, 'Secret 2').filter({ hasText: /^\s*2$/ }).waitFor();
  await tallyOf(brand, 'Secret 1').filter({ hasText: /^\s*1$/ }).waitFor();
  await brand.waitForFunction((id) => document.querySelector('[data-testid=grid] li.card')?.dataset.id === id, two);
  await shot(brand, 'hidden-gallery-brand');
  const logStatus = (await fetch(`${srv.url}/log/sealed`)).status; // from here: no console error in a page
  check(logStatus === 403, `the log is sealed, got ${logStatus}`);

  // The brand closes the contest: the member's open gallery gets Top and the counts,
  // the visitor's open design page its count, without a reload.
  await go(brand, '/brand?contest=sealed');
  brand.once('dialog', (d) => d.accept());
  await brand.getByRole('button', { name: 'Close contest (results final)' }).click();
  await brand.getByTestId('phase').filter({ hasText: 'closed' }).waitFor();
  await brand.locator('a[href="/log/sealed"]').waitFor();
  await member.getByRole('tab', { name: 'Top' }).waitFor();
  await member.getByTestId('sealed-note').waitFor({ state: 'detached' });
  await tallyOf(member, 'Secret 2').filter({ hasText: /^\s*2$/ }).waitFor();
  check(new URL(member.url()).searchParams.get('sort') === 'new', `the address keeps the order shown: ${member.url()}`);
  await member.getByRole('tab', { name: 'Top' }).click();
  await member.waitForFunction((id) => document.querySelector('[data-testid=grid] li.card')?.dataset.id === id, two);
  await shot(member, 'hidden-gallery-revealed');
  await visitor.getByTestId('tally').filter({ hasText: /^\s*2$/ }).waitFor();

  // The results and the log are public now.
  await go(member, '/contest/sealed');
  const rows = member.locator('table.results-table tbody tr');
  await rows.first().waitFor();
  check(await rows.count() === 3 && (await rows.first().textContent()).includes('Secret 2'), 'the ranking, most hearts first');
  const log = await member.evaluate(async () => (await fetch(document.querySelector('a[href^="/log/"]').href)).status);
  check(log === 200, `the log link works after the reveal, got ${log}`);
  check(!(await member.getByTestId('sealed-note').count()), 'no note once revealed');
  await shot(member, 'hidden-contest-revealed');
  noPageErrors(brand, maker, member, visitor);
});
