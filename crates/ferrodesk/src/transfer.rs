//! `ferrodesk export` and `ferrodesk restore`: every record of every table in one gzip-compressed JSON-lines
//! file that either backend can load (format in docs/export-format.md).
//!
//! The file is a header line, then per table a line naming its columns and row count followed by one JSON
//! array per row, then an end line with the total. A load checks every count and the end line, and runs in
//! one transaction, so a truncated or damaged file leaves the target database as empty as it was.

use anyhow::{Context, bail};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use store::dump::{
    Cell, Column, End, Header, Line, Loader, Snapshot, TABLES, Table, TableStart, parse_line, row_cells,
};

/// The name a file of this format declares in its header.
pub const FORMAT: &str = "ferrodesk-export";
/// The format's version; a reader refuses newer versions.
pub const VERSION: u32 = 1;

/// Rows read from the database per query.
const PAGE: u32 = 5000;
/// Rows handed to the loader at once, at most.
const LOAD_BATCH: usize = 5000;
/// Bytes of text and binary values held for the loader at most (attachments may be tens of MiB each): a
/// batch goes to the loader when it reaches either bound.
const LOAD_BATCH_BYTES: usize = 32 * 1024 * 1024;

/// Rows read from the file and not handed to the loader yet.
#[derive(Default)]
struct Batch {
    rows: Vec<Vec<Cell>>,
    bytes: usize,
}

impl Batch {
    /// Adds a row; `true` when the batch should now go to the loader.
    fn push(&mut self, row: Vec<Cell>) -> bool {
        self.bytes += row
            .iter()
            .map(|cell| match cell {
                Cell::Text(text) => text.len(),
                Cell::Bytes(bytes) => bytes.len(),
                Cell::Null | Cell::Int(_) | Cell::Bool(_) => 8,
            })
            .sum::<usize>();
        self.rows.push(row);
        self.rows.len() >= LOAD_BATCH || self.bytes >= LOAD_BATCH_BYTES
    }
}

/// What a copy held, per table.
#[derive(Debug, Default)]
pub struct Summary {
    pub tables: BTreeMap<&'static str, u64>,
}

impl Summary {
    pub fn total(&self) -> u64 {
        self.tables.values().sum()
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = TABLES
            .iter()
            .filter_map(|t| self.tables.get(t.name).map(|n| format!("{} {n}", t.name)))
            .collect();
        write!(f, "{} rows ({})", self.total(), parts.join(", "))
    }
}

fn progress(total: u64, verb: &str) -> ProgressBar {
    // Drawn only on a terminal: in a pipe or a log nothing is printed but the final summary.
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template("{msg:>24} [{bar:40}] {pos}/{len} rows, {per_sec}, {eta} left") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(verb.to_owned());
    bar
}

/// Writes every row of `snapshot` to a new file at `path` (readable by its owner only: it holds password
/// and token hashes).
pub async fn export(snapshot: &mut dyn Snapshot, source: &str, path: &Path) -> anyhow::Result<Summary> {
    let mut counts = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        counts.push(
            snapshot
                .count(table)
                .await
                .with_context(|| format!("counting {}", table.name))?,
        );
    }
    let file = create_private(path)?;
    let mut out = GzEncoder::new(BufWriter::with_capacity(1 << 20, file), Compression::fast());
    let header = Header {
        format: FORMAT.into(),
        version: VERSION,
        source: source.into(),
        ferrodesk_version: env!("CARGO_PKG_VERSION").into(),
        created_at: jiff::Timestamp::now().to_string(),
    };
    write_line(&mut out, &header)?;
    let bar = progress(counts.iter().sum(), "exporting");
    let mut summary = Summary::default();
    for (table, expected) in TABLES.iter().zip(counts) {
        bar.set_message(format!("exporting {}", table.name));
        write_line(
            &mut out,
            &TableStart {
                table: table.name.into(),
                columns: table.columns.iter().map(|c| c.name.to_owned()).collect(),
                rows: expected,
            },
        )?;
        let mut written = 0u64;
        let mut after = 0i64;
        loop {
            let rows = snapshot
                .rows(table, after, PAGE)
                .await
                .with_context(|| format!("reading {}", table.name))?;
            let Some(last) = rows.last() else { break };
            after = match last.first() {
                Some(Cell::Int(id)) => *id,
                _ => bail!("{} has a row without an integer id", table.name),
            };
            for row in &rows {
                let values: Vec<serde_json::Value> = row.iter().map(Cell::to_json).collect();
                serde_json::to_writer(&mut out, &values)?;
                out.write_all(b"\n")?;
            }
            written += rows.len() as u64;
            bar.inc(rows.len() as u64);
        }
        if written != expected {
            bail!("{}: counted {expected} rows but read {written}", table.name);
        }
        summary.tables.insert(table.name, written);
    }
    write_line(
        &mut out,
        &End {
            end: true,
            rows: summary.total(),
        },
    )?;
    let file = out.finish()?.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    bar.finish_and_clear();
    Ok(summary)
}

