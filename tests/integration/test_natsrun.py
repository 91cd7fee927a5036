"""ctest `natsrun` (issue 15): the NATS side of the cluster tests. natsrun starts Debian's
nats-server 2.9 as the cluster tests and docs/operations.md use it — JetStream, accounts
with passwords, no anonymous access, optionally TLS — and sees its state through the
monitoring port:
- 1 server (development; bcrypt hashes in its config): JetStream ready; a connection
  without credentials gets -ERR 'Authorization Violation' (raw socket), a wrong
  password too, cocreated's creds file connects; a stream of 1 replica keeps its
  records (Nats-Msg-Id drops a re-publish) across kill -9 and restart; its store
  rewound to an older copy (a power cut before the fsync) loses the later records and
  gives their sequence to the next one. Frozen (freeze: SIGSTOP, then the kernel's
  stop report), every thread of it is stopped and it answers no request, ten times in
  a row; thawed, it answers again.
- 3 servers clustered: one meta leader, full routes, no anonymous access on any; a
  stream of 3 replicas; kill -9 of its leader: ready again with another leader,
  publishes acked (a retry with the same Nats-Msg-Id is not stored twice); with two of
  three down nothing is acked; the killed server restarts, rejoins and catches up.
- 3 servers with TLS (client port and routes): every INFO line says tls_required; a
  client trusting the test CA connects and uses JetStream, one trusting only the
  system's CAs is refused by its own certificate check, and TLS without credentials
  is refused.
No cocreated runs here."""
import json
import socket
import ssl

from harness import HOST, WAIT, run, threads_stopped
from natsrun import NatsClient, NatsCluster, NatsError, NatsTimeout, wait_for


def raw_info(url):
    """The INFO a server sends first, read over a plain TCP socket."""
    host, port = url.split('://')[1].split(':')
    with socket.create_connection((host, int(port)), timeout=WAIT) as s:
        f = s.makefile('rb')
        line = f.readline()
    assert line.startswith(b'INFO '), line
    return json.loads(line[5:])


def refused_without_credentials(url):
    """Connects with no credentials the way the brief's protocol exchange says: INFO,
    then CONNECT and PING; the server must answer -ERR 'Authorization Violation'."""
    host, port = url.split('://')[1].split(':')
    with socket.create_connection((host, int(port)), timeout=WAIT) as s:
        f = s.makefile('rb')
        info = f.readline()
        assert info.startswith(b'INFO '), info
        assert json.loads(info[5:]).get('auth_required') is True, info
        s.sendall(b'CONNECT {"verbose":false,"pedantic":false}\r\nPING\r\n')
        line = f.readline()
    assert line == b"-ERR 'Authorization Violation'\r\n", line


def refused(make, what):
    try:
        c = make()
    except NatsError as e:
        assert 'Authorization Violation' in str(e), e
        return
    c.close()
    raise AssertionError(f'{what}: connected')


def stream_config(name, replicas):
    return {'name': name, 'subjects': [f'{name.lower()}.>'], 'storage': 'file',
            'num_replicas': replicas, 'retention': 'limits', 'discard': 'old'}


def publish_acked(nc, name, i, msg_id, data, servers):
    """Publishes through the running servers in turn until JetStream acks it (the
    same Nats-Msg-Id each time: a retry whose first try was stored is a duplicate)."""
    order = [j for j in servers if nc.running(j)]

    def attempt():
        for j in order:
            c = nc.client(j)
            try:
                return c.js_publish(f'{name.lower()}.rec', data, msg_id=msg_id, timeout=2)
            except NatsError:
                continue
            finally:
                c.close()
        return None
    return wait_for(attempt, f'an ack for {msg_id}')


