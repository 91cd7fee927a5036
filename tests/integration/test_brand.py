"""The brand's side (issue 5): design.set_status along exactly SPEC §2's moves (every
allowed and refused move, notes at and past their limit, the timeline in design.get and
pushed to a watcher, status-filtered windows, phases), the threshold promotion at exactly
the threshold, creator points under cast / replace / clear / winner / hide (hand-computed),
creator.get and creator.top (order, limits), design.hide for anonymous, member, creator and
brand (galleries, design.get, HTTP, live removal), design.report rules, the audit log's
status / hide / threshold entries (and `cocreate verify` on them), and all of it again
after kill -9 and a restart."""
import asyncio
import json
import os
import subprocess

from harness import COCREATED, Client, Server, register, run, simple_level

STATUSES = ['submitted', 'shortlisted', 'winner', 'not_selected', 'in_production', 'launched']
ALLOWED = {('submitted', 'shortlisted'), ('submitted', 'not_selected'),
           ('shortlisted', 'winner'), ('shortlisted', 'not_selected'),
           ('winner', 'in_production'), ('in_production', 'launched')}
NOTE_MAX = 1000
REASON_MAX = 500
T0 = 2_000_000_000  # the test clock
CLI = os.environ.get('COCREATE_CLI', os.path.join(os.path.dirname(COCREATED), 'tools',
                                                  'cocreate'))


async def login(srv, token):
    c = await Client.connect(srv)
    c.account = (await c.ok('auth.login', token=token))['account']
    c.token = token
    return c


class Uploader:
    """Distinct small levels for every upload of a run."""

    def __init__(self):
        self.n = 0

    async def __call__(self, c, contest=None, title='D'):
        self.n += 1
        r = await c.upload('level', simple_level(variant=self.n), title=f'{title}{self.n}',
                           contest=contest)
        assert r['ok'], r
        return r['result']['design']['id']


async def get(c, design):
    return (await c.ok('design.get', design=design))['design']


async def points(c, account):
    return (await c.ok('creator.get', account=account))['account']['points']


def gallery_ids(res):
    return [x['id'] for x in res['items']]


# ---- the status workflow ----

