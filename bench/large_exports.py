"""Writes two projects with one large export each, in the offices' style: a 2 GB CSV (`;`,
dd/mm/yyyy) and a 1,000,000-row XLSX, for bench/memory.sh."""
import os
import sys

work = sys.argv[1]
CSV_BYTES = int(os.environ.get("CSV_BYTES", 2 * 1024**3))
XLSX_ROWS = int(os.environ.get("XLSX_ROWS", 1_000_000))

PIPELINE = """name: grande
tables:
  presenze:
    columns: {{ data: date, struttura: string, presenti: int, posti: int }}
    required: [data, struttura]
sources:
  - name: presenze
    table: presenze
    territory: IT
    url: export.{ext}
    format: {ext}
    options: {{ {options} }}
    columns: {{ data: Data rilevazione, struttura: Codice struttura, presenti: N. presenti, posti: Posti autorizzati }}
"""


def project(kind, options):
    root = os.path.join(work, kind)
    os.makedirs(os.path.join(root, "pipelines"), exist_ok=True)
    with open(os.path.join(root, "territories.csv"), "w") as f:
        f.write("code,name,level,parent\nIT,Italia,nazione,\n")
    with open(os.path.join(root, "pipelines", "grande.yaml"), "w") as f:
        f.write(PIPELINE.format(ext=kind, options=options))
    return root


def row(i):
    day = i % 28 + 1
    month = i // 28 % 12 + 1
    return f"{day:02d}/{month:02d}/2024", f"S{i % 9973:05d}", i % 40, 40


csv_root = project("csv", 'delimiter: ";", decimal: ",", date_format: "%d/%m/%Y"')
path = os.path.join(csv_root, "export.csv")
if not os.path.exists(path) or os.path.getsize(path) < CSV_BYTES:
    with open(path, "w", buffering=1 << 20) as f:
        f.write("Data rilevazione;Codice struttura;N. presenti;Posti autorizzati\n")
        i, written = 0, 0
        while written < CSV_BYTES:
            chunk = "".join("%s;%s;%d;%d\n" % row(j) for j in range(i, i + 100_000))
            f.write(chunk)
            written += len(chunk)
            i += 100_000

xlsx_root = project("xlsx", 'date_format: "%d/%m/%Y"')
path = os.path.join(xlsx_root, "export.xlsx")
if not os.path.exists(path):
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Presenze")
    ws.append(["Data rilevazione", "Codice struttura", "N. presenti", "Posti autorizzati"])
    for i in range(XLSX_ROWS):
        ws.append(list(row(i)))
    wb.save(path)
