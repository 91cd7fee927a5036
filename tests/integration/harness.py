"""harness: run the real cocreated and talk to it — the one module every integration
test uses to start a server and be its client.

Standard library + Debian's python3-websockets (10.4) only; run with /usr/bin/python3.
Environment: COCREATED is the daemon to test (ctest sets it; default build/cocreated).

Server — one daemon on 127.0.0.1, a free port and a fresh temp dir (cc-harness-*):
    srv = Server(args=('--map-size', '256K'))  # starts it, waits for GET /healthz == 200
                      # with --no-rate-limits, unless Server(rate_limits=True)
    srv = Server(start=False)   # the dir only: prepare srv.data (gendata, --make-brand),
    srv.start()                 # then start it
    srv = Server(env={'LD_PRELOAD': so})   # extra environment of the daemon
    srv = Server(tls=(cert, key, ca))      # --tls-cert/--tls-key: wss:// and https://,
                                           # ready, get() and Client checked against ca
    cert, key, ca, other_ca = make_pki(tmpdir())  # a test CA, a certificate it signed for
                                           # 127.0.0.1 (and its key), a CA of nothing
    srv.port, srv.data, srv.ws_url             # port, LMDB data dir, ws://127.0.0.1:P/ws
    srv.dir                                    # the temp dir: data/ and server.N.log
    srv.url('/t/1.png')                        # http://127.0.0.1:P/t/1.png
    srv.get('/metrics', headers) -> (status, headers, body bytes)
    srv.metric('cocreate_requests_total') -> float
    srv.scrape() -> {'name{labels}': float}    # /metrics, passed by `promtool check metrics`
    srv.make_brand('acme', *args) -> token     # cocreated --make-brand on srv.data
    srv.stop()        # SIGTERM; asserts exit 0 and a log free of sanitizer reports
    srv.wait_exit()   # the same checks, for a daemon signalled by the test itself
    srv.kill9()       # SIGKILL; checks only the sanitizer log
    srv.start()       # start again on the same data dir (new port); srv.restart() = both
    srv.running()     # the daemon is alive
    srv.log_text()    # the current run's stderr + stdout (each run has its own log)
  start() retries on another port when the daemon lost a race for its port, and raises
  AssertionError when it exits or is not ready within WAIT seconds. A daemon started by
  hand: wait_listening(proc, log_path, host, port) -> True (ready: its own log's
  "listening on" line, then /healthz), False (it exited) or None (timed out).

Client — one WebSocket connection (subprotocol cocreate.v1):
    c = await Client.connect(srv)                   # kw go to websockets.connect
    r = await c.call('auth.register', name='ann')   # whole reply {id, ok, result|error}
    res = await c.ok('hello')                       # the result; AssertionError if not ok
    e = await c.err('auth.login', 'unauthorized', token='x')  # the error object;
                                                    # AssertionError unless that code
    rid = await c.send(op, **args); r = await c.reply(rid)    # pipelining
    await c.send_raw(text_or_bytes)  # a frame as is (bytes: upload data); give its id a
                                     # value send() will not reach (send() counts from 1)
    r = await c.reply(900001)        # the reply to an id sent with send_raw
    m = await c.orphan()             # the next reply no send() asked for (id null, an id
                                     # sent with send_raw, a second reply); c.orphans
    ev = await c.event('gallery.update', pred=lambda e: e['total'] == 3)
                                     # the next pushed event (has "ev", no "id") named
                                     # so, for which pred holds; c.events holds the rest
    ev, before = await c.events_before('design.update', pred=...)  # the same wait:
                                     # the marker and the events that came ahead of it
    await c.no_event_until('design.update', 'gallery.update', pred=lambda e: ...)
                                     # what must NOT happen: fails if a forbidden event
                                     # (a name, or a predicate) came before the marker
    r = await c.upload(kind, data, title=...)   # begin + bytes + commit: commit's reply
    await c.close()
  Replies are matched by id, so they may arrive in any order. When the connection
  closes, waiting calls raise Closed. Every wait has a timeout (WAIT = 60 s unless
  given: a guard against hangs, never a speed check) and raises AssertionError when it
  passes.

Waiting: a test waits for a condition, never for a fixed time followed by an assertion:
    v = await until(lambda: srv.metric('cocreate_live_subscriptions') == 3, 'subscribed')
    v = await until(async_fn, what)   # an async condition is awaited each time
  polls cond every 50 ms until it returns a true value (returned), AssertionError naming
  `what` and the last value after WAIT seconds.
  That something does NOT happen has no moment to wait for, so a negative check waits
  for a barrier instead of a time (no_event_until): after the action that must not
  send an event, the test causes one that must send a marker event on the same
  connection, waits for it, and fails if a forbidden event came before it. A
  connection's messages leave in the order the server queued them, so the marker must
  be queued after whatever the action could have sent: a notice is sent before the
  reply to the request that made it, so a marker caused after that reply will do; a
  live window or watch flushes at most every 100 ms, each on its own schedule, sending
  to all its subscribers at once, so the marker must come from a later flush of the
  same window or watch (a later change, once another subscriber had the flush of the
  first; or one whose content no earlier flush can show), or from a change caused once
  another subscriber of that window or watch had the flush that would carry the
  forbidden event. A marker of another window or watch caused at the same time is no
  barrier. The marker's pred must be one no forbidden event can pass (name the design
  or the sub), and the events before it must not have been taken (event(), clear()).

Helpers: register(srv, name) is a new client logged in as a new account (c.account,
c.token); register_many() registers names over several pipelined connections;
check_accounts() logs each in and checks its name is taken (login_problems() lists the
ones that do not, for a checker that reports); all_comments() is every comment of a
design; level() and simple_level()
make level documents; tmpdir() is a temp dir for a test's own files; daemon_command()
is the argv running $COCREATED; png_gradient(w, h, seed) is a small PNG; run(main)
runs an async test. freeze(proc) sends SIGSTOP to a child process and returns only once
the kernel reports it stopped (every thread: kill() returns sooner); thaw(proc) sends
SIGCONT; threads_stopped(pid) says whether every thread of a process is stopped (/proc).

Cleanup: at exit every server still running is killed, and every Server's dir and every
tmpdir() is removed, unless the test failed: then they are kept (data and server logs)
and their paths printed. The daemon also dies with the test process (setpriv
--pdeathsig), so a ctest timeout leaves no orphan.
"""
import asyncio
import atexit
import hashlib
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
PROMTOOL = shutil.which('promtool') or '/usr/bin/promtool'  # tools/setup/deps.sh: prometheus
SANITIZER_MARKS = ('ERROR: AddressSanitizer', 'runtime error:', 'LeakSanitizer',
                   'WARNING: ThreadSanitizer',
                   'ERROR: UndefinedBehaviorSanitizer')
