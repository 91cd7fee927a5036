"""Replay determinism (issue 14): every write is a change record applied by one
deterministic apply, so the records a server applied, applied again in order to an
empty data directory by `cocreated --apply-records`, give the same database and the
same answers.

Server A runs a mixed workload under --test-clock with --record-changes: every write
op (registrations — one refused, a name taken —, a brand made from the command line and
its token rotated, passwords, logins by password, revokes, logouts, contacts, edits,
withdrawals, contest terms, comment hides, suspensions, an erased account,
contest create and update, a contest with hidden tallies revealed by the clock, level
and artwork uploads, a have:true upload into another
contest, votes on every scale with clears and a threshold promotion, comments member
and official, reports, status moves with notes, hides and unhides, enough levels to
train a zstd dictionary and uploads compressed with it, the clock moved forward and
back). Then B = --apply-records of A's records onto an empty dir with A's secret file:
every table but the declared local cache (`renders`) is identical key by key and byte
by byte, and the two servers answer every gallery, design, results, leaderboard and
/log/ request identically. A record file with a broken line is refused with its line
number."""
import asyncio
import hashlib
import os
import struct
import subprocess
import time
import zlib

import lmdb  # Debian's python3-lmdb (tools/setup/deps.sh)

from harness import WAIT, Client, Server, daemon_command, register, run, simple_level, \
    tmpdir, png_gradient as png

T0 = 2_000_000_000
LOCAL_CACHES = {b'renders'}  # docs/changes.md: derived, recomputed by any node
LOCAL_KEYS = {(b'meta', b'journal.seq')}  # the node's own journal position (journal.h)
SORTS = ('new', 'top', 'hot')


def dump(path):
    """Every named table of the LMDB environment at path: {name: {key: value}}. The vote
    log is folded into `votes` as a fold would (server/votes.h): when a node folds is its
    own affair, what it stores is not."""
    env = lmdb.open(path, max_dbs=64, readonly=True, lock=False)
    out = {}
    with env.begin() as txn:
        names = [k for k, _ in txn.cursor()]
    for name in names:
        db = env.open_db(name, create=False)
        with env.begin(db=db) as txn:
            out[name] = dict(txn.cursor())
    env.close()
    votes = out.setdefault(b'votes', {})
    # The tallies count the folded table (server/votes.h) as the node left it, and the
    # table once folded here.
    assert out.get(b'tallies', {}) == tallies(votes), path
    for _, entry in sorted(out.pop(b'vote_log', {}).items()):
        key, value = entry[:16], entry[16:]
        if value == b'\x00':
            votes.pop(key, None)
        else:
            votes[key] = value
    out[b'tallies'] = tallies(votes)
    out.get(b'meta', {}).pop(b'votes.folded', None)
    return out


def tallies(votes):
    """`tallies` as server/votes.c keeps it for a folded table: be64 design → six be32,
    the design's votes of value -1, 1, 2, 3, 4, 5."""
    counts = {}
    for key, value in votes.items():
        v = struct.unpack('b', value)[0]
        counts.setdefault(key[:8], [0] * 6)[0 if v < 0 else v] += 1
    return {k: struct.pack('>6I', *c) for k, c in counts.items()}


async def clock(c, t):
    await c.ok('test.clock', now=t)


async def upload_ok(c, kind, data, **kw):
    r = await c.upload(kind, data, **kw)
    assert r['ok'], r
    return r['result']['design']['id']


