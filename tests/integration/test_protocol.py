"""ctest `protocol` (issue 2): the envelope and accounts of SPEC §2 and §4 on a real
cocreated. hello; auth.register / auth.login and the name rules; every envelope error
(bad_json, bad_args on id and op, unknown_op), a request read in place or by jansson
alike, ids echoed as sent (to the ends of int64) and the 64 KiB text frame limit at and
past it, each followed by a hello on the same connection; pipelined replies matched by
id; a binary frame with no upload; the /ws path; HTTP /healthz, /metrics and 404."""
import asyncio
import json
import re

import websockets

from harness import Client, Server, run

LIMIT = 65536  # SPEC §6: a text frame is at most 64 KiB
checks = 0


async def still_usable(c):
    global checks
    checks += 1
    assert (await c.call('hello'))['ok'], 'the connection stopped answering hello'


async def raw_error(c, frame, code):
    """Sends frame as is; its error reply (id null) must have this code."""
    await c.send_raw(frame)
    m = await c.orphan()
    assert m['ok'] is False and m['error']['code'] == code and m['id'] is None, \
        f'{frame[:80]!r}: wanted {code} with id null, got {m}'
    await still_usable(c)
    return m['error']


def padded_hello(rid, size):
    """A hello request of exactly `size` bytes (whitespace before the closing brace)."""
    head = json.dumps({'id': rid, 'op': 'hello'})[:-1]
    text = head + ' ' * (size - len(head) - 1) + '}'
    assert len(text.encode()) == size
    return text


async def test_hello(c):
    h = await c.ok('hello', client='test_protocol')
    assert h['server'] == 'cocreated', h
    assert isinstance(h['version'], str) and h['version'], h
    assert h['limits']['text_frame_bytes'] == LIMIT, h


async def test_accounts(srv, c):
    r = await c.ok('auth.register', name='Ann_1.x-y')
    acc, token = r['account'], r['token']
    # SPEC §2's account, plus has_password: the account's own view (SPEC §7)
    assert set(acc) == {'id', 'name', 'role', 'created', 'points', 'has_password'}, acc
    assert acc['has_password'] is False
    assert isinstance(acc['id'], str) and acc['id'], acc
    assert acc['name'] == 'Ann_1.x-y' and acc['role'] == 'member' and acc['points'] == 0, acc
    assert isinstance(acc['created'], int) and acc['created'] > 1_600_000_000, acc
    assert re.fullmatch(r'[0-9a-f]{64}', token), token

    other = await Client.connect(srv)
    assert (await other.ok('auth.login', token=token))['account'] == acc
    await other.close()

    for name in ('abc', 'x' * 32, 'A.b_C-9'):
        got = await c.ok('auth.register', name=name)
        assert got['account']['name'] == name, got
    bad = ('ab', 'y' * 33, '', 'has space', 'caf\u00e9', 'a/b/c', 'tab\there', 'ok?',
           'z' * 300)
    for name in bad:
        e = await c.err('auth.register', 'bad_args', name=name)
        assert e['detail']['field'] == 'name', (name, e)
    for value in (7, None, ['abc'], {'n': 'abc'}):
        e = await c.err('auth.register', 'bad_args', name=value)
        assert e['detail']['field'] == 'name', (value, e)
    e = await c.err('auth.register', 'bad_args')
    assert e['detail']['field'] == 'name', e

    bob = await c.ok('auth.register', name='Bob')
    for name in ('bob', 'BOB', 'bOb'):
        await c.err('auth.register', 'conflict', name=name)
    # the refused registrations created nothing: Bob still logs in as Bob
    assert (await c.ok('auth.login', token=bob['token']))['account']['name'] == 'Bob'

    await c.err('auth.login', 'unauthorized', token='0' * 64)
    flipped = token[:-1] + ('0' if token[-1] != '0' else '1')
    await c.err('auth.login', 'unauthorized', token=flipped)
    await c.err('auth.login', 'unauthorized', token='not-a-token')
    e = await c.err('auth.login', 'bad_args')
    assert e['detail']['field'] == 'token', e
    for value in (123, None, [token]):
        e = await c.err('auth.login', 'bad_args', token=value)
        assert e['detail']['field'] == 'token', e
    await still_usable(c)


async def test_envelope(c):
    for frame in ('nope', '{"id":1,"op":"hello"', '{"id":1,"op":"hello"}}', '',
                  '{"id":1,"id":2,"op":"hello"}', '{"id":1,"op":"hello","op":"hello"}'):
        await raw_error(c, frame, 'bad_json')
    for frame in ('[1,2]', '[]', '42', '-1.5', '"hello"', 'null', 'true'):
        await raw_error(c, frame, 'bad_json')

    for frame in ('{"op":"hello"}', '{"id":"7","op":"hello"}', '{"id":1.5,"op":"hello"}',
                  '{"id":null,"op":"hello"}'):
        e = await raw_error(c, frame, 'bad_args')
        assert e['detail']['field'] == 'id', (frame, e)
    for rid, frame in ((1001001, '{"id":1001001}'), (1001002, '{"id":1001002,"op":17}'),
                       (1001003, '{"id":1001003,"op":null}')):
        await c.send_raw(frame)
        m = await c.orphan()
        assert m['id'] == rid and m['ok'] is False, (frame, m)
        assert m['error']['code'] == 'bad_args' and m['error']['detail']['field'] == 'op', m
        await still_usable(c)

    # an ok reply carries the request's id as it came, at the ends of the integers too
    for rid in (0, -7, 2 ** 62 + 3, 2 ** 63 - 1, -2 ** 63):
        frame = '{"id":%d,"op":"hello"}' % rid
        await c.send_raw(frame)
        m = await c.orphan()
        assert m['id'] == rid and m['ok'] is True, (frame, m)

    r = await c.call('no.such.op')
    assert r['ok'] is False and r['error']['code'] == 'unknown_op', r
    await c.send_raw('{"id":1001004,"op":"auth.registerx","name":"abc"}')
    m = await c.orphan()
    assert m['id'] == 1001004 and m['error']['code'] == 'unknown_op', m
    # test.clock exists only with --test-clock
    await c.err('test.clock', 'unknown_op', now=5)
    await still_usable(c)


