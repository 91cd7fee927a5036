"""ctest `cli_tls`: the `cocreate` CLI against a TLS server (cocreated --tls-cert/--tls-key,
a test CA made by harness.make_pki): `verify` and `export` over https:// (the log and the
archive streamed through libcocreate's cc_fetch, as every other command's requests go),
the CA given as --ca FILE or $COCREATE_CA to any command, and the failures: no CA or the
wrong one (3, cannot connect, in words or as JSON), a CA file that cannot be read (2)."""
import json
import os
import subprocess

from harness import (WAIT, Client, Server, check_no_sanitizer_report, make_pki, register,
                     run, tmpdir)
from test_audit import png

CLI = os.environ.get('COCREATE_CLI', 'build/tools/cocreate')
T0 = 1_900_000_000


def cli(*args, **env):
    """Runs cocreate ARGS in a temp HOME without COCREATE_*: (exit code, stdout, stderr)."""
    e = {k: v for k, v in os.environ.items() if not k.startswith('COCREATE_')}
    e.update(HOME=tmpdir('cc-cli-tls-home-'), **env)
    p = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=WAIT, env=e,
                       stdin=subprocess.DEVNULL)
    check_no_sanitizer_report(p.stderr, 'cocreate ' + ' '.join(args))
    return p.returncode, p.stdout, p.stderr


async def main():
    cert, key, ca, other_ca = make_pki(tmpdir('cc-cli-tls-pki-'))
    srv = Server(['--test-clock'], start=False, tls=(cert, key, ca))
    token = srv.make_brand('acme')
    srv.start()
    url = f'https://127.0.0.1:{srv.port}'
    brand = await Client.connect(srv)  # wss://, checked against the test CA
    await brand.ok('auth.login', token=token)
    await brand.ok('test.clock', now=T0)
    await brand.ok('contest.create', slug='tees', title='Tees', kind='artwork',
                   scale='stars5', submit_open=T0 + 10, submit_close=T0 + 100,
                   vote_close=T0 + 200)
    await brand.ok('test.clock', now=T0 + 10)
    creator = await register(srv, 'artist')
    arts = [png(100 + 10 * i, 80, (80 * i, 100, 50, 255)) for i in range(2)]
    ids = []
    for i, data in enumerate(arts):
        r = await creator.upload('artwork', data, title=f'Tee {i}', contest='tees')
        assert r['ok'], r
        ids.append(r['result']['design']['id'])
    voters = [await register(srv, f'judge{i}') for i in range(4)]
    for k, v in enumerate(voters):
        for j, d in enumerate(ids):
            await v.ok('vote.cast', design=d, value=[5, 3][j] if k else 2)
    await brand.ok('test.clock', now=T0 + 250)  # judging
    for status in ('shortlisted', 'winner'):
        await brand.ok('design.set_status', design=ids[0], status=status)

    # verify over https://, the CA as --ca and as $COCREATE_CA
    rc, out, err = cli('verify', '--server', url, '--ca', ca, '--contest', 'tees')
    assert rc == 0 and out.startswith('verified: contest tees, 10 log entries, ') and \
        '2 ranked designs match' in out, (rc, out, err)
    rc, out, err = cli('--json', 'verify', '--contest', 'tees', COCREATE_SERVER=url,
                       COCREATE_CA=ca)
    v = json.loads(out)
    assert rc == 0 and v['verified'] is True and v['entries'] == 10 and v['designs'] == 2, v

    # export over https://: the winner's original, checked against the manifest
    dest = os.path.join(tmpdir('cc-cli-tls-export-'), 'tees')
    rc, out, err = cli('--json', 'export', '--server', url, '--contest', 'tees', '--out',
                       dest, '--token', token, COCREATE_CA=ca)
    assert rc == 0, (rc, out, err)
    assert json.loads(out) == {'contest': 'tees', 'out': dest, 'designs': 1,
                               'bytes': json.loads(out)['bytes'], 'left_out': 0}, out
    assert sorted(os.listdir(dest)) == sorted([ids[0], 'manifest.json']), os.listdir(dest)
    with open(os.path.join(dest, 'manifest.json')) as f:
        (d,) = json.load(f)['designs']
    with open(os.path.join(dest, d['original']), 'rb') as f:
        assert f.read() == arts[0]
    rc, out, err = cli('export', '--server', url, '--ca', ca, '--contest', 'tees', '--out',
                       os.path.join(dest, 'x'), '--token', '0' * 64)
    assert rc == 1 and 'status 401' in err, (rc, out, err)

    # every other command takes the CA the same way
    rc, out, err = cli('contest', 'list', '--server', url, '--ca', ca)
    assert rc == 0 and 'tees' in out, (rc, out, err)
    rc, out, err = cli('--json', 'whoami', '--server', url, COCREATE_CA=ca,
                       COCREATE_TOKEN=token)
    assert rc == 0 and json.loads(out)['account']['name'] == 'acme', (rc, out, err)
    # --ca wins over $COCREATE_CA
    rc, out, err = cli('contest', 'list', '--server', url, '--ca', ca, COCREATE_CA=other_ca)
    assert rc == 0, (rc, out, err)

    # no CA, or a CA that did not sign the server's certificate: cannot connect (3)
    for extra, env in (((), {}), (('--ca', other_ca), {}), ((), {'COCREATE_CA': other_ca})):
        for cmd in (('verify', '--contest', 'tees'), ('contest', 'list'),
                    ('export', '--contest', 'tees', '--out', os.path.join(dest, 'y'),
                     '--token', token)):
            rc, out, err = cli(*cmd, '--server', url, *extra, **env)
            assert rc == 3 and 'TLS' in err and out == '', (cmd, extra, env, rc, out, err)
    rc, out, err = cli('--json', 'contest', 'list', '--server', url)
    assert rc == 3 and json.loads(out)['error']['code'] == 'connect', (rc, out, err)
    rc, out, err = cli('--json', 'verify', '--contest', 'tees', '--server', url)
    assert rc == 3 and json.loads(out)['error']['code'] == 'verify_failed', (rc, out, err)
    # a CA file that cannot be read: a usage error (2), before connecting
    missing = os.path.join(tmpdir('cc-cli-tls-none-'), 'missing.pem')
    for cmd in (('verify', '--contest', 'tees'), ('contest', 'list')):
        rc, out, err = cli(*cmd, '--server', url, '--ca', missing)
        assert rc == 2 and f'cannot read the CA file {missing}' in err, (cmd, rc, out, err)
    rc, out, err = cli('--json', 'contest', 'list', '--server', url, COCREATE_CA=missing)
    assert rc == 2 and json.loads(out)['error']['code'] == 'usage', (rc, out, err)

    for c in [brand, creator] + voters:
        await c.close()
    srv.stop()
    print('cli_tls: ok (verify, export and --ca / COCREATE_CA over https://)')


if __name__ == '__main__':
    run(main)
