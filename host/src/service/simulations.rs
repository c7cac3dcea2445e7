//! What-if simulations as jobs (docs/simulation.md): draft campaigns checked by their
//! plugins, priced beside today's campaigns over a window of committed orders or journal
//! entries, or over uploaded baskets, by [`crate::simulate`]. A job runs on the host that
//! took it, a chunk of baskets at a time off the async workers, and writes its progress and
//! report to the store after each chunk, so any host answers for it and can cancel it.

use super::{Checked, Service, ServiceError};
use crate::engine::LiveCampaign;
use crate::model::campaign::Campaign;
use crate::model::customer_data::{CustomerData, DEFAULT_HISTORY_WINDOW_DAYS};
use crate::model::{Basket, FieldProblem};
use crate::simulate::{Scenario, SimulatedBasket, SimulationReport, Simulator, CHUNK};
use crate::store::{Cursor, SimulationProgress, SimulationRow, StoredBasket};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The most drafts one simulation prices.
pub const MAX_DRAFTS: usize = 20;
/// The longest window of orders or journal entries one simulation reads.
pub const MAX_WINDOW_DAYS: i64 = 366;
/// Simulations one host runs at once: each has a thread of its own.
pub const MAX_RUNNING_SIMULATIONS: usize = 2;
/// Simulations `GET /v1/simulations` lists.
pub const SIMULATIONS_LISTED: i64 = 50;
/// A running simulation whose host has written nothing for this long lost its host (it
/// stopped): it shows as `abandoned`.
pub const ABANDONED_AFTER: Duration = Duration::seconds(60);

/// Where a simulation's baskets come from.
#[derive(Clone, Debug)]
pub enum BasketSource {
    /// The orders committed in a window that stand (not cancelled).
    Orders {
        /// First instant (inclusive).
        from: DateTime<Utc>,
        /// Last instant (exclusive).
        to: DateTime<Utc>,
    },
    /// The journal's entries of a window: sampled evaluations and every commit.
    Journal {
        /// First instant (inclusive).
        from: DateTime<Utc>,
        /// Last instant (exclusive).
        to: DateTime<Utc>,
    },
    /// Baskets sent with the request (NDJSON), validated.
    Uploaded(Vec<Basket>),
}

/// A simulation to run.
#[derive(Clone, Debug)]
pub struct SimulationRequest {
    /// The draft campaigns, not saved.
    pub drafts: Vec<Campaign>,
    /// The baskets.
    pub baskets: BasketSource,
    /// The currency amounts are counted in (baskets in another are left out); the first
    /// basket's when `None`.
    pub currency: Option<String>,
    /// The time zone days are counted in.
    pub timezone: Tz,
}

/// Where a simulation's baskets came from, as its view shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SourceView {
    /// `orders`, `journal` or `upload`.
    pub source: String,
    /// The window's first instant, for `orders` and `journal`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<DateTime<Utc>>,
    /// The window's end (exclusive), for `orders` and `journal`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<DateTime<Utc>>,
}

/// What a simulation was asked, as stored with it.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct StoredRequest {
    drafts: Vec<Campaign>,
    baskets: SourceView,
    currency: Option<String>,
    timezone: String,
}

/// A simulation, as `GET /v1/simulations/{id}` shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SimulationView {
    /// Its id.
    pub id: String,
    /// `running`, `done`, `cancelled`, `failed`, or `abandoned` (its host stopped).
    pub status: String,
    /// When it was started.
    pub created_at: DateTime<Utc>,
    /// The label of the key that started it.
    pub created_by: String,
    /// The drafts, as sent.
    #[schema(value_type = Vec<Object>)]
    pub drafts: Vec<Campaign>,
    /// Where the baskets come from.
    pub baskets: SourceView,
    /// The currency asked for, if one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The time zone days are counted in.
    pub timezone: String,
    /// Baskets to price.
    pub total: i64,
    /// Baskets priced so far.
    pub done: i64,
    /// Whether someone asked to cancel it.
    pub cancel_requested: bool,
    /// When its host last wrote its progress.
    pub updated_at: DateTime<Utc>,
    /// When it ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What was counted so far (the whole simulation once `done`); absent from lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<SimulationReport>,
}

