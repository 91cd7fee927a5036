"""Integration test of contests (SPEC §2, §4, §5): contest.create/update/get/list and
their argument rules, every phase boundary for uploads and votes (just before, at and
after each time, on the server's test clock), the contest's kind, and votes on the
stars5 and updown scales: tallies under cast/replace/clear and the `top` order and
scores against hand-computed Bayesian averages and Wilson bounds, with ties broken
by age then id; gallery.subscribe's first window equals gallery.get's page."""
import math

from harness import Client, Server, register, run, simple_level, until

T0 = 1_800_000_000  # the test clock's start (any fixed time)
SUBMIT_OPEN, SUBMIT_CLOSE, VOTE_CLOSE = T0 + 100, T0 + 200, T0 + 300


async def brand_client(srv):
    c = await Client.connect(srv)
    res = await c.ok('auth.login', token=srv.make_brand('acme'))
    assert res['account']['role'] == 'brand', res
    return c


async def clock(c, t):
    assert (await c.ok('test.clock', now=t))['now'] == t


async def create_rules(srv, brand, member, anon):
    base = dict(slug='tees-1', title='Summer tees', kind='level', scale='stars5')
    await anon.err('contest.create', 'unauthorized', **base)
    await member.err('contest.create', 'forbidden', **base)

    async def bad(field, **over):
        args = dict(base, **over)
        args = {k: v for k, v in args.items() if v is not None}
        e = await brand.err('contest.create', 'bad_args', **args)
        assert e['detail']['field'] == field, (over, e)

    await bad('slug', slug=None)
    await bad('slug', slug='Tees')
    await bad('slug', slug='open')
    await bad('slug', slug='a' * 65)
    await bad('kind', kind='poster')
    await bad('scale', scale='likes')
    await bad('title', title=None)
    await bad('title', title='')
    await bad('title', title='é' * 121)
    await bad('prize', prize='p' * 201)
    await bad('brief', brief='b' * 4001)
    await bad('threshold', threshold=-1)
    await bad('closed', closed=True)
    await bad('submit_close', submit_open=T0 + 10, submit_close=T0 + 5)
    await bad('vote_close', vote_close=T0 + 10)
    await bad('vote_close', submit_close=T0 + 10, vote_close=T0 + 9)
    # at every limit: accepted
    c = (await brand.ok('contest.create', **dict(
        base, slug='a' * 64, title='é' * 120, prize='p' * 200, brief='b' * 4000,
        threshold=5)))['contest']
    assert c['id'] == c['slug'] == 'a' * 64 and c['phase'] == 'submissions', c
    assert c['prize'] == 'p' * 200 and c['threshold'] == 5 and c['closed'] is False
    await brand.err('contest.create', 'conflict', **dict(base, slug='a' * 64))

    # update: changes only what it names; slug, kind and scale are fixed
    u = (await brand.ok('contest.update', contest='a' * 64, title='New'))['contest']
    assert u['title'] == 'New' and u['prize'] == 'p' * 200 and u['scale'] == 'stars5'
    for field, value in (('kind', 'artwork'), ('scale', 'heart'), ('slug', 'b')):
        e = await brand.err('contest.update', 'bad_args', contest='a' * 64, **{field: value})
        assert e['detail']['field'] == field
    await brand.err('contest.update', 'not_found', contest='nope')
    await brand.err('contest.update', 'forbidden', contest='open', title='x')
    await member.err('contest.update', 'forbidden', contest='a' * 64, title='x')
    closed = (await brand.ok('contest.update', contest='a' * 64, closed=True))['contest']
    assert closed['phase'] == 'closed'
    e = await brand.err('contest.update', 'bad_args', contest='a' * 64, closed=False)
    assert e['detail']['field'] == 'closed'

    # get and list
    assert (await anon.ok('contest.get', contest='open'))['contest']['scale'] == 'heart'
    e = await anon.err('contest.get', 'not_found', contest='nope')
    assert e['detail']['field'] == 'contest'
    ids = [x['id'] for x in (await anon.ok('contest.list'))['contests']]
    assert 'open' in ids and 'a' * 64 in ids
    only = (await anon.ok('contest.list', phase='closed'))['contests']
    assert [x['id'] for x in only] == ['a' * 64]
    assert (await anon.err('contest.list', 'bad_args', phase='soon'))['detail']['field'] == 'phase'


