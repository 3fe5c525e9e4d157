#!/usr/bin/env python3
"""The national-scale benchmark's runner (bench/run.sh checks what it needs and calls it): for each
workload and scale, prepares the data and the project, runs osservatorio, DuckDB and Polars on the
same job ROUNDS times, alternating them and rotating which goes first so the machine's load falls on
all three alike, times an unchanged osservatorio rerun, compares every figure (bench/compare.py) and
prints a Markdown row: median wall time of each tool, osservatorio's ratio to the faster peer, median
CPU time, peak RSS, the 1-minute load average seen before the runs. Every run is also appended to
bench/work/runs.jsonl.

A run's previous output is set aside (renamed into bench/work/set-aside/), not deleted, before it
starts, and everything set aside is deleted once all workloads are done: ext4 passes over the inodes
freed in the last 60 seconds when it allocates new ones, so deleting the previous warehouse's
thousands of files just before a run charged that run for the deletion (measured on the 1,200
files: 14 % of osservatorio's ingest samples in the kernel's `recently_deleted`).

Usage: bench/bench.py BINARY ROUNDS WORKLOAD[,WORKLOAD...] SCALE...
"""
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from workloads import WORKLOADS, directory, workload  # noqa: E402

BENCH = os.path.dirname(os.path.abspath(__file__))
SET_ASIDE = os.path.join(BENCH, "work", "set-aside")
THREADS = os.environ.get("POLARS_MAX_THREADS", "2")


def generate(name, scale):
    """Writes workload NAME at SCALE where it is missing."""
    work = workload(name)
    root = directory(BENCH, name, scale)
    if name == "deliveries":
        day = directory(BENCH, "day", scale)
        generate("day", scale)
        if not os.path.isdir(os.path.join(day, "data", "presenze")):
            subprocess.run([sys.executable, os.path.join(BENCH, "split_deliveries.py"), day], check=True)
        os.makedirs(os.path.join(root, "data"), exist_ok=True)
        for f in ["territories.csv", "data/strutture.csv", "data/rendiconti.csv"]:
            if not os.path.exists(os.path.join(root, f)):
                os.link(os.path.join(day, f), os.path.join(root, f))
        if not os.path.exists(os.path.join(root, "data", "presenze")):
            os.symlink(os.path.realpath(os.path.join(day, "data", "presenze")),
                       os.path.join(root, "data", "presenze"))
    elif not os.path.exists(os.path.join(root, work["presenze"])):
        subprocess.run([sys.executable, os.path.join(BENCH, "generate.py"), scale, root, work["shape"]],
                       check=True, stdout=sys.stderr)
    for project in ["project", f"project-{name}"]:
        if os.path.isdir(os.path.join(BENCH, project)):
            shutil.copytree(os.path.join(BENCH, project), root, dirs_exist_ok=True)
    return root


def register_rows(root, work):
    """Rows of the presence register (lines less one header a file)."""
    path = os.path.join(root, work["presenze"])
    files = [os.path.join(path[:-6], f) for f in os.listdir(path[:-6])] if path.endswith("/*.csv") else [path]
    lines = 0
    for f in files:
        with open(f, "rb") as fh:
            while block := fh.read(1 << 24):
                lines += block.count(b"\n")
    return lines - len(files), len(files)


def timed(cmd, env=None):
    """Runs CMD; its wall and CPU seconds, peak RSS in MB, and the load average before it."""
    load = os.getloadavg()[0]
    start = time.perf_counter()
    child = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{' '.join(cmd)} failed (status {status})")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / 1024, "load": load}


def tools(binary, root, name):
    """tool -> (what to remove first, command, environment)."""
    py = sys.executable
    return {
        "osservatorio": (["warehouse", "out"], [binary, "run", "--project", root], {"OSSERVATORIO_LOG": "warn"}),
        "DuckDB": (["duck"], [py, os.path.join(BENCH, "duckdb_job.py"), root, name], {}),
        "Polars": (["polars"], [py, os.path.join(BENCH, "polars_job.py"), root, name],
                   {"POLARS_MAX_THREADS": THREADS}),
    }


