"""ctest `powercut` (issues 16, 20; SPEC §6 durability): a power cut loses nothing that
was acknowledged, and the database opens. kill -9 cannot show this (the kernel keeps
what was written); here cocreated runs under the LD_PRELOAD shim tests/power/powercut.c,
which records every write and sync of its data directory, and tests/power/powercut_rebuild
makes the files as a power cut at the moment of the kill leaves them (docs/testing.md).

Each round (CC_POWERCUT_ROUNDS, 10): four clients run a mixed load (registrations,
artwork uploads, votes cast and cleared, comments), every acknowledged write is
recorded, SIGKILL comes after a random number of acks; `powercut_rebuild --check` shows
the shim's log holds what the kernel held; then copies for --mode none, --mode all and
random seeds each get: mdb_dump walks every database, a normal cocreated starts on it,
and every acknowledged write is there (accounts log in, designs have their bytes, each
voter's vote is the last acked one or the one in flight, tallies count them, comments
are listed). A last round is the negative control: its last sync is treated as never
done (POWERCUT_DROP_LAST_SYNC=1) after a quiet end, and the same checker must find an
acked write missing or a database that does not open.
CC_SEED=N replays a run's kill points and seeds (its summary prints the seed);
tools/powercut --rounds N runs more rounds."""
import asyncio
import hashlib
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import time
import zlib

from harness import Client, Closed, Server, all_comments, login_problems, run, tmpdir

SHIM = os.environ.get('CC_POWERCUT_SO', 'build/tests/libpowercut.so')
REBUILD = os.environ.get('CC_POWERCUT_REBUILD', 'tests/power/powercut_rebuild')
COCREATED = os.environ.get('COCREATED', 'build/cocreated')
ROUNDS = int(os.environ.get('CC_POWERCUT_ROUNDS', 10))  # then the negative control
SEEDS = 3           # random power cuts per round, besides none and all
WORKERS = 4
KILL_AT = (150, 450)  # acked writes before the kill
DEADLINE = 60       # seconds for a round's load to reach its kill point (a hang guard)


def png(w, h, rgba):
    raw = b''.join(b'\x00' + bytes(rgba) * w for _ in range(h))

    def chunk(k, d):
        return struct.pack('>I', len(d)) + k + d + struct.pack('>I', zlib.crc32(k + d))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 6, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))


def preload():
    """LD_PRELOAD for the shim; an ASan build's runtime must come first in the list."""
    out = subprocess.run(['ldd', COCREATED], capture_output=True, text=True).stdout
    first = [line.split('=>')[1].split()[0] for line in out.splitlines()
             if 'libasan' in line and '=>' in line]
    return ' '.join(first + [os.path.abspath(SHIM)])


class Acked:
    """Every acknowledged write of a run, and the ones in flight at the kill."""

    def __init__(self):
        self.count = 0
        self.accounts = {}   # name -> token
        self.designs = {}    # id -> (worker, sha256 hex)
        self.votes = {}      # (worker, design) -> [acked my_vote, {value in flight}]
        self.comments = {}   # (design, comment id) -> text