impl Service {
    /// Checks `request`'s drafts against their plugins and starts pricing its baskets
    /// beside today's campaigns, for the key labelled `author`; answers at once.
    pub async fn start_simulation(
        self: &Arc<Self>,
        request: SimulationRequest,
        author: &str,
    ) -> Result<SimulationView, ServiceError> {
        let SimulationRequest {
            drafts,
            baskets,
            currency,
            timezone,
        } = request;
        let (source, total) = match &baskets {
            BasketSource::Orders { from, to } => {
                window(*from, *to, "orders")?;
                let total = self.store.count_orders_between(*from, *to).await?;
                (source_view("orders", Some((*from, *to))), total)
            }
            BasketSource::Journal { from, to } => {
                window(*from, *to, "journal")?;
                let total = self.store.count_journal_between(*from, *to).await?;
                (source_view("journal", Some((*from, *to))), total)
            }
            BasketSource::Uploaded(baskets) => (
                source_view("upload", None),
                i64::try_from(baskets.len()).unwrap_or(i64::MAX),
            ),
        };
        let scenario = self
            .simulation_scenario(drafts.clone(), currency.clone(), timezone)
            .await?;
        let running = self.simulations_running.fetch_add(1, Ordering::AcqRel);
        if running >= MAX_RUNNING_SIMULATIONS {
            self.simulations_running.fetch_sub(1, Ordering::AcqRel);
            return Err(ServiceError::Conflict(format!(
                "{MAX_RUNNING_SIMULATIONS} simulations already run on this host: wait for \
                 one to end, or cancel one"
            )));
        }
        let now = self.clock.now();
        let stored = StoredRequest {
            drafts,
            baskets: source,
            currency,
            timezone: timezone.name().to_string(),
        };
        let row = SimulationRow {
            id: format!(
                "sim_{:x}{:08x}",
                now.timestamp_millis(),
                rand::random::<u32>()
            ),
            created_at: now,
            created_by: author.to_string(),
            status: "running".into(),
            request: serde_json::to_string(&stored)
                .map_err(|e| ServiceError::Unavailable(format!("writing the request: {e}")))?,
            total,
            done: 0,
            report: None,
            error: None,
            cancel_requested: false,
            updated_at: now,
            finished_at: None,
        };
        if let Err(error) = self.store.insert_simulation(&row).await {
            self.simulations_running.fetch_sub(1, Ordering::AcqRel);
            return Err(error.into());
        }
        let (service, id) = (Arc::clone(self), row.id.clone());
        tokio::spawn(async move {
            service.run_simulation(&id, scenario, baskets).await;
            service.simulations_running.fetch_sub(1, Ordering::AcqRel);
        });
        self.simulation(&row.id).await
    }

