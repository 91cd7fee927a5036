"""ctest `crashmix` (issue 20; SPEC §6 durability): kill -9 under a mixed load loses
nothing acknowledged, duplicates nothing, and leaves the audit chains and rankings right.

The load and the checker are tests/integration/mixload.py's: four members and the brand,
one request at a time each — registrations, artwork uploads to a stars5 and an updown
contest, votes cast and cleared, comments, withdrawals (creator), status moves and
hides (brand). Each round SIGKILLs the server after a random number of acks (requests
in flight) and starts it again on the same data, as after a crash of the process or,
every other round, of the machine (another boot id: the data file put back to its
checkpoint and the journal applied again, journal.h), with checkpoints every 10, 50 or
1000 ms. After every restart the checker must find every write acknowledged in any
round exactly once (the writes in flight at most once), the audit chains verifying with
`cocreate verify`, and contest.results' rankings equal to a recomputation from the
stored votes. Then mdb_dump walks the environment (a missing mdb_dump is a failure).

Once in cluster mode (1 nats-server, nodes a and b): the load on a, a killed, restarted;
after both applied the stream, the checker passes on each.

Negative control: a run recorded with --record-changes ends with one write of each kind
(registration, upload, vote, comment, status move, hide, withdrawal), each on its own;
a copy rebuilt with --apply-records from the records without those seven, and with an
older comment's record twice, must make the checker name exactly those eight problems
(the same run, checked on its own data, passes).

CC_CRASH_ROUNDS (10) rounds; CC_SEED=N replays a run's kill points (the summary prints the
seed); CC_CRASH_CLUSTER=0 skips the cluster round; tools/crash --rounds N runs more."""
import asyncio
import json
import os
import random
import shutil
import subprocess
import time

from harness import WAIT, Client, Server, daemon_command, run, tmpdir
from mixload import CONTESTS, Expect, Load, read_secret, setup, wait_problems
import natsrun

ROUNDS = int(os.environ.get('CC_CRASH_ROUNDS', 10))
CLUSTER = os.environ.get('CC_CRASH_CLUSTER', '1') != '0'
KILL_AT = (100, 400)  # acks in a round before the kill
NEG_ACKS = 80        # the negative control's load before its tail


def check_lmdb(data):
    """mdb_dump (Debian's lmdb-utils) walks every database of the environment."""
    assert shutil.which('mdb_dump'), 'mdb_dump (Debian lmdb-utils) is not installed'
    p = subprocess.run(['mdb_dump', '-a', data], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, timeout=120)
    assert p.returncode == 0, f'mdb_dump -a {data} failed ({p.returncode}):\n{p.stderr}'


def open_items(e):
    """How many writes were left in flight by a kill."""
    return (len(e.pending) + len(e.maybe_comments)
            + sum(bool(st[1]) for t in (e.votes, e.moves, e.hidden, e.withdrawn)
                  for st in t.values()))


async def one_node(rng, seed, summary):
    srv = Server(['--checkpoint-ms', '1000'], start=False,
                 env={'COCREATE_TEST_BOOT_ID': f'crashmix-{seed}-boot0'})
    token = srv.make_brand('acme')
    srv.start()
    await setup(srv, token)
    secret = read_secret(os.path.join(srv.data, 'secret'))
    e = Expect()
    boots = 0
    for rnd in range(ROUNDS):
        kill_at = rng.randint(*KILL_AT)
        await Load(srv, rng, e, token, f'r{rnd}', kill_at).run()
        assert not srv.running(), f'round {rnd}: not killed ({e.count} acks)'
        left = open_items(e)
        reboot = rnd % 2 == 1
        if reboot:
            boots += 1
            srv.env['COCREATE_TEST_BOOT_ID'] = f'crashmix-{seed}-boot{boots}'
        cp = rng.choice((10, 50, 1000))
        srv.args[srv.args.index('--checkpoint-ms') + 1] = str(cp)
        srv.start()
        problems, seen = await wait_problems(srv, e, secret, token)
        assert not problems, (f'round {rnd} (kill after {kill_at} acks, '
                              f'{"reboot" if reboot else "process crash"}): '
                              f'{len(problems)} problems:\n' + '\n'.join(problems[:40]))
        e.resolve(seen)
        restored = 'put back to its last checkpoint' in srv.log_text()
        summary.append(f'round {rnd}: kill after {kill_at} acks ({left} in flight), '
                       + ('reboot' + (', data file put back' if restored else '')
                          if reboot else 'process crash') + f', then --checkpoint-ms {cp}')
    srv.stop()
    check_lmdb(srv.data)
    summary.append(f'{e.count} acked writes in all: {len(e.accounts)} accounts, '
                   f'{len(e.designs)} designs, {len(e.votes)} voter-design pairs, '
                   f'{len(e.comments)} comments, {sum(len(m[0]) for m in e.moves.values())} '
                   f'status moves, {len(e.hidden)} designs hidden or shown, '
                   f'{sum(w[0] for w in e.withdrawn.values())} withdrawn; mdb_dump walked it')


