"""Notices (SPEC §8, issue 18): made where they happen and kept — a status move (with
the public note), a comment and an official comment on one's design, support
milestones (10 reached once, not again after a clear and a re-vote; the design's windows
and watchers get it with its "milestone"), a threshold — each
pushed live to every connection of the creator and none to the one who caused it;
notice.list newest first with paging and the unread count (limits at and past them),
notice.read marks up to an id (never back), auth.login carries `unread`; all of it after
kill -9 and a restart."""
import asyncio

from harness import Client, brand_server, register, run, simple_level

T0 = 2_000_000_000


async def phases():
    """`contest` notices: the clock moves a contest into voting, then judging, and the
    brand closes it — each told once to every creator in it, none to others; records
    of the clock (the same on every node: the stored phase decides)."""
    srv, brand, token = await brand_server(('--test-clock',), now=T0)
    await brand.ok('contest.create', slug='tees', title='Summer Tees', kind='level',
                   scale='heart', submit_close=T0 + 100, vote_close=T0 + 200)
    a, b, outsider = (await register(srv, 'ph_a'), await register(srv, 'ph_b'),
                      await register(srv, 'ph_c'))
    for i, c in enumerate((a, a, b)):
        r = await c.upload('level', simple_level(variant=70 + i), title='P', contest='tees')
        assert r['ok'], r
    for now, text in ((T0 + 150, '“Summer Tees” is open for votes.'),
                      (T0 + 250, '“Summer Tees” is being judged.')):
        await brand.ok('test.clock', now=now)
        for c in (a, b):
            ev = await c.event('notice', pred=lambda e, t=text: e['notice']['text'] == t)
            assert ev['notice']['kind'] == 'contest' and ev['notice']['contest'] == 'tees'
    await brand.ok('contest.update', contest='tees', closed=True)
    ev = await a.event('notice', pred=lambda e: 'closed' in e['notice']['text'])
    got = [n['text'] for n in (await a.ok('notice.list'))['items'] if n['kind'] == 'contest']
    assert got == ['“Summer Tees” is closed: the results are final.',
                   '“Summer Tees” is being judged.', '“Summer Tees” is open for votes.'], got
    assert (await outsider.ok('notice.list'))['items'] == []
    for c in (brand, a, b, outsider):
        await c.close()
    srv.stop()


