//! The command line: `remise serve` runs the service; `remise plugin run` and `remise plugin
//! inspect` run a real `.wasm` locally, the way Shopify's function-runner does, and print
//! what it proposed and what it cost; `remise plugin new` writes a plugin project
//! ([`crate::scaffold`]); `remise journal verify` and `remise simulate` ([`simulate`]) work
//! on a server's database.

mod simulate;

use crate::api::evaluate::EvaluateRequest;
use crate::api::ApiLimits;
use crate::catalogue;
use crate::delivery::WebhookSettings;
use crate::logging::{self, LogFormat};
use crate::model::basket::{Basket, DEFAULT_MAX_LINES};
use crate::model::plugin_limits::PluginLimits;
use crate::registry::LimitsView;
use crate::runtime::{self, Limits, Plugin, Runtime};
use crate::serve::{self, ServeOptions, ServerSettings};
use crate::service::{JournalSettings, LeaseSettings, UpstreamSettings};
use crate::store::{PoolSettings, Store};
use anyhow::{anyhow, bail, Context as _};
use chrono::Utc;
use clap::{Args, Parser, Subcommand};
use serde_json::json;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// Remise, the promotion engine.
#[derive(Debug, Parser)]
#[command(name = "remise", version, about)]
pub struct Cli {
    /// How logs are written to stderr: `text` or `json` (one object per line). `RUST_LOG`
    /// filters them (default `info`; `debug` shows requests, SQL statements and hyper).
    #[arg(long, global = true, env = "REMISE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
// One command is parsed once per process: its size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Serve the HTTP API (docs/api.md) with the catalogue plugins loaded.
    Serve(ServeArgs),
    /// Work with scenario plugins.
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// Work with the decision journal (docs/history.md).
    #[command(subcommand)]
    Journal(JournalCommand),
    /// Price baskets against today's campaigns with draft campaigns beside them, and say
    /// what the drafts would grant, whom they touch, what they displace and when their
    /// budget runs out (docs/simulation.md).
    Simulate(simulate::SimulateArgs),
}

/// `remise journal …`.
#[derive(Debug, Subcommand)]
pub enum JournalCommand {
    /// Replay every entry journalled on a day with what was in force then, and report
    /// those whose answer does not come out byte for byte as sent; exits 1 when one does
    /// not, or cannot be replayed.
    Verify(VerifyArgs),
}

/// Arguments of `remise journal verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The day, `YYYY-MM-DD` (UTC).
    #[arg(long)]
    pub day: chrono::NaiveDate,
    /// The server whose journal it is.
    #[command(flatten)]
    pub server: ServerFiles,
}

/// A server's database and plugin folder, for a command that works on them (not serving).
#[derive(Debug, Args)]
pub struct ServerFiles {
    /// The server's database.
    // Its password never shows in `--help`.
    #[arg(
        long,
        env = "REMISE_DATABASE_URL",
        hide_env_values = true,
        default_value = "sqlite://remise.db"
    )]
    pub database_url: String,
    /// The server's plugin folder, whose plugins its campaigns may run on.
    #[arg(long, env = "REMISE_PLUGIN_DIR")]
    pub plugin_dir: Option<PathBuf>,
}