def set_aside(path):
    """Moves PATH, when it exists, out of the way into SET_ASIDE (same file system: a rename)."""
    if os.path.lexists(path):
        os.makedirs(SET_ASIDE, exist_ok=True)
        os.rename(path, os.path.join(SET_ASIDE, f"{len(os.listdir(SET_ASIDE))}-{os.path.basename(path)}"))


def measure(binary, rounds, name, scale):
    root = generate(name, scale)
    jobs = tools(binary, root, name)
    order = list(jobs)
    runs = {tool: [] for tool in order}
    for r in range(rounds):
        for tool in order[r % 3:] + order[:r % 3]:
            remove, cmd, env = jobs[tool]
            for folder in remove:
                set_aside(os.path.join(root, folder))
            runs[tool].append(timed(cmd, env))
            record(name, scale, tool, r, runs[tool][-1])
    # Unchanged reruns last milliseconds: best of 5.
    _, cmd, env = jobs["osservatorio"]
    rerun = min(timed(cmd, env)["wall"] for _ in range(5))
    compared = subprocess.run([sys.executable, os.path.join(BENCH, "compare.py"), root, name],
                              capture_output=True, text=True)
    sys.stderr.write(compared.stdout)
    figures = compared.stdout.strip().splitlines()[-1] if compared.returncode == 0 else "DISAGREE"
    return root, runs, rerun, figures


def record(name, scale, tool, r, run):
    os.makedirs(os.path.join(BENCH, "work"), exist_ok=True)
    with open(os.path.join(BENCH, "work", "runs.jsonl"), "a") as f:
        f.write(json.dumps({"at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                            "workload": name, "scale": scale, "tool": tool, "round": r, **run}) + "\n")


def row(name, scale, root, runs, rerun, figures):
    rows, files = register_rows(root, workload(name))
    med = {t: statistics.median(x["wall"] for x in v) for t, v in runs.items()}
    cpu = {t: statistics.median(x["cpu"] for x in v) for t, v in runs.items()}
    rss = {t: max(x["rss"] for x in v) for t, v in runs.items()}
    loads = [x["load"] for v in runs.values() for x in v]
    peer = min(med["DuckDB"], med["Polars"])
    shape = f"{rows / 1e6:.1f} M rows" + (f", {files:,} files" if files > 1 else "")
    agree = figures.split(" ")[1] if figures.startswith("agree") else "**disagree**"
    return (f"| {name} | {scale} | {shape} | {med['osservatorio']:.2f} s | {med['DuckDB']:.2f} s | "
            f"{med['Polars']:.2f} s | **{med['osservatorio'] / peer:.2f}** | "
            f"{cpu['osservatorio']:.1f} / {cpu['DuckDB']:.1f} / {cpu['Polars']:.1f} s | "
            f"{rss['osservatorio']:.0f} / {rss['DuckDB']:.0f} / {rss['Polars']:.0f} MB | "
            f"{rerun * 1000:.0f} ms | {agree} | {min(loads):.1f}–{max(loads):.1f} |")


def machine(binary):
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    mem = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    import duckdb
    import polars
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
    version += f" ({os.path.basename(binary)})"
    return (f"{cpu}, {os.cpu_count()} cores, {mem / 1024 / 1024:.0f} GB; {version}, DuckDB {duckdb.__version__}, "
            f"Polars {polars.__version__} (POLARS_MAX_THREADS={THREADS})")


def main():
    binary, rounds, names, scales = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(","), sys.argv[4:]
    for name in names:
        workload(name)
    print(f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on {machine(binary)}; "
          f"median of {rounds} alternated rounds; load = 1-minute load average before each run")
    print()
    print("| workload | scale | register | osservatorio | DuckDB | Polars | ratio to the faster peer | "
          "CPU o / D / P | peak RSS o / D / P | unchanged rerun | figures agreeing | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    failed = False
    for scale in scales:
        for name in names:
            root, runs, rerun, figures = measure(binary, rounds, name, scale)
            failed |= figures == "DISAGREE"
            print(row(name, scale, root, runs, rerun, figures), flush=True)
    shutil.rmtree(SET_ASIDE, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    if len(sys.argv) < 5 or any(n not in WORKLOADS for n in sys.argv[3].split(",")):
        raise SystemExit(__doc__)
    main()
