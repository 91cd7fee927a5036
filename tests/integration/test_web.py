"""Integration test of the web client's serving (server/web.c) and of design.get's
my_vote: content types, cache headers, ETags and 304, gzip negotiation, the page routes
(SPA fallback), 404s, path traversal and hidden files refused, the tree's limits (at
and past each), --web errors; my_vote per scale for a logged-in viewer; the level
editor's tile colours are the renderer's palette (shared/kinds/level.c)."""
import gzip
import os
import re
import shutil
import socket
import subprocess

from harness import COCREATED, Client, Server, register, run, simple_level, tmpdir

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WEB = os.path.join(SOURCE, 'assets', 'web')
SAMPLES = os.path.join(SOURCE, 'assets', 'samples')
PAGES = ('/', '/leaderboard', '/submit', '/brand', '/account', '/design/12', '/contest/summer-tees',
         '/creator/3')
NOT_PAGES = ('/design/', '/design/1/2', '/contest', '/creator/a%20b', '/nope', '/index.html',
             '/design/' + 'x' * 65, '/leaderboard/', '/assets', '/assets/')


def raw_get(port, target):
    """Status and body of a GET sent byte for byte (no client-side normalising)."""
    with socket.create_connection(('127.0.0.1', port), timeout=30) as s:
        s.sendall(f'GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'.encode())
        data = b''
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b'\r\n\r\n')
    return int(head.split(b' ')[1]), body


def version_of(srv):
    status, _, body = srv.get('/')
    assert status == 200, status
    m = re.search(rb'/assets/([0-9a-f]{12})/js/app\.js', body)
    assert m, body[:400]
    return m.group(1).decode()


def check_pages(srv):
    status, h, index = srv.get('/')
    assert status == 200
    assert h['Content-Type'] == 'text/html; charset=utf-8', h['Content-Type']
    assert h['Cache-Control'] == 'no-cache', h['Cache-Control']
    assert h['X-Content-Type-Options'] == 'nosniff'
    assert "default-src 'self'" in h['Content-Security-Policy']
    assert re.fullmatch(r'"[0-9a-f]{16}"', h['ETag']), h['ETag']
    assert b'{{assets}}' not in index and b'<main id="main"' in index
    for p in PAGES:
        status, h2, body = srv.get(p)
        assert (status, body) == (200, index), (p, status)
        assert h2['Cache-Control'] == 'no-cache'
    for p in NOT_PAGES:
        status, _, _ = srv.get(p)
        assert status == 404, (p, status)
    # Revalidation: 304 with no body for the current ETag, 200 for another.
    status, _, body = srv.get('/design/5', {'If-None-Match': h['ETag']})
    assert (status, body) == (304, b''), status
    status, _, _ = srv.get('/', {'If-None-Match': '"0000000000000000"'})
    assert status == 200


def check_assets(srv, v):
    types = {'js/app.js': 'text/javascript; charset=utf-8',
             'css/app.css': 'text/css; charset=utf-8',
             'img/icon.svg': 'image/svg+xml',
             'samples/manifest.json': 'application/json',
             'samples/level-01.json': 'application/json'}
    for rel, ctype in types.items():
        status, h, body = srv.get(f'/assets/{v}/{rel}')
        assert status == 200, (rel, status)
        assert h['Content-Type'] == ctype, (rel, h['Content-Type'])
        assert h['Cache-Control'] == 'public, max-age=31536000, immutable', h['Cache-Control']
        assert h['X-Content-Type-Options'] == 'nosniff'
        src = os.path.join(SAMPLES, rel[8:]) if rel.startswith('samples/') else os.path.join(WEB, rel)
        with open(src, 'rb') as f:
            assert body == f.read(), rel
    # Only the sample levels' JSON is served, not the artwork; index.html only as a page.
    for rel in ('samples/artwork-01.png', 'index.html', 'js', 'js/', 'js/nope.js', ''):
        status, _, _ = srv.get(f'/assets/{v}/{rel}')
        assert status == 404, (rel, status)
    # Another version's URLs are gone (never today's bytes cached under an old name).
    other = ('0' * 12) if v != '0' * 12 else '1' * 12
    assert srv.get(f'/assets/{other}/js/app.js')[0] == 404
    assert srv.get(f'/assets/{v[:11]}/js/app.js')[0] == 404
    assert srv.get(f'/assets/{v}x/js/app.js')[0] == 404


