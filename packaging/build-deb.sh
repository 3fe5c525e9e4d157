#!/usr/bin/env bash
# Builds the Debian package of osservatorio with cargo-deb.
# Usage: bash packaging/build-deb.sh [--profile release|dev] [--output DIR]
#
# The package holds the binary, its man pages and bash/zsh/fish completions (written by the
# binary itself, from the same command-line definitions as --help), the systemd unit of
# packaging/debian/ (installed disabled), README.Debian, the copyright file and the licences of
# the crates it is built from. The profile is release by default: the package to distribute, a
# release build (about 25 minutes from scratch on the 2-core reference machine). `--profile dev`
# packages the debug build the tests use; CI checks the package that way.
# Needs cargo-deb: cargo install --locked cargo-deb --version 3.8.0
set -euo pipefail
cd "$(dirname "$0")/.."

profile=release
output=""
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) profile="$2"; shift 2 ;;
    --output) output="$2"; shift 2 ;;
    *) echo "usage: bash packaging/build-deb.sh [--profile release|dev] [--output DIR]" >&2; exit 2 ;;
  esac
done
if ! command -v cargo-deb >/dev/null 2>&1; then
  echo "error: cargo-deb is not installed: cargo install --locked cargo-deb --version 3.8.0" >&2
  exit 2
fi

target_dir=$(cargo metadata --format-version 1 --no-deps --locked |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
case "$profile" in
  dev) profile_dir=debug ;;
  *) profile_dir="$profile" ;;
esac

echo "== cargo build --profile $profile"
cargo build --locked --profile "$profile" --bin osservatorio
bin="$target_dir/$profile_dir/osservatorio"

# What cargo-deb's assets name as target/release/packaging/ (see [package.metadata.deb]).
generated="$target_dir/$profile_dir/packaging"
rm -rf "$generated"
mkdir -p "$generated/completions"
"$bin" man --out "$generated/man" >/dev/null
gzip -9n "$generated"/man/*.1
"$bin" completions bash >"$generated/completions/osservatorio"
"$bin" completions zsh >"$generated/completions/_osservatorio"
"$bin" completions fish >"$generated/completions/osservatorio.fish"
python3 packaging/third_party_licenses.py >"$generated/third-party-licenses.txt"
gzip -9n "$generated/third-party-licenses.txt"

echo "== cargo deb --profile $profile"
deb_args=(--no-build --profile "$profile")
if [ "$profile" = dev ]; then
  # A check of the packaging, not a package to ship: no debug line tables, quicker compression.
  deb_args+=(--strip --fast)
fi
if [ -n "$output" ]; then
  mkdir -p "$output"
  deb_args+=(--output "$output")
fi
cargo deb "${deb_args[@]}"
