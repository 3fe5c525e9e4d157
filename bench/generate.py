#!/usr/bin/env python3
"""Writes a national-scale benchmark project: a year of a daily presence register (one row per guest
per day), the facilities and their monthly expense reports, in the offices' CSV style (`;`,
dd/mm/yyyy, decimal comma).

Scale 1 is about 140,000 guests, 5,600 facilities in 107 provinces and 21 million presence rows
(about 560 MB). The data are invented; a fixed seed makes every run identical.

Usage: bench/generate.py SCALE DIR   (DIR gets territories.csv and data/)
"""
import datetime
import os
import random
import sys

YEAR = 2025
PROVINCES = 107
REGIONS = 20


def main():
    scale = float(sys.argv[1])
    out = sys.argv[2]
    rng = random.Random(20251231)
    os.makedirs(os.path.join(out, "data"), exist_ok=True)

    with open(os.path.join(out, "territories.csv"), "w") as f:
        f.write("code,name,level,parent\nIT,Italia,nazione,\n")
        for r in range(1, REGIONS + 1):
            f.write(f"R{r:02},Regione {r:02},regione,IT\n")
        for p in range(1, PROVINCES + 1):
            f.write(f"P{p:03},Provincia {p:03},provincia,R{(p - 1) % REGIONS + 1:02}\n")

    n_fac = max(20, round(5600 * scale))
    facilities = []
    with open(os.path.join(out, "data", "strutture.csv"), "w", encoding="utf-8") as f:
        f.write("Codice;Denominazione;Provincia;Posti\n")
        for i in range(1, n_fac + 1):
            code = f"S{i:05}"
            prov = f"P{rng.randint(1, PROVINCES):03}"
            places = rng.randint(10, 25)
            rate = rng.randint(3000, 4000)  # cents per guest-day
            facilities.append((code, prov, places, rate))
            f.write(f"{code};Centro di accoglienza {i};{prov};{places}\n")

    # Each guest has one stay; the register lists the days of YEAR it covers.
    n_guests = round(140_000 * scale)
    days = 365
    by_day = [[] for _ in range(days)]
    for g in range(1, n_guests + 1):
        start = rng.randint(-300, days - 1)
        length = rng.randint(60, 530)
        fac = rng.randrange(n_fac)
        for d in range(max(start, 0), min(start + length, days)):
            by_day[d].append((g, fac))

    first = datetime.date(YEAR, 1, 1)
    guest_days = {}  # (facility, month) -> days
    rows = 0
    with open(os.path.join(out, "data", "presenze.csv"), "w", encoding="utf-8", newline="") as f:
        f.write("Data;Codice ospite;Struttura\n")
        for d in range(days):
            day = first + datetime.timedelta(days=d)
            date = day.strftime("%d/%m/%Y")
            month = day.month
            lines = []
            for g, fac in by_day[d]:
                lines.append(f"{date};G{g:07};{facilities[fac][0]}\n")
                key = (fac, month)
                guest_days[key] = guest_days.get(key, 0) + 1
            rows += len(lines)
            f.write("".join(lines))

    with open(os.path.join(out, "data", "rendiconti.csv"), "w", encoding="utf-8") as f:
        f.write("Struttura;Mese;Giornate;Importo ammesso\n")
        for (fac, month), n in sorted(guest_days.items()):
            code, _, _, rate = facilities[fac]
            cents = n * rate
            euros = f"{cents // 100:,}".replace(",", ".")
            f.write(f"{code};{month:02}/{YEAR};{n};{euros},{cents % 100:02}\n")

    print(f"scale {scale}: {n_fac} facilities, {n_guests} guests, {rows} presence rows in {out}/data")


if __name__ == "__main__":
    main()
