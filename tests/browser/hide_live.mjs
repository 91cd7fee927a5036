// Scenario 5 (issue 6): a design the brand hides disappears from a watching gallery
// (live, no reload); unhidden, it comes back.
import { scenario, person, register, loginWithToken, go, shot, submitLevel, createContest, adminRow, giveReason, card, check, noPageErrors } from './lib.mjs';

await scenario('hide_live', [], async ({ srv, b }) => {
  const token = srv.makeBrand('acme');
  const brand = await person(b, srv);
  await brand.goto('/');
  await loginWithToken(brand, token, 'acme');
  await createContest(brand, { slug: 'spring', title: 'Spring Levels' });

  const maker = await person(b, srv);
  await maker.goto('/');
  await register(maker, 'gardener');
  const keep = await submitLevel(maker, { title: 'Blossom', contest: 'spring', goalCol: 5 });
  const gone = await submitLevel(maker, { title: 'Offensive Thing', contest: 'spring', goalCol: 9 });

  const watcher = await person(b, srv);
  await watcher.goto('/?contest=spring&sort=new');
  await card(watcher, 'Offensive Thing').waitFor();
  await card(watcher, 'Blossom').waitFor();
  await watcher.getByText('2 designs').waitFor();

  await adminRow(brand, gone).waitFor();
  await adminRow(brand, gone).getByRole('button', { name: 'Hide Offensive Thing' }).click();
  await giveReason(brand, 'Offensive to a group of people', 'Hide design');
  await card(watcher, 'Offensive Thing').waitFor({ state: 'detached' });
  await watcher.getByText('1 design', { exact: true }).waitFor();
  check(await card(watcher, 'Blossom').isVisible(), 'the other design stays');
  await shot(watcher, 'gallery-after-hide');
  await adminRow(brand, gone).getByText('Hidden', { exact: true }).waitFor();
  await shot(brand, 'brand-hidden');

  // Hidden from everyone but the brand and the creator.
  await go(watcher, `/design/${gone}`);
  await watcher.getByRole('heading', { name: 'Design not found' }).waitFor();
  await go(maker, `/design/${gone}`);
  await maker.getByRole('heading', { name: 'Offensive Thing' }).waitFor();

  await go(watcher, '/?contest=spring&sort=new');
  await card(watcher, 'Blossom').waitFor();
  await adminRow(brand, gone).getByRole('button', { name: 'Unhide Offensive Thing' }).click();
  await giveReason(brand, 'Reviewed again: it may stay', 'Show again');
  await card(watcher, 'Offensive Thing').waitFor();
  check(keep !== gone, 'two designs');
  noPageErrors(brand, maker, watcher);
});