class Load:
    """WORKERS clients, each logged in as its own account (plus a connection that
    registers new ones), doing one request at a time until the server is killed."""

    def __init__(self, srv, rng, kill_at, acked, tag):
        self.srv, self.rng, self.kill_at, self.a, self.tag = srv, rng, kill_at, acked, tag
        self.tokens = {}  # worker -> token
        self.n = 0
        self.stop = False  # the negative control's quiet end: no new requests

    def ack(self):
        self.a.count += 1
        if self.a.count == self.kill_at and self.srv.running():
            self.srv.kill9()

    def name(self, w):
        self.n += 1
        return f'{self.tag}w{w}n{self.n}'

    async def register(self, c, w):
        name = self.name(w)
        res = await c.ok('auth.register', name=name)
        self.a.accounts[name] = res['token']
        self.ack()
        return res['token']

    async def upload(self, c, w):
        self.n += 1
        data = png(64, 64, (self.n % 256, self.n // 256 % 256, 40 * w, 255))
        r = await c.upload('artwork', data, title=f'Power cut {self.n}')
        assert r['ok'], r
        self.a.designs[r['result']['design']['id']] = (w, hashlib.sha256(data).hexdigest())
        self.ack()

    async def vote(self, c, w, d):
        state = self.a.votes.setdefault((w, d), [None, set()])
        value = 1 if state[0] is None else None
        state[1] = {value}
        if value:
            await c.ok('vote.cast', design=d, value=1)
        else:
            await c.ok('vote.clear', design=d)
        state[0], state[1] = value, set()
        self.ack()

    async def comment(self, c, d):
        self.n += 1
        text = f'{self.tag} comment {self.n}'
        res = await c.ok('comment.post', design=d, text=text)
        self.a.comments[(d, res['comment']['id'])] = text
        self.ack()

    async def worker(self, w):
        reg = await Client.connect(self.srv)
        c = await Client.connect(self.srv)
        try:
            token = await self.register(reg, w)
            await c.ok('auth.login', token=token)
            self.tokens[w] = token
            await self.upload(c, w)
            while not self.stop:
                others = [d for d, (cw, _) in self.a.designs.items() if cw != w]
                r = self.rng.random()
                if r < 0.1:
                    await self.register(reg, w)
                elif r < 0.18 or not others:
                    await self.upload(c, w)
                elif r < 0.7:
                    await self.vote(c, w, self.rng.choice(others))
                else:
                    await self.comment(c, self.rng.choice(others))
        except Closed:
            pass  # killed: what was in flight is in self.a as such
        finally:
            for x in (reg, c):
                if not x.closed.is_set():
                    await x.close()

    async def run(self):
        try:
            await asyncio.wait_for(
                asyncio.gather(*(self.worker(w) for w in range(WORKERS))), DEADLINE)
        except asyncio.TimeoutError:
            raise AssertionError(f'{self.a.count} acks in {DEADLINE} s, the kill was due at '
                                 f'{self.kill_at}')


async def check(srv, a, tokens):
    """What of the acknowledged writes is missing on srv: a list of problems."""
    problems = []
    c = await Client.connect(srv)
    problems += await login_problems(c, a.accounts)
    for d, (_, sha) in sorted(a.designs.items()):
        r = await c.call('design.get', design=d)
        if not (r['ok'] and r['result']['design']['blob'] == sha):
            problems.append(f'design {d} ({sha[:12]}) lost: {r}')
    for d in sorted({d for d, _ in a.comments}):
        got = await all_comments(c, d)
        if isinstance(got, dict):
            problems.append(f'comment.list {d}: {got}')
            got = []
        seen = {(x['id'], x['text']) for x in got}
        for (cd, cid), text in sorted(a.comments.items()):
            if cd == d and (cid, text) not in seen:
                problems.append(f'comment {cid} on design {d} lost')
    await c.close()

    voters = {}  # design -> count of our voters with a vote stored
    for w, token in sorted(tokens.items()):
        v = await Client.connect(srv)
        r = await v.call('auth.login', token=token)
        if not r['ok']:
            problems.append(f'worker {w} does not log in: {r}')
            await v.close()
            continue
        for (vw, d), (value, inflight) in sorted(a.votes.items()):
            if vw != w:
                continue
            r = await v.call('design.get', design=d)
            mine = r['result']['design'].get('my_vote', 'absent') if r['ok'] else r
            if mine not in {value} | inflight:
                problems.append(f'worker {w} on design {d}: my_vote {mine}, acked {value}'
                                + (f' (or {inflight} in flight)' if inflight else ''))
            voters[d] = voters.get(d, 0) + (mine == 1)
        await v.close()
    c = await Client.connect(srv)
    for d, n in sorted(voters.items()):
        r = await c.call('design.get', design=d)
        got = r['result']['design']['tally']['votes'] if r['ok'] else r
        if got != n:
            problems.append(f'design {d}: tally counts {got} votes, its voters hold {n}')
    await c.close()
    return problems


def rebuild(log, out, *args, env=None):
    p = subprocess.run([sys.executable, REBUILD, log, out, *args], capture_output=True,
                       text=True, timeout=120, env={**os.environ, **(env or {})})
    assert p.returncode == 0, f'powercut_rebuild {args} failed:\n{p.stdout}{p.stderr}'
    return p.stdout


async def verify(log, a, tokens, mode_args, env=None, ready_timeout=None):
    """Rebuilds a power cut's files into a fresh server dir, walks them with mdb_dump,
    starts a normal cocreated on them and checks a. Returns (problems, rebuild's notes)."""
    # a power cut is a new boot: the server must not trust what the page cache held
    # (store.c, the journal's checkpoints)
    srv = Server(start=False, env={'COCREATE_TEST_BOOT_ID': 'after-the-power-cut'})
    notes = rebuild(log, srv.data, *mode_args, env=env)
    try:
        srv.start(**({'ready_timeout': ready_timeout} if ready_timeout else {}))
    except AssertionError as e:
        last = [line for line in srv.log_text().splitlines() if line.strip()] or ['']
        return [f'cocreated does not start ({str(e).splitlines()[0]}): {last[-1][-300:]}'], \
            notes
    try:
        problems = await check(srv, a, tokens)
    except Exception as e:  # noqa: B902 — a broken database may answer anything
        problems = [f'checking failed: {type(e).__name__}: {e}']
    try:
        srv.stop()
    except AssertionError as e:
        problems.append(f'cocreated did not stop cleanly: {str(e)[-600:]}')
    # Walked after the server's start: on one node the data file is made whole at start
    # (the checkpoint's meta pages put back, the journal applied again: journal.h)
    p = subprocess.run(['mdb_dump', '-a', srv.data], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, timeout=120)
    if p.returncode != 0:
        problems.append(f'mdb_dump -a failed ({p.returncode}): {p.stderr.strip()}')
    return problems, notes


async def load_round(rng, tag, kill_at, quiet_end=False):
    """A shimmed server under load, killed after kill_at acks (or, quiet_end, killed
    once every request has been answered). Returns (log dir, data dir, Acked, tokens)."""
    log = os.path.join(tmpdir('cc-powercut-'), 'log')
    # checkpoints every 10 or 50 ms in most rounds: the cut often falls while one is
    # being synced beside the writer, the journal then in both of its files (journal.h)
    cp_ms = rng.choice((10, 50, 1000))
    srv = Server(start=False, args=['--checkpoint-ms', str(cp_ms)],
                 env={'LD_PRELOAD': preload(), 'POWERCUT_LOG': log,
                      'COCREATE_TEST_BOOT_ID': 'before-the-power-cut'})
    srv.env['POWERCUT_DIR'] = srv.data
    os.mkdir(srv.data)
    srv.start()
    a = Acked()
    load = Load(srv, rng, kill_at if not quiet_end else 0, a, tag)
    if quiet_end:
        task = asyncio.ensure_future(load.run())
        deadline = time.monotonic() + DEADLINE
        while a.count < kill_at:  # poll under a deadline for the acks
            assert time.monotonic() < deadline and not task.done(), \
                f'only {a.count} acks within {DEADLINE} s'
            await asyncio.sleep(0.02)
        load.stop = True
        await task  # every request answered: the last commit was acknowledged
        srv.kill9()
    else:
        await load.run()
    assert not srv.running(), f'not killed: {a.count} acks'
    return log, srv.data, a, load.tokens


async def main():
    seed = int(os.environ.get('CC_SEED', random.randrange(1 << 30)))
    rng = random.Random(seed)
    print(f'powercut: seed {seed} (CC_SEED={seed} replays it)')
    if not shutil.which('mdb_dump'):
        raise AssertionError('mdb_dump (Debian lmdb-utils) is not installed')
    started = time.monotonic()
    summary = []
    for rnd in range(ROUNDS):
        kill_at = rng.randint(*KILL_AT)
        log, data, a, tokens = await load_round(rng, f'r{rnd}', kill_at)
        # the shim missed nothing: the files left are what its log says
        p = subprocess.run([sys.executable, REBUILD, log, '--check', data],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, f'round {rnd}: {p.stdout}{p.stderr}'
        inflight = sum(bool(s[1]) for s in a.votes.values())
        cuts = [['--mode', 'none'], ['--mode', 'all']] + \
            [['--seed', str(rng.randrange(1 << 30))] for _ in range(SEEDS)]
        pending = None
        for args in cuts:
            problems, notes = await verify(log, a, tokens, args)
            assert not problems, (f'round {rnd} ({kill_at} acks), power cut {args}:\n'
                                  + '\n'.join(problems[:20]) + f'\nrebuild:\n{notes}')
            pending = pending or re.search(r'^data\.mdb .*?(\d+) pages not durable \((\d+) '
                                           r'writes', notes, re.M).groups()
        summary.append(f'round {rnd}: kill after {a.count} acks ({len(a.accounts)} accounts, '
                       f'{len(a.designs)} designs, {len(a.votes)} voter-design pairs, '
                       f'{len(a.comments)} comments; {inflight} votes in flight; data.mdb: '
                       f'{pending[0]} pages of {pending[1]} writes not durable): none, all '
                       f'and {SEEDS} seeds intact')

    # negative control: the last sync (the last commit's fdatasync) never happened
    kill_at = rng.randint(*KILL_AT)
    log, data, a, tokens = await load_round(rng, 'neg', kill_at, quiet_end=True)
    caught = []
    cuts = [['--mode', 'none']] + [['--seed', str(rng.randrange(1 << 30))] for _ in range(SEEDS)]
    for args in cuts:
        problems, notes = await verify(log, a, tokens, args,
                                       env={'POWERCUT_DROP_LAST_SYNC': '1'}, ready_timeout=10)
        if problems:
            caught.append(f'{" ".join(args)}: {problems[0][:200]}'
                          + (f' (+{len(problems) - 1} more)' if len(problems) > 1 else ''))
    assert caught, ('negative control: the last sync dropped, yet no power cut lost an '
                    'acknowledged write: the checker cannot see loss')
    problems, _ = await verify(log, a, tokens, ['--mode', 'none'])
    assert not problems, 'negative control round, its last sync kept:\n' + '\n'.join(problems)
    summary.append(f'negative control ({a.count} acks, the last sync dropped): caught in '
                   f'{len(caught)} of {len(cuts)} power cuts — ' + '; '.join(caught))
    print('powercut: ok in %.1f s\n  ' % (time.monotonic() - started) + '\n  '.join(summary))


run(main)
