"""soak (issue 20): a mixed load for CC_SOAK_SECONDS (60 in the suite; `tools/soak
--minutes N` for longer) on a server seeded with a realistic base (gendata: 2,000
designs, ~18,000 votes, 300 accounts), watching the daemon's anonymous memory.

The load, all at once, each client one request at a time: voters cast and clear votes,
comment, read galleries (new, top, hot, at any depth) and designs; creators upload
levels (and, past NEW_BLOBS, upload one of theirs again: refused as a duplicate);
registrations come on fresh connections; viewers connect, subscribe to a
gallery, watch a design, take the live events for a while, unsubscribe and disconnect;
/metrics is scraped. A few requests are wrong on purpose (EXPECTED: a vote of a value
the scale has not, a design that does not exist, a comment while logged out, a creator's
level uploaded again) so the error paths soak too.

Before the load, PRELOAD levels are uploaded and the first zstd dictionary is trained
(blobs.h: at 200 blobs of a kind, then at each doubling): training keeps about 6 MB of
RssAnon (its scratch memory stays in malloc's arena of the pool thread that ran it), a
one-time step that would read as a leak in the measured quarters. The load's new levels
stop short of the next training (NEW_BLOBS) for the same reason.

Every SAMPLE seconds it reads the daemon's RssAnon from /proc/PID/status (anonymous
memory: the heap and anonymous maps; LMDB's map is a file mapping and would make plain
RSS grow with the data file) and the server's request counter. It prints throughput,
error counts and RssAnon over time, the RssAnon slope after the warm-up (the first
quarter), and fails when:
- any reply is an error other than the EXPECTED refusals;
- RssAnon's mean over the last quarter exceeds its mean over the second quarter by more
  than GROWTH_MAX (10 %): memory that keeps growing under a steady load is a leak (the
  designs uploaded meanwhile add a few hundred bytes each to the catalog: ~1 % here);
- a quarter completed no request (the server stalled);
- the server does not stop cleanly (exit 0, no sanitizer report)."""
import asyncio
import collections
import os
import random
import subprocess
import time

from harness import Client, Server, WAIT, register, run, simple_level, until

SECONDS = float(os.environ.get('CC_SOAK_SECONDS', '60'))
SAMPLE = max(1.0, SECONDS / 120)  # 60 s: every second; an hour: every 30 s
GROWTH_MAX = 0.10
SEED = int(os.environ.get('CC_SEED', random.randrange(1 << 30)))
GENDATA = os.environ.get('CC_GENDATA', os.path.join(os.path.dirname(os.environ.get(
    'COCREATED', 'build/cocreated')), 'tools', 'bench', 'gendata'))
BASE_DESIGNS = 2000
BLOBS_DICT_TRAIN_AT = 200  # server/blobs.h
PRELOAD = BLOBS_DICT_TRAIN_AT + 10
NEW_BLOBS = 2 * BLOBS_DICT_TRAIN_AT - PRELOAD - 10  # new levels the load may add
VOTERS, CREATORS, VIEWERS, REGISTRARS = 6, 2, 4, 1
# the refusals asked for on purpose: (op, code)
EXPECTED = {('vote.cast', 'bad_args'), ('design.get', 'not_found'),
            ('comment.post', 'unauthorized'), ('upload', 'conflict')}


class Tally:
    def __init__(self):
        self.ops = collections.Counter()       # replies by op
        self.refused = collections.Counter()   # (op, code) asked for
        self.errors = collections.Counter()    # (op, code) not asked for
        self.examples = []                     # the first few unexpected errors
        self.designs = list(range(1, BASE_DESIGNS + 1))
        self.new_blobs = 0


async def call(c, t, op, expect=None, **args):
    """The result, or None after counting the refusal (expected or not)."""
    r = await c.call(op, **args)
    t.ops[op] += 1
    if r['ok']:
        return r['result']
    code = r['error']['code']
    if (op, code) in EXPECTED and code == expect:
        t.refused[(op, code)] += 1
    else:
        t.errors[(op, code)] += 1
        if len(t.examples) < 5:
            t.examples.append((op, args, r['error']))
    return None


