#!/usr/bin/env bash
# Deliveries at national scale: the bench's presence register read as one file, then as the 1,200
# files it arrives as (100 offices × 12 months, the same rows), then an unchanged rerun over the
# 1,200 files. Prints the ingest wall and CPU times (best of ROUNDS, the sides alternating), their
# ratios and the rerun's share, with the load average (the CPU times say more on a busy machine).
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
import os, resource, shutil, subprocess, sys, time
binary, one, many, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
env = {**os.environ, "OSSERVATORIO_LOG": "warn"}
trash = os.path.join(os.path.dirname(one), "deliveries-trash")
shutil.rmtree(trash, ignore_errors=True)
def set_aside(path):
    """Moves a previous round's files out of the way, to be deleted after the last round: ext4
    looks past every inode deleted in the last minute when it creates a file, which made an ingest
    right after deleting 3,600 files pay for that deletion (a fifth of its CPU in the kernel)."""
    if os.path.exists(path):
        os.makedirs(trash, exist_ok=True)
        os.rename(path, os.path.join(trash, f"{len(os.listdir(trash))}"))
def ingest(project, fresh):
    """Wall and CPU (user + sys) seconds of one ingest."""
    if fresh:
        set_aside(os.path.join(project, "warehouse"))
        set_aside(os.path.join(project, "out"))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run([binary, "ingest", "--project", project], check=True, stdout=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
# The sides alternate, so a load that comes and goes weighs on both alike.
ones, manys = [], []
for _ in range(rounds):
    ones.append(ingest(one, True))
    manys.append(ingest(many, True))
reruns = [ingest(many, False) for _ in range(5)]
shutil.rmtree(trash, ignore_errors=True)
best = lambda runs, k: min(r[k] for r in runs)
print("| | one file | 1,200 files | ratio | unchanged rerun over the 1,200 files |")
print("|---|---|---|---|---|")
for k, what in ((0, "wall"), (1, "CPU (user + sys)")):
    o, m, r = best(ones, k), best(manys, k), best(reruns, k)
    print(f"| {what} | {o:.2f} s | {m:.2f} s | {m/o:.2f} | {r*1000:.0f} ms ({r/m*100:.1f}% of a full ingest) |")
print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
PY