async def workflow(srv, brand, up, st):
    ann = await register(srv, 'ann_b')
    bob = await register(srv, 'bob_b')
    anon = await Client.connect(srv)
    st['ann'], st['bob'] = ann.account, bob.account

    # who may move a status
    d = await up(ann)
    await anon.err('design.set_status', 'unauthorized', design=d, status='shortlisted')
    await bob.err('design.set_status', 'forbidden', design=d, status='shortlisted')
    await ann.err('design.set_status', 'forbidden', design=d, status='shortlisted')
    e = await brand.err('design.set_status', 'bad_args', design=d, status='approved')
    assert e['detail']['field'] == 'status'
    e = await brand.err('design.set_status', 'bad_args', design=d)
    assert e['detail']['field'] == 'status'
    e = await brand.err('design.set_status', 'not_found', design='999999', status='winner')
    assert e['detail']['field'] == 'design'

    # one design in every status, reached only along allowed moves
    at = {}
    at['submitted'] = await up(ann)
    paths = {'shortlisted': ['shortlisted'], 'winner': ['shortlisted', 'winner'],
             'not_selected': ['not_selected'],
             'in_production': ['shortlisted', 'winner', 'in_production'],
             'launched': ['shortlisted', 'winner', 'in_production', 'launched']}
    for target, path in paths.items():
        at[target] = await up(ann)
        for s in path:
            res = await brand.ok('design.set_status', design=at[target], status=s)
            assert res['design']['status'] == s, res
    sn = await up(ann)  # shortlisted → not_selected
    await brand.ok('design.set_status', design=sn, status='shortlisted')
    res = await brand.ok('design.set_status', design=sn, status='not_selected')
    assert res['design']['status'] == 'not_selected'
    assert [x['status'] for x in res['design']['timeline']] == ['submitted', 'shortlisted',
                                                                'not_selected']
    # every refused move (a status to itself included) is conflict naming from and to
    refused = 0
    for frm in STATUSES:
        for to in STATUSES:
            if (frm, to) in ALLOWED:
                continue
            e = await brand.err('design.set_status', 'conflict', design=at[frm], status=to)
            assert e['detail'] == {'from': frm, 'to': to}, e
            refused += 1
    assert refused == 36 - 6
    for frm in STATUSES:  # nothing moved
        assert (await get(anon, at[frm]))['status'] == frm
    # the allowed moves from a design in each status (fresh ones, so each is a first move)
    for frm, to in sorted(ALLOWED):
        x = await up(ann)
        for s in (paths.get(frm) or []):
            await brand.ok('design.set_status', design=x, status=s)
        res = await brand.ok('design.set_status', design=x, status=to)
        assert res['design']['status'] == to

    # notes: optional, 1–1000 characters, valid UTF-8; public in the timeline
    d = await up(ann)
    await brand.err('design.set_status', 'bad_args', design=d, status='shortlisted', note='')
    e = await brand.err('design.set_status', 'bad_args', design=d, status='shortlisted',
                        note='é' * (NOTE_MAX + 1))
    assert e['detail']['field'] == 'note'
    await brand.err('design.set_status', 'bad_args', design=d, status='shortlisted', note=5)
    await brand.send_raw('{"id":900001,"op":"design.set_status","design":"%s",'
                         '"status":"shortlisted","note":"bad \\udc80 half"}' % d)
    e = await brand.reply(900001)  # a lone surrogate: bad_args naming the argument
    assert e['error']['code'] == 'bad_args' and e['error']['detail']['field'] == 'note', e
    assert (await get(anon, d))['status'] == 'submitted'  # none of those moved it
    watcher = await Client.connect(srv)
    await watcher.ok('design.watch', design=d)
    long_note = 'é' * NOTE_MAX  # exactly at the limit (2000 bytes)
    await brand.ok('test.clock', now=T0 + 5)
    res = await brand.ok('design.set_status', design=d, status='shortlisted', note=long_note)
    tl = res['design']['timeline']
    assert tl[-1] == {'status': 'shortlisted', 'note': long_note, 'by': brand.account['id'],
                      'at': T0 + 5}, tl[-1]
    assert tl[0]['status'] == 'submitted' and tl[0]['by'] == ann.account['id']
    assert tl[0]['note'] is None
    ev = await watcher.event('design.update', pred=lambda e: e['design']['id'] == d)
    assert ev['design']['status'] == 'shortlisted' and ev['design']['timeline'] == tl, ev
    # the note everyone sees
    g = await get(anon, d)
    assert g['timeline'] == tl and g['status'] == 'shortlisted'
    res = await brand.ok('design.set_status', design=d, status='winner', note='We make it!')
    ev = await watcher.event('design.update',
                             pred=lambda e: e['design']['status'] == 'winner')
    assert ev['design']['timeline'][-1]['note'] == 'We make it!'
    st['noted'], st['noted_tl'] = d, res['design']['timeline']

    # a window filtered by status gains and loses designs as they move
    d2 = await up(ann)
    sub = await anon.ok('gallery.subscribe', sort='new', status='shortlisted', limit=100)
    before = sub['total']
    assert d2 not in gallery_ids(sub)
    await brand.ok('design.set_status', design=d2, status='shortlisted')
    ev = await anon.event('gallery.update', pred=lambda e: d2 in (e.get('order') or []))
    assert ev['total'] == before + 1
    await brand.ok('design.set_status', design=d2, status='not_selected')
    ev = await anon.event('gallery.update', pred=lambda e: e['total'] == before)
    assert d2 not in ev['order']
    res = await anon.ok('gallery.get', sort='new', status='not_selected', limit=100)
    assert d2 in gallery_ids(res)
    st['moved'] = {x: s for s, x in at.items()}
    st['moved_sub'] = at['submitted']
    await watcher.close()
    await anon.close()
    return ann, bob


async def phases(srv, brand, up, ann):
    """Status moves in any phase; once closed, only the production moves."""
    await brand.ok('test.clock', now=T0)
    await brand.ok('contest.create', slug='tees', title='Tees', kind='level', scale='heart',
                   submit_close=T0 + 100, vote_close=T0 + 200)
    a, b, c = [await up(ann, contest='tees') for _ in range(3)]
    await brand.ok('design.set_status', design=a, status='shortlisted')  # submissions
    await brand.ok('test.clock', now=T0 + 150)  # voting
    await brand.ok('design.set_status', design=b, status='not_selected')
    await brand.ok('test.clock', now=T0 + 250)  # judging
    await brand.ok('design.set_status', design=a, status='winner', note='Congratulations')
    await brand.ok('design.set_status', design=c, status='shortlisted')
    await brand.ok('contest.update', contest='tees', closed=True)
    e = await brand.err('design.set_status', 'closed', design=c, status='winner')
    assert e['detail']['phase'] == 'closed'
    res = await brand.ok('design.set_status', design=a, status='in_production')
    assert res['design']['status'] == 'in_production'
    res = await brand.ok('design.set_status', design=a, status='launched', note='In shops')
    assert [x['status'] for x in res['design']['timeline']] == [
        'submitted', 'shortlisted', 'winner', 'in_production', 'launched']