async def phases(srv, brand, creator, voter):
    """Uploads only in submissions; votes in submissions and voting; boundaries exact."""
    await clock(brand, T0)
    c = (await brand.ok('contest.create', slug='levels', title='Levels', kind='level',
                        scale='heart', submit_open=SUBMIT_OPEN, submit_close=SUBMIT_CLOSE,
                        vote_close=VOTE_CLOSE))['contest']
    assert c['phase'] == 'upcoming'
    variant = iter(range(100, 200))

    async def upload():
        return await creator.upload('level', simple_level(variant=next(variant)), contest='levels')

    async def phase_is(name):
        assert (await voter.ok('contest.get', contest='levels'))['contest']['phase'] == name

    async def vote_outcome(design):
        r = await voter.call('vote.cast', design=design, value=1)
        if r['ok']:
            assert (await voter.call('vote.clear', design=design))['ok']
            return 'ok'
        assert r['error']['code'] == 'closed', r
        assert r['error']['detail']['phase'] in ('upcoming', 'judging', 'closed'), r
        return 'closed'

    await clock(brand, SUBMIT_OPEN - 1)
    await phase_is('upcoming')
    r = await upload()
    assert not r['ok'] and r['error']['code'] == 'closed', r
    assert r['error']['detail']['phase'] == 'upcoming', r
    # a design of the wrong kind is bad_args, whatever the phase
    await clock(brand, SUBMIT_OPEN)
    await phase_is('submissions')
    r = await creator.call('upload.begin', kind='artwork', title='x', contest='levels',
                           bytes=100, sha256='0' * 64)
    assert not r['ok'] and r['error']['code'] == 'bad_args', r
    assert r['error']['detail']['field'] == 'kind'
    first = await upload()
    assert first['ok'], first
    d = first['result']['design']['id']
    assert first['result']['design']['contest'] == 'levels'
    assert await vote_outcome(d) == 'ok'
    await clock(brand, SUBMIT_CLOSE - 1)
    await phase_is('submissions')
    assert (await upload())['ok']
    assert await vote_outcome(d) == 'ok'
    await clock(brand, SUBMIT_CLOSE)
    await phase_is('voting')
    r = await upload()
    assert not r['ok'] and r['error']['code'] == 'closed' and r['error']['detail']['phase'] == 'voting', r
    assert await vote_outcome(d) == 'ok'
    await clock(brand, VOTE_CLOSE - 1)
    await phase_is('voting')
    assert await vote_outcome(d) == 'ok'
    # a vote cast in time is kept into judging
    await voter.ok('vote.cast', design=d, value=1)
    await clock(brand, VOTE_CLOSE)
    await phase_is('judging')
    assert await vote_outcome(d) == 'closed'
    e = await voter.err('vote.clear', 'closed', design=d)
    assert e['detail']['phase'] == 'judging'
    assert not (await upload())['ok']
    g = (await voter.ok('design.get', design=d))['design']
    assert g['tally'] == {'votes': 1, 'supports': 1, 'hearts': 1}, g
    # the brand moves the deadline: the next vote follows the stored contest at once
    await brand.ok('contest.update', contest='levels', vote_close=VOTE_CLOSE + 100)
    await phase_is('voting')
    assert await vote_outcome(d) == 'ok'
    await voter.ok('vote.cast', design=d, value=1)
    await brand.ok('contest.update', contest='levels', vote_close=VOTE_CLOSE)
    await phase_is('judging')
    assert await vote_outcome(d) == 'closed'
    await brand.ok('contest.update', contest='levels', closed=True)
    await phase_is('closed')
    assert await vote_outcome(d) == 'closed'
    # the open contest has no deadlines: uploads and votes at any time
    await clock(brand, VOTE_CLOSE + 10 ** 6)
    r = await upload_open(creator)
    assert r['ok'], r
    assert await vote_outcome(r['result']['design']['id']) == 'ok'


