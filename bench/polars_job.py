#!/usr/bin/env python3
"""The benchmark's job done by Polars, as an analyst would do it: the three CSV exports to Parquet
(streamed, `sink_parquet`), then the indicators on the Parquet files as lazy queries collected
together (`collect_all`, which shares their common parts), at province level and at each indicator's
grain, rolled up as osservatorio publishes them (workloads.figures). Writes DIR/polars/values.json ("indicator territory period" -> value), the same keys as
bench/duckdb_job.py. bench/run.sh runs it with POLARS_MAX_THREADS=2.

Usage: bench/polars_job.py DIR [WORKLOAD]   (DIR as bench/run.sh prepares it; WORKLOAD day,
                                              bench/workloads.py)
Needs: pip install polars
"""
import json
import os
import sys

import polars as pl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from workloads import figures, workload  # noqa: E402


def convert(root, work, out):
    """The three exports to Parquet, the register's columns named as in the warehouse."""
    data = os.path.join(root, "data")
    columns = work["columns"]
    (pl.scan_csv(os.path.join(root, work["presenze"]), separator=";",
                 schema={h: pl.String for h, _ in columns})
     .select([pl.col(columns[0][0]).str.to_date("%d/%m/%Y").alias(columns[0][1])]
             + [pl.col(h).alias(c) for h, c in columns[1:]])
     .sink_parquet(os.path.join(out, "presenze.parquet")))
    (pl.scan_csv(os.path.join(data, "strutture.csv"), separator=";",
                 schema={"Codice": pl.String, "Denominazione": pl.String, "Provincia": pl.String,
                         "Posti": pl.Int64})
     .select(codice="Codice", nome="Denominazione", provincia="Provincia", posti="Posti")
     .sink_parquet(os.path.join(out, "strutture.parquet")))
    (pl.scan_csv(os.path.join(data, "rendiconti.csv"), separator=";",
                 schema={"Struttura": pl.String, "Mese": pl.String, "Giornate": pl.Int64,
                         "Importo ammesso": pl.String})
     .select(struttura="Struttura",
             mese=(pl.lit("01/") + pl.col("Mese")).str.to_date("%d/%m/%Y"),
             giornate="Giornate",
             importo=pl.col("Importo ammesso").str.replace_all(".", "", literal=True)
             .str.replace(",", ".", literal=True).cast(pl.Float64))
     .sink_parquet(os.path.join(out, "rendiconti.parquet")))


def queries(out, wide):
    """id -> (lazy frame of territory, period, numerator, denominator, scale)."""
    p = pl.scan_parquet(os.path.join(out, "presenze.parquet"))
    s = pl.scan_parquet(os.path.join(out, "strutture.parquet")).select("codice", "provincia", "posti")
    r = pl.scan_parquet(os.path.join(out, "rendiconti.parquet"))
    month = pl.col("data").dt.truncate("1mo").alias("mese")
    joined = p.join(s, left_on="struttura", right_on="codice")

    def monthly(frame, num, den=None):
        agg = [num.alias("num"), (den if den is not None else pl.lit(None)).alias("den")]
        return (frame.group_by("provincia", "mese").agg(agg)
                .select(pl.col("provincia"), pl.col("mese").dt.strftime("%Y-%m"), "num", "den"))

    by_month = joined.with_columns(month)
    per_facility = p.group_by("struttura", month).agg(pl.len().alias("giornate")).join(
        s, left_on="struttura", right_on="codice")
    out = {
        "giornate_presenza": (monthly(by_month, pl.len()), 1),
        "ospiti_distinti": (monthly(by_month, pl.col("ospite").n_unique()), 1),
        "occupazione": (monthly(per_facility, pl.col("giornate").sum(),
                                (pl.col("posti") * pl.col("mese").dt.month_end().dt.day()).sum()), 100),
        "costo_giornata": (monthly(r.join(s, left_on="struttura", right_on="codice"),
                                   pl.col("importo").sum(), pl.col("giornate").sum()), 1),
        "durata_media": (joined.group_by("provincia", pl.col("data").dt.year().cast(pl.String).alias("anno"))
                         .agg(pl.len().alias("num"), pl.col("ospite").n_unique().alias("den")), 1),
    }
    if wide:
        out["giornate_donne"] = (monthly(by_month.filter(pl.col("sesso") == "F"), pl.len()), 1)
    return out


def main():
    root = sys.argv[1]
    work = workload(sys.argv[2] if len(sys.argv) > 2 else "day")
    out = os.path.join(root, "polars")
    os.makedirs(out, exist_ok=True)
    convert(root, work, out)
    plan = queries(out, "giornate_donne" in work["grain"])
    frames = pl.collect_all([frame for frame, _ in plan.values()])
    rows = [(ind, territory, period, num, den, scale) for (ind, (_, scale)), frame in zip(plan.items(), frames)
            for territory, period, num, den in frame.iter_rows()]
    with open(os.path.join(out, "values.json"), "w") as f:
        json.dump(figures(rows, root), f, sort_keys=True)


if __name__ == "__main__":
    main()
