#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz target `cluster` (fuzz_cluster.c: one stream
message a line, GAP <tab> [CC-RECORD <tab> CC-PART <tab> CC-PARTS <tab>] PAYLOAD) from
the real change records of corpus/change, split into parts as cluster.c publishes them
(under ids of the form node.run.n), in the orders a stream may hold them. Run it from
anywhere; it rewrites corpus/cluster/seed-*."""
import glob
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'corpus', 'cluster')


def records():
    out = []
    for path in sorted(glob.glob(os.path.join(HERE, 'corpus', 'change', '*.json'))):
        with open(path, 'rb') as f:
            out.append(f.read().strip())
    return out


def parts(rec, n):
    size = -(-len(rec) // n)
    return [rec[i * size:(i + 1) * size] for i in range(n)]


def part_line(rid, k, n, data, gap=0):
    return b'%d\t%s\t%d\t%d\t%s' % (gap, rid, k, n, data)


def whole(rec, gap=0):
    return b'%d\t%s' % (gap, rec)


def main():
    recs = records()
    os.makedirs(OUT, exist_ok=True)
    for old in glob.glob(os.path.join(OUT, 'seed-*')):
        os.remove(old)
    seeds = {}
    # whole records, as most are
    seeds['whole'] = [whole(r) for r in recs[:8]]
    # one record in 3 parts, in order
    r = recs[12]
    seeds['parts-in-order'] = [part_line(b'n1.7.1', k, 3, p) for k, p in enumerate(parts(r, 3))]
    # two records' parts interleaved with whole records, out of order, one part twice
    a, b = parts(recs[13], 4), parts(recs[2], 2)
    seeds['interleaved'] = [
        part_line(b'n1.7.2', 2, 4, a[2]), whole(recs[20]), part_line(b'n2.3.9', 1, 2, b[1]),
        part_line(b'n1.7.2', 0, 4, a[0]), part_line(b'n1.7.2', 2, 4, a[2]),
        part_line(b'n2.3.9', 0, 2, b[0]), part_line(b'n1.7.2', 3, 4, a[3]),
        whole(recs[21]), part_line(b'n1.7.2', 1, 4, a[1])]
    # a part disagreeing on the count, malformed headers (no node of ours makes them)
    c = parts(recs[5], 2)
    seeds['malformed'] = [
        part_line(b'n1.7.3', 0, 2, c[0]), part_line(b'n1.7.3', 1, 3, c[1]),
        b'0\tn1.7.3\t01\t2\t' + c[1], b'0\tn1.7.3\t1\t+2\t' + c[1],
        b'0\tn1.7.3\t-1\t2\tx', b'0\tn1.7.3\t64\t65\tx', b'0\t\t0\t2\tx',
        b'0\tn1.7.4\t' + recs[6], b'0\tn1.7.5\t0\t' + recs[7],
        part_line(b'n1.7.3', 1, 2, c[1])]
    # a record whose last part comes after the span: dropped, then begun again
    d = parts(recs[9], 2)
    seeds['span'] = [part_line(b'n3.1.1', 0, 2, d[0]), whole(recs[1], gap=99999),
                     part_line(b'n3.1.1', 1, 2, d[1], gap=5), part_line(b'n3.1.1', 0, 2, d[0])]
    # the most parts a record may have
    seeds['max-parts'] = [part_line(b'n1.9.1', k, 64, p)
                          for k, p in reversed(list(enumerate(parts(recs[12] * 4, 64))))]
    for name, lines in seeds.items():
        with open(os.path.join(OUT, f'seed-{name}.txt'), 'wb') as f:
            f.write(b'\n'.join(lines) + b'\n')


if __name__ == '__main__':
    main()
