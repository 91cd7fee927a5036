// Comments and reports on the design page: a comment appears live on another viewer's
// page, the brand's is marked official, older ones load on demand, the gallery card
// counts them; a report shows in the brand's dashboard as a count.
import { scenario, person, register, loginWithToken, go, shot, submitLevel, createContest, adminRow, card, rpc, check, noPageErrors } from './lib.mjs';

await scenario('comments', [], async ({ srv, b }) => {
  const token = srv.makeBrand('acme');
  const brand = await person(b, srv);
  await brand.goto('/');
  await loginWithToken(brand, token, 'acme');
  await createContest(brand, { slug: 'talk', title: 'Talk Levels' });

  const maker = await person(b, srv);
  await maker.goto('/');
  await register(maker, 'chatty');
  const id = await submitLevel(maker, { title: 'Echo Cave', contest: 'talk' });

  const reader = await person(b, srv); // anonymous: reads, cannot post
  await reader.goto(`/design/${id}`);
  await reader.getByRole('heading', { name: 'Echo Cave' }).waitFor();
  await reader.getByRole('button', { name: 'Sign in to comment' }).waitFor();

  const fan = await person(b, srv);
  await fan.goto(`/design/${id}`);
  await register(fan, 'fan');
  await fan.getByLabel('Add a comment').fill('Love the jump at the end!');
  await fan.getByRole('button', { name: 'Post comment' }).click();
  await fan.getByTestId('comments').getByText('Love the jump at the end!').waitFor();
  check(await fan.getByLabel('Add a comment').inputValue() === '', 'the box empties');
  await reader.getByTestId('comments').getByText('Love the jump at the end!').waitFor(); // live

  await go(brand, `/design/${id}`);
  await brand.getByLabel('Add a comment').fill('Thanks for entering: we are reviewing.');
  await brand.getByRole('button', { name: 'Post comment' }).click();
  const official = reader.locator('ol.comments li.official');
  await official.getByText('Thanks for entering: we are reviewing.').waitFor();
  check(await official.getByText('Official').isVisible(), 'the brand comment is marked official');
  await reader.getByText('Comments (2)').waitFor();

  // An empty comment is refused before sending; the field says why.
  await fan.getByRole('button', { name: 'Post comment' }).click();
  await fan.getByText('Write something first.').waitFor();

  // Older comments on demand: 20 newest first, the rest with "Load older".
  for (let i = 1; i <= 22; i++) await rpc(fan, 'comment.post', { design: id, text: `note ${i}` });
  await reader.reload();
  await reader.getByTestId('comments').getByText('note 22', { exact: true }).waitFor();
  check(await reader.locator('ol.comments li').count() === 20, 'a page of 20');
  await reader.getByRole('button', { name: 'Load older comments' }).click();
  await reader.getByTestId('comments').getByText('Love the jump at the end!').waitFor();
  check(await reader.locator('ol.comments li').count() === 24, 'all 24 after loading older');
  check(await reader.getByRole('button', { name: 'Load older comments' }).isHidden(), 'nothing older left');
  const texts = await reader.locator('ol.comments li .c-text').allTextContents();
  check(texts[0] === 'Love the jump at the end!' && texts[23] === 'note 22', 'oldest first on the page');
  await shot(reader, 'design-comments');

  // The gallery card counts comments.
  await go(reader, '/?contest=talk');
  await card(reader, 'Echo Cave').locator('.talk').filter({ hasText: /^\s*24$/ }).waitFor();

  // A report: the brand's dashboard counts it.
  await go(fan, `/design/${id}`);
  await fan.getByText('Report this design').click();
  await fan.getByLabel('Reason').selectOption('spam');
  await fan.getByRole('button', { name: 'Send report' }).click();
  await fan.getByText('Thank you: the brand will review it.').waitFor();
  await go(brand, '/brand?contest=talk');
  await adminRow(brand, id).getByText('1 report', { exact: true }).waitFor();
  noPageErrors(brand, maker, reader, fan);
});
