//! Importing customer profiles in bulk (docs/customers.md "Import"): NDJSON or CSV read as
//! the body arrives, chunk by chunk, each line checked alone and the good ones written in
//! batches, so a bad line costs only itself and memory stays flat whatever the body's size.
//! CSV is split into cells by `csv-core` (the engine of the `csv` crate), which takes its
//! input in pieces, quoted line breaks included; what each column becomes is the model's
//! ([`CsvColumns`]).

use super::{Service, ServiceError};
use crate::model::body::{self, BodyError};
use crate::model::customer::CustomerProfile;
use crate::model::customer_csv::CsvColumns;
use crate::model::FieldProblem;
use crate::store::encode_profile;
use std::collections::HashSet;

/// Profiles written per statement (and transaction).
pub const IMPORT_BATCH: usize = 500;
/// The most bad lines an import report lists (all are counted).
pub const PROBLEMS_LISTED: usize = 1_000;
/// The longest line (NDJSON) or row (CSV) read, in bytes: a longer one is a bad line,
/// skipped without being held.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// What an import reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportFormat {
    /// One JSON profile per line.
    Ndjson,
    /// RFC 4180 CSV with a header row.
    Csv,
}

/// One bad line of an import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineProblem {
    /// The line (NDJSON) or row (CSV, the header being row 1), from 1.
    pub line: u64,
    /// The line's customer id, when it could be read.
    pub id: Option<String>,
    /// What is wrong, each at the pointer of the profile's field.
    pub errors: Vec<FieldProblem>,
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Lines (or rows, the header included) read, blank ones included.
    pub lines: u64,
    /// Profiles written.
    pub imported: u64,
    /// Of those, profiles that did not exist.
    pub created: u64,
    /// Of those, profiles replaced.
    pub updated: u64,
    /// Bad lines, skipped.
    pub rejected: u64,
    /// The first [`PROBLEMS_LISTED`] bad lines.
    pub problems: Vec<LineProblem>,
}

/// An import in progress: give it the body's chunks in order ([`Import::feed`]), then
/// [`Import::finish`] it.
pub struct Import<'s> {
    service: &'s Service,
    today: chrono::NaiveDate,
    reader: Reader,
    /// Checked profiles not yet written: `(id, stored body)`, ids distinct.
    batch: Vec<(String, String)>,
    batch_ids: HashSet<String>,
    report: ImportReport,
}

/// Splits the body into lines or rows.
enum Reader {
    Ndjson {
        /// The current line's bytes so far.
        line: Vec<u8>,
        /// The current line is longer than [`MAX_LINE_BYTES`]: its bytes are dropped.
        oversized: bool,
    },
    /// Boxed: a `csv_core::Reader` holds its whole state machine.
    Csv(Box<CsvReader>),
}

/// A CSV body being split into rows.
struct CsvReader {
    core: csv_core::Reader,
    /// The current row's cells so far, and where each ends.
    output: Vec<u8>,
    ends: Vec<usize>,
    output_len: usize,
    ends_len: usize,
    oversized: bool,
    /// The header's columns, once read.
    columns: Option<CsvColumns>,
}

/// A line or row, as its reader delivers it.
enum Piece {
    /// A line or a row's cells.
    Line(Vec<String>),
    /// A line or row of more than [`MAX_LINE_BYTES`].
    TooLong,
    /// A line or row that is not UTF-8.
    NotUtf8,
}

impl Service {
    /// An import of profiles in `format`.
    pub fn import_customers(&self, format: ImportFormat) -> Import<'_> {
        let reader = match format {
            ImportFormat::Ndjson => Reader::Ndjson {
                line: Vec::new(),
                oversized: false,
            },
            ImportFormat::Csv => Reader::Csv(Box::new(CsvReader {
                core: csv_core::Reader::new(),
                output: vec![0; 4096],
                ends: vec![0; 32],
                output_len: 0,
                ends_len: 0,
                oversized: false,
                columns: None,
            })),
        };
        Import {
            service: self,
            today: self.today(),
            reader,
            batch: Vec::with_capacity(IMPORT_BATCH),
            batch_ids: HashSet::with_capacity(IMPORT_BATCH),
            report: ImportReport::default(),
        }
    }
}

