#!/usr/bin/env python3
"""DuckDB over the warehouse data files a published bundle names: the independent check of
`osservatorio reproduce`.

Usage:
  python3 tests/reproduce_duckdb.py sums BUNDLE WAREHOUSE SOURCE
      prints `period,presenti,msna` per month: the sums over the data files of SOURCE that the
      bundle's MANIFEST.json names (read as Parquet, nothing else of the warehouse);
  python3 tests/reproduce_duckdb.py double WAREHOUSE FILE
      rewrites the data file FILE (relative to WAREHOUSE) with every `presenti` doubled.

Exit 0 when done, 1 on a problem, 77 when DuckDB is not installed.
"""

import json
import os
import sys

try:
    import duckdb
except ImportError as e:  # the Rust test skips locally, fails in CI
    print(f"missing DuckDB: {e}; pip install duckdb")
    sys.exit(77)


def quoted(path):
    return "'" + path.replace("'", "''") + "'"


def sums(bundle, warehouse, source):
    with open(os.path.join(bundle, "MANIFEST.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    entry = next((s for s in manifest["sources"] if s["name"] == source), None)
    if entry is None or not entry.get("deliveries"):
        print(f"{source}: no data files in the manifest")
        return 1
    files = [os.path.join(warehouse, d["path"]) for d in entry["deliveries"]]
    listed = "[" + ", ".join(quoted(f) for f in files) + "]"
    rows = duckdb.sql(
        f"SELECT strftime(data, '%Y-%m') AS period, SUM(presenti) AS presenti, SUM(msna) AS msna "
        f"FROM read_parquet({listed}, hive_partitioning = false) GROUP BY 1 ORDER BY 1"
    ).fetchall()
    print("period,presenti,msna")
    for period, presenti, msna in rows:
        print(f"{period},{presenti},{msna}")
    return 0


def double(warehouse, rel):
    path = os.path.join(warehouse, rel)
    tmp = path + ".tmp"
    duckdb.sql(
        f"COPY (SELECT * REPLACE (presenti * 2 AS presenti) FROM read_parquet({quoted(path)}, hive_partitioning = false)) "
        f"TO {quoted(tmp)} (FORMAT parquet)"
    )
    os.replace(tmp, path)
    return 0


def main(argv):
    if len(argv) == 5 and argv[1] == "sums":
        return sums(argv[2], argv[3], argv[4])
    if len(argv) == 4 and argv[1] == "double":
        return double(argv[2], argv[3])
    print(__doc__)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
