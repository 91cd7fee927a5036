"""Integration test of comments and rate limits (SPEC §2, §4, §6).

Comments: comment.post / comment.list with every text rule at and past its limit
(length in Unicode scalar values with 1-, 2- and 4-byte characters, control
characters, blank text), invalid UTF-8 in raw frames and in escapes refused as
bad_args naming the field, the official flag of brand authors, newest-first order
with `before` cursors and `limit` at and past 100, comments in every phase (closed
included), comments of hidden designs only
for their creator and the brand, design.watch pushing new comments, the comment
count in design.get and galleries, and durability across a restart.

Rate limits: refusal with retry_after per kind (registrations, uploads, votes,
comments, failed logins), per account and per address (two accounts on one address, a second
loopback address), rounding up, recovery when the test clock moves, brand accounts
unlimited, the bounded bucket table and idle expiry, --no-rate-limits, bad flags."""
import subprocess

from harness import COCREATED, Client, Server, register, run, simple_level

T0 = 1_800_000_000  # the test clock's start (any fixed time)


async def brand_client(srv, **kw):
    """A client logged in as the server's brand account `acme` (made on first use)."""
    if not hasattr(srv, 'brand'):
        srv.brand = srv.make_brand('acme')
    c = await Client.connect(srv, **kw)
    res = await c.ok('auth.login', token=srv.brand)
    assert res['account']['role'] == 'brand', res
    return c


async def connect_from(srv, addr):
    """A client whose connection comes from loopback address addr."""
    return await Client.connect(srv, local_addr=(addr, 0))


async def register_from(srv, name, addr='127.0.0.1'):
    c = await connect_from(srv, addr)
    res = await c.ok('auth.register', name=name)
    c.account, c.token = res['account'], res['token']
    return c


async def clock_ms(c, ms):
    assert (await c.ok('test.clock', now_ms=ms))['now_ms'] == ms


async def design_of(c, variant):
    r = await c.upload('level', simple_level(variant=variant), title=f'Level {variant}')
    assert r['ok'], r
    return r['result']['design']['id']


async def raw(c, rid, frame):
    """Sends frame (bytes) as one text frame, whatever its bytes, and returns the reply."""
    await c.ws.write_frame(True, 0x1, frame)
    return await c.reply(rid)


def field_error(r, code, field):
    assert r['ok'] is False and r['error']['code'] == code, r
    if field:
        assert r['error']['detail']['field'] == field, r


# ---------------------------------------------------------------- comments

async def text_rules(c, d):
    async def bad(text, why=None):
        e = await c.err('comment.post', 'bad_args', design=d, text=text)
        assert e['detail']['field'] == 'text', (text, e)
        if why:
            assert why in e['message'], (text, e)

    async def good(text):
        res = await c.ok('comment.post', design=d, text=text)
        assert res['comment']['text'] == text, (text[:20], res)

    e = await c.err('comment.post', 'bad_args', design=d)
    assert e['detail']['field'] == 'text', e
    for v in (123, ['x'], {'a': 1}, True):
        await bad(v)
    await bad('', 'characters')
    # length in Unicode scalar values: 1-, 2- and 4-byte UTF-8 (the last as a JSON
    # surrogate pair: json.dumps escapes it)
    for ch in ('x', 'é', '€', '😀'):
        await good(ch)
        await good(ch * 2000)
        await bad(ch * 2001, '2000 characters')
    await bad('x' * 40000, '2000 characters')
    # control characters: tab and newlines are text, the rest are refused
    await good('line one\nline two\r\n\ttabbed')
    for ch in ('\x01', '\x1b', '\x7f', '\x85', '\x9f'):
        await bad(f'a{ch}b', 'control')
    await good('a\u00a0b\u200bc')  # no-break and zero-width space are not controls
    for blank in (' ', '   \n\t \r\n'):
        await bad(blank, 'white space')
    await good(' padded ')
    # the design argument
    e = await c.err('comment.post', 'not_found', design='999999', text='hi')
    assert e['detail']['field'] == 'design', e
    e = await c.err('comment.post', 'bad_args', text='hi')
    assert e['detail']['field'] == 'design', e


