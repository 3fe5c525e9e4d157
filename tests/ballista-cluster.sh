#!/usr/bin/env bash
# Builds Ballista's own cluster programs, ballista-scheduler and ballista-executor, of the version
# in Cargo.lock, for tests/it/ballista_cluster.rs, and prints the folder holding them
# ($CARGO_TARGET_DIR/ballista-cluster-VERSION/bin). Skipped when that folder already holds both
# programs at that version, so a CI cache of the build folder builds them once.
#
# They are built from the crates' published sources (those `cargo fetch` unpacks for the ballista
# feature) in a scratch workspace that takes this project's Cargo.lock: the cluster runs the same
# DataFusion, Arrow and protocol versions as the osservatorio that plans the queries. They build
# in a folder of their own (a debug build without debug information, the quickest to make) which
# is removed afterwards: their dependencies' features differ from the test build's (the programs'
# command lines, REST API and logging pull in other features of shared crates such as syn), so
# cargo could not reuse the test build's compiled dependencies anyway.
# Usage: bash tests/ballista-cluster.sh   (CARGO_TARGET_DIR as for the tests; default target/)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
target="${CARGO_TARGET_DIR:-$root/target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac

version=$(awk '/^name = "ballista-scheduler"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if [ -z "$version" ]; then
  echo "Cargo.lock names no ballista-scheduler: is the ballista feature's dependency still there?" >&2
  exit 1
fi
dest="$target/ballista-cluster-$version"

current() { "$dest/bin/$1" --version 2>/dev/null | grep -qx "$1 $version"; }
if current ballista-scheduler && current ballista-executor; then
  echo "$dest/bin"
  exit 0
fi

echo "== building ballista-scheduler and ballista-executor $version into $dest/bin" >&2
cargo fetch --locked >&2
# Where cargo unpacked each crate's sources.
sources=$(cargo metadata --locked --format-version 1 --features ballista | python3 -c '
import json, os, sys
meta = json.load(sys.stdin)
want = {"ballista-scheduler", "ballista-executor"}
for p in meta["packages"]:
    if p["name"] in want and p["version"] == sys.argv[1]:
        print(p["name"], os.path.dirname(p["manifest_path"]))
' "$version")

ws="$dest/workspace"
rm -rf "$ws"
mkdir -p "$ws" "$dest/bin"
while read -r name dir; do
  cp -r "$dir" "$ws/$name"
done <<<"$sources"
[ -d "$ws/ballista-scheduler" ] && [ -d "$ws/ballista-executor" ] || {
  echo "cargo metadata found no sources of ballista-scheduler and ballista-executor $version" >&2
  exit 1
}
cp Cargo.lock "$ws/Cargo.lock"
printf '[workspace]\nmembers = ["ballista-scheduler", "ballista-executor"]\nresolver = "3"\n\n[profile.dev]\ndebug = false\n' >"$ws/Cargo.toml"

CARGO_TARGET_DIR="$dest/target" cargo build --manifest-path "$ws/Cargo.toml" \
  --bin ballista-scheduler --bin ballista-executor >&2
cp "$dest/target/debug/ballista-scheduler" "$dest/target/debug/ballista-executor" "$dest/bin/"
# Their symbol tables are 40 % of their size (490 MB together unstripped): not kept in the cache.
if command -v strip >/dev/null 2>&1; then
  strip "$dest/bin/ballista-scheduler" "$dest/bin/ballista-executor"
fi
rm -rf "$dest/target"
rm -rf "$ws"
current ballista-scheduler && current ballista-executor || {
  echo "the programs built do not report version $version" >&2
  exit 1
}
echo "$dest/bin"
