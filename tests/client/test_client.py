"""ctest `client`: libcocreate's C test (test_client.c, $CC_CLIENT_TEST) against real
servers started here through harness.py: a plain one with a brand account, one with TLS
(a test CA and a certificate for 127.0.0.1 made with the openssl command), one the C
test stops and kills (its pid passed), one whose send queue is too small for most
replies (a policy close, 1008), a port where nothing listens, and a bare WebSocket
endpoint that records the close codes the library's connections end with. Each server's
log is checked for sanitizer reports as it stops."""
import asyncio
import os
import subprocess
import sys
import threading

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..',
                                'integration'))
from harness import (Server, WAIT, check_no_sanitizer_report, daemon_command,  # noqa: E402
                     free_port, make_pki, mark_failed, run, tmpdir)


def check_tls_flags(cert, key, ca, d):
    """cocreated refuses TLS files it cannot use at once: exit 2 and one line saying
    which file and why, before anything starts."""
    def refused(args, says):
        p = subprocess.run(daemon_command('--data', os.path.join(d, 'never'), *args),
                           capture_output=True, text=True, timeout=WAIT,
                           stdin=subprocess.DEVNULL)
        check_no_sanitizer_report(p.stdout + p.stderr)
        assert p.returncode == 2, (args, p.returncode, p.stderr)
        assert says in p.stderr and p.stderr.count('\n') == 1, (args, p.stderr)
        assert not os.path.exists(os.path.join(d, 'never')), 'it started'
    missing = os.path.join(d, 'missing.pem')
    refused(['--tls-cert', missing, '--tls-key', key],
            f'--tls-cert {missing}: No such file or directory')
    refused(['--tls-cert', cert, '--tls-key', missing],
            f'--tls-key {missing}: No such file or directory')
    refused(['--tls-cert', key, '--tls-key', key], 'no PEM certificate in it')
    refused(['--tls-cert', cert, '--tls-key', cert], 'no PEM private key in it')
    refused(['--tls-cert', cert, '--tls-key', ca.replace('ca.pem', 'ca.key')],
            'is not the key of the certificate')
    refused(['--tls-cert', cert], '--tls-cert and --tls-key go together')


class CloseRecorder:
    """A bare WebSocket endpoint (subprotocol cocreate.v1) on a thread of its own: it
    answers nothing and records the close code each connection ended with — the
    client's close frame's, or 1006 when the socket went without one."""

    def __init__(self):
        self.codes = []
        self.port = free_port()
        self.url = f'ws://127.0.0.1:{self.port}/ws'
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self.loop.run_until_complete,
                                       args=(self.serve(),), daemon=True)
        self.thread.start()
        assert self.ready.wait(WAIT), 'the close recorder did not start'

    async def handler(self, ws, _path):
        try:
            async for _ in ws:
                pass
        except websockets.ConnectionClosed:
            pass
        self.codes.append(ws.close_code)

    async def serve(self):
        self.done = asyncio.Event()
        async with websockets.serve(self.handler, '127.0.0.1', self.port,
                                    subprotocols=['cocreate.v1']):
            self.ready.set()
            await self.done.wait()

    def stop(self):
        self.loop.call_soon_threadsafe(self.done.set)
        self.thread.join(WAIT)


async def main():
    binary = os.environ['CC_CLIENT_TEST']
    closes = CloseRecorder()
    pki = tmpdir('cc-client-pki-')
    cert, key, ca, other_ca = make_pki(pki)
    check_tls_flags(cert, key, ca, pki)
    low = ('--password-cost', 'low')
    srv = Server(start=False, args=low)
    brand = srv.make_brand('acme')
    srv.start()
    tls = Server(args=low, tls=(cert, key, ca))
    victim = Server(args=low)
    # --send-queue: a reply past 64 bytes (hello's: ~250) closes its connection with 1008
    smallq = Server(args=(*low, '--send-queue', '64'))
    # rate limits on: a third registration from one address is rate_limited
    rated = Server(args=(*low, '--rate-registrations', '2/1h'), rate_limits=True)
    env = dict(os.environ, CC_URL=srv.ws_url, CC_BRAND_TOKEN=brand, CC_TLS_URL=tls.ws_url,
               CC_TLS_CA=ca, CC_OTHER_CA=other_ca, CC_VICTIM_URL=victim.ws_url,
               CC_VICTIM_PID=str(victim.proc.pid), CC_SMALLQ_URL=smallq.ws_url,
               CC_RATED_URL=rated.ws_url, CC_RATED_PID=str(rated.proc.pid),
               CC_DEAD_URL=f'ws://127.0.0.1:{free_port()}/ws', CC_CLOSE_URL=closes.url)
    p = subprocess.run([binary], env=env, timeout=4 * WAIT, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    print(p.stdout, end='')
    if p.returncode:
        mark_failed()
        sys.exit(f'test_client exited {p.returncode}')
    # the library printed nothing of its own (lws's lines start with a [time] stamp)
    noise = [line for line in p.stdout.splitlines() if line.startswith('[20')]
    assert not noise, f'the library printed: {noise[:5]}'

    closes.stop()
    assert closes.codes == [1000, 1000], closes.codes  # test_close_handshake's two
    victim.wait_exit(expect_rc=-9)  # killed by the test in the middle of an upload
    check_no_sanitizer_report(victim.log_text())
    rated.wait_exit(0)  # SIGTERM from the test: a graceful stop (its clients get 1001)
    for s in (srv, tls, smallq):
        s.stop()


if __name__ == '__main__':
    run(main)