async def main():
    srv, brand, token = await brand_server(('--test-clock',), now=T0)
    maker = await register(srv, 'maker')
    maker2 = await Client.connect(srv)  # a second connection of the same account
    assert (await maker2.ok('auth.login', token=maker.token))['unread'] == 0
    d = (await maker.upload('level', simple_level(variant=1), title='Mine'))['result']['design']['id']
    fan = await register(srv, 'fan1')
    r = await fan.upload('level', simple_level(variant=3), title='Theirs')
    f = r['result']['design']['id']

    # a comment: the creator's two connections are told, the commenter is not
    await fan.ok('comment.post', design=d, text='Great level!')
    for c in (maker, maker2):
        ev = await c.event('notice', pred=lambda e: e['notice']['kind'] == 'comment')
        n = ev['notice']
        assert n['design'] == d and n['actor'] == fan.account['id'] and \
            n['text'] == 'Great level!' and n['contest'] == 'open', n
    await maker.ok('comment.post', design=d, text='Thanks')  # one's own: no notice
    # A notice is pushed before the reply to the request that made it: whatever these
    # two comments told anyone was sent before the next comment is asked for, so that
    # one's notice is a barrier. The fan hears of the maker's comment on the fan's own
    # design, and of nothing before it ...
    await maker.ok('comment.post', design=f, text='Yours too')
    await fan.no_event_until('notice', 'notice', pred=lambda e: e['notice']['design'] == f and
                             e['notice']['kind'] == 'comment' and
                             e['notice']['actor'] == maker.account['id'])
    await brand.ok('comment.post', design=d, text='We love it')
    # ... and the maker (both connections) hears of the official comment, and of nothing
    # before it (its own comments, on its design and on the fan's)
    for c in (maker, maker2):
        ev = await c.no_event_until('notice', 'notice',
                                    pred=lambda e: e['notice']['kind'] == 'official')
    # a status move with the public note
    await brand.ok('design.set_status', design=d, status='shortlisted', note='On our list')
    ev = await maker.event('notice', pred=lambda e: e['notice']['kind'] == 'status')
    assert ev['notice']['text'] == 'On our list' and ev['notice']['status'] == 'shortlisted'
    assert ev['notice']['note'] == 'On our list'
    # a milestone at 10 supports, once; the design object shows it ("milestone": 10)
    # to a gallery window that holds it (sent whole again: its data changed) and to a
    # watcher, though no vote comes after the clock's milestone record
    viewer = await Client.connect(srv)
    win = await viewer.ok('gallery.subscribe', sort='new', limit=100)
    assert d in [x['id'] for x in win['items']]
    await viewer.ok('design.watch', design=d)
    voters = [await register(srv, f'voter{i}') for i in range(10)]
    for v in voters:
        await v.ok('vote.cast', design=d, value=1)
    ev = await maker.event('notice', pred=lambda e: e['notice']['kind'] == 'milestone')
    assert ev['notice']['supports'] == 10, ev
    await viewer.event('gallery.update', pred=lambda e: any(
        x['id'] == d and x.get('milestone') == 10 and 'title' in x for x in e['items']))
    await viewer.event('design.update', pred=lambda e: e['design'].get('milestone') == 10)
    await viewer.close()
    await voters[0].ok('vote.clear', design=d)
    await voters[0].ok('vote.cast', design=d, value=1)
    # a threshold in a threshold contest
    await brand.ok('contest.create', slug='lego', title='Ideas', kind='level', scale='heart',
                   threshold=2)
    t = (await maker.upload('level', simple_level(variant=2), title='T',
                            contest='lego'))['result']['design']['id']
    await voters[1].ok('vote.cast', design=t, value=1)
    await voters[2].ok('vote.cast', design=t, value=1)
    ev = await maker.event('notice', pred=lambda e: e['notice']['kind'] == 'threshold')
    assert ev['notice']['design'] == t and ev['notice']['supports'] == 2

    # the list: newest first, exactly these, unread counted
    got = await maker.ok('notice.list')
    kinds = [n['kind'] for n in got['items']]
    assert kinds == ['threshold', 'milestone', 'status', 'official', 'comment'], kinds
    assert got['unread'] == 5 and not got['more']
    page = await maker.ok('notice.list', limit=2)
    assert len(page['items']) == 2 and page['more']
    rest = await maker.ok('notice.list', before=page['items'][-1]['id'], limit=100)
    assert [n['kind'] for n in rest['items']] == kinds[2:]
    await maker.err('notice.list', 'bad_args', limit=101)
    for before in ('abc', '0', '12x'):  # an id or nothing (it was read as "newest")
        e = await maker.err('notice.list', 'bad_args', before=before)
        assert e['detail']['field'] == 'before', e
    await maker.err('notice.read', 'bad_args', upto='x')
    assert [(n['kind'], n['design']) for n in (await fan.ok('notice.list'))['items']] == \
        [('comment', f)]  # only the barrier's
    anon = await Client.connect(srv)
    await anon.err('notice.list', 'unauthorized')
    # read up to the status notice: two remain unread; the mark never moves back
    status_id = [n['id'] for n in got['items'] if n['kind'] == 'status'][0]
    assert (await maker.ok('notice.read', upto=status_id))['unread'] == 2
    assert (await maker.ok('notice.read', upto=got['items'][-1]['id']))['unread'] == 2
    for c in [brand, maker, maker2, fan, anon] + voters:
        await c.close()

    srv.kill9()
    srv.start()
    again = await Client.connect(srv)
    res = await again.ok('auth.login', token=maker.token)
    assert res['unread'] == 2, res
    assert [n['kind'] for n in (await again.ok('notice.list'))['items']] == kinds
    await again.close()
    srv.stop()
    await phases()
    print('notices: ok (status, comment, official, milestone once, threshold; live to every '
          'connection; list, paging, read mark, unread at login; after kill -9)')


run(main)
