"""mixload: a mixed write load on a real cocreated and a checker of what it stored — the
crash, cluster-crash and backup tests (test_crashmix.py, test_backup.py) share it.

    exp = Expect()                       # every acknowledged write, and those in flight
    brand = await setup(srv, brand_token) # the contests `stars` (stars5) and `ups` (updown)
    load = Load(srv, rng, exp, brand_token, tag, kill_at=N)   # SIGKILL after the N-th ack
    await load.run()                     # until the kill (or load.stop = True)
    problems, seen = await check(srv, exp, secret, brand_token)
    exp.resolve(seen)                    # what was in flight becomes what is stored

Load: WORKERS members, each on two connections (one registers new accounts), and the
brand, one request at a time each: registrations, artwork uploads (to either contest;
some marked for the creator to withdraw later, the others for the brand to manage),
votes cast and cleared, comments, withdrawals (creator), status moves and hides (brand).
A refusal is accepted only where the load itself explains it: a vote or comment
`not_found` on a design that a hide or withdrawal was sent for. Anything else fails.

check() lists every problem (an empty list: all is well), each a line starting with the
kind of write it concerns — `account`, `design`, `vote`, `comment`, `status`, `hide`,
`withdraw` — or `log`, `verify`, `ranking`:
- every acknowledged write is there exactly once: accounts log in with their token; each
  acked upload's bytes are one design (by SHA-256, in the brand's gallery, which holds
  hidden and withdrawn designs), an upload in flight at most one, no other design; each
  comment text once in its design's list (in flight: at most once), no other comment;
  each voter's stored vote (the audit log replayed, voters found by their pseudonyms
  from the node's secret) is the last acked value or the one in flight, and no one else
  voted; each design's timeline is `submitted` and its acked moves (plus the one in
  flight, or the withdrawal), and the log's status entries are that timeline's moves;
  its hidden flag the last acked (or in flight) value, and the log's hide entries agree;
- `cocreate verify` passes on each contest (the chain, the tallies against the results);
- the ranking of `contest.results` is a recomputation from the stored votes (SPEC §5:
  stars5 the Bayesian average against the contest's mean, updown Wilson's lower bound;
  ties to the older design, then the smaller id) over the visible designs, with the
  same tallies and scores.
Expect.maybe(later) widens the expectations to "anything from this state up to later's"
(test_backup: a backup holds what was acked before it began, maybe some of the rest)."""
import asyncio
import copy
import hashlib
import hmac
import json
import math
import os
import struct
import subprocess
import zlib

from harness import WAIT, Client, Closed, all_comments, login_problems

CLI = os.environ.get('COCREATE_CLI', 'build/tools/cocreate')
WORKERS = 4
CONTESTS = {'stars': 'stars5', 'ups': 'updown'}
DEADLINE = 120  # seconds for a round's load to reach its kill point (a hang guard)
MOVES = {'submitted': ('shortlisted', 'not_selected'), 'shortlisted': ('not_selected',)}
BAYES_C, BAYES_M0, WILSON_Z = 10, 3, 1.96  # SPEC §5


def png(n, w=64, h=64):
    """A small RGBA PNG whose bytes depend on n (each upload its own bytes)."""
    rgba = bytes((n % 251, n // 251 % 251, (n * 7) % 253, 255))
    raw = b''.join(b'\x00' + rgba * w for _ in range(h))

    def chunk(k, d):
        return struct.pack('>I', len(d)) + k + d + struct.pack('>I', zlib.crc32(k + d))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 6, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))


