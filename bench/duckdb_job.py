#!/usr/bin/env python3
"""The benchmark's job done by DuckDB, as an analyst would do it: the three CSV exports to Parquet,
then the five indicators' queries on the Parquet files, at province level and at each indicator's
grain. Writes DIR/duck/values.json ("indicator territory period" -> value).

Usage: bench/duckdb_job.py DIR   (DIR as written by bench/generate.py)
"""
import json
import os
import sys

import duckdb

QUERIES = {
    # id: (SQL returning territory, period, numerator, denominator, scale)
    "giornate_presenza": ("""
        SELECT s.provincia, strftime(p.data, '%Y-%m'), COUNT(*), NULL
        FROM presenze p JOIN strutture s ON p.struttura = s.codice GROUP BY 1, 2""", 1),
    "ospiti_distinti": ("""
        SELECT s.provincia, strftime(p.data, '%Y-%m'), COUNT(DISTINCT p.ospite), NULL
        FROM presenze p JOIN strutture s ON p.struttura = s.codice GROUP BY 1, 2""", 1),
    "occupazione": ("""
        SELECT s.provincia, strftime(g.mese, '%Y-%m'), SUM(g.giornate),
               SUM(s.posti * day(last_day(g.mese)))
        FROM (SELECT struttura, date_trunc('month', data) AS mese, COUNT(*) AS giornate
              FROM presenze GROUP BY 1, 2) g
        JOIN strutture s ON g.struttura = s.codice GROUP BY 1, 2""", 100),
    "costo_giornata": ("""
        SELECT s.provincia, strftime(r.mese, '%Y-%m'), SUM(r.importo), SUM(r.giornate)
        FROM rendiconti r JOIN strutture s ON r.struttura = s.codice GROUP BY 1, 2""", 1),
    "durata_media": ("""
        SELECT s.provincia, CAST(year(p.data) AS VARCHAR), COUNT(*), COUNT(DISTINCT p.ospite)
        FROM presenze p JOIN strutture s ON p.struttura = s.codice GROUP BY 1, 2""", 1),
}


def main():
    root = sys.argv[1]
    data = os.path.join(root, "data")
    duck = os.path.join(root, "duck")
    os.makedirs(duck, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT "Data" AS data, "Codice ospite" AS ospite, "Struttura" AS struttura
        FROM read_csv('{data}/presenze.csv', delim=';', header=true, dateformat='%d/%m/%Y',
                      columns={{'Data': 'DATE', 'Codice ospite': 'VARCHAR', 'Struttura': 'VARCHAR'}}))
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
    for t in ["presenze", "strutture", "rendiconti"]:
        con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{duck}/{t}.parquet')")
    values = {}
    for ind, (sql, scale) in QUERIES.items():
        for territory, period, num, den in con.execute(sql).fetchall():
            if den is None:
                value = float(num)
            elif den == 0:
                continue
            else:
                value = float(num) / float(den) * scale
            values[f"{ind} {territory} {period}"] = value
    with open(os.path.join(duck, "values.json"), "w") as f:
        json.dump(values, f, sort_keys=True)


if __name__ == "__main__":
    main()
