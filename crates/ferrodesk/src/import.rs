//! `ferrodesk import customers FILE.csv [--end-users]`: reads a CSV file (UTF-8, a header row naming the
//! columns) and hands its rows in batches to the import use case (`app::import`), which applies the API's
//! rules to each. Shows a progress bar on a terminal, reports each failed row by its line and reason, and
//! counts what happened (docs/customers.md, "Importing from CSV").
use anyhow::{Context, bail};
use app::import::{ImportRow, RowOutcome};
use app::{App, AppError, RequestMeta};
use domain::{AttributeEntity, Principal};
use indicatif::{ProgressBar, ProgressStyle};
use std::fs::File;
use std::path::Path;

/// Rows stored per transaction: large enough that 100,000 rows take seconds, small enough that a batch
/// the database refuses is quickly stored again row by row.
pub const BATCH_ROWS: usize = 500;

/// What an import did, row by row.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub failed: u64,
}

impl Summary {
    pub fn rows(&self) -> u64 {
        self.created + self.updated + self.unchanged + self.failed
    }

    fn count(&mut self, outcome: &RowOutcome) {
        match outcome {
            RowOutcome::Created(_) => self.created += 1,
            RowOutcome::Updated(_) => self.updated += 1,
            RowOutcome::Unchanged(_) => self.unchanged += 1,
            RowOutcome::Failed(_) => self.failed += 1,
        }
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} created, {} updated, {} unchanged, {} failed ({} rows)",
            self.created,
            self.updated,
            self.unchanged,
            self.failed,
            self.rows()
        )
    }
}

/// A row's cells as text, or why they are not: the file must be UTF-8.
fn decode(record: &csv::ByteRecord, header: &[String]) -> Result<Vec<String>, String> {
    record
        .iter()
        .enumerate()
        .map(|(n, bytes)| {
            String::from_utf8(bytes.to_vec()).map_err(|e| {
                let valid = e.utf8_error().valid_up_to();
                let column = header
                    .get(n)
                    .map_or_else(|| format!("column {}", n + 1), |h| h.trim().to_owned());
                let before = String::from_utf8_lossy(&bytes[..valid]);
                let tail: String = before
                    .chars()
                    .rev()
                    .take(20)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                format!(
                    "{column}: is not UTF-8 text (byte 0x{:02X} after {tail:?}); save the file as UTF-8 \
                     (Latin-1 and Windows-1252 are not read)",
                    bytes[valid]
                )
            })
        })
        .collect()
}

fn progress(total: u64) -> ProgressBar {
    // Drawn only on a terminal: in a pipe or a log only the failures and the summary are printed.
    let bar = ProgressBar::new(total);
    if let Ok(style) =
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {bytes}/{total_bytes}, {bytes_per_sec}, {eta} left")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message("importing");
    bar
}

/// A row that failed, as one line: `line 7: email: must be …; plan: must be one of: gold, silver`.
fn failure_line(line: u64, reasons: &[domain::FieldError]) -> String {
    let reasons: Vec<String> = reasons.iter().map(|r| format!("{}: {}", r.field, r.message)).collect();
    format!("line {line}: {}", reasons.join("; "))
}