/// Arguments of `remise serve`; each flag is also an environment variable.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, env = "REMISE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The database: `sqlite://file.db` (created and migrated on first start), or
    /// `postgres://user:password@host/database` shared by many hosts (migrated on start).
    // Its password never shows in `--help` (the environment's value is hidden) nor in logs.
    #[arg(
        long,
        env = "REMISE_DATABASE_URL",
        hide_env_values = true,
        default_value = "sqlite://remise.db"
    )]
    pub database_url: String,
    /// A folder of extra `.wasm` plugins to load at start.
    #[arg(long, env = "REMISE_PLUGIN_DIR")]
    pub plugin_dir: Option<PathBuf>,
    /// A TOML configuration file: `[[keys]]` with `key`, `role`, `label`.
    #[arg(long, env = "REMISE_CONFIG")]
    pub config: Option<PathBuf>,
    /// The admin key; without one, the first start creates one and prints it once.
    #[arg(long, env = "REMISE_ADMIN_KEY", hide_env_values = true)]
    pub admin_key: Option<String>,
    /// The largest plugin an upload (`PUT /v1/plugins/{name}`) may send, in bytes.
    #[arg(long, env = "REMISE_MAX_PLUGIN_BYTES", default_value_t = crate::service::DEFAULT_MAX_PLUGIN_BYTES)]
    pub max_plugin_bytes: usize,
    /// How far a commit's `at` may be from the server's clock, in seconds, before the
    /// commit is refused (422): a commit is always priced at the server's time.
    #[arg(long, env = "REMISE_MAX_CLOCK_SKEW", default_value_t = crate::service::DEFAULT_MAX_CLOCK_SKEW.as_secs())]
    pub max_clock_skew: u64,
    /// Where compiled plugins are kept across restarts, so a restart compiles nothing
    /// (default: beside the SQLite file, `remise.db-compiled/`). It must be private to the
    /// service: whoever can write there can run code in it.
    #[arg(long, env = "REMISE_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Database connections at most (default 4 for SQLite, 16 for PostgreSQL).
    #[arg(long, env = "REMISE_DB_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..))]
    pub db_max_connections: Option<u32>,
    /// How long a request waits for a database connection before it fails with a 503, in
    /// milliseconds.
    #[arg(long, env = "REMISE_DB_ACQUIRE_TIMEOUT_MS", default_value_t = 3_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub db_acquire_timeout_ms: u64,
    /// How long one PostgreSQL statement may run before the database cancels it and the
    /// request fails with a 503, in milliseconds (SQLite has no such limit).
    #[arg(long, env = "REMISE_DB_STATEMENT_TIMEOUT_MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub db_statement_timeout_ms: u64,
    /// How long a commit or cancel waits for the database's commit lock, or for its turn on
    /// this host while no commit ahead of it finishes, before it fails with a 503 and
    /// `Retry-After`, in milliseconds.
    #[arg(long, env = "REMISE_COMMIT_LOCK_TIMEOUT_MS", default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub commit_lock_timeout_ms: u64,
    /// Requests in progress at once, commits and health checks apart; beyond, a request
    /// waits `--queue-timeout-ms` for a slot, then is answered 503 with `Retry-After`.
    #[arg(long, env = "REMISE_MAX_REQUESTS_IN_FLIGHT", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_requests_in_flight: u32,
    /// Commits and cancels in progress at once (a lane of their own, so other traffic never
    /// takes their slots).
    #[arg(long, env = "REMISE_MAX_COMMITS_IN_FLIGHT", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_commits_in_flight: u32,
    /// How long a request beyond those limits waits for a slot, in milliseconds.
    #[arg(long, env = "REMISE_QUEUE_TIMEOUT_MS", default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub queue_timeout_ms: u64,
    /// Let webhook URLs reach loopback, link-local and private addresses (a receiver on
    /// the same host or network). Off by default: a webhook could otherwise probe the
    /// server's own network.
    #[arg(long, env = "REMISE_WEBHOOK_ALLOW_PRIVATE")]
    pub webhook_allow_private: bool,
    /// How long one webhook delivery attempt may take, in milliseconds.
    #[arg(long, env = "REMISE_WEBHOOK_TIMEOUT_MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub webhook_timeout_ms: u64,
    /// The wait after a webhook delivery's first failure, in milliseconds; it doubles with
    /// each further failure, up to an hour.
    #[arg(long, env = "REMISE_WEBHOOK_RETRY_BASE_MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub webhook_retry_base_ms: u64,
    /// How long a failing webhook delivery is retried before it becomes a dead letter, in
    /// seconds (24 hours by default).
    #[arg(long, env = "REMISE_WEBHOOK_RETRY_FOR_SECS", default_value_t = 86_400, value_parser = clap::value_parser!(u64).range(1..))]
    pub webhook_retry_for_secs: u64,
    /// The share of a campaign's budget granted, in percent, at which `campaign.budget_low`
    /// is sent.
    #[arg(long, env = "REMISE_BUDGET_LOW_PERCENT", default_value_t = 80, value_parser = clap::value_parser!(u8).range(1..=100))]
    pub budget_low_percent: u8,
    /// The share of evaluations recorded in the decision journal, in percent (0 to 100);
    /// commits are always journalled.
    #[arg(long, env = "REMISE_JOURNAL_SAMPLE_PERCENT", default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub journal_sample_percent: u8,
    /// How long journal entries are kept, in days.
    #[arg(long, env = "REMISE_JOURNAL_RETENTION_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3650))]
    pub journal_retention_days: u64,
    /// Lease slices of hot campaigns' caps and budgets, and commit against them without
    /// the campaigns' locks (PostgreSQL only; docs/scaling.md, "Budget leases").
    #[arg(long, env = "REMISE_BUDGET_LEASES")]
    pub budget_leases: bool,
    /// How long a budget lease lives unless its host renews it, in seconds: a host that
    /// dies holds its unused slices this long at most.
    #[arg(long, env = "REMISE_LEASE_TTL_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub lease_ttl_secs: u64,
    /// At the centre: how long a store node's budget lease lives unless the store renews
    /// it, in seconds (docs/store-nodes.md): a store offline longer stops applying its
    /// leased campaigns, and its unused slices come back.
    #[arg(long, env = "REMISE_STORE_LEASE_TTL_SECS", default_value_t = 86_400, value_parser = clap::value_parser!(u64).range(10..=30 * 86_400))]
    pub store_lease_ttl_secs: u64,
    /// Run as a store node of this centre (its base URL): copy its campaigns, plugins,
    /// channel keys and customer profiles, serve tills from the copy, and forward the
    /// orders committed here (docs/store-nodes.md). Needs `--store` and
    /// `REMISE_UPSTREAM_KEY`.
    #[arg(long, env = "REMISE_UPSTREAM", requires_all = ["store", "upstream_key"])]
    pub upstream: Option<url::Url>,
    /// This store's id at the centre (1 to 64 of letters, digits, _ and -), with
    /// `--upstream`.
    #[arg(long, env = "REMISE_STORE_ID", requires = "upstream", value_parser = parse_store_id)]
    pub store: Option<String>,
    /// A key of the centre with the `store` role, with `--upstream`.
    #[arg(
        long,
        env = "REMISE_UPSTREAM_KEY",
        hide_env_values = true,
        requires = "upstream"
    )]
    pub upstream_key: Option<String>,
}