class Expect:
    """Every acknowledged write so far, and the options left open by writes whose reply
    never came (in flight at a kill) — or, after maybe(), by writes made later."""

    def __init__(self):
        self.count = 0          # acks
        self.accounts = {}      # name -> token
        self.ids = {}           # account id -> name (workers: the voters)
        self.designs = {}       # sha -> {id, contest, creator, cls ('B' brand, 'W' creator)}
        self.pending = {}       # sha -> the same without id: an upload never answered
        self.votes = {}         # (voter id, design id) -> [acked value (0: none), {maybe}]
        self.comments = {}      # text -> design id
        self.maybe_comments = {}  # text -> design id: in flight
        self.moves = {}         # design id -> [acked moves], [moves that may follow]
        self.hidden = {}        # design id -> [acked flag, {maybe}]
        self.withdrawn = {}     # design id -> [acked flag, {maybe}]
        self.doomed = set()     # design ids a hide or withdrawal was sent for
        self.history = {}       # ('vote', key) or ('hide', design id) -> acked values in order
        self.upload_n = 0

    def by_id(self):
        return {d['id']: d for d in self.designs.values()}

    def maybe(self, later):
        """A copy of self whose open options also hold everything later (an Expect of
        the same run, further on) acknowledged or had in flight."""
        m = copy.deepcopy(self)
        for sha, d in later.designs.items():
            if sha not in m.designs:
                m.pending[sha] = {k: v for k, v in d.items() if k != 'id'}
        m.pending.update({s: d for s, d in later.pending.items() if s not in m.designs})
        def since(what):  # the values acked after self, in later
            return set(later.history.get(what, [])[len(self.history.get(what, [])):])
        for key, (value, opts) in later.votes.items():
            st = m.votes.setdefault(key, [0, set()])
            st[1] |= since(('vote', key)) | opts
        for text, d in {**later.comments, **later.maybe_comments}.items():
            if text not in m.comments:
                m.maybe_comments[text] = d
        for d, (moves, opts) in later.moves.items():
            mine = m.moves.setdefault(d, [[], []])
            mine[1] = (moves + opts)[len(mine[0]):]
        for d, (flag, opts) in later.hidden.items():
            st = m.hidden.setdefault(d, [False, set()])
            st[1] |= since(('hide', d)) | opts
        for d, (flag, opts) in later.withdrawn.items():
            st = m.withdrawn.setdefault(d, [False, set()])
            st[1] |= {flag} | opts
        m.accounts = dict(self.accounts)
        m.ids = {**later.ids}
        return m

    def resolve(self, seen):
        """After a check that passed: what was left open becomes what the server stored."""
        for sha, d in list(self.pending.items()):
            if sha in seen['designs']:
                self.designs[sha] = {**d, 'id': seen['designs'][sha]}
        self.pending = {}
        for key, st in self.votes.items():
            st[0], st[1] = seen['votes'].get(key, 0), set()
        for text, d in self.maybe_comments.items():
            if text in seen['comments']:
                self.comments[text] = d
        self.maybe_comments = {}
        for d, st in self.moves.items():
            st[0], st[1] = list(seen['timeline'].get(d, ['submitted'])[1:]), []
        for d, st in self.hidden.items():
            st[0], st[1] = seen['hidden'].get(d, False), set()
        for d, st in self.withdrawn.items():
            st[0], st[1] = seen['withdrawn'].get(d, False), set()


async def setup(srv, brand_token):
    """The brand logged in and the two contests made (no times: always in submissions,
    where uploads, votes and withdrawals are all allowed). Returns the brand's client."""
    brand = await Client.connect(srv)
    await brand.ok('auth.login', token=brand_token)
    for slug, scale in CONTESTS.items():
        await brand.ok('contest.create', slug=slug, title=f'Crash {slug}', kind='artwork',
                       scale=scale)
    await brand.close()


