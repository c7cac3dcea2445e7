//! The CSV form of customer profiles (docs/customers.md "CSV"): which column becomes which
//! field of a [`CustomerProfile`], for imports and exports. Splitting the bytes into cells is
//! the caller's (a streaming CSV reader); this holds only the mapping, and the quoting of
//! the rows an export writes.

use crate::customer::{Consent, CustomerProfile};
use crate::FieldProblem;
use chrono::NaiveDate;

/// What separates segments in the `segments` cell.
pub const SEGMENT_SEPARATOR: char = '|';
/// The prefix of an attribute's column: `attributes.favourite_store`.
const ATTRIBUTE_PREFIX: &str = "attributes.";

/// One column of a customers CSV.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Column {
    Id,
    LoyaltyTier,
    Segments,
    Birthdate,
    EmailConsent,
    SmsConsent,
    /// `attributes.<key>`.
    Attribute(String),
}

impl Column {
    fn named(name: &str) -> Option<Column> {
        Some(match name {
            "id" => Column::Id,
            "loyalty_tier" => Column::LoyaltyTier,
            "segments" => Column::Segments,
            "birthdate" => Column::Birthdate,
            "email_consent" => Column::EmailConsent,
            "sms_consent" => Column::SmsConsent,
            _ => match name.strip_prefix(ATTRIBUTE_PREFIX) {
                Some(key) if !key.is_empty() => Column::Attribute(key.to_string()),
                _ => return None,
            },
        })
    }

    fn name(&self) -> String {
        match self {
            Column::Id => "id".into(),
            Column::LoyaltyTier => "loyalty_tier".into(),
            Column::Segments => "segments".into(),
            Column::Birthdate => "birthdate".into(),
            Column::EmailConsent => "email_consent".into(),
            Column::SmsConsent => "sms_consent".into(),
            Column::Attribute(key) => format!("{ATTRIBUTE_PREFIX}{key}"),
        }
    }
}

/// The columns of a customers CSV, in order, as its header names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvColumns {
    columns: Vec<Column>,
}

impl CsvColumns {
    /// The columns the header row `cells` names; every unknown or repeated column, and a
    /// missing `id`, is a problem at `/header/<index>` (`/header` for the missing id). A
    /// byte-order mark before the first name is ignored.
    pub fn from_header(cells: &[&str]) -> Result<CsvColumns, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let mut columns: Vec<Column> = Vec::with_capacity(cells.len());
        for (i, cell) in cells.iter().enumerate() {
            let name = if i == 0 {
                cell.trim_start_matches('\u{feff}')
            } else {
                cell
            };
            match Column::named(name) {
                Some(column) if columns.contains(&column) => problems.push(FieldProblem::new(
                    format!("/header/{i}"),
                    format!("the column {name:?} appears twice"),
                )),
                Some(column) => columns.push(column),
                None => problems.push(FieldProblem::new(
                    format!("/header/{i}"),
                    format!(
                        "unknown column {name:?}: the columns are id, loyalty_tier, segments, \
                         birthdate, email_consent, sms_consent and attributes.<key>"
                    ),
                )),
            }
        }
        if problems.is_empty() && !columns.contains(&Column::Id) {
            problems.push(FieldProblem::new("/header", "the header has no id column"));
        }
        if problems.is_empty() {
            Ok(CsvColumns { columns })
        } else {
            Err(problems)
        }
    }

    /// The columns an export writes: the fixed ones, then one per attribute key in `keys`.
    pub fn for_export<'k>(keys: impl IntoIterator<Item = &'k str>) -> CsvColumns {
        let mut columns = vec![
            Column::Id,
            Column::LoyaltyTier,
            Column::Segments,
            Column::Birthdate,
            Column::EmailConsent,
            Column::SmsConsent,
        ];
        columns.extend(keys.into_iter().map(|key| Column::Attribute(key.into())));
        CsvColumns { columns }
    }

    /// The header row's names.
    pub fn header(&self) -> Vec<String> {
        self.columns.iter().map(Column::name).collect()
    }

    /// The profile one row's `cells` give, its id set, or every problem of the row, each
    /// at the pointer of the field its column becomes. Checks the cells' form only: the
    /// profile still needs [`CustomerProfile::validate`].
    pub fn profile(&self, cells: &[&str]) -> Result<CustomerProfile, Vec<FieldProblem>> {
        if cells.len() != self.columns.len() {
            return Err(vec![FieldProblem::new(
                "",
                format!(
                    "the row has {} cells; the header has {}",
                    cells.len(),
                    self.columns.len()
                ),
            )]);
        }
        let mut problems = Vec::new();
        let mut profile = CustomerProfile {
            id: Some(String::new()),
            consent: Consent::default(),
            ..CustomerProfile::default()
        };
        for (column, cell) in self.columns.iter().zip(cells) {
            let cell = *cell;
            match column {
                Column::Id => profile.id = Some(cell.to_string()),
                Column::LoyaltyTier => {
                    profile.loyalty_tier = (!cell.is_empty()).then(|| cell.to_string());
                }
                Column::Segments if cell.is_empty() => {}
                Column::Segments => {
                    profile.segments = cell.split(SEGMENT_SEPARATOR).map(String::from).collect();
                }
                Column::Birthdate if cell.is_empty() => {}
                Column::Birthdate => match NaiveDate::parse_from_str(cell, "%Y-%m-%d") {
                    Ok(date) => profile.birthdate = Some(date),
                    Err(_) => problems.push(FieldProblem::new(
                        "/birthdate",
                        format!("{cell:?} is not a date YYYY-MM-DD"),
                    )),
                },
                Column::EmailConsent => match consent(cell) {
                    Some(yes) => profile.consent.email = yes,
                    None => problems.push(FieldProblem::new("/consent/email", NOT_A_CONSENT)),
                },
                Column::SmsConsent => match consent(cell) {
                    Some(yes) => profile.consent.sms = yes,
                    None => problems.push(FieldProblem::new("/consent/sms", NOT_A_CONSENT)),
                },
                Column::Attribute(_) if cell.is_empty() => {}
                Column::Attribute(key) => {
                    profile.attributes.insert(key.clone(), cell.to_string());
                }
            }
        }
        if problems.is_empty() {
            Ok(profile)
        } else {
            Err(problems)
        }
    }

    /// The cells of `profile`'s row, in these columns.
    pub fn row(&self, profile: &CustomerProfile) -> Vec<String> {
        let flag = |yes: bool| if yes { "true" } else { "false" }.to_string();
        self.columns
            .iter()
            .map(|column| match column {
                Column::Id => profile.id.clone().unwrap_or_default(),
                Column::LoyaltyTier => profile.loyalty_tier.clone().unwrap_or_default(),
                Column::Segments => profile.segments.join(&SEGMENT_SEPARATOR.to_string()),
                Column::Birthdate => profile
                    .birthdate
                    .map(|date| date.to_string())
                    .unwrap_or_default(),
                Column::EmailConsent => flag(profile.consent.email),
                Column::SmsConsent => flag(profile.consent.sms),
                Column::Attribute(key) => profile.attributes.get(key).cloned().unwrap_or_default(),
            })
            .collect()
    }
}