async def test_two_readers(c):
    """A request is read in place (jflat: a flat object of plain values) or by jansson
    (anything else: an escape, a nested member); either way its arguments are the same,
    and so is the reply, errors too."""
    async def reply(frame):
        await c.send_raw(frame)
        m = await c.orphan()
        m.pop('id')
        return m

    rid = 1003000
    for args, code in (('"client":"a"', None), ('"sort":"top","limit":2', None),
                       ('"sort":"top","offset":0,"limit":1', None),
                       ('"sort":5', 'bad_args'), ('"sort":null', 'bad_args'), ('', 'bad_args'),
                       ('"sort":"top","limit":0', 'bad_args'),
                       ('"sort":"top","limit":"2"', 'bad_args'),
                       ('"sort":"top","contest":true', 'bad_args')):
        op = 'hello' if 'client' in args else 'gallery.get'
        rid += 1
        flat = '{"id":%d,"op":"%s"%s}' % (rid, op, ',' + args if args else '')
        tree = '{"id":%d,"op":"%s","unused":[{"x":1}]%s}' % (rid, op, ',' + args if args else '')
        escaped = flat.replace('"op"', '"\\u006fp"')
        a, b, e = await reply(flat), await reply(tree), await reply(escaped)
        assert a == b == e, (flat, a, b, e)
        assert a['ok'] is (code is None) and (code is None or a['error']['code'] == code), a
    await still_usable(c)


async def test_frames(c):
    await c.send_raw(padded_hello(1002001, LIMIT))
    m = await c.orphan()
    assert m['id'] == 1002001 and m['ok'] is True, f'a {LIMIT}-byte frame was refused: {m}'
    for size in (LIMIT + 1, 1 << 20):
        await raw_error(c, padded_hello(1002002, size), 'too_large')
    # a fragmented message counts as one: whole when small, too large past the limit
    await c.send_raw(['{"id":1002003,', '"op":"hello"}'])
    m = await c.orphan()
    assert m['id'] == 1002003 and m['ok'] is True, m
    text = padded_hello(1002004, LIMIT + 1)
    await raw_error(c, [text[:40000], text[40000:]], 'too_large')
    text = padded_hello(1002005, LIMIT)
    await c.send_raw([text[:30000], text[30000:]])
    m = await c.orphan()
    assert m['id'] == 1002005 and m['ok'] is True, m

    # a binary frame with no upload in progress
    for frame in (b'\x00\x01\x02', b'x' * 70000):
        await c.send_raw(frame)
        m = await c.orphan()
        assert m['ok'] is False and m['error']['code'] == 'bad_args', m
        await still_usable(c)


async def test_pipelining(c):
    ids = [await c.send('hello') for _ in range(200)]
    names = [f'pipe{i}' for i in range(100)]
    regs = [await c.send('auth.register', name=n) for n in names]
    dup = [await c.send('auth.register', name=n.upper()) for n in names[:20]]
    for rid in reversed(ids):
        r = await c.reply(rid)
        assert r['id'] == rid and r['ok'], r
    for rid, name in zip(regs, names):
        r = await c.reply(rid)
        assert r['id'] == rid and r['ok'] and r['result']['account']['name'] == name, r
    for rid in dup:
        r = await c.reply(rid)
        assert r['id'] == rid and r['error']['code'] == 'conflict', r
    # nothing left over: no reply came twice or without its request
    await still_usable(c)
    assert not c.orphans, c.orphans


async def test_paths_and_http(srv):
    for path in ('/', '/other', '/ws/', '/wss', '/healthz'):
        try:
            ws = await asyncio.wait_for(websockets.connect(
                f'ws://127.0.0.1:{srv.port}{path}', subprotocols=['cocreate.v1']), 30)
        except (websockets.InvalidHandshake, ConnectionError, EOFError):
            continue
        await ws.close()
        raise AssertionError(f'the WebSocket upgrade on {path} was accepted')

    status, headers, body = srv.get('/healthz')
    assert status == 200 and body == b'ok\n', (status, body)
    status, headers, body = srv.get('/metrics')
    assert status == 200 and headers['content-type'].startswith('text/plain'), status
    text = body.decode()
    m = re.search(r'^cocreate_requests_total (\d+)$', text, re.M)
    assert m and int(m.group(1)) > 0, text
    assert '# TYPE cocreate_requests_total counter' in text, text
    for line in text.splitlines():  # Prometheus text: comments or "name{labels} value"
        # (the format itself, by promtool, is test_metrics')
        assert line.startswith('#') or re.fullmatch(r'[a-z_]+(\{[^}]*\})? [0-9.e+-]+', line), line
    for path in ('/nothing-here', '/healthz/x', '/ws2', '/t/', '/t/abc.png'):
        assert srv.get(path)[0] == 404, path


async def main():
    srv = Server()
    c = await Client.connect(srv)
    await test_hello(c)
    await test_accounts(srv, c)
    await test_envelope(c)
    await test_two_readers(c)
    await test_frames(c)
    await test_pipelining(c)
    await test_paths_and_http(srv)
    await c.close()
    srv.stop()
    print(f'protocol: ok (hello, accounts, envelope errors, frame limits, pipelining, '
          f'paths and HTTP; connection usable after {checks} errors)')


run(main)
