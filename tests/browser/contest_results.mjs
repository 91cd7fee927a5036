// Contest page (issue 6): brief, prize, phase with a countdown to the next phase, the
// live ranking; the brand sets a deadline in its dashboard, the (test) clock passes
// it, the brand closes the contest, and the page shows the results with the
// audit-log head and a link to the log. Runs the server with --test-clock.
import { scenario, person, register, loginWithToken, go, shot, submitLevel, createContest, rpc, check, checkLabels, noPageErrors } from './lib.mjs';

function localInput(sec) { // a datetime-local value in the browser's zone (UTC here)
  const d = new Date(sec * 1000);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

await scenario('contest_results', ['--test-clock'], async ({ srv, b }) => {
  const token = srv.makeBrand('acme');
  const brand = await person(b, srv);
  await brand.goto('/');
  await loginWithToken(brand, token, 'acme');
  await createContest(brand, { slug: 'autumn', title: 'Autumn Levels', brief: 'Falling leaves.', prize: 'A signed poster', scale: 'updown' });
  const now = Math.floor(Date.now() / 1000);
  const close = now - (now % 60) + 2 * 3600; // whole minutes: datetime-local has no seconds
  await brand.getByLabel('Submissions close').fill(localInput(close));
  await brand.getByRole('button', { name: 'Save changes' }).click();
  await brand.getByLabel('Submissions close').and(brand.locator(`[value="${localInput(close)}"]`)).waitFor();
  const c = await rpc(brand, 'contest.get', { contest: 'autumn' });
  check(c.contest.submit_close === close, `the deadline was saved (${c.contest.submit_close} vs ${close})`);

  const maker = await person(b, srv);
  await maker.goto('/');
  await register(maker, 'leaf');
  const a = await submitLevel(maker, { title: 'Maple Drop', contest: 'autumn', goalCol: 4 });
  const z = await submitLevel(maker, { title: 'Oak Climb', contest: 'autumn', goalCol: 10 });

  const viewer = await person(b, srv);
  await viewer.goto('/contest/autumn');
  await viewer.getByRole('heading', { name: 'Autumn Levels' }).waitFor();
  await viewer.getByTestId('phase').filter({ hasText: 'submissions' }).waitFor();
  await viewer.getByTestId('countdown').filter({ hasText: /Submissions and votes close in 1h 5\dm/ }).waitFor();
  await viewer.getByText('Prize: A signed poster').waitFor();
  await register(viewer, 'judge-fan');
  await go(viewer, `/design/${z}`);
  await viewer.getByRole('button', { name: 'Vote down' }).click();
  await viewer.getByTestId('tally').filter({ hasText: /^\s*0\s+1$/ }).waitFor();
  await viewer.getByRole('button', { name: 'Vote up' }).click(); // replaces the down vote
  await viewer.getByTestId('tally').filter({ hasText: /^\s*1\s+0$/ }).waitFor();
  check(await viewer.getByRole('button', { name: 'Vote up' }).getAttribute('aria-pressed') === 'true', 'up shows pressed');
  check(await viewer.getByRole('button', { name: 'Vote down' }).getAttribute('aria-pressed') === 'false', 'down does not');
  await go(viewer, '/contest/autumn');
  await viewer.waitForFunction((id) => document.querySelector('.ranked li.card')?.dataset.id === id, z);
  await shot(viewer, 'contest-submissions');

  // Past the deadline: voting (no vote_close: until the brand closes it).
  await rpc(brand, 'test.clock', { now: close + 60 });
  await viewer.reload();
  await viewer.getByTestId('phase').filter({ hasText: 'voting' }).waitFor();
  await go(maker, '/submit');
  check(!(await maker.getByRole('option', { name: /Autumn Levels/ }).count()), 'a contest past its deadline takes no submissions');

  // Closed: results final, with the audit log's head and a link to the log.
  await go(brand, '/brand?contest=autumn');
  brand.once('dialog', (d) => d.accept());
  await brand.getByRole('button', { name: 'Close contest (results final)' }).click();
  await brand.getByTestId('phase').filter({ hasText: 'closed' }).waitFor();
  await viewer.reload();
  await viewer.getByTestId('phase').filter({ hasText: 'closed' }).waitFor();
  const head = viewer.getByTestId('log-head');
  await head.waitFor();
  const results = await rpc(viewer, 'contest.results', { contest: 'autumn' });
  check(await head.textContent() === results.log_head, 'the page shows the chain head of contest.results');
  check(/^[0-9a-f]{64}$/.test(results.log_head), `a SHA-256 head, got ${results.log_head}`);
  const rows = viewer.locator('table.results-table tbody tr');
  check(await rows.count() === 2, 'both designs ranked');
  check((await rows.first().textContent()).includes('Oak Climb'), 'the up-voted design ranks first');
  const log = await viewer.evaluate(async () => {
    const r = await fetch(document.querySelector('a[href^="/log/"]').href);
    return [r.status, (await r.text()).length];
  });
  check(log[0] === 200 && log[1] > 0, `the log link works, got ${log}`);
  await shot(viewer, 'contest-results');
  await checkLabels(viewer, 'contest page');
  check(a !== z, 'two designs');
  noPageErrors(brand, maker, viewer);
});
