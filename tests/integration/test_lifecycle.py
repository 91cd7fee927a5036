"""ctest `lifecycle` (issue 2): the daemon's life on a real cocreated. --help and bad
flags; --make-brand before and while a server runs; a port already in use; a data dir
from a newer schema (or with a corrupt schema record) refused; LMDB map growth from a
64 KiB map under 3,000 registrations, durable across a restart; graceful SIGTERM in
the middle of pipelined registrations (exit 0, every ok durable, no reply lost for a
request the server read, `busy` changes nothing) and SIGINT; SIGTERM while the search
index is still being built stops the build."""
import asyncio
import ctypes
import json
import os
import re
import signal
import socket
import subprocess
import time

import websockets

from harness import (HOST, Client, Server, check_accounts, check_no_sanitizer_report,
                     daemon_command, free_port, register, register_many, run, simple_level,
                     WAIT, wait_listening)

FLAGS = ('--listen', '--data', '--make-brand', '--map-size', '--send-queue', '--ws-sndbuf',
         '--drain-ms', '--log-level', '--record-cache', '--page-cache')
notes = []
GENDATA = os.environ.get('CC_GENDATA', os.path.join(os.path.dirname(os.environ.get(
    'COCREATED', 'build/cocreated')), 'tools', 'bench', 'gendata'))


