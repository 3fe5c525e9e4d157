#!/usr/bin/env bash
# History growth: twelve monthly runs of the bundled project, each with one more month of 2025
# (bench/history_months.py cuts the bundled exports at the end of each month), then the size of
# the indicator history against one copy of the indicator table, in bytes and in rows.
#
# Usage: bench/history.sh          (OSSERVATORIO_BIN: the binary; default the release build, else
#                                   the debug one: sizes do not depend on the build)
# Needs: python3 with openpyxl and duckdb (pip install openpyxl duckdb).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
bin="${OSSERVATORIO_BIN:-}"
if [ -z "$bin" ]; then
  for b in "$target/release/osservatorio" "$target/debug/osservatorio"; do
    if [ -x "$b" ]; then bin="$b"; break; fi
  done
fi
[ -n "$bin" ] && [ -x "$bin" ] || { echo "no build: run cargo build (or set OSSERVATORIO_BIN)"; exit 2; }
python3 -c "import openpyxl, duckdb" 2>/dev/null || { echo "pip install openpyxl duckdb"; exit 2; }

dir="bench/work/history"
rm -rf "$dir"; mkdir -p "$dir"
cp -r pipelines indicators dashboards osservatorio.yaml territories.csv "$dir/"
echo "| run | month | figures stored | history bytes | table bytes | ratio |"
echo "|---|---|---|---|---|---|"
for m in $(seq 1 12); do
  month=$(printf "2025-%02d" "$m")
  rm -rf "$dir/data-samples"
  python3 bench/history_months.py data-samples "$dir/data-samples" "$month"
  # Each run on the day after its month's end, as an office's monthly run would be.
  today=$(python3 -c "import datetime as d; y,m=2025,$m; n=d.date(y+m//12, m%12+1, 1); print(n + d.timedelta(days=4))")
  OSSERVATORIO_LOG=warn OSSERVATORIO_TODAY="$today" "$bin" run --project "$dir" >/dev/null || true
  stored=$("$bin" runs --project "$dir" --limit 1 --format json | python3 -c "import json,sys; r=json.load(sys.stdin); r=r[0] if isinstance(r,list) else r; print(r.get('history_rows', 0))")
  hist=$(du -cb "$dir/warehouse/_history" | tail -1 | cut -f1)
  table=$(stat -c %s "$dir/out/indicators.parquet")
  python3 -c "print(f'| $m | $month | $stored | $hist | $table | {$hist/$table:.2f} |')"
done
python3 - "$dir" <<'PY'
import duckdb, glob, os, sys
d = sys.argv[1]
table = duckdb.sql(f"SELECT COUNT(*) FROM read_parquet('{d}/out/indicators.parquet')").fetchall()[0][0]
files = glob.glob(f"{d}/warehouse/_history/*.parquet")
states = duckdb.sql(f"SELECT COUNT(*) FROM read_parquet({files!r}, union_by_name = true)").fetchall()[0][0] if files else 0
inputs = len(glob.glob(f"{d}/warehouse/_history/*.inputs.json"))
print(f"\nrows: {states} figure states stored over the twelve runs, {table} figures in the table "
      f"({states / table:.2f} copies); {inputs} inputs records")
PY
