"""Look-alikes (SPEC §8, issue 18): each upload's perceptual fingerprint (artwork: the
difference hash of its 9 × 8 grey downscale; level: of its solid tiles cropped to their
box) finds the designs of other creators it resembles. Real transformations: an artwork
re-encoded, scaled to 90 % and with its colours shifted is found; a different artwork is
not; a level moved by a few columns is found. `similar` in design.get for the brand
only; the record keeps what was found at upload, and review.list lists such designs
(after the reported ones) until dismissed; all of it after a restart."""
import asyncio
import struct
import time
import zlib

from harness import WAIT, Client, Server, level, register, run


def encode_png(w, h, px, level_=6, filt=0):
    """An RGB PNG of px (rows of (r, g, b)) with zlib level and one filter type."""
    raw = b''
    for y in range(h):
        row = bytes(c for p in px[y] for c in p)
        if filt == 1:  # Sub
            row = bytes((row[i] - (row[i - 3] if i >= 3 else 0)) & 255 for i in range(len(row)))
        raw += bytes([filt]) + row

    def chunk(k, d):
        return struct.pack('>I', len(d)) + k + d + struct.pack('>I', zlib.crc32(k + d))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(raw, level_)) + chunk(b'IEND', b''))


def artwork(w, h, shift=0, stripes=False):
    """A picture: a sky-to-ground gradient, a dark sun, a red block (or, stripes=True,
    vertical stripes: another picture); shift adds to every channel."""
    px = []
    for y in range(h):
        row = []
        for x in range(w):
            if stripes:
                c = (30, 30, 30) if (x * 8 // w) % 2 else (230, 230, 230)
            else:
                c = (40 + 150 * y // h, 90 + 100 * y // h, 220 - 120 * y // h)
                if (x - w * 0.7) ** 2 + (y - h * 0.3) ** 2 < (h * 0.15) ** 2:
                    c = (20, 20, 40)
                if w * 0.1 < x < w * 0.4 and h * 0.55 < y < h * 0.9:
                    c = (200, 30, 30)
            row.append(tuple(min(255, max(0, v + shift)) for v in c))
        px.append(row)
    return px


def scaled(px, w, h, f):
    """px scaled by f (box average)."""
    nw, nh = int(w * f), int(h * f)
    out = []
    for y in range(nh):
        row = []
        for x in range(nw):
            x0, x1 = int(x / f), max(int(x / f) + 1, int((x + 1) / f))
            y0, y1 = int(y / f), max(int(y / f) + 1, int((y + 1) / f))
            cells = [px[yy][xx] for yy in range(y0, min(y1, h)) for xx in range(x0, min(x1, w))]
            row.append(tuple(sum(c[i] for c in cells) // len(cells) for i in range(3)))
        out.append(row)
    return out, nw, nh


def tower_level(offset, width=40):
    """A level with a distinctive solid layout (steps and a tower) starting at column
    offset; everything left of it is air."""
    rows = [['.'] * width for _ in range(12)]
    for c in range(24):
        rows[11][offset + c] = '#'
    for i, c in enumerate(range(4, 16, 3)):
        for r in range(10 - i, 11):
            rows[r][offset + c] = '#'
    for r in range(3, 11):
        rows[r][offset + 20] = '#'
    rows[8][offset + 8:offset + 12] = list('====')
    rows[10][offset + 1] = 'S'
    rows[10][offset + 18] = 'G'
    return level([''.join(r) for r in rows])


async def get(c, d):
    return (await c.ok('design.get', design=d))['design']


async def wait_index(c):
    """The look-alike index is the search index: built after a start (search polls)."""
    deadline = time.monotonic() + WAIT
    while not (await c.call('search', q='zzz'))['ok']:
        assert time.monotonic() < deadline, 'the index never got ready'
        await asyncio.sleep(0.05)


async def main():
    srv = Server(start=False)
    token = srv.make_brand('acme')
    srv.start()
    brand = await Client.connect(srv)
    await brand.ok('auth.login', token=token)
    await wait_index(brand)
    ann, bob = await register(srv, 'ann_art'), await register(srv, 'bob_art')
    W, H = 200, 160
    base = artwork(W, H)

    async def up(c, kind, data, title):
        r = await c.upload(kind, data, title=title)
        assert r['ok'], r
        return r['result']['design']['id']

    a = await up(ann, 'artwork', encode_png(W, H, base), 'Original')
    reenc = await up(bob, 'artwork', encode_png(W, H, base, level_=1, filt=1), 'Re-encoded')
    px90, w90, h90 = scaled(base, W, H, 0.9)
    small = await up(bob, 'artwork', encode_png(w90, h90, px90), 'Scaled 90 %')
    shifted = await up(bob, 'artwork', encode_png(W, H, artwork(W, H, shift=14)), 'Shifted')
    other = await up(bob, 'artwork', encode_png(W, H, artwork(W, H, stripes=True)), 'Stripes')
    own = await up(ann, 'artwork', encode_png(W, H, base, level_=9), 'Own copy')
    l1 = await up(ann, 'level', tower_level(0), 'Tower')
    l2 = await up(bob, 'level', tower_level(5), 'Tower moved')

    for d in (reenc, small, shifted):
        sim = (await get(brand, d))['similar']
        assert a in [x['design'] for x in sim], (d, sim)
        assert all(x['distance'] <= 10 for x in sim)
    assert (await get(brand, other))['similar'] == []
    assert own not in [x['design'] for x in (await get(brand, a))['similar']], 'own designs'
    assert [x['design'] for x in (await get(brand, l2))['similar']] == [l1]
    assert 'similar' not in await get(ann, a)  # the brand's only
    # the review queue: designs uploaded with look-alikes, until dismissed
    q = await brand.ok('review.list', limit=100)
    flagged = [x['design']['id'] for x in q['items']]
    # ann's own copy came after bob's: it looks like theirs (other creators)
    assert set(flagged) == {reenc, small, shifted, own, l2}, q
    assert all(x['reports'] == 0 and x['similar'] for x in q['items'])
    await brand.ok('review.dismiss', design=reenc)
    await brand.err('review.dismiss', 'not_found', design=other)
    q = await brand.ok('review.list', limit=100)
    assert set(x['design']['id'] for x in q['items']) == {small, shifted, own, l2}
    assert 'fp' not in await get(ann, a) and 'similar' not in await get(ann, small)

    for c in (brand, ann, bob):
        await c.close()
    srv.kill9()
    srv.start()
    brand = await Client.connect(srv)
    await brand.ok('auth.login', token=token)
    await wait_index(brand)
    assert a in [x['design'] for x in (await get(brand, small))['similar']]
    q = await brand.ok('review.list', limit=100)
    assert set(x['design']['id'] for x in q['items']) == {small, shifted, own, l2}
    await brand.close()
    srv.stop()
    print('lookalikes: ok (re-encoded, 90 %, colour shift found; stripes not; a moved level '
          'found; brand only; review queue and dismissal; after kill -9)')


run(main)