class Load:
    """WORKERS members and the brand writing one request at a time each until the
    server is killed (after kill_at acks) or stop is set."""

    def __init__(self, srv, rng, exp, brand_token, tag, kill_at=0):
        self.srv, self.rng, self.e, self.brand_token = srv, rng, exp, brand_token
        self.tag, self.kill_at = tag, kill_at
        self.stop = False
        self.n = 0
        self.workers = {}  # w -> {id, token}: this load's members

    def ack(self):
        self.e.count += 1
        self.acks = getattr(self, 'acks', 0) + 1
        if self.kill_at and self.acks == self.kill_at and self.srv.running():
            self.srv.kill9()

    async def register(self, c):
        self.n += 1
        name = f'{self.tag}n{self.n}'
        res = await c.ok('auth.register', name=name)
        self.e.accounts[name] = res['token']
        self.e.ids[res['account']['id']] = name
        self.ack()
        return res

    async def upload(self, c, me, cls=None):
        self.e.upload_n += 1
        data = png(self.e.upload_n)
        sha = hashlib.sha256(data).hexdigest()
        contest = self.rng.choice(sorted(CONTESTS))
        d = {'contest': contest, 'creator': me, 'cls': cls or self.rng.choice('BBW')}
        self.e.pending[sha] = d
        r = await c.upload('artwork', data, title=f'{self.tag} {self.e.upload_n}',
                           contest=contest)
        assert r['ok'], r
        del self.e.pending[sha]
        d['id'] = r['result']['design']['id']
        self.e.designs[sha] = d
        self.ack()
        return d

    def targets(self, me):
        """Designs a member may vote on or comment: another's, not hidden or withdrawn
        as far as the load knows."""
        return [d for d in self.e.designs.values() if d['creator'] != me
                and d['id'] not in self.e.doomed]

    async def refused_ok(self, r, d, what):
        """A vote or comment refused: fine only for a design whose hide or withdrawal
        was sent (it may have landed first)."""
        assert not r['ok'] and r['error']['code'] == 'not_found' and d['id'] in self.e.doomed, \
            f'{what} on design {d["id"]}: {r}'

    async def vote(self, c, me, d):
        scale = CONTESTS[d['contest']]
        value = self.rng.choice((1, 2, 3, 4, 5, 0) if scale == 'stars5' else (1, -1, 0))
        st = self.e.votes.setdefault((me, d['id']), [0, set()])
        st[1] = {value}
        if value:
            r = await c.call('vote.cast', design=d['id'], value=value)
        else:
            r = await c.call('vote.clear', design=d['id'])
        if r['ok']:
            st[0] = value
            self.e.history.setdefault(('vote', (me, d['id'])), []).append(value)
            self.ack()
        else:
            await self.refused_ok(r, d, 'vote')
        st[1] = set()

    async def comment(self, c, d):
        self.n += 1
        text = f'{self.tag} comment {self.n}'
        self.e.maybe_comments[text] = d['id']
        r = await c.call('comment.post', design=d['id'], text=text)
        del self.e.maybe_comments[text]
        if r['ok']:
            self.e.comments[text] = d['id']
            self.ack()
        else:
            await self.refused_ok(r, d, 'comment')

    async def withdraw(self, c, d):
        st = self.e.withdrawn.setdefault(d['id'], [False, set()])
        st[1] = {True}
        self.e.doomed.add(d['id'])
        await c.ok('design.withdraw', design=d['id'])
        st[0], st[1] = True, set()
        self.ack()

    async def member(self, w):
        reg = await Client.connect(self.srv)
        c = await Client.connect(self.srv)
        try:
            res = await self.register(reg)
            me = res['account']['id']
            self.workers[w] = {'id': me, 'token': res['token']}
            await c.ok('auth.login', token=res['token'])
            await self.upload(c, me)
            while not self.stop:
                r = self.rng.random()
                mine = [d for d in self.e.designs.values() if d['creator'] == me
                        and d['cls'] == 'W' and d['id'] not in self.e.withdrawn]
                others = self.targets(me)
                if r < 0.08:
                    await self.register(reg)
                elif r < 0.2 or not others:
                    await self.upload(c, me)
                elif r < 0.6:
                    await self.vote(c, me, self.rng.choice(others))
                elif r < 0.85:
                    await self.comment(c, self.rng.choice(others))
                elif mine:
                    await self.withdraw(c, self.rng.choice(mine))
                else:
                    await self.upload(c, me, 'W')
        except Closed:
            pass  # killed: what was in flight stays open in self.e
        finally:
            for x in (reg, c):
                if not x.closed.is_set():
                    await x.close()

    async def move(self, b, d):
        st = self.e.moves.setdefault(d['id'], [[], []])
        now = st[0][-1] if st[0] else 'submitted'
        to = self.rng.choice(MOVES[now])
        st[1] = [to]
        await b.ok('design.set_status', design=d['id'], status=to)
        st[0].append(to)
        st[1] = []
        self.ack()

    async def hide(self, b, d):
        st = self.e.hidden.setdefault(d['id'], [False, set()])
        st[1] = {not st[0]}
        self.e.doomed.add(d['id'])
        await b.ok('design.hide', design=d['id'], hidden=not st[0])
        st[0], st[1] = not st[0], set()
        self.e.history.setdefault(('hide', d['id']), []).append(st[0])
        self.ack()

    async def brand(self):
        b = await Client.connect(self.srv)
        try:
            await b.ok('auth.login', token=self.brand_token)
            while not self.stop:
                mine = [d for d in self.e.designs.values() if d['cls'] == 'B']
                movable = [d for d in mine if (self.e.moves.get(d['id'], [[]])[0] or
                                               ['submitted'])[-1] in MOVES]
                if not mine:
                    await asyncio.sleep(0.01)  # nothing to manage yet: let uploads come
                elif movable and self.rng.random() < 0.6:
                    await self.move(b, self.rng.choice(movable))
                else:
                    await self.hide(b, self.rng.choice(mine))
        except Closed:
            pass
        finally:
            if not b.closed.is_set():
                await b.close()

    async def run(self):
        try:
            await asyncio.wait_for(asyncio.gather(self.brand(), *(self.member(w)
                                                                  for w in range(WORKERS))),
                                   DEADLINE)
        except asyncio.TimeoutError:
            raise AssertionError(f'{getattr(self, "acks", 0)} acks in {DEADLINE} s '
                                 f'(kill due at {self.kill_at})')


