//! `remise simulate`: draft campaigns priced beside today's campaigns of the server's
//! database over a file of baskets, with a progress bar, then the report as tables (or as
//! JSON). The file is read a chunk at a time, so a million baskets never sit in memory.

use super::{open_service, ServerFiles};
use crate::model::basket::DEFAULT_MAX_LINES;
use crate::model::body::BodyError;
use crate::model::campaign::Campaign;
use crate::simulate::{basket_line, SimulationReport, Simulator, CHUNK};
use anyhow::{anyhow, bail, Context as _};
use chrono::Utc;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;

/// Rows a table of the report shows at most (`--json` gives them all).
const ROWS_SHOWN: usize = 20;

/// Arguments of `remise simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// A draft campaign: a JSON file holding the body of `POST /v1/campaigns`. Repeat for
    /// several; one with a live campaign's id takes its place.
    #[arg(long = "campaign", required = true)]
    pub campaigns: Vec<PathBuf>,
    /// The baskets: one JSON object per line, the body of `POST /v1/evaluate` less
    /// `explain`, in time order; each is priced at its `at`, or now.
    #[arg(long)]
    pub baskets: PathBuf,
    /// The currency amounts are counted in (baskets in another are left out); the first
    /// basket's by default.
    #[arg(long)]
    pub currency: Option<String>,
    /// The IANA time zone days are counted in.
    #[arg(long, default_value = "UTC")]
    pub timezone: String,
    /// Threads pricing baskets; 0 for one per core.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Print the report as JSON instead of tables.
    #[arg(long)]
    pub json: bool,
    /// The server whose live campaigns, group policies and usage the drafts are priced
    /// beside.
    #[command(flatten)]
    pub server: ServerFiles,
}

/// Runs `remise simulate`: exit code 0 once the report is printed, 2 when a draft, a
/// basket or an option is refused.
pub fn simulate(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    let timezone = chrono_tz::Tz::from_str(&args.timezone)
        .map_err(|_| anyhow!("--timezone {:?} is not an IANA time zone", args.timezone))?;
    let mut drafts = Vec::new();
    for path in &args.campaigns {
        drafts.push(read_campaign(path)?);
    }
    let total = count_lines(&args.baskets)?;
    let report = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let service = open_service(&args.server).await?;
            let report = run(&service, &args, drafts, timezone, total).await;
            service.close().await;
            report
        });
    let report = match report {
        Ok(report) => report,
        Err(Refused(why)) => {
            eprintln!("{why}");
            return Ok(ExitCode::from(2));
        }
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", tables(&report));
    }
    Ok(ExitCode::SUCCESS)
}

/// Why the simulation could not run, for the user.
struct Refused(String);

impl From<anyhow::Error> for Refused {
    fn from(error: anyhow::Error) -> Self {
        Refused(format!("{error:#}"))
    }
}

async fn run(
    service: &crate::service::Service,
    args: &SimulateArgs,
    drafts: Vec<Campaign>,
    timezone: chrono_tz::Tz,
    total: u64,
) -> Result<SimulationReport, Refused> {
    let scenario = service
        .simulation_scenario(drafts, args.currency.clone(), timezone)
        .await
        .map_err(|error| match error {
            crate::service::ServiceError::Invalid(problems) => Refused(
                problems
                    .iter()
                    .map(|p| {
                        let (draft, rest) = draft_of(&p.pointer);
                        let file = (args.campaigns.get(draft))
                            .map_or("?".into(), |path| path.display().to_string());
                        format!("{file}: {rest}: {}", p.message)
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            other => Refused(other.to_string()),
        })?;
    let reads_customer = (scenario.live.iter())
        .chain(&scenario.drafts)
        .any(|live| live.plugin.reads_customer());
    let threads = args.threads;
    let mut simulator = tokio::task::spawn_blocking(move || Simulator::new(scenario, threads))
        .await
        .map_err(|e| Refused(e.to_string()))?
        .map_err(|e| Refused(e.to_string()))?;
    let progress = ProgressBar::new(total).with_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{wide_bar}] {human_pos}/{human_len} baskets, {per_sec}, {eta} left",
        )
        .map_err(|e| Refused(e.to_string()))?,
    );
    let file = std::fs::File::open(&args.baskets)
        .with_context(|| format!("opening {}", args.baskets.display()))?;
    let mut lines = BufReader::new(file).lines().enumerate();
    loop {
        let mut chunk = Vec::with_capacity(CHUNK);
        for (number, line) in lines.by_ref() {
            let line = line.with_context(|| {
                format!("reading {} line {}", args.baskets.display(), number + 1)
            })?;
            if !line.trim().is_empty() {
                chunk.push((number + 1, line));
            }
            if chunk.len() == CHUNK {
                break;
            }
        }
        if chunk.is_empty() {
            break;
        }
        let now = Utc::now();
        let parsed: Result<Vec<_>, String> = tokio::task::block_in_place(|| {
            chunk
                .par_iter()
                .map(|(number, line)| {
                    let basket = basket_line(line, DEFAULT_MAX_LINES).map_err(|why| {
                        format!("{} line {number}: {why}", args.baskets.display())
                    })?;
                    let at = basket.at.map_or(now, |at| at.with_timezone(&Utc));
                    Ok((basket, at))
                })
                .collect()
        });
        let baskets = service
            .simulated_baskets(reads_customer, parsed.map_err(Refused)?)
            .await
            .map_err(|e| Refused(e.to_string()))?;
        simulator = tokio::task::spawn_blocking(move || {
            simulator.run_chunk(&baskets);
            simulator
        })
        .await
        .map_err(|e| Refused(format!("pricing failed unexpectedly: {e}")))?;
        progress.set_position(simulator.seen());
    }
    progress.finish_and_clear();
    Ok(simulator.report())
}

