// Search (SPEC §8, issue 18) from the header: a query with an accent and a typo finds
// the design ("créme rockte" → "Crème Rocket": accents folded, one transposition in a
// word of 5+ letters), the results page counts them, filters by kind, pages with "More
// designs", and says "No designs match “…”" in words; on a phone too.
import { scenario, person, register, go, shot, uploadLevels, checkLabels, check, noPageErrors } from './lib.mjs';

const N = 30; // "Frost N": more than a page of 24

await scenario('search', [], async ({ srv, b }) => {
  const maker = await person(b, srv);
  await maker.goto('/');
  await register(maker, 'levelsmith');
  const [rocket] = await uploadLevels(maker, 1, { prefix: 'Crème Rocket' }); // "Crème Rocket 1"
  await uploadLevels(maker, N, { prefix: 'Frost', first: 1 });

  const viewer = await person(b, srv);
  await viewer.goto('/');
  const box = viewer.getByRole('searchbox', { name: 'Search designs' });
  await box.fill('créme rockte');
  await box.press('Enter');
  await viewer.getByRole('heading', { name: 'Search' }).waitFor();
  check(new URL(viewer.url()).searchParams.get('q') === 'créme rockte', `the query in the address: ${viewer.url()}`);
  await viewer.getByText('1 design matches “créme rockte”').waitFor();
  const cards = viewer.getByTestId('grid').locator('li.card');
  await cards.first().filter({ hasText: 'Crème Rocket 1' }).waitFor();
  check(await cards.count() === 1, 'only the rocket');
  check(await box.inputValue() === 'créme rockte', 'the header keeps the query');
  check(await viewer.title() === 'Search for “créme rockte” · Cocreate', `the title: ${await viewer.title()}`);
  await checkLabels(viewer, 'search results');
  await shot(viewer, 'search');

  // The kind filter: a level, so none among the artwork.
  await viewer.getByLabel('Kind').selectOption('artwork');
  await viewer.getByText('No designs match “créme rockte” among t-shirt artwork.', { exact: false }).waitFor();
  check(new URL(viewer.url()).searchParams.get('kind') === 'artwork', 'the kind in the address');
  await viewer.getByLabel('Kind').selectOption('level');
  await cards.first().filter({ hasText: 'Crème Rocket 1' }).waitFor();

  // Nothing matches: said in words.
  await viewer.getByLabel('Search for').fill('submarine');
  await viewer.locator('main').getByRole('button', { name: 'Search', exact: true }).click();
  await viewer.getByText('No designs match “submarine”').waitFor();

  // Paging: 30 frosts, 24 and then the rest.
  await box.fill('frost');
  await box.press('Enter');
  await viewer.getByText(`${N} designs match “frost”`).waitFor();
  await viewer.waitForFunction(() => document.querySelectorAll('[data-testid=grid] li.card').length === 24);
  await viewer.getByRole('button', { name: 'More designs' }).click();
  await viewer.waitForFunction((n) => document.querySelectorAll('[data-testid=grid] li.card').length === n, N);
  const ids = await cards.evaluateAll((els) => els.map((e) => e.dataset.id));
  check(new Set(ids).size === N && !ids.includes(rocket), 'every frost once, no rocket');

  // A result leads to its design; on a phone the header's box searches too.
  const phone = await person(b, srv, { width: 360, height: 740 });
  await phone.goto('/');
  await phone.getByRole('searchbox', { name: 'Search designs' }).fill('ROCKET');
  await phone.getByRole('searchbox', { name: 'Search designs' }).press('Enter');
  await phone.getByText('1 design matches “ROCKET”').waitFor();
  await shot(phone, 'search-phone');
  await phone.getByTestId('grid').getByRole('link', { name: /Crème Rocket 1/ }).click();
  await phone.getByRole('heading', { name: 'Crème Rocket 1' }).waitFor();
  noPageErrors(viewer, phone);
});