async def invalid_utf8(c, d):
    """Text frames whose bytes are not valid UTF-8 (jansson refuses the whole frame):
    the server names the argument that holds them."""
    rid = 1_000_000
    bad_raw = [b'\xc0\xaf', b'\xc1\xbf', b'\xe0\x80\xaf', b'\xf0\x80\x80\xaf',  # overlong
               b'\xed\xa0\x80', b'\xed\xbf\xbf',  # UTF-16 surrogates encoded
               b'\xf4\x90\x80\x80', b'\xf7\xbf\xbf\xbf', b'\xf8\x88\x80\x80\x80',  # > U+10FFFF
               b'\x80', b'\xbf', b'\xe2\x82', b'\xf0\x9f\x98', b'\xff', b'\xfe']  # stray, cut
    bad_esc = [b'\\ud800', b'\\udbff', b'\\udc00', b'\\udfff', b'\\ud800\\u0041',
               b'\\udc00\\ud800', b'\\u0000', b'a\\u0000b']
    for bad in bad_raw + [b'ok ' + bad_raw[0] + b' ok'] + bad_esc:
        rid += 1
        frame = (b'{"id":%d,"op":"comment.post","design":"%s","text":"a' % (rid, d.encode())
                 + bad + b'"}')
        r = await raw(c, rid, frame)
        field_error(r, 'bad_args', 'text')
        assert 'UTF-8' in r['error']['message'], r
    # the same bytes in another argument name that one
    rid += 1
    r = await raw(c, rid, b'{"id":%d,"op":"comment.post","design":"1\xff","text":"hi"}' % rid)
    field_error(r, 'bad_args', 'design')
    rid += 1
    r = await raw(c, rid, b'{"id":%d,"op":"comment.list","design":"%s","before":"\\ud800"}'
                  % (rid, d.encode()))
    field_error(r, 'bad_args', 'before')
    # ... but in a name, or outside any string, the frame is bad JSON (no id to answer)
    for frame in (b'{"id":7,"op":"comment.post","design":"1","te\xffxt":"hi"}',
                  b'{"id":7,"op":"comment.post","design":"1","text":"hi"}\xff',
                  b'{"id":7,"op":"comment.post","design":"1","text":"hi\xff}'):
        await c.ws.write_frame(True, 0x1, frame)
        m = await c.orphan()
        assert m['id'] is None and m['error']['code'] == 'bad_json', (frame, m)
    # anonymous: the login check comes first
    anon = await Client.connect(c.srv)
    rid += 1
    r = await raw(anon, rid, b'{"id":%d,"op":"comment.post","design":"1","text":"\xff"}' % rid)
    field_error(r, 'unauthorized', None)
    await anon.close()
    # valid raw UTF-8 of every length, and a valid surrogate pair escape, are text
    rid += 1
    r = await raw(c, rid, b'{"id":%d,"op":"comment.post","design":"%s","text":"a\xc3\xa9\xe2'
                  b'\x82\xac\xf0\x9f\x98\x80\\ud83d\\ude00"}' % (rid, d.encode()))
    assert r['ok'] and r['result']['comment']['text'] == 'aé€😀😀', r
    rid += 1
    r = await raw(c, rid, b'{"id":%d,"op":"comment.post","design":"%s","text":"%s"}'
                  % (rid, d.encode(), '😀'.encode() * 2000))
    assert r['ok'], r
    rid += 1
    r = await raw(c, rid, b'{"id":%d,"op":"comment.post","design":"%s","text":"%s"}'
                  % (rid, d.encode(), '😀'.encode() * 2001))
    field_error(r, 'bad_args', 'text')
    assert (await c.ok('hello'))['server'] == 'cocreated'


async def objects_and_official(srv, ann, bob, brand, d):
    before = (await bob.ok('design.get', design=d))['design']['comments']
    await bob.ok('test.clock', now=T0 + 5)
    m = (await bob.ok('comment.post', design=d, text='Love the spikes'))['comment']
    assert set(m) == {'id', 'design', 'author', 'author_name', 'text', 'created', 'official'}, m
    assert m['design'] == d and m['author'] == bob.account['id'], m
    assert m['author_name'] == 'bob' and m['official'] is False and m['created'] == T0 + 5, m
    assert isinstance(m['id'], str) and int(m['id']) > 0, m
    o = (await brand.ok('comment.post', design=d, text='Thanks! Shortlisting soon.'))['comment']
    assert o['official'] is True and o['author_name'] == 'acme', o
    own = (await ann.ok('comment.post', design=d, text='Thank you all'))['comment']
    assert own['official'] is False and own['author'] == ann.account['id'], own
    assert int(m['id']) < int(o['id']) < int(own['id'])
    page = (await bob.ok('comment.list', design=d, limit=3))
    assert [x['id'] for x in page['comments']] == [own['id'], o['id'], m['id']], page
    assert page['comments'][1] == o, page
    got = (await bob.ok('design.get', design=d))['design']
    assert got['comments'] == before + 3, got
    # anonymous readers may list; posting needs an account
    anon = await Client.connect(srv)
    assert (await anon.ok('comment.list', design=d, limit=1))['comments'][0] == own
    await anon.err('comment.post', 'unauthorized', design=d, text='hi')
    await anon.close()


