//! The fixed words of the reports, in Italian and English.

use serde::Serialize;

use crate::config::Locale;

#[derive(Serialize)]
pub struct Labels {
    pub period: &'static str,
    pub generated: &'static str,
    pub run: &'static str,
    pub all_dashboards: &'static str,
    pub observatory: &'static str,
    pub dashboards: &'static str,
    pub attention: &'static str,
    pub freshness: &'static str,
    pub source: &'static str,
    pub table: &'static str,
    pub territory: &'static str,
    pub last_data: &'static str,
    pub rows: &'static str,
    pub rejected: &'static str,
    pub state: &'static str,
    pub detail: &'static str,
    pub checksum: &'static str,
    pub indicator: &'static str,
    pub value: &'static str,
    pub target: &'static str,
    pub achievement: &'static str,
    pub status: &'static str,
    pub all_periods: &'static str,
    pub suppressed_note: &'static str,
    pub nothing_suppressed_note: &'static str,
    pub confidential: &'static str,
    pub held_back: &'static str,
    pub published: &'static str,
    pub bundle: &'static str,
    pub approved_by: &'static str,
    pub approved_on: &'static str,
    pub note: &'static str,
    pub data_download: &'static str,
    pub data: &'static str,
    pub rollup_note: &'static str,
    pub achieved_vs_target: &'static str,
    pub ok: &'static str,
    pub failed: &'static str,
    pub late: &'static str,
    pub never: &'static str,
    pub unchanged: &'static str,
    pub no_data_yet: &'static str,
    pub late_detail: &'static str,
    /// At a glance.
    pub at_a_glance: &'static str,
    /// For each territory, the status of this page's indicators in the latest period with data..
    pub glance_note: &'static str,
    /// For each territory, the status of every dashboard's indicators in the latest period with data..
    pub glance_all_note: &'static str,
    /// Achieved.
    pub n_achieved: &'static str,
    /// On track.
    pub n_on_track: &'static str,
    /// Off track.
    pub n_off_track: &'static str,
    /// No data.
    pub n_no_data: &'static str,
    /// No target.
    pub n_no_target: &'static str,
    /// Confidential.
    pub n_hidden: &'static str,
    /// Largest changes since the previous period.
    pub movers: &'static str,
    /// No change comparable with the previous period..
    pub no_movers: &'static str,
    /// improving.
    pub better: &'static str,
    /// worsening.
    pub worse: &'static str,
    /// unchanged.
    pub steady: &'static str,
    /// points.
    pub points: &'static str,
    /// Previous period.
    pub previous: &'static str,
    /// Change.
    pub change: &'static str,
    /// vs.
    pub versus: &'static str,
    /// Measures.
    pub measures: &'static str,
    /// Numerator.
    pub numerator: &'static str,
    /// Denominator.
    pub denominator: &'static str,
    /// Source tables.
    pub source_tables: &'static str,
    /// Definition.
    pub definition: &'static str,
    /// About these figures.
    pub about_figures: &'static str,
    /// Type.
    pub typology: &'static str,
    /// Output indicators.
    pub kind_output: &'static str,
    /// Process indicators.
    pub kind_process: &'static str,
    /// Outcome indicators.
    pub kind_outcome: &'static str,
    /// Data quality by office.
    pub quality: &'static str,
    /// Heading of what changed since the last signed-off bundle.
    pub since_meeting: &'static str,
    /// Said when nothing on the page changed since then.
    pub since_meeting_none: &'static str,
    /// Heading of the warning about figures of territories not in the territory list.
    pub unknown_territories: &'static str,
    /// Heading of a run's problem on a dashboard: an indicator that failed.
    pub failed_indicator: &'static str,
    /// Heading of a run's problem on a dashboard: a source whose delivery failed.
    pub failed_source: &'static str,
    /// Heading of a note: ceased municipality codes counted under their successor.
    pub ceased_codes: &'static str,
    /// Column: rows rejected.
    pub rejected_rows: &'static str,
    /// Column: the deliveries' outcome files.
    pub delivery_outcomes: &'static str,
    /// Deliveries missing or late against the declared cadence, rows breaking the check rules, and values far from their own facility's or territory's series..
    pub quality_note: &'static str,
    /// Office.
    pub office: &'static str,
    /// Missing periods.
    pub missing_periods: &'static str,
    /// Late deliveries.
    pub late_periods: &'static str,
    /// Rule violations.
    pub rule_violations: &'static str,
    /// Outliers.
    pub outliers: &'static str,
    /// Full list of findings (CSV).
    pub findings_csv: &'static str,
    /// Page.
    pub page: &'static str,
    /// of.
    pub of: &'static str,
}

