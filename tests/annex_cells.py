#!/usr/bin/env python3
"""Prints the headings and the text of every table cell of an annex, as JSON.

Usage: python3 tests/annex_cells.py annex.docx|annex.odt
The DOCX is read with python-docx and the ODT with odfpy, as an office's own tools would open
them; tests/run.sh installs both.
"""
import json
import sys


def docx_cells(path):
    import docx

    doc = docx.Document(path)
    headings = [p.text for p in doc.paragraphs if p.style is not None and p.style.name.startswith("Heading")]
    tables = [[[cell.text for cell in row.cells] for row in table.rows] for table in doc.tables]
    return {"headings": headings, "tables": tables}


def odt_cells(path):
    from odf import teletype, text
    from odf.opendocument import load
    from odf.table import Table, TableCell, TableRow

    doc = load(path)
    headings = [teletype.extractText(h) for h in doc.getElementsByType(text.H)]
    tables = []
    for table in doc.getElementsByType(Table):
        rows = []
        for row in table.getElementsByType(TableRow):
            rows.append([teletype.extractText(c) for c in row.getElementsByType(TableCell)])
        tables.append(rows)
    return {"headings": headings, "tables": tables, "mimetype": doc.mimetype}


def main():
    path = sys.argv[1]
    cells = docx_cells(path) if path.endswith(".docx") else odt_cells(path)
    json.dump(cells, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