async def ordering_and_cursors(bob, carl, d, other):
    """130 comments on d interleaved with others on `other`: pages newest first,
    cursors walk them all exactly once, and limits hold at and past 100."""
    mine = []
    for i in range(130):
        author = bob if i % 2 else carl
        mine.append((await author.ok('comment.post', design=d, text=f'#{i}'))['comment'])
        if i % 10 == 0:
            await bob.ok('comment.post', design=other, text=f'elsewhere {i}')
    ids = [m['id'] for m in reversed(mine)]
    page = await bob.ok('comment.list', design=d)
    assert [x['id'] for x in page['comments']] == ids[:24] and page['more'] is True, page
    page = await bob.ok('comment.list', design=d, limit=100)
    assert [x['id'] for x in page['comments']] == ids[:100] and page['more'] is True
    page = await bob.ok('comment.list', design=d, limit=100, before=ids[99])
    assert [x['id'] for x in page['comments']] == ids[100:] and page['more'] is False
    for limit in (0, 101, -1, 'ten', 1.5):
        e = await bob.err('comment.list', 'bad_args', design=d, limit=limit)
        assert e['detail']['field'] == 'limit', e
    for before in ('x', '', '0', '-3', 17):
        e = await bob.err('comment.list', 'bad_args', design=d, before=before)
        assert e['detail']['field'] == 'before', e
    # walk with pages of 7: every comment once, in order, `more` false only at the end
    seen, cursor = [], None
    while True:
        args = dict(design=d, limit=7)
        if cursor:
            args['before'] = cursor
        page = await bob.ok('comment.list', **args)
        seen += [x['id'] for x in page['comments']]
        assert all(x['design'] == d for x in page['comments'])
        if not page['more']:
            break
        cursor = page['comments'][-1]['id']
    assert seen == ids, (len(seen), len(ids))
    assert (await bob.ok('comment.list', design=d, before=ids[-1]))['comments'] == []
    # a cursor past the newest, exactly at the limit, and on a design without comments
    newest = await bob.ok('comment.list', design=d, before=str(int(ids[0]) + 10**6), limit=1)
    assert [x['id'] for x in newest['comments']] == ids[:1] and newest['more'] is True
    last = await bob.ok('comment.list', design=d, before=ids[-2], limit=1)
    assert [x['id'] for x in last['comments']] == ids[-1:] and last['more'] is False, last
    assert (await bob.ok('design.get', design=d))['design']['comments'] == 130
    return ids


async def watchers(srv, bob, d, other):
    w = await Client.connect(srv)
    w2 = await Client.connect(srv)
    base = (await w.ok('design.watch', design=d))['design']
    await w2.ok('design.watch', design=other)
    m = (await bob.ok('comment.post', design=d, text='first for the watchers'))['comment']
    ev = await w.event('design.update', pred=lambda e: 'comments_new' in e)
    assert ev['comments_new'] == [m], ev
    assert ev['design']['id'] == d and ev['design']['comments'] == base['comments'] + 1, ev
    # a burst: every comment arrives, each once, newest first within an event
    sent = [(await bob.ok('comment.post', design=d, text=f'burst {i}'))['comment']
            for i in range(5)]
    got = []
    while len(got) < 5:
        ev = await w.event('design.update', pred=lambda e: 'comments_new' in e)
        batch = ev['comments_new']
        assert [int(x['id']) for x in batch] == sorted((int(x['id']) for x in batch),
                                                       reverse=True), batch
        got += reversed(batch)
        assert 'comments_gap' not in ev, ev
    assert got == sent, (got, sent)
    assert ev['design']['comments'] == base['comments'] + 6, ev
    # the watcher of another design heard none of it: a watch's flush sends to all its
    # watchers at once, so w having had the last comment's, whatever d's flushes sent
    # w2 was sent before a comment on w2's design is asked for; that one's event, after
    # them on w2's connection, is the barrier
    o = (await bob.ok('comment.post', design=other, text='for the other watcher'))['comment']
    await w2.no_event_until('design.update', 'design.update',
                            pred=lambda e: e['design']['id'] == other and
                            e.get('comments_new') == [o])
    # 150 comments pipelined: every event carries at most 100, newest first; when
    # some never came, an event said so (comments_gap); the newest always comes
    rids = [await bob.send('comment.post', design=d, text=f'flood {i}') for i in range(150)]
    flood = [(await bob.reply(rid))['result']['comment'] for rid in rids]
    got, gap = [], False
    while not got or got[-1] != flood[-1]:
        ev = await w.event('design.update', pred=lambda e: 'comments_new' in e)
        batch = ev['comments_new']
        assert 1 <= len(batch) <= 100, len(batch)
        assert [int(x['id']) for x in batch] == sorted((int(x['id']) for x in batch),
                                                       reverse=True), batch
        if ev.get('comments_gap'):
            assert ev['comments_gap'] is True and len(batch) == 100, ev
            gap = True
        got += reversed(batch)
    assert all(g in flood for g in got) and len(set(x['id'] for x in got)) == len(got)
    assert len(got) == 150 or gap, (len(got), gap)
    assert ev['design']['comments'] == base['comments'] + 156, ev
    # galleries show the count too
    g = await w.ok('gallery.get', sort='new', limit=100)
    item = next(x for x in g['items'] if x['id'] == d)
    assert item['comments'] == base['comments'] + 156, item
    await w.close()
    await w2.close()


