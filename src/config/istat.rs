//! The official lists of territories: ISTAT's regions, provinces (UTS) and municipalities with the
//! prefecture each municipality belongs to, and the successor of every municipality code that has
//! ceased since 1990 (mergers and changes of province).
//!
//! Built by `assets/territories/build.py` from ANPR's archive of municipalities (italia/anpr,
//! CC BY 4.0). Codes: the country is `IT`; a region has a short code (`VEN`, `LOM`, `ER`, ...), a
//! province its vehicle plate letters (`PD`), a municipality its six-digit ISTAT code (`028060`).

use std::collections::HashMap;
use std::sync::OnceLock;

use super::Territory;

const DATA: &str = include_str!("../../assets/territories/istat.csv");

/// The level names of the official territories, as `level:` selectors and territories.csv use them.
pub const COUNTRY: &str = "nazione";
/// See [`COUNTRY`].
pub const REGION: &str = "regione";
/// See [`COUNTRY`].
pub const PROVINCE: &str = "provincia";
/// See [`COUNTRY`].
pub const MUNICIPALITY: &str = "comune";

/// One official territory.
#[derive(Debug, Clone)]
pub struct Official {
    /// `regione`, `provincia` or `comune`.
    pub level: &'static str,
    /// ISTAT's code: `05`, `028`, `028060`.
    pub istat: String,
    /// The code the project uses: `VEN`, `PD`, `028060`.
    pub code: String,
    /// The official name.
    pub name: String,
    /// The parent's code (`IT` for a region).
    pub parent: String,
    /// The prefecture (by its province's letters) a municipality or province belongs to.
    pub prefecture: Option<String>,
}

/// A ceased municipality code and the current one that took it over.
#[derive(Debug, Clone)]
pub struct Ceased {
    /// The current code.
    pub successor: String,
    /// The name it had.
    pub name: String,
    /// The day it ceased (`YYYY-MM-DD`).
    pub ceased: String,
}

struct Lists {
    all: Vec<Official>,
    by_code: HashMap<String, usize>,
    ceased: HashMap<String, Ceased>,
}

fn lists() -> &'static Lists {
    static LISTS: OnceLock<Lists> = OnceLock::new();
    LISTS.get_or_init(|| {
        let mut all = Vec::new();
        let mut ceased = HashMap::new();
        let mut reader = csv::Reader::from_reader(DATA.as_bytes());
        for rec in reader.records().flatten() {
            let get = |i: usize| rec.get(i).unwrap_or("").to_string();
            let level = match rec.get(0) {
                Some("regione") => REGION,
                Some("provincia") => PROVINCE,
                Some("comune") => MUNICIPALITY,
                Some("cessato") => {
                    ceased.insert(
                        get(1),
                        Ceased {
                            successor: get(2),
                            name: get(3),
                            ceased: get(4),
                        },
                    );
                    continue;
                }
                _ => continue,
            };
            all.push(Official {
                level,
                istat: get(1),
                code: get(2),
                name: get(3),
                parent: get(4),
                prefecture: Some(get(5)).filter(|p| !p.is_empty()),
            });
        }
        let by_code = all
            .iter()
            .enumerate()
            .map(|(i, o)| (o.code.clone(), i))
            .collect();
        Lists {
            all,
            by_code,
            ceased,
        }
    })
}

/// Every official territory: regions, then provinces, then municipalities.
pub fn all() -> &'static [Official] {
    &lists().all
}

/// The official territory with this code (`VEN`, `PD`, `028060`).
pub fn get(code: &str) -> Option<&'static Official> {
    let l = lists();
    l.by_code.get(code).map(|&i| &l.all[i])
}

/// The region an ISTAT region code (`05`, or `5`) or a region code (`VEN`) names.
pub fn region(given: &str) -> Option<&'static Official> {
    let given = given.trim();
    let padded = if given.len() == 1 {
        format!("0{given}")
    } else {
        given.to_string()
    };
    all()
        .iter()
        .filter(|o| o.level == REGION)
        .find(|o| o.istat == padded || o.code.eq_ignore_ascii_case(given))
}

