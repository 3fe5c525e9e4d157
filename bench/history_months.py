#!/usr/bin/env python3
"""Writes the bundled exports as they stood at the end of a month: every row dated after it left
out (a row's date is its first date-like cell; rows without one, such as the facilities, stay).

Usage: python3 bench/history_months.py SAMPLES_DIR OUT_DIR YYYY-MM

CSV keeps its encoding (Windows-1252, UTF-8 with or without BOM) and its lines as they were; JSON
keeps its records; workbooks keep their title rows and sheets (openpyxl).
"""

import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import sys

DMY = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")
MY = re.compile(r"^(\d{2})/(\d{4})$")
YMD = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


def month_of(value):
    """(year, month) of a date-like cell, or None."""
    if isinstance(value, (dt.date, dt.datetime)):
        return (value.year, value.month)
    if not isinstance(value, str):
        return None
    v = value.strip()
    for pattern, y, m in ((DMY, 3, 2), (MY, 2, 1), (YMD, 1, 2)):
        x = pattern.match(v)
        if x:
            return (int(x.group(y)), int(x.group(m)))
    return None


def first_month(cells):
    for c in cells:
        m = month_of(c)
        if m:
            return m
    return None


def keep(cells, cutoff):
    m = first_month(cells)
    return m is None or m <= cutoff


def cut_csv(src, dst, cutoff):
    raw = open(src, "rb").read()
    try:
        text, encoding = raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = raw.decode("cp1252"), "cp1252"
    bom = text.startswith("\ufeff")
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    delimiter = ";" if lines and lines[0].count(";") >= lines[0].count(",") else ","
    out = [lines[0]] if lines else []
    for line in lines[1:]:
        cells = next(csv.reader(io.StringIO(line), delimiter=delimiter), [])
        if keep(cells, cutoff):
            out.append(line)
    body = ("\ufeff" if bom else "") + "".join(out)
    open(dst, "wb").write(body.encode(encoding))


def cut_json(src, dst, cutoff):
    records = json.load(open(src, encoding="utf-8"))
    kept = [r for r in records if keep(list(r.values()), cutoff)]
    json.dump(kept, open(dst, "w", encoding="utf-8"), ensure_ascii=False, indent=2)


def cut_xlsx(src, dst, cutoff):
    import openpyxl

    wb = openpyxl.load_workbook(src)
    for ws in wb.worksheets:
        late = [
            row[0].row
            for row in ws.iter_rows()
            if not keep([c.value for c in row], cutoff)
        ]
        for r in reversed(late):
            ws.delete_rows(r)
    wb.save(dst)


def main(argv):
    if len(argv) != 4:
        print(__doc__)
        return 1
    src_root, dst_root, month = argv[1], argv[2], argv[3]
    cutoff = tuple(int(x) for x in month.split("-"))
    for folder, _, files in os.walk(src_root):
        rel = os.path.relpath(folder, src_root)
        os.makedirs(os.path.join(dst_root, rel), exist_ok=True)
        for f in files:
            src, dst = os.path.join(folder, f), os.path.join(dst_root, rel, f)
            if f.endswith(".csv"):
                cut_csv(src, dst, cutoff)
            elif f.endswith(".json"):
                cut_json(src, dst, cutoff)
            elif f.endswith(".xlsx"):
                cut_xlsx(src, dst, cutoff)
            else:
                shutil.copy(src, dst)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