/// Draft campaign `path`, read as `POST /v1/campaigns` reads its body.
fn read_campaign(path: &Path) -> anyhow::Result<Campaign> {
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    crate::model::body::parse(&text).map_err(|error| match error {
        BodyError::Field(problem) => {
            anyhow!(
                "{}: {}: {}",
                path.display(),
                problem.pointer,
                problem.message
            )
        }
        syntax => anyhow!("{}: {syntax}", path.display()),
    })
}

/// The lines of `path` that hold something, for the progress bar.
fn count_lines(path: &Path) -> anyhow::Result<u64> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut count = 0;
    for line in BufReader::new(file).lines() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        count += u64::from(!line.trim().is_empty());
    }
    if count == 0 {
        bail!("{} holds no basket", path.display());
    }
    Ok(count)
}

/// `/drafts/1/params/x` → `(1, "/params/x")`.
fn draft_of(pointer: &str) -> (usize, &str) {
    let rest = pointer.strip_prefix("/drafts/").unwrap_or(pointer);
    let (index, rest) = rest.split_once('/').map_or((rest, ""), |(i, r)| (i, r));
    let index = index.parse().unwrap_or(usize::MAX);
    (
        index,
        if rest.is_empty() {
            "/"
        } else {
            &pointer[pointer.len() - rest.len() - 1..]
        },
    )
}

/// The report as text tables.
fn tables(report: &SimulationReport) -> String {
    use std::fmt::Write as _;
    let currency = report.currency.as_deref().unwrap_or("");
    let totals = &report.discount;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} baskets priced, {} touched by the drafts ({} skipped for their currency, {} failed)",
        report.baskets, report.touched, report.skipped, report.failed
    );
    if let Some(why) = &report.first_failure {
        let _ = writeln!(out, "first failure: {why}");
    }
    let _ = writeln!(
        out,
        "drafts grant {} {currency}; every discount {} with the drafts, {} without: {} more\n",
        totals.drafts, totals.with_drafts, totals.without_drafts, totals.change
    );
    let _ = writeln!(
        out,
        "{:<24} {:>5} {:>10} {:>14} {:>10} {:>14}  runs out",
        "campaign", "draft", "applied", "discount", "displaced", "lost"
    );
    for campaign in &report.campaigns {
        let runs_out = match (campaign.runs_out_on, campaign.runs_out_after) {
            (Some(day), Some(basket)) => format!("{day} (basket {basket})"),
            _ => "-".into(),
        };
        let _ = writeln!(
            out,
            "{:<24} {:>5} {:>10} {:>14} {:>10} {:>14}  {runs_out}",
            campaign.campaign,
            if campaign.draft { "yes" } else { "" },
            campaign.applied,
            campaign.discount,
            campaign.displaced,
            campaign.displaced_discount
        );
    }
    for (title, slices) in [
        ("day", &report.by_day),
        ("channel", &report.by_channel),
        ("store", &report.by_store),
    ] {
        if slices.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "\n{:<24} {:>10} {:>10} {:>14} {:>14}",
            title, "baskets", "touched", "drafts", "change"
        );
        for slice in slices.iter().take(ROWS_SHOWN) {
            let _ = writeln!(
                out,
                "{:<24} {:>10} {:>10} {:>14} {:>14}",
                slice.key, slice.baskets, slice.touched, slice.drafts, slice.change
            );
        }
        if slices.len() > ROWS_SHOWN {
            let _ = writeln!(
                out,
                "… {} more (--json lists them all)",
                slices.len() - ROWS_SHOWN
            );
        }
    }
    out
}
