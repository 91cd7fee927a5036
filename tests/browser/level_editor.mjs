// Scenario 1 (issue 6): register, draw a level in the editor, see the server's
// validation error for a level without a goal, fix it, submit, and see the design
// appear live in a second browser context's gallery.
import { join } from 'node:path';
import { scenario, person, register, go, shot, paintCell, chooseTile, card, check, checkLabels, noPageErrors, WAIT, readFileSync, SOURCE } from './lib.mjs';

await scenario('level_editor', [], async ({ srv, b }) => {
  const watcher = await person(b, srv);
  await watcher.goto('/?sort=new');
  await watcher.getByText('0 designs').waitFor();

  const maker = await person(b, srv);
  await maker.goto('/');
  await register(maker, 'leveller');
  await go(maker, '/submit');
  await maker.getByLabel('Game level').check();
  await maker.getByLabel('Title').fill('Goal Rush');
  await maker.getByLabel('Tags').fill('speedrun, first');

  // A spawn but no goal: the server refuses it (rule "goal").
  await chooseTile(maker, 'Spawn');
  await paintCell(maker, 9, 2);
  await maker.getByRole('button', { name: 'Submit', exact: true }).click();
  const err = maker.getByTestId('editor-error');
  await err.waitFor();
  check(/goal/i.test(await err.textContent()), `the editor shows the goal error, got "${await err.textContent()}"`);
  await shot(maker, 'submit-level-error');
  await checkLabels(maker, 'submit page');

  // The keyboard paints too: the cursor is where the last click was (row 9, col 2);
  // move it, pick a tile by its letter, Space paints.
  await maker.getByTestId('level-canvas').focus();
  await maker.keyboard.press('ArrowUp');
  for (let i = 0; i < 3; i++) await maker.keyboard.press('ArrowRight');
  await maker.keyboard.press('ArrowDown');
  await maker.keyboard.press('o');
  await maker.keyboard.press(' ');
  await maker.getByText('Cursor at row 9, column 5: Coin. Painting Coin.').waitFor();

  // A tile error points at its cell: spikes under the spawn make the spawn unstandable.
  await chooseTile(maker, 'Goal');
  await paintCell(maker, 9, 12);
  await chooseTile(maker, 'Spikes');
  await paintCell(maker, 10, 2);
  await maker.getByRole('button', { name: 'Submit', exact: true }).click();
  await maker.getByTestId('editor-error').filter({ hasText: /Row 9, column 2/ }).waitFor();

  // Fixed: ground again under the spawn.
  await chooseTile(maker, 'Ground');
  await paintCell(maker, 10, 2);
  check(!(await maker.getByTestId('editor-error').isVisible()), 'the error clears once the grid changes');
  await maker.getByRole('button', { name: 'Submit', exact: true }).click();
  const done = maker.getByTestId('done').getByRole('link', { name: 'See “Goal Rush”' });
  await done.waitFor();
  await shot(maker, 'submit-level-done');

  // The watcher's gallery shows it without a reload.
  await card(watcher, 'Goal Rush').waitFor({ timeout: WAIT });
  await watcher.getByText('1 design', { exact: true }).waitFor();
  check(await card(watcher, 'Goal Rush').getByText('by leveller').isVisible(), 'the card names the creator');
  await shot(watcher, 'gallery-live');

  // The design page renders it.
  await done.click();
  await maker.getByRole('heading', { name: 'Goal Rush' }).waitFor();
  await maker.locator('img.render').evaluate((img) => img.decode());
  check(await maker.locator('img.render').evaluate((img) => img.naturalWidth > 0), 'the full render loads');
  check(await maker.getByRole('link', { name: '#speedrun' }).isVisible(), 'tags are shown');
  await shot(maker, 'design-level');
  // Resize within SPEC §3's bounds (and not past them); load a sample from assets/samples.
  await go(maker, '/submit');
  await maker.getByLabel('Game level').check();
  const cols = () => maker.getByTestId('level-canvas').evaluate((c) => [c.width / 24, c.height / 24]);
  await maker.getByLabel('Width').fill('15');
  await maker.getByRole('button', { name: 'Resize' }).click();
  await maker.getByText('Width must be 16–1024 and height 8–256.').waitFor();
  check(JSON.stringify(await cols()) === '[24,12]', 'a refused size changes nothing');
  await maker.getByLabel('Width').fill('16');
  await maker.getByLabel('Height').fill('8');
  await maker.getByRole('button', { name: 'Resize' }).click();
  check(JSON.stringify(await cols()) === '[16,8]', `resized to the minimum, got ${await cols()}`);
  await maker.getByLabel('Load a sample').selectOption({ label: 'Cavern Hop 1' });
  await maker.waitForFunction(() => document.getElementById('ed-w').value !== '16');
  const sample = JSON.parse(readFileSync(join(SOURCE, 'assets', 'samples', 'level-02.json'), 'utf8'));
  check(JSON.stringify(await cols()) === JSON.stringify([sample.width, sample.height]), 'the sample is loaded');

  noPageErrors(watcher, maker);
});
