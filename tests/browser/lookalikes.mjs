// Look-alikes in the web client (issue 18, SPEC §8 "Similar designs"): two creators
// enter a level contest, the second with the first's level moved by five columns, plus
// a level unlike it. The brand's review queue shows the moved one beside the original
// (thumbnails, titles, creators, which came first, the distance in words) and not the
// different one; the design page shows the brand (and nobody else) its "Similar
// designs"; dismissing the pair takes it out of the queue, into the moderation log.
import { scenario, person, register, loginWithToken, go, shot, createContest, uploadLevelRows, rpc, check, checkLabels, checkFits, noPageErrors } from './lib.mjs';

// A level with a distinctive solid layout (a floor, steps, a tower) starting at column
// `offset`, air to its left (test_lookalikes.py's tower_level): moved by some columns
// it keeps its fingerprint, made of the solid tiles cropped to their box.
function towerLevel(offset, width = 40) {
  const rows = [...Array(12)].map(() => [...'.'.repeat(width)]);
  for (let c = 0; c < 24; c++) rows[11][offset + c] = '#';
  [4, 7, 10, 13].forEach((c, i) => { for (let r = 10 - i; r < 11; r++) rows[r][offset + c] = '#'; });
  for (let r = 3; r < 11; r++) rows[r][offset + 20] = '#';
  for (let c = 8; c < 12; c++) rows[8][offset + c] = '=';
  rows[10][offset + 1] = 'S';
  rows[10][offset + 18] = 'G';
  return rows.map((r) => r.join(''));
}

// Another level: a thick floor across with two pits to jump, platforms high up.
function runLevel(width = 40) {
  const rows = [...Array(12)].map(() => [...'.'.repeat(width)]);
  for (let r = 9; r < 12; r++) for (let c = 0; c < width; c++) if (![12, 13, 26, 27].includes(c)) rows[r][c] = '#';
  for (const c0 of [6, 18, 30]) for (let c = c0; c < c0 + 3; c++) rows[4][c] = '=';
  rows[8][1] = 'S';
  rows[8][width - 2] = 'G';
  return rows.map((r) => r.join(''));
}