def design(t, rng):
    """A design id: mostly the popular few, as real traffic is."""
    d = t.designs
    return str(d[min(int(rng.paretovariate(1.2)) - 1, len(d) - 1)] if rng.random() < 0.5
               else rng.choice(d))


async def voter(srv, t, stop, i, rng):
    c = await register(srv, f'soak_v{i}')
    n = 0
    while not stop.is_set():
        n += 1
        d = design(t, rng)
        if rng.random() < 0.7:
            await call(c, t, 'vote.cast', design=d, value=1)
        else:
            await call(c, t, 'vote.clear', design=d)
        if n % 10 == 0:
            await call(c, t, 'comment.post', design=d, text=f'soak comment {i}.{n}')
        if n % 3 == 0:
            await call(c, t, 'gallery.get', sort=rng.choice(('new', 'top', 'hot')),
                       offset=rng.randrange(0, 400), limit=24)
        if n % 4 == 0:
            await call(c, t, 'design.get', design=d)
        if n % 50 == 0:  # wrong on purpose
            await call(c, t, 'vote.cast', expect='bad_args', design=d, value=7)
            await call(c, t, 'design.get', expect='not_found', design='999999999')
    await c.close()


async def creator(srv, t, stop, i, rng):
    c = await register(srv, f'soak_c{i}')
    n, mine = 0, []
    while not stop.is_set():
        n += 1
        again = t.new_blobs >= NEW_BLOBS and mine
        if again:  # one of its own levels again: a duplicate, refused
            variant = rng.choice(mine)
        else:
            variant = 100000 * (i + 1) + n
            mine.append(variant)
            t.new_blobs += 1
        r = await c.upload('level', simple_level(variant=variant), title=f'soak {i}.{n}',
                           tags=[f'soak{i}'])
        t.ops['upload'] += 1
        if r['ok'] and not again:
            t.designs.append(int(r['result']['design']['id']))
        elif again and not r['ok'] and r['error']['code'] == 'conflict':
            t.refused[('upload', 'conflict')] += 1
        else:
            t.errors[('upload', r['error']['code'] if not r['ok'] else 'ok')] += 1
            t.examples.append(('upload', {'variant': variant}, r.get('error')))
        await asyncio.sleep(0.5)  # pacing: a creator uploads now and then


async def registrar(srv, t, stop, i, rng):
    n = 0
    while not stop.is_set():
        n += 1
        c = await Client.connect(srv)
        if await call(c, t, 'auth.register', name=f'soak_r{i}_{n}'):
            await call(c, t, 'gallery.get', sort='new', limit=24)
        await c.close()
        await asyncio.sleep(0.1)  # pacing


async def viewer(srv, t, stop, i, rng):
    while not stop.is_set():
        c = await Client.connect(srv)
        s = await call(c, t, 'gallery.subscribe', sort=rng.choice(('new', 'top', 'hot')),
                       limit=24)
        await call(c, t, 'design.watch', design=design(t, rng))
        await call(c, t, 'comment.post', expect='unauthorized', design='1', text='anon')
        for _ in range(10):  # take the live events for a while
            if stop.is_set():
                break
            await asyncio.sleep(0.2)
            c.events.clear()
        if s:
            await call(c, t, 'gallery.unsubscribe', sub=s['sub'])
        await c.close()


def rss_anon_kb(pid):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('RssAnon:'):
                return int(line.split()[1])
    raise AssertionError('no RssAnon in /proc/PID/status')