    /// Simulation `id`.
    pub async fn simulation(&self, id: &str) -> Result<SimulationView, ServiceError> {
        let row = self
            .store
            .simulation(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no simulation {id}")))?;
        self.simulation_view(row)
    }

    /// The latest simulations, newest first, without their reports.
    pub async fn simulations(&self) -> Result<Vec<SimulationView>, ServiceError> {
        let rows = self.store.simulations(SIMULATIONS_LISTED).await?;
        rows.into_iter()
            .map(|row| self.simulation_view(row))
            .collect()
    }

    /// Asks simulation `id` to stop: its host stops after the chunk it is pricing, and
    /// keeps what it counted.
    pub async fn cancel_simulation(&self, id: &str) -> Result<SimulationView, ServiceError> {
        let view = self.simulation(id).await?;
        if view.status != "running" {
            return Err(ServiceError::Conflict(format!(
                "simulation {id} is {}: only a running one can be cancelled",
                view.status
            )));
        }
        self.store.request_simulation_cancel(id).await?;
        self.simulation(id).await
    }

    /// What a simulation prices against: `drafts` checked and prepared by their plugins
    /// (a problem's pointer names the draft: `/drafts/1/params/tiers`), beside today's
    /// campaigns, group policies and usage.
    pub async fn simulation_scenario(
        &self,
        drafts: Vec<Campaign>,
        currency: Option<String>,
        timezone: Tz,
    ) -> Result<Scenario, ServiceError> {
        if drafts.is_empty() || drafts.len() > MAX_DRAFTS {
            return Err(ServiceError::Invalid(vec![FieldProblem::new(
                "/drafts",
                format!("must list 1 to {MAX_DRAFTS} draft campaigns"),
            )]));
        }
        let mut problems = Vec::new();
        let mut prepared: Vec<Arc<LiveCampaign>> = Vec::new();
        let mut ids = HashSet::new();
        for (i, draft) in drafts.into_iter().enumerate() {
            if !ids.insert(draft.id.clone()) {
                problems.push(FieldProblem::new(
                    format!("/drafts/{i}/id"),
                    format!("{} is the id of an earlier draft", draft.id),
                ));
                continue;
            }
            match self.prepare(draft, Checked::AsWritten).await {
                Ok(live) => prepared.push(Arc::new(live)),
                Err(found) => problems.extend(found.into_iter().map(|problem| {
                    FieldProblem::new(format!("/drafts/{i}{}", problem.pointer), problem.message)
                })),
            }
        }
        if !problems.is_empty() {
            return Err(ServiceError::Invalid(problems));
        }
        let snapshot = self.evaluator.snapshot();
        Ok(Scenario {
            live: snapshot.index.all().to_vec(),
            drafts: prepared,
            policies: snapshot.policies.clone(),
            usage: (*self.evaluator.usage()).clone(),
            currency,
            timezone,
            now: self.clock.now(),
        })
    }

    /// `baskets`, each priced at its instant, with what their pricing reads besides the
    /// campaigns: their coupon codes as they stand today and, when a plugin of `scenario`
    /// asks about customers, each customer's data.
    pub async fn simulated_baskets(
        &self,
        scenario_reads_customer: bool,
        baskets: Vec<(Basket, DateTime<Utc>)>,
    ) -> Result<Vec<SimulatedBasket>, ServiceError> {
        let mut codes: Vec<String> = baskets
            .iter()
            .flat_map(|(basket, _)| super::redemptions::codes(basket))
            .collect();
        codes.sort_unstable();
        codes.dedup();
        let coupons = if codes.is_empty() {
            HashMap::new()
        } else {
            self.store.coupon_states(&codes).await?
        };
        let mut customers: HashMap<String, Arc<CustomerData>> = HashMap::new();
        if scenario_reads_customer {
            let now = self.clock.now();
            for (basket, _) in &baskets {
                let Some(customer) = &basket.customer else {
                    continue;
                };
                if !customers.contains_key(&customer.id) {
                    let data = self
                        .store
                        .customer_data(&customer.id, now, DEFAULT_HISTORY_WINDOW_DAYS)
                        .await?;
                    customers.insert(customer.id.clone(), Arc::new(data));
                }
            }
        }
        Ok(baskets
            .into_iter()
            .map(|(basket, at)| {
                let coupons = super::redemptions::codes(&basket)
                    .into_iter()
                    .filter_map(|code| coupons.get(&code).map(|state| (code, state.clone())))
                    .collect();
                let customer_data = (basket.customer.as_ref())
                    .and_then(|customer| customers.get(&customer.id).cloned());
                SimulatedBasket {
                    basket,
                    at,
                    coupons,
                    customer_data,
                }
            })
            .collect())
    }

    /// Runs simulation `id` to its end and writes how it ended.
    async fn run_simulation(&self, id: &str, scenario: Scenario, baskets: BasketSource) {
        let ended = self.simulate_source(id, scenario, baskets).await;
        let (status, report, error) = match ended {
            Ok((status, report)) => (status, report, None),
            Err((report, error)) => ("failed", report, Some(error)),
        };
        let done = report
            .as_ref()
            .map_or(0, |r| r.baskets + r.skipped + r.failed);
        let done = i64::try_from(done).unwrap_or(i64::MAX);
        let report = report
            .and_then(|report| serde_json::to_string(&report).ok())
            .unwrap_or_else(|| "null".into());
        let progress = SimulationProgress {
            status,
            done,
            report: &report,
            error: error.as_deref(),
        };
        if let Err(error) = self
            .store
            .update_simulation(id, &progress, self.clock.now())
            .await
        {
            tracing::warn!(simulation = id, %error, "writing how a simulation ended");
        }
        tracing::info!(simulation = id, status, "simulation ended");
    }

    /// Prices every basket of `source`, a chunk at a time, writing progress after each;
    /// how it ended (`done` or `cancelled`) and the report, or why it failed.
    async fn simulate_source(
        &self,
        id: &str,
        scenario: Scenario,
        source: BasketSource,
    ) -> Result<(&'static str, Option<SimulationReport>), (Option<SimulationReport>, String)> {
        let reads_customer = scenario
            .live
            .iter()
            .chain(&scenario.drafts)
            .any(|live| live.plugin.reads_customer());
        let threads = std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1));
        let mut simulator = tokio::task::spawn_blocking(move || Simulator::new(scenario, threads))
            .await
            .map_err(|e| (None, format!("starting: {e}")))?
            .map_err(|e| (None, e.to_string()))?;
        let mut reader = BasketReader::new(source);
        loop {
            let page = reader.next_page(self).await;
            let (baskets, unreadable) = match page {
                Ok(page) => page,
                Err(error) => return Err((Some(simulator.report()), error.to_string())),
            };
            if baskets.is_empty() && unreadable.is_empty() {
                return Ok(("done", Some(simulator.report())));
            }
            let baskets = match self.simulated_baskets(reads_customer, baskets).await {
                Ok(baskets) => baskets,
                Err(error) => return Err((Some(simulator.report()), error.to_string())),
            };
            let priced = tokio::task::spawn_blocking(move || {
                for why in unreadable {
                    simulator.count_unreadable(why);
                }
                simulator.run_chunk(&baskets);
                simulator
            })
            .await;
            simulator = priced.map_err(|e| (None, format!("pricing failed unexpectedly: {e}")))?;
            let report = simulator.report();
            let json = serde_json::to_string(&report).unwrap_or_else(|_| "null".into());
            let progress = SimulationProgress {
                status: "running",
                done: i64::try_from(simulator.seen()).unwrap_or(i64::MAX),
                report: &json,
                error: None,
            };
            match self
                .store
                .update_simulation(id, &progress, self.clock.now())
                .await
            {
                Ok(true) => return Ok(("cancelled", Some(report))),
                Ok(false) => {}
                Err(error) => return Err((Some(report), error.to_string())),
            }
        }
    }

    fn simulation_view(&self, row: SimulationRow) -> Result<SimulationView, ServiceError> {
        let unreadable = |what: &str, why: String| {
            ServiceError::Unavailable(format!("simulation {}: its {what}: {why}", row.id))
        };
        let request: StoredRequest =
            serde_json::from_str(&row.request).map_err(|e| unreadable("request", e.to_string()))?;
        let report = match &row.report {
            Some(json) => serde_json::from_str::<Option<SimulationReport>>(json)
                .map_err(|e| unreadable("report", e.to_string()))?,
            None => None,
        };
        let abandoned =
            row.status == "running" && self.clock.now() - row.updated_at > ABANDONED_AFTER;
        Ok(SimulationView {
            status: if abandoned {
                "abandoned".into()
            } else {
                row.status
            },
            id: row.id,
            created_at: row.created_at,
            created_by: row.created_by,
            drafts: request.drafts,
            baskets: request.baskets,
            currency: request.currency,
            timezone: request.timezone,
            total: row.total,
            done: row.done,
            cancel_requested: row.cancel_requested,
            updated_at: row.updated_at,
            finished_at: row.finished_at,
            error: row.error,
            report,
        })
    }
}