def pseudonym(secret, contest, account):
    """SPEC §6 / docs/protocol.md: HMAC-SHA256(secret, contest || 0 || account id)."""
    return hmac.new(secret, contest.encode() + b'\0' + str(account).encode(),
                    hashlib.sha256).hexdigest()


def read_secret(path):
    with open(path) as f:
        return bytes.fromhex(f.read().strip())


async def pages(c, op, key, **args):
    """Every item of a paged op (offset/limit 100)."""
    out, offset = [], 0
    while True:
        res = await c.ok(op, offset=offset, limit=100, **args)
        out += res[key]
        offset += len(res[key])
        if not res[key] or offset >= res['total']:
            return out


def score(scale, t, mean):
    if scale == 'stars5':
        n, s = sum(t['stars']), sum((i + 1) * k for i, k in enumerate(t['stars']))
        return (BAYES_C * mean + s) / (BAYES_C + n)
    up, down = t['up'], t['down']
    n = up + down
    if not n:
        return 0.0
    p, z2 = up / n, WILSON_Z ** 2
    return (p + z2 / (2 * n) - WILSON_Z * math.sqrt((p * (1 - p) + z2 / (4 * n)) / n)) / \
        (1 + z2 / n)


def verify(srv, contest):
    p = subprocess.run([CLI, 'verify', '--server', f'http://127.0.0.1:{srv.port}',
                        '--contest', contest], capture_output=True, text=True, timeout=120)
    if p.returncode != 0 or not p.stdout.startswith('verified:'):
        return [f'verify: {contest}: exit {p.returncode}: {(p.stdout + p.stderr).strip()}']
    return []


