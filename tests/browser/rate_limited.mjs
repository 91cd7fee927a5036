// A rate_limited refusal (SPEC §6) reads as such at its field: a second registration
// from one address within the limit's period says when to try again.
import { scenario, person, register, openSignIn, check, noPageErrors } from './lib.mjs';

await scenario('rate_limited', ['--rate-registrations', '1/1h'], async ({ srv, b }) => {
  const first = await person(b, srv);
  await first.goto('/');
  await register(first, 'early');
  const second = await person(b, srv);
  await second.goto('/');
  await openSignIn(second, 'New account');
  await second.locator('#register-form').getByLabel('Name').fill('late');
  await second.getByRole('button', { name: 'Create account' }).click();
  const err = second.locator('#reg-name-error');
  await err.filter({ hasText: /^Too fast: try again in \d+ s\.$/ }).waitFor();
  check(await second.evaluate(() => document.activeElement.id) === 'reg-name', 'focus back on the name');
  check(await second.locator('#account').getByRole('button', { name: 'Sign in' }).count() === 1, 'still signed out');
  noPageErrors(first, second);
}, { rateLimits: true });