HOST = '127.0.0.1'
WAIT = 60  # seconds: guard against hangs (generous for the ASan build on 2 busy cores)

_servers = []
_dirs = []
_failed = False


def mark_failed():
    """Keeps the temp dirs of this process (servers' and tmpdir()s) for a post-mortem."""
    global _failed
    _failed = True


def make_pki(d):
    """A test CA, a server certificate it signed (127.0.0.1 and localhost), and a second
    CA that signed nothing we serve, made in folder d with the openssl command. Returns
    (cert, key, ca, other_ca) paths: Server(tls=(cert, key, ca))."""
    def openssl(*args):
        subprocess.run(['openssl', *args], cwd=d, check=True, capture_output=True,
                       timeout=WAIT)
    for ca in ('ca', 'other'):
        openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f'{ca}.key',
                '-out', f'{ca}.pem', '-days', '2', '-subj', f'/CN=Cocreate test {ca}')
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out',
            'server.csr', '-subj', '/CN=127.0.0.1')
    with open(os.path.join(d, 'ext.cnf'), 'w') as f:
        f.write('subjectAltName=IP:127.0.0.1,DNS:127.0.0.1,DNS:localhost\n'
                'basicConstraints=CA:FALSE\n')
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key',
            '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf')
    return tuple(os.path.join(d, n) for n in ('server.pem', 'server.key', 'ca.pem',
                                              'other.pem'))


def tmpdir(prefix='cc-it-'):
    """A new temp dir, removed at exit unless the test failed."""
    d = tempfile.mkdtemp(prefix=prefix)
    _dirs.append(d)
    return d


