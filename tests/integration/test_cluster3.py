"""Cluster mode (issue 15, SPEC §9) as it runs in production: three clustered
nats-servers (JetStream, stream replicas 3, credentials) and three cocreated nodes.

- A creator uploads on A, a voter votes on B, a subscriber on C gets the
  gallery.update with the new tally.
- Under a mixed write load on A and B (registrations and votes on a stars5 and a
  heart contest), the nats-server leading the stream is killed with SIGKILL: writes
  resume (the time it took is printed, never judged), the server restarts and
  rejoins, and every write any node acknowledged is present exactly once on every
  node.
- The three nodes then answer identically — every sort, `hot` and `stars5` `top`
  included, under the same test clock after scores settle —, with the same
  contest.results, log_head and /log/.
Run serially (ctest RUN_SERIAL): six servers on a 2-core machine."""
import asyncio
import time

from harness import WAIT, Client, run, simple_level, until
import natsrun
from test_cluster import Cluster, T0, answers, login, png, until_ok, verify


async def main():
    nats = natsrun.NatsCluster(3)
    nats.start()
    cl = Cluster(nats)
    a, b, c = cl.node('a'), cl.node('b'), cl.node('c')
    brand_token = a.make_brand('acme', '--cluster', nats.url_arg, '--cluster-creds',
                               nats.creds_path, '--stream-replicas', '3')
    for srv in (a, b, c):
        x = await Client.connect(srv)
        await x.ok('test.clock', now=T0)
        await x.close()
    brand = await Client.connect(a)
    await until_ok(brand, 'auth.login', token=brand_token)
    await brand.ok('contest.create', slug='stars', title='Stars', kind='artwork',
                   scale='stars5', submit_open=T0, submit_close=T0 + 1000,
                   vote_close=T0 + 2000)
    await brand.ok('contest.create', slug='hearts', title='Hearts', kind='level',
                   scale='heart', submit_open=T0, submit_close=T0 + 1000,
                   vote_close=T0 + 2000)

    # upload on A, vote on B, the update on C
    maker = await Client.connect(a)
    await maker.ok('auth.register', name='maker')
    designs = []
    for i in range(4):
        up = await maker.upload('artwork', png(120 + i, 100, i), title=f'Art {i}',
                                contest='stars')
        assert up['ok'], up
        designs.append(up['result']['design']['id'])
        up = await maker.upload('level', simple_level(variant=i + 1), title=f'Level {i}',
                                contest='hearts')
        assert up['ok'], up
        designs.append(up['result']['design']['id'])
    sub = await Client.connect(c)
    await until_ok(sub, 'design.get', design=designs[-1])
    s = await sub.ok('gallery.subscribe', contest='stars', sort='top')
    voter = await Client.connect(b)
    await voter.ok('auth.register', name='voter')
    await voter.ok('vote.cast', design=designs[0], value=5)
    await sub.event('gallery.update', pred=lambda e: e['sub'] == s['sub'] and any(
        i.get('id') == designs[0] and i.get('tally', {}).get('votes') == 1 for i in e['items']))

    # a mixed write load on A and B; kill -9 the stream's leader in the middle
    acked_names, acked_votes = {}, {}

    async def load(srv, tag, n):
        cli = await Client.connect(srv)
        for i in range(n):
            r = await cli.call('auth.register', name=f'{tag}{i}')
            if not r['ok']:
                assert r['error']['code'] == 'busy', r
                await asyncio.sleep(0.05)
                continue
            acked_names[f'{tag}{i}'] = r['result']['token']
            d = designs[i % len(designs)]
            value = 1 if i % len(designs) % 2 else 1 + i % 5
            v = await cli.call('vote.cast', design=d, value=value)
            if v['ok']:
                acked_votes[(f'{tag}{i}', d)] = value
        await cli.close()

    loads = [asyncio.ensure_future(load(a, 'la', 150)),
             asyncio.ensure_future(load(b, 'lb', 150))]
    await until(lambda: len(acked_names) >= 60, '60 registrations acknowledged')
    leader = nats.stream_leader('COCREATE')
    before = len(acked_names)
    t_kill = time.monotonic()
    nats.kill9(leader)
    deadline = time.monotonic() + WAIT
    while len(acked_names) <= before + 20:  # writes resuming after the kill
        assert time.monotonic() < deadline, 'writes never resumed after the leader died'
        await asyncio.sleep(0.02)
    resumed = time.monotonic() - t_kill
    await asyncio.gather(*loads)
    nats.restart(leader)
    nats.wait_ready()
    cl.settle()

    # every acknowledged write, exactly once, on every node
    for srv in (a, b, c):
        cli = await Client.connect(srv)
        for name, token in acked_names.items():
            got = await cli.ok('auth.login', token=token)
            assert got['account']['name'] == name
        await cli.close()
    brand_a = await login(a, brand_token)
    per_design = {}
    for (name, d), value in acked_votes.items():
        per_design.setdefault(d, []).append(value)
    for d, values in per_design.items():
        t = (await brand_a.ok('design.get', design=d))['design']['tally']
        # voter's own vote of the first part was on designs[0]
        extra = 1 if d == designs[0] else 0
        assert t['votes'] == len(values) + extra, (d, t, len(values))

    # identical answers (hot and stars5 top included, same clock, settled)
    want = await answers(a, brand_token, ['stars', 'hearts'])
    for srv in (b, c):
        got = await answers(srv, brand_token, ['stars', 'hearts'])
        for k in want:
            assert got[k] == want[k], (k, got[k], want[k])
    for srv in (a, b, c):
        verify(srv, 'stars')
        verify(srv, 'hearts')
    for srv in (a, b, c):
        srv.stop()
    nats.stop()
    print(f'cluster (3 NATS, 3 nodes): {len(acked_names)} registrations and '
          f'{len(acked_votes)} votes acknowledged across a kill -9 of the stream leader '
          f'(writes resumed {resumed:.1f} s after it), all on every node, identical '
          'answers: ok')


if __name__ == '__main__':
    run(main)
