#!/usr/bin/env python3
"""Makes the demo content in assets/samples/: playable levels (JSON, SPEC §3
`cocreate.level/1`) and artworks (PNG, RGBA and palette, various sizes), procedurally
and deterministically (a fixed seed), using only Python's standard library.

    tools/samples/gen_samples.py [--out assets/samples] [--levels 24] [--artworks 24]

Levels are playable by construction: a ground run from the spawn to the goal whose
gaps are at most 3 cells wide and whose steps are at most 2 cells high, with
decorations (coins, enemies, water, platforms, spikes) placed off that path.
`cocreate lint` checks every one in the tests."""
import argparse
import json
import math
import os
import random
import struct
import zlib


# ---- levels ----

def make_level(rng, index):
    width = rng.choice([16, 24, 32, 48, 64, 96, 128, 200])
    height = rng.choice([8, 10, 12, 16, 20, 24])
    grid = [['.'] * width for _ in range(height)]
    # ground heights: the top ground row per column; walkable run with small steps
    base = height - 2
    tops = []
    h = base
    x = 0
    while x < width:
        run = rng.randint(3, 8)
        for _ in range(run):
            if x >= width:
                break
            tops.append(h)
            x += 1
        if x >= width - 4:
            continue
        r = rng.random()
        if r < 0.3 and x < width - 6:
            gap = rng.randint(1, 3)          # a pit the player can jump over
            for _ in range(gap):
                if x >= width - 3:
                    break
                tops.append(None)
                x += 1
        elif r < 0.65:
            h = max(3, min(base, h + rng.choice([-2, -1, 1, 2])))
    for col, top in enumerate(tops):
        if top is None:
            continue
        for row in range(top, height):
            grid[row][col] = '#'
    # pits: water at the bottom of some gaps (falling in is still death: no floor)
    for col, top in enumerate(tops):
        if top is None and rng.random() < 0.5:
            grid[height - 1][col] = '~'
    # the path is always possible (gaps ≤ 3, steps ≤ 2); spawn at left, goal at right
    first = next(c for c, t in enumerate(tops) if t is not None)
    last = max(c for c, t in enumerate(tops) if t is not None)
    grid[tops[first] - 1][first] = 'S'
    grid[tops[last] - 1][last] = 'G'
    # decorations: coins above the ground, enemies on it, floating platforms high up
    for col, top in enumerate(tops):
        if top is None or col in (first, last):
            continue
        above = top - 1
        r = rng.random()
        if r < 0.15 and above - 2 >= 0:
            grid[above - 2][col] = 'o'
        elif r < 0.22 and above >= 0:
            grid[above][col] = 'E'
    for _ in range(width // 16):
        col = rng.randint(0, width - 4)
        row = rng.randint(1, max(1, height // 3))
        for c in range(col, min(width, col + 3)):
            if grid[row][c] == '.' and (grid[row + 1][c] == '.'):
                grid[row][c] = '='
    # spikes only in a sealed pocket at the top-right corner of the sky (unreachable)
    if height >= 10 and width >= 24:
        grid[0][width - 1] = '^'
    return {
        "format": "cocreate.level/1",
        "width": width,
        "height": height,
        "rows": [''.join(r) for r in grid],
    }


# ---- artworks ----

def png_bytes(width, height, rows, color_type=6, palette=None, trns=None):
    """Encodes rows (bytes per row, no filter byte) as a PNG."""
    def chunk(kind, data):
        c = struct.pack('>I', len(data)) + kind + data
        return c + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)
    raw = b''.join(b'\x00' + r for r in rows)
    out = b'\x89PNG\r\n\x1a\n'
    out += chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, color_type, 0, 0, 0))
    if palette:
        out += chunk(b'PLTE', b''.join(bytes(c) for c in palette))
    if trns:
        out += chunk(b'tRNS', bytes(trns))
    out += chunk(b'IDAT', zlib.compress(raw, 9))
    out += chunk(b'IEND', b'')
    return out


def hsv(h, s, v):
    i = int(h * 6) % 6
    f = h * 6 - int(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    r, g, b = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]
    return int(r * 255), int(g * 255), int(b * 255)