async def workload(srv, rec):
    brand_token = srv.make_brand('acme', '--record-changes', rec)
    brand = await Client.connect(srv)
    await brand.ok('auth.login', token=brand_token)
    await clock(brand, T0)
    for slug, kind, scale, extra in (('hearts', 'level', 'heart', {'threshold': 2}),
                                     ('stars', 'artwork', 'stars5', {}),
                                     ('ups', 'level', 'updown', {})):
        await brand.ok('contest.create', slug=slug, title=f'The {slug}', kind=kind,
                       scale=scale, submit_open=T0, submit_close=T0 + 1000,
                       vote_close=T0 + 2000, **extra)
    await brand.ok('contest.update', contest='stars', brief='Bold shirts', prize='$500')
    await brand.err('contest.create', 'conflict', slug='ups', title='Again', kind='level',
                    scale='heart')  # a record refused by its apply
    c1 = await register(srv, 'maker1')
    c2 = await register(srv, 'maker2')
    await (await Client.connect(srv)).err('auth.register', 'conflict', name='MAKER1')
    voters = [await register(srv, f'voter{i}') for i in range(4)]

    lv = simple_level(variant=3)
    h1 = await upload_ok(c1, 'level', lv, title='Heart one', tags=['jump'], contest='hearts')
    h2 = await upload_ok(c2, 'level', simple_level(variant=5), title='Heart two',
                         contest='hearts')
    u1 = await upload_ok(c1, 'level', lv, title='Same bytes', contest='ups')  # have:true
    u2 = await upload_ok(c2, 'level', simple_level(variant=9), title='Up two', contest='ups')
    s1 = await upload_ok(c1, 'artwork', png(80, 70, 3), title='Shirt one', contest='stars')
    s2 = await upload_ok(c2, 'artwork', png(90, 64, 5), title='Shirt two', tags=['bold'],
                         contest='stars')
    o1 = await upload_ok(c2, 'artwork', png(64, 64, 11), title='Open art')

    await clock(brand, T0 + 10)
    for v in voters[:2]:
        await v.ok('vote.cast', design=h1, value=1)  # the second reaches the threshold
    await voters[2].ok('vote.cast', design=h2, value=1)
    await voters[2].ok('vote.clear', design=h2)
    for i, v in enumerate(voters):
        await v.ok('vote.cast', design=s1, value=i + 2)
        await v.ok('vote.cast', design=s2, value=5 - i)
        await v.ok('vote.cast', design=u1 if i % 2 else u2, value=1 if i < 3 else -1)
    await voters[0].ok('vote.cast', design=s1, value=1)  # replaces their 2
    await voters[1].ok('vote.cast', design=o1, value=1)
    await voters[0].ok('comment.post', design=s1, text='Love the colours')
    await brand.ok('comment.post', design=s1, text='Thanks for entering!')
    await voters[1].ok('design.report', design=u2, reason='Looks copied')
    await brand.ok('review.dismiss', design=u2)
    await brand.ok('design.hide', design=u2, hidden=True)
    await brand.ok('design.hide', design=u2, hidden=False)
    await brand.ok('design.hide', design=o1, hidden=True, reason='Off topic')

    # SPEC §7: passwords, sessions, contacts, own designs, terms, moderation, erasure
    pw = 'a long password'
    p1 = await Client.connect(srv)
    await p1.ok('auth.register', name='pwuser', password=pw, contact='p@example.org',
                device='phone')
    p2 = await Client.connect(srv)
    sess2 = (await p2.ok('auth.login', name='pwuser', password=pw, device='laptop'))['session']
    await p2.ok('auth.set_password', password='another password', old=pw)
    await p2.ok('auth.set_contact', contact='new@example.org')
    p3 = await Client.connect(srv)
    await p3.ok('auth.login', name='pwuser', password='another password')
    await p3.ok('auth.revoke', session=sess2)
    await p3.ok('auth.logout')
    await brand.ok('contest.create', slug='termed', title='Terms', kind='level',
                   scale='heart', submit_open=T0, submit_close=T0 + 1000,
                   vote_close=T0 + 2000, terms={'version': 't1', 'text': 'Our terms'})
    e1 = await upload_ok(c1, 'level', simple_level(variant=21), title='Edit me',
                         tags=['a'])
    await c1.ok('design.edit', design=e1, title='Edited', tags=['a', 'b', 'c', 'd'])
    w1 = await upload_ok(c2, 'level', simple_level(variant=23), title='Withdraw me')
    await c2.ok('design.withdraw', design=w1)
    lvt = simple_level(variant=25)
    b = await c2.ok('upload.begin', kind='level', title='Termed', bytes=len(lvt),
                    sha256=hashlib.sha256(lvt).hexdigest(), contest='termed',
                    accept_terms='t1')
    await c2.send_raw(lvt)
    await c2.ok('upload.commit', upload=b['upload'])
    cm = (await voters[0].ok('comment.post', design=s2, text='meh'))['comment']['id']
    await brand.ok('comment.hide', comment=cm, hidden=True, reason='Rude')
    suspect = await register(srv, 'suspect')
    await upload_ok(suspect, 'level', simple_level(variant=29), title='Suspect')
    await brand.ok('account.suspend', account=suspect.account['id'], suspended=True,
                   reason='Vote ring')
    await brand.ok('account.suspend', account=suspect.account['id'], suspended=False,
                   reason='Appeal')
    gone = await register(srv, 'leaver')
    await upload_ok(gone, 'level', simple_level(variant=27), title='Bye')
    await gone.ok('comment.post', design=s1, text='So long')
    await gone.ok('auth.delete')
    got = await c1.ok('notice.list')  # SPEC §8: notices made by the applies above
    assert got['unread'] >= 1, got
    await c1.ok('notice.read', upto=got['items'][0]['id'])
    for k in (p1, p2, p3, gone, suspect):
        await k.close()

    # SPEC §8 stages: a stage reached, and one missed and expired by the clock's record
    await brand.ok('contest.create', slug='staged', title='Staged', kind='level',
                   scale='heart', stages=[{'supports': 1, 'days': 1}, {'supports': 5, 'days': 1}])
    sd = await upload_ok(c1, 'level', simple_level(variant=31), title='Staged', contest='staged')
    await voters[0].ok('vote.cast', design=sd, value=1)
    await clock(brand, T0 + 10 + 86400 + 5)
    deadline = time.monotonic() + WAIT
    while (await brand.ok('design.get', design=sd))['design']['status'] != 'expired':
        assert time.monotonic() < deadline, 'never expired'
        await asyncio.sleep(0.05)
    await clock(brand, T0 + 10)

    # SPEC §8 hidden tallies: sealed until the clock's record of its judging reveals them
    await brand.ok('contest.create', slug='secret', title='Secret', kind='level',
                   scale='updown', submit_close=T0 + 1000, vote_close=T0 + 2000,
                   tallies_hidden=True)
    hd = await upload_ok(c1, 'level', simple_level(variant=32), title='Hush', contest='secret')
    await voters[1].ok('vote.cast', design=hd, value=-1)
    await voters[2].ok('vote.cast', design=hd, value=1)

    # back in time: later records take the clock's time again (a clock record)
    await clock(brand, T0 + 5)
    await voters[3].ok('vote.cast', design=h2, value=1)
    await clock(brand, T0 + 1500)  # voting only
    await voters[2].ok('vote.clear', design=s2)
    await clock(brand, T0 + 2500)  # judging
    for st, note in (('shortlisted', None), ('winner', 'Going to print'),
                     ('in_production', None)):
        args = {'note': note} if note else {}
        await brand.ok('design.set_status', design=s1, status=st, **args)
    await brand.ok('design.set_status', design=s2, status='not_selected')
    await brand.err('design.set_status', 'conflict', design=s2, status='winner')
    await brand.ok('contest.update', contest='stars', closed=True)
    deadline = time.monotonic() + WAIT
    while not (await brand.ok('contest.get', contest='secret'))['contest'].get('tallies_revealed'):
        assert time.monotonic() < deadline, 'the hidden tallies were never revealed'
        await asyncio.sleep(0.05)

    # a dictionary: enough levels to train one, and levels compressed with it after
    c3 = await register(srv, 'leveller')
    for i in range(212):
        rows = ['.' * 32 for _ in range(10)]
        rows[8] = 'S' + ''.join('o' if (i >> (k % 9)) & 1 else '.' for k in range(30)) + 'G'
        rows[9] = '#' * 32
        rows[i % 7] = '=' * (i % 32) + '.' * (32 - i % 32)
        await upload_ok(c3, 'level', ('{"format":"cocreate.level/1","width":32,"height":10,'
                                      '"rows":[%s]}' % ','.join(f'"{r}"' for r in rows))
                        .encode(), title=f'L{i}')
        if i == 205:
            await wait_for_log(srv, 'trained zstd dictionary')
    for c in [brand, c1, c2, c3] + voters:
        await c.close()
    return brand_token


