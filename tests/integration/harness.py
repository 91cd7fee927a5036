"""harness: run the real cocreated and talk to it, for the integration tests.

Standard library + Debian's python3-websockets (10.4) only; run with /usr/bin/python3.
Environment: COCREATED is the daemon to test (ctest sets it; default build/cocreated).

Server — one daemon on 127.0.0.1, a free port and a fresh temp data dir:
    srv = Server(args=('--map-size', '256K'))  # starts it, waits for GET /healthz == 200
                      # with --no-rate-limits, unless Server(rate_limits=True)
    srv.port, srv.data, srv.ws_url             # port, LMDB data dir, ws://127.0.0.1:P/ws
    srv.get('/metrics') -> (status, headers, body bytes)
    srv.metric('cocreate_requests_total') -> float
    srv.stop()        # SIGTERM; asserts exit 0 and a stderr free of sanitizer reports
    srv.kill9()       # SIGKILL, no checks but the sanitizer one
    srv.start()       # start again on the same data dir (new port); srv.restart() = both
    srv.log_text()    # the current run's stderr (+ stdout)
  Every Server's process is killed and its temp dir removed at exit, unless the test
  failed: then the dir (data and logs) is kept and its path printed. The daemon also
  dies with the test process (setpriv --pdeathsig), so a ctest timeout leaves no orphan.

Client — one WebSocket connection (subprotocol cocreate.v1):
    c = await Client.connect(srv)
    r = await c.call('auth.register', name='ann')   # whole reply {id, ok, result|error}
    res = await c.ok('hello')                       # the result; AssertionError if not ok
    e = await c.err('auth.login', 'unauthorized', token='x')  # the error object
    rid = await c.send(op, **args); r = await c.reply(rid)    # pipelining
    await c.send_raw(text_or_bytes)      # a frame as is; give its id a value send()
                                         # will not reach (send() counts up from 1)
    m = await c.recv_json()              # next reply the client did not ask for by id
                                         # (id null, or an id sent with send_raw)
    ev = await c.event('gallery.update') # next pushed event (has "ev", no "id")
    await c.close()
  Replies are matched by id, so they may arrive in any order. When the connection
  closes, waiting calls raise Closed. Every wait has a timeout (a guard against hangs,
  never a speed check) and raises AssertionError when it passes.

Helpers: register_many() registers names over several pipelined connections;
check_accounts() logs each in and checks its name is taken; run(main) runs an async
test and exits 1 with the error on failure.
"""
import asyncio
import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

import websockets

COCREATED = os.environ.get('COCREATED', 'build/cocreated')
SANITIZER_MARKS = ('ERROR: AddressSanitizer', 'runtime error:', 'LeakSanitizer',
                   'ERROR: UndefinedBehaviorSanitizer')
HOST = '127.0.0.1'
WAIT = 60  # seconds: guard against hangs (generous for the ASan build on 2 busy cores)

_servers = []
_failed = False


def mark_failed():
    """Keeps the temp dirs of this process's servers for a post-mortem."""
    global _failed
    _failed = True


def _cleanup():
    for s in _servers:
        s._reap()
        if _failed:
            print(f'harness: kept {s.dir} (data and server logs)', file=sys.stderr)
        else:
            shutil.rmtree(s.dir, ignore_errors=True)


atexit.register(_cleanup)


