"""Independent figures for tests/it/pua.rs, computed with DuckDB straight from Tuscany's sample
exports (data-samples/toscana/), never with osservatorio: accesses at the first level, referrals
to the second, cases taken in charge by the integrated teams and the share with a positive outcome
within six months, per zone and for the region (the sum of its zones), by month, quarter and year.
A period's outcome figure is provisional while its window is open on TODAY: until six months after
the period's last day. Run from the repository root:
    pip install duckdb && python3 tests/expected/pua_expected.py > tests/expected/pua_expected.json
"""

import json

import duckdb

TODAY = "2026-04-15"
S = "data-samples/toscana"
con = duckdb.connect()
con.execute(f"""
    CREATE TABLE accessi AS
    SELECT zona, strptime("Data accesso", '%d/%m/%Y')::DATE AS data, "Esito" AS esito
    FROM (
        SELECT 'ZFI' AS zona, * FROM read_csv('{S}/firenze/accessi_pua.csv', delim=';', header=true, all_varchar=true)
        UNION ALL SELECT 'ZPO', * FROM read_csv('{S}/prato/accessi_pua.csv', delim=';', header=true, all_varchar=true)
        UNION ALL SELECT 'ZPI', * FROM read_csv('{S}/pisa/accessi_pua.csv', delim=';', header=true, all_varchar=true)
    )
""")
con.execute(f"""
    CREATE TABLE casi AS
    SELECT "Zona" AS zona, strptime("Data presa in carico", '%d/%m/%Y')::DATE AS presa,
           "Esito" AS esito, try_strptime("Data esito", '%d/%m/%Y')::DATE AS data_esito
    FROM read_csv('{S}/prese_in_carico.csv', delim=';', header=true, all_varchar=true)
""")

# Periods as osservatorio names them, with their last day.
PERIODS = """
    SELECT strftime(d, '%Y-%m') AS period, last_day(d) AS last FROM range(DATE '2025-01-01', DATE '2026-01-01', INTERVAL 1 MONTH) t(d)
    UNION ALL SELECT '2025-Q' || q, last_day(make_date(2025, q * 3, 1)) FROM range(1, 5) t(q)
    UNION ALL SELECT '2025', DATE '2025-12-31'
"""


def in_period(column):
    """Whether a date column falls in the period `p`."""
    return f"""(strftime({column}, '%Y-%m') = p.period
        OR ('2025-Q' || quarter({column})) = p.period AND year({column}) = 2025
        OR strftime({column}, '%Y') = p.period)"""


FIGURES = {
    "pua_accessi": ("accessi", "data", "COUNT(*)", None),
    "pua_invii": ("accessi", "data", "SUM(CASE WHEN esito = 'invio al 2° livello' THEN 1 ELSE 0 END)", "COUNT(*)"),
    "pua_prese_in_carico": ("casi", "presa", "COUNT(*)", None),
    "pua_esiti_positivi": (
        "casi",
        "presa",
        """SUM(CASE WHEN esito IN ('inserimento lavorativo', 'percorso formativo', 'soluzione abitativa')
                    AND data_esito <= presa + INTERVAL 6 MONTH THEN 1 ELSE 0 END)""",
        "COUNT(*)",
    ),
}

out = {}
for indicator, (table, date, num, den) in FIGURES.items():
    den_sql = den or "NULL"
    for zone_filter, territory in [("zona = 'ZFI'", "ZFI"), ("zona = 'ZPO'", "ZPO"), ("zona = 'ZPI'", "ZPI"), ("TRUE", "TOS")]:
        rows = con.execute(f"""
            SELECT p.period, p.last, {num} AS n, {den_sql} AS d
            FROM ({PERIODS}) p JOIN {table} ON {in_period(date)}
            WHERE {zone_filter}
            GROUP BY p.period, p.last ORDER BY p.period
        """).fetchall()
        for period, last, n, d in rows:
            figure = {"numerator": float(n)}
            if den is not None:
                figure["denominator"] = float(d)
                figure["value"] = 100.0 * n / d
            else:
                figure["value"] = float(n)
            if indicator == "pua_esiti_positivi":
                closes = con.execute(f"SELECT (DATE '{last}' + INTERVAL 6 MONTH)::DATE").fetchone()[0]
                figure["provisional"] = str(closes) >= TODAY
            out[f"{indicator} {territory} {period}"] = figure

print(json.dumps({"today": TODAY, "figures": out}, indent=1, sort_keys=True))