def _cleanup():
    for s in _servers:
        s._reap()
    for d in _dirs:
        if _failed:
            print(f'harness: kept {d}', file=sys.stderr)
        else:
            shutil.rmtree(d, ignore_errors=True)


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


def freeze(proc, what='the process', timeout=WAIT):
    """SIGSTOP proc (a subprocess.Popen child of this process) and return once the
    kernel reports it stopped. kill() returns before every thread of a multi-threaded
    process has stopped (threads not reached yet go on for a few ms), so a test that
    relies on a silent process must wait for the stop report: waitpid(WUNTRACED) gives
    it only once every thread stopped. A stop report does not reap the child, so
    proc.poll()/wait() work as before; if it exited instead, proc.returncode is set
    from its status (it was reaped here) and AssertionError says so."""
    assert proc.poll() is None, f'{what} is not running (exited {proc.returncode})'
    proc.send_signal(signal.SIGSTOP)
    deadline = time.monotonic() + timeout
    while True:
        pid, status = os.waitpid(proc.pid, os.WUNTRACED | os.WNOHANG)
        if pid == proc.pid and os.WIFSTOPPED(status):
            return
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            raise AssertionError(f'{what} exited ({proc.returncode}) instead of stopping')
        if time.monotonic() >= deadline:
            raise AssertionError(f'{what} not stopped within {timeout} s of SIGSTOP')
        time.sleep(0.001)


def thaw(proc):
    """SIGCONT: lets a freeze()d proc run again."""
    proc.send_signal(signal.SIGCONT)


def threads_stopped(pid):
    """Whether every thread of process pid is stopped: state T in each
    /proc/PID/task/TID/stat (the field after the command name, which is in parentheses
    and may hold any character)."""
    task = f'/proc/{pid}/task'
    states = []
    for tid in os.listdir(task):
        try:
            with open(f'{task}/{tid}/stat') as f:
                states.append(f.read().rsplit(')', 1)[1].split()[0])
        except FileNotFoundError:
            pass  # a thread that just ended
    return bool(states) and all(st == 'T' for st in states)


def wait_listening(proc, log_path, host, port, timeout=WAIT, ssl_context=None):
    """Waits until the daemon proc, logging to log_path, serves on port: its own log says
    "listening on ws://HOST:PORT/ws" (wss:// with ssl_context: a TLS server, whose
    /healthz is asked over https with that context; host as given to --listen), then
    GET /healthz on 127.0.0.1:port answers 200 while it still runs. Its own line first:
    a daemon that lost its port to another test's server must not take that server's
    /healthz for its own. Returns True when ready, False once it exited, None after
    timeout seconds (it is left running)."""
    scheme = 'wss' if ssl_context else 'ws'
    mark = f'listening on {scheme}://{host}:{port}/ws'
    url = f'http{"s" if ssl_context else ""}://{HOST}:{port}/healthz'
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        with open(log_path, 'rb') as f:
            listening = mark in f.read().decode(errors='replace')
        if listening:
            try:
                with urllib.request.urlopen(url, timeout=2, context=ssl_context) as r:
                    if r.status == 200 and proc.poll() is None:
                        return True
            except (urllib.error.URLError, OSError):
                pass
        time.sleep(0.05)
    return None