/// Reads a simulation's baskets a chunk at a time.
struct BasketReader {
    source: BasketSource,
    after: Option<Cursor>,
    /// Uploaded baskets not read yet, moved out (not copied) a chunk at a time.
    uploaded: std::vec::IntoIter<Basket>,
}

/// A page of baskets with their instants, and why each unreadable one could not be read.
type Page = (Vec<(Basket, DateTime<Utc>)>, Vec<String>);

impl BasketReader {
    fn new(mut source: BasketSource) -> Self {
        let uploaded = match &mut source {
            BasketSource::Uploaded(baskets) => std::mem::take(baskets),
            _ => Vec::new(),
        };
        BasketReader {
            source,
            after: None,
            uploaded: uploaded.into_iter(),
        }
    }

    /// The next page; empty at the end.
    async fn next_page(&mut self, service: &Service) -> Result<Page, ServiceError> {
        let page = CHUNK as i64;
        let (rows, journal) = match &self.source {
            BasketSource::Uploaded(_) => {
                let now = service.clock.now();
                let page = (self.uploaded.by_ref().take(CHUNK))
                    .map(|basket| {
                        let at = instant_of(&basket, now);
                        (basket, at)
                    })
                    .collect();
                return Ok((page, Vec::new()));
            }
            BasketSource::Orders { from, to } => (
                (service.store)
                    .orders_between(*from, *to, self.after.as_ref(), page)
                    .await?,
                false,
            ),
            BasketSource::Journal { from, to } => (
                (service.store)
                    .journal_between(*from, *to, self.after.as_ref(), page)
                    .await?,
                true,
            ),
        };
        if let Some(last) = rows.last() {
            self.after = Some(last.cursor.clone());
        }
        let mut baskets = Vec::with_capacity(rows.len());
        let mut unreadable = Vec::new();
        for row in rows {
            match read_stored(&row, journal) {
                Ok(basket) => {
                    let at = instant_of(&basket, row.at);
                    baskets.push((basket, at));
                }
                Err(why) => unreadable.push(format!("{}: {why}", row.cursor.id())),
            }
        }
        Ok((baskets, unreadable))
    }
}