fn parse_store_id(id: &str) -> Result<String, String> {
    crate::api::stores::check_store_id(id).map(|()| id.to_string())
}

/// `remise plugin …`.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Run a plugin on one basket and print its effects and a resource report (JSON).
    Run(RunArgs),
    /// Print a plugin's metadata, parameter schema and limits (JSON).
    Inspect(InspectArgs),
    /// List the catalogue plugins embedded in this binary.
    List,
    /// Write a new plugin project that builds on its own: Rust with the SDK inside it, or
    /// JavaScript (`--lang js`).
    New(NewArgs),
    /// Make a plugin component of a JavaScript scenario (no toolchain needed but this binary).
    Build(BuildArgs),
}

/// Arguments of `remise plugin build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The scenario: an ES module exporting `metadata`, `evaluate` and, optionally,
    /// `checkParams` (docs/plugins-js.md).
    pub scenario: PathBuf,
    /// Where to write the component; default: the scenario's path with `.wasm`.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

/// Arguments of `remise plugin new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The plugin's name: 1 to 64 of a-z, 0-9 and -, starting with a letter.
    pub name: String,
    /// The project's folder (must not exist or be empty); default: `./NAME`.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// The language: `rust` (a cargo project with the SDK) or `js` (a JavaScript module
    /// that `remise plugin build` makes a component; no toolchain needed).
    #[arg(long, value_enum, default_value_t = Lang::Rust)]
    pub lang: Lang,
}

/// A plugin project's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Rust, with `remise-sdk`.
    Rust,
    /// JavaScript, run by the QuickJS engine in `remise plugin build`.
    Js,
}

/// Arguments of `remise plugin inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The component: a `.wasm` path, or the name of a catalogue plugin.
    pub plugin: String,
    /// A server's database: the limits are then those ops set on this plugin there
    /// (`PUT /v1/plugins/{name}/limits`); without it, the defaults.
    // Its password never shows in `--help`.
    #[arg(long, env = "REMISE_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// The server's largest plugin upload, in bytes, which bounds the plugin's own.
    #[arg(long, env = "REMISE_MAX_PLUGIN_BYTES", default_value_t = crate::service::DEFAULT_MAX_PLUGIN_BYTES)]
    pub max_plugin_bytes: usize,
}