async def upload_open(creator, variant=[1000]):
    variant[0] += 1
    return await creator.upload('level', simple_level(variant=variant[0]))


def bayes(s, n, m):
    return (10 * m + s) / (10 + n)


def wilson(up, down):
    n = up + down
    if n == 0:
        return 0.0
    p, z = up / n, 1.96
    return (p + z * z / (2 * n) - z * math.sqrt((p * (1 - p) + z * z / (4 * n)) / n)) / (1 + z * z / n)


async def scales(srv, brand, creator, voters):
    await clock(brand, T0 + 10_000)
    for slug, scale in (('stars', 'stars5'), ('thumbs', 'updown')):
        await brand.ok('contest.create', slug=slug, title=slug, kind='level', scale=scale)

    async def designs(contest, n):
        out = []
        for i in range(n):
            r = await creator.upload('level', simple_level(variant=2000 + len(contest) * 50 + i),
                                     contest=contest, title=f'{contest} {i}')
            assert r['ok'], r
            out.append(r['result']['design']['id'])
        return out

    # ---- stars5: tallies, Bayesian average with the contest's mean ----
    s = await designs('stars', 4)
    anon = voters[-1]
    top = (await anon.ok('gallery.get', contest='stars', sort='top'))['items']
    # no votes: every score is m = 3; all created in the same second: smaller id first
    assert [x['id'] for x in top] == sorted(s, key=int), top
    assert all(x['score'] == 3 for x in top), top
    assert top[0]['tally'] == {'votes': 0, 'supports': 0, 'stars': [0, 0, 0, 0, 0], 'sum': 0}, top[0]
    v = voters
    await v[0].err('vote.cast', 'bad_args', design=s[0], value=0)
    await v[0].err('vote.cast', 'bad_args', design=s[0], value=6)
    for voter, value in ((v[0], 5), (v[1], 4), (v[2], 1)):
        await voter.ok('vote.cast', design=s[0], value=value)
    t = (await v[3].ok('vote.cast', design=s[1], value=2))['tally']
    assert t == {'votes': 1, 'supports': 0, 'stars': [0, 1, 0, 0, 0], 'sum': 2}, t
    # replace 1 → 5 and clear: the counts move, never double
    t = (await v[2].ok('vote.cast', design=s[0], value=5))['tally']
    assert t == {'votes': 3, 'supports': 3, 'stars': [0, 0, 0, 1, 2], 'sum': 14}, t
    t = (await v[1].ok('vote.clear', design=s[0]))['tally']
    assert t == {'votes': 2, 'supports': 2, 'stars': [0, 0, 0, 0, 2], 'sum': 10}, t
    t = (await v[1].ok('vote.clear', design=s[0]))['tally']  # nothing to clear: unchanged
    assert t['votes'] == 2
    await v[4].ok('vote.cast', design=s[2], value=3)
    # contest mean: (10 + 2 + 3) / 4 stars; every design re-scored within a rescoring tick
    m = 15 / 4
    want = {s[0]: bayes(10, 2, m), s[1]: bayes(2, 1, m), s[2]: bayes(3, 1, m), s[3]: m}
    # contest.results right away is exact: it settles every score on the current mean
    # (galleries may lag it by one rescoring tick)
    res = await anon.ok('contest.results', contest='stars')
    assert [x['design'] for x in res['ranking']] == sorted(s, key=lambda i: (-want[i], int(i)))
    for x in res['ranking']:
        assert abs(x['score'] - want[x['design']]) < 1e-9, (x, want)
    # the gallery reaches the same scores at its next rescoring tick
    order = sorted(s, key=lambda i: (-want[i], int(i)))

    async def rescored():
        top = (await anon.ok('gallery.get', contest='stars', sort='top'))['items']
        return [x['id'] for x in top] == order and all(
            abs(x['score'] - want[x['id']]) < 1e-9 for x in top)
    await until(rescored, 'the stars gallery rescored on the contest mean')

    # ---- updown: ups and downs, Wilson lower bound at z = 1.96 ----
    u = await designs('thumbs', 4)
    votes = {u[0]: [1, 1, 1, -1], u[1]: [1], u[2]: [-1, -1], u[3]: []}
    for d, vals in votes.items():
        for voter, value in zip(v, vals):
            await voter.ok('vote.cast', design=d, value=value)
    await v[0].err('vote.cast', 'bad_args', design=u[0], value=2)
    await v[0].err('vote.cast', 'bad_args', design=u[0], value=0)
    t = (await v[3].ok('vote.cast', design=u[0], value=1))['tally']  # replace down → up
    assert t == {'votes': 4, 'supports': 4, 'up': 4, 'down': 0}, t
    t = (await v[0].ok('vote.clear', design=u[0]))['tally']
    assert t == {'votes': 3, 'supports': 3, 'up': 3, 'down': 0}, t
    want = {u[0]: wilson(3, 0), u[1]: wilson(1, 0), u[2]: wilson(0, 2), u[3]: 0.0}
    top = (await anon.ok('gallery.get', contest='thumbs', sort='top'))['items']
    order = sorted(u, key=lambda i: (-want[i], int(i)))
    assert [x['id'] for x in top] == order, (top, want)
    for x in top:
        assert abs(x['score'] - want[x['id']]) < 1e-9, (x, want)
    # hot: p = supports − downs (≥ 0), the same age for all: order by p, then id
    hot = (await anon.ok('gallery.get', contest='thumbs', sort='hot'))['items']
    p = {u[0]: 3, u[1]: 1, u[2]: 0, u[3]: 0}
    assert [x['id'] for x in hot] == sorted(u, key=lambda i: (-p[i], int(i))), hot
    return s + u