# ---- thresholds ----

async def thresholds(srv, brand, up, st):
    await brand.ok('test.clock', now=T0)
    await brand.ok('contest.create', slug='lego', title='Ideas', kind='level', scale='heart',
                   threshold=3)
    cre = await register(srv, 'cre_t')
    voters = [await register(srv, f'vt{i}') for i in range(4)]
    d = await up(cre, contest='lego')
    w = await Client.connect(srv)
    await w.ok('design.watch', design=d)
    for v in voters[:2]:
        await v.ok('vote.cast', design=d, value=1)
    g = await get(w, d)
    assert g['tally']['supports'] == 2 and g['status'] == 'submitted'  # threshold − 1
    await brand.ok('test.clock', now=T0 + 7)
    t = await voters[2].ok('vote.cast', design=d, value=1)
    assert t['tally']['supports'] == 3
    g = await get(w, d)  # the reply came after the commit that shortlisted it
    assert g['status'] == 'shortlisted', g
    assert g['timeline'][-1] == {'status': 'shortlisted', 'note': None, 'by': '0',
                                 'at': T0 + 7}, g['timeline']
    ev = await w.event('design.update', pred=lambda e: e['design']['status'] == 'shortlisted')
    assert ev['design']['timeline'][-1]['by'] == '0'
    # clearing a support afterwards does not un-shortlist; reaching it again adds nothing
    await voters[2].ok('vote.clear', design=d)
    await voters[0].ok('vote.clear', design=d)
    g = await get(w, d)
    assert g['tally']['supports'] == 1 and g['status'] == 'shortlisted'
    await voters[0].ok('vote.cast', design=d, value=1)
    await voters[2].ok('vote.cast', design=d, value=1)
    await voters[3].ok('vote.cast', design=d, value=1)
    g = await get(w, d)
    assert [x['status'] for x in g['timeline']] == ['submitted', 'shortlisted']
    assert g['tally']['supports'] == 4
    # the brand can still move it on, once submissions have closed (SPEC §7)
    e = await brand.err('design.set_status', 'closed', design=d, status='winner')
    assert e['detail']['phase'] == 'submissions', e
    await brand.ok('contest.update', contest='lego', submit_close=T0 + 7)
    await brand.ok('design.set_status', design=d, status='winner')
    st['lego'] = d

    # stars5: only 4–5 stars are supports; a threshold set after votes counts them too
    await brand.ok('contest.create', slug='stars', title='Stars', kind='level',
                   scale='stars5')
    s = await up(cre, contest='stars')
    await voters[0].ok('vote.cast', design=s, value=5)
    await voters[1].ok('vote.cast', design=s, value=3)
    await brand.ok('contest.update', contest='stars', threshold=2)
    await voters[1].ok('vote.cast', design=s, value=2)  # replaced, still no support
    await voters[2].ok('vote.cast', design=s, value=1)
    assert (await get(w, s))['status'] == 'submitted'
    await voters[0].ok('vote.cast', design=s, value=3)  # 5 → 3: one support less (0)
    await voters[1].ok('vote.cast', design=s, value=4)  # 1 support
    g = await get(w, s)
    assert g['tally']['supports'] == 1 and g['status'] == 'submitted'
    await voters[2].ok('vote.cast', design=s, value=5)  # 2 supports: the threshold
    g = await get(w, s)
    assert g['tally']['supports'] == 2 and g['status'] == 'shortlisted', g
    # a design the brand already moved on is not promoted again
    n = await up(cre, contest='stars')
    await brand.ok('design.set_status', design=n, status='not_selected')
    await voters[0].ok('vote.cast', design=n, value=5)
    await voters[1].ok('vote.cast', design=n, value=5)
    g = await get(w, n)
    assert g['status'] == 'not_selected' and len(g['timeline']) == 2
    st['stars'], st['stars_ns'] = s, n
    # six votes at once on a threshold of 5 (they share commits: the count is the
    # transaction's, not the catalog's): promoted once, by the fifth support
    await brand.ok('contest.create', slug='burst', title='Burst', kind='level',
                   scale='heart', threshold=5)
    crowd = [await register(srv, f'vb{i}') for i in range(6)]
    b = await up(cre, contest='burst')
    await asyncio.gather(*(v.ok('vote.cast', design=b, value=1) for v in crowd))
    g = await get(w, b)
    assert g['tally']['supports'] == 6 and g['status'] == 'shortlisted'
    assert [x['status'] for x in g['timeline']] == ['submitted', 'shortlisted']
    burst = log_entries(srv, 'burst')
    assert [e['type'] for e in burst] == ['vote'] * 5 + ['threshold', 'status', 'vote'], burst
    assert burst[5]['supports'] == 5
    for v in crowd:
        await v.close()
    # the open contest has no threshold
    o = await up(cre)
    for v in voters:
        await v.ok('vote.cast', design=o, value=1)
    assert (await get(w, o))['status'] == 'submitted'
    for c in voters + [w]:
        await c.close()
    return cre


