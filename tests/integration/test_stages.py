"""Stages (SPEC §8, LEGO Ideas): a contest's stages [{supports, days}] — each stage
reached within its days of the previous (of its creation for the first) is a milestone
notice (the design's windows get it again with its stage), the last one shortlists the
design; one missed expires it by the clock (a
status notice; no more votes); the brand moves it back to submitted and its stage opens
again; contest-form limits at and past them; all of it after kill -9."""
import asyncio
import time

from harness import WAIT, Client, brand_server, register, run, simple_level

T0 = 2_000_000_000
DAY = 86400


async def status_becomes(c, d, status):
    deadline = time.monotonic() + WAIT
    while True:
        got = (await c.ok('design.get', design=d))['design']['status']
        if got == status:
            return
        assert time.monotonic() < deadline, (d, got, status)
        await asyncio.sleep(0.05)


async def main():
    srv, brand, token = await brand_server(('--test-clock',), now=T0)
    # limits
    base = dict(title='Ideas', kind='level', scale='heart')
    for bad in ([], [{'supports': 2, 'days': 1}] * 9, [{'supports': 0, 'days': 1}],
                [{'supports': 2, 'days': 366}], [{'supports': 3, 'days': 1}, {'supports': 3, 'days': 1}]):
        await brand.err('contest.create', 'bad_args', slug='bad', stages=bad, **base)
    await brand.ok('contest.create', slug='max', stages=[{'supports': i + 1, 'days': 365}
                                                       for i in range(8)], **base)
    await brand.ok('contest.create', slug='ideas',
                   stages=[{'supports': 2, 'days': 1}, {'supports': 3, 'days': 2}], **base)
    maker = await register(srv, 'maker')
    d1 = (await maker.upload('level', simple_level(variant=1), title='Fast',
                             contest='ideas'))['result']['design']['id']
    d2 = (await maker.upload('level', simple_level(variant=2), title='Slow',
                             contest='ideas'))['result']['design']['id']
    fans = [await register(srv, f'fan{i}') for i in range(3)]
    viewer = await Client.connect(srv)  # a window holding d1
    await viewer.ok('gallery.subscribe', contest='ideas', sort='new', limit=10)
    for f in fans[:2]:
        await f.ok('vote.cast', design=d1, value=1)
    ev = await maker.event('notice', pred=lambda e: 'stage 1 of 2' in e['notice']['text'])
    assert ev['notice']['kind'] == 'milestone' and ev['notice']['design'] == d1
    # the design object shows its stage: the window gets it whole again
    await viewer.event('gallery.update', pred=lambda e: any(
        x['id'] == d1 and x.get('stage') == 1 and 'title' in x for x in e['items']))
    await viewer.close()
    # a day and a bit later: d2 missed its first stage and expires; d1 is in its second
    await brand.ok('test.clock', now=T0 + DAY + 10)
    await status_becomes(brand, d2, 'expired')
    ev = await maker.event('notice', pred=lambda e: e['notice'].get('status') == 'expired')
    assert ev['notice']['design'] == d2
    assert (await brand.ok('design.get', design=d1))['design']['status'] == 'submitted'
    await fans[0].err('vote.cast', 'closed', design=d2, value=1)
    await brand.err('design.set_status', 'bad_args', design=d1, status='expired')
    # the last stage shortlists
    await fans[2].ok('vote.cast', design=d1, value=1)
    await status_becomes(brand, d1, 'shortlisted')
    # the brand gives d2 another chance: its stage opens again from now
    await brand.ok('design.set_status', design=d2, status='submitted')
    await fans[0].ok('vote.cast', design=d2, value=1)
    for c in [brand, maker] + fans:
        await c.close()
    srv.kill9()
    srv.start()
    brand = await Client.connect(srv)
    await brand.ok('auth.login', token=token)
    await brand.ok('test.clock', now=T0 + DAY + 20)
    assert (await brand.ok('design.get', design=d2))['design']['status'] == 'submitted'
    await brand.ok('test.clock', now=T0 + 2 * DAY + 20)  # its new window has passed
    await status_becomes(brand, d2, 'expired')
    assert (await brand.ok('design.get', design=d1))['design']['status'] == 'shortlisted'
    await brand.close()
    srv.stop()
    print('stages: ok (milestones per stage, the last shortlists, expiry by the clock, no '
          'votes after, another chance, limits; after kill -9)')


run(main)