async def wait_for_log(srv, text):
    deadline = time.monotonic() + WAIT
    while text not in srv.log_text():
        assert time.monotonic() < deadline, f'never logged: {text}'
        await asyncio.sleep(0.05)


async def answers(srv, token):
    """Everything the two servers are compared on, as the brand (who sees hidden
    designs) and anonymously."""
    out = {}
    brand = await Client.connect(srv)
    await brand.ok('auth.login', token=token)
    anon = await Client.connect(srv)
    await clock(brand, T0 + 3000)
    contests = [c['id'] for c in (await anon.ok('contest.list'))['contests']]
    out['contests'] = await anon.ok('contest.list')
    for who, c in (('brand', brand), ('anon', anon)):
        for contest in contests:
            for sort in SORTS:
                out[who, contest, sort] = await c.ok('gallery.get', contest=contest,
                                                     sort=sort, limit=100)
                if who == 'brand':
                    offset = 100
                    while offset < out[who, contest, sort]['total']:
                        out[who, contest, sort, offset] = await c.ok(
                            'gallery.get', contest=contest, sort=sort, limit=100,
                            offset=offset)
                        offset += 100
            out[who, contest, 'results'] = await c.ok('contest.results', contest=contest)
    total = out['brand', 'open', 'new']['total'] + sum(
        out['brand', c, 'new']['total'] for c in contests if c != 'open')
    for d in range(1, total + 1):
        out['design', d] = await brand.call('design.get', design=str(d))
        out['comments', d] = await brand.call('comment.list', design=str(d))
    out['top'] = await anon.ok('creator.top', limit=100)
    out['moderation'] = await brand.ok('moderation.list', limit=100)
    for contest in contests:
        out['log', contest] = srv.get(f'/log/{contest}')[2]
    for d in (1, 3, 5):
        out['orig', d] = srv.get(f'/d/{d}', {'Authorization': 'Bearer ' + token})[2]
        out['thumb', d] = srv.get(f'/t/{d}.png', {'Authorization': 'Bearer ' + token})[2]
    await brand.close()
    await anon.close()
    return out


