//! OpenDocument number styles for the spreadsheets: the number formats the workbooks carry
//! (`#,##0.0" %"`, `#,##0`, `#,##0.0##`) as `number:number-style` elements, in the document's
//! language, so that LibreOffice shows `44,2` where the page writes `44,2`.

use crate::config::Locale;

/// The language and country a spreadsheet is written in, with the separators its readers use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Language {
    /// ISO 639-1 (`it`).
    pub language: &'static str,
    /// ISO 3166-1 (`IT`).
    pub country: &'static str,
    group: char,
    point: char,
}

impl Language {
    /// The spreadsheet language of the project locale: Italian as in Italy; English as in the
    /// United Kingdom, whose separators (`1,234.5`) are the ones the English pages write.
    pub fn of(locale: Locale) -> Self {
        match locale {
            Locale::It => Language {
                language: "it",
                country: "IT",
                group: '.',
                point: ',',
            },
            Locale::En => Language {
                language: "en",
                country: "GB",
                group: ',',
                point: '.',
            },
        }
    }
}

/// A number format as a spreadsheet style: grouping, decimals (fixed and optional) and a suffix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumberStyle {
    grouping: bool,
    /// Decimals always shown.
    min_decimals: usize,
    /// Decimals shown at most (the optional ones, `#`, beyond `min_decimals`).
    decimals: usize,
    suffix: String,
}

impl NumberStyle {
    /// Reads a format of the grammar the workbooks use: `#,##0` or `0`, then optionally `.`,
    /// fixed `0`s and optional `#`s, then optionally a quoted suffix. None for any other format.
    pub fn parse(code: &str) -> Option<Self> {
        let (digits, suffix) = match code.strip_suffix('"') {
            Some(rest) => {
                let (digits, suffix) = rest.split_once('"')?;
                (digits, suffix.to_string())
            }
            None => (code, String::new()),
        };
        if suffix.contains('"') {
            return None;
        }
        let (grouping, rest) = match digits.strip_prefix("#,##") {
            Some(rest) => (true, rest),
            None => (false, digits),
        };
        let rest = rest.strip_prefix('0')?;
        let (min_decimals, decimals) = match rest.strip_prefix('.') {
            None if rest.is_empty() => (0, 0),
            None => return None,
            Some(frac) => {
                let fixed = frac.len() - frac.trim_start_matches('0').len();
                let optional = &frac[fixed..];
                if !optional.chars().all(|c| c == '#') {
                    return None;
                }
                (fixed, frac.len())
            }
        };
        Some(NumberStyle {
            grouping,
            min_decimals,
            decimals,
            suffix,
        })
    }

    /// The `number:number-style` element named `name`.
    pub fn xml(&self, name: &str, lang: Language) -> String {
        let suffix = if self.suffix.is_empty() {
            String::new()
        } else {
            format!(
                "<number:text>{}</number:text>",
                crate::text::xml_escape(&self.suffix)
            )
        };
        format!(
            "<number:number-style style:name=\"{name}\" number:language=\"{}\" number:country=\"{}\"><number:number number:decimal-places=\"{}\" number:min-decimal-places=\"{}\" number:min-integer-digits=\"1\" number:grouping=\"{}\"/>{suffix}</number:number-style>",
            lang.language, lang.country, self.decimals, self.min_decimals, self.grouping
        )
    }

    /// `x` as the style shows it in `lang` (the text a cell carries beside its value).
    pub fn show(&self, x: f64, lang: Language) -> String {
        let group = self.grouping.then_some(lang.group);
        let mut text = crate::values::numbers::grouped(x, self.decimals, group, lang.point);
        if self.decimals > self.min_decimals && text.contains(lang.point) {
            let optional = self.decimals - self.min_decimals;
            let trailing = text.len() - text.trim_end_matches('0').len();
            text.truncate(text.len() - trailing.min(optional));
            if text.ends_with(lang.point) {
                text.pop();
            }
        }
        text + &self.suffix
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn style(code: &str) -> NumberStyle {
        NumberStyle::parse(code).unwrap_or_else(|| panic!("{code} parses"))
    }

    #[test]
    fn the_workbook_formats_read_as_styles() {
        let it = Language::of(Locale::It);
        let en = Language::of(Locale::En);
        assert_eq!(style("#,##0").show(6404.0, it), "6.404");
        assert_eq!(style("#,##0.0\" %\"").show(35.5, it), "35,5 %");
        assert_eq!(style("#,##0.0\" %\"").show(1234.56, en), "1,234.6 %");
        assert_eq!(style("#,##0.00\" €\"").show(35.5, it), "35,50 €");
        assert_eq!(style("0.0").show(1234.5, it), "1234,5");
        assert_eq!(style("#,##0.0##").show(2.5, it), "2,5");
        assert_eq!(style("#,##0.0##").show(2.0, it), "2,0");
        assert_eq!(style("#,##0.0##").show(2.12345, it), "2,123");
        assert_eq!(style("#,##0.0\" gg\"").show(-12.5, it), "-12,5 gg");
        for bad in [
            "General",
            "0%",
            "#,##0.0#0",
            "\"x\"0",
            "00",
            "#,##0.0\" \"%\"",
        ] {
            assert_eq!(NumberStyle::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_style_names_its_language() {
        let xml = style("#,##0.0\" %\"").xml("N1", Language::of(Locale::It));
        assert!(
            xml.contains("number:language=\"it\" number:country=\"IT\""),
            "{xml}"
        );
        assert!(xml.contains("number:decimal-places=\"1\""), "{xml}");
        assert!(xml.contains("number:grouping=\"true\""), "{xml}");
        assert!(xml.ends_with("<number:text> %</number:text></number:number-style>"));
    }
}