impl Import<'_> {
    /// Reads the next chunk of the body: checks every line it completes and writes each
    /// full batch. A CSV header that is not valid is [`ServiceError::Invalid`] (pointers
    /// `/header/<column>`); a database failure is unavailable. Either ends the import.
    pub async fn feed(&mut self, chunk: &[u8]) -> Result<(), ServiceError> {
        for piece in self.reader.split(chunk, false) {
            self.take(piece).await?;
        }
        Ok(())
    }

    /// Reads what is left (a last line without a line break), writes the last batch and
    /// answers the report.
    pub async fn finish(mut self) -> Result<ImportReport, ServiceError> {
        for piece in self.reader.split(&[], true) {
            self.take(piece).await?;
        }
        if let Reader::Csv(csv) = &self.reader {
            if csv.columns.is_none() {
                return Err(ServiceError::Invalid(vec![FieldProblem::new(
                    "/header",
                    "the body is empty: a CSV import starts with a header row",
                )]));
            }
        }
        self.flush().await?;
        Ok(self.report)
    }

    /// Checks one line or row, and adds it to the batch or to the problems.
    async fn take(&mut self, piece: Piece) -> Result<(), ServiceError> {
        self.report.lines += 1;
        let line = self.report.lines;
        let read = match piece {
            Piece::TooLong => Err((
                None,
                vec![FieldProblem::new(
                    "",
                    format!("the line is longer than {MAX_LINE_BYTES} bytes"),
                )],
            )),
            Piece::NotUtf8 => Err((None, vec![FieldProblem::new("", "the line is not UTF-8")])),
            Piece::Line(cells) => match &mut self.reader {
                Reader::Ndjson { .. } => {
                    let text = cells.concat();
                    if text.trim().is_empty() {
                        return Ok(());
                    }
                    ndjson_profile(&text)
                }
                Reader::Csv(csv) => {
                    if cells.len() == 1 && cells[0].is_empty() {
                        return Ok(());
                    }
                    let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
                    match &csv.columns {
                        None => {
                            csv.columns = Some(
                                CsvColumns::from_header(&cells).map_err(ServiceError::Invalid)?,
                            );
                            return Ok(());
                        }
                        Some(columns) => columns
                            .profile(&cells)
                            .map_err(|errors| (csv_id(columns, &cells), errors)),
                    }
                }
            },
        };
        let checked = read.and_then(|profile| {
            profile
                .validate(self.today)
                .map_err(|errors| (profile.id.clone(), errors))
                .map(|()| profile)
        });
        match checked {
            Ok(profile) => self.add(profile).await,
            Err((id, errors)) => {
                self.report.rejected += 1;
                if self.report.problems.len() < PROBLEMS_LISTED {
                    self.report.problems.push(LineProblem { line, id, errors });
                }
                Ok(())
            }
        }
    }

    /// Adds a checked profile (its id set) to the batch, writing the batch first when it
    /// is full or already holds this id (the later line wins).
    async fn add(&mut self, profile: CustomerProfile) -> Result<(), ServiceError> {
        let id = profile.id.clone().unwrap_or_default();
        if self.batch.len() >= IMPORT_BATCH || self.batch_ids.contains(&id) {
            self.flush().await?;
        }
        let stored = encode_profile(&profile)?;
        self.batch_ids.insert(id.clone());
        self.batch.push((id, stored));
        Ok(())
    }

    /// Writes the batch.
    async fn flush(&mut self) -> Result<(), ServiceError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let upserted = self.service.upsert_customers(&self.batch).await?;
        self.report.imported += self.batch.len() as u64;
        self.report.created += upserted.created;
        self.report.updated += upserted.updated;
        self.batch.clear();
        self.batch_ids.clear();
        Ok(())
    }
}

/// The profile an NDJSON line holds, or its id (when readable) and problems.
fn ndjson_profile(text: &str) -> Result<CustomerProfile, (Option<String>, Vec<FieldProblem>)> {
    match body::parse::<CustomerProfile>(text.as_bytes()) {
        Ok(profile) if profile.id.is_none() => {
            Err((None, vec![FieldProblem::new("/id", "missing field `id`")]))
        }
        Ok(profile) => Ok(profile),
        Err(error) => {
            let id = serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .and_then(|value| value.get("id")?.as_str().map(String::from));
            let problem = match error {
                BodyError::Field(problem) => problem,
                syntax @ BodyError::Syntax { .. } => FieldProblem::new("", syntax.to_string()),
            };
            Err((id, vec![problem]))
        }
    }
}

/// The id cell of a CSV row, when the row has one.
fn csv_id(columns: &CsvColumns, cells: &[&str]) -> Option<String> {
    let at = columns.header().iter().position(|name| name == "id")?;
    cells
        .get(at)
        .filter(|id| !id.is_empty())
        .map(|id| id.to_string())
}

impl Reader {
    /// The lines or rows `chunk` completes; at the `end`, the last one too.
    fn split(&mut self, chunk: &[u8], end: bool) -> Vec<Piece> {
        match self {
            Reader::Ndjson { line, oversized } => {
                let mut pieces = Vec::new();
                let mut rest = chunk;
                while let Some(at) = rest.iter().position(|&byte| byte == b'\n') {
                    push_bytes(line, oversized, &rest[..at]);
                    pieces.push(ndjson_piece(line, oversized));
                    rest = &rest[at + 1..];
                }
                push_bytes(line, oversized, rest);
                if end && (!line.is_empty() || *oversized) {
                    pieces.push(ndjson_piece(line, oversized));
                }
                pieces
            }
            Reader::Csv(csv) => csv.split(chunk, end),
        }
    }
}

/// Appends `bytes` to the current line unless it is already too long.
fn push_bytes(line: &mut Vec<u8>, oversized: &mut bool, bytes: &[u8]) {
    if *oversized {
        return;
    }
    if line.len() + bytes.len() > MAX_LINE_BYTES {
        *oversized = true;
        line.clear();
    } else {
        line.extend_from_slice(bytes);
    }
}

