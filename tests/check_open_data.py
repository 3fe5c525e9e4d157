#!/usr/bin/env python3
"""Checks a published bundle's open data with the readers open-data portals use.

Usage: python3 tests/check_open_data.py BUNDLE [IPA]

- data.sdmx.csv: read with pysdmx (SDMX-CSV 2.0), and its shape checked row by row;
- catalog.jsonld: parsed with rdflib, the DCAT-AP_IT dataset's mandatory properties checked;
- every .ods: read with odfpy, with the same cells as the .csv of the same name where there is one.

Exit 0 when all holds, 1 naming what does not, 77 when a reader is not installed.
"""

import csv
import json
import os
import re
import sys

try:
    import rdflib
    from odf.opendocument import load as load_ods
    from odf.table import Table, TableRow, TableCell
    from odf.text import P
    from pysdmx.io import read_sdmx
except ImportError as e:  # the Rust test skips locally, fails in CI
    print(f"missing reader: {e}; pip install rdflib 'pysdmx[data]' odfpy")
    sys.exit(77)

COLUMNS = [
    "STRUCTURE",
    "STRUCTURE_ID",
    "ACTION",
    "INDICATOR",
    "REF_AREA",
    "TIME_PERIOD",
    "OBS_VALUE",
    "UNIT_MEASURE",
    "CONF_STATUS",
]
STRUCTURE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*:[A-Za-z][A-Za-z0-9_-]*\([0-9]+(\.[0-9]+)*\)$")
TIME_PERIOD = re.compile(r"^[0-9]{4}(-M(0[1-9]|1[0-2])|-Q[1-4])?$|^[0-9]{4}-01-01/P[0-9]+Y$")

problems = []


def fail(msg):
    problems.append(msg)


def check_sdmx(bundle):
    path = os.path.join(bundle, "data.sdmx.csv")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if rows[0] != COLUMNS:
        fail(f"data.sdmx.csv: header {rows[0]}, expected {COLUMNS}")
        return
    statuses = set()
    for n, r in enumerate(rows[1:], start=2):
        rec = dict(zip(COLUMNS, r))
        where = f"data.sdmx.csv line {n}"
        if len(r) != len(COLUMNS):
            fail(f"{where}: {len(r)} fields")
            continue
        if rec["STRUCTURE"] != "dataflow":
            fail(f"{where}: STRUCTURE {rec['STRUCTURE']!r}")
        if not STRUCTURE_ID.match(rec["STRUCTURE_ID"]):
            fail(f"{where}: STRUCTURE_ID {rec['STRUCTURE_ID']!r} is not AGENCY:ID(VERSION)")
        if rec["ACTION"] != "I":
            fail(f"{where}: ACTION {rec['ACTION']!r}")
        if not TIME_PERIOD.match(rec["TIME_PERIOD"]):
            fail(f"{where}: TIME_PERIOD {rec['TIME_PERIOD']!r}")
        status = rec["CONF_STATUS"]
        statuses.add(status)
        if status not in ("F", "A", "D"):
            fail(f"{where}: CONF_STATUS {status!r}")
        if status in ("A", "D") and rec["OBS_VALUE"] != "":
            fail(f"{where}: a confidential figure shows OBS_VALUE {rec['OBS_VALUE']!r}")
        if status == "F" and rec["OBS_VALUE"] != "":
            try:
                float(rec["OBS_VALUE"])
            except ValueError:
                fail(f"{where}: OBS_VALUE {rec['OBS_VALUE']!r} is not a number")
    message = read_sdmx(path)
    datasets = message.data
    if len(datasets) != 1:
        fail(f"data.sdmx.csv: pysdmx reads {len(datasets)} datasets, expected 1")
    else:
        ds = datasets[0]
        if ds.data.shape[0] != len(rows) - 1:
            fail(f"data.sdmx.csv: pysdmx reads {ds.data.shape[0]} observations of {len(rows) - 1}")
        if not str(ds.short_urn).startswith("Dataflow="):
            fail(f"data.sdmx.csv: pysdmx reads the structure as {ds.short_urn}")
    return statuses


