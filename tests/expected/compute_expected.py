"""Independent figures for tests/it/end_to_end.rs, computed with DuckDB straight from the sample exports.

Nothing here uses osservatorio: the exports are read as text, decoded, parsed and aggregated by
DuckDB (and openpyxl for the workbooks), applying the same business rules the indicator YAML states.
Run from the repository root:
    pip install duckdb openpyxl && python3 tests/expected/compute_expected.py > tests/expected/compute_expected.json
"""

import json
import tempfile
from pathlib import Path

import duckdb
import openpyxl

S = Path("data-samples")
con = duckdb.connect()


def utf8_copy(path, encoding):
    """DuckDB reads UTF-8; Padova's export is Windows-1252, so decode it here first."""
    tmp = tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8")
    tmp.write(Path(path).read_bytes().decode(encoding))
    tmp.close()
    return tmp.name


def sheet_rows(path, sheet, header_row):
    ws = openpyxl.load_workbook(path, data_only=True)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[header_row - 1]
    return header, [r for r in rows[header_row:] if any(c is not None for c in r)]


out = {}

# Occupancy, Veneto, 2024: presences over places summed over all facilities of the three provinces.
# Rows the canonical table refuses are left out here too: an impossible date, a missing facility code,
# a presence count that is not a whole number (DuckDB's own cast would round "12.5", so match digits).
pd_presenze = utf8_copy(S / "prefetture/padova/presenze.csv", "cp1252")
pd_occ = con.execute(f"""
    SELECT SUM(CAST("N. presenti" AS BIGINT)) AS pres, SUM(CAST("Posti autorizzati" AS BIGINT)) AS posti
    FROM read_csv('{pd_presenze}', delim=';', header=true, all_varchar=true)
    WHERE try_strptime("Data rilevazione", '%d/%m/%Y') IS NOT NULL
      AND coalesce("Codice struttura", '') <> ''
      AND regexp_full_match("N. presenti", '[0-9]+')
      AND year(strptime("Data rilevazione", '%d/%m/%Y')) = 2024
""").fetchone()
vr_occ = con.execute(f"""
    SELECT SUM(CAST(ospiti_presenti AS BIGINT)), SUM(CAST(posti_disponibili AS BIGINT))
    FROM read_csv('{S}/prefetture/verona/presenze.csv', header=true, all_varchar=true)
    WHERE regexp_full_match(ospiti_presenti, '[0-9]+') AND year(CAST(mese AS DATE)) = 2024
""").fetchone()
header, rows = sheet_rows(S / "prefetture/vicenza/accoglienza_vicenza.xlsx", "Presenze", 4)
vi_occ = (
    sum(r[2] for r in rows if r[0].year == 2024),
    sum(r[3] for r in rows if r[0].year == 2024),
)
pres = pd_occ[0] + vr_occ[0] + vi_occ[0]
posti = pd_occ[1] + vr_occ[1] + vi_occ[1]
out["tasso_occupazione VEN 2024"] = {"numerator": pres, "denominator": posti, "value": 100.0 * pres / posti}
out["tasso_occupazione PD 2024"] = {"numerator": pd_occ[0], "denominator": pd_occ[1], "value": 100.0 * pd_occ[0] / pd_occ[1]}

# Admitted cost per guest-day, Padova 2024, from the Windows-1252 export with decimal commas.
pd_rend = utf8_copy(S / "prefetture/padova/rendiconti.csv", "cp1252")
num, den = con.execute(f"""
    SELECT SUM(CAST(replace(replace("Importo ammesso", '.', ''), ',', '.') AS DECIMAL(18, 2))),
           SUM(CAST("Giornate presenza" AS BIGINT))
    FROM read_csv('{pd_rend}', delim=';', header=true, all_varchar=true)
    WHERE "Mese competenza" LIKE '%/2024'
""").fetchone()
out["costo_pro_die PD 2024"] = {"numerator": float(num), "denominator": den, "value": float(num) / den}

# Cases taken in charge at Lodi's desks: a count, 2024 from its months, and the 2025-2027 plan period.
lodi = f"read_csv('{S}/ambiti/lodi/accessi_sportello.csv', delim=';', header=true, all_varchar=true)"
for label, cond in [("2023", "= 2023"), ("2024", "= 2024"), ("2025-2027", "BETWEEN 2025 AND 2027")]:
    n = con.execute(f"""
        SELECT COUNT(*) FROM {lodi}
        WHERE "Esito" = 'presa in carico' AND year(strptime("Data accesso", '%d/%m/%Y')) {cond}
    """).fetchone()[0]
    out[f"persone_prese_in_carico LODI {label}"] = {"value": n}

# Entities attending at least 70% of Lodi's table meetings in 2024, against the 70% target.
num, den = con.execute(f"""
    WITH q AS (
      SELECT "Ente" AS ente, AVG(CASE WHEN "Presente" = 'Sì' THEN 1.0 ELSE 0.0 END) AS quota
      FROM read_csv('{S}/ambiti/lodi/tavolo.csv', delim=';', header=true, all_varchar=true)
      WHERE year(strptime("Data incontro", '%d/%m/%Y')) = 2024 GROUP BY 1)
    SELECT SUM(CASE WHEN quota >= 0.7 THEN 1 ELSE 0 END), COUNT(*) FROM q
""").fetchone()
value = 100.0 * num / den
out["partecipazione_tavolo LODI 2024"] = {
    "numerator": num,
    "denominator": den,
    "value": value,
    "status": "achieved" if value >= 70 else ("on_track" if value / 70 * 100 >= 90 else "off_track"),
}

# User satisfaction reported by Crema's plan for 2021-2023, from its workbook.
header, rows = sheet_rows(S / "ambiti/crema/ambito_crema.xlsx", "Piano di Zona", 1)
sat = [r for r in rows if r[0] == "2021-2023" and r[2] == "Soddisfazione degli utenti (1-10)"][0]
out["pdz_soddisfazione CREMA 2021-2023"] = {"value": sat[5], "target": sat[4]}

print(json.dumps(out, indent=2, default=float))
