#!/usr/bin/env bash
# The national-scale benchmark: osservatorio against DuckDB on the same job (three CSV exports to
# Parquet, then five indicators), alternated ROUNDS times per scale, then an unchanged rerun; every
# value is compared (bench/compare.py). Prints wall time (best of the rounds), peak RSS and ratios.
#
# Usage: bench/run.sh [SCALE...]           (default: 0.25 1; ROUNDS=3)
# Needs: a release build (cargo build --release), python3 with duckdb (pip install duckdb), GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
bin="${OSSERVATORIO_BIN:-$target/release/osservatorio}"
rounds="${ROUNDS:-3}"
[ -x "$bin" ] || { echo "no release build at $bin: run cargo build --release (or set OSSERVATORIO_BIN)"; exit 2; }
[ -x /usr/bin/time ] || { echo "GNU time is needed for peak memory: apt-get install time"; exit 2; }
python3 -c "import duckdb" 2>/dev/null || { echo "DuckDB is needed: pip install duckdb"; exit 2; }

scales=("$@")
[ ${#scales[@]} -gt 0 ] || scales=(0.25 1)
echo "| scale | rows | osservatorio | DuckDB | ratio | peak RSS osservatorio / DuckDB | unchanged rerun |"
echo "|---|---|---|---|---|---|---|"
for scale in "${scales[@]}"; do
  dir="bench/work/scale-$scale"
  if [ ! -f "$dir/data/presenze.csv" ]; then
    python3 bench/generate.py "$scale" "$dir" >&2
  fi
  cp -r bench/project/. "$dir/"
  rows=$(( $(wc -l < "$dir/data/presenze.csv") - 1 ))
  best_o=999999; best_d=999999; rss_o=0; rss_d=0
  for _ in $(seq "$rounds"); do
    rm -rf "$dir/warehouse" "$dir/out"
    OSSERVATORIO_LOG=warn /usr/bin/time -f "%e %M" -o "$dir/time.txt" "$bin" run --project "$dir" >/dev/null
    read -r t m < "$dir/time.txt"
    best_o=$(python3 -c "print(min($best_o, $t))"); rss_o=$(( m > rss_o ? m : rss_o ))
    rm -rf "$dir/duck"
    /usr/bin/time -f "%e %M" -o "$dir/time.txt" python3 bench/duckdb_job.py "$dir"
    read -r t m < "$dir/time.txt"
    best_d=$(python3 -c "print(min($best_d, $t))"); rss_d=$(( m > rss_d ? m : rss_d ))
  done
  # Unchanged reruns last milliseconds, below GNU time's 10 ms steps: timed here, best of 5.
  rerun=$(python3 - "$bin" "$dir" <<'PY'
import os, subprocess, sys, time
best = None
for _ in range(5):
    t = time.perf_counter()
    subprocess.run([sys.argv[1], "run", "--project", sys.argv[2]], check=True,
                   stdout=subprocess.DEVNULL, env={**os.environ, "OSSERVATORIO_LOG": "warn"})
    t = time.perf_counter() - t
    best = t if best is None else min(best, t)
print(best)
PY
)
  python3 bench/compare.py "$dir" >&2
  python3 - "$scale" "$rows" "$best_o" "$best_d" "$rss_o" "$rss_d" "$rerun" <<'PY'
import sys
scale, rows, o, d, ro, rd, rerun = sys.argv[1:]
o, d, rerun = float(o), float(d), float(rerun)
print(f"| {scale} | {int(rows)/1e6:.1f} M | {o:.2f} s | {d:.2f} s | {o/d:.2f} | "
      f"{int(ro)//1024} MB / {int(rd)//1024} MB | {rerun*1000:.0f} ms ({rerun/o*100:.1f}% of a full run) |")
PY
done
