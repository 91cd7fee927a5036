"""ctest `cli`: the `cocreate` CLI (tools/cli, docs/cli.md) against a real cocreated.

Each command runs as a subprocess in a temp HOME (the config file is its own): its output
and exit code (0 ok, 1 refused by the server, 2 usage, 3 cannot connect), its --json
form parsed, the config file's place ($HOME/.config or $XDG_CONFIG_HOME) and mode 0600,
COCREATE_SERVER / COCREATE_TOKEN / --server overriding it, and the terminal forms: no
progress bar and no escape sequence when piped, a progress bar and a redrawn
`gallery --watch` table under a pty (and no colour there with NO_COLOR). `gallery
--watch` piped prints one line per update as another client votes. Under ASan every
run's stderr is checked for sanitizer reports (leaks included)."""
import asyncio
import json
import os
import pty
import select
import stat
import subprocess
import time

from harness import (WAIT, Client, Server, check_no_sanitizer_report, free_port, freeze,
                     png_gradient, register, run, simple_level, thaw, tmpdir, until)

CLI = os.environ.get('COCREATE_CLI', 'build/tools/cocreate')
LEVELS = os.path.join(os.environ.get('CC_TEST_DATA', 'tests/data'), 'levels')
ESC = '\033['


def environ(home, server=None, **extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ('XDG_CONFIG_HOME', 'COCREATE_SERVER', 'COCREATE_TOKEN', 'NO_COLOR')}
    env['HOME'] = home
    if server:
        env['COCREATE_SERVER'] = server
    env.update(extra)
    return env


def cli(home, *args, server=None, stdin='', **extra):
    """Runs cocreate ARGS piped: (exit code, stdout, stderr)."""
    p = subprocess.run([CLI, *args], input=stdin, capture_output=True, text=True,
                       timeout=WAIT, env=environ(home, server, **extra))
    check_no_sanitizer_report(p.stderr, 'cocreate ' + ' '.join(args))
    return p.returncode, p.stdout, p.stderr


def ok(home, *args, **kw):
    rc, out, err = cli(home, *args, **kw)
    assert rc == 0, (args, rc, out, err)
    assert ESC not in out + err, ('escape sequence when piped', args, out, err)
    return out


def jok(home, *args, **kw):
    """--json: the one JSON document on stdout."""
    return json.loads(ok(home, '--json', *args, **kw))


def refused(home, code, *args, **kw):
    rc, out, err = cli(home, *args, **kw)
    assert rc == 1, (args, rc, out, err)
    rc, out, err = cli(home, '--json', *args, **kw)
    assert rc == 1 and json.loads(out)['error']['code'] == code, (args, rc, out, err)
    return err


def under_pty(home, *args, server=None, until_text=None, then=None, **extra):
    """Runs cocreate ARGS with stdin, stdout and stderr on a terminal; then(text) is
    called once until_text appeared. Returns (exit code, everything it wrote)."""
    master, slave = pty.openpty()
    env = environ(home, server, TERM='xterm', **extra)
    p = subprocess.Popen([CLI, *args], stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    buf, called = b'', False
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 0.1)
        if r:
            try:
                d = os.read(master, 65536)
            except OSError:
                d = b''
            if not d:
                break
            buf += d
        if then and not called and until_text and until_text in buf.decode(errors='replace'):
            called = True
            then(buf.decode(errors='replace'))
        if not r and p.poll() is not None:
            break
    os.close(master)
    rc = p.wait(timeout=WAIT)
    text = buf.decode(errors='replace')
    check_no_sanitizer_report(text, 'cocreate ' + ' '.join(args))
    return rc, text


