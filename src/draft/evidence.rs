//! What the bytes of an export show: its encoding, delimiter and records; names and YAML scalars written for it.

use super::*;

/// The name an identifier gets from free text: `N. presenti` → `n_presenti`, `Città` → `citta`.
pub(super) fn identifier(text: &str) -> String {
    let mut out = String::new();
    for c in text.to_lowercase().chars() {
        let c = match c {
            'à' | 'á' | 'â' | 'ä' => 'a',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ò' | 'ó' | 'ô' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_').to_string();
    match out.chars().next() {
        None => "colonna".to_string(),
        Some(c) if c.is_ascii_digit() => format!("c_{out}"),
        Some(_) => out,
    }
}

/// A YAML scalar, quoted when plain would not do.
pub(super) fn scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '_' | '-' | '.' | '(' | ')' | '/'))
        && !s.starts_with(|c: char| c == '-' || c == ' ' || c.is_ascii_digit())
        && !s.ends_with(' ')
        && !matches!(
            s.to_lowercase().as_str(),
            "yes" | "no" | "true" | "false" | "null" | "on" | "off" | "y" | "n"
        );
    if plain {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
    }
}

/// The export's text and how its bytes were read.
pub(super) fn decode(bytes: &[u8]) -> (String, Choice) {
    let (bytes, bom) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (rest, " after a byte-order mark"),
        None => (bytes, ""),
    };
    match std::str::from_utf8(bytes) {
        Ok(t) => (
            t.to_string(),
            Choice {
                evidence: format!("every byte is valid UTF-8{bom}"),
                yaml: "encoding: utf-8".into(),
            },
        ),
        Err(e) => {
            let at = e.valid_up_to();
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            let shown: String = text
                .get(at.saturating_sub(12)..)
                .unwrap_or("")
                .chars()
                .take(24)
                .collect();
            (
                text.into_owned(),
                Choice {
                    evidence: format!(
                        "not UTF-8 (byte 0x{:02X} at offset {at}); a single-byte encoding, read as windows-1252 it gives \"{}\" (check the accents)",
                        bytes.get(at).copied().unwrap_or(0),
                        shown.replace(['\n', '\r'], " ")
                    ),
                    yaml: "encoding: windows-1252".into(),
                },
            )
        }
    }
}

pub(super) fn records(text: &str, delimiter: u8) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .filter_map(Result::ok)
        .map(|r| r.iter().map(|f| f.trim().to_string()).collect())
        .collect()
}

/// The delimiter that splits most rows into the same number of fields (more than one).
pub(super) fn delimiter(text: &str) -> Option<(u8, usize, Choice)> {
    let mut best: Option<(u8, usize, usize, usize)> = None;
    let mut seen = Vec::new();
    for d in [b';', b',', b'\t', b'|'] {
        let rows = records(text, d);
        let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
        for r in &rows {
            *counts.entry(r.len()).or_default() += 1;
        }
        let Some((&fields, &n)) = counts
            .iter()
            .filter(|(f, _)| **f > 1)
            .max_by_key(|(f, n)| (**n, **f))
        else {
            continue;
        };
        seen.push(format!("{} gives {fields} fields in {n}", show_delim(d)));
        if best.is_none_or(|b| (n, fields) > (b.2, b.1)) {
            best = Some((d, fields, n, rows.len()));
        }
    }
    let (d, fields, n, total) = best?;
    let others = if seen.len() > 1 {
        format!(" ({})", seen.join(", "))
    } else {
        String::new()
    };
    let yaml = match d {
        b'\t' => "delimiter: \"\\t\"".to_string(),
        _ => format!("delimiter: \"{}\"", d as char),
    };
    Some((
        d,
        fields,
        Choice {
            evidence: format!(
                "{} splits {n} of {total} rows into {fields} fields{others}",
                show_delim(d)
            ),
            yaml,
        },
    ))
}

pub(super) fn show_delim(d: u8) -> String {
    match d {
        b'\t' => "tab".into(),
        d => format!("'{}'", d as char),
    }
}
