"""Generates the Tuscan access points' sample exports (PUA/SPIN, FAMI project INSERTO): every
access at the first-level points of three zones, and every case the second level's integrated
teams took in charge, with its outcome as recorded by 31 March 2026.

The figures are invented, with a fixed seed, so the files are the same at every run. Run from
the repository root:
    python3 data-samples/toscana/generate.py
"""

import csv
import datetime as dt
import random
from pathlib import Path

HERE = Path(__file__).parent
RECORDED_BY = dt.date(2026, 3, 31)
ZONES = {
    # code, folder, the first-level points (PUA and SPIN desks) and the monthly accesses they see
    "ZFI": ("firenze", ["PUA Firenze Centro", "SPIN Novoli", "SPIN Gavinana"], 70),
    "ZPO": ("prato", ["PUA Prato", "SPIN Macrolotto"], 55),
    "ZPI": ("pisa", ["PUA SdS Pisana", "SPIN Cascina"], 35),
}
TOPICS = ["documenti e permessi", "lavoro", "casa", "salute", "lingua italiana", "servizi sociali"]
POSITIVE = ["inserimento lavorativo", "percorso formativo", "soluzione abitativa"]


def day(rng, year, month):
    first = dt.date(year, month, 1)
    last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return first + dt.timedelta(days=rng.randrange((last - first).days + 1))


def accesses(rng, code, points, monthly):
    rows = []
    for month in range(1, 13):
        n = monthly + rng.randrange(-12, 13)
        for _ in range(n):
            referred = rng.random() < 0.16
            outcome = "invio al 2° livello" if referred else rng.choice(["informazione", "orientamento"])
            rows.append((day(rng, 2025, month), rng.choice(points), rng.choice(TOPICS), outcome))
    rows.sort()
    return [
        {
            "Data accesso": d.strftime("%d/%m/%Y"),
            "Punto di accesso": point,
            "Livello": 1,
            "Tema": topic,
            "Esito": outcome,
        }
        for d, point, topic, outcome in rows
    ]


def cases(rng):
    rows = []
    n = 0
    for code, (_, _, monthly) in ZONES.items():
        for month in range(1, 13):
            for _ in range(max(monthly // 6 + rng.randrange(-3, 4), 0)):
                n += 1
                taken = day(rng, 2025, month)
                outcome, when = "", None
                if rng.random() < 0.8:
                    when = taken + dt.timedelta(days=rng.randrange(20, 300))
                    outcome = rng.choice(POSITIVE) if rng.random() < 0.6 else "chiuso senza esito"
                if when is not None and when > RECORDED_BY:
                    outcome, when = "", None
                rows.append(
                    {
                        "Codice caso": f"C25-{n:04d}",
                        "Zona": code,
                        "Data presa in carico": taken.strftime("%d/%m/%Y"),
                        "Équipe": f"Équipe integrata {ZONES[code][0].capitalize()}",
                        "Esito": outcome,
                        "Data esito": when.strftime("%d/%m/%Y") if when else "",
                    }
                )
    return rows


def write(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter=";")
        w.writeheader()
        w.writerows(rows)


def main():
    rng = random.Random(20250101)
    for code, (folder, points, monthly) in ZONES.items():
        write(HERE / folder / "accessi_pua.csv", accesses(rng, code, points, monthly))
    write(HERE / "prese_in_carico.csv", cases(rng))


if __name__ == "__main__":
    main()