async def main():
    srv = Server(start=False)
    brand_token = srv.make_brand('acme')
    srv.start()
    url = f'http://127.0.0.1:{srv.port}'
    ann, bob, carl = tmpdir('cc-cli-ann-'), tmpdir('cc-cli-bob-'), tmpdir('cc-cli-carl-')
    brand = tmpdir('cc-cli-acme-')

    # --- help and usage (2) ---
    out = ok(ann, '--help')
    for cmd in ('register', 'login', 'upload', 'gallery', 'contest create', 'notices',
                'lint', 'verify', 'export'):
        assert f'\n  {cmd} ' in out, (cmd, out)
    out = ok(ann, 'upload', '--help')
    assert '--title TITLE' in out and '--contest ID' in out and 'example:\n  cocreate upload' in out
    assert 'contest results' in ok(ann, 'contest', '--help')
    assert 'usage: cocreate gallery' in ok(ann, 'help', 'gallery')
    # the man page covers every command of the help
    man = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'man',
                            'cocreate.1')).read().replace('\\-', '-').replace('\\fB', '')
    helptext = ok(ann, '--help')
    names = [ln.split()[0] + (' ' + ln.split()[1] if ln.split()[0] == 'contest' else '')
             for ln in helptext.split('commands:\n')[1].split('\n\n')[0].splitlines()]
    assert len(names) > 25, names
    for name in names:
        assert name in man, f'man/cocreate.1 does not describe {name}'
    for args in ([], ['nosuch'], ['gallery', '--nosuch'], ['upload'], ['vote', '1', '7'],
                 ['gallery', '--limit', '0'], ['contest', 'nosuch'], ['design', '1', '2']):
        rc, out, err = cli(ann, *args, server=url)
        assert rc == 2 and out == '' and 'usage' in err, (args, rc, out, err)
    rc, out, err = cli(ann, '--json', 'gallery', '--limit', 'x', server=url)
    assert rc == 2 and json.loads(out)['error']['code'] == 'usage', (out, err)

    # --- cannot connect (3) ---
    down = f'http://127.0.0.1:{free_port()}'
    rc, out, err = cli(ann, 'gallery', server=down)
    assert rc == 3 and 'cannot connect' in err, (rc, out, err)
    rc, out, err = cli(ann, '--json', 'gallery', '--server', down, server=url)
    assert rc == 3 and json.loads(out)['error']['code'] == 'connect', (rc, out, err)
    rc, out, err = cli(ann, 'whoami', server=url)
    assert rc == 1 and 'not signed in' in err, (rc, out, err)

    # --- register: the config file (0600 in a 0700 dir), then it is used ---
    out = ok(ann, '--server', url, 'register', 'ann')
    conf = os.path.join(ann, '.config', 'cocreate', 'config')
    assert f'Registered ann' in out and conf in out, out
    assert stat.S_IMODE(os.stat(conf).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(conf)).st_mode) == 0o700
    text = open(conf).read()
    assert f'server = {url}\n' in text and 'name = ann\n' in text, text
    ann_token = text.split('token = ')[1].split()[0]
    assert len(ann_token) == 64
    me = jok(ann, 'whoami')  # server and token from the config file
    assert me['account']['name'] == 'ann' and me['unread'] == 0, me
    assert 'ann (account' in ok(ann, 'whoami')
    refused(bob, 'conflict', 'register', 'ANN', server=url)
    xdg = os.path.join(bob, 'xdg')
    reg = jok(bob, 'register', 'bob', server=url, XDG_CONFIG_HOME=xdg)
    assert reg['account']['name'] == 'bob' and len(reg['token']) == 64, reg
    bob_conf = os.path.join(xdg, 'cocreate', 'config')
    assert stat.S_IMODE(os.stat(bob_conf).st_mode) == 0o600
    assert not os.path.exists(os.path.join(bob, '.config'))
    os.makedirs(os.path.join(bob, '.config', 'cocreate'))
    os.rename(bob_conf, os.path.join(bob, '.config', 'cocreate', 'config'))
    # COCREATE_TOKEN and --token win over the file; COCREATE_SERVER and --server too
    assert jok(ann, 'whoami', COCREATE_TOKEN=reg['token'])['account']['name'] == 'bob'
    assert jok(ann, 'whoami', '--token', reg['token'])['account']['name'] == 'bob'
    assert cli(ann, 'whoami', server=down)[0] == 3
    assert cli(ann, 'whoami', '--server', down)[0] == 3
    refused(ann, 'unauthorized', 'whoami', COCREATE_TOKEN='f' * 64)

    # --- upload: plain words for a refused level, no progress bar when piped ---
    rc, out, err = cli(ann, 'upload', os.path.join(LEVELS, 'bad_tile.json'))
    assert rc == 1 and 'refused the design' in err and \
        'rule "tile", at row 3, column 17' in err and "'X' is not a tile" in err, (rc, err)
    rc, out, err = cli(ann, '--json', 'upload', os.path.join(LEVELS, 'bad_tile.json'))
    assert rc == 1 and json.loads(out)['error'] == {
        'code': 'invalid_design', 'message': "'X' is not a tile",
        'detail': {'rule': 'tile', 'row': 3, 'col': 17}}, out
    levels = tmpdir('cc-cli-files-')
    paths = []
    for i in range(4):
        paths.append(os.path.join(levels, f'level{i}.json'))
        with open(paths[-1], 'wb') as f:
            f.write(simple_level(variant=i + 1))
    rc, out, err = cli(ann, 'upload', paths[0], '--title', 'Castle run', '--tags', 'castle,hard')
    assert rc == 0 and out.startswith('Uploaded design ') and '"Castle run"' in out, (out, err)
    assert err == '', err  # no progress bar when piped
    d1 = out.split()[2]
    up = jok(ann, 'upload', paths[1])
    d2 = up['design']['id']
    assert up['design']['title'] == 'level1' and up['design']['contest'] == 'open', up
    assert cli(ann, 'upload', '/nonexistent.json')[0] == 2

    # --- design, gallery, search ---
    out = ok(ann, 'design', d1)
    assert f'{d1} "Castle run", a level by ann in contest open' in out and 'tags: castle hard' in out
    assert jok(bob, 'design', d1)['design']['tags'] == ['castle', 'hard']
    refused(bob, 'not_found', 'design', '999')
    out = ok(bob, 'gallery', '--sort', 'new')
    assert out.startswith('2 designs in open, by new\n#  ID') and 'Castle run' in out, out
    g = jok(bob, 'gallery', '--sort', 'new', '--limit', '1', '--offset', '1')
    assert g['total'] == 2 and len(g['items']) == 1 and g['items'][0]['id'] in (d1, d2), g
    assert 'Castle run' in ok(bob, 'search', 'castle')
    assert jok(bob, 'search', 'castel')['total'] == 1  # one typo

    # --- votes and comments ---
    assert ok(bob, 'vote', d1).startswith(f'Voted 1 on {d1}: 1 vote, 1 supports')
    assert jok(bob, 'vote', d1, '--clear')['tally']['votes'] == 0
    refused(ann, 'forbidden', 'vote', d1)
    refused(bob, 'bad_args', 'vote', d1, '5')  # open is a heart contest
    ok(bob, 'vote', d1)
    assert ok(bob, 'comment', d1, 'Love the jumps').startswith('Comment ')
    out = ok(ann, 'comments', d1)
    assert 'bob' in out and 'Love the jumps' in out, out

    # --- notices ---
    await until(lambda: jok(ann, 'notices')['unread'] >= 1, 'comment notice')
    out = ok(ann, 'notices')
    assert 'comment' in out and 'Love the jumps' in out, out
    assert jok(ann, 'notices', '--read')['unread'] == 0
    assert ok(ann, 'notices').rstrip().endswith('0 unread')

    # --- the brand: contests, status, hide, results ---
    env_brand = {'COCREATE_TOKEN': brand_token}
    refused(ann, 'forbidden', 'contest', 'create', 'summer', '--title', 'Summer',
            '--kind', 'level')
    assert cli(brand, 'contest', 'create', 'summer', server=url, **env_brand)[0] == 2
    out = ok(brand, 'contest', 'create', 'summer', '--title', 'Summer levels', '--kind', 'level',
             '--scale', 'stars5', '--prize', 'A t-shirt', '--submit-close', '+7d',
             server=url, **env_brand)
    assert out == 'Contest summer created (submissions).\n', out
    assert 'summer  level  stars5  submissions  Summer levels' in ok(brand, 'contest', 'list',
                                                                     server=url)
    out = ok(ann, 'contest', 'show', 'summer')
    assert 'Summer levels' in out and 'prize: A t-shirt' in out, out
    assert [c['id'] for c in jok(ann, 'contest', 'list')['contests']] == ['open', 'summer']
    d3 = jok(ann, 'upload', paths[2], '--contest', 'summer', '--title', 'Dune, "the" level')
    d3 = d3['design']['id']
    ok(bob, 'vote', d3, '4')
    refused(ann, 'forbidden', 'status', d1, 'shortlisted')
    out = ok(brand, 'status', d1, 'shortlisted', '--note', 'We love it', server=url, **env_brand)
    assert out == f'Design {d1} is now shortlisted.\n', out
    assert '"We love it"' in ok(ann, 'design', d1)
    assert ok(brand, 'hide', d2, '--reason', 'test', server=url, **env_brand) == \
        f'Design {d2} is hidden.\n'
    assert jok(bob, 'gallery')['total'] == 1
    ok(brand, 'hide', d2, '--unhide', server=url, **env_brand)
    csv = ok(bob, 'contest', 'results', 'summer', '--csv')
    assert csv == ('rank,design,title,creator,votes,supports,score,status\n'
                   f'1,{d3},"Dune, ""the"" level",ann,1,1,{csv.split(",")[-2]},submitted\n'), csv
    res = jok(bob, 'results', 'summer')
    assert res['ranking'][0]['design'] == d3 and len(res['log_head']) == 64, res
    assert 'verified: contest summer' in ok(bob, 'verify', '--contest', 'summer')
    assert jok(bob, 'verify', '--contest', 'summer')['verified'] is True
    refused(bob, 'not_found', 'contest', 'show', 'nosuch')

    # --- passwords, login, sessions, revoke, logout ---
    reg = ok(carl, 'register', 'carl', '--password', server=url, stdin='correct horse 1\n')
    assert 'Registered carl' in reg
    other = tmpdir('cc-cli-carl2-')
    rc, out, err = cli(other, 'login', 'carl', server=url, stdin='wrong password\n')
    assert rc == 1 and 'wrong name or password' in err, (rc, err)
    assert 'Signed in as carl' in ok(other, 'login', 'carl', server=url,
                                     stdin='correct horse 1\n')
    sessions = jok(carl, 'sessions')['sessions']
    assert len(sessions) == 2 and sessions[0]['current'], sessions
    out = ok(carl, 'sessions')
    assert 'SESSION' in out and '(this one)' in out and out.count('cocreate CLI') == 2, out
    ok(carl, 'revoke', sessions[1]['session'])
    refused(other, 'unauthorized', 'whoami')
    ok(carl, 'password', stdin='correct horse 1\nbattery staple 2\n')
    ok(other, 'login', 'carl', server=url, stdin='battery staple 2\n')
    assert ok(other, 'logout') == 'Signed out carl.\n'
    assert 'token' not in open(os.path.join(other, '.config', 'cocreate', 'config')).read()
    assert cli(other, 'whoami')[0] == 1
    tok = jok(other, 'login', '--token', ann_token)
    assert tok['account']['name'] == 'ann', tok
    assert cli(other, 'login')[0] == 2

    # --- offline commands keep working, with --json ---
    assert ok(ann, 'lint', paths[0]) == 'ok\n'
    assert jok(ann, 'lint', paths[0]) == {'valid': True, 'kind': 'level'}
    rc, out, err = cli(ann, '--json', 'lint', os.path.join(LEVELS, 'bad_tile.json'))
    assert rc == 1 and json.loads(out)['error']['detail']['rule'] == 'tile', out

    # --- gallery --watch piped: one line per update as votes arrive ---
    voters = [await register(srv, f'voter{i}') for i in range(3)]
    p = subprocess.Popen([CLI, 'gallery', '--contest', 'summer', '--watch', '--updates', '3'],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=environ(bob))
    loop = asyncio.get_running_loop()
    lines = [await asyncio.wait_for(loop.run_in_executor(None, p.stdout.readline), WAIT)]
    assert lines[0].startswith(f'1 designs: 1. {d3} "Dune, "the" level" 1 vote'), lines
    for i, v in enumerate(voters):
        await v.ok('vote.cast', design=d3, value=5)
        lines.append(await asyncio.wait_for(loop.run_in_executor(None, p.stdout.readline),
                                            WAIT))
        assert f'{i + 2} votes' in lines[-1], lines
    assert p.wait(timeout=WAIT) == 0
    rest, err = p.stdout.read(), p.stderr.read()
    check_no_sanitizer_report(err, 'gallery --watch')
    assert rest == '' and ESC not in ''.join(lines), (lines, rest)
    # --json: the first window, then each gallery.update, one JSON document a line
    p = subprocess.Popen([CLI, '--json', 'gallery', '--contest', 'summer', '--watch',
                          '--updates', '1'], stdout=subprocess.PIPE, text=True, env=environ(bob))
    first = json.loads(await loop.run_in_executor(None, p.stdout.readline))
    assert first['total'] == 1 and first['items'][0]['id'] == d3, first
    await voters[0].ok('vote.cast', design=d3, value=3)
    ev = json.loads(await asyncio.wait_for(loop.run_in_executor(None, p.stdout.readline), WAIT))
    assert ev['ev'] == 'gallery.update', ev
    assert p.wait(timeout=WAIT) == 0
    # --updates N stops at N when more updates arrive in the same read: the CLI is
    # stopped while two updates are sent to it (a subscriber of our own sees both first)
    p = subprocess.Popen([CLI, 'gallery', '--contest', 'summer', '--watch', '--updates', '1'],
                         stdout=subprocess.PIPE, text=True, env=environ(bob))
    first = await asyncio.wait_for(loop.run_in_executor(None, p.stdout.readline), WAIT)
    assert first.startswith('1 designs:'), first
    spy = voters[2]
    await spy.ok('gallery.subscribe', contest='summer', sort='top')
    # freeze, not a bare SIGSTOP: kill() returns before every thread of the CLI stopped,
    # and one still running could read the first update alone
    freeze(p, 'cocreate gallery --watch')
    for value in (4, 3):
        await voters[1].ok('vote.cast', design=d3, value=value)
        await spy.event('gallery.update')
    thaw(p)
    rest = await loop.run_in_executor(None, p.stdout.read)
    assert p.wait(timeout=WAIT) == 0 and rest.count('\n') == 1, rest
    # watch ID piped: a line per design.update
    p = subprocess.Popen([CLI, 'watch', d3, '--updates', '1'], stdout=subprocess.PIPE,
                         text=True, env=environ(bob))
    first = await loop.run_in_executor(None, p.stdout.readline)
    assert first.startswith(f'{d3} "Dune, "the" level" by ann: 4 votes'), first
    await voters[0].ok('comment.post', design=d3, text='watching')
    rest = await loop.run_in_executor(None, p.stdout.read)
    assert p.wait(timeout=WAIT) == 0 and '  voter0: watching' in rest, rest
    # and stops at --updates N with more in the same read (stopped while two are sent)
    p = subprocess.Popen([CLI, 'watch', d3, '--updates', '1'], stdout=subprocess.PIPE,
                         text=True, env=environ(bob))
    first = await asyncio.wait_for(loop.run_in_executor(None, p.stdout.readline), WAIT)
    assert first.startswith(f'{d3} "Dune, "the" level"'), first
    await spy.ok('design.watch', design=d3)
    freeze(p, 'cocreate watch')  # every thread stopped (above)
    for text in ('one', 'two'):
        await voters[0].ok('comment.post', design=d3, text=text)
        await spy.event('design.update')
    thaw(p)
    rest = await loop.run_in_executor(None, p.stdout.read)
    assert p.wait(timeout=WAIT) == 0 and '  voter0: one' in rest and 'two' not in rest, rest
    rc, out, err = cli(bob, 'watch', d3, '--timeout', '1')
    assert rc == 0 and out.count('\n') == 1, (rc, out)

    # --- on a terminal: the progress bar, a redrawn live table, colour unless NO_COLOR ---
    art = os.path.join(levels, 'art.png')
    with open(art, 'wb') as f:
        f.write(png_gradient(600, 400, 7))
    rc, text = under_pty(ann, 'upload', art, '--title', 'Big art')
    assert rc == 0 and 'uploading [' in text and '100%' in text and 'Uploaded design' in text, text
    assert '\033[1m' in text  # the design id in bold
    rc, text = under_pty(ann, 'upload', art, '--title', 'Big art', NO_COLOR='1')
    assert rc == 1 and '\033[1m' not in text and '\033[31m' not in text, text

    values = [2, 1]

    def vote_now(_):
        asyncio.run_coroutine_threadsafe(
            voters[1].ok('vote.cast', design=d3, value=values.pop(0)), loop)

    for no_color in (None, '1'):
        extra = {'NO_COLOR': no_color} if no_color else {}
        rc, text = await loop.run_in_executor(None, lambda: under_pty(
            bob, 'gallery', '--contest', 'summer', '--watch', '--updates', '1',
            until_text='(Ctrl-C to stop)', then=vote_now, **extra))
        assert rc == 0, text
        assert text.count(', top: 1 designs') == 2, text  # drawn, then redrawn
        assert '\033[3A\033[J' in text, text  # back up over the 3 lines drawn, cleared
        assert text.count('#  ID  TITLE') == 2, text
        assert ('\033[1m' in text) == (no_color is None), text

    for c in voters:
        await c.close()
    srv.stop()


run(main)