def free_port():
    """A port that was free a moment ago (the daemon may still lose a race for it)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def check_no_sanitizer_report(text, what='cocreated'):
    for mark in SANITIZER_MARKS:
        if mark in text:
            raise AssertionError(f'{what}: sanitizer report ({mark!r}) in its log:\n{text}')


def daemon_command(*args):
    """argv running $COCREATED with args, killed if the test process dies."""
    pre = ['setpriv', '--pdeathsig', 'KILL', '--'] if shutil.which('setpriv') else []
    return pre + [COCREATED, *args]


class Server:
    def __init__(self, args=(), start=True, rate_limits=False):
        self.dir = tempfile.mkdtemp(prefix='cc-harness-')
        self.data = os.path.join(self.dir, 'data')
        # Tests register and vote far faster than any person: rate limits are off
        # unless a test is about them.
        self.args = list(args) + ([] if rate_limits else ['--no-rate-limits'])
        self.proc = None
        self.runs = 0
        _servers.append(self)
        if start:
            self.start()

    @property
    def ws_url(self):
        return f'ws://{HOST}:{self.port}/ws'

    def url(self, path):
        return f'http://{HOST}:{self.port}{path}'

    def start(self, ready_timeout=20):
        """Starts the daemon on the data dir; retries on another port if it lost a race
        for the one it was given. Raises AssertionError if it dies or is never ready."""
        assert not self.running(), 'already running'
        for attempt in range(5):
            self.runs += 1
            self.port = free_port()
            self.log_path = os.path.join(self.dir, f'server.{self.runs}.log')
            with open(self.log_path, 'wb') as log:
                self.proc = subprocess.Popen(
                    daemon_command('--listen', f'{HOST}:{self.port}', '--data', self.data,
                                   *self.args),
                    stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            if self._wait_ready(ready_timeout):
                return
            text = self.log_text()
            if 'cannot listen' in text and attempt < 4:
                continue  # someone took the port between free_port() and the bind
            raise AssertionError(f'cocreated exited {self.proc.returncode} before it was '
                                 f'ready; its stderr:\n{text}')

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.url('/healthz'), timeout=2) as r:
                    if r.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.05)
        self._reap()
        raise AssertionError(f'cocreated not ready after {timeout} s; its stderr:\n'
                             + self.log_text())

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log_text(self):
        with open(self.log_path, 'rb') as f:
            return f.read().decode(errors='replace')

    def stop(self, expect_rc=0):
        """SIGTERM, then asserts the exit code and a clean sanitizer log."""
        assert self.running(), f'cocreated is not running:\n{self.log_text()}'
        self.proc.send_signal(signal.SIGTERM)
        self.wait_exit(expect_rc)

    def wait_exit(self, expect_rc=0):
        """Waits for the daemon to exit by itself (after a signal sent elsewhere)."""
        try:
            rc = self.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self._reap()
            raise AssertionError(f'cocreated did not exit within {WAIT} s:\n' + self.log_text())
        check_no_sanitizer_report(self.log_text())
        assert rc == expect_rc, f'cocreated exited {rc}, wanted {expect_rc}:\n' + self.log_text()

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        check_no_sanitizer_report(self.log_text())

    def restart(self):
        self.stop()
        self.start()

    def _reap(self):
        if self.running():
            self.proc.kill()
            self.proc.wait()

    def get(self, path, headers=None):
        """(status, headers, body) of GET path."""
        req = urllib.request.Request(self.url(path), headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=WAIT) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def metric(self, name):
        status, _, body = self.get('/metrics')
        assert status == 200, status
        for line in body.decode().splitlines():
            if line.startswith(name + ' '):
                return float(line.split()[1])
        raise AssertionError(f'no metric {name} in /metrics')


class Closed(Exception):
    """The connection closed while a reply or message was awaited."""


class Client:
    def __init__(self, ws):
        self.ws = ws
        self._next = 0
        self._pending = {}  # id -> future of its reply, until reply() collects it
        self._unasked = asyncio.Queue()  # replies nobody waits for by id
        self._events = []
        self._event_added = asyncio.Event()
        self.closed = asyncio.Event()
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def connect(cls, srv, path='/ws'):
        ws = await asyncio.wait_for(websockets.connect(
            f'ws://{HOST}:{srv.port}{path}', subprotocols=['cocreate.v1'], max_size=None,
            compression=None, ping_interval=None, close_timeout=5), WAIT)
        return cls(ws)

    async def _read(self):
        try:
            async for frame in self.ws:
                msg = json.loads(frame)
                fut = self._pending.get(msg.get('id')) if 'id' in msg else None
                if 'ev' in msg and 'id' not in msg:
                    self._events.append(msg)
                    self._event_added.set()
                elif fut is not None and not fut.done():
                    fut.set_result(msg)
                else:  # not asked for by id (or a second reply: the test will see it)
                    self._unasked.put_nowait(msg)
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed.set()
            self._event_added.set()
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(Closed('connection closed before the reply'))
                    fut.exception()  # raised to whoever awaits it; never logged

    async def send(self, op, **args):
        """Sends {id, op, **args} and returns the id; the reply is kept for reply(id)."""
        if self.closed.is_set():
            raise Closed('connection closed')
        self._next += 1
        rid = self._next
        self._pending[rid] = asyncio.get_running_loop().create_future()
        try:
            await self.ws.send(json.dumps({'id': rid, 'op': op, **args}))
        except websockets.ConnectionClosed:
            self._pending.pop(rid, None)
            raise Closed('connection closed')
        return rid

    async def reply(self, rid, timeout=WAIT):
        """The reply to request rid (from send()); each is collected once."""
        fut = self._pending.get(rid)
        if fut is None:
            raise AssertionError(f'no request {rid} waiting for a reply')
        try:
            msg = await asyncio.wait_for(asyncio.shield(fut), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f'no reply to request {rid} within {timeout} s')
        del self._pending[rid]
        return msg

    async def call(self, op, timeout=WAIT, **args):
        return await self.reply(await self.send(op, **args), timeout)

    async def ok(self, op, **args):
        r = await self.call(op, **args)
        assert r.get('ok') is True, f'{op} {args}: wanted ok, got {r}'
        return r['result']

    async def err(self, op, code, **args):
        r = await self.call(op, **args)
        assert r.get('ok') is False and r['error']['code'] == code, \
            f'{op} {args}: wanted error {code}, got {r}'
        return r['error']

    async def send_raw(self, frame):
        """Sends one text (str) or binary (bytes) frame, or a fragmented message when
        given a list of str."""
        try:
            await self.ws.send(frame)
        except websockets.ConnectionClosed:
            raise Closed('connection closed')

    async def recv_json(self, timeout=WAIT):
        """The next message that is neither an event nor a reply to send()/call()."""
        async def get():
            if self._unasked.empty() and self.closed.is_set():
                raise Closed('connection closed')
            getter = asyncio.ensure_future(self._unasked.get())
            closer = asyncio.ensure_future(self.closed.wait())
            await asyncio.wait({getter, closer}, return_when=asyncio.FIRST_COMPLETED)
            closer.cancel()
            if getter.done():
                return getter.result()
            getter.cancel()
            raise Closed('connection closed')
        try:
            return await asyncio.wait_for(get(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f'no message within {timeout} s')

    async def event(self, name=None, timeout=WAIT):
        """The next pushed event (named name, if given)."""
        deadline = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self._events):
                if name is None or ev['ev'] == name:
                    return self._events.pop(i)
            if self.closed.is_set():
                raise Closed('connection closed')
            self._event_added.clear()
            left = deadline - time.monotonic()
            try:
                await asyncio.wait_for(self._event_added.wait(), max(left, 0))
            except asyncio.TimeoutError:
                raise AssertionError(f'no event {name or ""} within {timeout} s')

    async def close(self):
        try:
            await asyncio.wait_for(self.ws.close(), WAIT)
        except (websockets.ConnectionClosed, OSError, asyncio.TimeoutError):
            pass  # the server went away during the closing handshake
        await self._reader


class Stream:
    """One connection's registrations in the order sent: [name, reply or None]."""

    def __init__(self):
        self.sent = []