const NOT_A_CONSENT: &str = "must be true or false (or 1 or 0); empty is false";

/// A consent cell: `true`/`1`, `false`/`0`, or empty (false).
fn consent(cell: &str) -> Option<bool> {
    match cell {
        "true" | "1" => Some(true),
        "false" | "0" | "" => Some(false),
        _ => None,
    }
}

/// Appends one CSV row of `cells` to `out` (RFC 4180): a cell holding a comma, a double
/// quote, a line break or a leading or trailing space is quoted, its quotes doubled; the
/// row ends with `\n`.
pub fn write_row(out: &mut String, cells: &[String]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let quoted =
            cell.contains([',', '"', '\n', '\r']) || cell.starts_with(' ') || cell.ends_with(' ');
        if quoted {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(cell);
        }
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_names_known_columns_once_and_an_id() {
        let columns = CsvColumns::from_header(&["\u{feff}id", "segments", "attributes.store"])
            .expect("a good header");
        assert_eq!(columns.header(), ["id", "segments", "attributes.store"]);
        let bad = CsvColumns::from_header(&["id", "colour", "segments", "segments", "attributes."])
            .expect_err("a bad header");
        let pointers: Vec<&str> = bad.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(pointers, ["/header/1", "/header/3", "/header/4"]);
        let no_id = CsvColumns::from_header(&["segments"]).expect_err("no id");
        assert_eq!(no_id[0].pointer, "/header");
    }

    #[test]
    fn a_row_becomes_a_profile_and_back() {
        let header = [
            "id",
            "loyalty_tier",
            "segments",
            "birthdate",
            "email_consent",
            "sms_consent",
            "attributes.store",
        ];
        let columns = CsvColumns::from_header(&header).expect("header");
        let cells = ["c-1", "gold", "a|b", "1988-04-12", "1", "", "lyon, 3"];
        let profile = columns.profile(&cells).expect("a good row");
        assert_eq!(profile.id.as_deref(), Some("c-1"));
        assert_eq!(profile.segments, ["a", "b"]);
        assert!(profile.consent.email && !profile.consent.sms);
        assert_eq!(profile.attributes["store"], "lyon, 3");
        let row = columns.row(&profile);
        assert_eq!(
            row,
            [
                "c-1",
                "gold",
                "a|b",
                "1988-04-12",
                "true",
                "false",
                "lyon, 3"
            ]
        );
        let mut text = String::new();
        write_row(&mut text, &row);
        assert_eq!(text, "c-1,gold,a|b,1988-04-12,true,false,\"lyon, 3\"\n");
    }

    #[test]
    fn a_bad_row_names_the_fields_its_cells_become() {
        let columns = CsvColumns::from_header(&["id", "birthdate", "email_consent", "sms_consent"])
            .expect("header");
        let problems = columns
            .profile(&["c-1", "12/04/1988", "maybe", "oui"])
            .expect_err("bad cells");
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(pointers, ["/birthdate", "/consent/email", "/consent/sms"]);
        let short = columns.profile(&["c-1"]).expect_err("too few cells");
        assert_eq!(short[0].pointer, "");
    }

    #[test]
    fn quotes_are_doubled_inside_quoted_cells() {
        let mut text = String::new();
        write_row(
            &mut text,
            &["a\"b".into(), "line\nbreak".into(), " x".into()],
        );
        assert_eq!(text, "\"a\"\"b\",\"line\nbreak\",\" x\"\n");
    }
}