# ---- points and the leaderboard ----

async def points_arith(srv, brand, up, st):
    pam = await register(srv, 'pam_p')
    voters = [await register(srv, f'vp{i}') for i in range(3)]
    anon = await Client.connect(srv)
    pid = pam.account['id']
    assert pam.account['points'] == 0
    assert await points(anon, pid) == 0
    a = await up(pam)
    assert await points(anon, pid) == 10
    b = await up(pam)
    assert await points(anon, pid) == 20
    await voters[0].ok('vote.cast', design=a, value=1)
    await voters[1].ok('vote.cast', design=a, value=1)
    await voters[2].ok('vote.cast', design=b, value=1)
    assert await points(anon, pid) == 23
    await voters[0].ok('vote.cast', design=a, value=1)  # replace with the same: nothing
    assert await points(anon, pid) == 23
    await voters[1].ok('vote.clear', design=a)
    await voters[1].ok('vote.clear', design=a)  # nothing to clear
    assert await points(anon, pid) == 22
    await brand.ok('design.set_status', design=a, status='shortlisted')
    assert await points(anon, pid) == 22
    await brand.ok('design.set_status', design=a, status='winner')
    assert await points(anon, pid) == 122
    await brand.ok('design.set_status', design=a, status='in_production')
    await brand.ok('design.set_status', design=a, status='launched')  # still a winner
    acc = (await anon.ok('creator.get', account=pid))['account']
    assert acc['points'] == 122 and acc['wins'] == 1, acc
    # a hidden design earns nothing while hidden: 10 + 1 support
    await brand.ok('design.hide', design=b, hidden=True)
    assert await points(anon, pid) == 111
    await brand.ok('design.hide', design=b, hidden=False)
    assert await points(anon, pid) == 122
    # updown: ups are supports, downs are not
    await brand.ok('contest.create', slug='updown', title='U', kind='level', scale='updown')
    u = await up(pam, contest='updown')
    await voters[0].ok('vote.cast', design=u, value=-1)
    assert await points(anon, pid) == 132
    await voters[0].ok('vote.cast', design=u, value=1)
    await voters[1].ok('vote.cast', design=u, value=1)
    assert await points(anon, pid) == 134
    await voters[1].ok('vote.cast', design=u, value=-1)
    assert await points(anon, pid) == 133
    # shown on login and with creator.get's rank
    again = await Client.connect(srv)
    acc = (await again.ok('auth.login', token=pam.token))['account']
    assert acc['points'] == 133 and acc['id'] == pid
    st['pam'], st['pam_points'] = pid, 133
    for c in voters + [anon, again]:
        await c.close()
    return pam


