"""The exports of tests/it/walkthrough.rs and DuckDB's figures on them.

Writes, in tests/expected/walkthrough/:
- presenze.xlsx: a workbook as an office exports it: two title rows above the header, dates stored as
  dates, ISTAT municipality codes stored as numbers (28060 for Padova's 028060);
- spese.csv: a Windows-1252 CSV with ';', a decimal comma and thousands grouped with '.';
- expected.csv: per indicator, municipality (and the province, PD) and month, the sum DuckDB computes
  from those two files.

Run: python3 tests/expected/walkthrough.py (needs openpyxl and duckdb; tests/run.sh installs them).
"""

import csv
import datetime as dt
import io
import os

import duckdb
import openpyxl

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "walkthrough")

# Facility -> ISTAT code of its municipality (Padova 028060, Abano Terme 028001), as in territories.csv.
FACILITIES = {"CAS001": 28060, "CAS002": 28060, "CAS003": 28001, "SAI004": 28001}
MONTHS = [dt.date(2025, 1, 31), dt.date(2025, 2, 28), dt.date(2025, 3, 31)]
VOCI = ["Vitto e alloggio", "Attività di mediazione", "Spese sanitarie"]


def write_workbook(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Presenze"
    ws.append(["Prefettura di Padova - Ufficio immigrazione"])
    ws.append(["Presenze mensili nei centri di accoglienza, estrazione del 10/04/2025"])
    ws.append(["Mese", "Codice ISTAT comune", "Struttura", "Ospiti presenti"])
    for m, month in enumerate(MONTHS):
        for f, (facility, code) in enumerate(FACILITIES.items()):
            ws.append([month, code, facility, 11 + 3 * f + 2 * m + (f * m) % 4])
            ws.cell(row=ws.max_row, column=1).number_format = "dd/mm/yyyy"
    fixed = dt.datetime(2025, 4, 10, 9, 0, 0)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.save(path)


def italian(x):
    """1234.5 -> '1.234,50'."""
    whole, cents = divmod(round(x * 100), 100)
    return f"{whole:,}".replace(",", ".") + f",{cents:02d}"


def write_csv(path):
    lines = ["Data spesa;Comune;Struttura;Voce;Importo rendicontato (€)"]
    for m, month in enumerate(MONTHS):
        for f, (facility, code) in enumerate(FACILITIES.items()):
            for v, voce in enumerate(VOCI):
                amount = 150.25 * (v + 1) + 97.5 * f + 410.0 * m * (v == 0) + 0.35 * ((f + m + v) % 3)
                if v == 0:
                    amount += 1000
                day = dt.date(month.year, month.month, 5 + 7 * v)
                lines.append(
                    f"{day:%d/%m/%Y};{code:06d};{facility};{voce};{italian(amount)}"
                )
    with open(path, "wb") as out:
        out.write(("\r\n".join(lines) + "\r\n").encode("cp1252"))


def expected(xlsx, spese):
    con = duckdb.connect()
    # DuckDB reads neither workbooks nor Windows-1252 without extensions: openpyxl hands it the
    # workbook's cells as they are stored, Python's cp1252 codec the CSV's text.
    ws = openpyxl.load_workbook(xlsx).active
    rows = [r for r in ws.iter_rows(min_row=4, values_only=True) if any(c is not None for c in r)]
    con.execute("CREATE TABLE presenze (mese TIMESTAMP, codice DOUBLE, struttura VARCHAR, ospiti DOUBLE)")
    con.executemany("INSERT INTO presenze VALUES (?, ?, ?, ?)", rows)
    utf8 = os.path.join(HERE, "..", ".spese-utf8.csv")
    with open(spese, encoding="cp1252", newline="") as src, open(utf8, "w", encoding="utf-8", newline="") as dst:
        dst.write(src.read())
    try:
        con.execute(
            f"CREATE TABLE spese AS SELECT * FROM read_csv('{utf8}', delim=';', header=true, all_varchar=true)"
        )
    finally:
        os.remove(utf8)
    return con.execute(
        """
        SELECT 'ospiti_comune' AS indicator, lpad(CAST(CAST(codice AS BIGINT) AS VARCHAR), 6, '0') AS territory,
               strftime(mese, '%Y-%m') AS period, CAST(SUM(ospiti) AS DOUBLE) AS numerator
        FROM presenze GROUP BY ALL
        UNION ALL
        -- The province: both municipalities are in Padova's.
        SELECT 'ospiti_comune', 'PD', strftime(mese, '%Y-%m'), CAST(SUM(ospiti) AS DOUBLE)
        FROM presenze GROUP BY ALL
        UNION ALL
        SELECT 'spese_comune', "Comune", strftime(strptime("Data spesa", '%d/%m/%Y'), '%Y-%m'),
               CAST(SUM(CAST(replace(replace("Importo rendicontato (€)", '.', ''), ',', '.') AS DECIMAL(18, 2))) AS DOUBLE)
        FROM spese GROUP BY ALL
        UNION ALL
        SELECT 'spese_comune', 'PD', strftime(strptime("Data spesa", '%d/%m/%Y'), '%Y-%m'),
               CAST(SUM(CAST(replace(replace("Importo rendicontato (€)", '.', ''), ',', '.') AS DECIMAL(18, 2))) AS DOUBLE)
        FROM spese GROUP BY ALL
        ORDER BY 1, 2, 3
        """
    ).fetchall()


def main():
    os.makedirs(HERE, exist_ok=True)
    xlsx = os.path.join(HERE, "presenze.xlsx")
    spese = os.path.join(HERE, "spese.csv")
    write_workbook(xlsx)
    write_csv(spese)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["indicator", "territory", "period", "numerator"])
    for indicator, territory, period, numerator in expected(xlsx, spese):
        w.writerow([indicator, territory, period, f"{numerator:.2f}"])
    with open(os.path.join(HERE, "expected.csv"), "w", encoding="utf-8") as f:
        f.write(out.getvalue())


if __name__ == "__main__":
    main()