def check_gzip(srv, v):
    path = f'/assets/{v}/js/gallery.js'
    status, plain_h, plain = srv.get(path)
    assert status == 200 and len(plain) > 4096
    assert plain_h['Content-Encoding'] is None
    assert plain_h['Vary'] == 'Accept-Encoding'
    status, h, body = srv.get(path, {'Accept-Encoding': 'br, gzip;q=0.8'})
    assert status == 200
    assert h['Content-Encoding'] == 'gzip' and h['Vary'] == 'Accept-Encoding'
    assert int(h['Content-Length']) == len(body) < len(plain) // 2, (len(body), len(plain))
    assert gzip.decompress(body) == plain
    assert h['ETag'] != plain_h['ETag'], 'each representation has its own ETag'
    assert srv.get(path, {'Accept-Encoding': 'gzip', 'If-None-Match': h['ETag']})[0] == 304
    assert srv.get(path, {'If-None-Match': h['ETag']})[0] == 200  # not the identity's tag
    for refused in ('gzip;q=0', 'identity', 'deflate, br', ''):
        _, h2, b2 = srv.get(path, {'Accept-Encoding': refused})
        assert h2['Content-Encoding'] is None and b2 == plain, refused
    _, h3, b3 = srv.get(path, {'Accept-Encoding': '*'})
    assert h3['Content-Encoding'] == 'gzip'
    # The HTML is compressed too; a small file is not (nothing worth it to gain).
    _, hi, bi = srv.get('/', {'Accept-Encoding': 'gzip'})
    assert hi['Content-Encoding'] == 'gzip' and b'<main id="main"' in gzip.decompress(bi)
    _, hs, _ = srv.get(f'/assets/{v}/img/icon.svg', {'Accept-Encoding': 'gzip'})
    assert hs['Content-Encoding'] is None and hs['Vary'] is None


def check_traversal(srv, v):
    port = srv.port
    for target in (f'/assets/{v}/../../../../etc/passwd',
                   f'/assets/{v}/js/../../../server/web.c',
                   f'/assets/{v}/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
                   f'/assets/{v}/..%2f..%2f..%2fetc%2fpasswd',
                   f'/assets/{v}/js/%2e%2e%2fapp.js',
                   f'/assets/{v}//etc/passwd',
                   '/../../../../etc/passwd',
                   f'/assets/{v}/.secret', f'/assets/{v}/js/.secret',
                   f'/assets/{v}/link.js', f'/assets/{v}/dirlink/app.js',
                   '/design/.secret'):
        status, body = raw_get(port, target)
        assert status == 404, (target, status)
        assert b'root:' not in body and b'SECRET' not in body and b'#include' not in body, target


def tree(root, files):
    """Creates files {relative path: bytes} under root."""
    for rel, data in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'wb') as f:
            f.write(data)