async def leaderboard(srv, brand, up, st):
    anon = await Client.connect(srv)
    await anon.err('creator.top', 'bad_args', limit=0)
    e = await anon.err('creator.top', 'bad_args', limit=101)
    assert e['detail']['field'] == 'limit'
    await anon.err('creator.top', 'bad_args', offset=-1)
    e = await anon.err('creator.get', 'not_found', account='999999')
    assert e['detail']['field'] == 'account'
    await anon.err('creator.get', 'not_found', account='abc')
    await anon.err('creator.get', 'bad_args')
    # an account without designs has 0 points and is not on the board
    nobody = await register(srv, 'nobody_l')
    acc = (await anon.ok('creator.get', account=nobody.account['id']))['account']
    assert acc['points'] == 0 and acc['designs'] == [] and acc['designs_total'] == 0
    assert acc['rank'] is None and acc['wins'] == 0

    # 26 new creators with one design each (10 points): ties go to the older account,
    # then to the smaller id; the ones before them keep their own points
    new = [await register(srv, f'lb{i:02d}') for i in range(26)]
    for c in new:
        await up(c)
    full = (await anon.ok('creator.top', limit=100))
    board = full['creators']
    assert full['total'] == len(board)
    keys = [(-x['points'], x['created'], int(x['id'])) for x in board]
    assert keys == sorted(keys), board
    assert [x['rank'] for x in board] == list(range(1, len(board) + 1))
    tens = [x['id'] for x in board if x['points'] == 10]
    assert [c.account['id'] for c in new] == [x for x in tens if x in
                                            {c.account['id'] for c in new}]
    top = (await anon.ok('creator.top'))['creators']
    assert len(top) == 24 and top == board[:24]  # default 24
    page = (await anon.ok('creator.top', offset=3, limit=2))['creators']
    assert page == board[3:5]
    assert [x['points'] for x in board if x['id'] == st['pam']] == [st['pam_points']]
    for x in board:
        assert set(x) == {'id', 'name', 'role', 'created', 'points', 'wins', 'rank'}, x
    # a support moves the last of the ten-pointers above the others
    last = new[-1]
    await new[0].ok('vote.cast', design=(await anon.ok(
        'creator.get', account=last.account['id']))['account']['designs'][0]['id'], value=1)
    board2 = (await anon.ok('creator.top', limit=100))['creators']
    ids2 = [x['id'] for x in board2]
    first_ten = min(i for i, x in enumerate(board2) if x['points'] == 10)
    assert ids2[first_ten - 1] == last.account['id'] and board2[first_ten - 1]['points'] == 11
    acc = (await anon.ok('creator.get', account=last.account['id']))['account']
    assert acc['rank'] == first_ten and acc['points'] == 11

    # creator.get lists the newest 100 designs, newest first, with the count
    many = await register(srv, 'many_l')
    ids = [await up(many) for _ in range(101)]
    acc = (await anon.ok('creator.get', account=many.account['id']))['account']
    assert acc['designs_total'] == 101 and acc['points'] == 1010
    assert [d['id'] for d in acc['designs']] == list(reversed(ids))[:100]
    assert acc['name'] == 'many_l' and acc['role'] == 'member'
    await nobody.close()
    for c in new + [many, anon]:
        await c.close()


# ---- hide ----

async def hiding(srv, brand, up, st, ann, bob):
    anon = await Client.connect(srv)
    await brand.ok('test.clock', now=T0 + 1000)  # the newest design of the open gallery
    h = await up(ann)
    await bob.ok('vote.cast', design=h, value=1)
    sub = await anon.ok('gallery.subscribe', sort='new', limit=5)
    assert sub['items'][0]['id'] == h
    total = sub['total']
    wm = await Client.connect(srv)  # a member's watch and the creator's
    await wm.ok('auth.login', token=bob.token)
    await wm.ok('design.watch', design=h)
    wc = await Client.connect(srv)
    await wc.ok('auth.login', token=ann.token)
    await wc.ok('design.watch', design=h)
    bsub = await brand.ok('gallery.subscribe', sort='new', limit=5)
    bsub_ids = gallery_ids(bsub)
    assert bsub_ids[0] == h

    await bob.err('design.hide', 'forbidden', design=h, hidden=True)
    await anon.err('design.hide', 'unauthorized', design=h, hidden=True)
    e = await brand.err('design.hide', 'bad_args', design=h)
    assert e['detail']['field'] == 'hidden'
    e = await brand.err('design.hide', 'bad_args', design=h, hidden='yes')
    assert e['detail']['field'] == 'hidden'
    res = await brand.ok('design.hide', design=h, hidden=True)
    assert res['design']['hidden'] is True
    # the live subscriber sees it removed
    ev = await anon.event('gallery.update', pred=lambda e: h not in (e.get('order') or [h]))
    assert ev['total'] == total - 1
    # the creator's watch is told; the member's is not — checked when h is shown again
    # below: the member hears nothing while it is hidden
    ev = await wc.event('design.update', pred=lambda e: e['design']['hidden'] is True)
    await check_hidden(srv, brand, ann, bob, anon, h, True)
    # the brand's live window keeps it, marked hidden
    ev = await brand.event('gallery.update', pred=lambda e: e['sub'] == bsub['sub'] and any(
        x['id'] == h and x.get('hidden') is True for x in e['items']))
    assert ev['total'] == total and h in (ev.get('order') or bsub_ids)
    assert all('reports' in x for x in ev['items']) and all('reports' in x for x in
                                                          bsub['items'])
    # several hidden designs merge into the brand's pages in their places (top order)
    others = [x['id'] for x in (await anon.ok('gallery.get', sort='top', limit=30))['items']]
    extra = [others[2], others[9], others[10], others[25]]
    for x in extra:
        await brand.ok('design.hide', design=x, hidden=True)
    await merged_pages(brand, anon, h, extra)
    for x in extra:
        await brand.ok('design.hide', design=x, hidden=False)
    # hiding twice changes nothing
    res = await brand.ok('design.hide', design=h, hidden=True)
    assert res['design']['hidden'] is True
    res = await brand.ok('design.hide', design=h, hidden=False)
    assert res['design']['hidden'] is False
    # shown again, h is news to the member's watch: the barrier of the check that it
    # heard nothing while h was hidden. An event showing hidden: false is built by a
    # flush of h's watch after this unhide; every flush while h was hidden (the hide's,
    # which the creator's watch had above, the second hide's) came before it, and a
    # connection's events leave in order.
    await wm.no_event_until('design.update', 'design.update',
                            pred=lambda e: e['design']['id'] == h and
                            e['design']['hidden'] is False)
    ev = await anon.event('gallery.update', pred=lambda e: h in (e.get('order') or []))
    assert ev['total'] == total
    assert [x for x in ev['items'] if x['id'] == h] and all('reports' not in x for x in
                                                            ev['items'])
    await check_hidden(srv, brand, ann, bob, anon, h, False)
    await brand.ok('design.hide', design=h, hidden=True)  # hidden for the restart
    st['hidden'] = h
    for c in (wm, wc, anon):
        await c.close()


