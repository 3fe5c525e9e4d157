#!/usr/bin/env bash
# Deliveries at national scale: the bench's presence register read as one file, then as the 1,200
# files it arrives as (100 offices × 12 months, the same rows), then an unchanged rerun over the
# 1,200 files. Prints the ingest wall times (best of ROUNDS), their ratio and the rerun's share.
#
# Usage: bench/deliveries.sh [SCALE]   (default 1; ROUNDS=3)
# Needs: a release build (cargo build --release) or OSSERVATORIO_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
bin="${OSSERVATORIO_BIN:-$target/release/osservatorio}"
rounds="${ROUNDS:-3}"
scale="${1:-1}"
[ -x "$bin" ] || { echo "no release build at $bin: run cargo build --release (or set OSSERVATORIO_BIN)"; exit 2; }
dir="bench/work/scale-$scale"
[ -f "$dir/data/presenze.csv" ] || python3 bench/generate.py "$scale" "$dir" >&2
[ -d "$dir/data/presenze" ] || python3 bench/split_deliveries.py "$dir" >&2
one="bench/work/deliveries-$scale-one"; many="bench/work/deliveries-$scale-many"
for d in "$one" "$many"; do
  rm -rf "$d"; mkdir -p "$d/pipelines" "$d/data"
  cp "$dir/territories.csv" "$d/"
  ln -s "$(realpath "$dir/data/presenze.csv")" "$d/data/presenze.csv"
  ln -s "$(realpath "$dir/data/presenze")" "$d/data/presenze"
done
pipeline() {
  cat <<YAML
name: registro
tables:
  presenze:
    columns: { data: date, ospite: string, struttura: string }
    required: [data, ospite, struttura]
sources:
  - name: presenze
    table: presenze
    url: "$1"
    format: csv
    options: { delimiter: ";", date_format: "%d/%m/%Y" }
    columns: { data: Data, ospite: Codice ospite, struttura: Struttura }
YAML
}
pipeline data/presenze.csv > "$one/pipelines/registro.yaml"
pipeline "data/presenze/*.csv" > "$many/pipelines/registro.yaml"
python3 - "$bin" "$one" "$many" "$rounds" <<'PY'
import os, shutil, subprocess, sys, time
binary, one, many, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
env = {**os.environ, "OSSERVATORIO_LOG": "warn"}
def ingest(project, fresh):
    if fresh:
        shutil.rmtree(os.path.join(project, "warehouse"), ignore_errors=True)
        shutil.rmtree(os.path.join(project, "out"), ignore_errors=True)
    t = time.perf_counter()
    subprocess.run([binary, "ingest", "--project", project], check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - t
best_one = min(ingest(one, True) for _ in range(rounds))
best_many = min(ingest(many, True) for _ in range(rounds))
rerun = min(ingest(many, False) for _ in range(5))
print("| rows in | one file | 1,200 files | ratio | unchanged rerun over the 1,200 files |")
print("|---|---|---|---|---|")
print(f"| same register | {best_one:.2f} s | {best_many:.2f} s | {best_many/best_one:.2f} | "
      f"{rerun*1000:.0f} ms ({rerun/best_many*100:.1f}% of a full ingest) |")
PY