async def phases(srv, ann, bob, brand):
    """Comments are open in every phase, closed included (votes are not)."""
    await brand.ok('contest.create', slug='tees', title='Tees', kind='level', scale='heart',
                   submit_open=T0 + 10, submit_close=T0 + 20, vote_close=T0 + 30)
    await ann.ok('test.clock', now=T0 + 10)
    r = await ann.upload('level', simple_level(variant=40), contest='tees')
    assert r['ok'], r
    d = r['result']['design']['id']
    for t, phase in ((T0 + 10, 'submissions'), (T0 + 20, 'voting'), (T0 + 30, 'judging')):
        await ann.ok('test.clock', now=t)
        assert (await bob.ok('contest.get', contest='tees'))['contest']['phase'] == phase
        await bob.ok('comment.post', design=d, text=f'in {phase}')
    await brand.ok('contest.update', contest='tees', closed=True)
    await bob.err('vote.cast', 'closed', design=d, value=1)
    await bob.ok('comment.post', design=d, text='in closed')
    await brand.ok('comment.post', design=d, text='Congratulations to the winners!')
    page = await bob.ok('comment.list', design=d)
    assert [x['text'] for x in page['comments']] == [
        'Congratulations to the winners!', 'in closed', 'in judging', 'in voting',
        'in submissions'], page


async def hidden(srv, d):
    """Comments of a hidden design: its creator and the brand see and post them,
    members and anonymous readers get not_found, and watchers who may not see it get
    no events."""
    ann = await Client.connect(srv)
    await ann.ok('auth.login', token=srv.tokens['ann'])
    bob = await Client.connect(srv)
    await bob.ok('auth.login', token=srv.tokens['bob'])
    brand = await brand_client(srv)
    anon = await Client.connect(srv)
    # bob and an anonymous reader watch it while it is visible, then the brand hides it
    for c in (bob, anon):
        await c.ok('design.watch', design=d)
    await brand.ok('design.hide', design=d, hidden=True)
    for c in (bob, anon):
        e = await c.err('comment.list', 'not_found', design=d)
        assert e['detail']['field'] == 'design', e
        await c.err('design.get', 'not_found', design=d)
    e = await bob.err('comment.post', 'not_found', design=d, text='can I?')
    assert e['detail']['field'] == 'design', e
    await anon.err('comment.post', 'unauthorized', design=d, text='can I?')
    n = (await ann.ok('design.get', design=d))['design']['comments']
    await ann.ok('design.watch', design=d)
    await brand.ok('design.watch', design=d)
    m1 = (await ann.ok('comment.post', design=d, text='only we can see this'))['comment']
    m2 = (await brand.ok('comment.post', design=d, text='under review'))['comment']
    assert m2['official'] is True
    page = await brand.ok('comment.list', design=d, limit=2)
    assert [x['id'] for x in page['comments']] == [m2['id'], m1['id']], page
    assert (await ann.ok('design.get', design=d))['design']['comments'] == n + 2
    for c in (ann, brand):
        got = []
        while len(got) < 2:
            ev = await c.event('design.update', pred=lambda e: 'comments_new' in e)
            got += [x['id'] for x in ev['comments_new']]
        assert sorted(got) == sorted([m1['id'], m2['id']]), got
    # shown again: everyone sees every comment, the hidden-time ones included
    await brand.ok('design.hide', design=d, hidden=False)
    # bob's and anon's watches heard nothing while d was hidden. An event showing
    # hidden: false is built by a flush of d's watch after the unhide; every flush while
    # it was hidden (the hide's, the comments') came before, and a connection's events
    # leave in order: that event is the barrier
    for c in (bob, anon):
        await c.no_event_until('design.update', 'design.update',
                               pred=lambda e: e['design']['id'] == d and
                               e['design']['hidden'] is False)
    page = await anon.ok('comment.list', design=d, limit=2)
    assert [x['id'] for x in page['comments']] == [m2['id'], m1['id']], page
    m3 = (await bob.ok('comment.post', design=d, text='back again'))['comment']
    ev = await bob.event('design.update', pred=lambda e: 'comments_new' in e)
    assert ev['comments_new'] == [m3], ev
    for c in (ann, bob, brand, anon):
        await c.close()