async def logged_in(srv, token):
    c = await Client.connect(srv)
    await c.ok('auth.login', token=token)
    return c


async def negative_control(rng, summary):
    work = tmpdir('cc-crashmix-')
    rec = os.path.join(work, 'records.jsonl')
    srv = Server(['--record-changes', rec], start=False)
    token = srv.make_brand('acme', '--record-changes', rec)
    srv.start()
    await setup(srv, token)
    secret = read_secret(os.path.join(srv.data, 'secret'))
    e = Expect()
    load = Load(srv, rng, e, token, 'neg')
    task = asyncio.ensure_future(load.run())
    deadline = time.monotonic() + WAIT
    while e.count < NEG_ACKS:  # poll under a deadline for the acks
        assert time.monotonic() < deadline and not task.done(), f'{e.count} acks'
        await asyncio.sleep(0.02)
    load.stop = True
    await task
    w = load.workers
    c0, c1, c2 = [await logged_in(srv, w[k]['token']) for k in range(3)]
    b = await logged_in(srv, token)
    reg = await Client.connect(srv)
    # the targets, made first (they stay in the copy)
    d_vote = await load.upload(c0, w[0]['id'], 'B')
    d_move = await load.upload(c0, w[0]['id'], 'B')
    d_hide = await load.upload(c0, w[0]['id'], 'B')
    d_wd = await load.upload(c2, w[2]['id'], 'W')
    # the tail: one write of each kind, nothing after it depends on
    acc = await load.register(reg)
    up = await load.upload(c0, w[0]['id'], 'B')
    value = 4 if CONTESTS[d_vote['contest']] == 'stars5' else -1
    await c1.ok('vote.cast', design=d_vote['id'], value=value)
    e.votes[w[1]['id'], d_vote['id']] = [value, set()]
    await load.comment(c1, d_vote)
    text = max(e.comments, key=lambda t: int(t.rsplit(' ', 1)[1]))
    await load.move(b, d_move)
    await load.hide(b, d_hide)
    await load.withdraw(c2, d_wd)
    for x in (c0, c1, c2, b, reg):
        await x.close()
    srv.stop()
    srv.start()
    problems, _ = await wait_problems(srv, e, secret, token)
    assert not problems, 'negative control, its own data:\n' + '\n'.join(problems[:40])
    srv.stop()

    with open(rec) as f:
        lines = f.read().splitlines()
    recs = [json.loads(line) for line in lines]
    name = acc['account']['name']
    want = {
        'account': (lambda r: r['type'] == 'account.create' and r['name'] == name,
                    f'account: {name} does not log in'),
        'design': (lambda r: r['type'] == 'design.create' and r['blob'] ==
                   next(s for s, d in e.designs.items() if d is up),
                   f'design: {up["id"]} ('),
        'vote': (lambda r: r['type'] == 'vote' and r['by'] == w[1]['id'] and
                 r['design'] == d_vote['id'] and r['value'] == value,
                 f'vote: {e.ids[w[1]["id"]]} on design {d_vote["id"]}: stored 0, '
                 f'acked {value}'),
        'comment': (lambda r: r['type'] == 'comment' and r['text'] == text,
                    f'comment: {text!r} on design {d_vote["id"]} stored on []'),
        'status': (lambda r: r['type'] == 'status' and r['design'] == d_move['id'],
                   f'status: design {d_move["id"]}: timeline'),
        'hide': (lambda r: r['type'] == 'hide' and r['design'] == d_hide['id'],
                 f'hide: design {d_hide["id"]}: hidden False, acked True'),
        'withdraw': (lambda r: r['type'] == 'withdraw' and r['design'] == d_wd['id'],
                     f'withdraw: design {d_wd["id"]}: timeline'),
    }
    drop = {}
    for kind, (match, _) in want.items():
        found = [i for i, r in enumerate(recs) if match(r)]
        assert len(found) == 1, (kind, found)
        drop[found[0]] = kind
    # an older comment of the load recorded twice: the checker must see it twice
    dup = next(i for i, r in enumerate(recs) if r['type'] == 'comment' and i not in drop)
    dup_text, dup_design = recs[dup]['text'], recs[dup]['design']
    kept = os.path.join(work, 'records-dropped.jsonl')
    with open(kept, 'w') as f:
        f.write(''.join(line + '\n' for i, line in enumerate(lines) if i not in drop))
        f.write(lines[dup] + '\n')
    copy = Server(start=False)
    p = subprocess.run(daemon_command('--data', copy.data, '--secret',
                                      os.path.join(srv.data, 'secret'), '--apply-records',
                                      kept), capture_output=True, text=True, timeout=WAIT,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    copy.start()
    problems, _ = await wait_problems(copy, e, secret, token)
    copy.stop()
    marks = {kind: mark for kind, (_, mark) in want.items()}
    marks['duplicate'] = (f'comment: {dup_text!r} on design {dup_design} stored on '
                          f'[{dup_design!r}, {dup_design!r}]')
    caught = {k: [p for p in problems if p.startswith(m)] for k, m in marks.items()}
    missed = [k for k, found in caught.items() if not found]
    assert not missed, (f'negative control: the checker missed {missed}; it reported:\n'
                        + '\n'.join(problems))
    others = [p for p in problems if not any(p in found for found in caught.values())]
    assert not others, 'negative control: problems besides the planted ones:\n' + \
        '\n'.join(others)
    summary.append(f'negative control ({len(lines)} records, 7 dropped, 1 doubled): caught '
                   f'exactly {", ".join(caught)}')


async def cluster_round(rng, summary):
    nats = natsrun.NatsCluster(1)
    nats.start()
    secret_path = os.path.join(tmpdir('cc-crashmix-'), 'secret')
    with open(secret_path, 'w') as f:
        f.write(os.urandom(32).hex() + '\n')
    os.chmod(secret_path, 0o600)
    a, b = (Server(['--secret', secret_path, *nats.cocreated_args(n)]) for n in 'ab')
    token = a.make_brand('acme', '--cluster', nats.url_arg, '--cluster-creds',
                         nats.creds_path, '--stream-replicas', '1')
    deadline = time.monotonic() + WAIT
    c = await Client.connect(a)
    while not (await c.call('auth.login', token=token))['ok']:  # the stream brings it
        assert time.monotonic() < deadline, 'the brand never reached node a'
        await asyncio.sleep(0.05)
    await c.close()
    await setup(a, token)
    e = Expect()
    kill_at = rng.randint(*KILL_AT)
    await Load(a, rng, e, token, 'cl', kill_at).run()
    assert not a.running()
    left = open_items(e)
    a.start()

    def settled():
        last = nats.stream_info('COCREATE')['last_seq']
        return all(int(n.metric('cocreate_cluster_applied_seq')) == last for n in (a, b))
    secret = read_secret(secret_path)
    for node in (a, b):
        natsrun.wait_for(settled, 'both nodes applied the whole stream')
        problems, _ = await wait_problems(node, e, secret, token)
        assert not problems, (f'cluster: node {"a" if node is a else "b"} after a kill -9 of '
                              f'a:\n' + '\n'.join(problems[:40]))
    a.stop()
    b.stop()
    nats.stop()
    summary.append(f'cluster (1 NATS, 2 nodes): node a killed after {kill_at} acks ({left} '
                   f'in flight), restarted: both nodes hold every acked write once')


async def main():
    seed = int(os.environ.get('CC_SEED', random.randrange(1 << 30)))
    rng = random.Random(seed)
    print(f'crashmix: seed {seed} (CC_SEED={seed} replays it)', flush=True)
    assert shutil.which('mdb_dump'), 'mdb_dump (Debian lmdb-utils) is not installed'
    started = time.monotonic()
    summary = []
    await one_node(rng, seed, summary)
    if CLUSTER:
        await cluster_round(rng, summary)
    await negative_control(rng, summary)
    print('crashmix: ok in %.1f s\n  ' % (time.monotonic() - started) + '\n  '.join(summary))


run(main)
