"""A complete contest story (issue 5), on the server's test clock: the brand creates a
contest, 3 creators submit, 20 voters vote, the clock moves to judging (votes are then
refused), the brand shortlists and picks a winner with a note, the winner goes to
production, the brand closes the contest (results final), and `cocreate verify` and
`cocreate export` succeed, the export's manifest matching contest.results."""
import json
import os

from cc import Client, Server, register, run, tmpdir
from test_audit import export_cli, make_brand, parse_log, png, results_all, verify

T0 = 1_900_000_000


async def main():
    srv = Server(['--test-clock'])
    try:
        brand = await Client.connect(srv)
        token = make_brand(srv, 'acme_story')
        await brand.ok('auth.login', token=token)
        await brand.ok('test.clock', now=T0)
        c = (await brand.ok('contest.create', slug='summer-tees', title='Summer tees',
                            kind='artwork', scale='stars5', prize='$500 and royalties',
                            submit_open=T0 + 10, submit_close=T0 + 100,
                            vote_close=T0 + 200))['contest']
        assert c['phase'] == 'upcoming', c
        await brand.ok('test.clock', now=T0 + 10)
        creators = [await register(srv, f'artist{i}') for i in range(3)]
        ids, arts = [], {}
        for i, cr in enumerate(creators):
            data = png(120 + 10 * i, 100, (60 * i, 120, 30, 255))
            r = await cr.upload('artwork', data, title=f'Tee {i}', contest='summer-tees')
            assert r['ok'], r
            ids.append(r['result']['design']['id'])
            arts[ids[-1]] = data
        voters = [await register(srv, f'judge{i:02d}') for i in range(20)]
        # stars: design 0 is loved, 1 liked, 2 so-so; some voters change their mind
        for k, v in enumerate(voters):
            for j, d in enumerate(ids):
                await v.ok('vote.cast', design=d, value=[5, 4, 2][j] if k % 4 else 3)
        await brand.ok('test.clock', now=T0 + 150)  # voting: votes only
        for v in voters[:5]:
            await v.ok('vote.cast', design=ids[2], value=1)
        await brand.ok('test.clock', now=T0 + 250)  # judging: no votes
        e = await voters[0].err('vote.cast', 'closed', design=ids[0], value=1)
        assert e['detail']['phase'] == 'judging', e
        res = await brand.ok('contest.results', contest='summer-tees')
        assert res['final'] is False and res['contest']['phase'] == 'judging'
        ranked = [i['design'] for i in res['ranking']]
        assert ranked == ids, (ranked, ids)
        rc, out, err = verify(srv, 'summer-tees')
        assert rc == 0, (out, err)

        # The brand decides: two shortlisted, one winner with a public note.
        for d in ids[:2]:
            await brand.ok('design.set_status', design=d, status='shortlisted')
        await brand.ok('design.set_status', design=ids[2], status='not_selected')
        await brand.ok('design.set_status', design=ids[0], status='winner',
                       note='Printing 500 in organic cotton')
        await brand.ok('design.set_status', design=ids[1], status='not_selected')
        await brand.ok('design.set_status', design=ids[0], status='in_production',
                       note='At the printer')
        await brand.ok('contest.update', contest='summer-tees', closed=True)
        res, items = await results_all(brand, 'summer-tees')
        assert res['final'] is True and res['contest']['phase'] == 'closed', res
        assert [i['status'] for i in items] == ['in_production', 'not_selected',
                                                'not_selected'], items
        rc, out, err = verify(srv, 'summer-tees')
        assert rc == 0 and '3 ranked designs match' in out, (out, err)
        # every vote in the log is stamped with the clock of its phase
        _, _, body = srv.get('/log/summer-tees')
        votes = [e for e, _, _ in parse_log(body) if e['type'] == 'vote']
        assert len(votes) == 60 + 5 and all(e['at'] in (T0 + 10, T0 + 150) for e in votes)
        assert [e['at'] for e in votes[-5:]] == [T0 + 150] * 5

        out_dir = os.path.join(tmpdir('cc-story-'), 'export')
        rc, out, err = export_cli(srv, 'summer-tees', out_dir, token=token)
        assert rc == 0, (rc, err)
        assert sorted(os.listdir(out_dir)) == sorted([ids[0], 'manifest.json'])
        with open(os.path.join(out_dir, 'manifest.json')) as f:
            man = json.load(f)
        assert man['log_head'] == res['log_head'] and man['contest']['phase'] == 'closed'
        (d,) = man['designs']
        assert (d['id'], d['rank'], d['tally'], d['status']) == \
            (ids[0], 1, items[0]['tally'], 'in_production'), d
        assert [(t['status'], t['note']) for t in d['timeline']] == [
            ('submitted', None), ('shortlisted', None),
            ('winner', 'Printing 500 in organic cotton'), ('in_production', 'At the printer')]
        with open(os.path.join(out_dir, d['original']), 'rb') as f:
            assert f.read() == arts[ids[0]]
        for cl in creators + voters + [brand]:
            await cl.close()
        srv.stop()
        print('story: ok (3 creators, 20 voters, judged, produced, verified, exported)')
    finally:
        if srv.proc.poll() is None:
            srv.kill9()


run(main)