async def comments_suite():
    srv = Server(['--test-clock'])
    srv.tokens = {}
    ann = await register(srv, 'ann')
    bob = await register(srv, 'bob')
    carl = await register(srv, 'carl')
    for c in (ann, bob, carl):
        srv.tokens[c.account['name']] = c.token
        c.srv = srv
    brand = await brand_client(srv)
    await ann.ok('test.clock', now=T0)
    d1, d2, d3 = [await design_of(ann, v) for v in (1, 2, 3)]
    assert (await bob.ok('design.get', design=d1))['design']['comments'] == 0
    await text_rules(bob, d3)
    await invalid_utf8(bob, d3)
    await objects_and_official(srv, ann, bob, brand, d1)
    ids = await ordering_and_cursors(bob, carl, d2, d1)
    await watchers(srv, bob, d2, d1)
    await phases(srv, ann, bob, brand)
    counts = {d: (await bob.ok('design.get', design=d))['design']['comments']
              for d in (d1, d2, d3)}
    lists = {d: (await bob.ok('comment.list', design=d, limit=100)) for d in (d1, d2, d3)}
    for c in (ann, bob, carl, brand):
        await c.close()

    # durability: everything acknowledged is there after a restart, counts included
    srv.restart()
    c = await Client.connect(srv)
    for d in (d1, d2, d3):
        assert (await c.ok('design.get', design=d))['design']['comments'] == counts[d], d
        assert await c.ok('comment.list', design=d, limit=100) == lists[d], d
    assert counts[d2] == 286, counts
    await c.ok('auth.login', token=srv.tokens['bob'])
    m = (await c.ok('comment.post', design=d2, text='after the restart'))['comment']
    assert int(m['id']) > max(int(x['id']) for x in lists[d1]['comments'] + lists[d2]['comments'])
    assert (await c.ok('design.get', design=d2))['design']['comments'] == counts[d2] + 1
    await c.close()
    # and after a kill -9 (the acknowledged comment above is on disk)
    srv.kill9()
    srv.start()
    c = await Client.connect(srv)
    assert (await c.ok('comment.list', design=d2, limit=1))['comments'][0] == m
    await c.close()

    await hidden(srv, d1)
    srv.stop()
    print(f'comments: rules, UTF-8, order over {len(ids)}, cursors, watchers, hidden, '
          'restart: ok')


# ---------------------------------------------------------------- rate limits

RATE_ARGS = ['--test-clock', '--rate-registrations', '3/1m', '--rate-uploads', '2/1h,3/1h',
             '--rate-votes', '3/10s,5/10s', '--rate-comments', '2/1m,3/1m',
             '--rate-logins', 'off,3/1m']


def limited(r, kind, scope, retry_after):
    assert r['ok'] is False and r['error']['code'] == 'rate_limited', r
    det = r['error']['detail']
    assert det == {'retry_after': retry_after, 'kind': kind, 'scope': scope}, r
    assert str(retry_after) in r['error']['message'], r


