"""natsrun: real nats-server processes (JetStream) for the cluster-mode tests (issue 15,
SPEC §9) — one server for development or three clustered, always with credentials,
optionally with TLS — and a bare NATS client for what a test does by hand.

Standard library only; run with /usr/bin/python3. Needs Debian's nats-server (2.9.10)
and, for TLS, the openssl command (tools/setup/deps.sh installs both). Environment:
NATS_SERVER is the nats-server to run (default: the one on PATH).

NatsCluster — n servers on 127.0.0.1, free ports, each with its own config file and
JetStream store dir in a fresh temp dir (cc-nats-*):
    nc = NatsCluster(3, tls=False, bcrypt=False)  # n = 1 (development: streams of 1
                     # replica) or 3 (a cluster: routes to each other, streams of up to
                     # 3 replicas). Writes the configs (tls: a test CA and server
                     # certificate made with openssl; bcrypt: the configs hold bcrypt
                     # hashes of the users' passwords); nothing runs yet
    nc.start()       # starts every server, then wait_ready()
    nc.urls          # ['nats://127.0.0.1:P1', ...] ('tls://...' with tls=True)
    nc.url_arg       # the same, comma-joined: cocreated --cluster's value
    nc.creds_path    # a file holding 'user:password' (cocreated --cluster-creds)
    nc.user, nc.password             # that user: full JetStream in account COCREATE
    nc.sys_user, nc.sys_password     # the system account's user (SYS)
    nc.ca_path       # the test CA's certificate (cocreated --cluster-ca); None without tls
    nc.names         # ['n1', 'n2', 'n3']: each server_name (how /jsz names leaders)
    nc.cocreated_args('a')  # cocreated's cluster flags for node a: --cluster URLS --node
                     # a --cluster-creds FILE [--cluster-ca FILE] --stream-replicas n,
                     # e.g. harness.Server(args=nc.cocreated_args('a'))
    nc.dir           # the temp dir: nI/nats.conf, nI/store/ (JetStream's store_dir),
                     # nI/nats.R.log (one log per run), certs/, cocreated.creds
    nc.kill9(i)      # SIGKILL server i (0-based): a crash
    nc.freeze(i)     # SIGSTOP server i, returning only once the kernel reports it
                     # stopped (kill() returns while some of its threads still run and
                     # answer for a few ms): from then on it answers nothing
    nc.thaw(i)       # SIGCONT server i: it goes on where it stopped
    nc.stop_server(i)  # SIGINT server i: a clean shutdown (asserts exit 0)
    nc.restart(i)    # starts server i again: same ports, config and store dir (a killed
                     # or stopped one; a running one is stopped first). No wait: call
                     # wait_ready()
    nc.running(i)
    snap = nc.save_store(i)        # a copy of stopped server i's JetStream store
    nc.restore_store(i, snap)      # puts it back (server i stopped): with every server
                     # so rewound, the stream lost what came after the copies, as in a
                     # cluster-wide power cut before nats-server's fsync; restart them
    nc.wait_ready(timeout=WAIT)  # every running server answers /healthz?js-enabled-only
                     # =true with 200; with 3: they agree on one JetStream meta leader
                     # (/jsz) and each answers the full /healthz with 200 (current with
                     # the meta leader, every stream replica it holds current)
    nc.monitor(i, '/varz')           # server i's monitoring answer, parsed JSON
                                     # (MonitorError unless 200)
    nc.stream_info('COCREATE')       # the stream leader's view (None: no such stream):
        # {'name', 'first_seq', 'last_seq', 'messages', 'bytes', 'replicas', 'leader'
        #  (a server name), 'leader_index', 'peers' ([{name, current, offline, lag}]),
        #  'config' (as nats-server has it: storage, max_age in ns, ...), 'server'}
    nc.stream_info('COCREATE', i)    # server i's own view (None where it holds none)
    nc.stream_leader('COCREATE')     # the leader's index (None: no leader right now)
    nc.log_text(i)   # server i's log of its current run
    nc.stop()        # SIGINT every running server, waits (asserts exit 0)
  start() retries on other ports when a server lost a race for its ports. restart(i)
  keeps them: cocreated's --cluster list names them.

NatsClient — one NATS connection speaking the text protocol (no Python client here):
    c = nc.client(i=0)    # as the cocreated user (sys=True: the system account's)
    c = NatsClient(url, user, password, ca=None)  # NatsError('-ERR ...') if refused
    c.info                                    # the server's INFO
    c.publish(subject, data, headers=None)    # fire and forget (bytes or str)
    m = c.request(subject, data, headers=None, timeout=None)  # m.data, m.headers,
                                              # m.status, m.json(); NatsTimeout if none
    c.js('STREAM.CREATE.T', {'name': 'T', ...})  # a JetStream API call ($JS.API.*):
                                              # the reply; NatsError on {"error": ...}
    ack = c.js_publish('t.x', data, msg_id=None)  # {'stream', 'seq', 'duplicate'?}
    c.subscribe('$JS.API.>')  # keeps what comes on subject (wildcards allowed)
    ms = c.received()        # [Msg] on the subscribed subjects that the server sent before
                             # it answered a PING sent now (kept, too, while request()
                             # waited for its reply)
    c.close()

Helpers: wait_for(cond, what, timeout) polls cond() until it returns something true
(returned; an index 0 is not: return the dict holding it) or raises AssertionError
naming what; server_conf() is the config text
(tools/cluster and docs/operations.md use the same shape); make_certs(dir) makes a CA
and a server certificate for 127.0.0.1 and localhost; bcrypt_hash(password) is what a
config may hold instead of the password (docs/operations.md's command). For servers
natsrun did not start (tools/cluster), by monitoring port: monitor_get(port, path),
not_ready({name: port}, clustered) (why not, or None), stream_views({name: port},
stream) ({name: view}) and leader_view(views).

Every wait polls under a deadline (WAIT = 60 s unless given: a guard, never a speed
check). Cleanup follows harness.py: at exit every server still running is killed, and
the temp dir is removed unless the test failed (harness.run marks it; the path is
printed). Each server also dies with the test process (setpriv --pdeathsig).
"""
import atexit
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

