//! The words sentences are made of: how an indicator is named and agrees, days and periods.

use crate::config::{Indicator, Locale, Period};
use crate::render::format;

/// How sentences name an indicator and make words agree with it.
pub(super) struct Subject {
    pub(super) phrase: String,
    feminine: bool,
    pub(super) plural: bool,
}

pub(super) fn subject(ind: &Indicator, locale: Locale) -> Subject {
    let given = ind.phrase.as_ref().and_then(|p| match locale {
        Locale::It => p.it.clone(),
        Locale::En => p.en.clone(),
    });
    match given {
        Some(phrase) => Subject {
            phrase,
            feminine: ind.phrase.as_ref().is_some_and(|p| p.feminine),
            plural: ind.phrase.as_ref().is_some_and(|p| p.plural),
        },
        // Without a phrase of its own, the indicator is named by its title, as a masculine noun.
        None => Subject {
            phrase: match locale {
                Locale::It => format!("l'indicatore «{}»", locale.pick(&ind.title)),
                Locale::En => format!("the indicator “{}”", locale.pick(&ind.title)),
            },
            feminine: false,
            plural: false,
        },
    }
}

impl Subject {
    /// The Italian past participle of `stem` agreeing with the subject (`salit` → salito/salita/saliti/salite).
    pub(super) fn participle(&self, stem: &str) -> String {
        let end = match (self.feminine, self.plural) {
            (false, false) => "o",
            (true, false) => "a",
            (false, true) => "i",
            (true, true) => "e",
        };
        format!("{stem}{end}")
    }

    /// `è` or `sono`.
    pub(super) fn essere(&self) -> &'static str {
        if self.plural { "sono" } else { "è" }
    }

    /// `ha` or `hanno`.
    pub(super) fn avere(&self) -> &'static str {
        if self.plural { "hanno" } else { "ha" }
    }
}

const MONTHS_IT: [&str; 12] = [
    "gennaio",
    "febbraio",
    "marzo",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "novembre",
    "dicembre",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn month_name(month: u32, locale: Locale) -> &'static str {
    let i = (month as usize).saturating_sub(1) % 12;
    match locale {
        Locale::It => MONTHS_IT[i],
        Locale::En => MONTHS_EN[i],
    }
}

/// A day in words: `12 dicembre 2026`, `12 December 2026`.
pub(super) fn day_words(day: chrono::NaiveDate, locale: Locale) -> String {
    use chrono::Datelike;
    format!(
        "{} {} {}",
        day.day(),
        month_name(day.month(), locale),
        day.year()
    )
}

/// A period in words: `ottobre 2026`, `T4 2026`, `2026`.
pub(crate) fn period_words(period: &str, locale: Locale) -> String {
    match Period::parse(period) {
        Some(Period::Month { year, month }) => format!("{} {year}", month_name(month, locale)),
        _ => format::period(period, locale),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn participles_agree_with_gender_and_number() {
        let s = |feminine, plural| Subject {
            phrase: String::new(),
            feminine,
            plural,
        };
        assert_eq!(s(false, false).participle("salit"), "salito");
        assert_eq!(s(true, false).participle("salit"), "salita");
        assert_eq!(s(false, true).participle("salit"), "saliti");
        assert_eq!(s(true, true).participle("salit"), "salite");
        assert_eq!(s(true, true).essere(), "sono");
        assert_eq!(s(false, false).avere(), "ha");
    }

    #[test]
    fn days_and_months_are_in_words() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 12, 12).unwrap_or_default();
        assert_eq!(day_words(d, Locale::It), "12 dicembre 2026");
        assert_eq!(day_words(d, Locale::En), "12 December 2026");
        assert_eq!(period_words("2026-10", Locale::It), "ottobre 2026");
    }
}
