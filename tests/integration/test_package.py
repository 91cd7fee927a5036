"""The install and the .deb (issue 19; docs/operations.md, "Install"), on the ctest build.

    test_package.py install   cmake --install BUILD --prefix TMP: every expected file in
                              place and nothing else, the service's paths written for
                              that prefix (systemd-analyze verify), the installed daemon's
                              default web client its own, the man pages clean and naming
                              every option and command of --help, a reinstall keeping the
                              operator's settings file
    test_package.py deb       cpack -G DEB from BUILD into TMP: the control fields and
                              maintainer scripts; the files (as the install's, under /usr
                              and /etc); Depends naming the package of every library the
                              binaries need (readelf NEEDED -> ldd -> dpkg -S) and
                              libwebsockets-evlib-uv; then the unpacked daemon (dpkg-deb -x)
                              on a free port and a temp data dir, serving the packaged web
                              client, used by the packaged CLI (verify, lint), stopped with
                              SIGTERM (exit 0, WebSocket closed 1001) and started again
                              on the same data: everything acknowledged is there.

Environment: CC_BUILD_DIR (the build tree: the binaries, cmake_install.cmake,
CPackConfig.cmake), CC_SOURCE_DIR, CC_TEST_DATA; set by ctest. Nothing is rebuilt; both
modes only read the build tree (ctest runs them one at a time: RESOURCE_LOCK).
"""
import asyncio
import glob
import os
import re
import signal
import subprocess
import sys

import harness
from harness import Client, Server, register, run, simple_level, tmpdir, until

BUILD = os.path.abspath(os.environ.get('CC_BUILD_DIR', 'build'))
SOURCE = os.path.abspath(os.environ.get('CC_SOURCE_DIR', '.'))
TEST_DATA = os.environ.get('CC_TEST_DATA', os.path.join(SOURCE, 'tests', 'data'))
WEB_SRC = os.path.join(SOURCE, 'assets', 'web')
SAMPLES_SRC = os.path.join(SOURCE, 'assets', 'samples')
MARK = '<!-- cocreate test_package: the packaged copy -->'
# the project's version, as CMakeLists.txt's project() says it (libcocreate's file name)
VERSION = re.search(r'project\(cocreate VERSION ([0-9.]+)',
                    open(os.path.join(SOURCE, 'CMakeLists.txt')).read()).group(1)


def sh(*argv, ok=True, **kw):
    """(exit code, stdout, stderr) of argv; asserts exit 0 unless ok=False."""
    p = subprocess.run(argv, capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL, **kw)
    if ok:
        assert p.returncode == 0, f'{argv} exited {p.returncode}:\n{p.stdout}\n{p.stderr}'
    return p.returncode, p.stdout, p.stderr


def tree(root):
    """Every file and symlink under root, as paths relative to it."""
    out = set()
    for d, _, files in os.walk(root):
        for f in files:
            out.add(os.path.relpath(os.path.join(d, f), root))
    return out


def expected_files(sbin='sbin', etc='etc'):
    """What an install holds, relative to its prefix (etc: where the settings go)."""
    files = {f'{sbin}/cocreated', 'bin/cocreate',
             'share/man/man1/cocreate.1.gz', 'share/man/man8/cocreated.8.gz',
             'lib/systemd/system/cocreated.service', 'lib/sysusers.d/cocreate.conf',
             f'{etc}/default/cocreate'}
    files |= {'share/cocreate/web/' + f for f in tree(WEB_SRC)}
    files |= {'share/cocreate/samples/' + f for f in tree(SAMPLES_SRC) if f.endswith('.json')}
    # libcocreate (docs/client.md): the shared library with its soname link, the static
    # one, the header, pkg-config's file and the CMake package
    files |= {'lib/libcocreate.so', 'lib/libcocreate.so.0', f'lib/libcocreate.so.{VERSION}',
              'lib/libcocreate.a', 'include/cocreate/client.h', 'lib/pkgconfig/cocreate.pc',
              'lib/cmake/cocreate/cocreateConfig.cmake',
              'lib/cmake/cocreate/cocreateConfigVersion.cmake',
              'lib/cmake/cocreate/cocreateTargets.cmake'}
    return files


def client_library(f):
    """A file of libcocreate's (client/)."""
    return re.match(r'(usr/)?(lib/([^/]+/)?libcocreate[^/]*|include/cocreate/.*)$', f) is not None


def build_type_file(f):
    """The CMake package's targets file of the build's own configuration."""
    return re.match(r'(usr/)?lib/cmake/cocreate/cocreateTargets-[a-z]+\.cmake$', f) is not None


