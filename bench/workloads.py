"""The bench's workloads, shared by the generator, the three jobs and the comparison: where each
workload's presence register lies, which columns it has and which indicators are computed on it.

day         the register ordered by day (bench/generate.py SCALE DIR day), the bench's first workload
guest       the same rows ordered by guest, then day
wide        the register with ten text columns, eight of them low-cardinality
deliveries  the day register as the 1,200 monthly files it arrives as (100 offices x 12 months)
"""
import csv
import os

# CSV header -> warehouse column, in file order. The first column is the date (dd/mm/yyyy).
NARROW = [("Data", "data"), ("Codice ospite", "ospite"), ("Struttura", "struttura")]
WIDE = NARROW + [
    ("Sesso", "sesso"), ("Cittadinanza", "cittadinanza"), ("Fascia d'età", "fascia_eta"),
    ("Titolo di soggiorno", "titolo"), ("Lingua", "lingua"), ("Tipo di accoglienza", "accoglienza"),
    ("Servizio", "servizio"), ("Operatore", "operatore"),
]

# indicator -> grain at which the three tools' figures are compared (province level).
GRAIN = {"giornate_presenza": "month", "ospiti_distinti": "month", "occupazione": "month",
         "costo_giornata": "month", "durata_media": "year"}
WIDE_GRAIN = {**GRAIN, "giornate_donne": "month"}
# Indicators whose figures do not add up (distinct guests): province level at their own grain only.
NO_ROLLUP = {"ospiti_distinti", "durata_media"}

WORKLOADS = {
    "day": {"shape": "day", "presenze": "data/presenze.csv", "columns": NARROW, "grain": GRAIN},
    "guest": {"shape": "guest", "presenze": "data/presenze.csv", "columns": NARROW, "grain": GRAIN},
    "wide": {"shape": "wide", "presenze": "data/presenze.csv", "columns": WIDE, "grain": WIDE_GRAIN},
    "deliveries": {"shape": "day", "presenze": "data/presenze/*.csv", "columns": NARROW,
                   "grain": GRAIN},
}


def workload(name):
    """The workload called NAME, or exits naming the known ones."""
    if name not in WORKLOADS:
        raise SystemExit(f"unknown workload {name!r}: one of {', '.join(WORKLOADS)}")
    return WORKLOADS[name]


def directory(bench, name, scale):
    """Where workload NAME at SCALE is generated and run (the day workload keeps its old place,
    which bench/deliveries.sh also reads)."""
    if name == "day":
        return os.path.join(bench, "work", f"scale-{scale}")
    return os.path.join(bench, "work", f"{name}-{scale}")


def parents(root):
    """province -> region, region -> nation, from DIR/territories.csv."""
    with open(os.path.join(root, "territories.csv"), newline="") as f:
        return {r["code"]: r["parent"] for r in csv.DictReader(f) if r["parent"]}


def figures(rows, root):
    """Every figure osservatorio publishes, from a peer's province rows (indicator, province,
    period, numerator, denominator or None, scale): "indicator territory period" -> value. Roll-ups
    (region, nation; quarter, year) sum numerators and denominators, then divide; a zero
    denominator gives no figure."""
    up = parents(root)
    sums = {}
    for ind, province, period, num, den, scale in rows:
        territories = [province] if ind in NO_ROLLUP else [province, up[province], up[up[province]]]
        periods = [period]
        if ind not in NO_ROLLUP and len(period) == 7:  # YYYY-MM
            periods += [f"{period[:4]}-Q{(int(period[5:]) - 1) // 3 + 1}", period[:4]]
        for t in territories:
            for p in periods:
                acc = sums.setdefault((ind, t, p), [0.0, None if den is None else 0.0, scale])
                acc[0] += float(num)
                if den is not None:
                    acc[1] += float(den)
    values = {}
    for (ind, t, p), (num, den, scale) in sums.items():
        if den is None:
            values[f"{ind} {t} {p}"] = num
        elif den != 0:
            values[f"{ind} {t} {p}"] = num / den * scale
    return values
