"""Search (SPEC §8, issue 18): every word of q must match a word's prefix of a title, a
tag or a creator name, case- and accent-insensitively (NFKD), one typo allowed in words
of 5+ letters; exact above prefix above typo, title above tags above creator name, then
`top`; hidden and withdrawn designs as SPEC §5 says; the kind and contest filters;
limits at and past them; edits and an erased creator's name followed at once; the index
rebuilt after kill -9 (search is `busy` until it is, polled here)."""
import asyncio
import time

from harness import WAIT, Client, Server, png_gradient, register, run, simple_level


async def search_ok(c, **args):
    """search, polled while the index is still being built after a start (busy)."""
    deadline = time.monotonic() + WAIT
    while True:
        r = await c.call('search', **args)
        if r['ok']:
            return r['result']
        assert r['error']['code'] == 'busy' and time.monotonic() < deadline, r
        await asyncio.sleep(0.05)


def titles(res):
    return [x['title'] for x in res['items']]


async def main():
    srv = Server(start=False, args=('--password-cost', 'low'))
    token = srv.make_brand('acme')
    srv.start()
    brand = await Client.connect(srv)
    await brand.ok('auth.login', token=token)
    ann = await register(srv, 'ann_designs')
    bob = await register(srv, 'bob')
    bob_token = bob.token
    n = [0]

    async def up(c, title, tags=(), kind='level'):
        n[0] += 1
        data = simple_level(variant=5000 + n[0]) if kind == 'level' else png_gradient(64, 64, n[0])
        r = await c.upload(kind, data, title=title, tags=list(tags))
        assert r['ok'], r
        return r['result']['design']['id']

    cafe = await up(ann, 'Ocean Café', ['summer', 'beach'])
    waves = await up(bob, 'Océan waves')
    mountain = await up(bob, 'Mountain jump', kind='artwork')
    cafeteria = await up(bob, 'Cafeteria')
    annual = await up(bob, 'Annual party')
    beachday = await up(bob, 'Beach day')
    secret = await up(bob, 'Ocean secret')
    gone = await up(bob, 'Ocean gone')
    await brand.ok('design.hide', design=secret, hidden=True)
    await bob.ok('design.withdraw', design=gone)
    anon = await Client.connect(srv)

    # accents and case; exact before prefix
    got = await search_ok(anon, q='CAFE')
    assert titles(got) == ['Ocean Café', 'Cafeteria'] and got['total'] == 2, got
    got = await search_ok(anon, q='océan')
    assert set(titles(got)) == {'Ocean Café', 'Océan waves'}, got
    # the brand sees the hidden one, its creator the withdrawn one (SPEC §5)
    assert 'Ocean secret' in titles(await search_ok(brand, q='ocean'))
    assert 'Ocean gone' in titles(await search_ok(bob, q='ocean'))
    assert 'Ocean gone' in titles(await search_ok(brand, q='ocean'))
    assert 'Ocean gone' not in titles(await search_ok(anon, q='ocean'))
    # one typo in words of 5+ letters: a swap, a wrong letter, a missing one
    for q in ('mountian', 'mountein', 'montain', 'mounta'):
        assert titles(await search_ok(anon, q=q)) == ['Mountain jump'], q
    assert (await search_ok(anon, q='mxun'))['total'] == 0  # 4 letters: no typo
    # every word must match; tags count
    assert titles(await search_ok(anon, q='ocean summer')) == ['Ocean Café']
    # title above tags; an exact creator word above a title prefix
    assert titles(await search_ok(anon, q='beach')) == ['Beach day', 'Ocean Café']
    got = await search_ok(anon, q='ann')
    assert titles(got) == ['Ocean Café', 'Annual party'], got
    # filters
    assert titles(await search_ok(anon, q='mountain', kind='level')) == []
    assert titles(await search_ok(anon, q='mountain', kind='artwork')) == ['Mountain jump']
    assert (await search_ok(anon, q='ocean', contest='nope'))['total'] == 0
    page = await search_ok(anon, q='o', limit=1, offset=1)
    assert len(page['items']) == 1 and page['total'] == 2, page
    # limits
    assert (await search_ok(anon, q='x' * 200))['total'] == 0
    for bad in (dict(q='x' * 201), dict(q=' '.join(['a'] * 9)), dict(q='!!'), dict(q=''),
                dict(q='a', limit=101), dict(q='a', kind='video')):
        await anon.err('search', 'bad_args', **bad)
    assert (await search_ok(anon, q=' '.join(['o'] * 8)))['total'] >= 1
    assert srv.metric('cocreate_search_ready') == 1
    assert srv.metric('cocreate_search_words') >= 10 and srv.metric('cocreate_search_bytes') > 0
    # an edit is searchable at once
    await bob.ok('design.edit', design=cafeteria, title='Canteen')
    assert titles(await search_ok(anon, q='cafe')) == ['Ocean Café']
    assert titles(await search_ok(anon, q='canteen')) == ['Canteen']
    # an erased account's name leaves the index with it
    await ann.ok('auth.delete')
    assert (await search_ok(brand, q='ann_designs'))['total'] == 0
    for c in (brand, ann, bob, anon):
        await c.close()

    srv.kill9()
    srv.start()
    anon = await Client.connect(srv)
    assert set(titles(await search_ok(anon, q='ocean'))) == {'Océan waves'}, 'rebuilt'
    assert titles(await search_ok(anon, q='mountian')) == ['Mountain jump']
    # the rebuilt index (built packed) takes changes: an edit drops a design's words and
    # adds others, a new design joins a word's full postings
    bob = await Client.connect(srv)
    await bob.ok('auth.login', token=bob_token)
    await bob.ok('design.edit', design=waves, title='Mountain waves')
    assert (await search_ok(anon, q='ocean'))['total'] == 0
    assert set(titles(await search_ok(anon, q='mountain'))) == {'Mountain jump', 'Mountain waves'}
    await up(bob, 'Ocean again')
    assert titles(await search_ok(anon, q='ocean')) == ['Ocean again']
    assert set(titles(await search_ok(anon, q='mountain'))) == {'Mountain jump', 'Mountain waves'}
    await bob.close()
    await anon.close()
    srv.stop()
    print('search: ok (folding, prefixes, one typo, ranking, visibility, filters, limits, '
          'edits, erasure, rebuilt after kill -9 and changed after)')


run(main)