def use_libraries_of(prefix):
    """Installed binaries find a shared libcocreate of the same install (a --prefix
    install or an unpacked package is not in ld.so's path; the .deb's postinst runs
    ldconfig)."""
    dirs = sorted({os.path.dirname(os.path.join(prefix, f)) for f in tree(prefix)
                   if client_library(f) and '/include/' not in '/' + f})
    if dirs:
        os.environ['LD_LIBRARY_PATH'] = ':'.join(
            dirs + [p for p in os.environ.get('LD_LIBRARY_PATH', '').split(':') if p])


def check_tree(got, want, where):
    extra = {f for f in got - want if not build_type_file(f)}
    assert not want - got, f'{where}: missing {sorted(want - got)}'
    assert not extra, f'{where}: unexpected {sorted(extra)}'


def check_unit(path, sbindir, sysconfdir):
    text = open(path).read()
    for line in (f'ExecStart={sbindir}/cocreated --data /var/lib/cocreate $COCREATED_ARGS',
                 f'EnvironmentFile=-{sysconfdir}/default/cocreate',
                 'User=cocreate', 'StateDirectory=cocreate', 'KillSignal=SIGTERM',
                 'Restart=on-failure', 'NoNewPrivileges=yes', 'ProtectSystem=strict',
                 'ProtectHome=yes', 'PrivateTmp=yes', 'PrivateDevices=yes',
                 'SystemCallFilter=@system-service', 'MemoryDenyWriteExecute=yes',
                 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6',
                 'WantedBy=multi-user.target'):
        assert line in text.splitlines(), f'{path}: no line {line!r}'
    assert '@' not in re.sub(r'@system-service|@privileged|^#.*$', '', text, flags=re.M), \
        f'{path}: a placeholder was not replaced'


def man_text(path):
    """The page rendered as man shows it; asserts groff had no warning."""
    env = {**os.environ, 'LC_ALL': 'C.UTF-8', 'MANWIDTH': '200'}
    _, out, err = sh('man', '--warnings', '-E', 'UTF-8', '-l', '-Tutf8', path, env=env)
    assert err == '', f'{path}: groff warns:\n{err}'
    return re.sub(r'.\x08', '', out)  # no overstrike


def check_man_pages(prefix):
    """Each page names the version, renders cleanly and says every option and command of
    the --help it documents."""
    _, version, _ = sh(os.path.join(prefix, 'sbin/cocreated'), '--version')
    for f in ('cocreate.1', 'cocreated.8'):
        th = open(os.path.join(SOURCE, 'man', f)).read().split('\n.TH ', 1)[1].split('\n')[0]
        assert f'"cocreate {version.split()[-1]}"' in th, f'man/{f}: .TH {th} (the version?)'
    page = man_text(os.path.join(prefix, 'share/man/man8/cocreated.8.gz'))
    _, help_text, _ = sh(os.path.join(prefix, 'sbin/cocreated'), '--help')
    options = set(re.findall(r'(?<![\w-])--[a-z][a-z-]+', help_text))
    assert len(options) > 30, options
    missing = sorted(o for o in options if not re.search(re.escape(o) + r'\b', page))
    assert not missing, f'cocreated.8 lacks {missing}'
    page = man_text(os.path.join(prefix, 'share/man/man1/cocreate.1.gz'))
    _, help_text, _ = sh(os.path.join(prefix, 'bin/cocreate'), 'help')
    listed = help_text.split('\ncommands:\n', 1)[1].split('\n\n', 1)[0]
    # a command and its subcommand ("contest list"), not its arguments ("register NAME")
    commands = re.findall(r'^  ([a-z]+(?: [a-z]+)?)\b', listed, flags=re.M)
    assert 'lint' in commands and 'upload' in commands and 'contest list' in commands, listed
    for c in commands:
        # each command is an entry of COMMANDS that starts with its name
        assert re.search(rf'^\s+{re.escape(c)}\b', page, flags=re.M), \
            f'cocreate.1 has no entry for "{c}"'


