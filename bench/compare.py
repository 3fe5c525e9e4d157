#!/usr/bin/env python3
"""Checks that osservatorio and DuckDB agree on every figure of the benchmark: each indicator at its
own grain for every province, relative difference at most 1e-9.

Usage: bench/compare.py DIR   (after bench/run.sh has run both jobs in DIR)
"""
import csv
import json
import os
import sys

GRAIN = {"giornate_presenza": "month", "ospiti_distinti": "month", "occupazione": "month",
         "costo_giornata": "month", "durata_media": "year"}


def main():
    root = sys.argv[1]
    with open(os.path.join(root, "duck", "values.json")) as f:
        duck = json.load(f)
    ours = {}
    with open(os.path.join(root, "out", "indicators.csv"), newline="") as f:
        for r in csv.DictReader(f):
            if r["territory_level"] == "provincia" and GRAIN.get(r["indicator"]) == r["grain"] and r["value"]:
                ours[f"{r['indicator']} {r['territory']} {r['period']}"] = float(r["value"])
    missing = sorted(set(duck) - set(ours))
    extra = sorted(set(ours) - set(duck))
    differ = [k for k in duck if k in ours and abs(duck[k] - ours[k]) > 1e-9 * max(1.0, abs(duck[k]))]
    for name, keys in [("only in DuckDB", missing), ("only in osservatorio", extra), ("different", differ)]:
        for k in keys[:10]:
            print(f"{name}: {k}: duckdb {duck.get(k)} osservatorio {ours.get(k)}")
    if missing or extra or differ:
        print(f"DISAGREE: {len(missing)} missing, {len(extra)} extra, {len(differ)} different of {len(duck)}")
        sys.exit(1)
    print(f"agree: {len(duck)} figures (5 indicators x provinces x periods)")


if __name__ == "__main__":
    main()
