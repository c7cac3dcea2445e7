//! Databases for tests, so the whole suite runs on both backends: a fresh SQLite file in
//! the test's folder, or, when `REMISE_TEST_POSTGRES` names a PostgreSQL server (as
//! `scripts/with-postgres.sh` sets it), a fresh database created in that server.

use rand::RngCore;
use sqlx::Connection;
use std::path::Path;

/// The environment variable naming the test PostgreSQL server (an admin URL).
pub const POSTGRES_ENV: &str = "REMISE_TEST_POSTGRES";

/// The test PostgreSQL server's admin URL, when the suite runs on PostgreSQL.
pub fn postgres_server() -> Option<String> {
    std::env::var(POSTGRES_ENV)
        .ok()
        .filter(|url| !url.is_empty())
}

/// A database URL for one test: `sqlite://<dir>/<name>.db`, or on PostgreSQL a new empty
/// database (named after nothing: 64 random bits) in the test server.
///
/// # Panics
/// When the PostgreSQL server named cannot create a database: a test cannot go on.
pub async fn fresh_database_url(dir: &Path, name: &str) -> String {
    match postgres_server() {
        None => format!("sqlite://{}", dir.join(format!("{name}.db")).display()),
        Some(admin) => {
            let database = format!("remise_test_{:016x}", rand::rng().next_u64());
            let mut conn = sqlx::postgres::PgConnection::connect(&admin)
                .await
                .unwrap_or_else(|e| panic!("the test PostgreSQL at {admin} answers: {e}"));
            sqlx::query(&format!("CREATE DATABASE {database}"))
                .execute(&mut conn)
                .await
                .unwrap_or_else(|e| panic!("CREATE DATABASE {database}: {e}"));
            let _ = conn.close().await;
            let base = admin
                .rsplit_once('/')
                .map_or(admin.as_str(), |(base, _)| base);
            format!("{base}/{database}")
        }
    }
}

/// Runs `sql` (one or more statements, no parameters) on the database at `url`, as an
/// operator's client would: for tests that set the stored data as an older version of
/// Remise left it.
///
/// # Panics
/// When the database cannot be reached or refuses the statements.
pub async fn execute(url: &str, sql: &str) {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("{url} answers: {e}"));
    // The server may be writing (its counters, every second): wait for its lock.
    let sql = if url.starts_with("sqlite:") {
        format!("PRAGMA busy_timeout = 5000; {sql}")
    } else {
        sql.to_string()
    };
    sqlx::raw_sql(&sql)
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let _ = conn.close().await;
}

/// The text values `sql` (a query of one text column, no parameters) reads from the
/// database at `url`, `None` for NULL: for tests that check what is stored.
///
/// # Panics
/// When the database cannot be reached or refuses the query.
pub async fn strings(url: &str, sql: &str) -> Vec<Option<String>> {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("{url} answers: {e}"));
    let values = sqlx::query_scalar::<_, Option<String>>(sql)
        .fetch_all(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let _ = conn.close().await;
    values
}
