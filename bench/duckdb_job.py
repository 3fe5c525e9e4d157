#!/usr/bin/env python3
"""The benchmark's job done by DuckDB, as an analyst would do it: the three CSV exports to Parquet,
then the indicators' queries on the Parquet files, at province level and at each indicator's grain,
rolled up to regions, the nation, quarters and the year as osservatorio publishes them
(workloads.figures). Writes DIR/duck/values.json ("indicator territory period" -> value). DuckDB uses as many threads as
the machine has cores (its default).

Usage: bench/duckdb_job.py DIR [WORKLOAD]   (DIR as bench/run.sh prepares it; WORKLOAD day,
                                              bench/workloads.py)
"""
import json
import os
import sys

import duckdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from workloads import figures, workload  # noqa: E402

JOIN = "FROM presenze p JOIN strutture s ON p.struttura = s.codice"
QUERIES = {
    # id: (SQL returning territory, period, numerator, denominator, scale)
    "giornate_presenza": (f"""
        SELECT s.provincia, strftime(p.data, '%Y-%m'), COUNT(*), NULL {JOIN} GROUP BY 1, 2""", 1),
    "ospiti_distinti": (f"""
        SELECT s.provincia, strftime(p.data, '%Y-%m'), COUNT(DISTINCT p.ospite), NULL {JOIN} GROUP BY 1, 2""", 1),
    "occupazione": ("""
        SELECT s.provincia, strftime(g.mese, '%Y-%m'), SUM(g.giornate),
               SUM(s.posti * day(last_day(g.mese)))
        FROM (SELECT struttura, date_trunc('month', data) AS mese, COUNT(*) AS giornate
              FROM presenze GROUP BY 1, 2) g
        JOIN strutture s ON g.struttura = s.codice GROUP BY 1, 2""", 100),
    "costo_giornata": ("""
        SELECT s.provincia, strftime(r.mese, '%Y-%m'), SUM(r.importo), SUM(r.giornate)
        FROM rendiconti r JOIN strutture s ON r.struttura = s.codice GROUP BY 1, 2""", 1),
    "durata_media": (f"""
        SELECT s.provincia, CAST(year(p.data) AS VARCHAR), COUNT(*), COUNT(DISTINCT p.ospite)
        {JOIN} GROUP BY 1, 2""", 1),
}
WIDE_QUERIES = {
    "giornate_donne": (f"""
        SELECT s.provincia, strftime(p.data, '%Y-%m'), COUNT(*), NULL {JOIN} WHERE p.sesso = 'F'
        GROUP BY 1, 2""", 1),
}


def convert(con, root, work, duck):
    """The three exports to Parquet, the register's columns named as in the warehouse."""
    data = os.path.join(root, "data")
    path = os.path.join(root, work["presenze"])
    types = ", ".join("'{}': '{}'".format(h.replace("'", "''"), "DATE" if i == 0 else "VARCHAR")
                      for i, (h, _) in enumerate(work["columns"]))
    names = ", ".join(f'"{h}" AS {c}' for h, c in work["columns"])
    con.execute(f"""COPY (SELECT {names}
        FROM read_csv('{path}', delim=';', header=true, dateformat='%d/%m/%Y', columns={{{types}}}))
        TO '{duck}/presenze.parquet' (FORMAT parquet)""")
    con.execute(f"""COPY (SELECT "Codice" AS codice, "Denominazione" AS nome, "Provincia" AS provincia,
               "Posti" AS posti
        FROM read_csv('{data}/strutture.csv', delim=';', header=true,
                      columns={{'Codice': 'VARCHAR', 'Denominazione': 'VARCHAR', 'Provincia': 'VARCHAR', 'Posti': 'BIGINT'}}))
        TO '{duck}/strutture.parquet' (FORMAT parquet)""")
    con.execute(f"""COPY (SELECT "Struttura" AS struttura,
               CAST(strptime('01/' || "Mese", '%d/%m/%Y') AS DATE) AS mese,
               "Giornate" AS giornate,
               CAST(replace(replace("Importo ammesso", '.', ''), ',', '.') AS DOUBLE) AS importo
        FROM read_csv('{data}/rendiconti.csv', delim=';', header=true,
                      columns={{'Struttura': 'VARCHAR', 'Mese': 'VARCHAR', 'Giornate': 'BIGINT', 'Importo ammesso': 'VARCHAR'}}))
        TO '{duck}/rendiconti.parquet' (FORMAT parquet)""")


def main():
    root = sys.argv[1]
    work = workload(sys.argv[2] if len(sys.argv) > 2 else "day")
    duck = os.path.join(root, "duck")
    os.makedirs(duck, exist_ok=True)
    con = duckdb.connect()
    convert(con, root, work, duck)
    for t in ["presenze", "strutture", "rendiconti"]:
        con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{duck}/{t}.parquet')")
    queries = {**QUERIES, **(WIDE_QUERIES if "giornate_donne" in work["grain"] else {})}
    rows = [(ind, territory, period, num, den, scale) for ind, (sql, scale) in queries.items()
            for territory, period, num, den in con.execute(sql).fetchall()]
    with open(os.path.join(duck, "values.json"), "w") as f:
        json.dump(figures(rows, root), f, sort_keys=True)


if __name__ == "__main__":
    main()