/// The fixed words of a page in `locale`.
pub fn labels(locale: Locale) -> Labels {
    match locale {
        Locale::It => ITALIAN,
        Locale::En => ENGLISH,
    }
}

/// The words of a page with `locale: it`.
const ITALIAN: Labels = Labels {
    period: "Periodo",
    generated: "Generato il",
    run: "esecuzione",
    all_dashboards: "tutti i cruscotti",
    observatory: "Osservatorio",
    dashboards: "Cruscotti",
    attention: "Fonti da verificare",
    freshness: "Aggiornamento dei dati",
    source: "Fonte",
    table: "Tabella",
    territory: "Territorio",
    last_data: "Ultimi dati ricevuti",
    rows: "Righe",
    rejected: "Scartate",
    state: "Stato",
    detail: "Dettaglio",
    checksum: "Impronta (SHA-256)",
    indicator: "Indicatore",
    value: "Valore realizzato",
    target: "Valore atteso",
    achievement: "Raggiungimento",
    status: "Stato",
    all_periods: "tutti i periodi disponibili",
    suppressed_note: "Tutela dei dati personali: {total} valori su {count} sono oscurati e segnati «c»: {primary} perché riguardano da 1 a {n} persone, {secondary} perché altrimenti si ricaverebbero per differenza dai totali.",
    nothing_suppressed_note: "Tutela dei dati personali: nessun valore di questa pagina riguarda meno di {m} persone; nessun valore è oscurato.",
    confidential: "riservato",
    held_back: "trattenuta",
    published: "Versioni approvate",
    bundle: "Versione",
    approved_by: "Approvata da",
    approved_on: "Approvata il",
    note: "Nota",
    data_download: "Tutti i valori della pagina",
    data: "dati",
    rollup_note: "I valori dei territori aggregati sono ricalcolati sommando numeratori e denominatori, non come media dei tassi.",
    achieved_vs_target: "Raggiungimento dell'obiettivo (%)",
    ok: "aggiornata",
    failed: "errore",
    late: "in ritardo",
    never: "mai ricevuta",
    unchanged: "invariata",
    no_data_yet: "nessun dato ancora acquisito",
    late_detail: "nessun nuovo contenuto dal",
    at_a_glance: "In sintesi",
    glance_note: "Per ogni territorio, lo stato degli indicatori di questa pagina nel periodo indicato in alto.",
    glance_all_note: "Per ogni territorio, lo stato degli indicatori di tutti i cruscotti, ciascuno nel periodo del primo cruscotto che lo mostra.",
    n_achieved: "Raggiunti",
    n_on_track: "In linea",
    n_off_track: "Non in linea",
    n_no_data: "Senza dati",
    n_no_target: "Senza obiettivo",
    n_hidden: "Riservati",
    movers: "Variazioni maggiori rispetto al periodo precedente",
    no_movers: "Nessuna variazione confrontabile con il periodo precedente.",
    better: "in miglioramento",
    worse: "in peggioramento",
    steady: "invariato",
    points: "punti",
    previous: "Periodo precedente",
    change: "Variazione",
    versus: "rispetto a",
    measures: "Misura",
    numerator: "Numeratore",
    denominator: "Denominatore",
    source_tables: "Tabelle di origine",
    definition: "Definizione",
    about_figures: "Come leggere i dati",
    typology: "Tipologia",
    kind_output: "Indicatori di output",
    kind_process: "Indicatori di processo",
    kind_outcome: "Indicatori di esito",
    quality: "Qualità dei dati per ufficio",
    unknown_territories: "Territori sconosciuti.",
    failed_indicator: "Indicatore non calcolato.",
    failed_source: "Consegna non letta.",
    ceased_codes: "Codici di comuni cessati.",
    since_meeting: "Dall'ultima riunione",
    since_meeting_none: "Nessuna cifra di questa pagina è cambiata dall'ultima versione approvata.",
    rejected_rows: "Righe scartate",
    delivery_outcomes: "Esito delle consegne",
    quality_note: "Consegne mancanti o in ritardo rispetto alla cadenza dichiarata, righe che violano le regole di controllo e valori anomali rispetto alla serie della stessa struttura o territorio.",
    office: "Ufficio",
    missing_periods: "Periodi mancanti",
    late_periods: "Consegne in ritardo",
    rule_violations: "Regole violate",
    outliers: "Valori anomali",
    findings_csv: "Elenco completo delle segnalazioni (CSV)",
    page: "Pagina",
    of: "di",
};