/// A stored basket's JSON (LZ4-compressed in the journal) read back.
fn read_stored(row: &StoredBasket, journal: bool) -> Result<Basket, String> {
    let json = if journal {
        super::journal::inflate_bytes(&row.body)?
    } else {
        row.body.clone()
    };
    serde_json::from_slice(&json).map_err(|e| e.to_string())
}

/// The instant `basket` is priced at: its `at`, or `otherwise`.
fn instant_of(basket: &Basket, otherwise: DateTime<Utc>) -> DateTime<Utc> {
    basket.at.map_or(otherwise, |at| at.with_timezone(&Utc))
}

fn source_view(source: &str, window: Option<(DateTime<Utc>, DateTime<Utc>)>) -> SourceView {
    SourceView {
        source: source.to_string(),
        from: window.map(|(from, _)| from),
        to: window.map(|(_, to)| to),
    }
}

/// Checks a window: `from` before `to`, at most [`MAX_WINDOW_DAYS`] long.
fn window(from: DateTime<Utc>, to: DateTime<Utc>, source: &str) -> Result<(), ServiceError> {
    let problem = |message: String| {
        ServiceError::Invalid(vec![FieldProblem::new(
            format!("/baskets/{source}/to"),
            message,
        )])
    };
    if to <= from {
        return Err(problem("`to` must come after `from`".into()));
    }
    if to - from > Duration::days(MAX_WINDOW_DAYS) {
        return Err(problem(format!(
            "the window may span at most {MAX_WINDOW_DAYS} days"
        )));
    }
    Ok(())
}