def check_catalog(bundle, ipa):
    g = rdflib.Graph()
    g.parse(os.path.join(bundle, "catalog.jsonld"), format="json-ld")
    DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    DCT = rdflib.Namespace("http://purl.org/dc/terms/")
    IT = rdflib.Namespace("http://dati.gov.it/onto/dcatapit#")
    datasets = set(g.subjects(rdflib.RDF.type, IT.Dataset)) & set(g.subjects(rdflib.RDF.type, DCAT.Dataset))
    if len(datasets) != 1:
        fail(f"catalog.jsonld: {len(datasets)} dcatapit:Dataset/dcat:Dataset, expected 1")
        return
    ds = datasets.pop()
    for prop in [DCT.title, DCT.description, DCT.identifier, DCT.publisher, DCT.rightsHolder, DCAT.theme,
                 DCT.accrualPeriodicity, DCT.modified, DCT.license]:
        if g.value(ds, prop) is None:
            fail(f"catalog.jsonld: the dataset has no {prop}")
    theme = str(g.value(ds, DCAT.theme))
    if not theme.startswith("http://publications.europa.eu/resource/authority/data-theme/"):
        fail(f"catalog.jsonld: dcat:theme {theme} is not an EU data theme")
    freq = str(g.value(ds, DCT.accrualPeriodicity))
    if not freq.startswith("http://publications.europa.eu/resource/authority/frequency/"):
        fail(f"catalog.jsonld: dct:accrualPeriodicity {freq} is not an EU frequency")
    for prop in [DCT.publisher, DCT.rightsHolder]:
        agent = g.value(ds, prop)
        if agent is not None:
            if (agent, rdflib.RDF.type, IT.Agent) not in g:
                fail(f"catalog.jsonld: {prop} is not a dcatapit:Agent")
            if ipa and str(g.value(agent, DCT.identifier)) != ipa:
                fail(f"catalog.jsonld: {prop} has dct:identifier {g.value(agent, DCT.identifier)}, expected {ipa}")
    dists = list(g.objects(ds, DCAT.distribution))
    if not dists:
        fail("catalog.jsonld: no dcat:distribution")
    urls = set()
    for d in dists:
        for prop in [DCAT.accessURL, DCT["format"], DCT.license]:
            if g.value(d, prop) is None:
                fail(f"catalog.jsonld: distribution {d} has no {prop}")
        urls.add(str(g.value(d, DCAT.accessURL)))
    if not any(u.endswith("data.sdmx.csv") for u in urls):
        fail(f"catalog.jsonld: no distribution of data.sdmx.csv among {sorted(urls)}")


def ods_rows(path):
    doc = load_ods(path)
    out = []
    for table in doc.spreadsheet.getElementsByType(Table)[:1]:
        for row in table.getElementsByType(TableRow):
            cells = []
            for cell in row.getElementsByType(TableCell):
                value = cell.getAttribute("value")
                text = "".join(str(p) for p in cell.getElementsByType(P))
                cells.append(value if value is not None else text)
            while cells and cells[-1] == "":
                cells.pop()
            out.append(cells)
    return out


def same_number(a, b):
    try:
        return abs(float(a) - float(b)) < 1e-9
    except ValueError:
        return False


def check_ods(bundle):
    count = 0
    for root, _, files in os.walk(bundle):
        for name in files:
            if not name.endswith(".xlsx"):
                continue
            ods = os.path.join(root, name[:-5] + ".ods")
            rel = os.path.relpath(ods, bundle)
            if not os.path.exists(ods):
                fail(f"{rel}: missing beside {name}")
                continue
            count += 1
            rows = ods_rows(ods)
            csv_path = os.path.join(root, name[:-5] + ".csv")
            comparable = os.path.exists(csv_path) and (name == "data.xlsx" or name.endswith("-data.xlsx"))
            if not comparable:
                if not rows:
                    fail(f"{rel}: no rows")
                continue
            with open(csv_path, newline="", encoding="utf-8") as f:
                expected = [[c for c in r] for r in csv.reader(f)]
            if len(rows) != len(expected):
                fail(f"{rel}: {len(rows)} rows, the CSV has {len(expected)}")
                continue
            for n, (got, want) in enumerate(zip(rows, expected), start=1):
                want = list(want)
                while want and want[-1] == "":
                    want.pop()
                if len(got) != len(want) or any(g != w and not same_number(g, w) for g, w in zip(got, want)):
                    fail(f"{rel} row {n}: {got} differs from the CSV's {want}")
                    break
    return count


def main():
    bundle = sys.argv[1]
    ipa = sys.argv[2] if len(sys.argv) > 2 else None
    statuses = check_sdmx(bundle) or set()
    check_catalog(bundle, ipa)
    n = check_ods(bundle)
    for p in problems:
        print(p)
    print(json.dumps({"conf_status": sorted(statuses), "ods": n, "problems": len(problems)}))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