/// The NDJSON line read so far, as a piece; starts the next line.
fn ndjson_piece(line: &mut Vec<u8>, oversized: &mut bool) -> Piece {
    let piece = if std::mem::take(oversized) {
        Piece::TooLong
    } else {
        let bytes = line.strip_suffix(b"\r").unwrap_or(line);
        match std::str::from_utf8(bytes) {
            Ok(text) => Piece::Line(vec![text.to_string()]),
            Err(_) => Piece::NotUtf8,
        }
    };
    line.clear();
    piece
}

impl CsvReader {
    /// The rows `chunk` completes; at the `end` (an empty `chunk`), the last one too.
    fn split(&mut self, mut chunk: &[u8], end: bool) -> Vec<Piece> {
        use csv_core::ReadRecordResult;
        let mut pieces = Vec::new();
        loop {
            let (result, read, written, ended) = self.core.read_record(
                chunk,
                &mut self.output[self.output_len..],
                &mut self.ends[self.ends_len..],
            );
            chunk = &chunk[read..];
            self.output_len += written;
            self.ends_len += ended;
            match result {
                ReadRecordResult::InputEmpty if end => {}
                ReadRecordResult::InputEmpty => return pieces,
                ReadRecordResult::OutputFull if self.output.len() >= MAX_LINE_BYTES => {
                    // Keep reading the row, writing over what is dropped.
                    self.oversized = true;
                    self.output_len = 0;
                }
                ReadRecordResult::OutputFull => {
                    let grown = (self.output.len() * 2).min(MAX_LINE_BYTES);
                    self.output.resize(grown, 0);
                }
                ReadRecordResult::OutputEndsFull if self.ends.len() >= MAX_LINE_BYTES => {
                    self.oversized = true;
                    self.ends_len = 0;
                }
                ReadRecordResult::OutputEndsFull => {
                    let grown = self.ends.len() * 2;
                    self.ends.resize(grown, 0);
                }
                ReadRecordResult::Record => pieces.push(self.row()),
                ReadRecordResult::End => return pieces,
            }
        }
    }

    /// The row just read, as a piece; starts the next row.
    fn row(&mut self) -> Piece {
        let piece = if std::mem::take(&mut self.oversized) {
            Piece::TooLong
        } else {
            let mut cells = Vec::with_capacity(self.ends_len);
            let mut start = 0;
            let mut utf8 = true;
            for &end in &self.ends[..self.ends_len] {
                match self.output.get(start..end).map(std::str::from_utf8) {
                    Some(Ok(cell)) => cells.push(cell.to_string()),
                    _ => utf8 = false,
                }
                start = end;
            }
            if utf8 {
                Piece::Line(cells)
            } else {
                Piece::NotUtf8
            }
        };
        self.output_len = 0;
        self.ends_len = 0;
        piece
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(reader: &mut Reader, chunks: &[&[u8]]) -> Vec<Vec<String>> {
        let mut all = Vec::new();
        for chunk in chunks {
            all.extend(reader.split(chunk, false));
        }
        all.extend(reader.split(&[], true));
        all.into_iter()
            .map(|piece| match piece {
                Piece::Line(cells) => cells,
                Piece::TooLong => vec!["<too long>".into()],
                Piece::NotUtf8 => vec!["<not utf-8>".into()],
            })
            .collect()
    }

    fn csv() -> Reader {
        Reader::Csv(Box::new(CsvReader {
            core: csv_core::Reader::new(),
            output: vec![0; 4],
            ends: vec![0; 1],
            output_len: 0,
            ends_len: 0,
            oversized: false,
            columns: None,
        }))
    }

    #[test]
    fn csv_rows_are_read_across_chunks_quotes_and_line_breaks() {
        let body: &[u8] = b"id,attributes.note\r\nc-1,\"a, \"\"quoted\"\"\nnote\"\nc-2,plain";
        let whole = lines(&mut csv(), &[body]);
        let expected = vec![
            vec!["id".to_string(), "attributes.note".into()],
            vec!["c-1".into(), "a, \"quoted\"\nnote".into()],
            vec!["c-2".into(), "plain".into()],
        ];
        assert_eq!(whole, expected);
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(lines(&mut csv(), &bytes), expected);
    }

    #[test]
    fn ndjson_lines_are_read_across_chunks_and_a_long_one_is_dropped() {
        let mut reader = Reader::Ndjson {
            line: Vec::new(),
            oversized: false,
        };
        let long = vec![b'x'; MAX_LINE_BYTES + 1];
        let read = lines(
            &mut reader,
            &[b"{\"id\":", b"\"a\"}\r\n", &long, b"\n\xff\n{}"],
        );
        assert_eq!(
            read,
            vec![
                vec!["{\"id\":\"a\"}".to_string()],
                vec!["<too long>".into()],
                vec!["<not utf-8>".into()],
                vec!["{}".into()],
            ]
        );
    }
}
