"""A damaged data file (docs/operations.md, "A damaged data file"): cocreated must exit 1
at start with one plain line naming what is wrong, within the deadline, never hang, run
on it silently, or die of a signal. Each damage is made on a copy of a seeded data
directory (accounts, designs, a checkpoint and a journal): data.mdb emptied beside its
checkpoint (LMDB would have started an empty database: every account gone, without a
word), cut to one page, cut in half and cut by 1000 bytes (a read past the end: SIGBUS
before), its meta pages zeroed or overwritten, the whole file garbage, the main tree's
root pointing past the end of the file. Garbage inside the pages themselves can make
LMDB read past the file's end (SIGBUS: seen in 1 of 25 random trials, no reliable recipe
on this data): the daemon says that in words too, checked by sending it the signal. The
original then starts and serves its accounts: the copies changed nothing."""
import os
import random
import shutil
import signal
import subprocess

from harness import (WAIT, Client, Server, check_no_sanitizer_report, daemon_command,
                     free_port, register, run, simple_level)

PAGE = 4096
# LMDB's meta page (lmdb.h 0.9, 64-bit): a 16-byte page header, then magic, version,
# address, map size, the free and main trees (48 bytes each: md_root last), last page,
# txnid.
MAIN_ROOT = 16 + 4 + 4 + 8 + 8 + 48 + 40
LAST_PG = MAIN_ROOT + 8


def cut(size):
    def damage(f, length):
        f.truncate(size(length))
    return damage


def overwrite(offset, data):
    def damage(f, length):
        f.seek(offset)
        f.write(data(length) if callable(data) else data)
    return damage


def root_past_end(f, length):
    """Both metas' main tree root: a page past the file's end, inside the map."""
    for meta in (0, PAGE):
        f.seek(meta + LAST_PG)
        last = int.from_bytes(f.read(8), 'little')
        f.seek(meta + MAIN_ROOT)
        f.write((last + 100).to_bytes(8, 'little'))


RND = random.Random(20)
DAMAGES = [  # name, damage, drop the checkpoint and journal, words the error must hold
    ('emptied beside its checkpoint', cut(lambda n: 0), False,
     ['data.mdb is damaged', '0 bytes long', 'checkpoint']),
    ('cut to one page', cut(lambda n: PAGE), True, ['not an LMDB file']),
    ('cut in half', cut(lambda n: n // 2 // PAGE * PAGE), False,
     ['data.mdb is damaged', 'last commit uses']),
    ('cut by 1000 bytes', cut(lambda n: n - 1000), True,
     ['data.mdb is damaged', 'last commit uses']),
    ('meta pages zeroed', overwrite(0, bytes(2 * PAGE)), True, ['not an LMDB file']),
    ('meta pages garbage', overwrite(0, RND.randbytes(2 * PAGE)), True,
     ['not an LMDB file']),
    ('all garbage', overwrite(0, lambda n: RND.randbytes(n)), True, ['not an LMDB file']),
    ('root past the end', root_past_end, True, ['MDB_PAGE_NOTFOUND']),
]


async def main():
    srv = Server()
    creator = await register(srv, 'dmg_creator')
    for i in range(5):
        assert (await creator.upload('level', simple_level(variant=300 + i),
                                     title=f'Damaged {i}'))['ok']
    tokens = {'dmg_creator': creator.token}
    for i in range(20):
        c = await register(srv, f'dmg_member{i}')
        tokens[c.account['name']] = c.token
        await c.close()
    await creator.close()
    srv.stop()
    assert os.path.exists(os.path.join(srv.data, 'checkpoint'))

    for name, damage, drop, words in DAMAGES:
        copy = os.path.join(srv.dir, 'copy')
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(srv.data, copy)
        if drop:
            for f in ('checkpoint', 'journal'):
                os.remove(os.path.join(copy, f))
        path = os.path.join(copy, 'data.mdb')
        with open(path, 'r+b') as f:
            damage(f, os.path.getsize(path))
        try:
            p = subprocess.run(daemon_command('--listen', f'127.0.0.1:{free_port()}', '--data',
                                              copy), capture_output=True, text=True,
                               timeout=WAIT)
        except subprocess.TimeoutExpired as e:
            raise AssertionError(f'{name}: cocreated still running after {WAIT} s:\n'
                                 f'{e.stderr}') from None
        check_no_sanitizer_report(p.stdout + p.stderr, name)
        assert p.returncode == 1, f'{name}: exit {p.returncode}, wanted 1:\n{p.stderr}'
        assert 'listening on' not in p.stderr, f'{name}: it served:\n{p.stderr}'
        for w in words:
            assert w in p.stderr, f'{name}: no {w!r} in:\n{p.stderr}'
        print(f'damaged: {name}: exit 1, {p.stderr.strip().splitlines()[-1][25:]}')

    # What a read past the end of the mapped file raises, sent by hand.
    srv.start()
    srv.proc.send_signal(signal.SIGBUS)
    srv.wait_exit(1)
    assert 'went past its end (SIGBUS): data.mdb is damaged' in srv.log_text(), srv.log_text()

    srv.start()  # the original was never touched
    for account, token in tokens.items():
        c = await Client.connect(srv)
        assert (await c.ok('auth.login', token=token))['account']['name'] == account
        await c.close()
    srv.stop()
    print(f'damaged: ok ({len(DAMAGES)} damages refused; the original serves)')


if __name__ == '__main__':
    run(main)
