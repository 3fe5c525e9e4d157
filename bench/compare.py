#!/usr/bin/env python3
"""Checks that osservatorio, DuckDB and Polars agree on every figure of a benchmark workload: every
value of osservatorio's indicators.csv (provinces, regions and the nation; months, quarters and the
year, as each indicator rolls up), the same keys from all three and each pair within a relative
difference of 1e-9 (osservatorio writes values to 9 decimals).

Usage: bench/compare.py DIR [WORKLOAD]   (after bench/run.sh has run the jobs in DIR; WORKLOAD day)
Prints one line: "agree: N figures" or what differs, and exits 1 if anything does. A tool whose
output is missing (DIR/duck/values.json, DIR/polars/values.json, DIR/out/indicators.csv) is an error.
"""
import csv
import itertools
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from workloads import workload  # noqa: E402


def osservatorio(root):
    """Every figure of DIR/out/indicators.csv with a value, at every level and grain."""
    ours = {}
    with open(os.path.join(root, "out", "indicators.csv"), newline="") as f:
        for r in csv.DictReader(f):
            if r["value"]:
                ours[f"{r['indicator']} {r['territory']} {r['period']}"] = float(r["value"])
    return ours


def peer(root, folder):
    with open(os.path.join(root, folder, "values.json")) as f:
        return json.load(f)


def disagreements(name_a, a, name_b, b):
    """Lines naming each key one side lacks and each value that differs."""
    lines = [f"only in {name_a}: {k}: {a[k]}" for k in sorted(set(a) - set(b))]
    lines += [f"only in {name_b}: {k}: {b[k]}" for k in sorted(set(b) - set(a))]
    lines += [f"different: {k}: {name_a} {a[k]} {name_b} {b[k]}" for k in sorted(a)
              if k in b and abs(a[k] - b[k]) > 1e-9 * max(1.0, abs(a[k]))]
    return lines


def main():
    root = sys.argv[1]
    work = workload(sys.argv[2] if len(sys.argv) > 2 else "day")
    tools = {"osservatorio": osservatorio(root), "DuckDB": peer(root, "duck"),
             "Polars": peer(root, "polars")}
    bad = 0
    for (na, a), (nb, b) in itertools.combinations(tools.items(), 2):
        lines = disagreements(na, a, nb, b)
        for line in lines[:10]:
            print(line)
        if lines:
            print(f"DISAGREE: {na} and {nb} differ on {len(lines)} of {len(set(a) | set(b))} figures")
        bad += len(lines)
    if bad:
        sys.exit(1)
    n = len(tools["DuckDB"])
    print(f"agree: {n} figures ({len(work['grain'])} indicators x territories x periods), "
          "osservatorio = DuckDB = Polars")


if __name__ == "__main__":
    main()
