"""ctest `example_level_uploader`: examples/level-uploader built as a user would — against
the *installed* libcocreate (`cmake --install` of this build into a temp prefix, then the
example's own Makefile with PKG_CONFIG_PATH pointing into it) — and run against a real
server: it registers, uploads a level to a contest, prints its rank in the contest's live
`top` gallery ("rank 3 of 3"), and again when a vote moves it ("rank 2 of 3"), then exits
0 after that one update. A second run logs in with the printed token and reports a
refused level's rule and place, exit 1. Under ASan the example is built with the
sanitizers too (the installed library has them)."""
import glob
import os
import shutil
import subprocess

from harness import WAIT, brand_server, check_no_sanitizer_report, register, run, \
    simple_level, tmpdir

BUILD = os.environ['CC_BUILD_DIR']
EXAMPLE = os.environ['CC_EXAMPLE_DIR']
LEVELS = os.path.join(os.environ['CC_TEST_DATA'], 'levels')
SAN = '-fsanitize=address,undefined' if os.environ.get('CC_SANITIZE') == '1' else ''


def sh(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=4 * WAIT, **kw)
    assert p.returncode == 0, f'{cmd} exited {p.returncode}:\n{p.stdout}{p.stderr}'
    return p.stdout


async def main():
    prefix = tmpdir('cc-example-prefix-')
    sh(['cmake', '--install', BUILD, '--prefix', prefix])
    pcs = glob.glob(os.path.join(prefix, 'lib*', '**', 'cocreate.pc'), recursive=True)
    assert len(pcs) == 1, pcs
    src = os.path.join(tmpdir('cc-example-src-'), 'level-uploader')
    shutil.copytree(EXAMPLE, src)
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.dirname(pcs[0]))
    sh(['make', '-C', src, f'CFLAGS=-O1 -g -Werror {SAN}', f'LDFLAGS={SAN}'], env=env)
    binary = os.path.join(src, 'level-uploader')
    assert os.path.exists(binary)

    srv, brand, _ = await brand_server()
    await brand.ok('contest.create', slug='jam', title='Level jam', kind='level',
                   scale='heart')
    maker = await register(srv, 'maker')
    ids = []
    for i in (1, 2):
        r = await maker.upload('level', simple_level(variant=i), title=f'other {i}',
                               contest='jam')
        ids.append(r['result']['design']['id'])
    voter = await register(srv, 'voter')
    await voter.ok('vote.cast', design=ids[0], value=1)

    mine = os.path.join(src, 'castle.json')
    with open(mine, 'wb') as f:
        f.write(simple_level(variant=9))
    p = subprocess.Popen([binary, '--server', f'http://127.0.0.1:{srv.port}', '--contest',
                          'jam', '--name', 'editor', '--updates', '1', '--timeout', str(WAIT),
                          mine], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env={k: v for k, v in os.environ.items() if k != 'COCREATE_TOKEN'})
    lines = []
    while not lines or not lines[-1].startswith('rank '):
        line = p.stdout.readline()
        assert line, (lines, p.stderr.read())
        lines.append(line)
    assert lines[0].startswith('registered editor; token (shown once): '), lines
    token = lines[0].split(': ')[1].strip()
    design = lines[1].split()[2]
    assert lines[1] == f'uploaded design {design} to jam\n', lines
    assert lines[2] == 'rank 3 of 3\n', lines  # no votes, the newest: last
    # One vote: a tie with the one-vote design, which is older: rank 2, one update.
    await voter.ok('vote.cast', design=design, value=1)
    out, err = p.communicate(timeout=WAIT)
    check_no_sanitizer_report(err, 'level-uploader')
    assert p.returncode == 0 and out == 'rank 2 of 3\n', (p.returncode, out, err)

    # The token from the environment; a level the server refuses, in words.
    p = subprocess.run([binary, '--server', f'http://127.0.0.1:{srv.port}', '--contest', 'jam',
                        os.path.join(LEVELS, 'bad_tile.json')], capture_output=True, text=True,
                       timeout=WAIT, env=dict(os.environ, COCREATE_TOKEN=token))
    check_no_sanitizer_report(p.stderr, 'level-uploader')
    assert p.returncode == 1 and p.stdout == '' and \
        'invalid_design' in p.stderr and 'rule tile at row 3, column 17' in p.stderr, p
    for c in (brand, maker, voter):
        await c.close()
    srv.stop()


run(main)