/// Arguments of `remise plugin run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The component to run (`.wasm`).
    #[arg(long, conflicts_with = "plugin", required_unless_present = "plugin")]
    pub wasm: Option<PathBuf>,
    /// A catalogue plugin embedded in this binary, by name, instead of `--wasm`.
    #[arg(long)]
    pub plugin: Option<String>,
    /// The campaign parameters (JSON file).
    #[arg(long)]
    pub params: PathBuf,
    /// The basket: a `POST /v1/evaluate` request body (JSON file).
    #[arg(long)]
    pub basket: PathBuf,
    /// Fuel for a basket of up to 200 lines.
    #[arg(long, default_value_t = Limits::default().fuel)]
    pub fuel: u64,
    /// Linear memory cap, in MiB.
    #[arg(long, default_value_t = 16)]
    pub memory_mib: usize,
    /// Wall-clock deadline, in milliseconds.
    #[arg(long, default_value_t = 50)]
    pub deadline_ms: u64,
}

/// Runs the CLI; the exit code is 0 on success, 1 when the plugin failed (the typed
/// reason is printed), 2 when the input was refused.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    logging::init(cli.log_format);
    match cli.command {
        Command::Serve(args) => serve(args),
        Command::Plugin(PluginCommand::Run(args)) => run_plugin(args),
        Command::Plugin(PluginCommand::Inspect(args)) => inspect(args),
        Command::Journal(JournalCommand::Verify(args)) => verify_journal(args),
        Command::Simulate(args) => simulate::simulate(args),
        Command::Plugin(PluginCommand::New(args)) => new_plugin(args),
        Command::Plugin(PluginCommand::Build(args)) => build_plugin(args),
        Command::Plugin(PluginCommand::List) => {
            for (name, bytes) in catalogue::PLUGINS {
                println!("{name}\t{} bytes", bytes.len());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `remise plugin new`: the project written, then what to run in it.
fn new_plugin(args: NewArgs) -> anyhow::Result<ExitCode> {
    let dir = args.dir.unwrap_or_else(|| PathBuf::from(&args.name));
    let written = match args.lang {
        Lang::Rust => crate::scaffold::new_rust_plugin(&args.name, &dir),
        Lang::Js => crate::scaffold::new_javascript_plugin(&args.name, &dir),
    };
    let written = match written {
        Ok(written) => written,
        Err(refused) => {
            eprintln!("remise plugin new: {refused}");
            return Ok(ExitCode::from(2));
        }
    };
    let build = match args.lang {
        Lang::Rust => "cargo test\n  cargo build --release --target wasm32-wasip2".to_string(),
        Lang::Js => format!("remise plugin build scenario.js -o {}", written.component),
    };
    println!(
        "Wrote the plugin {} in {} ({} files).\n\nNext, in that folder:\n  {build}\n  \
         remise plugin run --wasm {} --params fixtures/params.json --basket fixtures/basket.json\n\n\
         Its README.md says how to upload it to a server.",
        args.name,
        written.dir.display(),
        written.files.len(),
        written.component,
    );
    Ok(ExitCode::SUCCESS)
}

/// `remise plugin build`: the JavaScript scenario made a component, checked by loading it
/// as a server would, and what it says of itself.
fn build_plugin(args: BuildArgs) -> anyhow::Result<ExitCode> {
    let source = read(&args.scenario)?;
    let output = args
        .output
        .unwrap_or_else(|| args.scenario.with_extension("wasm"));
    let component = match crate::javascript::build(&source) {
        Ok(component) => component,
        Err(crate::javascript::BuildError::Internal(why)) => bail!("{why}"),
        Err(refused) => {
            eprintln!(
                "remise plugin build: {}: {refused}",
                args.scenario.display()
            );
            return Ok(ExitCode::from(2));
        }
    };
    let runtime = Runtime::new().map_err(|e| anyhow!("{e:#}"))?;
    let plugin = runtime.load(&component, Limits::default()).map_err(|e| {
        anyhow!(
            "{}: the component does not load: {e}",
            args.scenario.display()
        )
    })?;
    std::fs::write(&output, &component).with_context(|| format!("writing {}", output.display()))?;
    let metadata = plugin.metadata();
    println!(
        "Built {}@{} into {} ({} bytes).",
        metadata.name,
        metadata.version,
        output.display(),
        component.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// `remise journal verify`: a day of the journal replayed, a line per entry that differs
/// or fails, and a summary; exit code 1 unless every entry came out as sent.
fn verify_journal(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let verified = journal_verification(&args)?;
    for different in &verified.different {
        let paths: Vec<&str> = different
            .differences
            .iter()
            .map(|change| change.path.as_str())
            .collect();
        println!("{}\tdiffers\t{}", different.evaluation_id, paths.join(" "));
    }
    for (id, why) in &verified.failed {
        println!("{id}\tfailed\t{why}");
    }
    println!(
        "{}: {} replayed, {} identical, {} different, {} failed",
        args.day,
        verified.replayed,
        verified.identical,
        verified.different.len(),
        verified.failed.len()
    );
    Ok(
        if verified.different.is_empty() && verified.failed.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        },
    )
}

/// What `remise journal verify` found: the day of `args` replayed from its database, on
/// a runtime of its own (call it outside one).
pub fn journal_verification(args: &VerifyArgs) -> anyhow::Result<crate::service::Verified> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let service = open_service(&args.server).await?;
            let verified = service.verify_journal_day(args.day).await;
            service.close().await;
            verified.map_err(|e| anyhow!("replaying {}: {e}", args.day))
        })
}

/// The service over a server's database with the catalogue and the server's plugins, as a
/// command that works on them (not serving) opens it.
async fn open_service(server: &ServerFiles) -> anyhow::Result<crate::service::Service> {
    let url = logging::redact_url(&server.database_url);
    let plugin_dir = server.plugin_dir.clone();
    let store = Store::open(&server.database_url)
        .await
        .map_err(|e| anyhow!("opening {url}: {e}"))?;
    let (loader, plugins) = tokio::task::spawn_blocking(move || {
        let runtime = Arc::new(Runtime::new().map_err(|e| anyhow!("{e:#}"))?);
        let loader = crate::registry::Loader::new(runtime, None)?;
        let plugins = crate::registry::load_plugins(&loader, plugin_dir.as_deref())?;
        anyhow::Ok((Arc::new(loader), plugins))
    })
    .await??;
    crate::service::Service::start(
        store,
        loader,
        plugins,
        crate::service::DEFAULT_MAX_PLUGIN_BYTES,
    )
    .await
    .map_err(|e| anyhow!("reading {url}: {e}"))
}

/// `remise plugin inspect`: the plugin's metadata, and the limits it runs under, those ops
/// set on it in `--database-url`'s database over the defaults.
fn inspect(args: InspectArgs) -> anyhow::Result<ExitCode> {
    let runtime = Runtime::new().map_err(|e| anyhow!("{e:#}"))?;
    let plugin = load(&runtime, &args.plugin, Limits::default())?;
    let configured = match &args.database_url {
        None => PluginLimits::default(),
        Some(url) => {
            let name = plugin.metadata().name.clone();
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
                .block_on(async {
                    let store = Store::open(url)
                        .await
                        .map_err(|e| anyhow!("opening {}: {e}", logging::redact_url(url)))?;
                    let limits = store.plugin_limits().await;
                    store.close().await;
                    anyhow::Ok(
                        limits?
                            .into_iter()
                            .find(|(stored, _)| *stored == name)
                            .map(|(_, limits)| limits)
                            .unwrap_or_default(),
                    )
                })?
        }
    };
    print_json(&json!({
        "metadata": plugin.metadata(),
        "sha256": plugin.sha256(),
        "size_bytes": plugin.size(),
        "imports": plugin.imports(),
        "limits": LimitsView::new(&configured, args.max_plugin_bytes),
        "configured_limits": configured,
    }))?;
    Ok(ExitCode::SUCCESS)
}

/// What `remise serve`'s flags ask for: the service's options and the server's settings.
fn serve_settings(args: ServeArgs) -> (ServeOptions, ServerSettings) {
    let options = ServeOptions {
        listen: args.listen,
        database_url: args.database_url,
        plugin_dir: args.plugin_dir,
        config: args.config,
        admin_key: args.admin_key,
        max_plugin_bytes: args.max_plugin_bytes,
        max_clock_skew: std::time::Duration::from_secs(args.max_clock_skew),
        clock: crate::clock::Clock::system(),
        cache_dir: args.cache_dir,
        pool: PoolSettings {
            max_connections: args.db_max_connections,
            acquire_timeout: Duration::from_millis(args.db_acquire_timeout_ms),
            statement_timeout: Duration::from_millis(args.db_statement_timeout_ms),
            commit_lock_timeout: Duration::from_millis(args.commit_lock_timeout_ms),
        },
        webhooks: WebhookSettings {
            allow_private: args.webhook_allow_private,
            timeout: Duration::from_millis(args.webhook_timeout_ms),
            retry_base: Duration::from_millis(args.webhook_retry_base_ms),
            retry_for: Duration::from_secs(args.webhook_retry_for_secs),
            budget_low_percent: args.budget_low_percent,
        },
        journal: JournalSettings {
            sample_percent: args.journal_sample_percent,
            retention: Duration::from_secs(args.journal_retention_days.saturating_mul(86_400)),
            ..JournalSettings::default()
        },
        leases: LeaseSettings {
            enabled: args.budget_leases,
            ttl: Duration::from_secs(args.lease_ttl_secs),
            store_ttl: Duration::from_secs(args.store_lease_ttl_secs),
        },
        upstream: match (args.upstream, args.store, args.upstream_key) {
            (Some(url), Some(store_id), Some(key)) => Some(UpstreamSettings { url, store_id, key }),
            _ => None,
        },
    };
    let settings = ServerSettings {
        limits: ApiLimits {
            max_requests_in_flight: args.max_requests_in_flight as usize,
            max_commits_in_flight: args.max_commits_in_flight as usize,
            queue_timeout: Duration::from_millis(args.queue_timeout_ms),
            ..ApiLimits::default()
        },
        ..ServerSettings::default()
    };
    (options, settings)
}

fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let (options, settings) = serve_settings(args);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let started = serve::start(&options).await?;
        if let Some(key) = &started.created_admin_key {
            println!(
                "remise: no API key is active (none configured), so this admin key was created (shown once):"
            );
            println!("{key}");
        }
        let listener = TcpListener::bind(options.listen)
            .await
            .with_context(|| format!("listening on {}", options.listen))?;
        let address = listener.local_addr()?;
        tracing::info!(%address, database = %logging::redact_url(&options.database_url), "serving");
        println!("remise: serving on http://{address}");
        serve::run_with(listener, started.service, shutdown_signal(), settings).await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

fn run_plugin(args: RunArgs) -> anyhow::Result<ExitCode> {
    let limits = Limits {
        fuel: args.fuel,
        memory_bytes: args.memory_mib.saturating_mul(1 << 20),
        deadline: Duration::from_millis(args.deadline_ms),
        ..Limits::default()
    };
    if limits.memory_bytes > runtime::engine::MAX_MEMORY_CEILING {
        bail!(
            "--memory-mib is at most {}",
            runtime::engine::MAX_MEMORY_CEILING >> 20
        );
    }
    let source = match (&args.wasm, &args.plugin) {
        (Some(path), _) => path.display().to_string(),
        (None, Some(name)) => name.clone(),
        (None, None) => bail!("give --wasm or --plugin"),
    };
    let params = read(&args.params)?;
    let basket = read(&args.basket)?;
    let request: Basket = match serde_json::from_str::<EvaluateRequest>(&basket) {
        Ok(request) => request.into_parts().0,
        Err(error) => {
            return refused(
                &format!("basket {}: {error}", args.basket.display()),
                json!([]),
            )
        }
    };
    if let Err(problems) = request.validate(DEFAULT_MAX_LINES) {
        return refused("the basket is not valid", json!(problems));
    }
    let runtime = Runtime::new().map_err(|e| anyhow!("{e:#}"))?;
    let plugin = load(&runtime, &source, limits)?;
    let prepared = match plugin.check_params(&params) {
        Ok(Ok(prepared)) => prepared,
        Ok(Err(problems)) => return refused("the parameters were refused", json!(problems)),
        Err(error) => return failed(&plugin, &error, &runtime::RunReport::default()),
    };
    let at = request.at.unwrap_or_else(|| Utc::now().fixed_offset());
    let input = runtime::encode(&request, at).context("lowering the basket")?;
    let evaluation = plugin.evaluate(&request.lines, &input, &[&prepared]);
    let result = evaluation
        .results
        .into_iter()
        .next()
        .ok_or_else(|| anyhow!("the runtime answered no result"))?;
    match result {
        Ok(effects) => {
            print_json(&json!({
                "plugin": format!("{}@{}", plugin.metadata().name, plugin.metadata().version),
                "effects": effects,
                "report": report_json(&plugin, &evaluation.report),
            }))?;
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => failed(&plugin, &error, &evaluation.report),
    }
}

fn report_json(plugin: &Plugin, report: &runtime::RunReport) -> serde_json::Value {
    json!({
        "module_size_bytes": plugin.size(),
        "fuel_used": report.fuel_used,
        "fuel_limit": report.fuel_limit,
        "peak_memory_bytes": report.peak_memory_bytes,
        "wall_time_us": report.wall_time_us,
        "log": report.log,
        "log_dropped": report.log_dropped,
    })
}

fn failed(
    plugin: &Plugin,
    error: &runtime::RunError,
    report: &runtime::RunReport,
) -> anyhow::Result<ExitCode> {
    print_json(&json!({
        "plugin": format!("{}@{}", plugin.metadata().name, plugin.metadata().version),
        "error": { "reason": error.reason(), "detail": error.to_string() },
        "report": report_json(plugin, report),
    }))?;
    tracing::error!(reason = error.reason(), "the plugin failed: {error}");
    Ok(ExitCode::from(1))
}

fn refused(what: &str, problems: serde_json::Value) -> anyhow::Result<ExitCode> {
    print_json(
        &json!({ "error": { "reason": "invalid_input", "detail": what, "problems": problems } }),
    )?;
    tracing::error!(reason = "invalid_input", "{what}");
    Ok(ExitCode::from(2))
}

fn load(runtime: &Runtime, source: &str, limits: Limits) -> anyhow::Result<Plugin> {
    let bytes = match catalogue::plugin(source) {
        Some(bytes) if !Path::new(source).exists() => bytes.to_vec(),
        _ => std::fs::read(source).with_context(|| format!("reading {source}"))?,
    };
    runtime
        .load(&bytes, limits)
        .map_err(|e| anyhow!("{source}: {e}"))
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Writes `value` to stdout; a reader that went away (`remise plugin run … | head`) is not
/// an error, where `println!` would panic.
fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    use std::io::Write as _;
    let text = serde_json::to_string_pretty(value)?;
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve_args(flags: &[&str]) -> ServeArgs {
        let cli =
            Cli::try_parse_from(["remise", "serve"].iter().chain(flags)).expect("the flags parse");
        match cli.command {
            Command::Serve(args) => args,
            other => panic!("not serve: {other:?}"),
        }
    }

    #[test]
    fn the_flags_defaults_are_the_libraries_defaults() {
        let (options, settings) = serve_settings(serve_args(&[]));
        assert_eq!(options.pool, PoolSettings::default());
        assert_eq!(settings.limits, ApiLimits::default());
    }

    #[test]
    fn the_limits_and_timeouts_are_flags() {
        let (options, settings) = serve_settings(serve_args(&[
            "--db-statement-timeout-ms",
            "250",
            "--commit-lock-timeout-ms",
            "750",
            "--max-requests-in-flight",
            "8",
            "--max-commits-in-flight",
            "4",
            "--queue-timeout-ms",
            "20",
        ]));
        assert_eq!(options.pool.statement_timeout, Duration::from_millis(250));
        assert_eq!(options.pool.commit_lock_timeout, Duration::from_millis(750));
        assert_eq!(settings.limits.max_requests_in_flight, 8);
        assert_eq!(settings.limits.max_commits_in_flight, 4);
        assert_eq!(settings.limits.queue_timeout, Duration::from_millis(20));
        for zero in [
            "--max-requests-in-flight",
            "--max-commits-in-flight",
            "--queue-timeout-ms",
            "--commit-lock-timeout-ms",
            "--db-statement-timeout-ms",
        ] {
            assert!(
                Cli::try_parse_from(["remise", "serve", zero, "0"]).is_err(),
                "{zero} 0 is refused"
            );
        }
    }
}