def daemon(*args):
    """Runs $COCREATED to completion: (exit code, stdout, stderr)."""
    p = subprocess.run(daemon_command(*args), capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    check_no_sanitizer_report(p.stdout + p.stderr, f'cocreated {" ".join(args)}')
    return p.returncode, p.stdout, p.stderr


class Lmdb:
    """Just enough of liblmdb (ctypes) to read and rewrite a record of the data dir."""

    class Val(ctypes.Structure):
        _fields_ = [('size', ctypes.c_size_t), ('data', ctypes.c_void_p)]

    def __init__(self):
        lib = self.lib = ctypes.CDLL('liblmdb.so.0')
        p, u = ctypes.c_void_p, ctypes.c_uint
        pp, pv = ctypes.POINTER(p), ctypes.POINTER(self.Val)
        for name, args in (('mdb_env_create', [pp]), ('mdb_env_set_maxdbs', [p, u]),
                           ('mdb_env_open', [p, ctypes.c_char_p, u, u]),
                           ('mdb_txn_begin', [p, p, u, pp]),
                           ('mdb_dbi_open', [p, ctypes.c_char_p, u, ctypes.POINTER(u)]),
                           ('mdb_get', [p, u, pv, pv]), ('mdb_put', [p, u, pv, pv, u]),
                           ('mdb_txn_commit', [p]), ('mdb_txn_abort', [p]),
                           ('mdb_env_close', [p])):
            getattr(lib, name).argtypes = args
            getattr(lib, name).restype = None if name in ('mdb_txn_abort', 'mdb_env_close') \
                else ctypes.c_int

    def _open(self, path, db):
        env, txn, dbi = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_uint()
        assert self.lib.mdb_env_create(ctypes.byref(env)) == 0
        self.lib.mdb_env_set_maxdbs(env, 32)
        rc = self.lib.mdb_env_open(env, path.encode(), 0, 0o640)
        assert rc == 0, f'mdb_env_open {path}: {rc}'
        assert self.lib.mdb_txn_begin(env, None, 0, ctypes.byref(txn)) == 0
        assert self.lib.mdb_dbi_open(txn, db.encode(), 0, ctypes.byref(dbi)) == 0
        return env, txn, dbi

    def get(self, path, db, key):
        env, txn, dbi = self._open(path, db)
        k, v = self.Val(len(key), ctypes.cast(ctypes.c_char_p(key), ctypes.c_void_p)), self.Val()
        rc = self.lib.mdb_get(txn, dbi, ctypes.byref(k), ctypes.byref(v))
        value = ctypes.string_at(v.data, v.size) if rc == 0 else None
        self.lib.mdb_txn_abort(txn)
        self.lib.mdb_env_close(env)
        return value

    def put(self, path, db, key, value):
        env, txn, dbi = self._open(path, db)
        kb, vb = ctypes.create_string_buffer(key, len(key)), ctypes.create_string_buffer(
            value, len(value))
        k = self.Val(len(key), ctypes.cast(kb, ctypes.c_void_p))
        v = self.Val(len(value), ctypes.cast(vb, ctypes.c_void_p))
        assert self.lib.mdb_put(txn, dbi, ctypes.byref(k), ctypes.byref(v), 0) == 0
        assert self.lib.mdb_txn_commit(txn) == 0
        self.lib.mdb_env_close(env)


def test_flags():
    rc, out, err = daemon('--help')
    assert rc == 0, (rc, err)
    for flag in FLAGS:
        assert flag in out, f'--help does not mention {flag}:\n{out}'
    bad = (['--bogus'], ['--listen'], ['--listen', 'nowhere'], ['--listen', '127.0.0.1:0'],
           ['--listen', '127.0.0.1:70000'], ['--listen', ':8080'], ['--map-size', 'lots'],
           ['--map-size', '-1'], ['--map-size', '1T'], ['--send-queue', '12Q'],
           ['--ws-sndbuf', 'x'], ['--ws-sndbuf', '65M'], ['--ws-sndbuf', '-1'],
           ['--drain-ms', '0'], ['--drain-ms', 'soon'], ['--log-level', 'loud'],
           ['--record-cache', 'lots'], ['--page-cache', '12x'], ['--page-cache', '-1'],
           ['stray-argument'])
    for args in bad:
        rc, out, err = daemon(*args)
        assert rc == 2, f'cocreated {args} exited {rc}, wanted 2:\n{err}'
        assert err.strip() and not out.strip(), (args, out, err)
    notes.append(f'{len(bad)} bad flags exit 2')


async def test_ws_sndbuf():
    """--ws-sndbuf at its limit (64M) and 0 (the kernel's autotuning) both serve."""
    for value in ('64M', '0'):
        srv = Server(['--ws-sndbuf', value])
        c = await Client.connect(srv)
        assert (await c.ok('hello'))['server'] == 'cocreated'
        await c.close()
        srv.stop()
    notes.append('--ws-sndbuf 64M and 0 serve; 65M, -1, x refused')


async def test_no_caches():
    """--record-cache 0 and --page-cache 0 keep nothing, and pages are served the same."""
    srv = Server(['--record-cache', '0', '--page-cache', '0'])
    c = await register(srv, 'nocache')
    for i in range(3):
        assert (await c.upload('level', simple_level(variant=7000 + i), title=f'N{i}'))['ok']
    for _ in range(2):
        page = await c.ok('gallery.get', sort='top', offset=1)
        assert page['total'] == 3 and [d['title'] for d in page['items']] == ['N1', 'N2'], page
    assert srv.metric('cocreate_page_cache_items') == 0
    assert srv.metric('cocreate_page_cache_hits_total') == 0
    assert srv.metric('cocreate_record_cache_records') == 0
    await c.close()
    srv.stop()
    notes.append('--record-cache 0 --page-cache 0 serve pages, keep nothing')


async def test_brand_and_port():
    srv = Server(start=False)
    rc, out, err = daemon('--data', srv.data, '--make-brand', 'acme')
    assert rc == 0, (rc, err)
    token = out.strip()
    assert re.fullmatch(r'[0-9a-f]{64}\n', out), f'--make-brand printed {out!r}'
    for name in ('acme', 'ACME'):
        rc, out, err = daemon('--data', srv.data, '--make-brand', name)
        assert rc == 1 and 'taken' in err and not out.strip(), (name, rc, out, err)
    rc, out, err = daemon('--data', srv.data, '--make-brand', 'x')
    assert rc == 1 and not out.strip(), (rc, out, err)

    srv.start()
    c = await Client.connect(srv)
    acc = (await c.ok('auth.login', token=token))['account']
    assert acc['role'] == 'brand' and acc['name'] == 'acme', acc
    await c.err('auth.register', 'conflict', name='Acme')
    await c.ok('auth.register', name='member1')

    # another brand while the server runs: LMDB is shared between the two processes
    rc, out, err = daemon('--data', srv.data, '--make-brand', 'acme2')
    assert rc == 0, (rc, err)
    acc2 = (await c.ok('auth.login', token=out.strip()))['account']
    assert acc2['role'] == 'brand' and acc2['name'] == 'acme2' and acc2['id'] != acc['id']
    rc, out, err = daemon('--data', srv.data, '--make-brand', 'MEMBER1')
    assert rc == 1 and 'taken' in err, (rc, err)
    await c.ok('auth.register', name='member2')  # the server's writer still works

    # the port is taken: a clear error and a non-zero exit, not a crash
    other = Server(start=False)
    rc, out, err = daemon('--listen', f'127.0.0.1:{srv.port}', '--data', other.data)
    assert rc > 0 and 'cannot listen' in err, f'port in use: exit {rc}:\n{err}'
    assert (await c.ok('hello'))['server'] == 'cocreated'  # the first one is unharmed
    await c.close()
    srv.stop()
    notes.append('brand tokens made before and while running log in as brand')
    return srv, token


def test_listen_address():
    """--listen with a host lws 4.1 cannot bind as given (a name, or an address this
    machine lacks): lws takes it for an interface that may appear later and keeps
    retrying. The daemon must serve on it, or exit non-zero saying it cannot listen;
    never run without listening."""
    for host in ('localhost', '0.0.0.1'):
        tmp = Server(start=False)
        port = free_port()
        log_path = os.path.join(tmp.dir, 'listen.log')
        with open(log_path, 'wb') as log:
            proc = subprocess.Popen(daemon_command('--listen', f'{host}:{port}', '--data',
                                                   tmp.data), stdout=log, stderr=log)
        try:
            ready = wait_listening(proc, log_path, host, port, timeout=20)
            outcome = {True: 'served', False: 'refused', None: None}[ready]
            if outcome == 'served':
                proc.send_signal(signal.SIGTERM)
            elif outcome is None:
                proc.kill()
            rc = proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        with open(log_path, errors='replace') as f:
            text = f.read()
        check_no_sanitizer_report(text)
        assert outcome, f'--listen {host}:{port}: runs without listening:\n{text}'
        if outcome == 'refused':
            assert rc > 0 and 'cannot listen' in text, f'--listen {host}: exit {rc}:\n{text}'
        else:
            assert rc == 0, f'--listen {host}: exit {rc} after SIGTERM:\n{text}'
        notes.append(f'--listen {host}: {outcome}')


async def test_brand_past_tiny_map():
    """--make-brand (default map size) writes past the end of a running server's
    64 KiB map: the server must adopt the larger map for its reads and writes."""
    srv = Server(['--map-size', '65536'])
    server_map = srv.metric('cocreate_lmdb_map_bytes')
    tokens = {}
    while os.path.getsize(os.path.join(srv.data, 'data.mdb')) <= server_map:
        assert len(tokens) < 500, 'the brands never filled a 64 KiB map'
        name = f'brand{len(tokens):03d}'
        rc, out, err = daemon('--data', srv.data, '--make-brand', name)
        assert rc == 0, (rc, err)
        tokens[name] = out.strip()
    await check_accounts(srv, tokens)  # reads, then writes (the names are taken)
    acked, _ = await register_many(srv, [f'tiny{i:03d}' for i in range(200)], conns=2)
    assert len(acked) == 200, len(acked)
    srv.restart()
    await check_accounts(srv, {**tokens, **acked})
    srv.stop()
    notes.append(f'{len(tokens)} brands made past a running 64 KiB map: adopted')


async def test_schema(srv, brand_token):
    """srv is stopped; its data dir has a schema record."""
    lmdb = Lmdb()
    orig = lmdb.get(srv.data, 'meta', b'schema')
    assert orig is not None and len(orig) == 8, orig
    version = int.from_bytes(orig, 'big')
    assert 1 <= version < 999, version
    for record, words in ((999 .to_bytes(8, 'big'), ('newer', 'schema 999')),
                          ((version + 1).to_bytes(8, 'big'), ('newer', 'schema')),
                          (b'\x00\x00\x00\x01', ('schema', 'corrupt'))):
        lmdb.put(srv.data, 'meta', b'schema', record)
        rc, out, err = daemon('--listen', f'127.0.0.1:{free_port()}', '--data', srv.data)
        assert rc == 1, f'schema record {record.hex()}: exit {rc}, wanted 1:\n{err}'
        for w in words:
            assert w in err, f'schema record {record.hex()}: no {w!r} in:\n{err}'
    lmdb.put(srv.data, 'meta', b'schema', orig)
    srv.start()  # the refusals changed nothing
    c = await Client.connect(srv)
    assert (await c.ok('auth.login', token=brand_token))['account']['role'] == 'brand'
    await c.close()
    srv.stop()
    notes.append(f'schema {version}: newer and corrupt records refused')


async def test_secret():
    """The node's secret (docs/changes.md): DATA/secret made at the first start (mode
    0600, 64 hex digits), kept across restarts; --secret FILE elsewhere; a file that is
    not a key refused; data written when the key lived in LMDB (meta audit.secret)
    gets a file with that key, and a file with another key is refused (pseudonyms
    would change)."""
    srv = Server()
    path = os.path.join(srv.data, 'secret')
    st = os.stat(path)
    assert st.st_mode & 0o777 == 0o600, oct(st.st_mode)
    with open(path) as f:
        key = f.read()
    assert len(key) == 65 and key[64] == '\n' and int(key[:64], 16) >= 0, repr(key)
    c = await register(srv, 'secret_voter')
    await c.close()
    srv.restart()
    with open(path) as f:
        assert f.read() == key
    srv.stop()
    port = free_port()
    for text, why in (('xyz\n', 'not 64 hex digits'), ('ab' * 40 + '\n', 'not 64 hex')):
        with open(path, 'w') as f:
            f.write(text)
        rc, out, err = daemon('--listen', f'127.0.0.1:{port}', '--data', srv.data)
        assert rc == 1 and why in err and path in err, (rc, err)
    with open(path, 'w') as f:
        f.write(key)
    # elsewhere: made there, the data dir gets none
    other = Server(start=False)
    elsewhere = os.path.join(other.dir, 'node.secret')
    other.args += ['--secret', elsewhere]
    other.start()
    assert os.path.exists(elsewhere) and not os.path.exists(os.path.join(other.data, 'secret'))
    other.stop()
    # data of the time the key was in LMDB: the file is made from it
    lmdb = Lmdb()
    old = bytes(range(32))
    lmdb.put(srv.data, 'meta', b'audit.secret', old)
    rc, out, err = daemon('--listen', f'127.0.0.1:{port}', '--data', srv.data)
    assert rc == 1 and 'not the one this data' in err, (rc, err)
    os.unlink(path)
    srv.start()
    with open(path) as f:
        assert f.read() == old.hex() + '\n'
    srv.stop()
    notes.append('secret file: made 0600, kept, --secret, bad files and other keys refused, '
                 'migrated from LMDB')


async def test_backup():
    """cocreated --backup OUT while the server takes registrations: the copy opens as a
    data directory holding every account acknowledged before it began, and the
    node's secret; a directory that already holds data is refused."""
    srv = Server()
    before, _ = await register_many(srv, [f'bk{i:04d}' for i in range(200)], conns=4, depth=8)
    assert len(before) == 200
    copy = Server(start=False)
    proc = subprocess.Popen(daemon_command('--data', srv.data, '--backup', copy.data),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    during, _ = await register_many(srv, [f'bd{i:04d}' for i in range(2000)], conns=8, depth=8)
    out, err = proc.communicate(timeout=120)
    check_no_sanitizer_report(out + err, 'cocreated --backup')
    assert proc.returncode == 0 and 'backup of' in err, (proc.returncode, err)
    assert len(during) == 2000
    with open(os.path.join(srv.data, 'secret')) as a, \
            open(os.path.join(copy.data, 'secret')) as b:
        assert a.read() == b.read()
    assert os.stat(os.path.join(copy.data, 'secret')).st_mode & 0o777 == 0o600
    rc, _, err = daemon('--data', srv.data, '--backup', copy.data)
    assert rc == 1 and 'already holds a data.mdb' in err, (rc, err)
    srv.stop()
    copy.start()
    await check_accounts(copy, before)
    c = await Client.connect(copy)
    got = 0
    for name in during:  # a consistent cut: some of those written meanwhile, maybe all
        r = await c.call('auth.login', token=during[name])
        got += r['ok']
    await c.ok('auth.register', name='after-restore')
    await c.close()
    copy.stop()
    notes.append(f'--backup under load: restored, {got} of 2000 concurrent writes in it')


async def test_map_growth():
    srv = Server(['--map-size', '65536'])
    names = [f'grow{i:04d}' for i in range(3000)]
    acked, _ = await register_many(srv, names, conns=8, depth=8)
    missing = sorted(set(names) - set(acked))
    assert not missing, f'{len(missing)} registrations not acknowledged: {missing[:5]}'
    growths = srv.metric('cocreate_lmdb_map_growths_total')
    size = srv.metric('cocreate_lmdb_map_bytes')
    assert growths > 0 and size > 65536, (growths, size)
    srv.restart()
    await check_accounts(srv, acked)
    c = await Client.connect(srv)
    await c.ok('auth.register', name='after-growth')  # the grown map still takes writes
    await c.close()
    srv.stop()
    notes.append(f'map 64 KiB -> {int(size) >> 10} KiB in {int(growths)} growths, '
                 f'3000 accounts durable')


async def test_graceful(sig):
    """Pipelined registrations on 8 connections, `sig` after the 300th ok."""
    srv = Server(['--drain-ms', '20000'])
    names = [f'gs{i:05d}' for i in range(5000)]

    def on_ok(count):
        if count == 300:
            srv.proc.send_signal(sig)

    acked, streams = await register_many(srv, names, conns=8, depth=8, on_ok=on_ok)
    srv.wait_exit(0)
    assert 300 <= len(acked) < len(names), len(acked)
    busy, unanswered = [], 0
    for k, s in enumerate(streams):
        answered = [i for i, (_, r) in enumerate(s.sent) if r is not None]
        last = answered[-1] if answered else -1
        lost = [s.sent[i][0] for i in range(last) if s.sent[i][1] is None]
        assert not lost, (f'connection {k}: no reply to {lost} though a request sent '
                          f'after them (#{last}) was answered: replies were lost')
        busy += [n for n, r in s.sent if r is not None and not r['ok']]
        unanswered += len(s.sent) - last - 1
    srv.start()
    await check_accounts(srv, acked)
    c = await Client.connect(srv)
    for name in busy:  # `busy` means not done: the name is still free
        await c.ok('auth.register', name=name)
    await c.close()
    srv.stop()
    notes.append(f'{signal.Signals(sig).name} after 300 acks: exit 0, {len(acked)} acked '
                 f'and durable, {len(busy)} busy, {unanswered} unanswered after the close')


async def test_going_away():
    """SIGTERM while a client keeps pipelining requests: every reply the server sent
    arrives (nothing reset away: requests are answered in order here, so no gap before
    the last answered one), and the connection ends with the closing handshake, status
    1001 (going away), not a dropped socket (1006). Requests still unread when the
    close frame went out get no reply: they were not processed, a client may retry them."""
    srv = Server(['--drain-ms', '5000'])
    ws = await websockets.connect(srv.ws_url, subprotocols=['cocreate.v1'], max_size=None,
                                  max_queue=None, compression=None, ping_interval=None)
    got = {}

    async def reader():
        async for m in ws:
            r = json.loads(m)
            got[r['id']] = r

    rt = asyncio.ensure_future(reader())
    sent = 0
    try:
        while sent < 100_000:
            sent += 1
            await ws.send(json.dumps({'id': sent, 'op': 'hello'}))
            if sent == 2000:
                srv.proc.send_signal(signal.SIGTERM)
            if sent % 5 == 0:
                await asyncio.sleep(0)
    except websockets.ConnectionClosed:
        pass
    await asyncio.wait_for(rt, 30)
    srv.wait_exit(0)
    assert ws.close_code == 1001, (ws.close_code, ws.close_reason)
    last = max(got)
    lost = [i for i in range(1, last) if i not in got]
    assert not lost, f'{len(lost)} replies lost before #{last}, e.g. {lost[:5]}'
    notes.append(f'SIGTERM while pipelining: {len(got)} of {sent} answered, none lost '
                 f'before the last, close 1001')


def masked_frame(text):
    """A client's text frame (masked, as RFC 6455 wants), for payloads under 126 bytes."""
    data = text.encode()
    mask = os.urandom(4)
    return bytes([0x81, 0x80 | len(data)]) + mask + bytes(
        b ^ mask[i % 4] for i, b in enumerate(data))


async def connect_not_reading(srv):
    """A WebSocket whose socket's receive buffer is fixed at 64 KiB (SO_RCVBUF before
    connect turns the kernel's autotuning off), for a client that will stop reading:
    autotuned, that buffer grows to megabytes and can hold every reply a test sends for
    (seen in CI: 20,000 replies, 4.2 MB, all in the client's buffer, nothing queued)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    sock.connect((HOST, srv.port))
    sock.setblocking(False)
    return await websockets.connect(srv.ws_url, sock=sock, subprotocols=['cocreate.v1'],
                                    max_queue=1, compression=None, ping_interval=None)


async def test_send_queue_burst():
    """--send-queue bounds what a connection leaves unread, not what one iteration of
    the loop answers at once: the replies to 40 requests that arrive in one write
    (~10 KB, past a 4 KiB bound) are written together after the poll that read them
    (net_cork) and all arrive; a client that stops reading is still closed (1008)."""
    srv = Server(['--send-queue', '4096'])
    ws = await websockets.connect(srv.ws_url, subprotocols=['cocreate.v1'],
                                  compression=None, ping_interval=None)
    n = 40
    ws.transport.write(b''.join(masked_frame(f'{{"id":{i},"op":"hello"}}')
                                for i in range(n)))
    got = []
    for _ in range(n):
        got.append(json.loads(await asyncio.wait_for(ws.recv(), 30)))
    assert [r['id'] for r in got] == list(range(n)), [r.get('id') for r in got]
    assert all(r['ok'] for r in got), got[0]
    size = sum(len(json.dumps(r)) for r in got)
    assert size > 4096, f'the replies ({size} bytes) do not pass the bound'
    assert srv.metric('cocreate_send_queue_overflows_total') == 0
    # past the bound for real: a client that does not read
    ws2 = await connect_not_reading(srv)
    ws2.transport.pause_reading()
    deadline = time.monotonic() + WAIT
    sent = 0
    while srv.metric('cocreate_send_queue_overflows_total') < 1:
        assert time.monotonic() < deadline, \
            f'a client that does not read was not closed after {sent} requests'
        if ws2.transport.get_write_buffer_size() < 1 << 20:
            ws2.transport.write(b''.join(masked_frame(f'{{"id":{sent + i},"op":"hello"}}')
                                         for i in range(500)))
            sent += 500
        await asyncio.sleep(0.01)
    ws2.transport.abort()
    await ws.close()
    srv.stop()
    notes.append(f'{n} replies ({size} B) to one write pass a 4 KiB --send-queue; a '
                 'client that does not read is closed')


async def test_drain_deadline():
    """A client that never reads cannot hold the shutdown: with its replies still
    queued, SIGTERM stops the daemon after --drain-ms, exit 0, nothing leaked."""
    srv = Server(['--drain-ms', '200', '--send-queue', '256M'])
    ws = await connect_not_reading(srv)
    base = srv.metric('cocreate_requests_total')
    n = 150_000  # ~25 MB of replies: more than the socket buffers hold
    for i in range(n):
        await ws.send(f'{{"id":{i},"op":"hello"}}')
    deadline = time.monotonic() + WAIT
    while (done := srv.metric('cocreate_requests_total')) < base + n:
        assert time.monotonic() < deadline, f'{done - base:.0f} of {n} requests read in {WAIT} s'
        await asyncio.sleep(0.05)
    queued = srv.metric('cocreate_send_queue_bytes')
    assert queued > 0, 'the replies all fit in the socket buffers: nothing to drain'
    srv.stop()
    ws.transport.abort()
    srv.start()  # and the data dir is fine
    srv.stop()
    notes.append(f'SIGTERM with {int(queued) >> 20} MiB unread: exit 0 after --drain-ms')


async def test_stop_while_indexing():
    """SIGTERM while the search index is still being built after a start (200,000
    designs): the build stops at its next record and the server exits, rather than
    finishing an index no one will use before it can."""
    srv = Server(start=False)
    subprocess.run([GENDATA, '--data', srv.data, '--designs', '200000', '--votes', '0',
                    '--accounts', '100'], check=True, capture_output=True, timeout=120)
    srv.start()
    c = await Client.connect(srv)
    r = await c.call('search', q='design')
    await c.close()
    assert not r['ok'] and r['error']['code'] == 'busy', r  # the build is running
    srv.stop()
    log = srv.log_text()
    after = log[log.index('SIGTERM'):]
    assert 'search: the index build was stopped (shutting down)' in after, log[-2000:]
    assert 'designs indexed' not in log, log[-2000:]
    notes.append('SIGTERM while the search index builds: the build stops')


def step(name):
    """Says which part runs (unbuffered: ctest keeps what a timed-out test printed)."""
    print(f'lifecycle: {name}', flush=True)


async def main():
    step('flags')
    test_flags()
    test_listen_address()
    step('ws_sndbuf')
    await test_ws_sndbuf()
    await test_no_caches()
    step('brand and port')
    srv, token = await test_brand_and_port()
    await test_schema(srv, token)
    step('tiny map, map growth')
    await test_brand_past_tiny_map()
    await test_map_growth()
    step('secret, backup')
    await test_secret()
    await test_backup()
    step('graceful SIGTERM')
    await test_graceful(signal.SIGTERM)
    step('graceful SIGINT')
    await test_graceful(signal.SIGINT)
    step('going away')
    await test_going_away()
    step('send queue burst')
    await test_send_queue_burst()
    step('drain deadline')
    await test_drain_deadline()
    step('stop while indexing')
    await test_stop_while_indexing()
    print('lifecycle: ok (' + '; '.join(notes) + ')')


run(main)
