//! The sentences themselves: one per changed figure, one per indicator and period received.

use super::words::{Subject, period_words, subject};
use super::{Change, MAX_NEW_TERRITORIES};
use crate::config::{Locale, Unit};
use crate::indicators::targets::Status;
use crate::publish::PublishedFigure;
use crate::render::{Ctx, format};

/// The sentence telling one change, opening with `since`.
pub(super) fn change_sentence(ctx: &Ctx, c: &Change<'_>, since: &str) -> Option<String> {
    let locale = ctx.locale;
    let f = match c {
        Change::Revised { figure, .. } | Change::Status { figure, .. } => *figure,
    };
    let ind = ctx.project.indicator(&f.indicator)?;
    let t = Telling {
        locale,
        since,
        who: subject(ind, locale),
        place: ctx.project.territories.name_of(&f.territory),
        when: period_words(&f.period, locale),
        unit: ind.unit,
        target: f.target.map(|x| format::value(x, ind.unit, locale)),
    };
    Some(match c {
        Change::Revised {
            before,
            reason,
            reached,
            status,
            ..
        } => t.revised(*before, f.value?, reason, *reached, *status),
        Change::Status {
            status, reached, ..
        } => t.status(*status, *reached),
    })
}

/// What a sentence about one figure says it about.
struct Telling<'a> {
    locale: Locale,
    since: &'a str,
    who: Subject,
    place: String,
    when: String,
    unit: Unit,
    /// The figure's target, as shown.
    target: Option<String>,
}

impl Telling<'_> {
    fn shown(&self, x: f64) -> String {
        format::value(x, self.unit, self.locale)
    }

    /// ` and reached its target of …` when it did.
    fn reached(&self, r: bool) -> String {
        match (r, &self.target, self.locale) {
            (true, Some(t), Locale::It) => {
                format!(" e {} raggiunto l'obiettivo del {t}", self.who.avere())
            }
            (true, Some(t), Locale::En) => format!(" and reached its target of {t}"),
            _ => String::new(),
        }
    }

    /// `; it is now …` when the status moved without the target being reached.
    fn now_status(&self, s: Option<Status>, r: bool) -> String {
        match (s, r, self.locale) {
            (Some(s), false, Locale::It) => format!(
                "; ora {} «{}»",
                if self.who.plural {
                    "risultano"
                } else {
                    "risulta"
                },
                format::status(s, self.locale)
            ),
            (Some(s), false, Locale::En) => {
                format!("; it is now “{}”", format::status(s, self.locale))
            }
            _ => String::new(),
        }
    }

    /// A figure revised from `before` to `value`.
    fn revised(
        &self,
        before: f64,
        value: f64,
        reason: &str,
        reached: bool,
        status: Option<Status>,
    ) -> String {
        let (since, who, place, when) = (self.since, &self.who, &self.place, &self.when);
        let up = value > before;
        match self.locale {
            Locale::It => format!(
                "{since}, {} di {place} {} {} dal {} al {} ({when}, {reason}){}{}.",
                who.phrase,
                who.essere(),
                who.participle(if up { "salit" } else { "sces" }),
                self.shown(before),
                self.shown(value),
                self.reached(reached),
                self.now_status(status, reached),
            ),
            Locale::En => format!(
                "{since}, {} for {place} {} from {} to {} ({when}, {reason}){}{}.",
                who.phrase,
                if up { "rose" } else { "fell" },
                self.shown(before),
                self.shown(value),
                self.reached(reached),
                self.now_status(status, reached),
            ),
        }
    }

    /// A figure of the same value with another status.
    fn status(&self, status: Status, reached: bool) -> String {
        let (since, who, place, when) = (self.since, &self.who, &self.place, &self.when);
        let target = &self.target;
        match (self.locale, reached) {
            (Locale::It, true) => format!(
                "{since}, {} di {place} ({when}) {} raggiunto l'obiettivo{}.",
                who.phrase,
                who.avere(),
                target
                    .as_ref()
                    .map(|t| format!(" del {t}"))
                    .unwrap_or_default()
            ),
            (Locale::It, false) => format!(
                "{since}, {} di {place} ({when}) {} {} a «{}».",
                who.phrase,
                who.essere(),
                who.participle("passat"),
                format::status(status, self.locale)
            ),
            (Locale::En, true) => format!(
                "{since}, {} for {place} ({when}) reached its target{}.",
                who.phrase,
                target
                    .as_ref()
                    .map(|t| format!(" of {t}"))
                    .unwrap_or_default()
            ),
            (Locale::En, false) => format!(
                "{since}, {} for {place} ({when}) is now “{}”.",
                who.phrase,
                format::status(status, self.locale)
            ),
        }
    }
}

/// One sentence for the figures of an indicator and period received since the meeting.
pub(super) fn received_sentence(
    ctx: &Ctx,
    period: &str,
    figures: &[&PublishedFigure],
) -> Option<String> {
    let locale = ctx.locale;
    let first = figures.first()?;
    let ind = ctx.project.indicator(&first.indicator)?;
    let who = subject(ind, locale);
    let list: Vec<String> = figures
        .iter()
        .take(MAX_NEW_TERRITORIES)
        .filter_map(|f| {
            Some(format!(
                "{} {}",
                ctx.project.territories.name_of(&f.territory),
                format::value(f.value?, ind.unit, locale)
            ))
        })
        .collect();
    let more = figures.len().saturating_sub(MAX_NEW_TERRITORIES);
    let tail = match (more, locale) {
        (0, _) => String::new(),
        (n, Locale::It) => format!(" e altri {n} territori"),
        (n, Locale::En) => format!(" and {n} more territories"),
    };
    let when = period_words(period, locale);
    Some(match locale {
        Locale::It => format!(
            "Nuovi dati di {when} per {}: {}{tail}.",
            who.phrase,
            list.join(", ")
        ),
        Locale::En => format!(
            "New data for {when} on {}: {}{tail}.",
            who.phrase,
            list.join(", ")
        ),
    })
}
