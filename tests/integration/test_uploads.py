"""Uploads end to end (issue 3): the upload flow and every refusal of it, dedupe,
thumbnails and renders (decoded and checked pixel by pixel), HTTP downloads with
ETags, design.get, and the round trip of every stored blob — with and without a
trained zstd dictionary — across a restart."""
import asyncio
import hashlib
import struct
import zlib

from harness import Client, Server, level, register, run, simple_level
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
    # 20×8 tiles scaled to fit 320×180: 16 px per tile, 128 px tall, letterboxed
    assert px(160, 179 - 26 - 4) == GROUND, px(160, 149)   # bottom row of tiles is ground
    assert px(160, 60) == SKY
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

    # dedupe: the same bytes again → have:true, a new design, the same blob
    b = await ann.ok('upload.begin', kind='level', title='Again', bytes=len(data),
                     sha256=hashlib.sha256(data).hexdigest())
    assert b['have'] is True
    c = await ann.ok('upload.commit', upload=b['upload'])
    assert c['design']['id'] != d['id'] and c['design']['blob'] == d['blob']
    # sending bytes after have:true is refused, the connection stays usable
    b = await ann.ok('upload.begin', kind='level', title='Again', bytes=len(data),
                     sha256=hashlib.sha256(data).hexdigest())
    await ann.send_raw(data)
    o = await ann.orphan()
    assert o['error']['code'] == 'bad_args'
    await ann.ok('upload.abort', upload=b['upload'])

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
    await bob.close()
    await asyncio.sleep(0.2)
    assert (await ann.ok('gallery.get', sort='new'))['total'] == before
    b = await ann.ok('upload.begin', kind='level', title='half', bytes=len(half),
                     sha256=hashlib.sha256(half).hexdigest())
    assert b['have'] is False
    await ann.ok('upload.abort', upload=b['upload'])
    await ann.close()
    await anon.close()


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
        if i == 205:
            await asyncio.sleep(1.0)  # let the training job finish
    await ann.close()
    assert 'trained zstd dictionary' in srv.log_text(), 'no dictionary was trained'
    srv.restart()
    for did, data in sent.items():
        st, _, body = srv.get(f'/d/{did}')
        assert st == 200 and body == data, did
    return len(sent)


async def main():
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
