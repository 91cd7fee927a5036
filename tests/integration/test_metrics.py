"""/metrics as an operator reads it (issue 20): every scrape, taken while clients
register, upload, vote, comment and watch, passes `promtool check metrics` (Debian's
prometheus package); then each series this issue added moves by exactly what the load
did: the per-op latency histograms count every request of their op, the writer's batch
and commit histograms count every commit, the stored totals equal what was written, the
live gauges follow subscriptions and watches, the uptime grows, the start's duration is
the log's and stays, build_info names the
version `hello` reports, and each HTTP route's latency histogram counts the requests made
to it. docs/operations.md lists the metrics; the alerting rules it
proposes (docs/alerts.yml) pass `promtool check rules` and name only series the server
exports (the cluster's: test_cluster)."""
import asyncio
import http.client
import os
import re
import subprocess

from harness import HOST, PROMTOOL, WAIT, Client, Server, register, run, simple_level, until

ALERTS = os.path.join(os.path.dirname(__file__), '..', '..', 'docs', 'alerts.yml')

VOTERS = 6
DESIGNS = 4


def op_count(m, op):
    return m[f'cocreate_request_duration_seconds_count{{op="{op}"}}']


def histogram(m, name, label=''):
    """The buckets (le → cumulative count), sum and count of one histogram series."""
    sep = ',' if label else ''
    buckets = {k.split('le="')[1][:-2]: v for k, v in m.items()
               if k.startswith(f'{name}_bucket{{{label}{sep}le=')}
    sfx = f'{{{label}}}' if label else ''
    return buckets, m[f'{name}_sum{sfx}'], m[f'{name}_count{sfx}']


def alert_series():
    """The cocreate_ series docs/alerts.yml uses (a histogram's by its base name)."""
    with open(ALERTS) as f:
        names = set(re.findall(r'\bcocreate_[a-z_]+', f.read()))
    return {re.sub(r'_bucket$', '', n) for n in names}


def check_alerts(m):
    p = subprocess.run([PROMTOOL, 'check', 'rules', ALERTS], capture_output=True, text=True,
                       timeout=WAIT)
    assert p.returncode == 0, p.stdout + p.stderr
    exported = {re.sub(r'(_bucket|_sum|_count)?(\{.*)?$', '', k) for k in m}
    missing = {n for n in alert_series() if not n.startswith('cocreate_cluster_')} - exported
    assert not missing, f'docs/alerts.yml names series /metrics does not have: {missing}'


def check_histogram(m, name, label=''):
    buckets, total, count = histogram(m, name, label)
    values = list(buckets.values())
    assert values == sorted(values), (name, label, buckets)  # cumulative
    assert buckets['+Inf'] == count, (name, label, buckets, count)
    assert (count == 0) == (total == 0), (name, label, total, count)
    return count


def route_count(m, route):
    return m[f'cocreate_http_request_duration_seconds_count{{route="{route}"}}']


async def check_http_routes(srv, designs, creator):
    """Each route's latency histogram counts exactly the requests made to it (and the
    scrape before them); a request refused before any route (405) is in no route."""
    token = creator.token
    did = designs[0]
    visits = {  # route → [(path, headers, status)]
        'healthz': [('/healthz', {}, 200)] * 2,
        'thumb': [(f'/t/{did}.png', {}, 200), (f'/t/{did}.png', {}, 200)],
        'render': [(f'/r/{did}.png', {}, 200)],
        'original': [(f'/d/{did}', {}, 200), ('/d/999999', {}, 404)],
        'log': [('/log/open', {}, 200)],
        'export': [('/export/open', {}, 401)],
        'me_export': [('/me/export', {'Cookie': f'cc_token={token}'}, 200)],
        'web': [('/', {}, 200), ('/leaderboard', {}, 200)],
        'not_found': [('/no/such/thing', {}, 404)],
    }
    m0 = srv.scrape()
    for route, calls in visits.items():
        for path, headers, want in calls:
            status, _, _ = srv.get(path, headers)
            assert status == want, (route, path, status, want)
    status = await asyncio.to_thread(post_status, srv, '/healthz')
    assert status == 405, status
    m1 = srv.scrape()
    got = {r: route_count(m1, r) - route_count(m0, r) for r in visits}
    want = {r: len(calls) for r, calls in visits.items()}
    assert got == want, (got, want)
    assert route_count(m1, 'metrics') - route_count(m0, 'metrics') == 1  # m0 itself
    assert m1['cocreate_http_requests_total'] - m0['cocreate_http_requests_total'] == \
        sum(want.values()) + 2  # the POST and m0
    for route in list(visits) + ['metrics']:
        assert check_histogram(m1, 'cocreate_http_request_duration_seconds',
                               f'route="{route}"') == route_count(m1, route)
    assert histogram(m1, 'cocreate_http_request_duration_seconds', 'route="render"')[1] > 0


def post_status(srv, path):
    c = http.client.HTTPConnection(HOST, srv.port, timeout=WAIT)
    try:
        c.request('POST', path, body=b'x')
        return c.getresponse().status
    finally:
        c.close()


