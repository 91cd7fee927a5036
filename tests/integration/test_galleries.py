"""Votes, ranked galleries and live updates (issue 4): vote arithmetic and refusals,
pagination stability and filters, a live update, a burst of votes ending on the right
tally, a subscriber that stops reading (bounded queue, then one fresh full window),
1,000 subscribers that never read (the server's queues stop at their bound, then a
reader gets one full window), a graceful shutdown that delivers every reply to a slow
reader, and durability of
acknowledged votes across kill -9."""
import asyncio
import base64
import json
import os
import resource
import signal
import socket
import struct
import subprocess
import time

from harness import WAIT, Client, Server, png_gradient, register, run, simple_level, until

LIVE_QUEUE_BOUND = 64 * 1024
SUBS = 60  # subscriptions per slow connection (the limit is 64)
STALLED = 1000  # subscribers that never read (issue 4: memory stays flat)
WS_SNDBUF = 64 * 1024  # cocreated's default --ws-sndbuf
GENDATA = os.environ.get('CC_GENDATA', os.path.join(os.path.dirname(os.environ.get(
    'COCREATED', 'build/cocreated')), 'tools', 'bench', 'gendata'))


async def answered(srv, total, what):
    """Waits until the server received `total` requests in all and answered them all."""
    def done():
        m = srv.scrape()
        return m['cocreate_requests_total'] >= total and m['cocreate_requests_inflight'] == 0
    await until(done, f'{what} answered')