async def merged_pages(brand, anon, h, extra):
    """The brand's pages (sort top, pages of 7 at every offset) are the public order with
    the hidden designs in their places: each design once, in (score, age, id) order."""
    hidden = set(extra) | {h}
    public, off = [], 0
    while True:
        g = await anon.ok('gallery.get', sort='top', offset=off, limit=100)
        public += g['items']
        off += 100
        if off >= g['total']:
            break
    assert not hidden & {x['id'] for x in public}
    seen, off = [], 0
    while True:
        g = await brand.ok('gallery.get', sort='top', offset=off, limit=7)
        assert g['total'] == len(public) + len(hidden), g['total']
        seen += g['items']
        off += 7
        if off >= g['total']:
            break
    assert len(seen) == len(public) + len(hidden)
    keys = [(-x['score'], x['created'], int(x['id'])) for x in seen]
    assert keys == sorted(keys)
    assert [x['id'] for x in seen if x['id'] not in hidden] == [x['id'] for x in public]
    assert {x['id'] for x in seen if x['hidden']} == hidden
    # pages at offsets around the hidden ones agree with the walk
    for off in (0, 1, 2, 3, 8, 9, 10, 11, 12, len(seen) - 3, len(seen)):
        g = await brand.ok('gallery.get', sort='top', offset=off, limit=5)
        assert gallery_ids(g) == [x['id'] for x in seen[off:off + 5]], off
    # filtered by creator (the selective path) and by tag nobody used
    cre = seen[0]['creator']
    g = await brand.ok('gallery.get', sort='top', creator=cre, limit=100)
    assert gallery_ids(g) == [x['id'] for x in seen if x['creator'] == cre][:100]
    g = await brand.ok('gallery.get', sort='top', tag='nosuchtag')
    assert g['total'] == 0 and g['items'] == []


