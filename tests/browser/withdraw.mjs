// Creators in charge of their designs (issue 17, SPEC §7): the creator edits the title
// and tags of a design on its page while the contest takes submissions, then withdraws
// another (after a confirm); a voter's open gallery loses it live and its page is gone
// on reload, while the creator still sees it, marked withdrawn. Once submissions close,
// the page says why editing is over.
import { scenario, person, register, go, shot, submitLevel, card, wsCalls, check, checkLabels, noPageErrors } from './lib.mjs';

await scenario('withdraw', [], async ({ srv, b }) => {
  const token = srv.makeBrand('acme');
  const maker = await person(b, srv);
  await maker.goto('/');
  await wsCalls(maker, [['auth.login', { token }], ['contest.create', { slug: 'cave-runs', title: 'Cave Runs', kind: 'level', scale: 'heart' }]]);
  await register(maker, 'spelunker');
  const keep = await submitLevel(maker, { title: 'Deep Cave', contest: 'cave-runs', tags: 'cave' });
  const gone = await submitLevel(maker, { title: 'Shallow Cave', contest: 'cave-runs', goalCol: 8 });

  // Edit: title and tags.
  await go(maker, `/design/${keep}`);
  await maker.getByRole('heading', { name: 'Deep Cave' }).waitFor();
  await maker.getByRole('button', { name: 'Edit title and tags' }).click();
  await maker.getByRole('textbox', { name: 'Tags' }).fill('Bad Tag!');
  await maker.getByRole('button', { name: 'Save' }).click();
  await maker.getByText('“tag!” is not a tag').waitFor();
  await maker.getByRole('textbox', { name: 'Title' }).fill('Deepest Cave');
  await maker.getByRole('textbox', { name: 'Tags' }).fill('cave dark');
  await maker.getByRole('button', { name: 'Save' }).click();
  await maker.getByRole('heading', { name: 'Deepest Cave' }).waitFor();
  await maker.getByRole('link', { name: '#dark' }).waitFor();
  check(await maker.title() === 'Deepest Cave · Cocreate', `the title follows the edit: ${await maker.title()}`);
  await shot(maker, 'design-own-edited');

  // A voter watches the contest's gallery.
  const voter = await person(b, srv, { width: 390, height: 844 });
  await voter.goto('/?contest=cave-runs&sort=new');
  await card(voter, 'Shallow Cave').waitFor();
  await card(voter, 'Deepest Cave').waitFor();

  // Withdraw, after a confirm (dismissed once: nothing happens).
  await go(maker, `/design/${gone}`);
  await maker.getByRole('heading', { name: 'Shallow Cave' }).waitFor();
  maker.once('dialog', (d) => d.dismiss());
  await maker.getByRole('button', { name: 'Withdraw' }).click();
  await maker.getByRole('button', { name: 'Withdraw' }).waitFor();
  let asked = '';
  maker.once('dialog', (d) => { asked = d.message(); d.accept(); });
  await maker.getByRole('button', { name: 'Withdraw' }).click();
  await maker.getByText('You withdrew this design: only you and the brand can see it.').waitFor();
  check(/Withdraw “Shallow Cave”\?/.test(asked), `the confirm names the design: ${asked}`);
  await maker.getByTestId('status').filter({ hasText: 'Withdrawn' }).waitFor();
  await shot(maker, 'design-own-withdrawn');

  // Gone from the voter's gallery, live; its page is not found on reload.
  await card(voter, 'Shallow Cave').waitFor({ state: 'detached' });
  await card(voter, 'Deepest Cave').waitFor();
  await voter.goto(`/design/${gone}`);
  await voter.getByRole('heading', { name: 'Design not found' }).waitFor();

  // Submissions closed: the page explains that editing is over.
  await wsCalls(maker, [['auth.login', { token }], ['contest.update', { contest: 'cave-runs', submit_close: Math.floor(Date.now() / 1000) }]]);
  await go(maker, '/');
  await go(maker, `/design/${keep}`);
  await maker.getByText('This design can no longer be edited or withdrawn: its contest no longer takes submissions.').waitFor();
  check(await maker.getByRole('button', { name: 'Withdraw' }).count() === 0, 'no Withdraw once submissions closed');
  await checkLabels(maker, 'own design page');
  noPageErrors(maker, voter);
});