async def votes_and_pages(srv):
    ann = await register(srv, 'ann_g')
    bob = await register(srv, 'bob_g')
    cy = await register(srv, 'cy_g')
    ids = []
    for i in range(30):
        who = ann if i % 3 else bob
        tags = ['even'] if i % 2 == 0 else ['odd']
        if i % 5 == 0:
            tags.append('five')
        r = await who.upload('level', simple_level(variant=1000 + i), title=f'G{i}', tags=tags)
        assert r['ok'], r
        ids.append(r['result']['design']['id'])

    # vote arithmetic on the heart scale (the open contest)
    d = ids[1]  # by ann
    t = await bob.ok('vote.cast', design=d, value=1)
    assert t['tally'] == {'votes': 1, 'supports': 1, 'hearts': 1}
    t = await bob.ok('vote.cast', design=d, value=1)  # again: replaces, same tally
    assert t['tally']['hearts'] == 1
    t = await cy.ok('vote.cast', design=d, value=1)
    assert t['tally']['hearts'] == 2
    t = await bob.ok('vote.clear', design=d)
    assert t['tally'] == {'votes': 1, 'supports': 1, 'hearts': 1}
    t = await bob.ok('vote.clear', design=d)  # nothing to clear: unchanged
    assert t['tally']['hearts'] == 1
    await ann.err('vote.cast', 'forbidden', design=d, value=1)
    e = await bob.err('vote.cast', 'bad_args', design=d, value=2)
    assert e['detail']['field'] == 'value'
    await bob.err('vote.cast', 'bad_args', design=d, value=-1)
    await bob.err('vote.cast', 'not_found', design='99999', value=1)
    await bob.err('vote.cast', 'bad_args', design=d)
    anon = await Client.connect(srv)
    await anon.err('vote.cast', 'unauthorized', design=d, value=1)
    g = (await anon.ok('design.get', design=d))['design']
    assert g['tally']['hearts'] == 1 and g['score'] == 1

    # ranking: more hearts first; ties older first, then smaller id
    for voter in (bob, cy):
        await voter.ok('vote.cast', design=ids[4], value=1)
    top = await anon.ok('gallery.get', sort='top', limit=3)
    assert [x['id'] for x in top['items']] == [ids[4], ids[1], ids[0]], top['items']
    hot = await anon.ok('gallery.get', sort='hot', limit=2)
    assert [x['id'] for x in hot['items']] == [ids[4], ids[1]]
    new = await anon.ok('gallery.get', sort='new', limit=100)
    created = [x['created'] for x in new['items']]
    assert created == sorted(created, reverse=True)

    # pagination: walking every page yields each design exactly once, in every sort
    for sort in ('new', 'top', 'hot'):
        seen = []
        for off in range(0, 40, 7):
            page = await anon.ok('gallery.get', sort=sort, offset=off, limit=7)
            assert page['total'] == 30
            seen += [x['id'] for x in page['items']]
        assert sorted(seen, key=int) == sorted(ids, key=int), sort
    await anon.err('gallery.get', 'bad_args', sort='best')
    await anon.err('gallery.get', 'bad_args', sort='new', limit=101)
    await anon.err('gallery.get', 'bad_args', sort='new', limit=0)
    assert len((await anon.ok('gallery.get', sort='new', limit=100))['items']) == 30
    await anon.err('gallery.get', 'bad_args', sort='new', offset=-1)
    await anon.err('gallery.get', 'bad_args', sort='new', status='lost')
    await anon.err('gallery.get', 'not_found', sort='new', contest='nope')

    # pages' items are kept between requests (cocreate_page_cache_*) once the gallery
    # has shown the same for a moment (20 ms), the first page's and those at any
    # offset, and never served stale: a vote, a comment and a title edit each show on
    # the next request
    first = await anon.ok('gallery.get', sort='top', limit=5)

    async def served_again(args, want):
        hits = srv.metric('cocreate_page_cache_hits_total')
        assert await anon.ok('gallery.get', **args) == want
        return srv.metric('cocreate_page_cache_hits_total') > hits

    await until(lambda: served_again(dict(sort='top', limit=5), first), 'a kept first page')
    assert srv.metric('cocreate_page_cache_items') >= 5
    assert srv.metric('cocreate_page_cache_bytes') > 0
    # the pages' reply buffers went back to the net's spares (bounded), not to malloc
    assert 0 < srv.metric('cocreate_send_spare_bytes') <= 16 * 256 * 1024 + 4096 * 64
    later = await anon.ok('gallery.get', sort='top', offset=3, limit=20)
    await until(lambda: served_again(dict(sort='top', offset=3, limit=20), later),
                'a kept page at an offset')
    assert await served_again(dict(sort='top', offset=5, limit=9),
                              {'total': later['total'], 'items': later['items'][2:11]})
    top_id = first['items'][0]['id']
    hearts = first['items'][0]['tally']['hearts']
    dee = await register(srv, 'dee_g')
    await dee.ok('vote.cast', design=top_id, value=1)
    again = await anon.ok('gallery.get', sort='top', limit=5)
    assert again['items'][0]['id'] == top_id and again['items'][0]['tally']['hearts'] == hearts + 1
    await cy.ok('comment.post', design=top_id, text='kept pages follow comments')
    again = await anon.ok('gallery.get', sort='top', limit=5)
    assert again['items'][0]['comments'] == first['items'][0]['comments'] + 1, again['items'][0]
    owner = ann if again['items'][0]['creator'] == ann.account['id'] else bob
    await owner.ok('design.edit', design=top_id, title='Retitled while kept')
    again = await anon.ok('gallery.get', sort='top', limit=5)
    assert again['items'][0]['title'] == 'Retitled while kept', again['items'][0]
    await dee.ok('vote.clear', design=top_id)
    await dee.close()

    # filters
    by_bob = await anon.ok('gallery.get', sort='new', creator=bob.account['id'], limit=100)
    assert by_bob['total'] == 10 and all(x['creator'] == bob.account['id'] for x in by_bob['items'])
    five = await anon.ok('gallery.get', sort='top', tag='five', limit=100)
    assert five['total'] == 6 and all('five' in x['tags'] for x in five['items'])
    assert five['items'][0]['id'] == ids[0] or five['items'][0]['tally']['hearts'] >= 0
    both = await anon.ok('gallery.get', sort='new', tag='even', creator=bob.account['id'])
    assert both['total'] == 5
    sub = await anon.ok('gallery.get', sort='new', status='submitted')
    assert sub['total'] == 30
    assert (await anon.ok('gallery.get', sort='new', status='winner'))['total'] == 0
    assert (await anon.ok('gallery.get', sort='new', tag='nobody-uses-this'))['total'] == 0
    for c in (ann, bob, cy, anon):
        await c.close()
    return ids


