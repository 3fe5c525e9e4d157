#!/usr/bin/env bash
# Peak memory of ingest on exports far larger than memory should hold: a 2 GB CSV and a
# 1,000,000-row XLSX. Prints GNU time's maximum resident set size for each.
# Usage: bash bench/memory.sh [WORK_DIR]   (needs python3 with openpyxl, and GNU time: apt-get install time)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${1:-$(mktemp -d)}
mkdir -p "$work"
bin=${OSSERVATORIO_BIN:-$here/../target/release/osservatorio}
[ -x "$bin" ] || { echo "build first (cargo build --release) or set OSSERVATORIO_BIN"; exit 2; }
command -v /usr/bin/time >/dev/null || { echo "GNU time is missing: apt-get install time"; exit 2; }

python3 "$here/large_exports.py" "$work"
for kind in csv xlsx; do
  project="$work/$kind"
  rm -rf "$project/warehouse"
  /usr/bin/time -v "$bin" ingest --project "$project" > "$work/$kind.out" 2> "$work/$kind.time" || true
  rows=$(awk '$1=="presenze" {print $3}' "$work/$kind.out")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/$kind.time")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/$kind.time")
  size=$(du -h "$project/export.$kind" | cut -f1)
  echo "$kind: export $size, $rows rows ingested, peak RSS $((rss / 1024)) MB, wall $wall"
done
