"""Hidden tallies (SPEC §8, Threadless): in a contest created with tallies_hidden, a
member sees a design's tally and score only after voting on it, the brand and the
creator always; `top` and `hot` are the brand's alone (forbidden, reason
tallies_hidden) until voting closes; no leak through live windows (no update for a vote
alone, null tallies), watches, search order, contest.results (its log head only),
/log/<contest> (403), points or the leaderboard. The clock's contest.phase record that
closes voting reveals it all, once, the same after kill -9; tallies_hidden is fixed
after creation."""
import asyncio

from harness import WAIT, Client, brand_server, register, run, simple_level, until

T0 = 2_000_000_000


def tallies(items):
    return {d['id']: d['tally'] for d in items}


async def main():
    srv, brand, token = await brand_server(('--test-clock',), now=T0)
    base = dict(title='Secret ballot', kind='level', scale='heart',
                submit_close=T0 + 100, vote_close=T0 + 200)
    await brand.err('contest.create', 'bad_args', slug='bad', tallies_hidden='yes', **base)
    await brand.ok('contest.create', slug='secret', tallies_hidden=True, **base)
    await brand.ok('contest.create', slug='plain', **base)
    await brand.err('contest.update', 'bad_args', contest='secret', tallies_hidden=False)
    got = (await brand.ok('contest.get', contest='secret'))['contest']
    assert got['tallies_hidden'] is True and not got.get('tallies_revealed'), got
    assert (await brand.ok('contest.get', contest='plain'))['contest']['tallies_hidden'] is False

    maker = await register(srv, 'maker')
    other = await register(srv, 'othermaker')
    d1 = (await maker.upload('level', simple_level(variant=1), title='Lantern bridge',
                             contest='secret'))['result']['design']['id']
    d2 = (await other.upload('level', simple_level(variant=2), title='Lantern cave',
                             contest='secret'))['result']['design']['id']
    fans = [await register(srv, f'fan{i}') for i in range(3)]
    looker = await register(srv, 'looker')
    anon = await Client.connect(srv)

    # the looker watches d2 and the `new` window before any vote
    sub = (await looker.ok('gallery.subscribe', contest='secret', sort='new'))
    assert all(d['tally'] is None and d['score'] is None for d in sub['items']), sub
    watched = (await looker.ok('design.watch', design=d2))['design']
    assert watched['tally'] is None, watched
    bsub = await brand.ok('gallery.subscribe', contest='secret', sort='new')
    assert all(d['tally'] is not None for d in bsub['items']), bsub

    # d2 (newer) gets three votes, d1 one: the brand's top is d2 first
    for f in fans:
        r = await f.ok('vote.cast', design=d2, value=1)
        assert r['tally']['supports'] >= 1  # the voter is shown the tally it moved
    await fans[0].ok('vote.cast', design=d1, value=1)

    # design objects per viewer
    for c in (looker, anon):
        d = (await c.ok('design.get', design=d2))['design']
        assert d['tally'] is None and d['score'] is None, d
    assert (await fans[1].ok('design.get', design=d2))['design']['tally']['supports'] == 3
    assert (await fans[1].ok('design.get', design=d1))['design']['tally'] is None
    assert (await other.ok('design.get', design=d2))['design']['tally']['supports'] == 3
    assert (await other.ok('design.get', design=d1))['design']['tally'] is None
    assert (await brand.ok('design.get', design=d1))['design']['tally']['supports'] == 1
    page = await looker.ok('gallery.get', contest='secret', sort='new')
    assert set(tallies(page['items']).values()) == {None}, page
    page = await fans[0].ok('gallery.get', contest='secret', sort='new')
    assert all(t is not None for t in tallies(page['items']).values()), page
    dip = await looker.ok('gallery.get', contest='secret', sort='random', seed=7)
    assert len(dip['items']) == 2 and set(tallies(dip['items']).values()) == {None}

    # top and hot: the brand's alone
    for c in (looker, anon, fans[0], maker):
        for sort in ('top', 'hot'):
            e = await c.err('gallery.get', 'forbidden', contest='secret', sort=sort)
            assert e['detail']['reason'] == 'tallies_hidden', e
        await c.err('gallery.subscribe', 'forbidden', contest='secret', sort='top')
    top = await brand.ok('gallery.get', contest='secret', sort='top')
    assert [d['id'] for d in top['items']] == [d2, d1], top
    await looker.ok('gallery.get', contest='plain', sort='top')

    # search order: the brand's by votes, everyone else's as if none were cast
    assert [d['id'] for d in (await brand.ok('search', q='lantern'))['items']] == [d2, d1]
    found = (await looker.ok('search', q='lantern'))['items']
    assert [d['id'] for d in found] == [d1, d2] and {d['tally'] is None for d in found} == {True}

    # results: the log's head, no ranking; the log itself is not served yet
    res = await looker.ok('contest.results', contest='secret')
    assert res['ranking'] == [] and res['tallies_hidden'] is True and res['log_length'] == 4, res
    bres = await brand.ok('contest.results', contest='secret')
    assert [x['design'] for x in bres['ranking']] == [d2, d1] and 'tallies_hidden' not in bres
    assert bres['log_head'] == res['log_head']
    status, _, body = srv.get('/log/secret')
    assert status == 403 and b'voting closes' in body, (status, body)
    assert srv.get('/log/plain')[0] == 200

    # points: +10 per design, the supports not yet
    def points(board, who):
        return next(c['points'] for c in board['creators'] if c['name'] == who)
    board = await looker.ok('creator.top')
    assert points(board, 'othermaker') == 10 and points(board, 'maker') == 10, board

    # live: the votes sent the looker nothing; a comment (public) does, without tallies
    await fans[0].ok('comment.post', design=d2, text='Lovely caves')
    ev = await looker.event('gallery.update', pred=lambda e: any(
        i.get('comments') == 1 for i in e.get('items', [])))
    assert all(i['tally'] is None and i['score'] is None for i in ev['items']), ev
    ev = await looker.event('design.update')
    assert ev['design']['comments'] == 1 and ev['design']['tally'] is None, ev
    came = [e for e in looker.events if e['ev'] in ('gallery.update', 'design.update')]
    assert not came, f'a vote alone was told to a member who may not see tallies: {came}'
    ev = await brand.event('gallery.update', pred=lambda e: any(
        (i.get('tally') or {}).get('supports') == 3 for i in e.get('items', [])))

    # voting closes: the clock's record reveals everything, once
    await brand.ok('test.clock', now=T0 + 201)

    async def revealed():
        r = await looker.call('gallery.get', contest='secret', sort='top')
        return r.get('ok')
    await until(revealed, 'top served to members once voting closed')
    top = await looker.ok('gallery.get', contest='secret', sort='top')
    assert [(d['id'], d['tally']['supports']) for d in top['items']] == [(d2, 3), (d1, 1)]
    assert (await anon.ok('design.get', design=d1))['design']['tally']['supports'] == 1
    assert [d['id'] for d in (await looker.ok('search', q='lantern'))['items']] == [d2, d1]
    res = await looker.ok('contest.results', contest='secret')
    assert [x['design'] for x in res['ranking']] == [d2, d1] and 'tallies_hidden' not in res
    assert srv.get('/log/secret')[0] == 200
    board = await looker.ok('creator.top')
    assert points(board, 'othermaker') == 13 and points(board, 'maker') == 11, board
    assert (await brand.ok('contest.get', contest='secret'))['contest']['tallies_revealed']
    ev = await looker.event('gallery.update', pred=lambda e: any(
        i.get('tally') for i in e.get('items', [])))
    ev = await looker.event('design.update', pred=lambda e: e['design']['tally'])
    assert ev['design']['tally']['supports'] == 3

    for c in [brand, maker, other, looker, anon] + fans:
        await c.close()
    srv.kill9()
    srv.start()
    looker = await Client.connect(srv)
    top = await looker.ok('gallery.get', contest='secret', sort='top')
    assert [(d['id'], d['tally']['supports']) for d in top['items']] == [(d2, 3), (d1, 1)]
    board = await looker.ok('creator.top')
    assert points(board, 'othermaker') == 13 and points(board, 'maker') == 11, board
    await looker.close()
    srv.stop()
    print('hidden tallies: ok (per viewer, top/hot forbidden, live, watch, search order, '
          'results, log, points; revealed by the clock at voting close; after kill -9)')


run(main)