from harness import HOST, WAIT, free_port, freeze, thaw, tmpdir

NATS_SERVER = os.environ.get('NATS_SERVER', 'nats-server')
CLUSTER_NAME = 'cocreate'
ACCOUNT = 'COCREATE'  # the account cocreated's user lives in, with JetStream

_clusters = []


def wait_for(cond, what, timeout=WAIT, interval=0.05):
    """cond()'s first true value, polled until timeout; AssertionError naming what (and
    the last exception cond raised, if any) when it never comes."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            v = cond()
            if v:
                return v
        except (OSError, MonitorError, NatsError, ValueError) as e:
            last = e
        if time.monotonic() >= deadline:
            raise AssertionError(f'no {what} within {timeout} s'
                                 + (f' (last: {last})' if last else ''))
        time.sleep(interval)


def bcrypt_hash(password, cost=11):
    """password's bcrypt hash ($2b$...), which nats-server accepts in place of the
    password in its config. Python's crypt module (libxcrypt; Python <= 3.12)."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        import crypt
    return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << cost))


def _q(s):
    return json.dumps(str(s))  # a quoted string of nats-server's config syntax


def server_conf(name, port, http_port, store_dir, user, password, sys_password,
                cluster_port=None, routes=(), route_user=None, route_password=None,
                tls=None, host=HOST, jetstream_limits=None):
    """The text of a nats-server 2.9 config: JetStream with its store dir; account
    COCREATE (JetStream enabled, one user) and the system account SYS; no anonymous
    access; monitoring on http_port. With cluster_port: a route listener of cluster
    'cocreate', authenticated, soliciting routes [(host, port)]. tls: {'cert', 'key',
    'ca'}: clients must use TLS (and the routes use it too). jetstream_limits:
    (max_memory_store, max_file_store) as nats-server sizes ('1G')."""
    out = [f'# nats-server config for Cocreate cluster mode (server {name})',
           f'server_name: {name}',
           f'listen: "{host}:{port}"',
           f'http: "{host}:{http_port}"  # monitoring, no authentication: keep it private',
           '',
           'jetstream {',
           f'  store_dir: {_q(store_dir)}']
    if jetstream_limits:
        out += [f'  max_memory_store: {jetstream_limits[0]}',
                f'  max_file_store: {jetstream_limits[1]}']
    out += ['}', '']
    if tls:
        out += ['tls {',
                f'  cert_file: {_q(tls["cert"])}',
                f'  key_file: {_q(tls["key"])}',
                '  timeout: 2',
                '}', '']
    out += ['# No user outside these accounts: a connection without credentials is refused.',
            'accounts {',
            f'  {ACCOUNT} {{',
            '    jetstream: enabled',
            f'    users: [ {{ user: {_q(user)}, password: {_q(password)} }} ]',
            '  }',
            '  SYS {',
            f'    users: [ {{ user: "sys", password: {_q(sys_password)} }} ]',
            '  }',
            '}',
            'system_account: SYS']
    if cluster_port is not None:
        cred = f'{route_user}:{route_password}@'
        out += ['',
                'cluster {',
                f'  name: {CLUSTER_NAME}',
                f'  listen: "{host}:{cluster_port}"',
                f'  authorization {{ user: {_q(route_user)}, password: {_q(route_password)},'
                ' timeout: 2 }',
                '  routes: [']
        out += [f'    "nats-route://{cred}{h}:{p}"' for h, p in routes]
        out += ['  ]']
        if tls:
            out += ['  tls {',
                    f'    cert_file: {_q(tls["cert"])}',
                    f'    key_file: {_q(tls["key"])}',
                    f'    ca_file: {_q(tls["ca"])}',
                    '    timeout: 2',
                    '  }']
        out += ['}']
    return '\n'.join(out) + '\n'


