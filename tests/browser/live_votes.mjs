// Scenario 3 (issue 6): vote in context A and see the tally and the order change in
// context B's gallery within 1 s (5 s when the server runs under ASan), without a
// reload; the voter's own vote shows again after a reload (design.get's my_vote);
// taking the vote back restores the order.
import { scenario, person, register, go, shot, submitLevel, card, check, noPageErrors } from './lib.mjs';

const LIVE_MS = process.env.CC_SANITIZE === '1' ? 5000 : 1000;

await scenario('live_votes', [], async ({ srv, b }) => {
  const maker = await person(b, srv);
  await maker.goto('/');
  await register(maker, 'maker');
  const first = await submitLevel(maker, { title: 'First Light', goalCol: 6 });
  const second = await submitLevel(maker, { title: 'Second Wind', goalCol: 8 });

  const watcher = await person(b, srv); // context B
  await watcher.goto('/?sort=top');
  const order = () => watcher.evaluate(() => [...document.querySelectorAll('[data-testid=grid] li.card')].map((li) => li.dataset.id));
  await card(watcher, 'Second Wind').waitFor();
  check(JSON.stringify(await order()) === JSON.stringify([first, second]), 'ties: the older design first');

  const reader = await person(b, srv); // watches the design page
  await reader.goto(`/design/${second}`);
  await reader.getByTestId('tally').filter({ hasText: 'No votes yet' }).waitFor();

  const voter = await person(b, srv); // context A
  await voter.goto('/');
  await register(voter, 'voter');
  await go(voter, `/design/${second}`);
  await voter.getByRole('heading', { name: 'Second Wind' }).waitFor();
  await voter.getByRole('button', { name: 'Heart', exact: true }).click();
  await voter.getByTestId('tally').filter({ hasText: /^\s*1$/ }).waitFor(); // the heart icon and 1
  const acked = Date.now();
  await watcher.waitForFunction(([id]) => {
    const li = document.querySelector('[data-testid=grid] li.card');
    return li && li.dataset.id === id && li.querySelector('[data-testid=tally]').textContent.trim() === '1';
  }, [second], { timeout: LIVE_MS });
  console.log(`live_votes: gallery B showed the new order ${Date.now() - acked} ms after A's vote was acknowledged`);
  check(JSON.stringify(await order()) === JSON.stringify([second, first]), 'the voted design moved first');
  await reader.getByTestId('tally').filter({ hasText: /^\s*1$/ }).waitFor(); // design.watch
  await shot(watcher, 'gallery-after-vote');

  // The own vote survives a reload; the control says it is pressed.
  await voter.reload();
  const heart = voter.getByRole('button', { name: 'Hearted', exact: true });
  await heart.waitFor();
  check(await heart.getAttribute('aria-pressed') === 'true', 'the own vote shows pressed');
  await shot(voter, 'design-voted');

  // Keyboard: the vote control is a button; Enter takes the vote back.
  await heart.focus();
  await voter.keyboard.press('Enter');
  await voter.getByTestId('tally').filter({ hasText: 'No votes yet' }).waitFor();
  await watcher.waitForFunction(([id]) => document.querySelector('[data-testid=grid] li.card')?.dataset.id === id, [first]);
  check(await card(watcher, 'Second Wind').getByTestId('tally').textContent() === 'No votes yet', 'B shows the cleared tally');

  // The maker cannot vote on their own design.
  await go(maker, `/design/${first}`);
  await maker.getByText('This is your design.').waitFor();
  check(await maker.getByRole('button', { name: 'Heart', exact: true }).isDisabled(), 'own design: voting disabled');
  noPageErrors(maker, watcher, voter, reader);
});