def slope_per_min(points):
    """Least-squares slope of (seconds, kB) points, in kB per minute."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    return 60 * sum((x - mx) * (y - my) for x, y in points) / var if var else 0.0


async def main():
    rng = random.Random(SEED)
    srv = Server(start=False)
    subprocess.run([GENDATA, '--data', srv.data, '--designs', str(BASE_DESIGNS),
                    '--votes', str(9 * BASE_DESIGNS), '--accounts', '300'],
                   check=True, capture_output=True, timeout=WAIT)
    srv.start()
    pid = srv.proc.pid
    seeder = await register(srv, 'soak_seeder')
    for v in range(PRELOAD):
        r = await seeder.upload('level', simple_level(variant=v + 1), title=f'seed {v}')
        assert r['ok'], r
    await seeder.close()
    await until(lambda: 'trained zstd dictionary' in srv.log_text(), 'the first dictionary')
    print(f'soak: {SECONDS:.0f} s of mixed load, RssAnon every {SAMPLE:g} s, cocreated '
          f'pid {pid}, CC_SEED={SEED}')
    t, stop = Tally(), asyncio.Event()
    workers = [voter(srv, t, stop, i, random.Random(rng.random())) for i in range(VOTERS)]
    workers += [creator(srv, t, stop, i, random.Random(rng.random())) for i in range(CREATORS)]
    workers += [viewer(srv, t, stop, i, random.Random(rng.random())) for i in range(VIEWERS)]
    workers += [registrar(srv, t, stop, i, random.Random(rng.random()))
                for i in range(REGISTRARS)]
    tasks = [asyncio.ensure_future(w) for w in workers]

    samples = []  # (seconds, RssAnon kB, server requests so far, errors so far)
    start = time.monotonic()
    every = max(1, round(SECONDS / 20 / SAMPLE))  # print about 20 lines
    print(f'{"t (s)":>7} {"req/s":>8} {"errors":>7} {"refused":>8} {"RssAnon MB":>11} '
          f'{"designs":>8}')
    while True:
        await asyncio.sleep(SAMPLE)  # the sampling period, not a wait for a condition
        for task in tasks:
            if task.done():  # a worker died: its exception ends the soak
                task.result()
        now = time.monotonic() - start
        m = await asyncio.to_thread(srv.scrape)
        samples.append((now, rss_anon_kb(pid), m['cocreate_requests_total'],
                        sum(t.errors.values())))
        if len(samples) % every == 0 or now >= SECONDS:
            prev = samples[-every - 1] if len(samples) > every else (0, 0, 0, 0)
            rate = (samples[-1][2] - prev[2]) / (now - prev[0])
            print(f'{now:7.1f} {rate:8.0f} {sum(t.errors.values()):7d} '
                  f'{sum(t.refused.values()):8d} {samples[-1][1] / 1024:11.2f} '
                  f'{int(m["cocreate_designs"]):8d}', flush=True)
        if now >= SECONDS:
            break
    stop.set()
    await asyncio.gather(*tasks)
    srv.stop()  # exit 0, clean log

    def quarter(k):
        return [s for s in samples if k * SECONDS / 4 <= s[0] < (k + 1) * SECONDS / 4 or
                (k == 3 and s[0] >= SECONDS)]
    q = [quarter(k) for k in range(4)]
    mean = [sum(s[1] for s in part) / len(part) for part in q]
    growth = mean[3] / mean[1] - 1
    slope = slope_per_min([(s[0], s[1]) for s in samples if s[0] >= SECONDS / 4])
    total = samples[-1][2]
    print(f'soak: {int(total)} requests ({total / samples[-1][0]:.0f}/s), by op: '
          + ', '.join(f'{op} {n}' for op, n in t.ops.most_common()))
    print(f'soak: refused as asked {dict(t.refused)}; other errors {dict(t.errors)}')
    print('soak: RssAnon mean by quarter (MB): '
          + ' '.join(f'{x / 1024:.2f}' for x in mean)
          + f'; second to last quarter {100 * growth:+.1f} % (limit +{100 * GROWTH_MAX:.0f} %)'
          + f'; slope after warm-up {slope:+.0f} kB/min')
    assert not t.errors, f'error replies: {dict(t.errors)}; e.g. {t.examples}'
    assert all(part[-1][2] > part[0][2] for part in q[1:]), 'a quarter without requests'
    assert growth <= GROWTH_MAX, (f'RssAnon grew {100 * growth:.1f} % from the second to '
                                  f'the last quarter: {[round(x) for x in mean]} kB')
    # the planted refusals came (a duplicate upload not refused is an error above; there
    # is none before the load made NEW_BLOBS new levels)
    planted = EXPECTED - {('upload', 'conflict')}
    assert planted <= t.refused.keys(), f'the planted refusals did not all come: {t.refused}'


if __name__ == '__main__':
    run(main)