async def check_hidden(srv, brand, ann, bob, anon, h, hidden):
    """What each role sees of design h (the newest design of the open gallery)."""
    mine = ann.account['id']
    public = await anon.ok('gallery.get', sort='new', limit=100)
    for who, creator, sees in ((anon, None, not hidden), (bob, None, not hidden),
                               (ann, None, not hidden), (anon, mine, not hidden),
                               (bob, mine, not hidden), (ann, mine, True),
                               (brand, None, True), (brand, mine, True)):
        args = {'creator': creator} if creator else {}
        g = await who.ok('gallery.get', sort='new', limit=100, **args)
        assert (h in gallery_ids(g)) == sees, (who is brand, creator, g['total'])
        if sees:
            assert g['items'][0]['id'] == h and g['items'][0]['hidden'] == hidden
        if creator is None:  # the brand's total counts it, nobody else's does
            assert g['total'] == public['total'] + (hidden and who is brand), g['total']
    for who, sees in ((anon, not hidden), (bob, not hidden), (ann, True), (brand, True)):
        r = await who.call('design.get', design=h)
        assert r['ok'] == sees, r
        if sees:
            assert r['result']['design']['hidden'] == hidden
        else:
            assert r['error']['code'] == 'not_found'
        acc = (await who.ok('creator.get', account=ann.account['id']))['account']
        assert (h in [d['id'] for d in acc['designs']]) == sees
        for path in (f'/t/{h}.png', f'/d/{h}', f'/r/{h}.png'):
            headers = {'Authorization': f'Bearer {who.token}'} if hasattr(who, 'token') else {}
            status, _, _ = srv.get(path, headers)
            assert status == (200 if sees else 404), (path, who.account if who != anon
                                                      else 'anon', status)
    # votes need to see it too
    r = await bob.call('vote.cast', design=h, value=1)
    assert (not r['ok'] and r['error']['code'] == 'not_found') if hidden else r['ok'], r


# ---- reports ----

async def reporting(srv, brand, up, st, ann, bob):
    anon = await Client.connect(srv)
    cy = await register(srv, 'cy_r')
    d = await up(ann)
    await anon.err('design.report', 'unauthorized', design=d, reason='spam')
    await ann.err('design.report', 'forbidden', design=d, reason='mine')
    e = await bob.err('design.report', 'bad_args', design=d, reason='')
    assert e['detail']['field'] == 'reason'
    e = await bob.err('design.report', 'bad_args', design=d, reason='x' * (REASON_MAX + 1))
    assert e['detail']['field'] == 'reason'
    e = await bob.err('design.report', 'bad_args', design=d)
    assert e['detail']['field'] == 'reason'
    await bob.err('design.report', 'not_found', design='999999', reason='spam')
    await bob.send_raw('{"id":900002,"op":"design.report","design":"%s",'
                       '"reason":"\\ud800"}' % d)
    e = await bob.reply(900002)  # a lone surrogate: bad_args naming the argument
    assert e['error']['code'] == 'bad_args' and e['error']['detail']['field'] == 'reason', e
    assert (await get(brand, d))['reports'] == 0
    assert await bob.ok('design.report', design=d, reason='ñ' * REASON_MAX) == {}
    e = await bob.err('design.report', 'conflict', design=d, reason='again')
    assert await cy.ok('design.report', design=d, reason='copied from elsewhere') == {}
    # the count: for the brand only
    assert (await get(brand, d))['reports'] == 2
    assert 'reports' not in await get(bob, d)
    assert 'reports' not in await get(ann, d)
    g = await brand.ok('gallery.get', sort='new', limit=100)
    item = [x for x in g['items'] if x['id'] == d][0]
    assert item['reports'] == 2
    assert all('reports' in x for x in g['items'])
    g = await bob.ok('gallery.get', sort='new', limit=100)
    assert all('reports' not in x for x in g['items'])
    acc = (await brand.ok('creator.get', account=ann.account['id']))['account']
    assert [x['reports'] for x in acc['designs'] if x['id'] == d] == [2]
    # a hidden design: only those who see it can report it
    await bob.err('design.report', 'not_found', design=st['hidden'], reason='gone?')
    assert await brand.ok('design.report', design=st['hidden'], reason='brand note') == {}
    st['reported'] = d
    st['cy'] = cy.token
    await cy.close()
    await anon.close()


# ---- the audit log ----

def log_entries(srv, contest):
    status, _, body = srv.get(f'/log/{contest}')
    assert status == 200, status
    return [json.loads(line) for line in body.decode().splitlines()]