async def registrations(srv, t):
    """3/1m per address: a token every 20 s."""
    c = await connect_from(srv, '127.0.0.1')
    await clock_ms(c, t)
    for name in ('reg1', 'reg2', 'reg3'):
        await c.ok('auth.register', name=name)
    limited(await c.call('auth.register', name='reg4'), 'registrations', 'address', 20)
    # a refusal takes nothing: asking again says the same
    limited(await c.call('auth.register', name='reg4'), 'registrations', 'address', 20)
    # bad arguments are answered before the limit is asked
    e = await c.err('auth.register', 'bad_args', name='x')
    assert e['detail']['field'] == 'name'
    # rounding up: 0.5 s left is 1 s
    await clock_ms(c, t + 19_500)
    limited(await c.call('auth.register', name='reg4'), 'registrations', 'address', 1)
    await clock_ms(c, t + 19_999)
    limited(await c.call('auth.register', name='reg4'), 'registrations', 'address', 1)
    await clock_ms(c, t + 20_000)
    await c.ok('auth.register', name='reg4')
    limited(await c.call('auth.register', name='reg5'), 'registrations', 'address', 20)
    # another address has its own bucket
    other = await connect_from(srv, '127.0.0.2')
    for name in ('sec1', 'sec2', 'sec3'):
        await other.ok('auth.register', name=name)
    limited(await other.call('auth.register', name='sec4'), 'registrations', 'address', 20)
    # a full minute refills the bucket to 3, no more
    await clock_ms(c, t + 80_000)
    for name in ('reg5', 'reg6', 'reg7'):
        await c.ok('auth.register', name=name)
    limited(await c.call('auth.register', name='reg8'), 'registrations', 'address', 20)
    await c.close()
    await other.close()


async def uploads(srv, t):
    """2/1h per account, 3/1h per address (counted at upload.begin)."""
    a = await register_from(srv, 'up_a', '127.0.0.5')
    b = await register_from(srv, 'up_b', '127.0.0.5')
    await clock_ms(a, t)
    lvl = simple_level(variant=77)

    async def begin(c):
        return await c.call('upload.begin', kind='level', title='t', bytes=len(lvl),
                            sha256='0' * 64)

    for _ in range(2):
        r = await begin(a)
        assert r['ok'], r
        await a.ok('upload.abort', upload=r['result']['upload'])
    limited(await begin(a), 'uploads', 'account', 1800)
    r = await begin(b)
    assert r['ok'], r
    await b.ok('upload.abort', upload=r['result']['upload'])
    # b's own bucket has a token left, the address has none: 3 per hour = one in 20 min
    limited(await begin(b), 'uploads', 'address', 1200)
    await clock_ms(a, t + 1_200_000)
    r = await b.upload('level', lvl)
    assert r['ok'], r
    # both of a's buckets are empty now: the reply names the longer wait
    limited(await begin(a), 'uploads', 'address', 1200)
    for c in (a, b):
        await c.close()


async def votes(srv, t):
    """3/10s per account, 5/10s per address; vote.clear counts as a vote."""
    creator = await register_from(srv, 'maker', '127.0.0.3')
    other = await register_from(srv, 'maker2', '127.0.0.3')
    await clock_ms(creator, t)
    ds = [await design_of(creator, 11), await design_of(creator, 12),
          await design_of(other, 13)]
    v1 = await register_from(srv, 'voter1', '127.0.0.4')
    v2 = await register_from(srv, 'voter2', '127.0.0.4')
    await v1.ok('vote.cast', design=ds[0], value=1)
    await v1.ok('vote.clear', design=ds[0])
    await v1.ok('vote.cast', design=ds[1], value=1)
    # 10 s / 3 tokens = 3.33 s to the next one: 4 s
    limited(await v1.call('vote.cast', design=ds[2], value=1), 'votes', 'account', 4)
    limited(await v1.call('vote.clear', design=ds[1]), 'votes', 'account', 4)
    # voter2 on the same address: the address has 2 of its 5 left
    await v2.ok('vote.cast', design=ds[0], value=1)
    await v2.ok('vote.cast', design=ds[1], value=1)
    limited(await v2.call('vote.cast', design=ds[2], value=1), 'votes', 'address', 2)
    # refused requests changed nothing
    t0 = (await v2.ok('design.get', design=ds[2]))['design']['tally']
    assert t0['votes'] == 0, t0
    # 2 s: the address has a token again, voter1's account still waits 1.33 s → 2 s
    await clock_ms(v1, t + 2000)
    limited(await v1.call('vote.cast', design=ds[2], value=1), 'votes', 'account', 2)
    await v2.ok('vote.cast', design=ds[2], value=1)
    await clock_ms(v1, t + 4000)
    await v1.ok('vote.cast', design=ds[2], value=1)
    # a vote the server refuses for another reason takes no token
    await creator.err('vote.cast', 'forbidden', design=ds[0], value=1)
    for c in (creator, other, v1, v2):
        await c.close()