def one_server():
    nc = NatsCluster(1, bcrypt=True)
    with open(nc.nodes[0].conf) as f:
        assert '$2b$' in f.read(), 'bcrypt hashes expected in the config'
    nc.start()
    varz = nc.monitor(0, '/varz')
    assert varz['jetstream']['config']['store_dir'].startswith(nc.dir), varz['jetstream']
    assert nc.monitor(0, '/jsz').get('disabled') is not True
    url = nc.urls[0]
    assert url.startswith('nats://') and nc.url_arg == url, nc.url_arg
    refused_without_credentials(url)
    refused(lambda: NatsClient(url, nc.user, 'wrong'), 'a wrong password')
    with open(nc.creds_path) as f:
        user, password = f.read().strip().split(':', 1)
    c = NatsClient(url, user, password)
    info = c.js('INFO')  # the account's JetStream: enabled for cocreated's user
    assert info.get('type') == 'io.nats.jetstream.api.v1.account_info_response', info
    c.js('STREAM.CREATE.DEV', stream_config('DEV', 1))
    seqs = [c.js_publish('dev.rec', f'r{i}', msg_id=f'dev-{i}')['seq'] for i in range(5)]
    assert seqs == [1, 2, 3, 4, 5], seqs
    dup = c.js_publish('dev.rec', 'r2 again', msg_id='dev-2')
    assert dup.get('duplicate') is True and dup['seq'] == 3, dup
    c.close()
    st = nc.stream_info('DEV')
    assert (st['first_seq'], st['last_seq'], st['messages'], st['replicas'], st['leader']) \
        == (1, 5, 5, 1, 'n1'), st
    assert st['config']['storage'] == 'file', st['config']
    assert nc.stream_leader('DEV') == 0
    assert nc.stream_info('NONE') is None

    nc.kill9(0)
    assert not nc.running(0)
    nc.restart(0)
    nc.wait_ready()
    st = wait_for(lambda: nc.stream_info('DEV'), 'the stream after the restart')
    assert (st['first_seq'], st['last_seq'], st['messages']) == (1, 5, 5), st

    # a power cut before the fsync, emulated: the store rewound to an older copy loses
    # the records after it, and the stream hands their sequences to new records
    nc.stop_server(0)
    snap = nc.save_store(0)
    nc.restart(0)
    nc.wait_ready()
    c = nc.client()
    assert c.js_publish('dev.rec', 'r5', msg_id='dev-5')['seq'] == 6
    c.close()
    nc.stop_server(0)
    nc.restore_store(0, snap)
    nc.restart(0)
    nc.wait_ready()
    c = nc.client()
    assert wait_for(lambda: nc.stream_info('DEV'), 'the rewound stream')['last_seq'] == 5
    assert c.js_publish('dev.rec', 'another', msg_id='dev-other')['seq'] == 6

    # freeze(i): once it returns every thread of the server is stopped and it answers
    # nothing, every time (kill() returns while some of its threads still run: one may
    # answer for a few ms; a bare SIGSTOP fails here within a few rounds)
    for _ in range(10):
        nc.freeze(0)
        try:
            assert threads_stopped(nc.nodes[0].proc.pid), 'a frozen server thread runs'
            c.js('INFO', timeout=0.1)
        except NatsTimeout:
            pass
        else:
            raise AssertionError('a frozen nats-server answered')
        finally:
            nc.thaw(0)
    assert c.js('INFO').get('type') == 'io.nats.jetstream.api.v1.account_info_response'
    c.close()
    nc.stop()
    return 'one server: ready, anonymous and wrong password refused, ' \
           'stream of 1 replica kept across kill -9, a rewound store reuses a sequence, ' \
           'a frozen server answers nothing and a thawed one again'