async def check(srv, e, secret, brand_token):
    """What srv holds against the expectations e: (problems, seen) — seen is what the
    server stored where e left options open (for Expect.resolve)."""
    problems = []
    seen = {'designs': {}, 'votes': {}, 'comments': set(), 'timeline': {}, 'hidden': {},
            'withdrawn': {}}
    c = await Client.connect(srv)
    problems += await login_problems(c, e.accounts)
    await c.close()

    b = await Client.connect(srv)
    await b.ok('auth.login', token=brand_token)
    # designs: one per acked upload, by its bytes; the brand sees hidden and withdrawn
    stored = {}  # sha -> [design objects]
    for contest in CONTESTS:
        for item in await pages(b, 'gallery.get', 'items', contest=contest, sort='new'):
            stored.setdefault(item['blob'], []).append(item)
    for sha, d in sorted(e.designs.items()):
        got = stored.get(sha, [])
        if len(got) != 1 or got[0]['id'] != d['id']:
            problems.append(f'design: {d["id"]} ({sha[:12]}) stored {len(got)} times: '
                            f'{[g["id"] for g in got]}')
    for sha, got in sorted(stored.items()):
        if sha in e.pending and len(got) == 1:
            seen['designs'][sha] = got[0]['id']
        elif sha not in e.designs:
            problems.append(f'design: {[g["id"] for g in got]} ({sha[:12]}) stored '
                            f'{len(got)} times, acknowledged never'
                            + (' (its upload was in flight)' if sha in e.pending else ''))
    ids = {g['id']: g for got in stored.values() for g in got}

    # status, hide, withdraw: each design's timeline and flag
    landed = {sha: {**e.pending[sha], 'id': did} for sha, did in seen['designs'].items()}
    for sha, d in sorted({**e.designs, **landed}.items(), key=lambda x: int(x[1]['id'])):
        did = d['id']
        if not stored.get(sha):
            continue  # reported above
        r = await b.call('design.get', design=did)
        if not r['ok']:
            problems.append(f'design: {did} does not answer design.get: {r}')
            continue
        g = r['result']['design']
        timeline = [t['status'] for t in g['timeline']]
        seen['timeline'][did] = timeline
        moves, more = e.moves.get(did, [[], []])
        wd, wd_opts = e.withdrawn.get(did, [False, set()])
        allowed = [['submitted'] + moves + more[:k] for k in range(len(more) + 1)]
        if wd:
            allowed = [a + ['withdrawn'] for a in allowed]
        elif True in wd_opts:
            allowed += [a + ['withdrawn'] for a in allowed]
        if timeline not in allowed:
            kind = 'withdraw' if d['cls'] == 'W' else 'status'
            problems.append(f'{kind}: design {did}: timeline {timeline}, acked '
                            f'{["submitted"] + moves + (["withdrawn"] if wd else [])}'
                            + (f' (or then {more or sorted(wd_opts)})' if more or wd_opts
                               else ''))
        seen['withdrawn'][did] = timeline[-1] == 'withdrawn'
        flag, opts = e.hidden.get(did, [False, set()])
        seen['hidden'][did] = bool(g.get('hidden'))
        if seen['hidden'][did] not in {flag} | opts:
            problems.append(f'hide: design {did}: hidden {seen["hidden"][did]}, acked {flag}'
                            + (f' (or {sorted(opts)})' if opts else ''))
        if g['status'] != timeline[-1]:
            problems.append(f'status: design {did}: status {g["status"]}, timeline '
                            f'{timeline}')

    # comments: each acked text once on its design, nothing unknown
    texts = {}
    designs_with = sorted(set(ids), key=int)  # the stored ones: a lost design is reported
    for did in designs_with:
        got = await all_comments(b, did)
        if isinstance(got, dict):
            problems.append(f'comment: comment.list {did}: {got}')
            continue
        for x in got:
            texts.setdefault(x['text'], []).append(did)
    for text, did in sorted(e.comments.items()):
        if texts.get(text) != [did]:
            problems.append(f'comment: {text!r} on design {did} stored on '
                            f'{texts.get(text, [])}')
    for text, where in sorted(texts.items()):
        if text in e.maybe_comments and len(where) == 1:
            seen['comments'].add(text)
        elif text not in e.comments:
            problems.append(f'comment: {text!r} stored on {where}, acknowledged never')
    await b.close()

    # the audit logs: votes replayed per pseudonym, status and hide entries per design
    by_pseud = {}
    for contest in CONTESTS:
        for voter in e.ids:
            by_pseud[contest, pseudonym(secret, contest, voter)] = voter
    log_votes, log_moves, log_hides = {}, {}, {}
    for contest in CONTESTS:
        status, _, body = srv.get(f'/log/{contest}')
        if status != 200:
            problems.append(f'log: GET /log/{contest}: {status}')
            continue
        for line in body.decode().splitlines():
            x = json.loads(line)
            if x['type'] == 'vote':
                voter = by_pseud.get((contest, x['voter']))
                if voter is None:
                    problems.append(f'vote: log {contest} seq {x["seq"]}: an unknown voter')
                    continue
                log_votes[voter, x['design']] = x['value']
            elif x['type'] == 'status':
                log_moves.setdefault(x['design'], []).append(x['to'])
            elif x['type'] == 'hide':
                log_hides.setdefault(x['design'], []).append(x['hidden'])
    for key in sorted(set(e.votes) | set(log_votes)):
        value, opts = e.votes.get(key, [0, set()])
        got = log_votes.get(key, 0)
        seen['votes'][key] = got
        if got not in {value} | opts:
            problems.append(f'vote: {e.ids.get(key[0], key[0])} on design {key[1]}: stored '
                            f'{got}, acked {value}' + (f' (or {sorted(opts)})' if opts else ''))
    for did, timeline in sorted(seen['timeline'].items()):
        if log_moves.get(did, []) != timeline[1:]:
            problems.append(f'log: design {did}: status entries {log_moves.get(did, [])}, '
                            f'timeline {timeline}')
        hides = log_hides.get(did, [])
        if hides != [k % 2 == 0 for k in range(len(hides))] or \
                bool(hides and hides[-1]) != seen['hidden'][did]:
            problems.append(f'log: design {did}: hide entries {hides}, hidden '
                            f'{seen["hidden"][did]}')

    for contest in CONTESTS:
        problems += verify(srv, contest)
    problems += await check_ranking(srv, e, log_votes, seen)
    return problems, seen