/// The words of a page with `locale: en`.
const ENGLISH: Labels = Labels {
    period: "Period",
    generated: "Generated on",
    run: "run",
    all_dashboards: "all dashboards",
    observatory: "Observatory",
    dashboards: "Dashboards",
    attention: "Sources needing attention",
    freshness: "Data freshness",
    source: "Source",
    table: "Table",
    territory: "Territory",
    last_data: "Last data received",
    rows: "Rows",
    rejected: "Rejected",
    state: "State",
    detail: "Detail",
    checksum: "Fingerprint (SHA-256)",
    indicator: "Indicator",
    value: "Achieved value",
    target: "Target",
    achievement: "Achievement",
    status: "Status",
    all_periods: "all available periods",
    suppressed_note: "Personal data protection: {total} of {count} figures are hidden and flagged “c”: {primary} because they concern 1 to {n} people, {secondary} because they could otherwise be worked out from the totals by subtraction.",
    nothing_suppressed_note: "Personal data protection: no figure on this page concerns fewer than {m} people; nothing is hidden.",
    confidential: "confidential",
    held_back: "held back",
    published: "Signed-off versions",
    bundle: "Version",
    approved_by: "Signed off by",
    approved_on: "Signed off on",
    note: "Note",
    data_download: "Every figure on this page",
    data: "data",
    rollup_note: "Values of aggregated territories are recomputed from summed numerators and denominators, not averaged rates.",
    achieved_vs_target: "Achievement of target (%)",
    ok: "up to date",
    failed: "error",
    late: "late",
    never: "never received",
    unchanged: "unchanged",
    no_data_yet: "no data ingested yet",
    late_detail: "no new content since",
    at_a_glance: "At a glance",
    glance_note: "For each territory, the status of this page's indicators in the period named at the top.",
    glance_all_note: "For each territory, the status of every dashboard's indicators, each in the period of the first dashboard that shows it.",
    n_achieved: "Achieved",
    n_on_track: "On track",
    n_off_track: "Off track",
    n_no_data: "No data",
    n_no_target: "No target",
    n_hidden: "Confidential",
    movers: "Largest changes since the previous period",
    no_movers: "No change comparable with the previous period.",
    better: "improving",
    worse: "worsening",
    steady: "unchanged",
    points: "points",
    previous: "Previous period",
    change: "Change",
    versus: "vs",
    measures: "Measures",
    numerator: "Numerator",
    denominator: "Denominator",
    source_tables: "Source tables",
    definition: "Definition",
    about_figures: "About these figures",
    typology: "Type",
    kind_output: "Output indicators",
    kind_process: "Process indicators",
    kind_outcome: "Outcome indicators",
    quality: "Data quality by office",
    unknown_territories: "Unknown territories.",
    failed_indicator: "Indicator not computed.",
    failed_source: "Delivery not read.",
    ceased_codes: "Ceased municipality codes.",
    since_meeting: "Since the last meeting",
    since_meeting_none: "No figure on this page changed since the last signed-off version.",
    rejected_rows: "Rows rejected",
    delivery_outcomes: "Delivery outcomes",
    quality_note: "Deliveries missing or late against the declared cadence, rows breaking the check rules, and values far from their own facility's or territory's series.",
    office: "Office",
    missing_periods: "Missing periods",
    late_periods: "Late deliveries",
    rule_violations: "Rule violations",
    outliers: "Outliers",
    findings_csv: "Full list of findings (CSV)",
    page: "Page",
    of: "of",
};