def test_install():
    prefix = tmpdir('cc-install-')
    sh('cmake', '--install', BUILD, '--prefix', prefix)
    check_tree(tree(prefix), expected_files(), f'cmake --install --prefix {prefix}')
    use_libraries_of(prefix)
    for exe in ('sbin/cocreated', 'bin/cocreate'):
        assert os.access(os.path.join(prefix, exe), os.X_OK), exe
    # The installed daemon's default web client is the installed copy.
    _, help_text, _ = sh(os.path.join(prefix, 'sbin/cocreated'), '--help')
    assert re.search(r'here:\s+' + re.escape(os.path.join(prefix, 'share/cocreate/web')) +
                     r'\n', help_text), help_text
    # ... while the build tree's daemon keeps the source tree's (tools/run, the tests).
    _, help_text, _ = sh(os.path.join(BUILD, 'cocreated'), '--help')
    assert re.search(r'here:\s+' + re.escape(WEB_SRC) + r'\n', help_text), help_text
    unit = os.path.join(prefix, 'lib/systemd/system/cocreated.service')
    check_unit(unit, os.path.join(prefix, 'sbin'), os.path.join(prefix, 'etc'))
    rc, out, err = sh('systemd-analyze', 'verify', '--man=no', unit, ok=False)
    assert rc == 0 and not (out + err).strip(), f'systemd-analyze verify:\n{out}{err}'
    check_man_pages(prefix)
    # The settings file is the operator's: a second install keeps it.
    settings = os.path.join(prefix, 'etc/default/cocreate')
    with open(settings, 'a') as f:
        f.write('COCREATED_ARGS="--listen 0.0.0.0:9000"\n')
    sh('cmake', '--install', BUILD, '--prefix', prefix)
    assert open(settings).read().endswith('--listen 0.0.0.0:9000"\n'), 'settings overwritten'
    print(f'install: {len(tree(prefix))} files in place')


def build_deb():
    out = tmpdir('cc-deb-')
    sh('cpack', '-G', 'DEB', '--config', os.path.join(BUILD, 'CPackConfig.cmake'), '-B', out)
    debs = glob.glob(os.path.join(out, 'cocreate_*.deb'))
    assert len(debs) == 1, os.listdir(out)
    return debs[0]


def depends_names(field):
    """The package names of a Depends field (alternatives included)."""
    names = set()
    for part in field.split(','):
        for alt in part.split('|'):
            names.add(alt.strip().split(' ')[0].split(':')[0])
    return names


def owner(path):
    """The Debian package holding path (usr-merged or not), or None."""
    cands = [path, os.path.realpath(path)]
    for p in list(cands):
        if p.startswith('/usr/'):
            cands.append(p[4:])
        else:
            cands.append('/usr' + p)
    for p in cands:
        rc, out, _ = sh('dpkg', '-S', p, ok=False)
        if rc == 0:
            return out.split(':')[0].split(',')[0].strip()
    return None


def needed_packages(binary, root):
    """{soname: package} for every NEEDED entry of binary that root (the package's own
    files) does not hold."""
    _, dyn, _ = sh('readelf', '-dW', binary)
    sonames = re.findall(r'\(NEEDED\)\s+Shared library: \[([^\]]+)\]', dyn)
    assert sonames, dyn
    _, lddout, _ = sh('ldd', binary)
    paths = dict(re.findall(r'^\s*(\S+) => (/\S+)', lddout, flags=re.M))
    out = {}
    for so in sonames:
        assert so in paths, f'{binary}: ldd does not resolve {so}:\n{lddout}'
        if paths[so].startswith(root.rstrip('/') + '/'):
            continue
        out[so] = owner(paths[so])
        assert out[so], f'no Debian package holds {paths[so]} ({so})'
    return out


def check_deb_metadata(deb, root):
    _, fields, _ = sh('dpkg-deb', '-f', deb, 'Package', 'Version', 'Section', 'Maintainer',
                      'Depends', 'Description')
    f = dict(re.findall(r'^(\w+): (.*)$', fields, flags=re.M))
    _, version, _ = sh(os.path.join(BUILD, 'cocreated'), '--version')
    assert f['Package'] == 'cocreate', f
    assert f['Version'].split('-')[0] == version.split()[-1], (f['Version'], version)
    assert f['Section'] == 'web' and '@' in f['Maintainer'], f
    deps = depends_names(f['Depends'])
    # lws loads its libuv loop with dlopen: named by hand, and it is the right package
    assert 'libwebsockets-evlib-uv' in deps, f['Depends']
    _, lddout, _ = sh('ldd', os.path.join(root, 'usr/sbin/cocreated'))
    lws = re.search(r'libwebsockets\.so\.\d+ => (\S+)', lddout).group(1)
    evlib = os.path.join(os.path.dirname(os.path.realpath(lws)), 'libwebsockets-evlib_uv.so')
    assert owner(evlib) == 'libwebsockets-evlib-uv', (evlib, owner(evlib))
    for exe in ('usr/sbin/cocreated', 'usr/bin/cocreate'):
        for so, pkg in needed_packages(os.path.join(root, exe), root).items():
            assert pkg in deps, f'{exe} needs {so} from {pkg}, not in Depends: {f["Depends"]}'
    # maintainer scripts and the conffile
    ctl = tmpdir('cc-deb-control-')
    sh('dpkg-deb', '-e', deb, ctl)
    assert open(os.path.join(ctl, 'conffiles')).read().split() == ['/etc/default/cocreate']
    for script in ('postinst', 'prerm', 'postrm'):
        path = os.path.join(ctl, script)
        assert os.access(path, os.X_OK), script
        sh('sh', '-n', path)
        assert '@' not in open(path).read(), f'{script}: a placeholder was not replaced'
    print(f'deb: {f["Package"]} {f["Version"]}, Depends: {f["Depends"]}')


