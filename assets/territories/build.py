#!/usr/bin/env python3
"""Builds istat.csv from ANPR's archive of municipalities (italia/anpr, src/archivi/ANPR_archivio_comuni.csv,
licence CC BY 4.0). Run once when the archive changes:

    python3 assets/territories/build.py ANPR_archivio_comuni.csv > assets/territories/istat.csv

istat.csv has one row per territory, columns level,istat,code,name,parent,prefecture:
  regione    istat 05      code VEN     parent IT
  provincia  istat 028     code PD      parent VEN    prefecture PD  (UTS: provinces, metropolitan cities...)
  comune     istat 028060  code 028060  parent PD     prefecture PD  (the prefecture it belongs to)
  cessato    istat 028500  code 028001  parent (the day it ceased)   a ceased code and its successor

The archive gives municipalities only; the names of regions and provinces are those of ISTAT's
lists, written below. Municipality names are the archive's upper-case names, title-cased.
"""
import csv
import datetime
import sys
from collections import defaultdict

REGIONS = {
    "01": ("PIE", "Piemonte"), "02": ("VDA", "Valle d'Aosta/Vallée d'Aoste"), "03": ("LOM", "Lombardia"),
    "04": ("TAA", "Trentino-Alto Adige/Südtirol"), "05": ("VEN", "Veneto"), "06": ("FVG", "Friuli-Venezia Giulia"),
    "07": ("LIG", "Liguria"), "08": ("ER", "Emilia-Romagna"), "09": ("TOS", "Toscana"), "10": ("UMB", "Umbria"),
    "11": ("MAR", "Marche"), "12": ("LAZ", "Lazio"), "13": ("ABR", "Abruzzo"), "14": ("MOL", "Molise"),
    "15": ("CAM", "Campania"), "16": ("PUG", "Puglia"), "17": ("BAS", "Basilicata"), "18": ("CAL", "Calabria"),
    "19": ("SIC", "Sicilia"), "20": ("SAR", "Sardegna"),
}

PROVINCES = {
    "001": "Torino", "002": "Vercelli", "003": "Novara", "004": "Cuneo", "005": "Asti", "006": "Alessandria",
    "096": "Biella", "103": "Verbano-Cusio-Ossola", "007": "Valle d'Aosta/Vallée d'Aoste", "012": "Varese",
    "013": "Como", "014": "Sondrio", "015": "Milano", "016": "Bergamo", "017": "Brescia", "018": "Pavia",
    "019": "Cremona", "020": "Mantova", "097": "Lecco", "098": "Lodi", "108": "Monza e della Brianza",
    "021": "Bolzano/Bozen", "022": "Trento", "023": "Verona", "024": "Vicenza", "025": "Belluno",
    "026": "Treviso", "027": "Venezia", "028": "Padova", "029": "Rovigo", "030": "Udine", "031": "Gorizia",
    "032": "Trieste", "093": "Pordenone", "008": "Imperia", "009": "Savona", "010": "Genova",
    "011": "La Spezia", "033": "Piacenza", "034": "Parma", "035": "Reggio nell'Emilia", "036": "Modena",
    "037": "Bologna", "038": "Ferrara", "039": "Ravenna", "040": "Forlì-Cesena", "099": "Rimini",
    "045": "Massa-Carrara", "046": "Lucca", "047": "Pistoia", "048": "Firenze", "049": "Livorno",
    "050": "Pisa", "051": "Arezzo", "052": "Siena", "053": "Grosseto", "100": "Prato", "054": "Perugia",
    "055": "Terni", "041": "Pesaro e Urbino", "042": "Ancona", "043": "Macerata", "044": "Ascoli Piceno",
    "109": "Fermo", "056": "Viterbo", "057": "Rieti", "058": "Roma", "059": "Latina", "060": "Frosinone",
    "066": "L'Aquila", "067": "Teramo", "068": "Pescara", "069": "Chieti", "070": "Campobasso",
    "094": "Isernia", "061": "Caserta", "062": "Benevento", "063": "Napoli", "064": "Avellino",
    "065": "Salerno", "071": "Foggia", "072": "Bari", "073": "Taranto", "074": "Brindisi", "075": "Lecce",
    "110": "Barletta-Andria-Trani", "076": "Potenza", "077": "Matera", "078": "Cosenza", "079": "Catanzaro",
    "080": "Reggio Calabria", "101": "Crotone", "102": "Vibo Valentia", "081": "Trapani", "082": "Palermo",
    "083": "Messina", "084": "Agrigento", "085": "Caltanissetta", "086": "Enna", "087": "Catania",
    "088": "Ragusa", "089": "Siracusa", "090": "Sassari", "091": "Nuoro", "092": "Cagliari",
    "095": "Oristano", "111": "Sud Sardegna",
}
METRO = {"001", "010", "015", "027", "037", "048", "058", "063", "072", "080", "082", "083", "087", "092"}
CONSORZI = {"081", "084", "085", "086", "088", "089"}
AUTONOMOUS = {"021", "022"}