async def main():
    work = tmpdir('cc-replay-')
    rec = os.path.join(work, 'records.jsonl')
    a = Server(['--test-clock', '--password-cost', 'low', '--record-changes', rec])
    await workload(a, rec)
    token = a.make_brand('acme', '--rotate', '--record-changes', rec)  # beside the server
    a.stop()
    with open(rec) as f:
        lines = f.read().splitlines()
    types = {line.split('"type":"')[1].split('"')[0] for line in lines}
    assert types >= {'account.create', 'design.create', 'vote', 'comment', 'report',
                     'status', 'hide', 'contest', 'dict', 'clock', 'session.create',
                     'session.end', 'account.update', 'account.delete', 'account.suspend',
                     'comment.hide', 'design.edit', 'withdraw', 'review.dismiss',
                     'notice.read', 'contest.phase', 'expire'}, types

    b = Server(['--test-clock', '--secret', os.path.join(a.data, 'secret')], start=False)
    p = subprocess.run(daemon_command('--data', b.data, '--secret',
                                      os.path.join(a.data, 'secret'), '--apply-records', rec),
                       capture_output=True, text=True, timeout=WAIT, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    assert f'{len(lines) - 3} records applied, 3 refused by their apply' in p.stderr, p.stderr

    da, db = dump(a.data), dump(b.data)
    assert set(da) == set(db), (set(da) ^ set(db))
    compared = 0
    for name in sorted(da):
        if name in LOCAL_CACHES:
            continue
        ka, kb = ({k: v for k, v in d[name].items() if (name, k) not in LOCAL_KEYS}
                  for d in (da, db))
        assert ka.keys() == kb.keys(), (name, set(ka) ^ set(kb))
        for k in ka:
            assert ka[k] == kb[k], (name, k, ka[k][:200], kb[k][:200])
        compared += len(ka)
    assert b'level' in b''.join(db[b'dicts'].values()), 'no dictionary was replayed'

    a.start()
    b.start()
    ra, rb = await answers(a, token), await answers(b, token)
    assert ra.keys() == rb.keys()
    for k in ra:
        assert ra[k] == rb[k], (k, ra[k], rb[k])
    a.stop()
    b.stop()

    # a broken record file is refused with where it broke
    bad = os.path.join(work, 'bad.jsonl')
    with open(bad, 'w') as f:
        f.write(lines[0] + '\n' + '{"v":1,"type":"vote","at":1}\n')
    c = Server(start=False)
    p = subprocess.run(daemon_command('--data', c.data, '--apply-records', bad),
                       capture_output=True, text=True, timeout=WAIT, stdin=subprocess.DEVNULL)
    assert p.returncode == 1 and 'bad.jsonl:2: by: not an account id' in p.stderr, p.stderr
    with open(bad, 'w') as f:
        f.write('{"v":2,"type":"vote","at":1,"by":"1"}\n')
    p = subprocess.run(daemon_command('--data', c.data, '--apply-records', bad),
                       capture_output=True, text=True, timeout=WAIT, stdin=subprocess.DEVNULL)
    assert p.returncode == 1 and 'bad.jsonl:1: v: an unknown format version' in p.stderr, \
        p.stderr
    print(f'replay: {len(lines)} records, {compared} rows identical, {len(ra)} answers '
          'identical: ok')


run(main)