async def live(srv, ids):
    a = await Client.connect(srv)
    voters = [await register(srv, f'v{i}_live') for i in range(50)]
    s = await a.ok('gallery.subscribe', sort='top', limit=5)
    assert s['sub'] and s['total'] == 30 and len(s['items']) == 5
    target = ids[20]
    await voters[0].ok('vote.cast', design=target, value=1)
    ev = first = await a.event('gallery.update')
    assert ev['sub'] == s['sub'] and ev['total'] == 30
    item = [x for x in ev['items'] if x['id'] == target]
    assert item and item[0]['tally']['hearts'] == 1, ev
    # 50 rapid votes: updates until the one that shows all 50, the last one right. (How
    # many updates a burst coalesces into depends on how fast the votes come: test_live
    # counts them with every vote in one loop pass.)
    a.events.clear()
    await asyncio.gather(*(v.ok('vote.cast', design=target, value=1) for v in voters))

    def hearts(e):
        return [x['tally']['hearts'] for x in e['items'] if x['id'] == target]
    final = await a.event('gallery.update', pred=lambda e: hearts(e) == [50])
    updates = [e for e in a.events if e['ev'] == 'gallery.update'] + [final]
    a.events.clear()
    assert updates[-1].get('order', None) is None or updates[-1]['order'][0] == target

    # The 10th support was a milestone (SPEC §8): the clock's record writes it into the
    # design a moment later — during the burst or after it — and the window gets the
    # design whole again then (its data changed, not only its tally).
    def milestone(e):
        return any(x['id'] == target and x.get('milestone') == 10 for x in e['items'])
    if not any(milestone(e) for e in updates):
        updates.append(await a.event('gallery.update', pred=milestone))
    mine = [x for e in updates for x in e['items'] if x['id'] == target]
    whole = [x for x in mine if 'title' in x]
    assert len(whole) == 1 and whole[0]['milestone'] == 10, whole
    # else the target was already in the window: its items carry only what changes
    for x in mine:
        assert x in whole or set(x) == {'id', 'tally', 'comments', 'score', 'status'}, x
    last = mine[-1]
    assert last['tally']['hearts'] == 50
    assert last['score'] == 50 and last['status'] == 'submitted'
    # merging every update by id onto the designs held gives exactly gallery.get's page
    held = {x['id']: dict(x) for x in s['items']}
    order = [x['id'] for x in s['items']]
    for e in [first] + updates:
        order = e.get('order', order)
        for x in e['items']:
            if x['id'] in held:
                held[x['id']].update(x)
            else:
                assert 'title' in x and 'thumb' in x, x  # new to the window: whole
                held[x['id']] = dict(x)
    page = await a.ok('gallery.get', sort='top', limit=5)
    assert [held[i] for i in order] == page['items'], (order, page['items'])
    # design.watch pushes the tally
    w = await a.ok('design.watch', design=target)
    assert w['design']['tally']['hearts'] == 50
    await voters[1].ok('vote.clear', design=target)
    ev = await a.event('design.update')
    assert ev['design']['id'] == target and ev['design']['tally']['hearts'] == 49
    await a.ok('design.unwatch', design=target)
    await a.err('design.unwatch', 'not_found', design=target)
    # Unsubscribed, s hears nothing more. A second subscription of the same window, s2,
    # is the barrier: a window's flush sends to all its subscribers at once (in no
    # promised order), so once s2 has had the flush of a vote, whatever that flush sent
    # s came before the flush of a vote cast after it: s2's marker (a connection's
    # events leave in the order they were queued).
    s2 = await a.ok('gallery.subscribe', sort='top', limit=5)
    await a.ok('gallery.unsubscribe', sub=s['sub'])
    await a.err('gallery.unsubscribe', 'not_found', sub=s['sub'])
    a.events.clear()  # s's updates until now came before the unsubscribe's reply
    await voters[2].ok('vote.clear', design=target)
    await a.event('gallery.update', pred=lambda e: e['sub'] == s2['sub'] and hearts(e) == [48])
    await voters[3].ok('vote.clear', design=target)
    await a.no_event_until(lambda e: e['ev'] == 'gallery.update' and e['sub'] != s2['sub'],
                           'gallery.update',
                           pred=lambda e: e['sub'] == s2['sub'] and hearts(e) == [47])
    for v in voters:
        await v.close()
    await a.close()


# ---- a subscriber that stops reading: raw socket with a tiny receive buffer ----

