"""ctest `powercut_shim`: the power-cut model on a script of known calls, exactly.

A child python3 runs under the shim (LD_PRELOAD=$CC_POWERCUT_SO) on a fresh directory:
writes, fsync and fdatasync, an O_DSYNC write, writes after the last sync, a file
created and synced but its directory not, a rename after the directory sync, a
truncation, then SIGKILL. powercut_rebuild --mode none must give exactly the durable
state, --mode all exactly what the kernel holds (and --check must agree with the
directory), random seeds mixes of the versions page by page, the same seed the same
files, and --drop-last-sync the state before the last fsync."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile

SHIM = os.environ.get('CC_POWERCUT_SO', 'build/tests/libpowercut.so')
REBUILD = os.environ.get('CC_POWERCUT_REBUILD',
                         os.path.join(os.path.dirname(__file__), 'powercut_rebuild'))
PAGE = 4096
SEEDS = 20

CHILD = r'''
import os, signal, sys
d = sys.argv[1]
def dirsync():
    fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    os.fsync(fd)
    os.close(fd)
a = os.open(d + '/a', os.O_RDWR | os.O_CREAT, 0o644)
os.write(a, b'1' * (3 * 4096))           # pages 0-2
os.fsync(a)
dirsync()                                 # a's name durable
os.pwrite(a, b'2' * 4096, 4096)           # page 1, then synced by fdatasync
os.fdatasync(a)
os.pwrite(a, b'3' * 10, 0)                # page 0: not durable
os.pwrite(a, b'4' * 4096, 2 * 4096)       # page 2: not durable, version 1
os.pwrite(a, b'5' * 100, 2 * 4096)        # page 2: not durable, version 2
m = os.open(d + '/a', os.O_WRONLY | os.O_DSYNC)
os.pwrite(m, b'6' * 20, 4096 + 100)       # page 1: durable when it returns
os.write(a, b'7' * 5000)                  # position 3*4096: pages 3-4, size grows
b = os.open(d + '/b.tmp', os.O_RDWR | os.O_CREAT, 0o644)
os.write(b, b'bee')
os.fsync(b)                               # b's content durable, its name not
c = os.open(d + '/c', os.O_RDWR | os.O_CREAT, 0o644)
os.write(c, b'see' * 2000)
os.fsync(c)
dirsync()                                 # c and b.tmp durable as named
os.rename(d + '/b.tmp', d + '/b')         # not durable
os.ftruncate(c, 100)                      # not durable
os.kill(os.getpid(), signal.SIGKILL)
'''


def files(d):
    out = {}
    for n in sorted(os.listdir(d)):
        with open(os.path.join(d, n), 'rb') as f:
            out[n] = f.read()
    return out


def rebuild(log, out, *args, env=None):
    p = subprocess.run([sys.executable, REBUILD, log, out, *args], capture_output=True,
                       text=True, env={**os.environ, **(env or {})})
    assert p.returncode == 0, p.stdout + p.stderr
    return files(out)


def main():
    tmp = tempfile.mkdtemp(prefix='cc-powercut-shim-')
    try:
        d, log = os.path.join(tmp, 'd'), os.path.join(tmp, 'log')
        os.mkdir(d)
        p = subprocess.run([sys.executable, '-c', CHILD, d], capture_output=True,
                           env={**os.environ, 'LD_PRELOAD': os.path.abspath(SHIM),
                                'POWERCUT_DIR': d, 'POWERCUT_LOG': log})
        assert p.returncode == -signal.SIGKILL, (p.returncode, p.stderr)

        page1 = b'2' * 100 + b'6' * 20 + b'2' * (PAGE - 120)
        durable_a = b'1' * PAGE + page1 + b'1' * PAGE
        now_a = b'3' * 10 + b'1' * (PAGE - 10) + page1 + b'5' * 100 + b'4' * (PAGE - 100) \
            + b'7' * 5000
        none = rebuild(log, os.path.join(tmp, 'none'), '--mode', 'none')
        want = {'a': durable_a, 'b.tmp': b'bee', 'c': b'see' * 2000}
        assert none == want, {k: len(v) for k, v in none.items()}
        real = files(d)
        assert real == {'a': now_a, 'b': b'bee', 'c': b'see' * 33 + b's'}, \
            {k: len(v) for k, v in real.items()}
        assert rebuild(log, os.path.join(tmp, 'all'), '--mode', 'all') == real
        chk = subprocess.run([sys.executable, REBUILD, log, '--check', d],
                             capture_output=True, text=True)
        assert chk.returncode == 0, chk.stdout + chk.stderr

        # random cuts: every page is one of its versions, every size one the file had
        see = b'see' * 2000
        versions = {
            'a': ({3 * PAGE, 3 * PAGE + 5000},
                  [{durable_a[:PAGE], now_a[:PAGE]}, {page1},
                   {b'1' * PAGE, b'4' * PAGE, b'5' * 100 + b'4' * (PAGE - 100)},
                   {b'', b'7' * PAGE}, {b'', b'7' * 904}]),
            'c': ({6000, 100}, [{see[:PAGE], see[:100]}, {see[PAGE:], b''}]),
        }
        seen_names, seen_a = set(), set()
        for seed in range(SEEDS):
            cut = rebuild(log, os.path.join(tmp, f's{seed}'), '--seed', str(seed))
            assert cut == rebuild(log, os.path.join(tmp, f's{seed}again'), '--seed', str(seed))
            seen_names.add(tuple(sorted(cut)))
            seen_a.add(cut['a'])
            for name, (sizes, pages) in versions.items():
                got = cut[name]
                assert len(got) in sizes, (seed, name, len(got))
                for p, vs in enumerate(pages):
                    chunk = got[p * PAGE:(p + 1) * PAGE]
                    assert any(chunk == v.ljust(PAGE, b'\0')[:len(chunk)] for v in vs), \
                        (seed, name, p, chunk[:16])
        assert seen_names == {('a', 'b', 'c'), ('a', 'b.tmp', 'c')}, seen_names
        assert len(seen_a - {durable_a, now_a}) >= SEEDS // 4, len(seen_a)  # mixes too

        # the negative control's knob: the last full sync (c's) never happened
        drop = rebuild(log, os.path.join(tmp, 'drop'), '--mode', 'none',
                       env={'POWERCUT_DROP_LAST_SYNC': '1'})
        assert drop == {**want, 'c': b''}, {k: len(v) for k, v in drop.items()}
        print(f'powercut_shim: ok (none, all, --check, {SEEDS} seeds: {len(seen_a)} '
              'different files a, drop-last-sync)')
    finally:
        shutil.rmtree(tmp)


main()