await scenario('lookalikes', [], async ({ srv, b }) => {
  const token = srv.makeBrand('acme');
  const brand = await person(b, srv);
  await brand.goto('/');
  await loginWithToken(brand, token, 'acme');
  await createContest(brand, { slug: 'cave-levels', title: 'Cave Levels', kind: 'level' });
  // Look-alikes are found in the search index, built after a start (`busy` until then).
  await brand.waitForFunction(async () => {
    const { api } = await import(document.querySelector('script[type=module]').src.replace(/app\.js$/, 'api.js'));
    return api.call('search', { q: 'zzz' }).then(() => true, () => false);
  }, null, { polling: 100 });

  const ann = await person(b, srv);
  await ann.goto('/');
  await register(ann, 'ann');
  const bob = await person(b, srv);
  await bob.goto('/');
  await register(bob, 'bob');
  const tower = await uploadLevelRows(ann, towerLevel(0), { title: 'Tower Climb', contest: 'cave-levels' });
  const moved = await uploadLevelRows(bob, towerLevel(5), { title: 'Climbing Tower', contest: 'cave-levels' });
  const run = await uploadLevelRows(bob, runLevel(), { title: 'Long Run', contest: 'cave-levels' });
  const { design: { similar } } = await rpc(brand, 'design.get', { design: moved });
  check(similar.length === 1 && similar[0].design === tower, `the moved level looks like the first: ${JSON.stringify(similar)}`);
  const dist = similar[0].distance;
  const words = `${dist === 0 ? 'Same picture' : dist <= 2 ? 'Very close' : 'Close'} (distance ${dist} of 64)`;

  // The review queue: the moved level beside the original, and nothing else.
  await go(brand, '/brand');
  await brand.getByRole('link', { name: 'Review queue' }).click();
  const queue = brand.getByTestId('review');
  const entry = queue.locator(`li[data-id="${moved}"]`);
  await entry.getByRole('heading', { name: 'Looks like an earlier design by ann' }).waitFor();
  const items = await queue.locator('li.review-item').evaluateAll((els) => els.map((e) => e.dataset.id));
  check(items.length === 1 && items[0] === moved, `only the look-alike is in the queue (not ${tower} nor ${run}): ${items}`);
  check(await entry.locator('.distance').textContent() === words, `the distance in words: ${await entry.locator('.distance').textContent()} (${words})`);
  const pair = entry.getByRole('group', { name: 'Climbing Tower beside its look-alike' });
  const cards = pair.locator('figure.side-card');
  check((await cards.evaluateAll((els) => els.map((e) => e.dataset.id))).join() === `${moved},${tower}`, 'the queued design, then its look-alike');
  const texts = (await cards.allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
  check(/^In the queue Uploaded later .*Climbing Tower by bob Uploaded /.test(texts[0]), `the queued design's card: ${texts[0]}`);
  check(/^Look-alike Uploaded first .*Tower Climb by ann Uploaded /.test(texts[1]), `the look-alike's card: ${texts[1]}`);
  for (const c of [cards.nth(0), cards.nth(1)]) {
    await c.locator('img').evaluate((i) => i.decode());
    check(await c.locator('img').evaluate((i) => i.naturalWidth === 320 && i.naturalHeight === 180), 'a level thumbnail on each side');
  }
  const [l, r] = [await cards.nth(0).boundingBox(), await cards.nth(1).boundingBox()];
  check(Math.abs(l.y - r.y) < 1 && r.x >= l.x + l.width, `side by side: ${JSON.stringify([l, r])}`);
  check(await pair.getByRole('link', { name: 'Tower Climb', exact: true }).getAttribute('href') === `/design/${tower}`, 'a link to the look-alike');
  await entry.getByRole('button', { name: 'Hide Climbing Tower' }).waitFor();
  await shot(brand, 'lookalikes-review-queue');
  await checkLabels(brand, 'review queue with a look-alike');
  // At a phone's width the two stay side by side, within the page.
  await brand.setViewportSize({ width: 360, height: 740 });
  const [pl, pr] = [await cards.nth(0).boundingBox(), await cards.nth(1).boundingBox()];
  check(Math.abs(pl.y - pr.y) < 1 && pr.x >= pl.x + pl.width, 'side by side on a phone');
  await checkFits(brand, 'lookalikes-review-phone');
  await brand.setViewportSize({ width: 1200, height: 900 });

  // The design page: "Similar designs" for the brand, with the original and its distance.
  await pair.getByRole('link', { name: 'Climbing Tower', exact: true }).click();
  const section = brand.getByRole('region', { name: 'Similar designs' });
  const near = section.locator(`li[data-id="${tower}"]`);
  await near.getByRole('link', { name: 'Tower Climb', exact: true }).waitFor();
  check((await near.innerText()).replace(/\s+/g, ' ').includes(`by ann Uploaded before this one`), `the look-alike on the page: ${await near.innerText()}`);
  check(await near.locator('.distance').textContent() === words, 'its distance in words');
  await near.locator('img').evaluate((i) => i.decode());
  await shot(brand, 'lookalikes-design-similar');
  await checkLabels(brand, 'design page with similar designs');
  // As of now: the original's page lists the later copy; the different level has none.
  await go(brand, `/design/${tower}`);
  await section.locator(`li[data-id="${moved}"]`).getByText('Uploaded after this one', { exact: false }).waitFor();
  await go(brand, `/design/${run}`);
  await section.getByText('None: no design of another creator looks like this one.').waitFor();
  // Nobody else sees it (the server sends `similar` to the brand only).
  await go(bob, `/design/${moved}`);
  await bob.getByRole('heading', { name: 'Climbing Tower', level: 1 }).waitFor();
  await bob.getByRole('heading', { name: 'Status and official notes' }).waitFor();
  check(await bob.getByRole('heading', { name: 'Similar designs' }).count() === 0, 'no similar designs for the creator');
  check(await bob.getByTestId('similar').isHidden(), 'the section stays empty and hidden');

  // Dismiss: the pair leaves the queue (for good, until a report), into the log.
  await go(brand, '/brand?view=review');
  await entry.getByRole('button', { name: 'Dismiss the look-alike Climbing Tower' }).click();
  await brand.getByText('“Climbing Tower” dismissed: it stays up and leaves the queue.').waitFor();
  await entry.waitFor({ state: 'detached' });
  await queue.getByText('Nothing to review: no reported designs or look-alikes waiting.').waitFor();
  await brand.reload();
  await queue.getByText('Nothing to review: no reported designs or look-alikes waiting.').waitFor();
  await shot(brand, 'lookalikes-dismissed');
  await go(brand, '/brand?view=log');
  await brand.getByTestId('modlog').locator('li').filter({ hasText: `acme dismissed the review of design ${moved}` }).waitFor();
  noPageErrors(brand, ann, bob);
});
