#!/usr/bin/env bash
# Installs a built osservatorio .deb on this machine with dpkg -i, checks what it installed,
# starts a project with the installed binary (init, then run) in a temporary folder with no Rust
# toolchain on PATH, then removes the package again. Run by .ci/run; needs root or sudo.
# Usage: bash packaging/check-deb.sh PACKAGE.deb
set -euo pipefail
deb="${1:?usage: bash packaging/check-deb.sh PACKAGE.deb}"
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi

if dpkg-query -W -f='${Status}' osservatorio 2>/dev/null | grep -q "install ok installed"; then
  echo "error: osservatorio is already installed here; this check installs and removes it" >&2
  exit 2
fi

echo "== the package's control fields"
dpkg-deb --field "$deb" Package Version Architecture Depends Suggests
depends=$(dpkg-deb --field "$deb" Depends)
if ! grep -q "\badduser\b" <<<"$depends"; then
  echo "error: Depends ($depends) lacks adduser, which postinst uses" >&2
  exit 1
fi
work=$(mktemp -d)
remove() {
  if dpkg-query -W -f='${Status}' osservatorio 2>/dev/null | grep -q "installed"; then
    $sudo_cmd dpkg --purge osservatorio >/dev/null || true
  fi
  rm -rf "$work"
}
trap remove EXIT

echo "== dpkg -i $(basename "$deb")"
$sudo_cmd dpkg -i "$deb"

echo "== what it installed"
for f in /usr/bin/osservatorio \
  /usr/share/man/man1/osservatorio.1.gz /usr/share/man/man1/osservatorio-run.1.gz \
  /usr/share/bash-completion/completions/osservatorio \
  /usr/share/zsh/vendor-completions/_osservatorio \
  /usr/share/fish/vendor_completions.d/osservatorio.fish \
  /usr/lib/systemd/system/osservatorio.service \
  /usr/share/doc/osservatorio/copyright /usr/share/doc/osservatorio/README.Debian \
  /usr/share/doc/osservatorio/third-party-licenses.txt.gz; do
  if [ ! -s "$f" ]; then
    echo "error: the package did not install $f" >&2
    exit 1
  fi
done
# Every library the binary links must come from a package it depends on, or from one that
# package depends on (cargo-deb leaves libgcc-s1 to libc6, which depends on it).
allowed=$(sed 's/([^)]*)//g; s/|/,/g; s/,/\n/g' <<<"$depends" | tr -d ' ' | sed '/^$/d')
allowed="$allowed
$(for p in $allowed; do apt-cache depends "$p" 2>/dev/null | sed -n 's/^ *Depends: //p'; done)"
for lib in $(readelf -d /usr/bin/osservatorio | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
  owner=$(dpkg -S "*/$lib" 2>/dev/null | head -1 | cut -d: -f1)
  if [ -z "$owner" ] || ! grep -qx "$owner" <<<"$allowed"; then
    echo "error: the binary links $lib (package '${owner:-none}'), which Depends ($depends) does not bring" >&2
    exit 1
  fi
done
if ldd /usr/bin/osservatorio | grep -q "not found"; then
  ldd /usr/bin/osservatorio >&2
  echo "error: a library the binary needs is missing" >&2
  exit 1
fi
# Disabled by default: enabling is the administrator's step once the project exists. (Read from
# the file system: systemctl cannot answer where systemd is not running, as in a container.)
if [ -e /etc/systemd/system/multi-user.target.wants/osservatorio.service ]; then
  echo "error: osservatorio.service is enabled after installation" >&2
  exit 1
fi
getent passwd osservatorio >/dev/null || { echo "error: no osservatorio user" >&2; exit 1; }
systemd-analyze verify /usr/lib/systemd/system/osservatorio.service
man -w osservatorio-init >/dev/null

echo "== osservatorio init + run with the installed binary, no toolchain on PATH"
(
  cd "$work"
  export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$work" OSSERVATORIO_LOG=warn
  unset CARGO_TARGET_DIR RUSTUP_HOME CARGO_HOME
  if command -v cargo >/dev/null 2>&1; then
    echo "error: cargo is still on PATH ($(command -v cargo))" >&2
    exit 1
  fi
  osservatorio --version
  osservatorio init progetto --kind prefettura --locale it
  osservatorio run --project progetto | tee run.txt
  grep -q "report: progetto/out/index.html" run.txt
  test -s progetto/out/index.html
)

echo "== dpkg --purge osservatorio"
$sudo_cmd dpkg --purge osservatorio
for f in /usr/bin/osservatorio /usr/lib/systemd/system/osservatorio.service; do
  if [ -e "$f" ]; then
    echo "error: $f is still there after removal" >&2
    exit 1
  fi
done
echo "the package installs, runs init + run, and removes cleanly"