class Server:
    def __init__(self, args=(), start=True, rate_limits=False, env=None, tls=None):
        self.dir = tmpdir('cc-harness-')
        self.tls = tls  # (cert file, key file, CA file) or None
        self.data = os.path.join(self.dir, 'data')
        # Tests register and vote far faster than any person: rate limits are off
        # unless a test is about them.
        self.args = list(args) + ([] if rate_limits else ['--no-rate-limits'])
        if tls:
            self.args += ['--tls-cert', tls[0], '--tls-key', tls[1]]
        self.env = dict(env or {})  # added to the test's environment at each start
        self.proc = None
        self.runs = 0
        self.log_path = None
        _servers.append(self)
        if start:
            self.start()

    @property
    def ws_url(self):
        return f'ws{"s" if self.tls else ""}://{HOST}:{self.port}/ws'

    def url(self, path):
        return f'http{"s" if self.tls else ""}://{HOST}:{self.port}{path}'

    def _ssl(self):
        """urlopen's context: the test CA's for a TLS server, None otherwise."""
        if not self.tls:
            return None
        import ssl
        return ssl.create_default_context(cafile=self.tls[2])

    def start(self, ready_timeout=WAIT):
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
                    stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                    env={**os.environ, **self.env} if self.env else None)
            if self._wait_ready(ready_timeout):
                return
            text = self.log_text()
            if 'cannot listen' in text and attempt < 4:
                continue  # someone took the port between free_port() and the bind
            raise AssertionError(f'cocreated exited {self.proc.returncode} before it was '
                                 f'ready; its stderr:\n{text}')

    def _wait_ready(self, timeout):
        if wait_listening(self.proc, self.log_path, HOST, self.port, timeout,
                          self._ssl()) is None:
            self._reap()
            raise AssertionError(f'cocreated not ready after {timeout} s; its stderr:\n'
                                 + self.log_text())
        return self.proc.poll() is None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log_text(self):
        """The current (last started) run's log ('' before the first start)."""
        if self.log_path is None:
            return ''
        with open(self.log_path, 'rb') as f:
            return f.read().decode(errors='replace')

    def stop(self, expect_rc=0):
        """SIGTERM, then asserts the exit code and a clean sanitizer log."""
        assert self.running(), f'cocreated is not running:\n{self.log_text()}'
        self.proc.send_signal(signal.SIGTERM)
        self.wait_exit(expect_rc)

    def wait_exit(self, expect_rc=0):
        """Waits for the daemon to exit by itself (after a signal sent elsewhere), then
        asserts the exit code and a clean sanitizer log."""
        try:
            rc = self.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self._reap()
            raise AssertionError(f'cocreated did not exit within {WAIT} s:\n' + self.log_text())
        check_no_sanitizer_report(self.log_text())
        assert rc == expect_rc, f'cocreated exited {rc}, wanted {expect_rc}:\n' + self.log_text()

    def kill9(self):
        """SIGKILL (a crash); asserts only a clean sanitizer log."""
        assert self.proc is not None, 'cocreated was never started'
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
            with urllib.request.urlopen(req, timeout=WAIT, context=self._ssl()) as r:
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

    def scrape(self):
        """GET /metrics, checked with `promtool check metrics` (Debian's prometheus:
        the text format and Prometheus' naming rules), as {'name{labels}': value}."""
        status, _, body = self.get('/metrics')
        assert status == 200, status
        p = subprocess.run([PROMTOOL, 'check', 'metrics'], input=body, capture_output=True,
                           timeout=WAIT)
        assert p.returncode == 0, f'promtool check metrics: {(p.stdout + p.stderr).decode()}'
        out = {}
        for line in body.decode().splitlines():
            if line and not line.startswith('#'):
                series, value = line.rsplit(' ', 1)
                out[series] = float(value)
        return out

    def make_brand(self, name='acme', *args):
        """Creates brand account name (cocreated --make-brand on the data dir, running
        or not; args are passed on) and returns its token."""
        p = subprocess.run(daemon_command('--data', self.data, '--make-brand', name, *args),
                           capture_output=True, text=True, timeout=WAIT,
                           stdin=subprocess.DEVNULL)
        assert p.returncode == 0, f'--make-brand {name} exited {p.returncode}: {p.stderr}'
        return p.stdout.strip()


class Closed(Exception):
    """The connection closed while a reply or message was awaited."""