def start_fails(web_dir, want):
    """cocreated --web web_dir exits 1 at start, saying want."""
    data = tmpdir('cc-web-data-')
    try:
        p = subprocess.run([COCREATED, '--listen', '127.0.0.1:1', '--data', data, '--web', web_dir],
                           capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert want in p.stderr, p.stderr


def check_special_tree():
    """Hidden files, symlinks and the limits of the tree (WEB_MAX_*, server/web.h)."""
    root = tmpdir('cc-web-')
    try:
        web = os.path.join(root, 'web')
        shutil.copytree(WEB, web)
        tree(web, {'.secret': b'SECRET', 'js/.secret': b'SECRET', '.git/config': b'SECRET'})
        os.symlink('/etc/passwd', os.path.join(web, 'link.js'))
        os.symlink(os.path.join(web, 'js'), os.path.join(web, 'dirlink'))
        srv = Server(args=('--web', web))
        try:
            v = version_of(srv)
            check_traversal(srv, v)
            assert srv.get(f'/assets/{v}/.git/config')[0] == 404
            assert srv.get(f'/assets/{v}/samples/level-01.json')[0] == 404  # no samples dir
        finally:
            srv.stop()

        # 512 files in all load; 513 do not.
        many = os.path.join(root, 'many')
        tree(many, {'index.html': b'<p>x</p>'})
        tree(many, {f'f/{i:03}.txt': b'x' for i in range(511)})
        srv = Server(args=('--web', many))
        assert srv.get(f'/assets/{version_of_any(srv)}/f/510.txt')[0] == 200
        srv.stop()
        tree(many, {'f/511.txt': b'x'})
        start_fails(many, 'more than 512 files')

        # 32 MiB in all load; a byte more does not.
        big = os.path.join(root, 'big')
        index = b'<p>big</p>'
        tree(big, {'index.html': index, 'big.png': b'\0' * ((32 << 20) - len(index))})
        srv = Server(args=('--web', big))
        status, h, body = srv.get(f'/assets/{version_of_any(srv)}/big.png')
        assert status == 200 and h['Content-Type'] == 'image/png' and len(body) == (32 << 20) - len(index)
        srv.stop()
        tree(big, {'index.html': index + b'!'})
        start_fails(big, 'more than 33554432 bytes')

        # Folders 8 deep load; 9 do not.
        deep = os.path.join(root, 'deep')
        tree(deep, {'index.html': b'<p>deep</p>', '/'.join('d' * 8) + '/x.txt': b'x'})
        srv = Server(args=('--web', deep))
        assert srv.get(f'/assets/{version_of_any(srv)}/' + '/'.join('d' * 8) + '/x.txt')[0] == 200
        srv.stop()
        tree(deep, {'/'.join('d' * 9) + '/x.txt': b'x'})
        start_fails(deep, 'nested too deep')

        # No index.html; a folder that does not exist.
        empty = os.path.join(root, 'empty')
        tree(empty, {'a.js': b'1'})
        start_fails(empty, 'has no index.html')
        start_fails(os.path.join(root, 'missing'), 'cannot read')
    finally:
        shutil.rmtree(root, ignore_errors=True)


def version_of_any(srv):
    """The version of a tree whose index.html names no asset: from a page's ETag is not
    enough, so read it from the server's log line."""
    m = re.search(r'\(version ([0-9a-f]{12})\)', srv.log_text())
    assert m, srv.log_text()
    return m.group(1)


def check_no_client():
    srv = Server(args=('--web', ''))
    try:
        for p in ('/', '/design/1'):
            assert srv.get(p)[0] == 404
        assert srv.get('/healthz')[0] == 200
    finally:
        srv.stop()


async def check_my_vote(srv):
    brand = await Client.connect(srv)
    await brand.ok('auth.login', token=srv.make_brand('acme'))
    for slug, scale in (('stars', 'stars5'), ('ud', 'updown')):
        await brand.ok('contest.create', slug=slug, title=slug, kind='level', scale=scale)
    maker = await register(srv, 'maker')
    voter = await register(srv, 'voter')
    anon = await Client.connect(srv)
    for n, (contest, values) in enumerate((('open', (1,)), ('stars', (1, 4, 5)), ('ud', (1, -1)))):
        r = await maker.upload('level', simple_level(variant=n + 1), title=f'L{n}', contest=contest)
        assert r['ok'], r
        did = r['result']['design']['id']
        assert 'my_vote' not in (await anon.ok('design.get', design=did))['design']
        assert (await voter.ok('design.get', design=did))['design']['my_vote'] is None
        assert (await maker.ok('design.get', design=did))['design']['my_vote'] is None
        for value in values:
            await voter.ok('vote.cast', design=did, value=value)
            assert (await voter.ok('design.get', design=did))['design']['my_vote'] == value
            assert (await voter.ok('design.watch', design=did))['design']['my_vote'] == value
            assert (await maker.ok('design.get', design=did))['design']['my_vote'] is None
        await voter.ok('vote.clear', design=did)
        assert (await voter.ok('design.get', design=did))['design']['my_vote'] is None
    for c in (brand, maker, voter, anon):
        await c.close()


def check_palette():
    """editor.js's TILES colours = level.c's LEVEL_* palette, tile by tile: a level looks
    the same in the editor as in its thumbnail (issue 17)."""
    with open(os.path.join(SOURCE, 'shared', 'kinds', 'level.c')) as f:
        c = f.read()
    render = {m[0].lower(): m[1].lower()
              for m in re.findall(r'#define LEVEL_([A-Z]+) 0x([0-9a-fA-F]{6})\b', c)}
    with open(os.path.join(WEB, 'js', 'editor.js')) as f:
        js = f.read()
    tiles = re.findall(r"\['(.)', '(\w+)', '#([0-9a-f]{6})'\]", js)
    assert len(tiles) == 9, tiles  # SPEC §3: the nine tiles
    names = {'air': 'sky', 'spikes': 'spikes', 'coin': 'coin'}
    for tile, name, colour in tiles:
        key = names.get(name.lower(), name.lower())
        assert render.get(key) == colour, (tile, name, colour, render.get(key))


async def main():
    check_palette()
    srv = Server()
    try:
        check_pages(srv)
        v = version_of(srv)
        check_assets(srv, v)
        check_gzip(srv, v)
        check_traversal(srv, v)
        await check_my_vote(srv)
    finally:
        srv.stop()
    check_special_tree()
    check_no_client()
    print('test_web: ok')


if __name__ == '__main__':
    run(main)
