//! The problems of a run in Italian, for the pages of a project with `locale: it`: the same
//! values as the English text, numbers and dates written the Italian way.

use super::problem::{HeaderFix, IndicatorCause, Problem, Worded, date_it, decimal_it, integer_it};
use crate::config::Locale;

fn rows_word(n: u64) -> &'static str {
    if n == 1 { "riga" } else { "righe" }
}

pub(super) fn text(p: &Problem) -> String {
    match p {
        Problem::NotUtf8 {
            file,
            line,
            byte,
            offset,
        } => format!(
            "{file}, riga {}: il byte 0x{byte:02X} (al byte {} del file) non è UTF-8 valido, quindi l'esportazione è in un'altra codifica; non ne è stato registrato nulla. Dichiararla nelle options della fonte, di solito encoding: windows-1252 (Excel su Windows), oppure salvare l'esportazione in UTF-8",
            integer_it(*line),
            integer_it(*offset)
        ),
        Problem::MissingHeader { .. } => missing_header(p),
        Problem::TooManyRejected {
            file,
            rejected,
            total,
            first,
        } => format!(
            "{file}: {} {} {} su {}, più di quante max_rejected ne consenta; la prima: {}; ogni riga scartata è in _rejected/, restano gli ultimi dati validi",
            integer_it(*rejected),
            rows_word(*rejected),
            if *rejected == 1 {
                "scartata"
            } else {
                "scartate"
            },
            integer_it(*total),
            first
                .as_ref()
                .map(|r| r.text(Locale::It))
                .unwrap_or_default()
        ),
        Problem::HeldBack { .. } => held_back(p),
        Problem::IndicatorFailed { .. } => indicator_failed(p),
        Problem::CeasedCode { .. } => ceased_code(p),
        Problem::CeasedCodeInIndicator { .. } => ceased_code_in_indicator(p),
        Problem::Several {
            source,
            problems,
            more,
        } => {
            let listed: Vec<String> = problems.iter().map(text).collect();
            let mut t = listed.join("; ");
            if *more > 0 {
                t.push_str(&format!(
                    "; e altre {} consegne non lette (le elenca osservatorio deliveries --source {source})",
                    integer_it(*more as u64)
                ));
            }
            t
        }
        Problem::Unreadable { file, line, cause } => {
            super::problem_read::unreadable_text(file, *line, cause, Locale::It)
        }
        Problem::FetchFailed { url, cause } => format!("{url}: {}", cause.text(Locale::It)),
        Problem::CheckNotRun { check } => check.text(Locale::It),
        Problem::StepFailed { step, text } => format!(
            "errore durante {}; i dati validi precedenti restano. Il motivo, in inglese: {text}",
            step.italian()
        ),
        Problem::Other { text } => text.clone(),
    }
}

fn missing_header(p: &Problem) -> String {
    let Problem::MissingHeader {
        file,
        column,
        header,
        found,
        near,
        fix,
    } = p
    else {
        return String::new();
    };
    let hint = match (fix, near) {
        (Some(HeaderFix::Windows1252), _) => "; letta come Windows-1252 (Excel su Windows) l'esportazione ha tutte le intestazioni associate: impostare encoding: windows-1252 nelle options della fonte".to_string(),
        (Some(HeaderFix::HeaderRow { row }), _) => format!(
            "; la riga {row} contiene tutte le intestazioni associate: impostare header_row: {row} nelle options della fonte"
        ),
        (None, Some(n)) => format!(": forse '{}'?", crate::text::excerpt(n)),
        (None, None) => String::new(),
    };
    format!(
        "{file}: la colonna '{column}' è associata all'intestazione '{header}', che l'esportazione non ha{hint} (intestazioni: {found}); correggere l'intestazione nelle columns della fonte, o impostare options.header_row se l'intestazione non è nella prima riga"
    )
}

fn indicator_failed(p: &Problem) -> String {
    let Problem::IndicatorFailed {
        file,
        line,
        indicator,
        cause,
        ..
    } = p
    else {
        return String::new();
    };
    let why = match cause {
        IndicatorCause::UnknownColumn {
            column,
            valid,
            near,
        } => format!(
            "la sua query SQL usa la colonna '{column}', che le tabelle lette non hanno{} (colonne: {}); correggere la query nel file dell'indicatore",
            near.as_ref()
                .map(|n| format!(": forse '{n}'?"))
                .unwrap_or_default(),
            valid.join(", ")
        ),
        IndicatorCause::Other { detail } => {
            format!("errore della query SQL (nelle parole del motore SQL: {detail})")
        }
        IndicatorCause::Computation { detail } => {
            format!("errore nel calcolo delle cifre dopo la query ({detail})")
        }
    };
    format!(
        "{}: l'indicatore {indicator} non è stato calcolato: {why}; restano le cifre calcolate l'ultima volta",
        crate::text::place(file, *line)
    )
}

fn ceased_code(p: &Problem) -> String {
    let Problem::CeasedCode {
        file,
        column,
        rows,
        code,
        name,
        ceased,
        successor,
        successor_name,
    } = p
    else {
        return String::new();
    };
    format!(
        "{} {} di {file} con il codice {code} ({name}, cessato il {}) {} sotto {successor} ({successor_name}), colonna {column}",
        integer_it(*rows),
        rows_word(*rows),
        date_it(ceased),
        if *rows == 1 { "contata" } else { "contate" }
    )
}

fn held_back(p: &Problem) -> String {
    let Problem::HeldBack {
        file,
        name,
        rows,
        previous,
        drop,
        max_shrink,
    } = p
    else {
        return String::new();
    };
    format!(
        "{file}: trattenuta: la nuova esportazione ha {} {} dove gli ultimi dati validi ne hanno {} (un calo del {}%, più di quanto max_shrink {}% consenta); restano gli ultimi dati validi. Controllare l'esportazione, poi accettarla con: osservatorio ingest --accept {name}",
        integer_it(*rows),
        rows_word(*rows),
        integer_it(*previous),
        decimal_it(drop.round()),
        decimal_it(*max_shrink)
    )
}

fn ceased_code_in_indicator(p: &Problem) -> String {
    let Problem::CeasedCodeInIndicator {
        indicator,
        code,
        name,
        ceased,
        successor,
        successor_name,
    } = p
    else {
        return String::new();
    };
    format!(
        "indicatore {indicator}: le cifre del codice {code} ({name}, cessato il {}) sono contate sotto {successor} ({successor_name})",
        date_it(ceased)
    )
}