async def register_many(srv, names, conns=8, depth=8, on_ok=None):
    """Registers names over `conns` connections, each keeping up to `depth` requests
    in flight. on_ok(count) runs after each ok reply (count = ok replies so far), and
    may stop or kill the server. A connection stops sending after a `busy` reply or
    when it closes. Returns (acked {name: token}, [Stream per connection])."""
    clients = [await Client.connect(srv) for _ in range(conns)]
    streams = [Stream() for _ in range(conns)]
    acked = {}

    async def worker(c, stream, mine):
        inflight = []  # (entry, rid)
        stop = False
        while inflight or (mine and not stop):
            while not stop and mine and len(inflight) < depth:
                name = mine.pop(0)
                try:
                    rid = await c.send('auth.register', name=name)
                except Closed:
                    stop = True
                    break
                entry = [name, None]
                stream.sent.append(entry)
                inflight.append((entry, rid))
            if not inflight:
                break
            entry, rid = inflight.pop(0)
            try:
                r = await c.reply(rid)
            except Closed:
                stop = True
                continue
            entry[1] = r
            if r['ok']:
                assert r['result']['account']['name'] == entry[0], r
                acked[entry[0]] = r['result']['token']
                if on_ok:
                    on_ok(len(acked))
            elif r['error']['code'] == 'busy':
                stop = True
            else:
                raise AssertionError(f'auth.register {entry[0]}: {r}')

    try:
        await asyncio.gather(*(worker(c, s, list(names[k::conns]))
                               for k, (c, s) in enumerate(zip(clients, streams))))
    finally:
        for c in clients:
            if not c.closed.is_set():
                await c.close()
    return acked, streams


async def check_accounts(srv, accounts, conns=4):
    """Each {name: token} logs in as that account, and its name (in upper case) is
    taken. Pipelined over a few connections."""
    items = sorted(accounts.items())
    clients = [await Client.connect(srv) for _ in range(conns)]

    async def worker(c, part):
        for i in range(0, len(part), 32):
            chunk = part[i:i + 32]
            logins = [await c.send('auth.login', token=t) for _, t in chunk]
            again = [await c.send('auth.register', name=n.upper()) for n, _ in chunk]
            for (name, _), lid, rid in zip(chunk, logins, again):
                r = await c.reply(lid)
                assert r['ok'] and r['result']['account']['name'] == name, \
                    f'acknowledged account {name} does not log in: {r}'
                r = await c.reply(rid)
                assert not r['ok'] and r['error']['code'] == 'conflict', \
                    f'acknowledged name {name} is not taken: {r}'

    await asyncio.gather(*(worker(c, items[k::conns]) for k, c in enumerate(clients)))
    for c in clients:
        await c.close()


def run(main):
    """Runs the async test main(); on any exception prints it, keeps the temp dirs and
    exits 1 (the atexit cleanup kills every server still running)."""
    try:
        asyncio.run(main())
    except BaseException as e:  # noqa: B902 — a failing test must report whatever broke
        mark_failed()
        traceback.print_exc()
        print(f'FAIL: {type(e).__name__}: {e}'[:2000], file=sys.stderr)
        sys.exit(1)
