#!/usr/bin/env python3
"""The layers of server/ (issue 14): no circle of modules, and only the op files and
the dispatcher include ops.h.

A module is a .c and its .h, with the files of its inside (see mod()). An edge M -> N
means M includes N's header, or includes a header declaring a function that N's .c
defines (so a table of functions declared in one header and defined in several files,
like changes_int.h, counts as calls into those files). Prints the circles and exits 1
if there is one."""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..',
                                                           'server')
files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs
               if f.endswith(('.c', '.h')))


def text(path):
    with open(path, errors='replace') as f:
        return f.read()


# The files of one module: X.c, X.h, X_int.h (its private header) and any .c that
# includes X_int.h (the module split by job: catalog_page.c, change_vote.c); the op
# handlers ops_*.c are the op layer, one module with ops.c behind ops.h.
inside = {}
for f in files:
    if f.endswith('.c'):
        for inc in re.findall(r'^\s*#include "(\w+)_int\.h"', text(f), re.M):
            inside[f] = inc


def mod(path):
    if path in inside:
        return inside[path]
    m = os.path.splitext(os.path.basename(path))[0]
    if m.startswith('ops_'):
        return 'ops'
    return m[:-4] if m.endswith('_int') else m


mods = {mod(f) for f in files}
defined = {}  # function name -> module defining it
declared = {}  # header path -> function names
for f in files:
    t = text(f)
    if f.endswith('.c'):
        for m in re.finditer(r'^[a-z][^;{}()\n]*?\b(\w+)\([^;{]*\)\s*\{', t, re.M):
            defined[m.group(1)] = mod(f)
    else:
        declared[os.path.basename(f)] = re.findall(r'^[a-z][^;{}()\n#]*?\b(\w+)\([^;{]*\);', t,
                                                   re.M)
graph = {m: set() for m in mods}
includers_of_ops = []
for f in files:
    for inc in re.findall(r'^\s*#include "([^"]+)"', text(f), re.M):
        if inc == 'ops.h':
            includers_of_ops.append(os.path.basename(f))
        targets = {mod(inc)} if mod(inc) in mods else set()
        targets |= {defined[n] for n in declared.get(inc, []) if n in defined}
        graph[mod(f)] |= {t for t in targets if t != mod(f)}

index, low, stack, on, circles, counter = {}, {}, [], set(), [], [0]
sys.setrecursionlimit(10000)


def visit(v):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    on.add(v)
    for w in sorted(graph[v]):
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            circles.append(sorted(comp))


for v in sorted(graph):
    if v not in index:
        visit(v)
bad_ops = sorted(f for f in includers_of_ops
                 if not (f.startswith('ops') and f.endswith('.c')) and f != 'proto.c')
for c in circles:
    print('circle:', ' '.join(c))
for f in bad_ops:
    print('includes ops.h but is not an op file or the dispatcher:', f)
print(f'layers: {len(mods)} modules, {sum(len(e) for e in graph.values())} edges, '
      f'{len(circles)} circles')
sys.exit(1 if circles or bad_ops else 0)