fn create_private(path: &Path) -> anyhow::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .with_context(|| format!("cannot create {} (it must not exist yet)", path.display()))
}

fn write_line(out: &mut impl Write, value: &impl Serialize) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// A table being read from a file: which of its columns the file carries, in the file's order.
struct Section {
    table: &'static Table,
    columns: Vec<&'static Column>,
    expected: u64,
    read: u64,
}

/// Loads the file at `path` through `loader`, checking it as it goes; commits only when all of it was read.
pub async fn restore(mut loader: Box<dyn Loader>, path: &Path) -> anyhow::Result<Summary> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = progress(size, "restoring");
    let reader = BufReader::with_capacity(1 << 20, GzDecoder::new(bar.wrap_read(file)));
    let mut lines = reader.lines().enumerate();
    let at = |n: usize| format!("{} line {}", path.display(), n + 1);

    let (n, first) = lines.next().context("the file is empty")?;
    let first = first.with_context(|| format!("{}: not a gzip file of ferrodesk's export", at(n)))?;
    let header = match parse_line(&first) {
        Ok(Line::Header(header)) => header,
        _ => bail!("{}: not the header of a ferrodesk export", at(n)),
    };
    if header.format != FORMAT {
        bail!("{}: format {:?} is not {FORMAT:?}", at(n), header.format);
    }
    if header.version > VERSION {
        bail!(
            "{}: this file has format version {}, this ferrodesk reads up to {VERSION}: use a newer ferrodesk",
            at(n),
            header.version
        );
    }

    let mut summary = Summary::default();
    let mut section: Option<Section> = None;
    let mut batch = Batch::default();
    let mut ended = None;
    for (n, line) in lines {
        let line = line.with_context(|| format!("{}: cannot read (truncated or damaged file?)", at(n)))?;
        if ended.is_some() {
            bail!("{}: data after the end line", at(n));
        }
        match parse_line(&line).map_err(|e| anyhow::anyhow!("{}: {e}", at(n)))? {
            Line::Row(values) => {
                let s = section
                    .as_mut()
                    .with_context(|| format!("{}: a row before any table", at(n)))?;
                let row =
                    row_cells(&values, &s.columns).map_err(|e| anyhow::anyhow!("{}: {}: {e}", at(n), s.table.name))?;
                s.read += 1;
                if batch.push(row) {
                    load(loader.as_mut(), s, &mut batch).await?;
                }
            }
            Line::Table(start) => {
                if let Some(s) = section.take() {
                    finish_section(loader.as_mut(), s, &mut batch, &mut summary).await?;
                }
                section = Some(open_section(&start, &summary).map_err(|e| anyhow::anyhow!("{}: {e}", at(n)))?);
            }
            Line::End(end) => {
                if let Some(s) = section.take() {
                    finish_section(loader.as_mut(), s, &mut batch, &mut summary).await?;
                }
                ended = Some(end.rows);
            }
            Line::Header(_) => bail!("{}: a second header", at(n)),
        }
    }
    if let Some(s) = section.take() {
        finish_section(loader.as_mut(), s, &mut batch, &mut summary).await?;
    }
    match ended {
        Some(total) if total == summary.total() => {}
        Some(total) => bail!("the end line counts {total} rows, the file holds {}", summary.total()),
        None => bail!("the file ends before its end line (truncated?); nothing was restored"),
    }
    bar.set_message("indexing");
    loader.finish().await.context("finishing the restore")?;
    bar.finish_and_clear();
    Ok(summary)
}

fn open_section(start: &TableStart, done: &Summary) -> Result<Section, String> {
    let (table, columns) = start.resolve()?;
    if done.tables.contains_key(table.name) {
        return Err(format!("table {} appears twice", table.name));
    }
    Ok(Section {
        table,
        columns,
        expected: start.rows,
        read: 0,
    })
}

async fn load(loader: &mut dyn Loader, s: &Section, batch: &mut Batch) -> anyhow::Result<()> {
    loader
        .insert(s.table, &s.columns, &batch.rows)
        .await
        .with_context(|| format!("loading {}", s.table.name))?;
    batch.rows.clear();
    batch.bytes = 0;
    Ok(())
}

async fn finish_section(
    loader: &mut dyn Loader,
    s: Section,
    batch: &mut Batch,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    if !batch.rows.is_empty() {
        load(loader, &s, batch).await?;
    }
    if s.read != s.expected {
        bail!(
            "table {} announces {} rows but holds {} (truncated or edited file?); nothing was restored",
            s.table.name,
            s.expected,
            s.read
        );
    }
    summary.tables.insert(s.table.name, s.read);
    Ok(())
}
