#!/usr/bin/env python3
"""Writes a national-scale benchmark project: a year of a daily presence register (one row per guest
per day), the facilities and their monthly expense reports, in the offices' CSV style (`;`,
dd/mm/yyyy, decimal comma).

Scale 1 is about 140,000 guests, 5,600 facilities in 107 provinces and 21.8 million presence rows
(about 590 MB). The data are invented; a fixed seed makes every run identical, and every shape holds
the same guests, stays and expense reports.

Shapes of the register (bench/workloads.py):
  day    rows ordered by day, three columns (date, guest, facility)
  guest  the same rows ordered by guest, then day
  wide   rows ordered by day with ten text columns: guest and facility codes, an operator code and
         seven low-cardinality ones (sex, citizenship, age band, permit, language, reception type,
         the day's service); about 2.4 GB at scale 1

Usage: bench/generate.py SCALE DIR [SHAPE]   (DIR gets territories.csv and data/; SHAPE day)
"""
import datetime
import os
import random
import sys

YEAR = 2025
PROVINCES = 107
REGIONS = 20
DAYS = 365

CITIZENSHIPS = ["Nigeria", "Bangladesh", "Pakistan", "Egitto", "Tunisia", "Costa d'Avorio", "Guinea",
                "Mali", "Gambia", "Senegal", "Afghanistan", "Eritrea", "Sudan", "Somalia", "Marocco",
                "Albania", "Ucraina", "Ghana", "Camerun", "Burkina Faso", "Siria", "Iraq", "Etiopia",
                "Sierra Leone", "Perù", "Colombia", "Venezuela", "Georgia", "Turchia", "Iran"]
AGE_BANDS = ["0-17", "18-24", "25-34", "35-44", "45-54", "55 e oltre"]
PERMITS = ["Richiedente asilo", "Protezione internazionale", "Protezione speciale", "Protezione temporanea",
           "Minore straniero non accompagnato", "Casi speciali", "Ricorrente"]
LANGUAGES = ["inglese", "francese", "arabo", "bengalese", "urdu", "tigrino", "somalo", "pashto", "ucraino",
             "spagnolo", "wolof", "bambara"]
RECEPTION = ["CAS", "SAI", "Prima accoglienza"]
SERVICES = ["Mensa", "Corso di italiano", "Orientamento legale", "Assistenza sanitaria", "Mediazione",
            "Orientamento al lavoro", "Tempo libero", "Nessuno"]


def write_territories(out):
    with open(os.path.join(out, "territories.csv"), "w") as f:
        f.write("code,name,level,parent\nIT,Italia,nazione,\n")
        for r in range(1, REGIONS + 1):
            f.write(f"R{r:02},Regione {r:02},regione,IT\n")
        for p in range(1, PROVINCES + 1):
            f.write(f"P{p:03},Provincia {p:03},provincia,R{(p - 1) % REGIONS + 1:02}\n")


def write_facilities(out, rng, scale):
    """The facilities as (code, province, places, cents per guest-day)."""
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
    return facilities


def stays(rng, scale, n_fac):
    """Each guest's one stay as (guest, facility index, first day, day after the last) within YEAR."""
    out = []
    for g in range(1, round(140_000 * scale) + 1):
        start = rng.randint(-300, DAYS - 1)
        length = rng.randint(60, 530)
        fac = rng.randrange(n_fac)
        first, end = max(start, 0), min(start + length, DAYS)
        if first < end:
            out.append((g, fac, first, end))
    return out


def guest_attributes(n_guests):
    """Per guest, the wide shape's fixed text: sex, citizenship, age band, permit, language. From a
    seed of their own, so the other columns are the same in every shape."""
    rng = random.Random(7)
    return [None] + [
        ";".join([rng.choice("MMMF"), rng.choice(CITIZENSHIPS), rng.choice(AGE_BANDS), rng.choice(PERMITS),
                  rng.choice(LANGUAGES)])
        for _ in range(n_guests)]


def register_lines(shape, register, facilities, dates):
    """The register's lines, one list per day (day and wide) or per guest (guest)."""
    if shape == "guest":
        for g, fac, first, end in register:
            code = facilities[fac][0]
            yield [f"{dates[d]};G{g:07};{code}\n" for d in range(first, end)]
        return
    by_day = [[] for _ in range(DAYS)]
    for g, fac, first, end in register:
        for d in range(first, end):
            by_day[d].append((g, fac))
    attrs = guest_attributes(max((s[0] for s in register), default=0)) if shape == "wide" else None
    for d in range(DAYS):
        if attrs is None:
            yield [f"{dates[d]};G{g:07};{facilities[fac][0]}\n" for g, fac in by_day[d]]
        else:
            yield [f"{dates[d]};G{g:07};{facilities[fac][0]};{attrs[g]};{RECEPTION[fac % 3]};"
                   f"{SERVICES[(g + d) % len(SERVICES)]};OP{fac:05}{g % 2}\n" for g, fac in by_day[d]]


def write_register(out, shape, register, facilities):
    header = "Data;Codice ospite;Struttura"
    if shape == "wide":
        header += (";Sesso;Cittadinanza;Fascia d'età;Titolo di soggiorno;Lingua;Tipo di accoglienza;"
                   "Servizio;Operatore")
    first = datetime.date(YEAR, 1, 1)
    dates = [(first + datetime.timedelta(days=d)).strftime("%d/%m/%Y") for d in range(DAYS)]
    rows = 0
    with open(os.path.join(out, "data", "presenze.csv"), "w", encoding="utf-8", newline="") as f:
        f.write(header + "\n")
        for lines in register_lines(shape, register, facilities, dates):
            rows += len(lines)
            f.write("".join(lines))
    return rows


def write_expenses(out, register, facilities):
    months = [(datetime.date(YEAR, 1, 1) + datetime.timedelta(days=d)).month for d in range(DAYS)]
    guest_days = {}  # (facility, month) -> days
    for _, fac, first, end in register:
        for d in range(first, end):
            key = (fac, months[d])
            guest_days[key] = guest_days.get(key, 0) + 1
    with open(os.path.join(out, "data", "rendiconti.csv"), "w", encoding="utf-8") as f:
        f.write("Struttura;Mese;Giornate;Importo ammesso\n")
        for (fac, month), n in sorted(guest_days.items()):
            code, _, _, rate = facilities[fac]
            cents = n * rate
            euros = f"{cents // 100:,}".replace(",", ".")
            f.write(f"{code};{month:02}/{YEAR};{n};{euros},{cents % 100:02}\n")


def main():
    scale = float(sys.argv[1])
    out = sys.argv[2]
    shape = sys.argv[3] if len(sys.argv) > 3 else "day"
    if shape not in ("day", "guest", "wide"):
        raise SystemExit(f"unknown shape {shape!r}: day, guest or wide")
    rng = random.Random(20251231)
    os.makedirs(os.path.join(out, "data"), exist_ok=True)
    write_territories(out)
    facilities = write_facilities(out, rng, scale)
    register = stays(rng, scale, len(facilities))
    rows = write_register(out, shape, register, facilities)
    write_expenses(out, register, facilities)
    print(f"scale {scale} ({shape}): {len(facilities)} facilities, {len(register)} guests present, "
          f"{rows} presence rows in {out}/data")


if __name__ == "__main__":
    main()
