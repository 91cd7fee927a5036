"""ctest `backup` (issue 20): `cocreated --data DIR --backup OUT` under a mixed write load
(tests/integration/mixload.py: registrations, uploads, votes, comments, status moves,
hides, withdrawals) holds every write acknowledged before it began; a server started on
the copy (the restore) serves it, `cocreate verify` passes on each contest and the
rankings equal a recomputation from the stored votes; writes made while it ran may be
in it or not, each whole, never twice.

Three backups of one running server at random points of the load, each restored on its
own: one with checkpoints every second (the default), one with none after start-up
(--checkpoint-ms 3600000: every acknowledged write since is in the synced journal and in
LMDB commits that were never synced, which the backup, a second process on the same
environment, must see), and one with checkpoints every 10 ms (a checkpoint of the
backup's own, beside the server's, while both run). The restored copy takes a write and
keeps it across a restart. Control: the same checker, expecting also the writes acked
after the backup finished, must report some missing. CC_SEED=N replays the backup
points."""
import asyncio
import copy
import os
import random
import subprocess
import time

from harness import WAIT, Client, Server, check_no_sanitizer_report, daemon_command, run
from mixload import Expect, Load, read_secret, setup, wait_problems

ACKS = (60, 250)  # acks before each backup begins


async def backup_round(rng, cp_ms, notes):
    srv = Server(['--checkpoint-ms', str(cp_ms)], start=False)
    token = srv.make_brand('acme')
    srv.start()
    await setup(srv, token)
    secret = read_secret(os.path.join(srv.data, 'secret'))
    e = Expect()
    load = Load(srv, rng, e, token, f'b{cp_ms}x')
    task = asyncio.ensure_future(load.run())
    at = rng.randint(*ACKS)
    deadline = time.monotonic() + WAIT
    while e.count < at:  # poll under a deadline for the acks
        assert time.monotonic() < deadline and not task.done(), f'{e.count} acks'
        await asyncio.sleep(0.005)
    # what was acknowledged before the backup began (in the same loop iteration as its
    # start: no reply can be read in between)
    before = copy.deepcopy(e)
    out = Server(start=False)
    proc = subprocess.Popen(daemon_command('--data', srv.data, '--backup', out.data),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    during = e.count
    while proc.poll() is None:  # the load goes on while it copies
        assert time.monotonic() < deadline + WAIT, 'the backup did not finish'
        await asyncio.sleep(0.01)
    during = e.count - during
    stdout, stderr = proc.communicate()
    check_no_sanitizer_report(stdout + stderr, 'cocreated --backup')
    assert proc.returncode == 0, stderr
    later = e.count
    while e.count < later + 20:  # and after it
        assert time.monotonic() < deadline + 2 * WAIT and not task.done(), f'{e.count} acks'
        await asyncio.sleep(0.005)
    load.stop = True
    await task
    assert sorted(os.listdir(out.data)) == ['data.mdb', 'secret'], os.listdir(out.data)
    assert os.stat(os.path.join(out.data, 'secret')).st_mode & 0o777 == 0o600

    out.start()  # the restore: a server on the copy
    problems, _ = await wait_problems(out, before.maybe(e), secret, token)
    assert not problems, (f'backup after {at} acks (--checkpoint-ms {cp_ms}): '
                          + '\n'.join(problems[:40]))
    # the control: the same checker, asked for everything acked by the end (20 writes
    # came after the backup finished), must find some of it missing from the copy
    missing, _ = await wait_problems(out, e, secret, token)
    assert missing, 'the writes made after the backup are all in it: the checker is blind'
    c = await Client.connect(out)
    name = f'after-restore-{cp_ms}'
    token2 = (await c.ok('auth.register', name=name))['token']
    await c.close()
    out.restart()
    c = await Client.connect(out)
    assert (await c.ok('auth.login', token=token2))['account']['name'] == name
    await c.close()
    out.stop()
    srv.stop()
    notes.append(f'--checkpoint-ms {cp_ms}: backup after {at} acks ({during} more while it '
                 f'ran, {e.count} in all): every one before it restored, verified, ranked; '
                 f'the writes after it missing ({len(missing)} problems, e.g. {missing[0]})')


async def main():
    seed = int(os.environ.get('CC_SEED', random.randrange(1 << 30)))
    rng = random.Random(seed)
    print(f'backup: seed {seed} (CC_SEED={seed} replays it)', flush=True)
    notes = []
    for cp_ms in (1000, 3600000, 10):
        await backup_round(rng, cp_ms, notes)
    print('backup: ok\n  ' + '\n  '.join(notes))


run(main)