def verify(srv, contest):
    p = subprocess.run([CLI, 'verify', '--server', f'http://127.0.0.1:{srv.port}',
                        '--contest', contest], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and p.stdout.startswith('verified:'), (contest, p.stdout,
                                                                    p.stderr)


def audit_checks(srv, st):
    brand = st['brand']
    lego = log_entries(srv, 'lego')
    d = st['lego']
    mine = [e for e in lego if e['design'] == d and e['type'] != 'vote']
    assert [e['type'] for e in mine] == ['threshold', 'status', 'status'], mine
    assert mine[0]['supports'] == 3
    assert {k: mine[1][k] for k in ('from', 'to', 'note', 'by')} == {
        'from': 'submitted', 'to': 'shortlisted', 'note': None, 'by': '0'}, mine[1]
    assert (mine[2]['from'], mine[2]['to'], mine[2]['by']) == ('shortlisted', 'winner', brand)
    # the threshold entry follows the vote that reached it, in the same commit
    i = lego.index(mine[0])
    assert lego[i - 1]['type'] == 'vote' and lego[i - 1]['design'] == d
    assert lego[i - 1]['value'] == 1 and lego[i - 1]['at'] == mine[0]['at'] == T0 + 7
    stars = log_entries(srv, 'stars')
    th = [e for e in stars if e['type'] == 'threshold']
    assert [(e['design'], e['supports']) for e in th] == [(st['stars'], 2)], th
    # hides (a hide that changes nothing is not logged) and notes
    opn = log_entries(srv, 'open')
    hides = [(e['hidden'], e['by']) for e in opn if e['type'] == 'hide' and
             e['design'] == st['hidden']]
    assert hides == [(True, brand), (False, brand), (True, brand)], hides
    noted = [e for e in opn if e['type'] == 'status' and e['design'] == st['noted']]
    assert [(e['from'], e['to']) for e in noted] == [('submitted', 'shortlisted'),
                                                     ('shortlisted', 'winner')]
    assert noted[0]['note'] == 'é' * NOTE_MAX and noted[1]['note'] == 'We make it!'
    refused = [e for e in opn if e['type'] == 'status' and e['design'] == st['moved_sub']]
    assert refused == []  # refused moves leave no entry
    tees = log_entries(srv, 'tees')
    assert [e['to'] for e in tees if e['type'] == 'status'] == [
        'shortlisted', 'not_selected', 'winner', 'shortlisted', 'in_production', 'launched']
    for contest in ('open', 'lego', 'stars', 'tees'):
        verify(srv, contest)


# ---- after a crash ----

async def after_restart(srv, st, brand_token, bob_token):
    brand = await login(srv, brand_token)
    bob = await login(srv, bob_token)
    anon = await Client.connect(srv)
    for d, s in st['moved'].items():
        assert (await get(anon, d))['status'] == s
    assert (await get(anon, st['noted']))['timeline'] == st['noted_tl']
    g = await get(anon, st['lego'])
    assert g['status'] == 'winner' and [x['status'] for x in g['timeline']] == [
        'submitted', 'shortlisted', 'winner']
    assert (await get(anon, st['stars']))['status'] == 'shortlisted'
    assert (await get(anon, st['stars_ns']))['status'] == 'not_selected'
    assert await points(anon, st['pam']) == st['pam_points']
    assert (await anon.ok('creator.top', limit=100)) == st['board']
    await anon.err('design.get', 'not_found', design=st['hidden'])
    assert (await get(brand, st['hidden']))['hidden'] is True
    assert st['hidden'] not in gallery_ids(await anon.ok('gallery.get', sort='new', limit=100))
    # the brand's galleries still hold it in its place, rebuilt at start-up
    assert st['hidden'] in gallery_ids(await brand.ok('gallery.get', sort='new', limit=100))
    assert (await get(brand, st['reported']))['reports'] == 2
    assert (await get(brand, st['hidden']))['reports'] == 1
    await bob.err('design.report', 'conflict', design=st['reported'], reason='again')
    # points go on from the rebuilt totals
    cre = (await get(anon, st['lego']))['creator']
    before = await points(anon, cre)
    await brand.ok('vote.cast', design=st['lego'], value=1)
    assert await points(anon, cre) == before + 1
    for c in (brand, bob, anon):
        await c.close()


async def main():
    srv = Server(args=['--test-clock'])
    brand_token = srv.make_brand('acme')
    brand = await login(srv, brand_token)
    await brand.ok('test.clock', now=T0)
    up = Uploader()
    st = {'brand': brand.account['id']}
    ann, bob = await workflow(srv, brand, up, st)
    await phases(srv, brand, up, ann)
    await thresholds(srv, brand, up, st)
    await points_arith(srv, brand, up, st)
    await leaderboard(srv, brand, up, st)
    brand.token = brand_token
    await hiding(srv, brand, up, st, ann, bob)
    await reporting(srv, brand, up, st, ann, bob)
    bob_token = bob.token
    st['board'] = await bob.ok('creator.top', limit=100)
    for c in (brand, ann, bob):
        await c.close()
    audit_checks(srv, st)
    srv.kill9()
    srv.start()
    await after_restart(srv, st, brand_token, bob_token)
    audit_checks(srv, st)
    srv.stop()
    print('brand: ok')


if __name__ == '__main__':
    run(main)
