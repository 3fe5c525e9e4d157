#!/usr/bin/env bash
# The national-scale benchmark: osservatorio against DuckDB and Polars on the same job (three CSV
# exports to Parquet, then the indicators), on four workloads (bench/workloads.py: the register
# ordered by day, ordered by guest, with ten text columns, and as 1,200 monthly delivery files).
# The three tools alternate ROUNDS times per workload, whichever went first rotating; then an
# unchanged rerun; every figure is compared (bench/compare.py). Prints a Markdown table (median wall
# time, ratio to the faster peer, CPU time, peak RSS, load average) and exits 1 if any figure differs.
#
# Usage: bash bench/run.sh [SCALE...]   (default: 1; ROUNDS=3; WORKLOADS=day,guest,wide,deliveries)
# Needs: a release build (cargo build --release, or OSSERVATORIO_BIN), python3 3.8+ with duckdb and
#        polars (installed here with pip when missing). Polars runs with POLARS_MAX_THREADS=2, DuckDB
#        with its default of one thread a core. Disk: about 5 GB under bench/work at scale 1.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
bin="${OSSERVATORIO_BIN:-$target/release/osservatorio}"
[ -x "$bin" ] || { echo "no release build at $bin: run cargo build --release (or set OSSERVATORIO_BIN)"; exit 2; }
if ! python3 -c "import duckdb, polars" >/dev/null 2>&1; then
  echo "== installing duckdb and polars: the peers the bench runs against" >&2
  python3 -m pip install --quiet --disable-pip-version-check duckdb polars
fi
scales=("$@")
[ ${#scales[@]} -gt 0 ] || scales=(1)
export POLARS_MAX_THREADS="${POLARS_MAX_THREADS:-2}"
exec python3 bench/bench.py "$(realpath "$bin")" "${ROUNDS:-3}" "${WORKLOADS:-day,guest,wide,deliveries}" "${scales[@]}"
