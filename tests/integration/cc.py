"""Test support for the integration tests of uploads, votes, galleries and live updates:
a real cocreated on a free loopback port with a temp data dir (Server), and a small
protocol client on asyncio + websockets (Client). Standard library + Debian's
python3-websockets only; run with /usr/bin/python3.

    srv = Server()                      # starts $COCREATED, waits for /healthz; with
                                        # --no-rate-limits unless rate_limits=True
    c = await Client.connect(srv)       # subprotocol cocreate.v1
    r = await c.call('hello')           # the whole reply {id, ok, result|error}
    res = await c.ok('auth.register', name='ann')   # result, or AssertionError
    err = await c.err('vote.cast', 'forbidden', design='1', value=1)
    ev = await c.event('gallery.update', timeout=2)
    await c.upload(kind, data, title=...) # begin + bytes + commit → the commit reply
    srv.stop()                          # SIGTERM; asserts exit 0 and a clean ASan log
    d = tmpdir('cc-it-x-')              # a temp dir removed at exit
Every Server's temp dir and every tmpdir() is removed at exit (servers still running
are killed first), unless the test failed: then they are kept and their paths printed.
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
SANITIZER_MARKS = ('ERROR: AddressSanitizer', 'runtime error:', 'LeakSanitizer',
                   'ERROR: UndefinedBehaviorSanitizer')


_servers = []
_dirs = []
_failed = False


def tmpdir(prefix='cc-it-'):
    """A new temp dir, removed at exit unless the test failed."""
    d = tempfile.mkdtemp(prefix=prefix)
    _dirs.append(d)
    return d


def _cleanup():
    for s in _servers:
        if s.proc and s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait()
    for d in _dirs:
        if _failed:
            print(f'cc: kept {d} (data and server logs)', file=sys.stderr)
        else:
            shutil.rmtree(d, ignore_errors=True)


atexit.register(_cleanup)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, args=(), data=None, rate_limits=False):
        self.dir = data or tmpdir('cc-it-')
        _servers.append(self)
        # Tests act far faster than any person: rate limits are off unless a test is
        # about them.
        self.args = list(args) + ([] if rate_limits else ['--no-rate-limits'])
        self.proc = None
        self.start()

    def start(self):
        self.port = free_port()
        self.log_path = os.path.join(self.dir, 'server.log')
        self.log = open(self.log_path, 'ab')
        # setpriv execs cocreated with a parent-death signal: a test that fails (or a
        # ctest timeout) leaves no server running behind it
        pre = ['setpriv', '--pdeathsig', 'KILL', '--'] if shutil.which('setpriv') else []
        self.proc = subprocess.Popen(
            [*pre, COCREATED, '--listen', f'127.0.0.1:{self.port}', '--data',
             os.path.join(self.dir, 'data'), *self.args],
            stdout=self.log, stderr=self.log)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f'cocreated exited {self.proc.returncode}:\n' + self.logtext())
            try:
                with urllib.request.urlopen(self.url('/healthz'), timeout=1) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.05)
        raise AssertionError('cocreated did not become ready:\n' + self.logtext())

    def url(self, path):
        return f'http://127.0.0.1:{self.port}{path}'

    def ws_url(self):
        return f'ws://127.0.0.1:{self.port}/ws'

    def logtext(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, 'rb') as f:
            return f.read().decode(errors='replace')

    def check_log(self):
        text = self.logtext()
        for mark in SANITIZER_MARKS:
            if mark in text:
                raise AssertionError('sanitizer report in the server log:\n' + text)

    def stop(self):
        if not self.proc or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=60)
        self.log.close()
        self.check_log()
        assert rc == 0, f'cocreated exited {rc}:\n' + self.logtext()

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self.log.close()

    def restart(self):
        self.stop()
        self.start()

    def get(self, path, headers=None):
        """(status, headers, body) of a GET."""
        req = urllib.request.Request(self.url(path), headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def metric(self, name):
        _, _, body = self.get('/metrics')
        for line in body.decode().splitlines():
            if line.startswith(name + ' '):
                return float(line.split()[1])
        raise AssertionError(f'no metric {name}')


class Client:
    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0
        self.replies = {}
        self.events = []
        self.orphans = []  # error replies with id null (e.g. about binary frames)
        self.waiters = []
        self.reader = asyncio.ensure_future(self._read())

    @classmethod
    async def connect(cls, srv, **kw):
        ws = await websockets.connect(srv.ws_url(), subprotocols=['cocreate.v1'],
                                      max_size=None, **kw)
        return cls(ws)

    async def _read(self):
        try:
            async for text in self.ws:
                msg = json.loads(text)
                if 'ev' in msg:
                    self.events.append(msg)
                elif msg.get('id') is None:
                    self.orphans.append(msg)
                else:
                    self.replies[msg['id']] = msg
                for w in self.waiters:
                    if not w.done():
                        w.set_result(None)
        except websockets.ConnectionClosed:
            pass
        finally:
            for w in self.waiters:
                if not w.done():
                    w.set_result(None)

    async def _wait(self, pred, timeout):
        deadline = time.time() + timeout
        while True:
            v = pred()
            if v is not None:
                return v
            if self.reader.done():
                raise AssertionError('connection closed while waiting')
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError('timed out waiting')
            fut = asyncio.get_event_loop().create_future()
            self.waiters.append(fut)
            try:
                await asyncio.wait_for(fut, left)
            except asyncio.TimeoutError:
                pass
            finally:
                self.waiters.remove(fut)

    async def send(self, op, **args):
        self.next_id += 1
        await self.ws.send(json.dumps({'id': self.next_id, 'op': op, **args}))
        return self.next_id

    async def reply(self, rid, timeout=30):
        return await self._wait(lambda: self.replies.pop(rid, None), timeout)

    async def call(self, op, timeout=30, **args):
        return await self.reply(await self.send(op, **args), timeout)

    async def ok(self, op, **args):
        r = await self.call(op, **args)
        assert r['ok'], f'{op} {args}: {r}'
        return r['result']

    async def err(self, op, code, **args):
        r = await self.call(op, **args)
        assert not r['ok'] and r['error']['code'] == code, f'{op} wanted {code}: {r}'
        return r['error']

    async def event(self, name, timeout=5, pred=lambda e: True):
        def find():
            for i, e in enumerate(self.events):
                if e['ev'] == name and pred(e):
                    return self.events.pop(i)
            return None
        return await self._wait(find, timeout)

    async def no_event(self, name, wait=0.5):
        await asyncio.sleep(wait)
        assert not [e for e in self.events if e['ev'] == name], self.events

    async def orphan(self, timeout=5):
        return await self._wait(lambda: self.orphans.pop(0) if self.orphans else None, timeout)

    async def upload(self, kind, data, title='A design', tags=(), contest=None, chunk=60000):
        args = dict(kind=kind, title=title, tags=list(tags), bytes=len(data),
                    sha256=hashlib.sha256(data).hexdigest())
        if contest:
            args['contest'] = contest
        b = await self.call('upload.begin', **args)
        if not b['ok']:
            return b
        if not b['result']['have']:
            for off in range(0, len(data), chunk):
                await self.ws.send(data[off:off + chunk])
        return await self.call('upload.commit', upload=b['result']['upload'], timeout=120)

    async def close(self):
        await self.ws.close()
        await self.reader


async def register(srv, name):
    """A new logged-in client and its account."""
    c = await Client.connect(srv)
    res = await c.ok('auth.register', name=name)
    c.account, c.token = res['account'], res['token']
    return c


def level(rows, **over):
    """A level document from its rows (as bytes)."""
    doc = {'format': 'cocreate.level/1', 'width': len(rows[0]), 'height': len(rows),
           'rows': rows}
    doc.update(over)
    return json.dumps(doc).encode()


def simple_level(width=20, height=8, variant=0):
    """A small playable level; variant changes a coin so the bytes differ."""
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


def run(main):
    """Runs an async test main; on a failed check prints where it failed (the
    traceback: a bare `assert` has no message) and exits 1."""
    try:
        asyncio.run(main())
    except AssertionError as e:
        global _failed
        _failed = True
        traceback.print_exc()
        print(f'FAIL: {e}'[:2000], file=sys.stderr)
        sys.exit(1)
