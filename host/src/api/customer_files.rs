//! `/v1/imports/customers` and `/v1/exports/customers` (docs/customers.md "Import"):
//! customer profiles imported in bulk from NDJSON or CSV read as the body arrives, and
//! exported as a stream, page by page.

use super::customers::parse_query;
use super::extract::QueryPairs;
use super::problem::{ApiError, Problem, ProblemField, ProblemKind};
use super::AppState;
use crate::model::customer_csv::{write_row, CsvColumns};
use crate::service::{ImportFormat, ImportReport, Service};
use axum::body::Body;
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::Arc;
use utoipa::ToSchema;

/// Profiles an export reads from the database at a time.
const EXPORT_PAGE: u32 = 1_000;

/// One bad line of an import.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportProblem {
    /// The line (NDJSON) or row (CSV, the header being row 1), from 1.
    pub line: u64,
    /// The line's customer id, when it could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What is wrong, each at the JSON pointer of the profile's field.
    pub errors: Vec<ProblemField>,
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerImport {
    /// Lines (or rows, the header included) read.
    pub lines: u64,
    /// Profiles written.
    pub imported: u64,
    /// Of those, profiles that did not exist.
    pub created: u64,
    /// Of those, profiles replaced.
    pub updated: u64,
    /// Bad lines, skipped.
    pub rejected: u64,
    /// The first 1,000 bad lines.
    pub problems: Vec<ImportProblem>,
}

impl From<ImportReport> for CustomerImport {
    fn from(report: ImportReport) -> Self {
        CustomerImport {
            lines: report.lines,
            imported: report.imported,
            created: report.created,
            updated: report.updated,
            rejected: report.rejected,
            problems: report
                .problems
                .into_iter()
                .map(|problem| ImportProblem {
                    line: problem.line,
                    id: problem.id,
                    errors: problem
                        .errors
                        .into_iter()
                        .map(|error| ProblemField {
                            pointer: error.pointer,
                            message: error.message,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// Import customers in bulk
///
/// NDJSON (`application/x-ndjson`, one profile with its `id` per line) or CSV (`text/csv`,
/// a header row first), read as it arrives, with no size limit but the request timeout.
/// Each line is checked alone: the good ones are written (created or replaced whole), the
/// bad ones reported with their line and pointers (docs/customers.md "Import").
#[utoipa::path(
    post,
    path = "/v1/imports/customers",
    tag = "customers",
    request_body(content = String, description = "NDJSON profiles, or CSV with a header row", content(
        (String = "application/x-ndjson"),
        (String = "text/csv"),
    )),
    responses(
        (status = 200, description = "The import's report", body = CustomerImport),
        (status = 400, description = "The body could not be read to its end", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is neither NDJSON nor CSV", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The CSV header is not valid (pointer /header/<column>); nothing was imported", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn import(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<axum::Json<CustomerImport>, ApiError> {
    let format = import_format(&headers)?;
    let mut import = state.service.import_customers(format);
    let mut chunks = body.into_data_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|error| {
            ApiError::new(
                ProblemKind::BadRequest,
                format!("the body could not be read to its end: {error}"),
            )
        })?;
        import.feed(&chunk).await?;
    }
    let report = import.finish().await?;
    tracing::info!(
        imported = report.imported,
        rejected = report.rejected,
        "customers imported"
    );
    Ok(axum::Json(report.into()))
}

/// Export every customer
///
/// Every profile in id order, streamed: NDJSON (the default, one profile per line, as an
/// import reads it) or CSV (`format=csv`, the import's columns, one `attributes.<key>`
/// column per attribute key in use).
#[utoipa::path(
    get,
    path = "/v1/exports/customers",
    tag = "customers",
    params(("format" = Option<String>, Query, description = "`ndjson` (the default) or `csv`")),
    responses(
        (status = 200, description = "Every profile", content(
            (String = "application/x-ndjson"),
            (String = "text/csv"),
        )),
        (status = 400, description = "The query string cannot be decoded", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown format (pointer /format)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn export(
    State(state): State<AppState>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Response, ApiError> {
    let query = parse_query(&pairs, &["format"]).map_err(ApiError::invalid_query)?;
    let service = state.service.clone();
    let (media_type, file, body) = match query.format {
        ImportFormat::Ndjson => (
            "application/x-ndjson",
            "customers.ndjson",
            Body::from_stream(pages(service, None)),
        ),
        ImportFormat::Csv => {
            let keys = attribute_keys(&service).await?;
            let columns = Arc::new(CsvColumns::for_export(keys.iter().map(String::as_str)));
            let mut header = String::new();
            write_row(&mut header, &columns.header());
            let header = futures_util::stream::once(async move {
                Ok::<_, std::io::Error>(axum::body::Bytes::from(header))
            });
            (
                "text/csv; charset=utf-8",
                "customers.csv",
                Body::from_stream(header.chain(pages(service, Some(columns)))),
            )
        }
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(media_type));
    if let Ok(disposition) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        headers.insert(CONTENT_DISPOSITION, disposition);
    }
    Ok(response)
}

/// Every attribute key some profile uses, in order: the CSV export's columns.
async fn attribute_keys(service: &Service) -> Result<BTreeSet<String>, ApiError> {
    let mut keys = BTreeSet::new();
    let mut after: Option<String> = None;
    loop {
        let page = service.customers("", after.as_deref(), EXPORT_PAGE).await?;
        for stored in &page.customers {
            keys.extend(stored.profile.attributes.keys().cloned());
        }
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(keys),
        }
    }
}

/// The export's body after its header: one chunk per page of profiles, as NDJSON lines or,
/// with `columns`, CSV rows. A database failure midway ends the body early (the client
/// sees a cut answer) and is logged.
fn pages(
    service: Arc<Service>,
    columns: Option<Arc<CsvColumns>>,
) -> impl futures_util::Stream<Item = Result<axum::body::Bytes, std::io::Error>> {
    futures_util::stream::unfold(Some(None::<String>), move |cursor| {
        let service = service.clone();
        let columns = columns.clone();
        async move {
            let after = cursor?;
            let page = match service.customers("", after.as_deref(), EXPORT_PAGE).await {
                Ok(page) => page,
                Err(error) => {
                    tracing::warn!(%error, "customer export cut short");
                    return Some((Err(std::io::Error::other(error.to_string())), None));
                }
            };
            let mut text = String::new();
            for stored in page.customers {
                match &columns {
                    Some(columns) => write_row(&mut text, &columns.row(&stored.profile)),
                    None => {
                        if let Ok(line) = serde_json::to_string(&stored.profile) {
                            text.push_str(&line);
                            text.push('\n');
                        }
                    }
                }
            }
            let next = page.next.map(Some);
            Some((Ok(axum::body::Bytes::from(text)), next))
        }
    })
}

/// The format an import's `Content-Type` names; 415 for any other.
fn import_format(headers: &HeaderMap) -> Result<ImportFormat, ApiError> {
    let media_type = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match media_type.as_str() {
        "application/x-ndjson"
        | "application/ndjson"
        | "application/jsonl"
        | "application/x-jsonlines" => Ok(ImportFormat::Ndjson),
        "text/csv" => Ok(ImportFormat::Csv),
        _ => Err(ApiError::new(
            ProblemKind::UnsupportedMediaType,
            "an import is NDJSON (Content-Type: application/x-ndjson) or CSV (text/csv)",
        )),
    }
}