def make_artwork(rng, index):
    size = rng.choice([64, 96, 128, 200, 256, 320, 400, 512])
    width, height = size, rng.choice([size, size * 3 // 4, size * 5 // 4])
    style = index % 4
    hue = rng.random()
    # A composition around the centre, every shape inside the canvas (a print is
    # placed by its canvas: art cut off at an edge would look cut off on the shirt).
    shapes = []
    for _ in range(rng.randint(2, 6)):
        cx = width * (0.5 + rng.uniform(-0.22, 0.22))
        cy = height * (0.5 + rng.uniform(-0.22, 0.22))
        rad = min(rng.uniform(0.12, 0.35) * size, cx - 1, width - 1 - cx, cy - 1, height - 1 - cy)
        shapes.append((cx, cy, rad, hsv((hue + rng.uniform(-0.15, 0.15)) % 1,
                                        rng.uniform(0.5, 1), rng.uniform(0.6, 1))))
    if style == 3:
        # palette image with a transparent background (PLTE + tRNS)
        palette = [(0, 0, 0)] + [s[3] for s in shapes]
        trns = [0] + [255] * len(shapes)
        rows = []
        for y in range(height):
            row = bytearray(width)
            for x in range(width):
                for i, (cx, cy, r, _) in enumerate(shapes):
                    if abs(x - cx) + abs(y - cy) < r:
                        row[x] = i + 1
            rows.append(bytes(row))
        return png_bytes(width, height, rows, color_type=3, palette=palette, trns=trns)
    rows = []
    for y in range(height):
        row = bytearray(width * 4)
        for x in range(width):
            r = g = b = a = 0
            if style == 1:  # stripes behind
                if (x + y) // max(4, size // 12) % 2 == 0:
                    r, g, b = hsv((hue + 0.5) % 1, 0.4, 0.9)
                    a = 160
            for cx, cy, rad, col in shapes:
                d = math.hypot(x - cx, y - cy)
                if style == 2:  # rings
                    inside = abs(d - rad) < rad * 0.25
                else:
                    inside = d < rad
                if inside:
                    r, g, b = col
                    a = 255 if style != 0 else int(255 * max(0.3, 1 - d / rad))
            row[x * 4:x * 4 + 4] = bytes((r, g, b, a))
        rows.append(bytes(row))
    return png_bytes(width, height, rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument('--out', default=os.path.join(here, '..', '..', 'assets', 'samples'))
    ap.add_argument('--levels', type=int, default=24)
    ap.add_argument('--artworks', type=int, default=24)
    ap.add_argument('--seed', type=int, default=2026)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    titles = ['Sunrise Run', 'Cavern Hop', 'Sky Steps', 'Pit Stop', 'Coin Road', 'Mossy Ridge',
              'Low Tide', 'High Road', 'Stone Stairs', 'Bramble Path', 'Dune Dash', 'Cliffside']
    manifest = []
    for i in range(args.levels):
        lvl = make_level(rng, i)
        name = f'level-{i + 1:02d}.json'
        with open(os.path.join(args.out, name), 'w') as f:
            json.dump(lvl, f, separators=(',', ':'))
        manifest.append({'file': name, 'kind': 'level',
                         'title': f'{titles[i % len(titles)]} {i // len(titles) + 1}',
                         'tags': ['demo', 'platformer']})
    art_titles = ['Bubbles', 'Stripes', 'Rings', 'Diamonds']
    for i in range(args.artworks):
        data = make_artwork(rng, i)
        name = f'artwork-{i + 1:02d}.png'
        with open(os.path.join(args.out, name), 'wb') as f:
            f.write(data)
        manifest.append({'file': name, 'kind': 'artwork',
                         'title': f'{art_titles[i % 4]} No. {i + 1}',
                         'tags': ['demo', art_titles[i % 4].lower()]})
    with open(os.path.join(args.out, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
    print(f'wrote {args.levels} levels and {args.artworks} artworks to {args.out}')


if __name__ == '__main__':
    main()
