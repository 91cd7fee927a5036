#!/usr/bin/env python3
"""Seeds cocreated with the demo content of assets/samples/ through the public protocol
(the same path as any client).

    tools/samples/seed.py --cocreated BIN --data DIR [--samples assets/samples]
    tools/samples/seed.py --url ws://127.0.0.1:8080/ws [--samples assets/samples]

With --cocreated (what tools/run does on a fresh ./var), the story: DIR must hold no
data yet. It makes the brand account `acme` (`BIN --data DIR --make-brand acme`, the
operator's offline command), starts BIN on DIR with --test-clock on a free loopback
port, and plays five weeks of a community on the server's test clock, oldest first:
five creators upload the 48 samples over the weeks, twenty members vote on them over
the following days and comment, and the brand runs four contests — one closed, with a
winner in production and the brand's official note; one in voting; one taking
submissions; one upcoming — so that Top, Hot and New each order the gallery their own
way. Every record carries the simulated time it was accepted at (test.clock sets the
server's clock; docs/changes.md). The last event is a minute before the real time at
the start, the server is stopped, and the brand's token is printed on stdout: the real
server then starts on DIR with the wall clock, and times run on from there.

With --url (tools/cluster), a running server without a test clock: the creators upload
every sample to the `open` contest, all now.

Needs python3-websockets (Debian). Exits non-zero if any request is refused."""
import argparse
import asyncio
import hashlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import websockets

# Demo people. Creators get different shares of the samples (points differ: SPEC §2).
CREATORS = [('ada_designs', 14), ('bo.builds', 11), ('cy-creates', 9), ('dee_draws', 8),
            ('eli.makes', 6)]
VOTERS = ['maya.k', 'tomas_r', 'lin-wu', 'sam.o', 'priya_n', 'jonas.b', 'ana-luz', 'kofi.a',
          'mei_l', 'oskar.v', 'zara-h', 'ravi_m', 'noor.s', 'felix_t', 'ines.c', 'yuki-o',
          'omar.d', 'lena_p', 'theo.g', 'amara.n']
BRAND = 'acme'
CHUNK = 60 * 1024
DAY, HOUR = 86400, 3600
SEED = 17  # the story is the same at every first start, only shifted to today

COMMENTS = [
    'Love the colours on this one.', 'That jump near the end took me five tries!',
    'Would wear this every day.', 'The composition is so balanced.',
    'Great flow: never a dead end.', 'Could the spikes be a little fairer?',
    'This deserves to win.', 'The coins lead you right into the secret, nice touch.',
    'I would buy this in navy.', 'Clean and bold, works from across the street.',
]