async def check_running(root):
    """The unpacked daemon (its web client and sample levels) and CLI, like the
    installed ones; the data survives a SIGTERM."""
    web = os.path.join(root, 'usr/share/cocreate/web')
    # Mark the packaged copy: GET / must serve it, not the source tree's.
    with open(os.path.join(web, 'index.html'), 'a') as f:
        f.write(MARK + '\n')
    harness.COCREATED = os.path.join(root, 'usr/sbin/cocreated')
    cli = os.path.join(root, 'usr/bin/cocreate')
    srv = Server()
    assert f'web client from {web} (version' in srv.log_text(), srv.log_text()
    status, _, body = srv.get('/')
    assert status == 200 and MARK in body.decode(), (status, body[-300:])
    # and the editor's sample levels beside it
    version = re.search(r'\(version ([0-9a-f]{12})\)', srv.log_text()).group(1)
    status, _, body = srv.get(f'/assets/{version}/samples/manifest.json')
    assert status == 200, status
    assert body == open(os.path.join(root, 'usr/share/cocreate/samples/manifest.json'),
                        'rb').read()

    brand = await Client.connect(srv)
    await brand.ok('auth.login', token=srv.make_brand('acme'))
    await brand.ok('contest.create', slug='pkg', title='Packaged', kind='level',
                   scale='heart')
    maker = await register(srv, 'maker')
    r = await maker.upload('level', simple_level(variant=3), title='Boxed', contest='pkg')
    assert r['ok'], r
    design = r['result']['design']['id']
    voter = await register(srv, 'voter')
    await voter.ok('vote.cast', design=design, value=1)
    url = f'http://127.0.0.1:{srv.port}'
    _, out, _ = sh(cli, 'verify', '--server', url, '--contest', 'pkg')
    _, out, _ = sh(cli, 'lint', os.path.join(TEST_DATA, 'levels', 'ok.json'))
    assert out == 'ok\n', out

    # SIGTERM with a client connected: closed with 1001 (going away), exit 0.
    srv.proc.send_signal(signal.SIGTERM)
    await until(lambda: not srv.running(), 'cocreated exits after SIGTERM')
    srv.wait_exit(0)
    await asyncio.wait_for(voter.ws.wait_closed(), harness.WAIT)
    assert voter.ws.close_code == 1001, voter.ws.close_code
    for c in (brand, maker):
        await c.close()

    # Started again on the same data: everything acknowledged is there.
    srv.start()
    again = await Client.connect(srv)
    await again.ok('auth.login', token=voter.token)
    d = (await again.ok('design.get', design=design))['design']
    assert d['title'] == 'Boxed' and d['tally']['supports'] == 1, d
    _, out, _ = sh(cli, 'verify', '--server', f'http://127.0.0.1:{srv.port}', '--contest', 'pkg')
    await again.close()
    srv.stop()


async def test_deb():
    deb = build_deb()
    root = tmpdir('cc-deb-root-')
    sh('dpkg-deb', '-x', deb, root)
    use_libraries_of(root)
    check_tree(tree(root), {('etc/default/cocreate' if f.startswith('etc/') else 'usr/' + f)
                            for f in expected_files()}, deb)
    check_unit(os.path.join(root, 'usr/lib/systemd/system/cocreated.service'), '/usr/sbin',
               '/etc')
    check_deb_metadata(deb, root)
    await check_running(root)


async def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ''
    if mode == 'install':
        test_install()
    elif mode == 'deb':
        await test_deb()
    else:
        raise SystemExit('usage: test_package.py install|deb')
    print(f'test_package {mode}: ok')


if __name__ == '__main__':
    run(main)