class Client:
    def __init__(self, ws):
        self.ws = ws
        self._next = 0
        self._pending = {}  # id -> future of its reply, until reply() collects it
        self.orphans = []   # replies nobody waits for by id, oldest first
        self.events = []    # pushed events not taken by event() yet, oldest first
        self._arrived = asyncio.Event()  # set when an orphan or event arrives
        self.closed = asyncio.Event()
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def connect(cls, srv, path='/ws', **kw):
        """A connection to srv (kw go to websockets.connect, e.g. local_addr); wss://
        checked against the test CA for a TLS server."""
        tls = getattr(srv, 'tls', None)
        if tls:
            kw.setdefault('ssl', srv._ssl())
        ws = await asyncio.wait_for(websockets.connect(
            f'ws{"s" if tls else ""}://{HOST}:{srv.port}{path}',
            subprotocols=['cocreate.v1'], max_size=None,
            compression=None, ping_interval=None, close_timeout=5, **kw), WAIT)
        return cls(ws)

    async def _read(self):
        try:
            async for frame in self.ws:
                msg = json.loads(frame)
                fut = self._pending.get(msg.get('id')) if 'id' in msg else None
                if 'ev' in msg and 'id' not in msg:
                    self.events.append(msg)
                elif fut is not None and not fut.done():
                    fut.set_result(msg)
                else:  # not asked for by id (or a second reply: the test will see it)
                    self.orphans.append(msg)
                self._arrived.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed.set()
            self._arrived.set()
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(Closed('connection closed before the reply'))
                    fut.exception()  # raised to whoever awaits it; never logged

    async def _wait(self, take, what, timeout):
        """take()'s first value that is not None, looked for each time a message
        arrives; Closed if the connection closes first, AssertionError after timeout."""
        deadline = time.monotonic() + timeout
        while True:
            v = take()
            if v is not None:
                return v
            if self.closed.is_set():
                raise Closed(f'connection closed while waiting for {what}')
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(),
                                       max(deadline - time.monotonic(), 0))
            except asyncio.TimeoutError:
                raise AssertionError(f'no {what} within {timeout} s')

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
        """The reply to request rid (from send(), or an id sent with send_raw());
        each is collected once."""
        if rid not in self._pending:  # sent raw: it may have come already
            for i, m in enumerate(self.orphans):
                if m.get('id') == rid:
                    return self.orphans.pop(i)
            if self.closed.is_set():
                raise Closed('connection closed before the reply')
            self._pending[rid] = asyncio.get_running_loop().create_future()
        fut = self._pending[rid]
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

    async def orphan(self, timeout=WAIT):
        """The next message that is neither an event nor a reply to send()/call()."""
        return await self._wait(lambda: self.orphans.pop(0) if self.orphans else None,
                                'message', timeout)

    async def event(self, name=None, timeout=WAIT, pred=None):
        """The next pushed event (named name, if given, and for which pred(ev) holds);
        the events it passes over stay in self.events."""
        def take():
            for i, ev in enumerate(self.events):
                if (name is None or ev['ev'] == name) and (pred is None or pred(ev)):
                    return self.events.pop(i)
            return None
        return await self._wait(take, f'event {name or ""}', timeout)

    async def events_before(self, name=None, timeout=WAIT, pred=None):
        """Waits as event(name, pred=pred) does for a marker event and returns (marker,
        before): before is the events that arrived ahead of it and are still in
        self.events (not taken by an earlier event() call), oldest first. The marker
        is taken out of self.events; the events before it stay there."""
        def take():
            for i, ev in enumerate(self.events):
                if (name is None or ev['ev'] == name) and (pred is None or pred(ev)):
                    before = self.events[:i]
                    return self.events.pop(i), before
            return None
        return await self._wait(take, f'event {name or ""}', timeout)

    async def no_event_until(self, forbidden, name=None, timeout=WAIT, pred=None):
        """A negative check with a barrier: waits for the marker event (as
        event(name, pred=pred)), then asserts that no event which arrived before it
        is forbidden — forbidden is an event name or a predicate of the event. The
        marker must be sent after anything the action under test could have sent
        (see the module docstring) and must not itself look like a forbidden event.
        Returns the marker."""
        bad = forbidden if callable(forbidden) else (lambda e: e['ev'] == forbidden)
        marker, before = await self.events_before(name, timeout, pred)
        came = [e for e in before if bad(e)]
        assert not came, f'forbidden events before the marker {marker}: {came}'
        return marker

    async def upload(self, kind, data, title='A design', tags=(), contest=None,
                     chunk=60000):
        """upload.begin, the bytes (unless the server has them) and upload.commit:
        commit's reply, or begin's when begin failed."""
        args = dict(kind=kind, title=title, tags=list(tags), bytes=len(data),
                    sha256=hashlib.sha256(data).hexdigest())
        if contest:
            args['contest'] = contest
        b = await self.call('upload.begin', **args)
        if not b['ok']:
            return b
        if not b['result']['have']:
            for off in range(0, len(data), chunk):
                await self.send_raw(data[off:off + chunk])
        return await self.call('upload.commit', upload=b['result']['upload'],
                               timeout=2 * WAIT)

    async def close(self):
        try:
            await asyncio.wait_for(self.ws.close(), WAIT)
        except (websockets.ConnectionClosed, OSError, asyncio.TimeoutError):
            pass  # the server went away during the closing handshake
        await self._reader


