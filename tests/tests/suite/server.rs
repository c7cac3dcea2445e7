//! The server loop itself, over raw sockets: hyper's header-read timeout is really on (a
//! client that never finishes its headers is cut off, and costs no one else), and a
//! graceful shutdown closes the store, so SQLite's write-ahead log is checkpointed into the
//! database file before the process would exit.

use remise::serve::{run_with, start, ServerSettings};
use remise::store::testing::fresh_database_url;
use remise_tests::http::{self, ten_from_100, ADMIN};
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// A server on `database_url` with `settings`: its address, the way to stop it, and the
/// task serving (which ends once the store is closed).
async fn serve(
    database_url: String,
    settings: ServerSettings,
) -> (
    String,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let options = remise::serve::ServeOptions {
        admin_key: Some(ADMIN.into()),
        ..http::options(database_url)
    };
    let started = start(&options).await.expect("the service starts");
    let listener = TcpListener::bind(options.listen)
        .await
        .expect("a loopback port");
    let address = listener.local_addr().expect("bound").to_string();
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = tokio::spawn(run_with(
        listener,
        started.service,
        async {
            let _ = stopped.await;
        },
        settings,
    ));
    (address, stop, serving)
}

/// Reads `stream` until the server closes it or `patience` runs out: how long it took, or
/// `None` when the connection was still open.
async fn closed_within(stream: &mut TcpStream, patience: Duration) -> Option<Duration> {
    let began = Instant::now();
    let mut buffer = [0u8; 1024];
    loop {
        match tokio::time::timeout_at((began + patience).into(), stream.read(&mut buffer)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(began.elapsed()),
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test]
async fn a_client_slow_to_send_its_headers_is_cut_off() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let settings = ServerSettings {
        header_read_timeout: Duration::from_millis(300),
        ..ServerSettings::default()
    };
    let (address, _stop, _serving) =
        serve(fresh_database_url(dir.path(), "remise").await, settings).await;

    // Headers begun, never finished.
    let mut slow = TcpStream::connect(&address).await.expect("connects");
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: remise\r\n")
        .await
        .expect("sent");
    // A client that says nothing at all.
    let mut silent = TcpStream::connect(&address).await.expect("connects");

    // Meanwhile a well-behaved client is served.
    let mut prompt = TcpStream::connect(&address).await.expect("connects");
    prompt
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: remise\r\nConnection: close\r\n\r\n")
        .await
        .expect("sent");
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), prompt.read_to_string(&mut answer))
        .await
        .expect("answered in time")
        .expect("read");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    for (who, stream) in [("slow", &mut slow), ("silent", &mut silent)] {
        let took = closed_within(stream, Duration::from_secs(5))
            .await
            .unwrap_or_else(|| panic!("the {who} client is still connected after 5 s"));
        assert!(
            took < Duration::from_secs(3),
            "the {who} client was cut off after {took:?}, not about 300 ms"
        );
    }
}

/// The size of `path`, 0 when it does not exist.
fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

#[tokio::test]
async fn a_shutdown_checkpoints_the_sqlite_log_into_the_database() {
    // SQLite only: the write-ahead log is SQLite's.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = dir.path().join("remise.db");
    let wal = dir.path().join("remise.db-wal");
    let (address, stop, serving) = serve(
        format!("sqlite://{}", file.display()),
        ServerSettings::default(),
    )
    .await;
    let client = reqwest::Client::new();
    let created = client
        .post(format!("http://{address}/v1/campaigns"))
        .bearer_auth(ADMIN)
        .json(&ten_from_100())
        .send()
        .await
        .expect("the server answers");
    assert_eq!(created.status(), reqwest::StatusCode::CREATED);
    assert!(
        size(&wal) > 0,
        "a write while serving goes to the write-ahead log first"
    );
    let before = size(&file);

    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(15), serving)
        .await
        .expect("the shutdown is bounded")
        .expect("the server task ends")
        .expect("the server stops cleanly");
    assert_eq!(size(&wal), 0, "the log is checkpointed and emptied");
    assert!(
        size(&file) >= before,
        "the database file holds what the log held"
    );
    // Read straight from the file: the campaign is there.
    let reopened = remise::store::Store::open(&format!("sqlite://{}", file.display()))
        .await
        .expect("the database opens");
    let campaigns = reopened.campaigns().await.expect("campaigns read");
    assert!(campaigns.iter().any(|c| c.campaign.id == "ten-from-100"));
    reopened.close().await;
}