def make_certs(d, names=('127.0.0.1', 'localhost'), days=2):
    """A test CA and one server certificate (P-256) valid for names (IP addresses or
    DNS names), for serving and for routes (serverAuth, clientAuth), made with the
    openssl command in d. Returns {'ca', 'cert', 'key'} (paths)."""
    os.makedirs(d, exist_ok=True)
    p = {k: os.path.join(d, f) for k, f in (('ca', 'ca.pem'), ('ca_key', 'ca.key'),
                                            ('cert', 'server.pem'), ('key', 'server.key'),
                                            ('csr', 'server.csr'), ('ext', 'server.ext'))}
    san = ','.join(('IP:' if n.replace('.', '').isdigit() or ':' in n else 'DNS:') + n
                   for n in names)
    with open(p['ext'], 'w') as f:
        f.write('basicConstraints = critical, CA:FALSE\n'
                'keyUsage = critical, digitalSignature\n'
                'extendedKeyUsage = serverAuth, clientAuth\n'
                f'subjectAltName = {san}\n')
    key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
    for argv in (
            ['req', '-x509', *key, '-keyout', p['ca_key'], '-out', p['ca'],
             '-days', str(days), '-subj', '/CN=Cocreate test CA',
             '-addext', 'basicConstraints=critical,CA:TRUE',
             '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
            ['req', *key, '-keyout', p['key'], '-out', p['csr'],
             '-subj', f'/CN={names[0]}'],
            ['x509', '-req', '-in', p['csr'], '-CA', p['ca'], '-CAkey', p['ca_key'],
             '-set_serial', str(secrets.randbits(63)), '-days', str(days),
             '-extfile', p['ext'], '-out', p['cert']]):
        r = subprocess.run(['openssl', *argv], capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=WAIT)
        assert r.returncode == 0, f'openssl {" ".join(argv)}: {r.stderr}'
    os.chmod(p['key'], 0o600)
    os.chmod(p['ca_key'], 0o600)
    return {'ca': p['ca'], 'cert': p['cert'], 'key': p['key']}


class MonitorError(Exception):
    """A monitoring request answered other than 200 (or not JSON)."""


def monitor_get(port, path, timeout=5):
    """GET http://127.0.0.1:port/path of a nats-server's monitoring listener: the parsed
    JSON of a 200 answer; MonitorError with the status and body otherwise."""
    try:
        with urllib.request.urlopen(f'http://{HOST}:{port}{path}', timeout=timeout) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        raise MonitorError(f'{path}: {e.code} {e.read().decode(errors="replace")}')


def not_ready(servers, clustered):
    """Why the nats-servers servers ({name: monitoring port}) are not ready, or None:
    each answers /healthz?js-enabled-only=true with 200; clustered: they agree on one
    JetStream meta leader (/jsz) and each answers the full /healthz with 200."""
    if not servers:
        return 'no server running'
    leaders = set()
    for name, port in servers.items():
        for path in ('/healthz?js-enabled-only=true',) + (('/jsz',) if clustered else ()):
            try:
                out = monitor_get(port, path)
            except (OSError, MonitorError) as e:
                return f'{name}: {path}: {e}'
        if clustered:
            leaders.add((out.get('meta_cluster') or {}).get('leader') or '')
    if clustered and ('' in leaders or len(leaders) != 1):
        return f'JetStream meta leader not agreed: {sorted(leaders)}'
    for name, port in servers.items() if clustered else ():
        try:
            monitor_get(port, '/healthz')
        except (OSError, MonitorError) as e:
            return f'{name}: /healthz: {e}'
    return None


def stream_summary(detail, server):
    """One server's view of a stream (a stream_detail of its /jsz) in short."""
    state = detail.get('state') or {}
    cl, cfg = detail.get('cluster') or {}, detail.get('config') or {}
    return {'name': detail['name'], 'server': server,
            'first_seq': state.get('first_seq', 0), 'last_seq': state.get('last_seq', 0),
            'messages': state.get('messages', 0), 'bytes': state.get('bytes', 0),
            'replicas': cfg.get('num_replicas'), 'leader': cl.get('leader') or None,
            'peers': [{'name': p.get('name'), 'current': p.get('current', False),
                       'offline': p.get('offline', False), 'lag': p.get('lag', 0)}
                      for p in cl.get('replicas') or []],
            'config': cfg}


def stream_views(servers, name):
    """{server name: stream_summary} of stream name on each of servers ({name:
    monitoring port}) that holds a replica of it."""
    views = {}
    for server, port in servers.items():
        jsz = monitor_get(port, '/jsz?streams=true&accounts=true&config=true')
        for acc in jsz.get('account_details') or []:
            for st in acc.get('stream_detail') or []:
                if st.get('name') == name:
                    views[server] = stream_summary(st, server)
    return views


def leader_view(views):
    """The view, among stream_views(), of the server the views name as leader; None
    when no leader is named or its view is missing."""
    for v in views.values():
        if v['leader'] in views:
            return views[v['leader']]
    return None


def _pdeath(argv):
    pre = ['setpriv', '--pdeathsig', 'KILL', '--'] if shutil.which('setpriv') else []
    return pre + argv


class _Node:
    """One nats-server of a NatsCluster: its ports, dirs and process."""

    def __init__(self, index, base):
        self.index = index
        self.name = f'n{index + 1}'
        self.dir = os.path.join(base, self.name)
        self.conf = os.path.join(self.dir, 'nats.conf')
        self.store = os.path.join(self.dir, 'store')  # nats-server adds jetstream/
        os.makedirs(self.store, exist_ok=True)
        self.proc = None
        self.runs = 0
        self.log_path = None
        self.pick_ports()

    def pick_ports(self):
        self.port, self.http_port, self.cluster_port = free_port(), free_port(), free_port()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self):
        assert not self.running(), f'{self.name} already running'
        self.runs += 1
        self.log_path = os.path.join(self.dir, f'nats.{self.runs}.log')
        with open(self.log_path, 'wb') as log:
            self.proc = subprocess.Popen(_pdeath([NATS_SERVER, '-c', self.conf]),
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log)

    def log_text(self):
        if self.log_path is None:
            return ''
        with open(self.log_path, 'rb') as f:
            return f.read().decode(errors='replace')

    def reap(self):
        if self.running():
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait()