async def main():
    srv = Server()
    before = srv.scrape()
    assert before['cocreate_accounts'] == before['cocreate_designs'] == 0
    for op in ('hello', 'vote.cast', 'gallery.get', 'upload.commit', 'comment.post'):
        assert op_count(before, op) == 0, op
    first = await Client.connect(srv)
    hello = await first.ok('hello')
    await first.close()
    info = [k for k in before if k.startswith('cocreate_build_info{')]
    assert len(info) == 1 and f'version="{hello["version"]}"' in info[0], info

    # ---- the load, scraped (and checked by promtool) while it runs ----
    creator = await register(srv, 'm_creator')
    voters = [await register(srv, f'm_voter{i}') for i in range(VOTERS)]
    watcher = await Client.connect(srv)
    sub = await watcher.ok('gallery.subscribe', sort='top', limit=10)
    designs = []
    for i in range(DESIGNS):
        r = await creator.upload('level', simple_level(variant=900 + i), title=f'M{i}')
        assert r['ok'], r
        designs.append(r['result']['design']['id'])
    await watcher.ok('design.watch', design=designs[0])
    m = srv.scrape()
    live = {k: m[f'cocreate_live_{k}'] for k in ('subscriptions', 'windows', 'watched_designs')}
    assert live == {'subscriptions': 2, 'windows': 1, 'watched_designs': 1}, live

    votes = [(v, d) for v in voters for d in designs]
    stop = asyncio.Event()

    async def scraper():
        n = 0
        while not stop.is_set() or n == 0:
            await asyncio.to_thread(srv.scrape)  # promtool checks every one
            n += 1
        return n

    scrapes = asyncio.ensure_future(scraper())
    results = await asyncio.gather(*(v.call('vote.cast', design=d, value=1) for v, d in votes))
    assert all(r['ok'] for r in results), results
    missing = await voters[0].call('vote.cast', design='999999', value=1)  # an error: counted
    assert missing['error']['code'] == 'not_found', missing
    await voters[0].ok('vote.clear', design=designs[0])
    for i in range(3):
        await voters[i].ok('comment.post', design=designs[1], text=f'nice {i}')
    for _ in range(5):
        await watcher.ok('gallery.get', sort='new')
    stop.set()
    assert await scrapes >= 1

    # ---- what moved, exactly ----
    after = srv.scrape()
    assert op_count(after, 'vote.cast') == len(votes) + 1, op_count(after, 'vote.cast')
    assert op_count(after, 'vote.clear') == 1
    assert op_count(after, 'comment.post') == 3
    assert op_count(after, 'gallery.get') == 5
    assert op_count(after, 'upload.commit') == DESIGNS
    assert op_count(after, 'auth.register') == VOTERS + 1
    assert op_count(after, 'hello') == 1
    for op in ('vote.cast', 'upload.commit', 'hello', 'contest.create'):
        check_histogram(after, 'cocreate_request_duration_seconds', f'op="{op}"')
    vote_sum = histogram(after, 'cocreate_request_duration_seconds', 'op="vote.cast"')[1]
    assert vote_sum > 0, vote_sum

    commits = after['cocreate_commits_total']
    assert commits > before['cocreate_commits_total'], commits
    assert check_histogram(after, 'cocreate_writer_batch_size') == commits
    assert check_histogram(after, 'cocreate_writer_commit_duration_seconds') == commits
    # every write that reached the writer is in exactly one committed batch
    assert histogram(after, 'cocreate_writer_batch_size')[1] == \
        after['cocreate_commit_requests_total'], histogram(after, 'cocreate_writer_batch_size')

    assert after['cocreate_accounts'] == VOTERS + 1
    assert after['cocreate_designs'] == DESIGNS
    assert after['cocreate_votes'] == len(votes) - 1
    assert after['cocreate_comments'] == 3
    assert after['cocreate_uptime_seconds'] > before['cocreate_uptime_seconds']
    assert after['cocreate_start_time_seconds'] == before['cocreate_start_time_seconds']
    # how long the start took: the same figure as the log's, fixed once listening
    took = re.search(r'listening on .*\(data in .*; started in (\d+) ms\)', srv.log_text())
    assert took, srv.log_text()[-1000:]
    assert after['cocreate_startup_seconds'] == before['cocreate_startup_seconds'] > 0
    assert 0 <= after['cocreate_startup_seconds'] * 1000 - int(took.group(1)) < 1.001, \
        (after['cocreate_startup_seconds'], took.group(1))  # the log's is whole ms

    check_alerts(after)
    await check_http_routes(srv, designs, creator)

    # ---- the live gauges come back down ----
    await watcher.ok('gallery.unsubscribe', sub=sub['sub'])
    m = srv.scrape()
    live = (m['cocreate_live_subscriptions'], m['cocreate_live_windows'])
    assert live == (1, 0), live
    await watcher.close()  # the watch ends with its connection, seen by the server later
    await until(lambda: srv.metric('cocreate_live_subscriptions') == 0, 'the watch closed')
    assert srv.metric('cocreate_live_watched_designs') == 0
    for c in [creator] + voters:
        await c.close()
    srv.stop()
    print(f'metrics: ok ({await scrapes} scrapes under load passed promtool, '
          f'{int(commits)} commits)')


if __name__ == '__main__':
    run(main)
