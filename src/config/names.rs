//! What the names of sources, pipelines, tables, indicators and dashboards may be: they name
//! folders and files of the warehouse and the output, SQL tables, and command-line arguments.

/// The longest name.
const MAX_NAME: usize = 64;

/// Names the output folder uses for itself: a dashboard named so would replace it.
const RESERVED_OUTPUT: [&str; 7] = [
    "published",
    "deliveries",
    "index",
    "findings",
    "indicators",
    "render",
    "assets",
];

/// Why `name` cannot name a source, pipeline or dashboard (`what`), if it cannot: lower-case
/// letters, digits, `-` and `_`, starting with a letter or a digit, at most 64 characters.
pub(super) fn folder_name_problem(what: &str, name: &str) -> Option<String> {
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && name.len() <= MAX_NAME;
    (!ok).then(|| {
        format!(
            "{} is not a {what} name: write lower-case letters, digits, - and _, starting with a letter or a digit, at most {MAX_NAME} characters (e.g. padova-presenze)",
            crate::text::quoted(name)
        )
    })
}

/// Why `name` cannot name a table or an indicator (`what`), which SQL reads, if it cannot:
/// lower-case letters, digits and `_`, starting with a letter, at most 64 characters. Names
/// starting with `_` are the warehouse's own (`_history`, `_runs`, `_rejected`, ...).
pub(super) fn sql_name_problem(what: &str, name: &str) -> Option<String> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= MAX_NAME;
    (!ok).then(|| {
        format!(
            "{} is not a {what} name: write lower-case letters, digits and _, starting with a letter, at most {MAX_NAME} characters (names starting with _ are the warehouse's own)",
            crate::text::quoted(name)
        )
    })
}

/// Why `id` cannot name a dashboard, if it cannot: a folder name the output folder does not
/// use for itself.
pub(super) fn dashboard_id_problem(id: &str) -> Option<String> {
    if let Some(why) = folder_name_problem("dashboard", id) {
        return Some(why);
    }
    RESERVED_OUTPUT.contains(&id).then(|| {
        format!(
            "'{id}' is a name the output folder uses for itself ({}): choose another dashboard id",
            RESERVED_OUTPUT.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_plain_and_not_the_output_folders_own() {
        assert_eq!(folder_name_problem("source", "padova-presenze_2"), None);
        assert_eq!(folder_name_problem("source", "2024-export"), None);
        for bad in ["a/b", "a b", "'x'", "Padova", "-x", "", &"a".repeat(65)] {
            assert!(folder_name_problem("source", bad).is_some(), "{bad}");
        }
        assert_eq!(sql_name_problem("table", "presenze_2024"), None);
        for bad in ["_history", "2x", "a-b", "a.b"] {
            assert!(sql_name_problem("table", bad).is_some(), "{bad}");
        }
        assert!(dashboard_id_problem("published").is_some());
        assert_eq!(dashboard_id_problem("piano-di-zona"), None);
        let long = folder_name_problem("source", &"a".repeat(300)).unwrap_or_default();
        assert!(long.len() < 500, "{long}");
    }
}