async def check_ranking(srv, e, log_votes, seen):
    """contest.results against a recomputation from the stored votes (the log's)."""
    problems = []
    c = await Client.connect(srv)
    for contest, scale in CONTESTS.items():
        res = await c.ok('contest.results', contest=contest, limit=1000)
        designs = {d['id']: d for d in e.by_id().values() if d['contest'] == contest}
        designs.update({did: {'id': did, 'contest': contest} for sha, did in
                        seen['designs'].items() if e.pending[sha]['contest'] == contest})
        tallies = {did: {'stars': [0] * 5, 'up': 0, 'down': 0} for did in designs}
        for (voter, did), value in log_votes.items():
            if did in tallies and value:
                t = tallies[did]
                if scale == 'stars5':
                    t['stars'][value - 1] += 1
                else:
                    t['up' if value > 0 else 'down'] += 1
        allv = [(i + 1, k) for t in tallies.values() for i, k in enumerate(t['stars'])]
        n = sum(k for _, k in allv)
        mean = sum(v * k for v, k in allv) / n if n else BAYES_M0
        visible = [did for did in designs if did in seen['hidden'] and
                   not seen['hidden'][did] and not seen['withdrawn'][did]]
        mine = {did: score(scale, tallies[did], mean) for did in visible}
        got = res['ranking']
        if sorted(x['design'] for x in got) != sorted(visible, key=str):
            problems.append(f'ranking: {contest}: designs {sorted(x["design"] for x in got)}, '
                            f'visible {sorted(visible)}')
            continue
        for k, x in enumerate(got):
            did, t = x['design'], tallies[x['design']]
            want = {'stars': t['stars']} if scale == 'stars5' else \
                {'up': t['up'], 'down': t['down']}
            have = {f: x['tally'].get(f) for f in want}
            if have != want:
                problems.append(f'ranking: {contest}: design {did}: tally {have}, the stored '
                                f'votes give {want}')
            if not math.isclose(x['score'], mine[did], rel_tol=1e-9, abs_tol=1e-12):
                problems.append(f'ranking: {contest}: design {did}: score {x["score"]}, '
                                f'recomputed {mine[did]}')
            if x['rank'] != k + 1:
                problems.append(f'ranking: {contest}: design {did} at {k + 1} has rank '
                                f'{x["rank"]}')
            if k and mine[got[k - 1]['design']] < mine[did] and not math.isclose(
                    mine[got[k - 1]['design']], mine[did], rel_tol=1e-9):
                problems.append(f'ranking: {contest}: design {did} (score {mine[did]}) after '
                                f'{got[k - 1]["design"]} ({mine[got[k - 1]["design"]]})')
            elif k and mine[got[k - 1]['design']] == mine[did] and \
                    int(got[k - 1]['design']) > int(did):
                problems.append(f'ranking: {contest}: tie between {got[k - 1]["design"]} and '
                                f'{did} not broken by age')
    await c.close()
    return problems


async def wait_problems(srv, e, secret, brand_token, settle=None):
    """check(), retried under a deadline while the only problems are ranking scores
    (the contest's mean is applied to every design a slice at a time after a restart,
    until contest.results settles it) — never for a missing write."""
    deadline = asyncio.get_running_loop().time() + WAIT
    while True:
        if settle:
            settle()
        problems, seen = await check(srv, e, secret, brand_token)
        if not problems or asyncio.get_running_loop().time() > deadline or \
                any(not p.startswith('ranking:') for p in problems):
            return problems, seen
        await asyncio.sleep(0.1)