class Client:
    """One WebSocket connection: call() sends a request and returns its result or
    raises SystemExit with the error."""

    def __init__(self, ws):
        self.ws, self.next_id = ws, 0

    @classmethod
    async def connect(cls, url):
        return cls(await websockets.connect(url, subprotocols=['cocreate.v1'], max_size=None))

    async def call(self, op, **args):
        self.next_id += 1
        await self.ws.send(json.dumps({'id': self.next_id, 'op': op, **args}))
        while True:
            msg = json.loads(await self.ws.recv())
            if 'ev' in msg:
                continue
            if msg.get('id') == self.next_id or msg.get('ok') is False:
                if not msg['ok']:
                    raise SystemExit(f'seed: {op} {json.dumps(args)[:200]}: {msg["error"]}')
                return msg['result']

    async def upload(self, path, kind, title, tags, contest='open'):
        with open(path, 'rb') as f:
            data = f.read()
        r = await self.call('upload.begin', kind=kind, title=title, tags=tags, contest=contest,
                            bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
        if not r['have']:
            for off in range(0, len(data), CHUNK):
                await self.ws.send(data[off:off + CHUNK])
        return (await self.call('upload.commit', upload=r['upload']))['design']


def samples(path):
    with open(os.path.join(path, 'manifest.json')) as f:
        items = json.load(f)
    for it in items:
        it['path'] = os.path.join(path, it['file'])
    return ([it for it in items if it['kind'] == 'artwork'],
            [it for it in items if it['kind'] == 'level'])


def contests(now):
    """The brand's four contests, their times relative to now (seconds)."""
    return [
        dict(slug='spring-tees', title='Spring Tees 2027', kind='artwork', scale='stars5',
             brief='Fresh, bright shirts for the first warm days. Bold shapes read best '
                   'from across the street.',
             prize='$1,000 and 10 % royalties on every shirt sold',
             submit_open=now - 40 * DAY, submit_close=now - 30 * DAY, vote_close=now - 24 * DAY),
        dict(slug='night-levels', title='Night Levels', kind='level', scale='updown',
             brief='Levels for the night update: tight jumps, few coins, a goal worth reaching.',
             prize='Your level in the game with your name in the credits',
             submit_open=now - 14 * DAY, submit_close=now - 2 * DAY, vote_close=now + 5 * DAY),
        dict(slug='summer-prints', title='Summer Prints', kind='artwork', scale='heart',
             brief='Prints for the summer line. 5 hearts put a design on the shortlist.',
             prize='$500 and a box of the finished shirts', threshold=5,
             submit_open=now - 5 * DAY, submit_close=now + 9 * DAY, vote_close=now + 14 * DAY),
        dict(slug='ocean-levels', title='Ocean Levels', kind='level', scale='heart',
             brief='Water, waves and things that swim. Opens soon.',
             prize='A signed art book and your level in the summer update',
             submit_open=now + 3 * DAY, submit_close=now + 17 * DAY, vote_close=now + 24 * DAY),
    ]


def plan(now, arts, levels):
    """The story as (time, seq, actor, action) events, played in time order. Actions
    are tuples: ('upload', key, item, contest), ('vote', key, value), ('comment', key,
    text), ('contest', args), ('close', slug), ('judge', slug, notes)."""
    rng = random.Random(SEED)
    owners = [name for name, n in CREATORS for _ in range(n)]
    rng.shuffle(owners)
    ev, seq = [], [0]

    def add(t, actor, *action):
        seq[0] += 1
        ev.append((int(t), seq[0], actor, action))

    cs = {c['slug']: c for c in contests(now)}
    for c in cs.values():
        add(min(c['submit_open'], now) - 2 * DAY, BRAND, 'contest', c)

    # Who uploads what, where, when: [(key, item, contest, time, scale, vote window)]
    entries = []
    groups = [('spring-tees', arts[:6]), ('night-levels', levels[:6]),
              ('summer-prints', arts[6:10]), ('open', arts[10:] + levels[6:])]
    for slug, items in groups:
        if slug == 'open':
            start, end, vote_end = now - 32 * DAY, now - 2 * HOUR, now - 5 * 60
        else:
            c = cs[slug]
            start, end = c['submit_open'] + HOUR, min(c['submit_close'], now) - DAY
            vote_end = min(c['vote_close'], now) - 5 * 60
        times = sorted(rng.uniform(start, end) for _ in items)
        if slug == 'open':
            rng.shuffle(items)  # artworks and levels mixed
        for i, (item, t) in enumerate(zip(items, times)):
            key = f'{slug}:{i}'
            entries.append((key, item, slug, t, vote_end))
            add(t, owners.pop(), 'upload', key, item, slug)

    scales = {'open': 'heart', **{s: c['scale'] for s, c in cs.items()}}
    for key, item, slug, t, vote_end in entries:
        # Some designs catch on, most get a little: a skewed share of the voters, each
        # voting some time after the upload (sooner rather than later).
        appeal = rng.random() ** 2
        n = min(len(VOTERS), int(appeal * len(VOTERS)) + rng.randint(0, 3))
        for voter in rng.sample(VOTERS, n):
            when = t + (vote_end - t) * rng.random() ** 2.5
            scale = scales[slug]
            if scale == 'stars5':
                value = max(1, min(5, round(2 + 3 * appeal + rng.uniform(-1.2, 1.2))))
            elif scale == 'updown':
                value = 1 if rng.random() < 0.35 + 0.6 * appeal else -1
            else:
                value = 1
            add(when, voter, 'vote', key, value)
        if appeal > 0.3 or rng.random() < 0.25:
            for _ in range(1 + int(appeal * 3)):
                add(t + (vote_end - t) * rng.random(), rng.choice(VOTERS), 'comment', key,
                    rng.choice(COMMENTS))

    # The closed contest: judged when voting closed, its winner sent to production.
    spring = cs['spring-tees']
    add(spring['vote_close'] + 6 * HOUR, BRAND, 'judge', 'spring-tees', {
        'shortlist': 'Shortlisted: in the final three.',
        'winner': 'Congratulations! The community loved it and so did we.',
        'in_production': 'Printing 800 in organic cotton: in our stores and online on '
                         'the first of May.',
        'comment': 'Thank you all for 6 great entries and hundreds of votes. The winner is '
                   'going into production, and the royalties start with the first shirt.'})
    add(spring['vote_close'] + 3 * DAY, BRAND, 'close', 'spring-tees')
    ev.sort()
    return ev


async def play(url, events, brand_token, creators_only=False):
    clients, designs, clock = {}, {}, None
    brand = await Client.connect(url)
    await brand.call('auth.login', token=brand_token)
    clients[BRAND] = brand

    async def who(name):
        if name not in clients:
            c = await Client.connect(url)
            await c.call('auth.register', name=name)
            clients[name] = c
        return clients[name]

    for t, _, actor, action in events:
        if t != clock:
            await brand.call('test.clock', now=t)
            clock = t
        c = await who(actor)
        kind = action[0]
        if kind == 'contest':
            await c.call('contest.create', **action[1])
        elif kind == 'upload':
            _, key, item, slug = action
            d = await c.upload(item['path'], item['kind'], item['title'], item.get('tags', []),
                               slug)
            designs[key] = d['id']
        elif kind == 'vote':
            await c.call('vote.cast', design=designs[action[1]], value=action[2])
        elif kind == 'comment':
            await c.call('comment.post', design=designs[action[1]], text=action[2])
        elif kind == 'close':
            await c.call('contest.update', contest=action[1], closed=True)
        elif kind == 'judge':
            _, slug, notes = action
            ranking = (await c.call('contest.results', contest=slug))['ranking']
            top = [r['design'] for r in ranking]
            for d in top[:3]:
                await c.call('design.set_status', design=d, status='shortlisted',
                             note=notes['shortlist'])
            await c.call('design.set_status', design=top[0], status='winner', note=notes['winner'])
            for d in top[1:]:
                await c.call('design.set_status', design=d, status='not_selected')
            await c.call('design.set_status', design=top[0], status='in_production',
                         note=notes['in_production'])
            await c.call('comment.post', design=top[0], text=notes['comment'])
    for c in clients.values():
        await c.ws.close()
    n_votes = sum(1 for e in events if e[3][0] == 'vote')
    return len(designs), n_votes


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def story(exe, data, samples_dir):
    if os.path.exists(os.path.join(data, 'data.mdb')):
        raise SystemExit(f'seed: {data} already holds data; the story needs a fresh one')
    os.makedirs(data, exist_ok=True)
    p = subprocess.run([exe, '--data', data, '--make-brand', BRAND], capture_output=True,
                       text=True, stdin=subprocess.DEVNULL)
    if p.returncode:
        raise SystemExit(f'seed: --make-brand {BRAND} failed: {p.stderr.strip()}')
    token = p.stdout.strip()
    now = int(time.time()) - 60
    arts, levels = samples(samples_dir)
    events = plan(now, arts, levels)
    for attempt in range(5):
        port = free_port()
        log = open(os.path.join(data, 'seed.log'), 'w')
        srv = subprocess.Popen([exe, '--listen', f'127.0.0.1:{port}', '--data', data, '--web', '',
                                '--test-clock', '--no-rate-limits'],
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and srv.poll() is None:
            try:
                with urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.05)
        if srv.poll() is None:
            break
        log.close()
        if 'cannot listen' not in open(os.path.join(data, 'seed.log')).read():
            raise SystemExit(f'seed: cocreated did not start (see {data}/seed.log)')
    try:
        n_designs, n_votes = asyncio.run(play(f'ws://127.0.0.1:{port}/ws', events, token))
    finally:
        srv.send_signal(signal.SIGTERM)
        rc = srv.wait(timeout=60)
        log.close()
    if rc:
        raise SystemExit(f'seed: the seeding server exited {rc} (see {data}/seed.log)')
    os.remove(os.path.join(data, 'seed.log'))
    print(f'seeded {n_designs} designs, {n_votes} votes and 4 contests from '
          f'{len(CREATORS)} creators and {len(VOTERS)} voters', file=sys.stderr)
    print(token)


async def simple(url, samples_dir):
    arts, levels = samples(samples_dir)
    clients = []
    for name, _ in CREATORS:
        c = await Client.connect(url)
        await c.call('auth.register', name=name)
        clients.append(c)
    for i, item in enumerate(levels + arts):
        await clients[i % len(clients)].upload(item['path'], item['kind'], item['title'],
                                               item.get('tags', []))
    for c in clients:
        await c.ws.close()
    print(f'seeded {len(levels) + len(arts)} designs from {len(CREATORS)} demo creators',
          file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument('--cocreated', help='the daemon to seed DIR with (the story)')
    ap.add_argument('--data', help='with --cocreated: the fresh data directory')
    ap.add_argument('--url', help='a running server to upload the samples to (no story)')
    ap.add_argument('--samples', default=os.path.join(here, '..', '..', 'assets', 'samples'))
    args = ap.parse_args()
    if args.cocreated and args.data:
        story(args.cocreated, args.data, args.samples)
    elif args.url:
        asyncio.run(simple(args.url, args.samples))
    else:
        ap.error('give --cocreated BIN --data DIR, or --url URL')


if __name__ == '__main__':
    main()
