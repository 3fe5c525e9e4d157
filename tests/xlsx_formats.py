"""Reads a workbook with openpyxl (independent of the writer) and prints, as JSON, every number
cell with its number format and the text that format shows in the given locale (it or en):
[{"sheet", "row", "column", "value", "format", "shown"}]. Formats are read as a spreadsheet reads
them: `#,##0.0" %"` groups thousands, shows one decimal and the quoted suffix; `0.0##` shows one
to three decimals. A format outside that grammar is shown as null, so the test names it.

Usage: python3 tests/xlsx_formats.py WORKBOOK.xlsx it|en
"""
import json
import re
import sys

import openpyxl

FORMAT = re.compile(r'^(#,##)?0(?:\.(0*)(#*))?(?:"([^"]*)")?$')


def shown(value, fmt, locale):
    m = FORMAT.match(fmt)
    if m is None:
        return None
    group, fixed, optional, suffix = m.group(1), m.group(2) or "", m.group(3) or "", m.group(4) or ""
    digits = len(fixed) + len(optional)
    text = f"{abs(value):,.{digits}f}" if group else f"{abs(value):.{digits}f}"
    if optional:
        whole, frac = text.split(".")
        frac = frac[: len(fixed)] + frac[len(fixed):].rstrip("0")
        text = whole + ("." + frac if frac else "")
    if locale == "it":
        text = text.translate(str.maketrans({",": ".", ".": ","}))
    if value < 0 and any(c in "123456789" for c in text):
        text = "-" + text
    return text + suffix


def main():
    path, locale = sys.argv[1], sys.argv[2]
    wb = openpyxl.load_workbook(path)
    out = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                    out.append(
                        {
                            "sheet": ws.title,
                            "row": cell.row,
                            "column": cell.column,
                            "value": cell.value,
                            "format": cell.number_format,
                            "shown": shown(cell.value, cell.number_format, locale),
                        }
                    )
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
