"""The demo content of tools/run's first start (tools/samples/seed.py --cocreated BIN
--data DIR, issue 17): seeded on the test clock, then served by a normal server on the
same data with the wall clock. It tells a story: contests in four phases, a closed one
with a winner in production and the brand's official note, Top, Hot and New first pages
that differ, comments (the brand's official too), creators with different points, and
a brand token printed that logs in as the brand. Seeding twice is refused."""
import os
import subprocess
import time

from harness import COCREATED, Client, Server, run

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
SEED = os.path.join(SOURCE, 'tools', 'samples', 'seed.py')


def seed(data):
    return subprocess.run(['/usr/bin/python3', SEED, '--cocreated', COCREATED, '--data', data,
                           '--samples', os.path.join(SOURCE, 'assets', 'samples')],
                          capture_output=True, text=True, timeout=240, stdin=subprocess.DEVNULL)


async def main():
    srv = Server(start=False)
    p = seed(srv.data)
    assert p.returncode == 0, p.stderr
    token = p.stdout.strip()
    assert len(token) >= 32 and '\n' not in token, p.stdout
    assert 'seeded 48 designs' in p.stderr, p.stderr
    srv.start()
    now = time.time()
    try:
        c = await Client.connect(srv)
        me = (await c.ok('auth.login', token=token))['account']
        assert me['role'] == 'brand' and me['name'] == 'acme', me

        # Contests in different phases, by the wall clock of the real server.
        listed = (await c.ok('contest.list'))['contests']
        phases = {x['id']: x['phase'] for x in listed if x['id'] != 'open'}
        assert len(phases) >= 3, phases
        assert {'closed', 'voting', 'submissions', 'upcoming'} <= set(phases.values()), phases

        # Top, Hot and New: three different first pages of the open gallery.
        pages = {}
        for sort in ('top', 'hot', 'new'):
            g = await c.ok('gallery.get', sort=sort)
            assert g['total'] >= 24, g['total']
            pages[sort] = [d['id'] for d in g['items']]
            assert all(d['created'] < now for d in g['items'])
        assert len({tuple(v) for v in pages.values()}) == 3, pages
        newest = (await c.ok('gallery.get', sort='new', limit=100))['items']
        created = [d['created'] for d in newest]
        assert created == sorted(created, reverse=True)
        assert created[0] - created[-1] > 7 * 86400, 'uploads spread over weeks'
        assert sum(1 for d in newest if d['tally']['votes'] == 0) < len(newest) // 2

        # The closed contest: a winner in production with the brand's public note, and
        # its official comment.
        closed = next(k for k, v in phases.items() if v == 'closed')
        res = await c.ok('contest.results', contest=closed)
        first = res['ranking'][0]['design']
        d = (await c.ok('design.get', design=first))['design']
        assert d['status'] == 'in_production', d['status']
        notes = [t for t in d['timeline'] if t.get('note')]
        assert any(t['status'] == 'in_production' for t in notes), d['timeline']
        assert any(t['status'] == 'winner' for t in notes), d['timeline']
        comments = (await c.ok('comment.list', design=first))['comments']
        assert any(x['official'] for x in comments), comments

        # Comments by members on many designs.
        with_comments = [x for x in newest if x.get('comments')]
        assert len(with_comments) >= 5, len(with_comments)

        # Creators with different points; the leaderboard is no tie.
        top = (await c.ok('creator.top', limit=10))
        people = next(v for v in top.values() if isinstance(v, list))
        points = [(x.get('account') or x)['points'] for x in people]
        creators = [x for x in points if x > 0]
        assert len(creators) >= 5 and len(set(creators)) == len(creators), points

        # The story starts on a fresh directory only.
        srv.stop()
        again = seed(srv.data)
        assert again.returncode != 0 and 'already holds data' in again.stderr, again.stderr
        srv.start()
        c = await Client.connect(srv)
        assert (await c.ok('gallery.get', sort='new'))['items'][0]['id'] == pages['new'][0]
    finally:
        if srv.running():
            srv.stop()


run(main)
