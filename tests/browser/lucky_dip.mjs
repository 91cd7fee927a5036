// The lucky dip (SPEC §8, issue 18): the gallery's "Lucky dip" tab shows a random page
// (gallery.get sort "random"); "More designs" pages on with the same seed and cut-off,
// so no design comes twice and one uploaded meanwhile waits; "Shuffle again" takes a
// new seed: another order, now with the newer design.
import { scenario, person, register, go, shot, uploadLevels, checkLabels, check, noPageErrors } from './lib.mjs';

const N = 30; // more than a page of 24

await scenario('lucky_dip', [], async ({ srv, b }) => {
  const maker = await person(b, srv);
  await maker.goto('/');
  await register(maker, 'dipper');
  await uploadLevels(maker, N, { prefix: 'Dip' });

  const viewer = await person(b, srv, { width: 900, height: 800 });
  await viewer.goto('/');
  await viewer.getByRole('tab', { name: 'Lucky dip' }).click();
  check(new URL(viewer.url()).search === '?sort=random', `the sort is in the address: ${viewer.url()}`);
  await viewer.getByText(`${N} designs in a random order`).waitFor();
  const cards = viewer.getByTestId('grid').locator('li.card');
  const ids = () => cards.evaluateAll((els) => els.map((e) => e.dataset.id));
  await viewer.waitForFunction(() => document.querySelectorAll('[data-testid=grid] li.card').length === 24);
  const first = await ids();
  await checkLabels(viewer, 'lucky dip');
  await shot(viewer, 'lucky-dip');

  // A design uploaded now is newer than this dip's cut-off: the next page leaves it out.
  const [late] = await uploadLevels(maker, 1, { prefix: 'Late', first: N });
  await viewer.getByRole('button', { name: 'More designs' }).click();
  await viewer.waitForFunction((n) => document.querySelectorAll('[data-testid=grid] li.card').length === n, N);
  const all = await ids();
  check(new Set(all).size === N, `${N} different designs over two pages, got ${new Set(all).size}`);
  check(all.slice(0, 24).join() === first.join(), 'the first page stays');
  check(!all.includes(late), 'the newer design waits for a new shuffle');
  check(await viewer.getByRole('button', { name: 'More designs' }).isHidden(), 'nothing more');
  check(await viewer.getByText(`${N} designs in a random order`).isVisible(), 'the count of this dip');

  // Shuffle again: a new seed, a new order, the newer design in it.
  await viewer.getByRole('button', { name: 'Shuffle again' }).click();
  await viewer.getByText(`${N + 1} designs in a random order`).waitFor();
  await viewer.waitForFunction(() => document.querySelectorAll('[data-testid=grid] li.card').length === 24);
  const again = await ids();
  check(again.join() !== first.join(), 'another order');

  // On a phone.
  const phone = await person(b, srv, { width: 360, height: 740 });
  await phone.goto('/?sort=random');
  await phone.getByText(`${N + 1} designs in a random order`).waitFor();
  await shot(phone, 'lucky-dip-phone');
  noPageErrors(maker, viewer, phone);
});
