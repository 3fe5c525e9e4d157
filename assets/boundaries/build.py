#!/usr/bin/env python3
"""Builds italia.bin, the boundaries `type: map` charts draw, from openpolis' geojson-italy
(https://github.com/openpolis/geojson-italy, limits of June 2023 as published by ISTAT; data
copyright ISTAT, released by ISTAT and openpolis under CC BY 4.0). Run once when the limits change,
from a checkout of that repository:

    python3 assets/boundaries/build.py GEOJSON_ITALY_CHECKOUT assets/territories/istat.csv \
        > assets/boundaries/italia.bin

It reads the repository's TopoJSON files (already simplified by openpolis with mapshaper,
`-simplify 20% weighted`): topojson/limits_IT_regions.topo.json, limits_IT_provinces.topo.json and
the twenty limits_R_{1..20}_municipalities.topo.json. The shared borders of TopoJSON (arcs) are
kept: each arc is simplified once with Douglas-Peucker, its end points fixed, so neighbours still
meet exactly. Tolerance, measured on longitude x cos(latitude) and latitude, in degrees:
regions and provinces 0.002 (about 220 m), municipalities 0.0008 (about 90 m). Coordinates are then
rounded to 1e-4 degrees (about 10 m). Each area is keyed by its ISTAT code (region 05, province
028, municipality 028060) and carries a point well inside it for its label (polylabel: the
interior point farthest from the border, to 1e-3 degrees).

The format, all integers unsigned LEB128 varints, signed ones zigzag-encoded first:
    b"OSSB" 0x01, sets
    per set:   layer (0 region, 1 province, 2 municipality), arcs, areas
    per arc:   points, then x0 y0 (signed, units of 1e-4 degrees) and each next point as deltas
    per area:  code (length, UTF-8 bytes), label x y (signed), polygons
    per polygon: rings (the outer first, then holes); per ring: arcs, each a signed arc index
               (a negative ~i: arc i reversed, as TopoJSON writes it)

Codes of istat.csv without a shape, and shapes whose code istat.csv lacks, are listed on stderr.
"""
import csv
import heapq
import json
import math
import os
import sys

QUANTUM = 1e-4
TOLERANCE = {0: 0.002, 1: 0.002, 2: 0.0008}
LAYERS = [
    (0, "topojson/limits_IT_regions.topo.json", "reg_istat_code"),
    (1, "topojson/limits_IT_provinces.topo.json", "prov_istat_code"),
] + [
    (2, f"topojson/limits_R_{r}_municipalities.topo.json", "com_istat_code") for r in range(1, 21)
]


def varint(n, out):
    assert n >= 0
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return


def signed(n, out):
    varint((n << 1) if n >= 0 else ((-n << 1) - 1), out)


def decode_arcs(topo):
    """Arcs in degrees (TopoJSON arcs are quantised and delta-encoded when there is a transform)."""
    t = topo.get("transform")
    arcs = []
    for arc in topo["arcs"]:
        if t:
            (sx, sy), (tx, ty) = t["scale"], t["translate"]
            x = y = 0
            pts = []
            for dx, dy in arc:
                x += dx
                y += dy
                pts.append((x * sx + tx, y * sy + ty))
        else:
            pts = [tuple(p[:2]) for p in arc]
        arcs.append(pts)
    return arcs


def douglas_peucker(pts, tol):
    """The points of `pts` kept by Douglas-Peucker at `tol`, end points always kept; distances on
    the plane x = lon * cos(lat), y = lat, so a degree means the same distance both ways."""
    if len(pts) <= 2:
        return list(pts)
    k = math.cos(math.radians(sum(p[1] for p in pts) / len(pts)))
    xy = [(p[0] * k, p[1]) for p in pts]
    keep = [False] * len(pts)
    keep[0] = keep[-1] = True
    stack = [(0, len(pts) - 1)]
    while stack:
        a, b = stack.pop()
        (ax, ay), (bx, by) = xy[a], xy[b]
        dx, dy = bx - ax, by - ay
        norm = math.hypot(dx, dy)
        best, far = -1.0, None
        for i in range(a + 1, b):
            px, py = xy[i]
            if norm == 0:
                d = math.hypot(px - ax, py - ay)
            else:
                d = abs(dy * (px - ax) - dx * (py - ay)) / norm
            if d > best:
                best, far = d, i
        if far is not None and best > tol:
            keep[far] = True
            stack.append((a, far))
            stack.append((far, b))
    return [p for p, k_ in zip(pts, keep) if k_]


def ring_points(refs, arcs):
    out = []
    for r in refs:
        pts = arcs[r] if r >= 0 else list(reversed(arcs[~r]))
        out.extend(pts if not out else pts[1:])
    return out