/// A one-line list of the regions, for messages: `01 Piemonte, 02 ...`.
pub fn region_list() -> String {
    all()
        .iter()
        .filter(|o| o.level == REGION)
        .map(|o| format!("{} {}", o.istat, o.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a ceased municipality code became: the current code that took it over, from the
/// archive's validity dates. None for a current code, an unknown one, or a municipality whose
/// successor the dates do not tell (one absorbed by a neighbour that kept its own code).
pub fn ceased(code: &str) -> Option<&'static Ceased> {
    lists().ceased.get(code)
}

/// The current code for a municipality code found in an export: its successor when it has
/// ceased, else the code as given.
pub fn current_code(code: &str) -> &str {
    match ceased(code) {
        Some(c) => &c.successor,
        None => code,
    }
}

/// For a message about an unknown territory code: what it became when it is a ceased municipality
/// code (`; 024023 (Campolongo sul Brenta) ceased on 2019-01-29: its successor is 024125 (Valbrenta)`).
pub fn ceased_hint(code: &str) -> String {
    match ceased(code) {
        Some(c) => format!(
            "; {code} ({}) ceased on {}: its successor is {} ({})",
            c.name,
            c.ceased,
            c.successor,
            get(&c.successor).map_or("", |o| o.name.as_str())
        ),
        None => String::new(),
    }
}

/// The prefecture (its province's letters, e.g. `CA` for the municipalities of Sud Sardegna) a
/// municipality or province belongs to.
pub fn prefecture_of(code: &str) -> Option<&'static str> {
    get(current_code(code)).and_then(|o| o.prefecture.as_deref())
}

/// The territories of these regions, as a territories.csv holds them: the country, the regions,
/// their provinces and their municipalities. `regions` are region codes as [`region`] takes them;
/// the first one that names no region is the error.
pub fn hierarchy<S: AsRef<str>>(regions: &[S]) -> Result<Vec<Territory>, String> {
    let mut chosen = Vec::new();
    for r in regions {
        let reg = region(r.as_ref()).ok_or_else(|| r.as_ref().to_string())?;
        if !chosen.contains(&reg.code.as_str()) {
            chosen.push(reg.code.as_str());
        }
    }
    let mut out = vec![Territory {
        code: "IT".into(),
        name: "Italia".into(),
        level: COUNTRY.into(),
        parent: None,
    }];
    let provinces: Vec<&str> = all()
        .iter()
        .filter(|o| o.level == PROVINCE && chosen.contains(&o.parent.as_str()))
        .map(|o| o.code.as_str())
        .collect();
    let wanted = |o: &Official| match o.level {
        REGION => chosen.contains(&o.code.as_str()),
        PROVINCE => chosen.contains(&o.parent.as_str()),
        _ => provinces.contains(&o.parent.as_str()),
    };
    out.extend(all().iter().filter(|o| wanted(o)).map(|o| Territory {
        code: o.code.clone(),
        name: o.name.clone(),
        level: o.level.to_string(),
        parent: Some(o.parent.clone()),
    }));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lists_hold_every_region_province_and_municipality() {
        let count = |level| all().iter().filter(|o| o.level == level).count();
        assert_eq!(count(REGION), 20);
        assert_eq!(count(PROVINCE), 107);
        assert_eq!(count(MUNICIPALITY), 7901);
        let padova = get("028060").expect("Padova");
        assert_eq!(
            (padova.name.as_str(), padova.parent.as_str()),
            ("Padova", "PD")
        );
        assert_eq!(region("5").map(|r| r.code.as_str()), Some("VEN"));
        assert_eq!(region("lom").map(|r| r.istat.as_str()), Some("03"));
        assert!(region("21").is_none());
    }

    #[test]
    fn ceased_municipalities_map_to_their_successor() {
        // Abetone (PT) and Cutigliano merged into Abetone Cutigliano on 1 January 2017.
        let c = ceased("047001").expect("Abetone ceased");
        assert_eq!(
            (c.successor.as_str(), c.ceased.as_str()),
            ("047023", "2016-12-31")
        );
        assert_eq!(current_code("047001"), "047023");
        assert_eq!(
            get("047023").map(|o| o.name.as_str()),
            Some("Abetone Cutigliano")
        );
        // Biella's municipalities moved from Vercelli (002) to the new province of Biella (096) in 1992.
        assert_eq!(current_code("002012"), "096004");
        // A current code is its own.
        assert_eq!(current_code("028060"), "028060");
        assert!(ceased("028060").is_none());
        assert_eq!(
            ceased_hint("024023"),
            "; 024023 (Campolongo sul Brenta) ceased on 2019-01-29: its successor is 024125 (Valbrenta)"
        );
        assert_eq!(ceased_hint("028060"), "");
        // Every successor is a current municipality.
        for c in lists().ceased.values() {
            assert_eq!(
                get(&c.successor).map(|o| o.level),
                Some(MUNICIPALITY),
                "{c:?}"
            );
        }
    }

    #[test]
    fn prefectures_of_municipalities() {
        assert_eq!(prefecture_of("028060"), Some("PD"));
        // Sud Sardegna's municipalities answer to the Prefecture of Cagliari.
        let su = all()
            .iter()
            .find(|o| o.level == MUNICIPALITY && o.parent == "SU")
            .expect("a municipality of Sud Sardegna");
        assert_eq!(su.prefecture.as_deref(), Some("CA"));
    }
}