async def brand_server(args=(), now=None):
    """A new server (args) with a brand account 'acme' logged in: (srv, brand client,
    token); with now, the test clock (--test-clock must be in args) set to it."""
    srv = Server(start=False, args=tuple(args))
    token = srv.make_brand('acme')
    srv.start()
    brand = await Client.connect(srv)
    await brand.ok('auth.login', token=token)
    if now is not None:
        await brand.ok('test.clock', now=now)
    return srv, brand, token


async def until(cond, what, timeout=WAIT, interval=0.05):
    """Polls cond() (a function, or one returning an awaitable) until its value is
    true, and returns that value; AssertionError naming what and the last value after
    timeout seconds (a guard against hangs, never a speed check)."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if asyncio.iscoroutine(v):
            v = await v
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f'{what}: not within {timeout} s (last: {v!r})')
        await asyncio.sleep(interval)


async def register(srv, name):
    """A new client logged in as new account name (c.account, c.token)."""
    c = await Client.connect(srv)
    res = await c.ok('auth.register', name=name)
    c.account, c.token = res['account'], res['token']
    return c


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


async def login_problems(c, accounts):
    """Logs each {name: token} of accounts in on client c, 32 pipelined at a time: a
    list of lines 'account: NAME does not log in: REPLY', empty when all do."""
    problems = []
    items = sorted(accounts.items())
    for i in range(0, len(items), 32):
        chunk = items[i:i + 32]
        rids = [await c.send('auth.login', token=t) for _, t in chunk]
        for (name, _), rid in zip(chunk, rids):
            r = await c.reply(rid)
            if not (r['ok'] and r['result']['account']['name'] == name):
                problems.append(f'account: {name} does not log in: {r}')
    return problems


async def all_comments(c, design):
    """Every comment of design as c sees it (comment.list page by page, newest first),
    or the reply of the page that failed (a dict, not a list)."""
    out, before = [], None
    while True:
        args = dict(design=design, limit=100, **({'before': before} if before else {}))
        r = await c.call('comment.list', **args)
        if not r['ok']:
            return r
        out += r['result']['comments']
        if not r['result']['more']:
            return out
        before = r['result']['comments'][-1]['id']


def level(rows, **over):
    """A level document (bytes) from its rows; over replaces or adds fields."""
    doc = {'format': 'cocreate.level/1', 'width': len(rows[0]), 'height': len(rows),
           'rows': rows}
    doc.update(over)
    return json.dumps(doc).encode()


def simple_level(width=20, height=8, variant=0):
    """A small playable level; variant changes coins so the bytes differ."""
    rows = ['.' * width for _ in range(height)]
    rows[height - 2] = 'S' + '.' * (width - 2) + 'G'
    rows[height - 1] = '#' * width
    if variant:
        r = list(rows[1])
        for i in range(width):
            if (variant >> i) & 1:
                r[i] = 'o'
        rows[1] = ''.join(r)
    return level(rows)


def png_gradient(w, h, seed):
    """An RGBA PNG of a gradient that depends on seed (distinct bytes per seed)."""
    import struct
    import zlib
    rows = b''.join(b'\x00' + b''.join(bytes(((x * seed) % 251, (y * 7 + seed) % 253,
                                               seed % 255, 255)) for x in range(w))
                    for y in range(h))

    def chunk(k, d):
        return struct.pack('>I', len(d)) + k + d + struct.pack('>I', zlib.crc32(k + d))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 6, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b''))


def run(main):
    """Runs the async test main(); on any exception prints its traceback, keeps the
    temp dirs and exits 1 (the atexit cleanup kills every server still running)."""
    try:
        asyncio.run(main())
    except BaseException as e:  # noqa: B902 — a failing test must report whatever broke
        mark_failed()
        traceback.print_exc()
        print(f'FAIL: {type(e).__name__}: {e}'[:2000], file=sys.stderr)
        sys.exit(1)
