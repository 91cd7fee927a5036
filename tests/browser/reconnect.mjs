// Reconnecting: the server restarts under open pages; they say so, reconnect by
// themselves, log in again with the saved token, re-subscribe, and live updates flow
// again (a design uploaded after the restart appears without a reload).
import { scenario, person, register, submitLevel, card, check, shot, noPageErrors } from './lib.mjs';

await scenario('reconnect', [], async ({ srv, b }) => {
  const maker = await person(b, srv);
  await maker.goto('/');
  await register(maker, 'phoenix');
  await submitLevel(maker, { title: 'Before', goalCol: 5 });

  const watcher = await person(b, srv);
  await watcher.goto('/?sort=new');
  await card(watcher, 'Before').waitFor();

  await srv.restart(async () => {
    await watcher.getByText('Reconnecting…').waitFor();
    await shot(watcher, 'gallery-reconnecting');
  });
  await watcher.getByText('Reconnecting…').waitFor({ state: 'hidden' });
  await maker.getByText('Reconnecting…').waitFor({ state: 'hidden' });
  check(await maker.getByTestId('me').textContent() === 'phoenix', 'still logged in');
  for (const p of [maker, watcher]) { // refused while the server was down: expected
    p.errors = p.errors.filter((e) => !/WebSocket connection to .* failed/.test(e));
  }

  await submitLevel(maker, { title: 'After', goalCol: 9 });
  await card(watcher, 'After').waitFor();
  await watcher.getByText('2 designs').waitFor();
  noPageErrors(maker, watcher);
});
