// The gallery's infinite scroll and filters: 24 designs a window, the next window when
// the end of the grid scrolls into view (and by the "Load more" button), live updates
// in a later window; the tag filter (from a design's tag link) and an empty result.
import { scenario, person, register, go, shot, uploadLevels, card, check, noPageErrors } from './lib.mjs';

await scenario('infinite_scroll', [], async ({ srv, b }) => {
  const maker = await person(b, srv);
  await maker.goto('/');
  await register(maker, 'prolific');
  const ids = await uploadLevels(maker, 53, { prefix: 'Tile' });
  check(ids.length === 53, '53 uploads');

  const viewer = await person(b, srv, { width: 800, height: 700 });
  await viewer.goto('/?sort=new');
  await viewer.getByText('53 designs').waitFor();
  const shown = () => viewer.locator('[data-testid=grid] li.card').count();
  const first = await shown();
  check(first === 24, `the first window holds 24, got ${first}`);
  await viewer.locator('.sentinel').scrollIntoViewIfNeeded();
  await viewer.waitForFunction(() => document.querySelectorAll('[data-testid=grid] li.card').length === 48);
  await viewer.locator('.sentinel').scrollIntoViewIfNeeded();
  await viewer.waitForFunction(() => document.querySelectorAll('[data-testid=grid] li.card').length === 53);
  check(await viewer.getByRole('button', { name: 'Load more' }).isHidden(), 'nothing more to load');
  const order = await viewer.evaluate(() => [...document.querySelectorAll('[data-testid=grid] li.card')].map((li) => li.dataset.id));
  check(new Set(order).size === 53, 'no card twice');

  // "Load more" does the same with the keyboard (here in a page whose scrolling loads
  // nothing: no IntersectionObserver).
  const keys = await person(b, srv, { width: 800, height: 700 });
  await keys.addInitScript(() => { window.IntersectionObserver = class { observe() {} disconnect() {} }; });
  await keys.goto('/?sort=new');
  await keys.getByText('53 designs').waitFor();
  const count = () => keys.locator('[data-testid=grid] li.card').count();
  for (const want of [48, 53]) {
    await keys.getByRole('button', { name: 'Load more' }).focus();
    await keys.keyboard.press('Enter');
    await keys.waitForFunction((n) => document.querySelectorAll('[data-testid=grid] li.card').length === n, want);
  }
  check(await count() === 53 && await keys.getByRole('button', { name: 'Load more' }).isHidden(), 'all loaded by the button');

  // A design in the third window changes live: a heart from another account.
  const fan = await person(b, srv);
  await fan.goto(`/design/${ids[1]}`);
  await register(fan, 'fan');
  await fan.getByRole('button', { name: 'Heart', exact: true }).click();
  await card(viewer, 'Tile 2').getByTestId('tally').filter({ hasText: /^\s*1$/ }).waitFor();
  await shot(viewer, 'gallery-scrolled');

  // Tag filter from the design page's tag link; a status with no designs.
  await go(maker, '/submit');
  await maker.getByLabel('Game level').check();
  await maker.getByLabel('Title').fill('Tagged One');
  await maker.getByLabel('Tags').fill('rare-tag');
  await maker.getByRole('radio', { name: 'Spawn' }).check();
  const canvas = maker.getByTestId('level-canvas');
  const box = await canvas.boundingBox();
  await maker.mouse.click(box.x + box.width * (1.5 / 24), box.y + box.height * (9.5 / 12));
  await maker.getByRole('radio', { name: 'Goal' }).check();
  await maker.mouse.click(box.x + box.width * (5.5 / 24), box.y + box.height * (9.5 / 12));
  await maker.getByRole('button', { name: 'Submit', exact: true }).click();
  await maker.getByTestId('done').getByRole('link', { name: 'See “Tagged One”' }).click();
  await maker.getByRole('link', { name: '#rare-tag' }).click();
  await maker.getByText('1 design', { exact: true }).waitFor();
  await card(maker, 'Tagged One').waitFor();
  check(await maker.getByLabel('Tag').inputValue() === 'rare-tag', 'the filter shows its tag');
  await maker.getByLabel('Status').selectOption('launched');
  await maker.getByText('No designs match these filters.').waitFor();
  check(maker.url().endsWith('?tag=rare-tag&status=launched'), `the filters are in the URL: ${maker.url()}`);
  noPageErrors(maker, viewer, fan, keys);
});
