//! The real `remise serve` binary as a child process, for the tests that kill it with
//! SIGKILL (durability.rs, webhooks.rs): started on a free loopback port over a database,
//! with extra flags, its log kept in a file, called with the admin key.

// Each test binary uses its own part of it.
#![allow(dead_code)]

use reqwest::blocking::Client;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::Value;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::thread::sleep;
use std::time::{Duration, Instant};

/// The admin key every child is started with (`REMISE_ADMIN_KEY`).
pub const KEY: &str = "durability-admin-key-0123456789abcdef";

/// A port the OS just handed out and took back: free for a child to bind.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// The compiled-plugin folder every child shares (`REMISE_CACHE_DIR`, which a test's own
/// `--cache-dir` overrides), under this build's target folder: a child loads the catalogue
/// from its compiled code, as a restarted server does, instead of compiling it again (about
/// 3 s of both cores per start). Its files are named by the sha256 of their plugin and
/// written atomically, so children running at once share it safely.
pub fn shared_cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("compiled-plugins")
}

/// A `remise serve` process.
pub struct Serve {
    child: Child,
    /// `http://127.0.0.1:{port}`.
    pub base: String,
    /// Where its standard error (the log) goes.
    pub log: PathBuf,
}

impl Serve {
    /// A server on `database_url` with no other flag.
    pub fn start(database_url: &str) -> Serve {
        Serve::start_with(database_url, &[], None)
    }

    /// A server on `database_url` with the extra flags `args` and, if given, the
    /// configuration file `config`; its log in a file beside the database's folder.
    pub fn start_with(database_url: &str, args: &[&str], config: Option<&Path>) -> Serve {
        Serve::start_at(free_port(), database_url, args, config)
    }

    /// [`Serve::start_with`] on loopback port `port` (a server restarted where its
    /// clients expect it).
    pub fn start_at(port: u16, database_url: &str, args: &[&str], config: Option<&Path>) -> Serve {
        let log = std::env::temp_dir().join(format!("remise-serve-{port}.log"));
        let log_file = std::fs::File::create(&log).expect("a log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_remise"));
        command
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--database-url")
            .arg(database_url)
            .args(args)
            .env("REMISE_ADMIN_KEY", KEY)
            .env("REMISE_CACHE_DIR", shared_cache_dir())
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::from(log_file));
        if let Some(config) = config {
            command.arg("--config").arg(config);
        }
        let child = command.spawn().expect("remise serve starts");
        let serve = Serve {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        let client = Client::new();
        let ready = Instant::now();
        while ready.elapsed() < Duration::from_secs(60) {
            let answer = client.get(format!("{}/readyz", serve.base)).send();
            if answer.is_ok_and(|a| a.status() == StatusCode::OK) {
                return serve;
            }
            sleep(Duration::from_millis(50));
        }
        panic!("remise serve was not ready within 60 s");
    }

    /// Its loopback port.
    pub fn port(&self) -> u16 {
        self.base
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .expect("a port")
    }

    /// Calls `path` with the admin key.
    pub fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.call_with(KEY, method, path, body)
    }

    /// Calls `path` with `key`.
    pub fn call_with(
        &self,
        key: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = Client::new()
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().expect("the server answers");
        let status = response.status();
        (status, response.json().unwrap_or(Value::Null))
    }

    /// SIGKILL: the process gets no chance to flush, close or checkpoint anything.
    pub fn kill(mut self) {
        self.child.kill().expect("killed");
        self.child.wait().expect("reaped");
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `text` as an amount.
pub fn money(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap_or_else(|e| panic!("{text} is an amount: {e}"))
}

/// The discount `answer` grants from `campaign`, if it applies.
pub fn discount_on(answer: &Value, campaign: &str) -> Option<Decimal> {
    answer["applied"]
        .as_array()?
        .iter()
        .find(|applied| applied["campaign"] == campaign)
        .and_then(|applied| applied["discount"].as_str())
        .map(money)
}

/// One number the database at `url` answers to `sql`.
pub fn number(url: &str, sql: &str) -> i64 {
    let rows = tokio::runtime::Runtime::new().expect("a runtime").block_on(
        remise::store::testing::strings(url, &format!("SELECT CAST(({sql}) AS TEXT)")),
    );
    rows.first()
        .cloned()
        .flatten()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| panic!("{sql}: {rows:?}"))
}