def three_servers():
    nc = NatsCluster(3)
    nc.start()
    assert len(nc.urls) == 3 and nc.url_arg == ','.join(nc.urls), nc.url_arg
    leaders = {nc.monitor(i, '/jsz')['meta_cluster']['leader'] for i in range(3)}
    assert len(leaders) == 1 and leaders <= set(nc.names), leaders
    for i in range(3):
        assert nc.monitor(i, '/routez')['num_routes'] == 2, nc.monitor(i, '/routez')
        assert nc.monitor(i, '/varz')['cluster']['name'] == 'cocreate'
        refused_without_credentials(nc.urls[i])

    c = nc.client(1)
    created = c.js('STREAM.CREATE.REC', stream_config('REC', 3))
    assert created['config']['num_replicas'] == 3, created
    c.close()
    for k in range(10):
        publish_acked(nc, 'REC', k, f'rec-{k}', f'r{k}', [0, 1, 2])
    st = wait_for(lambda: (s := nc.stream_info('REC')) and s['leader_index'] is not None
                  and all(p['current'] for p in s['peers']) and len(s['peers']) == 2 and s,
                  'a leader with two current peers')
    assert (st['last_seq'], st['replicas']) == (10, 3), st
    leader = st['leader_index']
    assert nc.stream_leader('REC') == leader

    nc.kill9(leader)
    nc.wait_ready()
    st = wait_for(lambda: (s := nc.stream_info('REC')) and
                  s['leader_index'] not in (None, leader) and s, 'a new stream leader')
    new = st['leader_index']
    others = [j for j in range(3) if j != leader]
    for k in range(10, 20):
        publish_acked(nc, 'REC', k, f'rec-{k}', f'r{k}', others)
    again = publish_acked(nc, 'REC', 3, 'rec-13', 'r13 retried', others)
    assert again.get('duplicate') is True and again['seq'] == 14, again
    st = nc.stream_info('REC')
    assert st['last_seq'] == 20 and st['leader_index'] == new, st

    # two of three down: no quorum, nothing is acked
    third = [j for j in others if j != new][0]
    nc.kill9(third)
    c = nc.client(new)
    try:
        ack = c.js_publish('rec.rec', 'lost', msg_id='rec-none', timeout=3)
        raise AssertionError(f'acked without a quorum: {ack}')
    except NatsError:
        pass
    finally:
        c.close()

    nc.restart(third)
    nc.restart(leader)
    nc.wait_ready()
    for j in range(3):
        wait_for(lambda: (s := nc.stream_info('REC', j)) and s['last_seq'] >= 20,
                 f'{nc.names[j]} caught up')
    st = wait_for(lambda: (s := nc.stream_info('REC')) and len(s['peers']) == 2
                  and all(p['current'] for p in s['peers']) and s,
                  'every replica current again')
    # the unacked publish has an unknown outcome: Raft may still commit it
    assert st['first_seq'] == 1 and st['last_seq'] in (20, 21), st
    nc.stop()
    return f'three servers: leader {nc.names[leader]} killed, {nc.names[new]} took over, ' \
           'no ack without quorum (that record ' \
           f'{"stored after all" if st["last_seq"] == 21 else "not stored"}), ' \
           'the killed one caught up'


def three_servers_tls():
    nc = NatsCluster(3, tls=True)
    nc.start()  # ready: the routes (TLS too) formed a cluster with one meta leader
    assert all(u.startswith('tls://') for u in nc.urls), nc.urls
    assert nc.cocreated_args('a') == [
        '--cluster', ','.join(nc.urls), '--node', 'a', '--cluster-creds', nc.creds_path,
        '--cluster-ca', nc.ca_path, '--stream-replicas', '3'], nc.cocreated_args('a')
    for u in nc.urls:
        info = raw_info(u)
        assert info.get('tls_required') is True and info.get('auth_required') is True, info
    c = nc.client(2)
    c.js('STREAM.CREATE.SEC', stream_config('SEC', 3))
    assert c.js_publish('sec.rec', 'x', msg_id='sec-1')['seq'] == 1
    c.close()
    try:
        NatsClient(nc.urls[0], nc.user, nc.password).close()  # system CAs only
        raise AssertionError('connected without trusting the test CA')
    except ssl.SSLCertVerificationError:
        pass
    refused(lambda: NatsClient(nc.urls[0], ca=nc.ca_path), 'TLS without credentials')
    assert nc.monitor(0, '/varz').get('tls_required') is True
    nc.stop()
    return 'three servers with TLS: tls_required, CA checked, anonymous refused'


async def main():
    for step in (one_server, three_servers, three_servers_tls):
        print(f'natsrun: {step()}', flush=True)


run(main)
