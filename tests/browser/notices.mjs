// Notices (SPEC §8, issue 18): a creator's bell counts live when someone comments on
// their design and when the brand shortlists it with a note, on every device signed in
// (a second one gets the count at sign-in); the notices page says each in plain words,
// newest first, pages back with "Older notices", links to the design, and marks them
// read (the bell drops to none, and stays so after a reload); a notice arriving while
// the page is open shows at the top and is read at once.
import { scenario, person, register, loginWithToken, go, shot, submitLevel, wsCalls, check, checkLabels, noPageErrors } from './lib.mjs';

const EXTRA = 20; // comments before the two that matter: the list's first page is 20

await scenario('notices', [], async ({ srv, b }) => {
  const brandToken = srv.makeBrand('acme');
  const maker = await person(b, srv);
  await maker.goto('/');
  const token = await register(maker, 'moonmaker');
  const id = await submitLevel(maker, { title: 'Moon Jump' });
  await go(maker, '/');
  const bell = maker.getByTestId('bell');
  await bell.and(maker.getByRole('link', { name: 'Notices, none unread' })).waitFor();
  check(await bell.locator('.bell-count').isHidden(), 'no count while nothing is unread');

  // The same account on a phone: its bell counts too.
  const phone = await person(b, srv, { width: 360, height: 740 });
  await phone.goto('/');
  await loginWithToken(phone, token, 'moonmaker');

  const chatter = Array.from({ length: EXTRA }, (_, i) => ['comment.post', { design: id, text: `note ${i + 1}` }]);
  await wsCalls(maker, [['auth.register', { name: 'ann' }], ...chatter]);
  await bell.and(maker.getByRole('link', { name: `Notices, ${EXTRA} unread` })).waitFor();
  await wsCalls(maker, [['auth.register', { name: 'bob' }], ['comment.post', { design: id, text: 'Those low-gravity jumps are great.' }]]);
  await bell.and(maker.getByRole('link', { name: `Notices, ${EXTRA + 1} unread` })).waitFor();
  check((await bell.locator('.bell-count').textContent()) === String(EXTRA + 1), 'the count on the icon');
  await wsCalls(maker, [['auth.login', { token: brandToken }],
    ['design.set_status', { design: id, status: 'shortlisted', note: 'On our list for the summer drop' }]]);
  await bell.and(maker.getByRole('link', { name: `Notices, ${EXTRA + 2} unread` })).waitFor();
  await phone.getByTestId('bell').and(phone.getByRole('link', { name: `Notices, ${EXTRA + 2} unread` })).waitFor();
  await shot(phone, 'notices-bell-phone');

  // The list: newest first, in words, the new ones marked; seen, so read.
  await bell.click();
  await maker.getByRole('heading', { name: 'Notices' }).waitFor();
  check(new URL(maker.url()).pathname + new URL(maker.url()).search === '/account?view=notices', `the notices' address: ${maker.url()}`);
  const items = maker.getByTestId('notices').locator('li');
  await items.first().filter({ hasText: 'The brand shortlisted “Moon Jump”: On our list for the summer drop' }).waitFor();
  await items.nth(1).filter({ hasText: 'bob commented on “Moon Jump”: Those low-gravity jumps are great.' }).waitFor();
  await items.nth(2).filter({ hasText: `ann commented on “Moon Jump”: note ${EXTRA}` }).waitFor();
  check(await items.count() === 20, `a first page of 20, got ${await items.count()}`);
  check(await items.first().getByText('New', { exact: true }).isVisible(), 'the new ones are marked');
  await bell.and(maker.getByRole('link', { name: 'Notices, none unread' })).waitFor();
  check(await bell.locator('.bell-count').isHidden(), 'the count is gone');
  await checkLabels(maker, 'notices');
  await shot(maker, 'notices');

  await maker.getByRole('button', { name: 'Older notices' }).click();
  await items.nth(EXTRA + 1).filter({ hasText: 'ann commented on “Moon Jump”: note 1' }).waitFor();
  check(await items.count() === EXTRA + 2, `every notice once: ${await items.count()}`);
  check(await maker.getByRole('button', { name: 'Older notices' }).isHidden(), 'nothing older');

  // While the page is open: the brand's comment comes on top, read at once.
  await wsCalls(maker, [['auth.login', { token: brandToken }], ['comment.post', { design: id, text: 'We love the moon dust.' }]]);
  await items.first().filter({ hasText: 'The brand commented on “Moon Jump”: We love the moon dust.' }).waitFor();
  await maker.waitForFunction(() => document.querySelector('[data-testid=bell]').getAttribute('aria-label') === 'Notices, none unread');

  // Read for good: the other device after a reload, this one after a reload.
  await phone.reload();
  await phone.getByTestId('me').waitFor();
  await phone.getByRole('link', { name: 'Notices, none unread' }).waitFor();
  await maker.reload();
  await items.first().filter({ hasText: 'We love the moon dust.' }).waitFor();
  check(await maker.getByTestId('notices').getByText('New', { exact: true }).count() === 0, 'nothing new after reading');

  // A notice leads to its design.
  await items.first().getByRole('link', { name: '“Moon Jump”' }).click();
  await maker.getByRole('heading', { name: 'Moon Jump' }).waitFor();

  // Signed out, the page asks to sign in; the bell is gone.
  const guest = await person(b, srv);
  await guest.goto('/account?view=notices');
  await guest.getByText('Sign in to see your notices').waitFor();
  check(await guest.getByTestId('bell').count() === 0, 'no bell when signed out');
  noPageErrors(maker, phone, guest);
});