async def parity(srv, anon):
    """A subscription's first window is exactly gallery.get's page, for every sort."""
    queries = [dict(contest=c, sort=s, offset=o, limit=l)
               for c in ('stars', 'thumbs', 'open')
               for s in ('new', 'top', 'hot')
               for o, l in ((0, 24), (1, 2), (3, 100))]
    queries.append(dict(contest='open', sort='top', status='submitted'))
    for q in queries:
        page = await anon.ok('gallery.get', **q)
        sub = await anon.ok('gallery.subscribe', **q)
        assert sub['total'] == page['total'] and sub['items'] == page['items'], (q, page, sub)
        await anon.ok('gallery.unsubscribe', sub=sub['sub'])


async def main():
    srv = Server(['--test-clock'])
    try:
        brand = await brand_client(srv)
        await clock(brand, T0)
        creator = await register(srv, 'maker')
        voters = [await register(srv, f'voter{i}') for i in range(6)]
        anon = await Client.connect(srv)
        await create_rules(srv, brand, creator, anon)
        await phases(srv, brand, creator, voters[0])
        await scales(srv, brand, creator, voters)
        await parity(srv, anon)
        # everything above is durable: the same answers after a restart
        before = {c: (await anon.ok('gallery.get', contest=c, sort='top'))['items']
                  for c in ('stars', 'thumbs', 'levels')}
        contests = (await anon.ok('contest.list'))['contests']
        for c in [brand, creator, anon, *voters]:
            await c.close()
        srv.restart()
        anon = await Client.connect(srv)
        # (the test clock starts again from the wall clock: compare records, not phases)
        after = (await anon.ok('contest.list'))['contests']
        strip = lambda cs: [{k: v for k, v in x.items() if k != 'phase'} for x in cs]
        assert strip(after) == strip(contests), (after, contests)
        for c, items in before.items():
            got = (await anon.ok('gallery.get', contest=c, sort='top'))['items']
            assert [(x['id'], x['tally']) for x in got] == [(x['id'], x['tally']) for x in items], c
        await anon.close()
    finally:
        srv.stop()


if __name__ == '__main__':
    run(main)
