#!/usr/bin/env python3
"""Splits the bench's presence register into the deliveries a national register arrives as: one
file per office (facility code modulo OFFICES) and month, the same rows as the one file.

Usage: bench/split_deliveries.py DIR [OFFICES]   (reads DIR/data/presenze.csv, writes
DIR/data/presenze/OFFICE_YYYY-MM.csv; 100 offices × 12 months = 1,200 files by default)
"""
import os
import zlib
import sys


def main():
    out = sys.argv[1]
    offices = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    folder = os.path.join(out, "data", "presenze")
    os.makedirs(folder, exist_ok=True)
    files = {}
    with open(os.path.join(out, "data", "presenze.csv"), encoding="utf-8") as f:
        header = f.readline()
        for line in f:
            day, _, facility = line.rstrip("\n").split(";")
            month = day[6:10] + "-" + day[3:5]
            office = zlib.crc32(facility.encode()) % offices
            key = (office, month)
            w = files.get(key)
            if w is None:
                w = open(os.path.join(folder, f"ufficio{office:03}_{month}.csv"), "w", encoding="utf-8")
                w.write(header)
                files[key] = w
            w.write(line)
    for w in files.values():
        w.close()
    print(f"{len(files)} delivery files in {folder}", file=sys.stderr)


if __name__ == "__main__":
    main()
