// Stages (SPEC §8, LEGO Ideas): the brand sets a contest's stages in its form
// (supports/days), a bad one is refused in words; the contest page says them.
import { scenario, person, loginWithToken, go, shot, check, checkLabels, noPageErrors } from './lib.mjs';

await scenario('stages', [], async ({ srv, b }) => {
  const token = srv.makeBrand('acme');
  const brand = await person(b, srv);
  await brand.goto('/');
  await loginWithToken(brand, token, 'acme');
  await go(brand, '/brand?view=new');
  await brand.getByLabel('Slug (the contest id)').fill('ideas');
  await brand.getByLabel('Title').fill('Ideas');
  await brand.getByLabel('Stages').fill('5/30 2/60'); // the second needs more: refused
  await brand.getByRole('button', { name: 'Create contest' }).click();
  await brand.getByText('Stages: up to 8 of supports/days').waitFor();
  await brand.getByLabel('Stages').fill('2/1 5/3');
  await brand.getByRole('button', { name: 'Create contest' }).click();
  await brand.getByRole('heading', { name: 'Ranking of “Ideas”' }).waitFor();
  await shot(brand, 'brand-contest-stages');

  const visitor = await person(b, srv);
  await visitor.goto('/contest/ideas');
  const line = visitor.getByTestId('stages');
  await line.waitFor();
  const text = await line.textContent();
  check(text.includes('2 supports within 1 day, then 5 supports within 3 days'), `the stages in words: ${text}`);
  await checkLabels(visitor, 'contest page with stages');
  await shot(visitor, 'contest-stages');
  await noPageErrors(brand, visitor);
});