class NatsCluster:
    def __init__(self, n=1, tls=False, bcrypt=False):
        assert n in (1, 3), 'n is 1 (development) or 3 (a cluster)'
        self.n = n
        self.tls = tls
        self.bcrypt = bcrypt
        self.dir = tmpdir('cc-nats-')
        self.user, self.password = 'cocreated', secrets.token_hex(16)
        self.sys_user, self.sys_password = 'sys', secrets.token_hex(16)
        self.route_user, self.route_password = 'route', secrets.token_hex(16)
        self.creds_path = os.path.join(self.dir, 'cocreated.creds')
        fd = os.open(self.creds_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, 'w') as f:
            f.write(f'{self.user}:{self.password}\n')
        self.certs = make_certs(os.path.join(self.dir, 'certs')) if tls else None
        self.ca_path = self.certs['ca'] if tls else None
        self.nodes = [_Node(i, self.dir) for i in range(n)]
        self.names = [s.name for s in self.nodes]
        self._write_configs()
        _clusters.append(self)

    def _write_configs(self):
        routes = [(HOST, s.cluster_port) for s in self.nodes] if self.n > 1 else ()
        pw, sys_pw = self.password, self.sys_password
        if self.bcrypt:  # low cost: tests connect often
            pw, sys_pw = bcrypt_hash(pw, 4), bcrypt_hash(sys_pw, 4)
        for s in self.nodes:
            with open(s.conf, 'w') as f:
                f.write(server_conf(
                    s.name, s.port, s.http_port, s.store, self.user, pw, sys_pw,
                    cluster_port=s.cluster_port if self.n > 1 else None, routes=routes,
                    route_user=self.route_user, route_password=self.route_password,
                    tls=self.certs))

    @property
    def urls(self):
        scheme = 'tls' if self.tls else 'nats'
        return [f'{scheme}://{HOST}:{s.port}' for s in self.nodes]

    @property
    def url_arg(self):
        return ','.join(self.urls)

    def cocreated_args(self, node):
        ca = ['--cluster-ca', self.ca_path] if self.tls else []
        return ['--cluster', self.url_arg, '--node', node, '--cluster-creds',
                self.creds_path, *ca, '--stream-replicas', str(self.n)]

    def running(self, i):
        return self.nodes[i].running()

    def start(self, ready_timeout=WAIT):
        """Starts every server and waits until they are ready; on a lost race for a
        port, all of them again on new ports (their routes name each other's)."""
        for attempt in range(5):
            for s in self.nodes:
                s.start()
            try:
                self.wait_ready(ready_timeout)
                return
            except AssertionError:
                lost = any('address already in use' in s.log_text() for s in self.nodes)
                for s in self.nodes:
                    s.reap()
                if not lost or attempt == 4:
                    raise
            for s in self.nodes:
                s.pick_ports()
                shutil.rmtree(s.store, ignore_errors=True)
                os.makedirs(s.store)
            self._write_configs()

    def kill9(self, i):
        s = self.nodes[i]
        assert s.running(), f'{s.name} is not running:\n{s.log_text()}'
        s.proc.kill()
        s.proc.wait()

    def freeze(self, i):
        """SIGSTOP server i; returns once every thread of it stopped (harness.freeze:
        nats-server is our child, setpriv execs it)."""
        s = self.nodes[i]
        assert s.running(), f'{s.name} is not running:\n{s.log_text()}'
        freeze(s.proc, f'nats-server {s.name}')

    def thaw(self, i):
        thaw(self.nodes[i].proc)

    def stop_server(self, i):
        """SIGINT (nats-server's clean shutdown, exit 0; SIGTERM exits 1)."""
        s = self.nodes[i]
        assert s.running(), f'{s.name} is not running:\n{s.log_text()}'
        s.proc.send_signal(signal.SIGINT)
        try:
            rc = s.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            s.reap()
            raise AssertionError(f'{s.name} did not exit within {WAIT} s:\n{s.log_text()}')
        assert rc == 0, f'{s.name} exited {rc}:\n{s.log_text()}'

    def restart(self, i):
        if self.nodes[i].running():
            self.stop_server(i)
        self.nodes[i].start()

    def save_store(self, i):
        s = self.nodes[i]
        assert not s.running(), f'{s.name} is running: stop it before copying its store'
        s.saves = getattr(s, 'saves', 0) + 1
        dst = os.path.join(self.dir, f'{s.name}.store.{s.saves}')
        shutil.copytree(s.store, dst, symlinks=True)
        return dst

    def restore_store(self, i, snap):
        s = self.nodes[i]
        assert not s.running(), f'{s.name} is running: stop it before rewinding its store'
        shutil.rmtree(s.store)
        shutil.copytree(snap, s.store, symlinks=True)

    def stop(self):
        for i, s in enumerate(self.nodes):
            if s.running():
                self.stop_server(i)

    def log_text(self, i):
        return self.nodes[i].log_text()

    def monitor(self, i, path):
        return monitor_get(self.nodes[i].http_port, path)

    def _up(self):
        return {s.name: s.http_port for s in self.nodes if s.running()}

    def wait_ready(self, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while True:
            # a server that exited by itself (not killed or stopped by the test) failed
            dead = [s for s in self.nodes if s.proc is not None and not s.running()
                    and s.proc.returncode not in (0, -signal.SIGKILL)]
            if dead:
                s = dead[0]
                raise AssertionError(f'nats-server {s.name} exited {s.proc.returncode}; '
                                     f'its log:\n{s.log_text()}')
            why = not_ready(self._up(), self.n > 1)
            if why is None:
                return
            if time.monotonic() >= deadline:
                logs = '\n'.join(f'--- {s.name} ---\n{s.log_text()[-3000:]}'
                                 for s in self.nodes)
                raise AssertionError(f'NATS not ready after {timeout} s: {why}\n{logs}')
            time.sleep(0.05)

    def stream_info(self, name, i=None):
        """The stream as its leader sees it (i=None) or as server i does; None where
        there is no such stream (or, with i=None, no view from a running leader)."""
        if i is not None:
            up = self._up()
            mine = {self.names[i]: up[self.names[i]]} if self.names[i] in up else {}
            return stream_views(mine, name).get(self.names[i])
        view = leader_view(stream_views(self._up(), name))
        if view is not None:
            view['leader_index'] = self.names.index(view['server'])
        return view

    def stream_leader(self, name):
        info = self.stream_info(name)
        return None if info is None else info['leader_index']

    def client(self, i=0, sys=False):
        """A NatsClient connected to server i as the cocreated user (or the system
        account's)."""
        user, pw = (self.sys_user, self.sys_password) if sys else (self.user, self.password)
        return NatsClient(self.urls[i], user, pw, ca=self.ca_path)


def _reap_all():
    for c in _clusters:
        for s in c.nodes:
            s.reap()


atexit.register(_reap_all)  # after harness's: runs first, before its dirs are removed


class NatsError(Exception):
    """The server refused (-ERR), a JetStream API error, or no responders."""


class NatsTimeout(NatsError):
    """No reply within the timeout (a publish whose outcome is unknown)."""


class Msg:
    def __init__(self, subject, reply, headers, status, data, sid=None):
        self.subject, self.reply, self.headers = subject, reply, headers
        self.status, self.data, self.sid = status, data, sid

    def json(self):
        return json.loads(self.data)


class NatsClient:
    def __init__(self, url, user=None, password=None, ca=None, timeout=WAIT, name='natsrun'):
        u = urllib.parse.urlsplit(url)
        self.timeout = timeout
        self.sock = socket.create_connection((u.hostname, u.port), timeout=timeout)
        self._buf = b''
        line = self._line()
        if not line.startswith(b'INFO '):
            raise NatsError(f'no INFO from {url}: {line!r}')
        self.info = json.loads(line[5:])
        if u.scheme == 'tls' or self.info.get('tls_required'):
            ctx = ssl.create_default_context(cafile=ca)
            self.sock = ctx.wrap_socket(self.sock, server_hostname=u.hostname)
        connect = {'verbose': False, 'pedantic': False, 'name': name, 'lang': 'python',
                   'version': '0', 'protocol': 1, 'headers': True, 'no_responders': True,
                   'tls_required': u.scheme == 'tls'}
        if user is not None:
            connect.update(user=user, **{'pass': password})
        self._send(b'CONNECT ' + json.dumps(connect).encode() + b'\r\nPING\r\n')
        self._next()  # PONG, or NatsError
        self.inbox = f'_INBOX.{secrets.token_hex(8)}'
        self._n = 0
        self._sids = 1  # sid 1: the inbox; subscribe() takes the next ones
        self._kept = []
        self._send(f'SUB {self.inbox}.* 1\r\n'.encode())

    def _send(self, b):
        self.sock.sendall(b)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise NatsError('connection closed by the server')
        self._buf += chunk

    def _line(self):
        while b'\r\n' not in self._buf:
            self._fill()
        line, self._buf = self._buf.split(b'\r\n', 1)
        return line

    def _bytes(self, n):
        while len(self._buf) < n + 2:
            self._fill()
        b, self._buf = self._buf[:n], self._buf[n + 2:]
        return b

    def _next(self):
        """The next PONG or message (Msg); answers PINGs, skips +OK and INFO, raises
        NatsError on -ERR."""
        while True:
            line = self._line()
            op = line.split(b' ', 1)[0].upper()
            if op == b'PING':
                self._send(b'PONG\r\n')
            elif op == b'PONG':
                return 'PONG'
            elif op == b'-ERR':
                raise NatsError(line.decode(errors='replace'))
            elif op == b'MSG':
                f = line.decode().split()
                reply = f[3] if len(f) == 5 else None
                return Msg(f[1], reply, {}, None, self._bytes(int(f[-1])), f[2])
            elif op == b'HMSG':
                f = line.decode().split()
                reply = f[3] if len(f) == 6 else None
                raw = self._bytes(int(f[-1]))
                hlen = int(f[-2])
                head = raw[:hlen].decode().split('\r\n')
                status = head[0].split()[1] if len(head[0].split()) > 1 else None
                headers = dict(h.split(':', 1) for h in head[1:] if ':' in h)
                headers = {k.strip(): v.strip() for k, v in headers.items()}
                return Msg(f[1], reply, headers, status, raw[hlen:], f[2])

    @staticmethod
    def _frame(subject, data, headers, reply):
        data = data.encode() if isinstance(data, str) else bytes(data)
        r = f' {reply}' if reply else ''
        if not headers:
            return f'PUB {subject}{r} {len(data)}\r\n'.encode() + data + b'\r\n'
        h = ('NATS/1.0\r\n' + ''.join(f'{k}: {v}\r\n' for k, v in headers.items())
             + '\r\n').encode()
        return (f'HPUB {subject}{r} {len(h)} {len(h) + len(data)}\r\n'.encode()
                + h + data + b'\r\n')

    def publish(self, subject, data=b'', headers=None):
        self._send(self._frame(subject, data, headers, None))

    def request(self, subject, data=b'', headers=None, timeout=None):
        """The first reply; NatsError on no responders (status 503), NatsTimeout
        after timeout."""
        self._n += 1
        reply = f'{self.inbox}.{self._n}'
        self._send(self._frame(subject, data, headers, reply))
        self.sock.settimeout(timeout or self.timeout)
        try:
            while True:
                m = self._next()
                if isinstance(m, Msg) and m.subject == reply:
                    if m.status == '503':
                        raise NatsError(f'no responders on {subject}')
                    return m
                self._keep(m)
        except socket.timeout:
            raise NatsTimeout(f'no reply on {subject} within {timeout or self.timeout} s')
        finally:
            self.sock.settimeout(self.timeout)

    def _keep(self, m):
        if isinstance(m, Msg) and m.sid != '1':  # not a late reply to a request
            self._kept.append(m)

    def subscribe(self, subject):
        """Keeps every message on subject (wildcards allowed) for received(); returns
        once the server has the subscription (it answered a PING sent after it)."""
        self._sids += 1
        self._send(f'SUB {subject} {self._sids}\r\n'.encode())
        self._kept += self.received()

    def received(self):
        """The messages on subscribe()d subjects the server sent before it answered a
        PING sent now (it answers in order), with those kept while request() waited."""
        self._send(b'PING\r\n')
        while (m := self._next()) != 'PONG':
            self._keep(m)
        out, self._kept = self._kept, []
        return out

    def js(self, api, req=None, timeout=None):
        """A JetStream API request ($JS.API.<api>) with req as JSON: the reply object;
        NatsError when it holds an error."""
        m = self.request(f'$JS.API.{api}', json.dumps(req).encode() if req else b'',
                         timeout=timeout)
        out = m.json()
        if out.get('error'):
            raise NatsError(f'$JS.API.{api}: {out["error"]}')
        return out

    def js_publish(self, subject, data, msg_id=None, headers=None, timeout=None):
        """Publishes into the stream holding subject and returns JetStream's ack
        ({'stream', 'seq', 'duplicate'?}); NatsError when refused."""
        h = dict(headers or {})
        if msg_id is not None:
            h['Nats-Msg-Id'] = msg_id
        out = self.request(subject, data, h or None, timeout).json()
        if out.get('error'):
            raise NatsError(f'publish to {subject}: {out["error"]}')
        return out

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