class RawWS:
    def __init__(self, port):
        self.s = socket.socket()
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.s.connect(('127.0.0.1', port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall((f'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n'
                        f'Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n'
                        f'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: cocreate.v1\r\n\r\n').encode())
        self.buf = b''
        while b'\r\n\r\n' not in self.buf:
            self.buf += self.s.recv(4096)
        assert self.buf.startswith(b'HTTP/1.1 101'), self.buf[:80]
        self.buf = self.buf.split(b'\r\n\r\n', 1)[1]

    def send(self, obj):
        data = json.dumps(obj).encode()
        mask = os.urandom(4)
        hdr = bytes([0x81])
        n = len(data)
        hdr += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack('>H', n)
        self.s.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def take_frame(self):
        """The payload of the first whole frame in buf (removed from it), or None while
        its header or payload is still incomplete."""
        if len(self.buf) < 2:
            return None
        n, off = self.buf[1] & 127, 2
        if n == 126:
            off = 4
        elif n == 127:
            off = 10
        if len(self.buf) < off:
            return None
        if off == 4:
            n = struct.unpack('>H', self.buf[2:4])[0]
        elif off == 10:
            n = struct.unpack('>Q', self.buf[2:10])[0]
        if len(self.buf) < off + n:
            return None
        frame, self.buf = self.buf[off:off + n], self.buf[off + n:]
        return frame

    def messages(self, until, timeout=20):
        """Reads frames until until(list of messages so far) is true."""
        out = []
        self.s.settimeout(timeout)
        while not until(out):
            while True:
                frame = self.take_frame()
                if frame is not None:
                    out.append(json.loads(frame))
                    break
                chunk = self.s.recv(65536)
                assert chunk, 'closed'
                self.buf += chunk
        return out


async def slow_reader(srv, ids):
    raw = [RawWS(srv.port) for _ in range(4)]
    base = srv.metric('cocreate_requests_total')
    for r in raw:
        for i in range(SUBS):
            r.send({'id': i + 1, 'op': 'gallery.subscribe', 'sort': 'top', 'limit': 100,
                    'offset': 0})
    await answered(srv, base + 4 * SUBS, 'the subscriptions')
    voters = [await register(srv, f'slow{i}') for i in range(40)]
    peak = 0
    rounds = 0
    backed_up = 0
    # Updates are small (deltas): the kernel's socket buffers take a few MB first, so
    # vote until every non-reader is past its bound (the queue metric past four bounds)
    # for a few rounds: then every subscription was skipped and must resync whole.
    for rnd in range(200):
        if backed_up >= 3:
            break
        # every round changes tallies inside the window: updates for every subscriber
        await asyncio.gather(*(v.ok('vote.cast' if rnd % 2 == 0 else 'vote.clear',
                                    design=ids[(k + rnd) % 24], **({'value': 1} if rnd % 2 == 0 else {}))
                               for k, v in enumerate(voters)))
        await asyncio.sleep(0.15)
        queued = srv.metric('cocreate_send_queue_bytes')
        peak = max(peak, queued)
        backed_up += queued > 4 * LIVE_QUEUE_BOUND
        rounds += 1
    # four non-readers × (the bound + one update of every window) at most
    assert peak <= 4 * (LIVE_QUEUE_BOUND + SUBS * 30 * 1024), peak
    assert backed_up >= 3, 'the non-readers never backed up: the test did not test anything'
    # resume: read everything; each subscription ends with a full window of the truth
    truth = await voters[0].ok('gallery.get', sort='top', limit=100)
    want = {x['id']: x['tally']['hearts'] for x in truth['items']}
    r = raw[0]
    latest = {}

    def caught_up(msgs):
        for m in msgs[len(caught_up.seen):]:
            if m.get('ev') == 'gallery.update':
                st = latest.setdefault(m['sub'], {})
                if 'order' in m:
                    st['order'] = m['order']
                for it in m['items']:
                    st[it['id']] = it['tally']['hearts']
        caught_up.seen = list(msgs)
        return len(latest) == SUBS and all(
            st.get('order') == truth_order and all(st.get(i) == want[i] for i in truth_order)
            for st in latest.values())
    caught_up.seen = []
    truth_order = [x['id'] for x in truth['items']]
    r.messages(caught_up, timeout=30)
    for v in voters:
        await v.close()
    for x in raw:
        x.s.close()
    return peak


def kernel_send_queues(port):
    """Bytes in the kernel send queue of each established TCP socket on local port
    (/proc/net/tcp: tx_queue), i.e. the server's side of its connections."""
    out = []
    with open('/proc/net/tcp') as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            local, state, queues = fields[1], fields[3], fields[4]
            if state == '01' and int(local.split(':')[1], 16) == port:
                out.append(int(queues.split(':')[0], 16))
    return out


async def stalled_many(srv, ids):
    """STALLED connections, one subscription each, never read while voters keep every
    window design changing: the server's send queues (its own metric) stop growing at
    about 64 KiB a connection plus one update, no connection is closed, the kernel
    holds at most about twice --ws-sndbuf (64 KiB by default) for each, and one of the
    subscribers, reading again, ends on a full window equal to gallery.get's."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = STALLED + 256
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, want), hard))
    raw = []
    for i in range(STALLED):
        r = RawWS(srv.port)
        r.send({'id': 1, 'op': 'gallery.subscribe', 'sort': 'top', 'limit': 24, 'offset': 0})
        raw.append(r)
    overflows0 = srv.metric('cocreate_send_queue_overflows_total')
    voters = [await register(srv, f'stall{i}') for i in range(24)]
    bound = STALLED * (LIVE_QUEUE_BOUND + 30 * 1024)  # each: the bound + one update
    samples = []
    deadline = time.monotonic() + 120  # a guard; a plateau is seen within ~10-20 s
    rnd = 0
    while time.monotonic() < deadline:
        # voter k casts on design k, then clears it: every round changes every tally
        # of the window, so every subscriber has an update each round
        await asyncio.gather(*(v.ok('vote.cast' if rnd % 2 == 0 else 'vote.clear',
                                    design=ids[k], **({'value': 1} if rnd % 2 == 0 else {}))
                               for k, v in enumerate(voters)))
        rnd += 1
        await asyncio.sleep(0.12)
        q = srv.metric('cocreate_send_queue_bytes')
        samples.append(q)
        assert q <= bound, (q, bound)
        # a plateau: every connection at its bound, for the last 10 rounds (~1.5 s
        # of updates that were all skipped) without growing
        last = samples[-10:]
        if len(last) == 10 and min(last) >= STALLED * LIVE_QUEUE_BOUND and \
                max(last) - min(last) <= STALLED * 30 * 1024:
            break
    else:
        raise AssertionError(f'no plateau of the send queues: {samples[-12:]}')
    assert srv.metric('cocreate_send_queue_overflows_total') == overflows0
    # SO_SNDBUF 64 KiB: the kernel allows about twice that (Linux doubles it)
    kq = kernel_send_queues(srv.port)
    assert len(kq) >= STALLED, len(kq)
    assert max(kq) <= 2 * WS_SNDBUF + 16 * 1024, sorted(kq)[-5:]
    truth = await voters[0].ok('gallery.get', sort='top', limit=24)
    truth_order = [x['id'] for x in truth['items']]
    want_h = {x['id']: x['tally']['hearts'] for x in truth['items']}
    state = {}
    seen = [0]

    def caught_up(msgs):
        for m in msgs[seen[0]:]:
            if m.get('ev') == 'gallery.update':
                if 'order' in m:
                    state['order'] = m['order']
                for it in m['items']:
                    state[it['id']] = it['tally']['hearts']
        seen[0] = len(msgs)
        return state.get('order') == truth_order and all(
            state.get(i) == want_h[i] for i in truth_order)
    raw[0].messages(caught_up, timeout=30)
    for v in voters:
        await v.close()
    for r in raw:
        r.s.close()
    return int(max(samples)), len(samples)


async def watch_resync_comments(srv, ids, count):
    """A design.watch on a connection that stopped reading: the `count` comments posted
    while it was skipped come with its resync (comments_new, newest first, at most 100:
    past that the oldest are left out and comments_gap is set), not only a count."""
    raw = RawWS(srv.port)
    d = ids[1]
    raw.send({'id': 1, 'op': 'design.watch', 'design': d})
    for i in range(SUBS - 1):  # traffic to back the connection up quickly
        raw.send({'id': i + 2, 'op': 'gallery.subscribe', 'sort': 'top', 'limit': 100,
                  'offset': 0})
    voters = [await register(srv, f'wrs{count}_{i}') for i in range(24)]
    for rnd in range(400):
        await asyncio.gather(*(v.ok('vote.cast' if rnd % 2 == 0 else 'vote.clear',
                                    design=ids[k], **({'value': 1} if rnd % 2 == 0 else {}))
                               for k, v in enumerate(voters)))
        await asyncio.sleep(0.12)
        if srv.metric('cocreate_send_queue_bytes') > 2 * LIVE_QUEUE_BOUND:
            break
    else:
        raise AssertionError('the watcher never backed up')
    peer = await Client.connect(srv)  # a watcher that reads: it sees the watch's flushes
    await peer.ok('design.watch', design=d)
    posted = [(await voters[0].ok('comment.post', design=d, text=f'while away {i}'))
              ['comment']['id'] for i in range(count)]
    # the watch's flush after the last comment (one event for every watcher of d): the
    # backed-up watcher was skipped in it, so the resync must carry every comment
    await peer.event('design.update', pred=lambda e: posted[-1] in [
        c['id'] for c in e.get('comments_new', [])])
    await peer.close()
    assert srv.metric('cocreate_send_queue_bytes') > LIVE_QUEUE_BOUND  # still backed up
    want = posted[::-1][:100]  # newest first, the newest 100
    found = []

    def got_them(msgs):
        for m in msgs:
            if m.get('ev') == 'design.update' and m['design']['id'] == d and \
                    'comments_new' in m:
                found.append(m)
        have = [c['id'] for m in found for c in m['comments_new']]
        return all(p in have for p in want)
    raw.messages(got_them, timeout=30)
    resync = found[-1]
    assert [c['id'] for c in resync['comments_new']] == want, resync['comments_new']
    assert resync.get('comments_gap', False) == (count > 100), resync.keys()
    for v in voters:
        await v.close()
    raw.s.close()


async def reload(srv):
    """The catalog rebuilt at start-up (records read without a JSON tree unless they
    need one) serves exactly the pages it served before the restart."""
    ed = await register(srv, 'ed_reload')
    fan = await register(srv, 'fan_reload')
    titles = ['Q"uote \\back\\slash', 'uni \u2603 \u00e9 \U0001F600', '{"contest":"nope","id":"1"}',
              'a}b]c,d:e', '"tags":["nope"],"status":"winner"']
    for i, t in enumerate(titles):
        r = await ed.upload('level', simple_level(variant=5000 + i), title=t,
                            tags=['reload', f'r{i}', 'x-y-z'][:1 + i % 3])
        assert r['ok'], r
        if i % 2:
            await fan.ok('vote.cast', design=r['result']['design']['id'], value=1)
    # statuses: the submitted ones are found by walking the gallery, the others by list
    token = srv.make_brand('acme_reload')
    brand = await Client.connect(srv)
    await brand.ok('auth.login', token=token)
    mine = [x['id'] for x in (await fan.ok('gallery.get', sort='new', creator=ed.account['id'],
                                           limit=100))['items']]
    assert len(mine) == len(titles)
    await brand.ok('design.set_status', design=mine[0], status='shortlisted')
    await brand.ok('design.set_status', design=mine[1], status='not_selected')
    await brand.ok('design.set_status', design=mine[0], status='winner')
    all_new = (await fan.ok('gallery.get', sort='new', limit=100))['items']
    for st, want in (('winner', [mine[0]]), ('not_selected', [mine[1]]), ('shortlisted', [])):
        page = await fan.ok('gallery.get', sort='new', status=st, limit=100)
        assert [x['id'] for x in page['items']] == want and page['total'] == len(want), (st, page)
    sub = await fan.ok('gallery.get', sort='new', status='submitted', limit=100)
    assert [x['id'] for x in sub['items']] == [x['id'] for x in all_new
                                               if x['id'] not in mine[:2]][:100]
    assert sub['total'] == (await fan.ok('gallery.get', sort='new'))['total'] - 2
    await brand.close()
    queries = [dict(sort=s, limit=100) for s in ('new', 'top')] + [
        dict(sort='new', status='winner'), dict(sort='top', status='submitted', offset=2, limit=50),
        dict(sort='new', creator=ed.account['id'], status='submitted'),
        dict(sort='top', tag='reload', limit=100), dict(sort='new', tag='x-y-z', limit=100),
        dict(sort='top', creator=ed.account['id'], limit=100),
        dict(sort='new', status='submitted', offset=3, limit=7)]
    before = [await fan.ok('gallery.get', **q) for q in queries]
    hot_before = await fan.ok('gallery.get', sort='hot', limit=100)
    assert [x['title'] for x in before[4]['items'] if x['title'] in titles] != []
    await ed.close()
    await fan.close()
    srv.stop()
    srv.start()
    c = await Client.connect(srv)
    after = [await c.ok('gallery.get', **q) for q in queries]
    for q, b, a in zip(queries, before, after):
        assert a == b, (q, b, a)
    hot_after = await c.ok('gallery.get', sort='hot', limit=100)
    assert hot_after['total'] == hot_before['total']
    assert sorted(x['id'] for x in hot_after['items']) == sorted(x['id'] for x in hot_before['items'])
    await c.close()


async def upgrade_tallies(srv):
    """Data of schema 4 (votes without their tallies, server/votes.h) is upgraded at
    start: the tallies are counted from the votes, and the galleries rank and count as
    before."""
    import lmdb  # Debian's python3-lmdb (tools/setup/deps.sh)
    c = await Client.connect(srv)
    queries = [dict(sort='top', limit=100), dict(sort='top', offset=100, limit=100),
               dict(sort='new', limit=100)]
    before = [await c.ok('gallery.get', **q) for q in queries]
    await c.close()
    assert sum(x['tally']['votes'] for x in before[0]['items']) > 0, before[0]['items'][:3]
    srv.stop()
    env = lmdb.open(srv.data, max_dbs=64, subdir=True)
    with env.begin(write=True) as txn:
        txn.drop(env.open_db(b'tallies', txn=txn), delete=True)
        txn.put(b'schema', struct.pack('>Q', 4), db=env.open_db(b'meta', txn=txn))
    env.close()
    srv.start()
    line = [x for x in srv.log_text().splitlines() if 'upgrade: schema 4 -> 5' in x]
    assert line and ' from 0 votes' not in line[0], srv.log_text()[-2000:]
    c = await Client.connect(srv)
    after = [await c.ok('gallery.get', **q) for q in queries]
    await c.close()
    for q, b, a in zip(queries, before, after):
        assert a == b, (q, b, a)
    srv.restart()
    assert 'upgrade:' not in srv.log_text()


async def drain_to_slow_reader(srv):
    """SIGTERM while a client that reads slowly has ~1 MB of replies coming: the
    shutdown waits until every reply is out of the process, including the tail that
    lws keeps after a short send, and the client gets each one whole."""
    r = RawWS(srv.port)
    n = 100
    base = srv.metric('cocreate_requests_total')
    for i in range(n):
        r.send({'id': i + 1, 'op': 'gallery.get', 'sort': 'new', 'limit': 100})
    # all answered: the replies sit in the kernel and our queue
    await answered(srv, base + n, 'the gallery.get requests')
    srv.proc.send_signal(signal.SIGTERM)
    got = {}
    r.s.settimeout(20)
    while len(got) < n:
        frame = r.take_frame()
        if frame is not None:
            m = json.loads(frame)
            assert m.get('ok') and len(m['result']['items']) == m['result']['total'] == 35, (
                m.get('id'), m.get('error'))
            got[m['id']] = 1
            continue
        chunk = r.s.recv(8192)
        assert chunk, f'closed after {len(got)} of {n} replies'
        r.buf += chunk
        time.sleep(0.002)  # a slow reader: the server's socket stays choked
    assert sorted(got) == list(range(1, n + 1))
    r.s.close()
    srv.wait_exit(0)  # exit 0, clean log


async def crash():
    srv = Server(start=False)
    subprocess.run([GENDATA, '--data', srv.data, '--designs', '700',
                    '--votes', '0', '--accounts', '2'], check=True, capture_output=True)
    srv.start()
    voters = [await register(srv, f'crash{i}') for i in range(16)]
    acked = {}

    async def vote_all(v, k):
        designs = [str(1 + (k * 37 + j) % 700) for j in range(625)]
        pending = set()
        for d in designs:
            pending.add(asyncio.ensure_future(v.call('vote.cast', design=d, value=1)))
            if len(pending) >= 32:
                _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        await asyncio.gather(*pending)

    # count acks per design from the replies themselves
    orig_call = Client.call

    async def counting_call(self, op, timeout=WAIT, **args):
        r = await orig_call(self, op, timeout, **args)
        if op == 'vote.cast':
            assert r['ok'], r
            acked[args['design']] = acked.get(args['design'], 0) + 1
        return r
    Client.call = counting_call
    try:
        await asyncio.gather(*(vote_all(v, k) for k, v in enumerate(voters)))
    finally:
        Client.call = orig_call
    srv.kill9()  # the instant the last ack arrived
    assert sum(acked.values()) == 16 * 625
    srv.start()
    c = await Client.connect(srv)
    for d, n in acked.items():
        g = (await c.ok('design.get', design=d))['design']
        assert g['tally']['hearts'] == n, (d, g['tally'], n)
    await c.close()
    for v in voters:
        await v.close()
    srv.stop()
    return sum(acked.values())


async def kinds():
    """gallery.get and gallery.subscribe by kind (the open gallery holds both)."""
    srv = Server()
    ann = await register(srv, 'kind_ann')
    anon = await Client.connect(srv)
    sub = await anon.ok('gallery.subscribe', sort='new', kind='artwork')
    assert sub['total'] == 0
    levels = [(await ann.upload('level', simple_level(variant=3000 + i), title=f'L{i}'))
              ['result']['design']['id'] for i in range(3)]
    arts = [(await ann.upload('artwork', png_gradient(64, 64, 40 + i), title=f'A{i}'))
            ['result']['design']['id'] for i in range(2)]
    for kind, want in (('level', levels), ('artwork', arts)):
        g = await anon.ok('gallery.get', sort='new', kind=kind)
        assert sorted(x['id'] for x in g['items']) == sorted(want) and g['total'] == len(want), g
        assert all(x['kind'] == kind for x in g['items'])
    assert (await anon.ok('gallery.get', sort='new'))['total'] == 5
    e = await anon.err('gallery.get', 'bad_args', sort='new', kind='video')
    assert e['detail']['field'] == 'kind'
    ev = await anon.event('gallery.update', pred=lambda e: e['total'] == 2)
    assert sorted(ev['order']) == sorted(arts), ev
    await ann.close()
    await anon.close()
    srv.stop()


async def lucky_dip():
    """SPEC §8: sort random with a seed — a stable order per seed, pages that never
    repeat, a cut-off (until) that keeps newer designs out of an order being paged."""
    srv = Server()
    ann = await register(srv, 'dip_ann')
    ids = [(await ann.upload('level', simple_level(variant=4000 + i), title=f'D{i}'))
           ['result']['design']['id'] for i in range(30)]
    anon = await Client.connect(srv)
    first = await anon.ok('gallery.get', sort='random', seed=42, limit=10)
    assert first['seed'] == 42 and first['until'] == ids[-1] and first['total'] == 30, first
    order = [x['id'] for x in first['items']]
    for off in (10, 20):
        page = await anon.ok('gallery.get', sort='random', seed=42, until=first['until'],
                             offset=off, limit=10)
        order += [x['id'] for x in page['items']]
    assert sorted(order, key=int) == ids, order  # every design once
    assert order != ids and order != ids[::-1], 'not shuffled'
    again = await anon.ok('gallery.get', sort='random', seed=42, limit=30)
    assert [x['id'] for x in again['items']] == order
    other = await anon.ok('gallery.get', sort='random', seed=43, limit=30)
    assert [x['id'] for x in other['items']] != order
    fresh = await anon.ok('gallery.get', sort='random', limit=5)
    assert isinstance(fresh['seed'], int) and len(fresh['items']) == 5
    # a newer design waits for a new order
    late = (await ann.upload('level', simple_level(variant=4100), title='Late'))['result']['design']['id']
    kept = await anon.ok('gallery.get', sort='random', seed=42, until=first['until'], limit=100)
    assert kept['total'] == 30 and late not in [x['id'] for x in kept['items']]
    assert (await anon.ok('gallery.get', sort='random', seed=42, limit=100))['total'] == 31
    e = await anon.err('gallery.subscribe', 'bad_args', sort='random')
    assert e['detail']['field'] == 'sort'
    for bad in (dict(seed=-1), dict(seed=2 ** 53 + 1), dict(until='x'), dict(seed='1')):
        await anon.err('gallery.get', 'bad_args', sort='random', **bad)
    assert (await anon.ok('gallery.get', sort='random', seed=2 ** 53, limit=1))['seed'] == 2 ** 53
    await ann.close()
    await anon.close()
    srv.stop()


async def main():
    await kinds()
    await lucky_dip()
    srv = Server()
    try:
        ids = await votes_and_pages(srv)
        await live(srv, ids)
        peak = await slow_reader(srv, ids)
        stalled_peak, stalled_rounds = await stalled_many(srv, ids)
        await watch_resync_comments(srv, ids, 100)
        await watch_resync_comments(srv, ids, 101)
        await reload(srv)
        await upgrade_tallies(srv)
        await drain_to_slow_reader(srv)
        n = await crash()
        print(f'galleries: ok (slow readers peaked at {int(peak)} queued bytes; '
              f'{STALLED} stalled subscribers at {stalled_peak} after {stalled_rounds} rounds; '
              f'{n} acknowledged votes survived kill -9)')
    finally:
        if srv.running():
            srv.kill9()


run(main)
