"""ctest `client_install`: libcocreate as a user gets it. `cmake --install` the build into
a temporary prefix; check the header, the shared library (SONAME libcocreate.so.0), the
static one, cocreate.pc and the CMake package; build docs/client.md's two examples
(tests/client/examples) with pkg-config (shared, and static from libcocreate.a) and with
find_package(cocreate) (cocreate::client, cocreate::client_static); run them against a
real server: the blocking one publishes a level and reports a refused one with its rule,
row and col; the event-driven one draws a live window and ends with uv_loop_close() 0."""
import glob
import json
import os
import shlex
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..',
                                'integration'))
from harness import WAIT, Server, run, tmpdir  # noqa: E402

EXAMPLES = os.environ['CC_EXAMPLES']
LEVELS = os.path.join(os.environ['CC_TEST_DATA'], 'levels')
SAN = ['-fsanitize=address,undefined'] if os.environ.get('CC_SANITIZE') == '1' else []


def sh(cmd, env=None, cwd=None):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=4 * WAIT, env=env, cwd=cwd)
    assert p.returncode == 0, f'{shlex.join(cmd)} exited {p.returncode}:\n{p.stdout}{p.stderr}'
    return p.stdout


async def main():
    prefix = tmpdir('cc-install-')
    sh(['cmake', '--install', os.environ['CC_BUILD_DIR'], '--prefix', prefix])
    assert os.path.exists(os.path.join(prefix, 'include/cocreate/client.h'))
    pcs = glob.glob(os.path.join(prefix, 'lib*/**/cocreate.pc'), recursive=True)
    assert len(pcs) == 1, pcs
    libdir = os.path.dirname(os.path.dirname(pcs[0]))
    for f in ('libcocreate.so', 'libcocreate.so.0', 'libcocreate.a',
              'cmake/cocreate/cocreateConfig.cmake', 'cmake/cocreate/cocreateTargets.cmake'):
        assert os.path.exists(os.path.join(libdir, f)), f
    assert 'SONAME               libcocreate.so.0' in sh(['objdump', '-p',
                                                          os.path.join(libdir, 'libcocreate.so')])
    # nothing but the public API is exported
    syms = sh(['nm', '-D', '--defined-only', os.path.join(libdir, 'libcocreate.so')]).split()
    names = [s for s in syms[2::3]]
    assert names and all(n.startswith('cc_') for n in names), names

    env = dict(os.environ, PKG_CONFIG_PATH=os.path.dirname(pcs[0]),
               LD_LIBRARY_PATH=libdir)
    pc = sh(['pkg-config', '--cflags', '--libs', 'cocreate'], env=env).split()
    uv = sh(['pkg-config', '--cflags', '--libs', 'libuv'], env=env).split()
    static = sh(['pkg-config', '--static', '--libs', 'cocreate'], env=env).split()
    static = [os.path.join(libdir, 'libcocreate.a') if a == '-lcocreate' else a
              for a in static]
    out = tmpdir('cc-install-bin-')
    cc = ['cc', '-std=c11', '-Wall', '-Wextra', '-Werror', *SAN]
    bins = {}
    for name, extra in (('blocking', pc), ('event', pc + uv),
                        ('blocking_static', static), ('event_static', static + uv)):
        src = os.path.join(EXAMPLES, name.split('_')[0] + '.c')
        bins[name] = os.path.join(out, name)
        cflags = sh(['pkg-config', '--cflags', 'cocreate'], env=env).split()
        sh([*cc, *cflags, src, '-o', bins[name], *extra])
    assert 'libcocreate.so' not in sh(['ldd', bins['blocking_static']])

    # the CMake package
    proj = tmpdir('cc-install-cmake-')
    with open(os.path.join(proj, 'CMakeLists.txt'), 'w') as f:
        f.write(f'''cmake_minimum_required(VERSION 3.25)
project(uses_cocreate C)
find_package(cocreate 0.1 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(UV REQUIRED IMPORTED_TARGET libuv)
add_executable(blocking {EXAMPLES}/blocking.c)
target_link_libraries(blocking PRIVATE cocreate::client)
add_executable(event {EXAMPLES}/event.c)
target_link_libraries(event PRIVATE cocreate::client_static PkgConfig::UV)
''')
    build = os.path.join(proj, 'build')
    sh(['cmake', '-S', proj, '-B', build, f'-DCMAKE_PREFIX_PATH={prefix}',
        f'-DCMAKE_C_FLAGS={" ".join(SAN)}'])
    sh(['cmake', '--build', build])
    bins['cmake_blocking'] = os.path.join(build, 'blocking')
    bins['cmake_event'] = os.path.join(build, 'event')

    srv = Server()
    with open(os.path.join(LEVELS, 'ok.json')) as f:
        level = json.load(f)
    for i, name in enumerate(('blocking', 'blocking_static', 'cmake_blocking')):
        # each its own bytes (the same bytes by another creator would be a duplicate)
        level['rows'][0] = 'o' * (i + 1) + level['rows'][0][i + 1:]
        mine = os.path.join(out, f'level{i}.json')
        with open(mine, 'w') as f:
            json.dump(level, f)
        ok = sh([bins[name], srv.ws_url, f'player{i}', mine], env=env)
        assert 'published design' in ok and 'image/png thumbnail' in ok, ok
        p = subprocess.run([bins[name], srv.ws_url, f'refused{i}',
                            os.path.join(LEVELS, 'bad_tile.json')], capture_output=True,
                           text=True, timeout=WAIT, env=env)
        assert p.returncode == 0, p.stderr
        assert 'not published' in p.stderr and '(rule tile, row 3, col 17)' in p.stderr, \
            p.stderr
    for name in ('event', 'event_static', 'cmake_event'):
        board = sh([bins[name], srv.ws_url], env=env)
        assert board.startswith('-- 3 levels --') and 'My level' in board, board
    srv.stop()


if __name__ == '__main__':
    run(main)
