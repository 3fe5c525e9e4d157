//! Why a figure's value changed from one stored state to the next.

use std::collections::{BTreeMap, BTreeSet};

use super::{HistoryRow, IndicatorInputs, Inputs};

/// Why a figure's value changed from one stored state to the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revision {
    First,
    /// The exports it reads changed: the sources named.
    Data(Vec<String>),
    /// Its definition (SQL, unit, roll-ups, targets) changed.
    Definition,
    /// Both at once.
    DataAndDefinition(Vec<String>),
    /// Neither: territories, plan periods or the program changed.
    Other,
    Removed,
}

/// The sources whose checksum differs between two `exports` fingerprints of states stored
/// before the inputs were kept per run.
fn changed_sources(before: &str, after: &str) -> Vec<String> {
    let parse = |s: &str| -> BTreeMap<String, String> {
        s.split(';')
            .filter_map(|x| x.split_once('='))
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    let (b, a) = (parse(before), parse(after));
    let mut names: Vec<String> = a
        .iter()
        .filter(|(k, v)| b.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .chain(b.keys().filter(|k| !a.contains_key(*k)).cloned())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The deliveries that changed between two runs' inputs: a source that sends one file is named
/// alone; of one that sends many, the files that are new, changed or gone are named too.
fn changed_deliveries(before: Option<&IndicatorInputs>, after: &IndicatorInputs) -> Vec<String> {
    let empty = BTreeMap::new();
    let sources: BTreeSet<&String> = after
        .exports
        .keys()
        .chain(before.into_iter().flat_map(|b| b.exports.keys()))
        .collect();
    let mut out = Vec::new();
    for source in sources {
        let b = before.and_then(|b| b.exports.get(source)).unwrap_or(&empty);
        let a = after.exports.get(source).unwrap_or(&empty);
        if a == b {
            continue;
        }
        let keys: Vec<&String> = a
            .iter()
            .filter(|(k, v)| b.get(*k) != Some(*v))
            .map(|(k, _)| k)
            .chain(b.keys().filter(|k| !a.contains_key(*k)))
            .collect();
        if a.len() <= 1 && b.len() <= 1 {
            out.push(source.clone());
            continue;
        }
        const SHOWN: usize = 5;
        let mut named: Vec<String> = keys.iter().take(SHOWN).map(|k| k.to_string()).collect();
        if keys.len() > SHOWN {
            named.push(format!("{} more", keys.len() - SHOWN));
        }
        out.push(format!("{source} ({})", named.join(", ")));
    }
    out
}

/// The distinct values of one figure over runs, each with why it changed: the deliveries or
/// definition that changed in the run that revised it.
pub fn revisions(states: &[&HistoryRow], inputs: &Inputs) -> Vec<(HistoryRow, Revision)> {
    let mut out: Vec<(HistoryRow, Revision)> = Vec::new();
    let mut before: Option<&HistoryRow> = None;
    for s in states {
        let reason = match before {
            None => Some(Revision::First),
            Some(_) if s.removed => Some(Revision::Removed),
            Some(b)
                if (b.value, b.target, &b.status, b.removed)
                    != (s.value, s.target, &s.status, s.removed) =>
            {
                let data = match inputs.change_at(&s.indicator, &s.run_id) {
                    Some((previous, now)) => changed_deliveries(previous, now),
                    // Stored before the inputs were kept per run: as its own fingerprints say.
                    None if !s.exports.is_empty() => changed_sources(&b.exports, &s.exports),
                    // Nothing it reads changed in that run.
                    None => Vec::new(),
                };
                Some(match (data.is_empty(), b.definition != s.definition) {
                    (true, false) => Revision::Other,
                    (true, true) => Revision::Definition,
                    (false, false) => Revision::Data(data),
                    (false, true) => Revision::DataAndDefinition(data),
                })
            }
            Some(_) => None,
        };
        if let Some(r) = reason {
            out.push(((*s).clone(), r));
        }
        before = Some(s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(deliveries: &[(&str, &str, &str)]) -> IndicatorInputs {
        let mut out = IndicatorInputs::default();
        for (source, key, sha) in deliveries {
            out.exports
                .entry(source.to_string())
                .or_default()
                .insert(key.to_string(), sha.to_string());
        }
        out
    }

    #[test]
    fn the_deliveries_that_changed_are_named_those_that_did_not_are_not() {
        let before = inputs(&[
            ("a", "a.csv", "1"),
            ("m", "01.csv", "1"),
            ("m", "02.csv", "2"),
        ]);
        // One file sources are named alone; of a source of many files, the new and changed ones.
        let after = inputs(&[
            ("a", "a.csv", "9"),
            ("m", "01.csv", "1"),
            ("m", "02.csv", "3"),
            ("m", "03.csv", "4"),
        ]);
        assert_eq!(
            changed_deliveries(Some(&before), &after),
            vec!["a".to_string(), "m (02.csv, 03.csv)".to_string()]
        );
        assert!(changed_deliveries(Some(&after), &after).is_empty());
        // A file gone is named too; many files are counted past the fifth.
        let many: Vec<(String, String)> = (1..=8)
            .map(|i| (format!("{i:02}.csv"), i.to_string()))
            .collect();
        let many: Vec<(&str, &str, &str)> = many
            .iter()
            .map(|(k, v)| ("m", k.as_str(), v.as_str()))
            .collect();
        let gone = inputs(&[("m", "01.csv", "1")]);
        assert_eq!(
            changed_deliveries(Some(&inputs(&many)), &gone),
            vec!["m (02.csv, 03.csv, 04.csv, 05.csv, 06.csv, 2 more)".to_string()]
        );
    }
}
