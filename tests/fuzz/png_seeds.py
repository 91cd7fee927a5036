#!/usr/bin/python3
"""Writes the generated PNG seeds of the `png` and `artwork` fuzz targets (the real
samples are copied from assets/samples): one small image of every colour type and bit
depth PNG allows, plain and Adam7-interlaced, with and without tRNS, so that each path
of libpng's transforms and of png_io.c's row code starts from a valid input.

    tests/fuzz/png_seeds.py     # rewrites tests/fuzz/corpus/{png,artwork}/gen-*.png
"""
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
# colour type -> (name, channels, allowed bit depths)
TYPES = {0: ('gray', 1, (1, 2, 4, 8, 16)), 2: ('rgb', 3, (8, 16)),
         3: ('palette', 1, (1, 2, 4, 8)), 4: ('grayalpha', 2, (8, 16)),
         6: ('rgba', 4, (8, 16))}
ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2))


def chunk(kind, data):
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))


def pack_row(samples, depth):
    """Packs sample values (already in range) into bytes at depth bits each."""
    if depth == 8:
        return bytes(samples)
    if depth == 16:
        return b''.join(struct.pack('>H', s) for s in samples)
    out, acc, bits = bytearray(), 0, 0
    for s in samples:
        acc, bits = (acc << depth) | s, bits + depth
        if bits == 8:
            out.append(acc)
            acc, bits = 0, 0
    if bits:
        out.append(acc << (8 - bits))
    return bytes(out)


def image(w, h, ctype, depth, interlace, trns):
    _, ch, _ = TYPES[ctype]
    top = (1 << depth) - 1

    def px(x, y):
        if w >= 64:  # blocks of 8 x 8: a few hundred bytes compressed
            return [((x // 8 + y // 8 * 3 + c) * 2654435761) % (top + 1) for c in range(ch)]
        return [((x * 37 + y * 11 + c * 101) * 7919) % (top + 1) for c in range(ch)]

    def scan(xs, y):
        samples = [s for x in xs for s in px(x, y)]
        return bytes([y % 5 if w < 64 else 0]) + pack_row(samples, depth)

    raw = b''
    if interlace:
        for x0, y0, dx, dy in ADAM7:
            xs = list(range(x0, w, dx))
            if xs:
                for y in range(y0, h, dy):
                    raw += scan(xs, y)
    else:
        for y in range(h):
            raw += scan(range(w), y)
    # Filters other than 0 make wrong pixels but valid PNGs: libpng decodes them all.
    out = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, depth, ctype,
                                                            0, 0, interlace))
    if ctype == 3:
        n = 1 << depth
        out += chunk(b'PLTE', bytes((i * 53 + k * 91) % 256 for i in range(n) for k in range(3)))
        if trns:
            out += chunk(b'tRNS', bytes((i * 97) % 256 for i in range(n)))
    elif trns and ctype == 0:
        out += chunk(b'tRNS', struct.pack('>H', 1 % (top + 1)))
    elif trns and ctype == 2:
        out += chunk(b'tRNS', struct.pack('>HHH', 1, 2, 3))
    out += chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b'')
    return out


def main():
    for ctype, (name, _, depths) in TYPES.items():
        for depth in depths:
            for interlace in (0, 1):
                for trns in ((0, 1) if ctype in (0, 2, 3) else (0,)):
                    data = image(11, 9, ctype, depth, interlace, trns)
                    fn = f'gen-{name}{depth}{"-i" if interlace else ""}{"-t" if trns else ""}.png'
                    with open(os.path.join(HERE, 'corpus', 'png', fn), 'wb') as f:
                        f.write(data)
    # The artwork kind wants 64-6000 a side: a few at 64 x 64.
    for ctype, depth, interlace, trns in ((3, 4, 1, 1), (0, 16, 1, 0), (4, 8, 0, 0),
                                          (6, 16, 1, 0)):
        data = image(64, 64, ctype, depth, interlace, trns)
        fn = f'gen-{TYPES[ctype][0]}{depth}-64{"-i" if interlace else ""}.png'
        with open(os.path.join(HERE, 'corpus', 'artwork', fn), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
