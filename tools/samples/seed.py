#!/usr/bin/env python3
"""Seeds a running cocreated with the demo content of assets/samples/ through the
public protocol (the same path as any client): registers a few demo creators and
uploads every sample listed in manifest.json to the `open` contest.

    tools/samples/seed.py [--url ws://127.0.0.1:8080/ws] [--samples assets/samples]

Needs python3-websockets (Debian). Exits non-zero if any upload is refused."""
import argparse
import asyncio
import hashlib
import json
import os
import sys

import websockets

CREATORS = ['ada_designs', 'bo.builds', 'cy-creates', 'dee_draws']
CHUNK = 60 * 1024


class Client:
    def __init__(self, ws):
        self.ws, self.next_id = ws, 0

    async def call(self, op, **args):
        self.next_id += 1
        await self.ws.send(json.dumps({'id': self.next_id, 'op': op, **args}))
        while True:
            msg = json.loads(await self.ws.recv())
            if msg.get('id') == self.next_id:
                return msg
            if 'ev' not in msg and msg.get('ok') is False:
                return msg  # an error about the upload's bytes (id null)


async def seed(url, samples):
    with open(os.path.join(samples, 'manifest.json')) as f:
        manifest = json.load(f)
    clients = []
    for name in CREATORS:
        ws = await websockets.connect(url, subprotocols=['cocreate.v1'], max_size=None)
        c = Client(ws)
        r = await c.call('auth.register', name=name)
        if not r['ok']:
            raise SystemExit(f'seed: cannot register {name}: {r["error"]}')
        clients.append(c)
    stored = 0
    for i, item in enumerate(manifest):
        c = clients[i % len(clients)]
        with open(os.path.join(samples, item['file']), 'rb') as f:
            data = f.read()
        r = await c.call('upload.begin', kind=item['kind'], title=item['title'],
                         tags=item.get('tags', []), bytes=len(data),
                         sha256=hashlib.sha256(data).hexdigest())
        if not r['ok']:
            raise SystemExit(f'seed: {item["file"]}: {r["error"]}')
        if not r['result']['have']:
            for off in range(0, len(data), CHUNK):
                await c.ws.send(data[off:off + CHUNK])
        r = await c.call('upload.commit', upload=r['result']['upload'])
        if not r['ok']:
            raise SystemExit(f'seed: {item["file"]}: {r["error"]}')
        stored += 1
    for c in clients:
        await c.ws.close()
    print(f'seeded {stored} designs from {len(CREATORS)} demo creators', file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument('--url', default='ws://127.0.0.1:8080/ws')
    ap.add_argument('--samples', default=os.path.join(here, '..', '..', 'assets', 'samples'))
    args = ap.parse_args()
    asyncio.run(seed(args.url, args.samples))


if __name__ == '__main__':
    main()
