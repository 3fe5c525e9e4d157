#!/usr/bin/env python3
"""Prints the licences of the crates linked into osservatorio, for the Debian package.

Usage: python3 packaging/third_party_licenses.py [--features F,G] > third-party-licenses.txt

Reads the dependency graph from `cargo metadata` (the locked versions, the host platform, only
normal dependencies: what build scripts and tests use is not shipped) and each crate's licence
files (LICENSE*, LICENCE*, COPYING*, COPYRIGHT*, NOTICE*, UNLICENSE*) from its source in Cargo's
registry. A text shared by several crates is printed once, under all their names.
"""
import argparse
import hashlib
import json
import os
import re
import subprocess
import sys

LICENCE_FILE = re.compile(r"^(licen[cs]e|copying|copyright|notice|unlicense)", re.IGNORECASE)


def metadata(features):
    host = subprocess.run(["rustc", "-vV"], check=True, capture_output=True, text=True).stdout
    triple = re.search(r"^host: (\S+)$", host, re.MULTILINE).group(1)
    cmd = ["cargo", "metadata", "--format-version", "1", "--locked", "--filter-platform", triple]
    if features:
        cmd += ["--features", features]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def linked(meta):
    """The ids of the packages reachable from the root by normal dependencies, root excluded."""
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    root = meta["resolve"]["root"]
    seen, todo = set(), [root]
    while todo:
        for dep in nodes[todo.pop()]["deps"]:
            normal = any(k["kind"] is None for k in dep["dep_kinds"])
            if normal and dep["pkg"] not in seen:
                seen.add(dep["pkg"])
                todo.append(dep["pkg"])
    seen.discard(root)
    return seen


def licence_files(manifest_path):
    folder = os.path.dirname(manifest_path)
    found = []
    for base, dirs, files in os.walk(folder):
        # A crate's own licence files sit at its root or in a LICENSES/ folder, not deeper.
        if base != folder and not LICENCE_FILE.match(os.path.basename(base)):
            dirs[:] = []
            continue
        for name in sorted(files):
            if LICENCE_FILE.match(name):
                found.append(os.path.join(base, name))
    return sorted(found)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--features", default="")
    args = parser.parse_args()
    meta = metadata(args.features)
    packages = {p["id"]: p for p in meta["packages"]}
    crates = sorted((packages[i] for i in linked(meta)), key=lambda p: (p["name"], p["version"]))

    texts = {}  # sha256 -> (text, [(crate, file name)])
    missing = []
    for p in crates:
        files = licence_files(p["manifest_path"])
        if not files:
            missing.append(p)
        for path in files:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read().strip() + "\n"
            key = hashlib.sha256(text.encode()).hexdigest()
            texts.setdefault(key, (text, []))[1].append(f"{p['name']} {p['version']} ({os.path.basename(path)})")

    out = sys.stdout
    root = packages[meta["resolve"]["root"]]
    out.write(f"Third-party licences of osservatorio {root['version']}\n\n")
    out.write(f"The osservatorio binary is built from these {len(crates)} crates (crates.io), each under\n")
    out.write("the licence its authors declare; their licence texts follow the list.\n\n")
    for p in crates:
        out.write(f"  {p['name']} {p['version']}: {p.get('license') or 'see its licence file'}\n")
    if missing:
        out.write("\nThese crates ship no licence file; their declared licence is the one listed above:\n")
        for p in missing:
            out.write(f"  {p['name']} {p['version']}: {p.get('license')}\n")
    for text, users in sorted(texts.values(), key=lambda t: t[1][0]):
        out.write("\n" + "=" * 78 + "\n")
        out.write("The licence file of: " + ", ".join(users) + "\n")
        out.write("-" * 78 + "\n")
        out.write(text)


if __name__ == "__main__":
    main()