async def comments_and_brand(srv, t):
    """2/1m per account, 3/1m per address; the brand is never limited."""
    maker = await register_from(srv, 'cmaker', '127.0.0.6')
    await clock_ms(maker, t)
    d = await design_of(maker, 21)
    x = await register_from(srv, 'cmx', '127.0.0.7')
    y = await register_from(srv, 'cmy', '127.0.0.7')
    for i in range(2):
        await x.ok('comment.post', design=d, text=f'x{i}')
    limited(await x.call('comment.post', design=d, text='x2'), 'comments', 'account', 30)
    await x.err('comment.post', 'bad_args', design=d, text='')  # checked before the limit
    await y.ok('comment.post', design=d, text='y0')
    limited(await y.call('comment.post', design=d, text='y1'), 'comments', 'address', 20)
    brand = await brand_client(srv, local_addr=('127.0.0.7', 0))
    for i in range(10):
        await brand.ok('comment.post', design=d, text=f'official {i}')
    limited(await y.call('comment.post', design=d, text='y1'), 'comments', 'address', 20)
    await clock_ms(maker, t + 30_000)
    await x.ok('comment.post', design=d, text='x2')
    assert (await x.ok('design.get', design=d))['design']['comments'] == 14
    for c in (maker, x, y, brand):
        await c.close()


async def logins(srv, t):
    """Failed logins, 3/1m per address (issue 13): three wrong tokens, then every login
    from that address is refused unchecked, a right token too, until a token is back;
    logins that succeed take nothing."""
    owner = await register_from(srv, 'login_ok', '127.0.0.9')
    c = await connect_from(srv, '127.0.0.9')
    await clock_ms(c, t)
    for _ in range(5):
        await c.ok('auth.login', token=owner.token)
    for _ in range(3):
        await c.err('auth.login', 'unauthorized', token='not-a-token')
    limited(await c.call('auth.login', token='not-a-token'), 'logins', 'address', 20)
    limited(await c.call('auth.login', token=owner.token), 'logins', 'address', 20)
    # bad arguments are answered before the limit is asked
    e = await c.err('auth.login', 'bad_args', token='')
    assert e['detail']['field'] == 'token', e
    other = await connect_from(srv, '127.0.0.10')
    await other.ok('auth.login', token=owner.token)
    await other.err('auth.login', 'unauthorized', token='not-a-token')
    await clock_ms(c, t + 20_000)
    await c.ok('auth.login', token=owner.token)
    await c.err('auth.login', 'unauthorized', token='not-a-token')
    limited(await c.call('auth.login', token=owner.token), 'logins', 'address', 20)
    for x in (owner, c, other):
        await x.close()


async def rate_suite():
    srv = Server(RATE_ARGS, rate_limits=True)
    c = await Client.connect(srv)
    rate = (await c.ok('hello'))['limits']['rate']
    assert rate == {
        'registrations': {'account': None, 'address': {'count': 3, 'period_s': 60}},
        'uploads': {'account': {'count': 2, 'period_s': 3600},
                    'address': {'count': 3, 'period_s': 3600}},
        'votes': {'account': {'count': 3, 'period_s': 10},
                  'address': {'count': 5, 'period_s': 10}},
        'comments': {'account': {'count': 2, 'period_s': 60},
                     'address': {'count': 3, 'period_s': 60}},
        'logins': {'account': None, 'address': {'count': 3, 'period_s': 60}}}, rate
    await c.close()
    hour = 3_600_000
    t = T0 * 1000
    await registrations(srv, t)
    await uploads(srv, t + 2 * hour)
    await votes(srv, t + 4 * hour)
    await comments_and_brand(srv, t + 6 * hour)
    await logins(srv, t + 8 * hour)
    assert srv.metric('cocreate_errors_total{code="rate_limited"}') >= 15
    for kind in ('registrations', 'uploads', 'votes', 'comments', 'logins'):
        assert srv.metric(f'cocreate_rate_limited_total{{kind="{kind}"}}') >= 2, kind
    srv.stop()

    # the defaults (the production values of docs/protocol.md) allow the demo's 48
    # uploads from 4 accounts on one address, and a person's quick voting
    srv = Server(['--test-clock'], rate_limits=True)
    c = await Client.connect(srv)
    rate = (await c.ok('hello'))['limits']['rate']
    assert rate['votes']['account'] == {'count': 120, 'period_s': 60}, rate
    assert rate['logins'] == {'account': {'count': 10, 'period_s': 60},
                              'address': {'count': 30, 'period_s': 60}}, rate
    # failed logins: 30 a minute from one address are answered, the 31st is refused
    for _ in range(30):
        await c.err('auth.login', 'unauthorized', token='guess')
    limited(await c.call('auth.login', token='guess'), 'logins', 'address', 2)
    await c.close()
    creators = [await register(srv, f'demo{i}') for i in range(4)]
    ds = []
    for i in range(48):
        ds.append(await design_of(creators[i % 4], 100 + i))
    voter = await register(srv, 'quick')
    for d in ds:  # a whole gallery hearted in one go
        await voter.ok('vote.cast', design=d, value=1)
    for d in ds[:24]:  # and changed its mind on half of it
        await voter.ok('vote.clear', design=d)
    for c in creators + [voter]:
        await c.close()
    srv.stop()
    print('rate limits: every kind, account vs address, rounding, recovery, brand: ok')