/// Imports the CSV file at `path` as customers or end users. Failed rows are printed to standard error as
/// they are found; an error means the import could not start or had to stop (rows of batches stored
/// before it stay stored).
pub async fn import(app: &App, meta: &RequestMeta, entity: AttributeEntity, path: &Path) -> anyhow::Result<Summary> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = progress(size);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bar.wrap_read(file));
    let mut record = csv::ByteRecord::new();
    let read = |reader: &mut csv::Reader<_>, record: &mut csv::ByteRecord| {
        reader
            .read_byte_record(record)
            .with_context(|| format!("cannot read {}", path.display()))
    };

    if !read(&mut reader, &mut record)? {
        bail!(
            "{} is empty: its first line must be a header naming the columns (name, email, …)",
            path.display()
        );
    }
    let header_line = record.position().map_or(1, csv::Position::line);
    let mut header =
        decode(&record, &[]).map_err(|e| anyhow::anyhow!("{} line {header_line} (the header): {e}", path.display()))?;
    if let Some(first) = header.first_mut()
        && let Some(rest) = first.strip_prefix('\u{feff}')
    {
        // A byte order mark, as spreadsheet programs write it before UTF-8 text.
        *first = rest.to_owned();
    }
    let mut import = app
        .start_import(&Principal::System, entity, &header)
        .await
        .map_err(|e| match e {
            AppError::Validation(problems) => {
                let mut lines: Vec<String> = problems
                    .iter()
                    .map(|p| format!("  {}: {}", p.field, p.message))
                    .collect();
                if let [only] = header.as_slice()
                    && only.contains([';', '\t'])
                {
                    lines.push(
                        "  (the header is one column: is the file separated by semicolons or tabs? ferrodesk \
                         reads comma-separated files)"
                            .into(),
                    );
                }
                anyhow::anyhow!(
                    "{} line {header_line}: the header (the first line, naming the columns) cannot be imported; \
                     nothing was imported:\n{}",
                    path.display(),
                    lines.join("\n")
                )
            }
            other => anyhow::anyhow!("{other}"),
        })?;

    let mut summary = Summary::default();
    let mut batch: Vec<ImportRow> = Vec::with_capacity(BATCH_ROWS);
    // Rows that failed before reaching the use case (not UTF-8), reported with their batch in line order.
    let mut unreadable: Vec<(u64, Vec<domain::FieldError>)> = Vec::new();
    loop {
        let more = read(&mut reader, &mut record)?;
        if more {
            let line = record.position().map_or(0, csv::Position::line);
            match decode(&record, &header) {
                Ok(cells) => batch.push(ImportRow { line, cells }),
                Err(reason) => {
                    let (field, message) = reason.split_once(": ").unwrap_or(("row", &reason));
                    unreadable.push((line, vec![domain::FieldError::new(field, message)]));
                }
            }
        }
        let pending = batch.len() + unreadable.len();
        if pending >= BATCH_ROWS || (!more && pending > 0) {
            let outcomes = if batch.is_empty() {
                Vec::new()
            } else {
                app.import_rows(&Principal::System, meta, &mut import, &batch)
                    .await
                    .map_err(|e| {
                        anyhow::anyhow!(
                            "stopped at line {}: {e} (before it: {summary})",
                            batch.first().map_or(0, |r| r.line)
                        )
                    })?
            };
            let mut results: Vec<(u64, RowOutcome)> = batch.iter().map(|r| r.line).zip(outcomes).collect();
            results.extend(unreadable.drain(..).map(|(line, e)| (line, RowOutcome::Failed(e))));
            results.sort_by_key(|(line, _)| *line);
            for (line, outcome) in &results {
                summary.count(outcome);
                if let RowOutcome::Failed(reasons) = outcome {
                    bar.suspend(|| eprintln!("{}", failure_line(*line, reasons)));
                }
            }
            batch.clear();
            bar.set_message(format!("{} rows", summary.rows()));
        }
        if !more {
            break;
        }
    }
    bar.finish_and_clear();
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_bytes_are_reported_with_their_column() {
        let mut record = csv::ByteRecord::new();
        record.push_field(b"Acme");
        record.push_field(b"Z\xfcrich");
        let header = vec!["name".to_owned(), "city".to_owned()];
        let e = decode(&record, &header).expect_err("not UTF-8");
        assert!(e.starts_with("city: is not UTF-8 text (byte 0xFC after \"Z\")"), "{e}");
    }

    #[test]
    fn failures_read_as_one_line() {
        let reasons = vec![
            domain::FieldError::new("email", "is not an email address"),
            domain::FieldError::new("plan", "must be one of: gold, silver"),
        ];
        assert_eq!(
            failure_line(7, &reasons),
            "line 7: email: is not an email address; plan: must be one of: gold, silver"
        );
    }
}