LOWER = {
    "di", "del", "dello", "della", "dei", "degli", "delle", "e", "ed", "in", "a", "al", "allo", "alla",
    "ai", "agli", "alle", "sul", "sullo", "sulla", "sui", "sugli", "sulle", "nel", "nello", "nella",
    "nei", "negli", "nelle", "con", "da", "dal", "dalla", "per", "su", "de", "d", "dell", "all", "sull",
    "nell", "dall", "l", "sopra", "sotto",
}


def province_name(code):
    name = PROVINCES[code]
    if code == "007":
        return name
    if code in METRO:
        return f"Città metropolitana di {name}"
    if code in CONSORZI:
        return f"Libero consorzio comunale di {name}"
    if code in AUTONOMOUS:
        return f"Provincia autonoma di {name}"
    if code == "111":
        return "Provincia del Sud Sardegna"
    return f"Provincia di {name}"


def title(name):
    """ABANO TERME -> Abano Terme; VILLAFRANCA DI VERONA -> Villafranca di Verona; SANT'ANGELO -> Sant'Angelo."""
    out, word, first = [], "", True
    for ch in name.lower() + " ":
        if ch.isalpha():
            word += ch
            continue
        if word:
            keep_lower = not first and word in LOWER and ch in " '’"
            out.append(word if keep_lower else word[0].upper() + word[1:])
            first = False
            word = ""
        out.append(ch)
    return "".join(out).strip()


def day_after(iso):
    return (datetime.date.fromisoformat(iso) + datetime.timedelta(days=1)).isoformat()


def main(path):
    rows = list(csv.DictReader(open(path, encoding="utf-8-sig")))
    active = {r["CODISTAT"]: r for r in rows if r["STATO"] == "A"}
    by_cadastral = {r["CODCATASTALE"]: r["CODISTAT"] for r in active.values()}
    instituted = defaultdict(list)  # (province, day) -> records instituted that day
    for r in rows:
        instituted[(r["IDPROVINCIAISTAT"], r["DATAISTITUZIONE"])].append(r)

    def successor(r):
        """The code that took over a ceased one: the same cadastral unit under a new code (a change
        of province), else the one municipality of its province instituted the day after it ceased
        (a merger), preferring one whose name contains the ceased one's when several were."""
        if r["CODCATASTALE"] in by_cadastral and by_cadastral[r["CODCATASTALE"]] != r["CODISTAT"]:
            return by_cadastral[r["CODCATASTALE"]]
        cands = [
            c for c in instituted[(r["IDPROVINCIAISTAT"], day_after(r["DATACESSAZIONE"]))]
            if c["CODISTAT"] != r["CODISTAT"]
        ]
        if len(cands) > 1:
            cands = [c for c in cands if r["DENOMINAZIONE_IT"] in c["DENOMINAZIONE_IT"]]
        return cands[0] if len(cands) == 1 else None

    gone = {}
    for r in rows:
        if r["STATO"] == "C" and r["CODISTAT"] not in active:
            # the last record of a code says how it ended
            prev = gone.get(r["CODISTAT"])
            if prev is None or r["DATACESSAZIONE"] > prev["DATACESSAZIONE"]:
                gone[r["CODISTAT"]] = r

    def resolve(code, seen=()):
        if code in active:
            return code
        r = gone.get(code)
        if r is None or code in seen:
            return None
        nxt = successor(r)
        if nxt is None:
            return None
        nxt = nxt if isinstance(nxt, str) else nxt["CODISTAT"]
        return resolve(nxt, seen + (code,))

    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["level", "istat", "code", "name", "parent", "prefecture"])
    for reg, (code, name) in sorted(REGIONS.items()):
        w.writerow(["regione", reg, code, name, "IT", ""])
    provinces = sorted({(r["IDREGIONE"], r["IDPROVINCIAISTAT"], r["SIGLAPROVINCIA"]) for r in active.values()})
    prefecture_of_province = {}
    for r in active.values():
        prefecture_of_province.setdefault(r["SIGLAPROVINCIA"], set()).add(r["IDPREFETTURA"])
    for reg, prov, sigla in provinces:
        pref = prefecture_of_province[sigla]
        w.writerow(["provincia", prov, sigla, province_name(prov), REGIONS[reg][0], pref.pop() if len(pref) == 1 else ""])
    for code, r in sorted(active.items()):
        w.writerow(["comune", code, code, title(r["DENOMINAZIONE_IT"]), r["SIGLAPROVINCIA"], r["IDPREFETTURA"]])
    for code, r in sorted(gone.items()):
        # Codes ceased before 1990 never appear in an export of the offices this serves.
        if r["DATACESSAZIONE"] < "1990-01-01":
            continue
        to = resolve(code)
        if to is not None:
            w.writerow(["cessato", code, to, title(r["DENOMINAZIONE_IT"]), r["DATACESSAZIONE"], ""])


if __name__ == "__main__":
    main(sys.argv[1])
