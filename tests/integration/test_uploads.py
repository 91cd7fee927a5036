"""Uploads end to end (issue 3): the upload flow and every refusal of it, dedupe,
thumbnails and renders (decoded and checked pixel by pixel), HTTP downloads with
ETags, design.get, and the round trip of every stored blob — with and without a
trained zstd dictionary — across a restart."""
import hashlib
import struct
import zlib

from harness import Client, Server, level, register, run, simple_level, until
from pngread import read_png

LEVEL_MAX = 1 << 20
GROUND = (0x6b, 0x4f, 0x2a, 255)
SKY = (0x87, 0xce, 0xeb, 255)


def png(w, h, rgba=(200, 30, 30, 255)):
    raw = b''.join(b'\x00' + bytes(rgba) * w for _ in range(h))
    def chunk(k, d):
        return struct.pack('>I', len(d)) + k + d + struct.pack('>I', zlib.crc32(k + d))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 6, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))


def padded_level(size):
    """A valid level document of exactly size bytes (JSON whitespace padding)."""
    body = simple_level()
    return body[:-1] + b' ' * (size - len(body)) + b'}'


async def flow(srv):
    ann = await register(srv, 'ann')
    anon = await Client.connect(srv)
    await anon.err('upload.begin', 'unauthorized', kind='level', title='x', bytes=10,
                   sha256='0' * 64)

    # a level: stored, thumbnail and render decode, original bytes come back
    data = simple_level(variant=1)
    r = await ann.upload('level', data, title='First', tags=['demo', 'demo', 'x-1'])
    assert r['ok'], r
    d = r['result']['design']
    assert d['kind'] == 'level' and d['title'] == 'First' and d['tags'] == ['demo', 'x-1']
    assert d['blob'] == hashlib.sha256(data).hexdigest() and d['bytes'] == len(data)
    assert d['status'] == 'submitted' and d['hidden'] is False
    assert d['tally'] == {'votes': 0, 'supports': 0, 'hearts': 0} and d['score'] == 0
    assert d['contest'] == 'open' and d['creator'] == ann.account['id']
    got = await ann.ok('design.get', design=d['id'])
    g = got['design']
    assert g['timeline'][0]['status'] == 'submitted' and g['comments'] == 0
    assert g['tally'] == d['tally']

    st, h, body = srv.get(f'/t/{d["id"]}.png')
    assert st == 200 and h['content-type'] == 'image/png'
    assert h['cache-control'] == 'public, max-age=31536000, immutable'
    w, hgt, px = read_png(body)
    assert (w, hgt) == (320, 180)
    # 20×8 tiles scaled to fit 320×180: 16 px per tile, 128 px tall, standing on the
    # bottom edge, the 52 px letterbox above it the level's own sky (docs/kinds.md)
    assert px(160, 179 - 4) == GROUND, px(160, 175)   # bottom row of tiles is ground
    assert px(160, 60) == SKY
    assert px(160, 10) == SKY
    st, h, body = srv.get(f'/r/{d["id"]}.png')
    w, hgt, px = read_png(body)
    assert st == 200 and (w, hgt) == (20 * 8, 8 * 8)
    assert px(4, 8 * 7 + 4) == GROUND
    st, h, body = srv.get(f'/d/{d["id"]}')
    assert st == 200 and body == data and h['content-type'].startswith('application/json')
    etag = h['etag']
    assert etag == '"%s"' % d['blob']
    st, h, body = srv.get(f'/d/{d["id"]}', {'If-None-Match': etag})
    assert st == 304 and body == b''
    st, _, _ = srv.get(f'/d/{d["id"]}', {'If-None-Match': '"other"'})
    assert st == 200
    for p in ('/t/999.png', '/r/999.png', '/d/999', '/t/abc.png', '/t/1', '/d/01'):
        assert srv.get(p)[0] == 404, p
    await ann.err('design.get', 'not_found', design='999')

    # the same bytes again from the same creator in the same contest: a conflict
    # naming the design that holds them (SPEC §7)
    e = await ann.err('upload.begin', 'conflict', kind='level', title='Again',
                      bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    assert e['detail'] == {'design': d['id']}, e

    # SHA-256 mismatch
    other = simple_level(variant=2)
    b = await ann.ok('upload.begin', kind='level', title='Bad sum', bytes=len(other),
                     sha256=hashlib.sha256(b'nope').hexdigest())
    await ann.send_raw(other)
    e = await ann.err('upload.commit', 'bad_args', upload=b['upload'])
    assert e['detail']['field'] == 'sha256'
    await ann.err('upload.commit', 'not_found', upload=b['upload'])  # the upload is over

    # abort, then commit is not_found; one upload at a time
    b = await ann.ok('upload.begin', kind='level', title='t', bytes=len(other),
                     sha256=hashlib.sha256(other).hexdigest())
    e = await ann.err('upload.begin', 'conflict', kind='level', title='t', bytes=10,
                      sha256='0' * 64)
    assert e['detail']['upload'] == b['upload']
    await ann.ok('upload.abort', upload=b['upload'])
    await ann.err('upload.commit', 'not_found', upload=b['upload'])
    await ann.err('upload.abort', 'not_found', upload=b['upload'])

    # commit before all bytes arrived
    b = await ann.ok('upload.begin', kind='level', title='t', bytes=len(other),
                     sha256=hashlib.sha256(other).hexdigest())
    await ann.send_raw(other[:10])
    e = await ann.err('upload.commit', 'bad_args', upload=b['upload'])
    assert e['detail']['field'] == 'bytes'
    await ann.ok('upload.abort', upload=b['upload'])

    # size limits: declared (at the limit ok, past it refused before any byte)
    at_limit = padded_level(LEVEL_MAX)
    r = await ann.upload('level', at_limit, title='Exactly 1 MiB')
    assert r['ok'], r
    e = await ann.err('upload.begin', 'too_large', kind='level', title='t',
                      bytes=LEVEL_MAX + 1, sha256='0' * 64)
    assert e['detail'] == {'bytes': LEVEL_MAX + 1, 'limit': LEVEL_MAX}
    await ann.err('upload.begin', 'too_large', kind='artwork', title='t',
                  bytes=16 * LEVEL_MAX + 1, sha256='0' * 64)
    # ... and sent: more bytes than declared drop the upload
    b = await ann.ok('upload.begin', kind='level', title='t', bytes=100,
                     sha256=hashlib.sha256(b'x' * 100).hexdigest())
    await ann.send_raw(b'x' * 150)
    o = await ann.orphan()
    assert o['error']['code'] == 'too_large' and o['error']['detail']['upload'] == b['upload']
    await ann.err('upload.commit', 'not_found', upload=b['upload'])
    assert (await ann.call('hello'))['ok']

    # bad args
    for args, field in ((dict(kind='movie'), 'kind'), (dict(title=''), 'title'),
                        (dict(title='x' * 81), 'title'), (dict(tags=['UP']), 'tags'),
                        (dict(tags=[str(i) for i in range(9)]), 'tags'),
                        (dict(tags=['a' * 25]), 'tags'), (dict(sha256='zz' * 32), 'sha256'),
                        (dict(bytes=0), 'bytes')):
        base = dict(kind='level', title='ok', bytes=10, sha256='0' * 64)
        base.update(args)
        e = await ann.err('upload.begin', 'bad_args', **base)
        assert e['detail']['field'] == field, (args, e)
    assert (await ann.upload('level', simple_level(variant=9), title='é' * 80))['ok']
    e = await ann.err('upload.begin', 'not_found', kind='level', title='t', bytes=10,
                      sha256='0' * 64, contest='nope')

    # invalid designs: the rule and the place come back
    bad = level(['S' + '.' * 18 + '.', '#' * 20] + ['.' * 20] * 6)
    r = await ann.upload('level', bad, title='no goal')
    assert r['error']['code'] == 'invalid_design' and r['error']['detail']['rule'] == 'goal', r
    rows = ['.' * 20] * 6 + ['S' + '.' * 17 + 'XG', '#' * 20]
    r = await ann.upload('level', level(rows), title='bad tile')
    assert r['error']['detail'] == {'rule': 'tile', 'row': 6, 'col': 18}, r
    r = await ann.upload('artwork', png(64, 64)[:-20], title='truncated')
    assert r['error']['code'] == 'invalid_design' and r['error']['detail']['rule'] == 'png', r
    r = await ann.upload('artwork', png(63, 64), title='too small')
    assert r['error']['detail']['rule'] == 'dimensions', r

    # an artwork: thumbnail 320×320 on the shirt, original back as image/png
    art = png(200, 100)
    r = await ann.upload('artwork', art, title='Red block')
    assert r['ok'], r
    aid = r['result']['design']['id']
    st, h, body = srv.get(f'/t/{aid}.png')
    w, hgt, px = read_png(body)
    assert (w, hgt) == (320, 320)
    st, h, body = srv.get(f'/r/{aid}.png')
    assert (read_png(body)[0], read_png(body)[1]) == (1200, 1200)
    st, h, body = srv.get(f'/d/{aid}')
    assert body == art and h['content-type'] == 'image/png'

    # disconnect mid-upload: nothing stored
    before = (await ann.ok('gallery.get', sort='new'))['total']
    bob = await register(srv, 'bob')
    half = simple_level(variant=77)
    await bob.ok('upload.begin', kind='level', title='half', bytes=len(half),
                 sha256=hashlib.sha256(half).hexdigest())
    await bob.send_raw(half[:30])
    conns = srv.metric('cocreate_connections_open')
    await bob.close()
    await until(lambda: srv.metric('cocreate_connections_open') == conns - 1,
                'the server closed bob\'s connection (and its upload)')
    assert (await ann.ok('gallery.get', sort='new'))['total'] == before
    b = await ann.ok('upload.begin', kind='level', title='half', bytes=len(half),
                     sha256=hashlib.sha256(half).hexdigest())
    assert b['have'] is False
    await ann.ok('upload.abort', upload=b['upload'])
    await ann.close()
    await anon.close()


async def duplicates():
    """Issue 13, items 1 and 2: `have: true` checks the kind and size the client
    declares against the bytes the server holds, and SPEC §7's duplicate rules: bytes
    of another creator's design (visible or hidden) are `conflict` with detail.rule
    "duplicate" and no design id; the same creator's bytes in the same contest are
    `conflict` naming the design; in another contest they are a new design sharing
    the blob. Decided again at commit, where two uploads of the same bytes race."""
    srv = Server()
    brand_token = srv.make_brand('acme')
    brand = await Client.connect(srv)
    await brand.ok('auth.login', token=brand_token)
    await brand.ok('contest.create', slug='levels2', title='More levels', kind='level',
                   scale='heart')
    await brand.ok('contest.create', slug='shirts', title='Shirts', kind='artwork',
                   scale='heart')
    ann = await register(srv, 'dup_ann')
    bob = await register(srv, 'dup_bob')
    data = simple_level(variant=31)
    sha = hashlib.sha256(data).hexdigest()
    r = await ann.upload('level', data, title='Original')
    assert r['ok'], r
    first = r['result']['design']

    # the attack of the issue: a level's hash declared as a 999,999-byte artwork
    e = await ann.err('upload.begin', 'bad_args', kind='artwork', title='Shirt',
                      bytes=999999, sha256=sha, contest='shirts')
    assert e['detail'] == {'field': 'kind'}, e
    assert 'level' in e['message'], e
    # the right kind, the wrong size
    for wrong in (len(data) - 1, len(data) + 1, 999999):
        e = await ann.err('upload.begin', 'bad_args', kind='level', title='Copy',
                          bytes=wrong, sha256=sha, contest='levels2')
        assert e['detail'] == {'field': 'bytes'}, e
        assert str(len(data)) in e['message'], e
    # kind and size right, another contest of the same creator: have, a new design
    b = await ann.ok('upload.begin', kind='level', title='Copy', bytes=len(data),
                     sha256=sha, contest='levels2')
    assert b['have'] is True
    c = (await ann.ok('upload.commit', upload=b['upload']))['design']
    assert c['id'] != first['id'] and c['blob'] == first['blob'] and c['bytes'] == len(data)
    assert c['kind'] == 'level' and c['contest'] == 'levels2'
    # ... and once there, the same again in that contest is a conflict naming it
    e = await ann.err('upload.begin', 'conflict', kind='level', title='Third',
                      bytes=len(data), sha256=sha, contest='levels2')
    assert e['detail'] == {'design': c['id']}, e
    # nothing was made by the refusals
    assert (await ann.ok('gallery.get', contest='shirts', sort='new'))['total'] == 0

    # another creator: a duplicate whatever is declared, in any contest
    for contest in ('open', 'levels2'):
        e = await bob.err('upload.begin', 'conflict', kind='level', title='Mine now',
                          bytes=len(data), sha256=sha, contest=contest)
        assert e['detail'] == {'rule': 'duplicate'}, e
    e = await bob.err('upload.begin', 'conflict', kind='artwork', title='Mine now',
                      bytes=5, sha256=sha, contest='shirts')
    assert e['detail'] == {'rule': 'duplicate'}, e
    # hidden by the brand, still not to be re-posted: and its id is not revealed
    await brand.ok('design.hide', design=first['id'], hidden=True)
    await brand.ok('design.hide', design=c['id'], hidden=True)
    e = await bob.err('upload.begin', 'conflict', kind='level', title='Sneaky',
                      bytes=len(data), sha256=sha)
    assert e['detail'] == {'rule': 'duplicate'} and first['id'] not in e['message'], e
    st, _, _ = srv.get(f'/d/{first["id"]}')
    assert st == 404

    # a race: both begin with bytes the server does not hold yet and send them; the
    # first commit wins, the second is a duplicate, found by the writer
    art = png(96, 96, (10, 200, 30, 255))
    art_sha = hashlib.sha256(art).hexdigest()
    begins = []
    for cl in (ann, bob):
        b = await cl.ok('upload.begin', kind='artwork', title='Green', bytes=len(art),
                        sha256=art_sha, contest='shirts')
        assert b['have'] is False
        await cl.send_raw(art)
        begins.append(b['upload'])
    ok = await ann.ok('upload.commit', upload=begins[0])
    e = await bob.err('upload.commit', 'conflict', upload=begins[1])
    assert e['detail'] == {'rule': 'duplicate'}, e
    g = await brand.ok('gallery.get', contest='shirts', sort='new')
    assert [i['id'] for i in g['items']] == [ok['design']['id']], g
    # the same creator racing itself on two connections in one contest
    ann2 = await Client.connect(srv)
    await ann2.ok('auth.login', token=ann.token)
    art2 = png(96, 96, (10, 20, 230, 255))
    begins = []
    for cl in (ann, ann2):
        b = await cl.ok('upload.begin', kind='artwork', title='Blue', bytes=len(art2),
                        sha256=hashlib.sha256(art2).hexdigest(), contest='shirts')
        await cl.send_raw(art2)
        begins.append(b['upload'])
    won = await ann.ok('upload.commit', upload=begins[0])
    e = await ann2.err('upload.commit', 'conflict', upload=begins[1])
    assert e['detail'] == {'design': won['design']['id']}, e

    # the rules hold across a restart (they live in LMDB, not in memory)
    for cl in (ann, ann2, bob, brand):
        await cl.close()
    srv.restart()
    again = await Client.connect(srv)
    await again.ok('auth.login', token=ann.token)
    e = await again.err('upload.begin', 'conflict', kind='level', title='Again',
                        bytes=len(data), sha256=sha)
    assert e['detail'] == {'design': first['id']}, e
    await again.close()
    srv.stop()
    print('duplicates: have:true checks kind and size; SPEC §7 duplicate rules: ok')


def lmdb_env(path):
    import lmdb  # Debian's python3-lmdb (tools/setup/deps.sh)
    return lmdb.open(path, max_dbs=32, subdir=True)


async def upgrade_from_schema_1():
    """Data written before blob_refs existed (schema 1) is upgraded at start: the
    references are built from the design records, so the duplicate rules cover
    designs uploaded before the upgrade."""
    srv = Server()
    ann = await register(srv, 'old_ann')
    data = simple_level(variant=41)
    first = (await ann.upload('level', data, title='Old'))['result']['design']
    art = png(80, 80, (250, 250, 0, 255))
    assert (await ann.upload('artwork', art, title='Old art'))['ok']
    token = ann.token
    await ann.close()
    srv.stop()
    env = lmdb_env(srv.data)
    with env.begin(write=True) as txn:
        txn.drop(env.open_db(b'blob_refs', txn=txn), delete=True)
        txn.put(b'schema', struct.pack('>Q', 1), db=env.open_db(b'meta', txn=txn))
    env.close()
    srv.start()
    assert 'upgrade: schema 1 -> 2, blob references of 2 designs' in srv.log_text()
    ann = await Client.connect(srv)
    await ann.ok('auth.login', token=token)
    e = await ann.err('upload.begin', 'conflict', kind='level', title='Again',
                      bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    assert e['detail'] == {'design': first['id']}, e
    bob = await register(srv, 'old_bob')
    e = await bob.err('upload.begin', 'conflict', kind='artwork', title='Mine',
                      bytes=len(art), sha256=hashlib.sha256(art).hexdigest())
    assert e['detail'] == {'rule': 'duplicate'}, e
    await ann.close()
    await bob.close()
    assert 'upgrade: schema 2 -> 3' in srv.log_text()
    assert 'upgrade: schema 3 -> 4, the vote log' in srv.log_text()
    assert 'upgrade: schema 4 -> 5, the tallies of 0 designs from 0 votes' in srv.log_text()
    srv.restart()  # upgraded once: the next start finds the current schema
    assert 'upgrade:' not in srv.log_text()
    srv.stop()
    env = lmdb_env(srv.data)
    with env.begin() as txn:
        assert txn.get(b'schema', db=env.open_db(b'meta', txn=txn)) == struct.pack('>Q', 5)
    env.close()
    print('upgrade from schema 1: blob references built: ok')


async def dictionary_round_trip(srv):
    """Enough levels to train a dictionary, more after it, then a restart: every
    design's original bytes come back exactly."""
    ann = await register(srv, 'dict_ann')
    sent = {}
    for i in range(230):
        rows = ['.' * 32 for _ in range(10)]
        rows[8] = 'S' + ''.join('o' if (i >> (k % 9)) & 1 else '.' for k in range(30)) + 'G'
        rows[9] = '#' * 32
        rows[i % 7] = '=' * (i % 32) + '.' * (32 - i % 32)
        data = level(rows)
        r = await ann.upload('level', data, title=f'L{i}')
        assert r['ok'], r
        sent[r['result']['design']['id']] = data
        if i == 205:  # the designs after this one are stored with the dictionary
            await until(lambda: 'trained zstd dictionary' in srv.log_text(),
                        'a zstd dictionary trained')
    await ann.close()
    srv.restart()
    for did, data in sent.items():
        st, _, body = srv.get(f'/d/{did}')
        assert st == 200 and body == data, did
    return len(sent)


async def main():
    await duplicates()
    await upgrade_from_schema_1()
    srv = Server()
    try:
        await flow(srv)
        n = await dictionary_round_trip(srv)
        # everything from the first part survives the restart too
        st, _, body = srv.get('/d/1')
        assert st == 200 and body == simple_level(variant=1)
        srv.stop()
        print(f'uploads: ok ({n} levels round-tripped across a restart with a dictionary)')
    finally:
        if srv.running():
            srv.kill9()


run(main)
