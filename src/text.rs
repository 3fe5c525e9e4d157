//! Export text quoted in messages: rejection values, errors and warnings quote at most
//! [`QUOTE_CHARS`] characters of it, so a 300 MB line without a line break does not become a
//! 300 MB report, ledger record and log line.

use std::borrow::Cow;

/// The most characters of export text a message quotes.
pub const QUOTE_CHARS: usize = 200;

/// `text` as a message may carry it: whole when short, else its first [`QUOTE_CHARS`] characters
/// and how many bytes were left out.
pub fn excerpt(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(QUOTE_CHARS) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => Cow::Owned(format!(
            "{}… ({} more bytes)",
            &text[..cut],
            text.len() - cut
        )),
    }
}

/// `text` excerpted and in quotes, for a message.
pub fn quoted(text: &str) -> String {
    format!("'{}'", excerpt(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_on_a_character_boundary_and_says_how_much_is_missing() {
        assert_eq!(excerpt("PD001"), "PD001");
        let long = "è".repeat(QUOTE_CHARS + 10);
        let cut = excerpt(&long);
        assert!(cut.starts_with(&"è".repeat(QUOTE_CHARS)), "{cut}");
        assert!(cut.ends_with("… (20 more bytes)"), "{cut}");
        assert_eq!(quoted("a"), "'a'");
    }
}