def point_segment_distance(px, py, ax, ay, bx, by):
    dx, dy = bx - ax, by - ay
    if dx == 0 and dy == 0:
        return math.hypot(px - ax, py - ay)
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def signed_distance(x, y, rings):
    """Distance from (x, y) to the nearest border, positive inside (even-odd over all rings)."""
    inside, best = False, float("inf")
    for ring in rings:
        n = len(ring)
        for i in range(n):
            (ax, ay), (bx, by) = ring[i], ring[(i + 1) % n]
            if (ay > y) != (by > y) and x < (bx - ax) * (y - ay) / (by - ay) + ax:
                inside = not inside
            best = min(best, point_segment_distance(x, y, ax, ay, bx, by))
    return best if inside else -best


def polylabel(rings, precision):
    """Mapbox's polylabel: the interior point farthest from the border, by quadtree search."""
    xs = [p[0] for r in rings for p in r]
    ys = [p[1] for r in rings for p in r]
    x0, y0, x1, y1 = min(xs), min(ys), max(xs), max(ys)
    size = min(x1 - x0, y1 - y0)
    if size == 0:
        return (x0, y0)
    h = size / 2
    cells = []

    def push(x, y, h):
        d = signed_distance(x, y, rings)
        heapq.heappush(cells, (-(d + h * math.sqrt(2)), x, y, h, d))

    x = x0
    while x < x1:
        y = y0
        while y < y1:
            push(x + h, y + h, h)
            y += size
        x += size
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    best = (signed_distance(cx, cy, rings), cx, cy)
    while cells:
        _, x, y, h, d = heapq.heappop(cells)
        if d > best[0]:
            best = (d, x, y)
        if d + h * math.sqrt(2) - best[0] <= precision:
            continue
        h /= 2
        for ox in (-h, h):
            for oy in (-h, h):
                push(x + ox, y + oy, h)
    return best[1], best[2]


def quantise(p):
    return (round(p[0] / QUANTUM), round(p[1] / QUANTUM))


def encode_set(layer, topo, key, out):
    tol = TOLERANCE[layer]
    arcs = [douglas_peucker(a, tol) for a in decode_arcs(topo)]
    q_arcs = []
    for a in arcs:
        q = [quantise(p) for p in a]
        # Rounding can make neighbours coincide: one of them is enough.
        q = [p for i, p in enumerate(q) if i == 0 or p != q[i - 1]]
        if len(q) == 1:
            q.append(q[0])
        q_arcs.append(q)
    varint(layer, out)
    varint(len(q_arcs), out)
    for q in q_arcs:
        varint(len(q), out)
        px = py = 0
        for x, y in q:
            signed(x - px, out)
            signed(y - py, out)
            px, py = x, y
    (obj,) = topo["objects"].values()
    geoms = [g for g in obj["geometries"] if g.get("type") in ("Polygon", "MultiPolygon")]
    varint(len(geoms), out)
    codes = []
    for g in geoms:
        code = g["properties"][key]
        codes.append(code)
        polys = g["arcs"] if g["type"] == "MultiPolygon" else [g["arcs"]]
        rings = [ring_points(r, arcs) for p in polys for r in p]
        # The label goes in the largest polygon, by its outer ring's bounding box.
        def extent(p):
            pts = ring_points(p[0], arcs)
            return (max(x for x, _ in pts) - min(x for x, _ in pts)) * (
                max(y for _, y in pts) - min(y for _, y in pts)
            )
        main = max(polys, key=extent)
        label = polylabel([ring_points(r, arcs) for r in main], 1e-3)
        del rings
        b = code.encode("utf-8")
        varint(len(b), out)
        out.extend(b)
        lx, ly = quantise(label)
        signed(lx, out)
        signed(ly, out)
        varint(len(polys), out)
        for p in polys:
            varint(len(p), out)
            for r in p:
                varint(len(r), out)
                for ref in r:
                    signed(ref, out)
    return codes


def main(repo, istat_csv):
    out = bytearray(b"OSSB\x01")
    varint(len(LAYERS), out)
    shapes = {0: set(), 1: set(), 2: set()}
    for layer, path, key in LAYERS:
        with open(os.path.join(repo, path), encoding="utf-8") as f:
            topo = json.load(f)
        shapes[layer].update(encode_set(layer, topo, key, out))
    levels = {"regione": 0, "provincia": 1, "comune": 2}
    listed = {0: set(), 1: set(), 2: set()}
    for r in csv.DictReader(open(istat_csv, encoding="utf-8")):
        if r["level"] in levels:
            listed[levels[r["level"]]].add(r["istat"])
    for layer in (0, 1, 2):
        for c in sorted(listed[layer] - shapes[layer]):
            print(f"layer {layer}: {c} is in istat.csv but has no shape", file=sys.stderr)
        for c in sorted(shapes[layer] - listed[layer]):
            print(f"layer {layer}: shape {c} is not in istat.csv", file=sys.stderr)
    print(f"{len(out)} bytes", file=sys.stderr)
    sys.stdout.buffer.write(bytes(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