async def bounded_table():
    """--rate-table 2: at most 2 buckets per limit however many addresses come, and
    buckets that are full again are dropped."""
    srv = Server(['--test-clock', '--rate-table', '2', '--rate-registrations', '2/1m'],
                 rate_limits=True)
    c = await Client.connect(srv)
    await clock_ms(c, T0 * 1000)
    for i in range(2, 9):
        r = await register_from(srv, f'addr{i}', f'127.0.0.{i}')
        await r.close()
        assert srv.metric('cocreate_rate_buckets') <= 2
    assert srv.metric('cocreate_rate_buckets') == 2
    # the newest address keeps its bucket: its second registration is its last
    r = await connect_from(srv, '127.0.0.8')
    await r.ok('auth.register', name='addr8b')
    limited(await r.call('auth.register', name='addr8c'), 'registrations', 'address', 30)
    # a minute on, every bucket is full again: the next request sweeps them out
    await clock_ms(c, T0 * 1000 + 61_000)
    await r.ok('auth.register', name='addr8c')
    assert srv.metric('cocreate_rate_buckets') == 1
    await r.close()
    await c.close()
    srv.stop()

    # --no-rate-limits (what the harness passes by default): nothing is counted
    srv = Server()
    c = await register(srv, 'flood')
    assert (await c.ok('hello'))['limits']['rate'] is False
    d = await design_of(c, 5)
    other = await register(srv, 'flood2')
    for i in range(150):
        await other.ok('comment.post', design=d, text=f'{i}')
        await other.ok('vote.cast', design=d, value=1)
    for i in range(40):
        await c.ok('auth.register', name=f'many{i}')
    for i in range(100):
        await other.err('auth.login', 'unauthorized', token=f'guess{i}')
    assert srv.metric('cocreate_rate_buckets') == 0
    assert srv.metric('cocreate_errors_total{code="rate_limited"}') == 0
    await c.close()
    await other.close()
    srv.stop()
    print('rate limits: bounded table, idle expiry, --no-rate-limits: ok')


def flags():
    bad = [('--rate-votes', '5/1m'), ('--rate-votes', '0/1m,1/1m'),
           ('--rate-votes', '1/1x,off'), ('--rate-votes', '1/0s,off'),
           ('--rate-comments', '1/1m,2/1m,3/1m'), ('--rate-registrations', '1/1m,1/1m'),
           ('--rate-uploads', 'x/1h,1/1h'), ('--rate-uploads', '1000001/1h,off'),
           ('--rate-votes', '1/8d,off'), ('--rate-table', '0'), ('--rate-table', 'many'),
           ('--rate-logins', '3/1m')]
    for args in bad:
        p = subprocess.run([COCREATED, *args, '--data', '/nonexistent/x'],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 2 and p.stderr.strip() and not p.stdout, (args, p)
    p = subprocess.run([COCREATED, '--help'], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0
    for text in ('--rate-votes', '120/1m,1200/1m', '--rate-registrations', '30/1h',
                 '--rate-uploads', '30/1h,100/1h', '--rate-comments', '10/1m,60/1m',
                 '--rate-logins', '10/1m,30/1m',
                 '--no-rate-limits', '--rate-table'):
        assert text in p.stdout, text
    print('rate limits: flags and --help: ok')


async def main():
    flags()
    await comments_suite()
    await rate_suite()
    await bounded_table()


run(main)
