//! The sandbox: loads plugin components and runs them, each evaluation in a fresh `Store`.
//!
//! One [`Runtime`] per process holds the `Engine` (configured in [`engine`]) and a linker
//! that offers plugins one import, the bounded log. [`Runtime::load`] compiles a component
//! ([`Runtime::check`] takes one the registry's cache already compiled), checks its imports
//! and its exports against `remise:scenario@1.0.0` or `@1.1.0` ([`Contract`]), pre-instantiates it,
//! reads its metadata and compiles its params JSON Schema ([`ParamsSchema`]), which
//! [`Plugin::check_params`] applies after the plugin's own check. [`Plugin::evaluate`] then
//! runs every campaign that uses the plugin in one fresh sandbox (instantiation is most of a
//! run's cost, so it is paid once per plugin per evaluation, not once per campaign) under
//! fuel, memory, deadline and output limits. If that shared run fails, each campaign is run
//! again alone, so one campaign's failure never costs its siblings.
//!
//! What a plugin hands the host is bounded before the host copies it: each call's results
//! (and each log message) may take at most [`MAX_OUTPUT_BYTES`] (wasmtime's hostcall fuel,
//! counted as the values are lifted, before each string or list is copied; prepared params
//! and metadata [`MAX_SETUP_OUTPUT_BYTES`]), and the lifting counts against the deadline:
//! a run whose answer is read after its deadline is a timeout.

pub mod bindings;
pub mod effects;
pub mod encode;
pub mod engine;
pub mod error;
pub mod failures;
pub mod lower;
pub mod producers;
pub mod sandbox;

use crate::model::Line;
use bindings::{types as wire, v1_1};
pub use effects::Effect;
pub use encode::{encode, WireInput};
pub use error::{LoadError, RunError};
use remise_model::params_schema::cut;
pub use remise_model::params_schema::{ParamProblem, ParamsSchema, SchemaError};
pub use sandbox::LogLine;
use sandbox::{LogFlood, Sandbox};
use serde::Serialize;
use sha2::{Digest, Sha256};

use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};
use wasmtime::component::{
    Component, ComponentExportIndex, ComponentType, Instance, InstancePre, Lift, Linker, TypedFunc,
};
use wasmtime::{Engine, Store, Trap};

/// The `evaluate` export, typed, for a contract whose effect variant is `E`.
type EvaluateFn<'a, E> = TypedFunc<
    (&'a lower::WireBasket, wire::Context, &'a [wire::Campaign]),
    (Vec<Result<Vec<E>, wire::ScenarioError>>,),
>;

/// The log, which every plugin may use.
const HOST_INTERFACE: &str = "remise:scenario/host@1.0.0";
/// The log, as contract 1.1 names it.
const HOST_INTERFACE_1_1: &str = "remise:scenario/host@1.1.0";
/// What contract 1.1 offers about the basket's customer.
const CUSTOMER_INTERFACE: &str = "remise:scenario/customer@1.1.0";
/// The interfaces a plugin may import besides WASI's trapping stubs: the log, the
/// types-only interfaces of either contract (they carry no functions), and `customer`.
const ALLOWED_IMPORTS: &[&str] = &[
    HOST_INTERFACE,
    "remise:scenario/types@1.0.0",
    HOST_INTERFACE_1_1,
    "remise:scenario/types@1.1.0",
    "remise:scenario/effects@1.1.0",
    CUSTOMER_INTERFACE,
];

/// The version of the contract a plugin was built for, read from the types of its
/// exports when it is loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Contract {
    /// `remise:scenario@1.0.0` (`sdk/wit/v1`).
    #[serde(rename = "1.0.0")]
    V1_0,
    /// `remise:scenario@1.1.0` (`sdk/wit/v1.1`): customer data, spending points, rewards.
    #[serde(rename = "1.1.0")]
    V1_1,
}

impl Contract {
    /// As the WIT package names it, such as `1.1.0`.
    pub fn as_str(self) -> &'static str {
        match self {
            Contract::V1_0 => "1.0.0",
            Contract::V1_1 => "1.1.0",
        }
    }
}
/// The most parameter problems reported for one check, by the params schema or the plugin.
const MAX_PARAM_PROBLEMS: usize = 100;
/// The most one call of `evaluate` (or one log message) may hand the host, in bytes as the
/// host holds them: 1,000 effects of 1 KiB messages fit, a plugin pointing 100 effects at
/// one 15 MiB string does not. A shared run over it fails, and each campaign runs alone.
pub const MAX_OUTPUT_BYTES: usize = 4 << 20;
/// The most `metadata` or `check-params` may hand the host: a params schema, or a
/// campaign's prepared params (which every evaluation copies into the sandbox again).
pub const MAX_SETUP_OUTPUT_BYTES: usize = 1 << 20;
/// How wasmtime says a call handed the host more than its hostcall fuel (its error type
/// is private; `a_huge_answer_is_refused_before_it_is_copied` fails if the words change).
const HOSTCALL_FUEL_EXHAUSTED: &str = "fuel allocated for hostcalls has been exhausted";
/// The least wall clock `metadata` and `check-params` get (see [`Limits::for_setup`]).
pub const SETUP_DEADLINE: Duration = Duration::from_secs(1);
/// How wasmtime says a plugin called an import the sandbox made a trap (a WASI function:
/// `a_call_to_a_wasi_function_is_a_plugin_error` fails if the words change).
const UNDEFINED_IMPORT_CALLED: &str = "has not been defined";

/// Per-plugin limits on one evaluation (docs/plugin-contract.md's defaults).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// Fuel (about one unit per wasm instruction) for a basket of up to 200 lines.
    pub fuel: u64,
    /// Linear memory cap, in bytes.
    pub memory_bytes: usize,
    /// Wall-clock deadline.
    #[serde(rename = "deadline_ms", serialize_with = "as_millis")]
    pub deadline: Duration,
    /// The most effects one campaign's answer may hold.
    pub max_effects: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            fuel: 10_000_000,
            memory_bytes: 16 << 20,
            deadline: Duration::from_millis(50),
            max_effects: 1_000,
        }
    }
}

impl Limits {
    /// The default limits with a plugin's own (`configured`) set over them.
    pub fn configured(configured: &crate::model::plugin_limits::PluginLimits) -> Limits {
        let default = Limits::default();
        Limits {
            fuel: configured.fuel.unwrap_or(default.fuel),
            memory_bytes: configured
                .memory_bytes
                .and_then(|bytes| usize::try_from(bytes).ok())
                .unwrap_or(default.memory_bytes),
            deadline: configured
                .deadline_ms
                .map_or(default.deadline, Duration::from_millis),
            max_effects: default.max_effects,
        }
    }

    /// What `metadata` and `check-params` run under: these limits, raised to the defaults,
    /// with a wall clock of at least [`SETUP_DEADLINE`]. They run once per plugin version
    /// or campaign save, not per evaluation, and parse JSON and build a schema, so they may
    /// cost more than an evaluation: a plugin tuned to tight evaluation limits must still
    /// load and check its params. Fuel bounds their work exactly; the clock is only a
    /// backstop, and a busy machine (an upload beside a catch-up compile, on two cores)
    /// must not refuse a sound plugin because a first run in a fresh sandbox took 60 ms.
    fn for_setup(self) -> Limits {
        let default = Limits::default();
        Limits {
            fuel: self.fuel.max(default.fuel),
            memory_bytes: self.memory_bytes.max(default.memory_bytes),
            deadline: self.deadline.max(SETUP_DEADLINE),
            max_effects: self.max_effects,
        }
    }

    /// The fuel for a basket of `lines` lines: ×1 up to 200 lines, then growing linearly
    /// with the basket, ×10 at most (like Shopify's 11M-instruction limit).
    pub fn fuel_for(&self, lines: usize) -> u64 {
        let lines = lines.max(200) as u64;
        self.fuel.saturating_mul(lines.min(2_000)) / 200
    }
}

/// When a run that starts at `now` must end: an equal share, among the `not_done` runs
/// still to finish (this one included), of the time left before `deadline`.
pub fn fair_share_end(now: Instant, deadline: Instant, not_done: usize) -> Instant {
    let left = deadline.saturating_duration_since(now);
    let runs = u32::try_from(not_done.max(1)).unwrap_or(u32::MAX);
    now + left / runs
}

/// `deadline` in epoch ticks, never less than `deadline`.
fn deadline_ticks(deadline: Duration) -> u64 {
    let tick = engine::EPOCH_TICK.as_nanos().max(1);
    // One more tick: the current one may be about to end.
    (deadline.as_nanos().div_ceil(tick) as u64).saturating_add(1)
}

/// What one sandboxed run cost.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RunReport {
    /// Fuel consumed.
    pub fuel_used: u64,
    /// Fuel granted.
    pub fuel_limit: u64,
    /// The largest linear memory the plugin had, in bytes.
    pub peak_memory_bytes: usize,
    /// Wall time of the run (instantiation included), in microseconds.
    pub wall_time_us: u64,
    /// Sandboxes used (more than one when a shared run failed and campaigns ran alone).
    pub sandboxes: u32,
    /// What the plugin logged.
    pub log: Vec<LogLine>,
    /// Log lines dropped because the log was full.
    pub log_dropped: usize,
}

impl RunReport {
    fn absorb(&mut self, other: RunReport) {
        self.fuel_used += other.fuel_used;
        self.fuel_limit += other.fuel_limit;
        self.peak_memory_bytes = self.peak_memory_bytes.max(other.peak_memory_bytes);
        self.wall_time_us += other.wall_time_us;
        self.sandboxes += other.sandboxes;
        self.log.extend(other.log);
        self.log_dropped += other.log_dropped;
    }
}

/// A plugin's description of itself.
#[derive(Clone, Debug, Serialize)]
pub struct Metadata {
    /// Its name, such as `threshold-discount`.
    pub name: String,
    /// Its semantic version.
    pub version: semver::Version,
    /// One paragraph for the catalogue.
    pub description: String,
    /// The JSON Schema of its parameters.
    pub params_schema: serde_json::Value,
}

/// A campaign's parameters as the plugin prepared them (see `check-params` in the WIT).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreparedParams(Vec<u8>);

/// The answer of one evaluation: one result per campaign, and what it cost.
#[derive(Debug)]
pub struct Evaluation {
    /// The effects, or why there are none, of each campaign, in the order given.
    pub results: Vec<Result<Vec<Effect>, RunError>>,
    /// The cost.
    pub report: RunReport,
}

/// The process-wide sandbox factory.
pub struct Runtime {
    engine: Engine,
    linker: Linker<Sandbox>,
}

impl Runtime {
    /// A runtime with the default sandbox pool.
    pub fn new() -> wasmtime::Result<Self> {
        Self::with_pool(engine::PoolSize::default())
    }

    /// A runtime whose pool holds `pool.instances` sandboxes at once.
    pub fn with_pool(pool: engine::PoolSize) -> wasmtime::Result<Self> {
        let engine = engine::build_engine(pool)?;
        engine::spawn_epoch_ticker(&engine)?;
        let mut linker = Linker::new(&engine);
        sandbox::add_log_to_linker(&mut linker)?;
        sandbox::add_customer_to_linker(&mut linker)?;
        Ok(Self { engine, linker })
    }

    /// The engine plugins are compiled for.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Compiles and checks a component, and reads its metadata. (The registry's
    /// compiled-code cache skips the compilation for bytes it has seen.)
    pub fn load(&self, bytes: &[u8], limits: Limits) -> Result<Plugin, LoadError> {
        let component = Component::new(&self.engine, bytes)
            .map_err(|e| LoadError::NotAComponent(format!("{e:#}")))?;
        self.check(&component, bytes, limits)
    }

    /// Checks `component`, compiled from `bytes` for this runtime's engine: it imports
    /// nothing but the host interface (WASI imports become traps), exports the scenario
    /// world, and its metadata and parameter schema read well.
    pub fn check(
        &self,
        component: &Component,
        bytes: &[u8],
        limits: Limits,
    ) -> Result<Plugin, LoadError> {
        let digest = Sha256::digest(bytes);
        let mut linker = self.linker.clone();
        let imports: Vec<String> = component
            .component_type()
            .imports(&self.engine)
            .map(|(name, _)| name.to_string())
            .collect();
        let forbidden = imports
            .iter()
            .find(|name| !ALLOWED_IMPORTS.contains(&name.as_str()) && !name.starts_with("wasi:"));
        if let Some(name) = forbidden {
            return Err(LoadError::ForbiddenImport(name.clone()));
        }
        // The Rust standard library of a wasm32-wasip2 plugin imports a few WASI
        // interfaces (stderr, exit, environment) that a scenario never needs: each
        // function becomes a trap, so no file, clock, socket or entropy is reachable.
        linker
            .define_unknown_imports_as_traps(component)
            .map_err(|e| LoadError::NotAScenario(format!("{e:#}")))?;
        let instance_pre = linker
            .instantiate_pre(component)
            .map_err(|e| LoadError::NotAScenario(format!("{e:#}")))?;
        // The exports' types tell the contract apart: 1.1's `evaluate` answers its own
        // `effect` variant, which 1.0's check refuses, and the other way round.
        let contract = if v1_1::ScenarioPre::new(instance_pre.clone()).is_ok() {
            Contract::V1_1
        } else {
            bindings::ScenarioPre::new(instance_pre.clone())
                .map_err(|e| LoadError::NotAScenario(format!("{e:#}")))?;
            Contract::V1_0
        };
        let reads_customer = imports.iter().any(|name| name == CUSTOMER_INTERFACE);
        let evaluate_export = component
            .get_export_index(None, "evaluate")
            .ok_or_else(|| LoadError::NotAScenario("no export `evaluate`".into()))?;
        let mut plugin = Plugin {
            metadata: Metadata {
                name: String::new(),
                version: semver::Version::new(0, 0, 0),
                description: String::new(),
                params_schema: serde_json::Value::Null,
            },
            // Refuses every params until the plugin's own schema is read, just below.
            params_schema: ParamsSchema::compile(&serde_json::Value::Bool(false))
                .map_err(|e| LoadError::Metadata(e.to_string()))?,
            sha256: format!("{digest:x}"),
            size: bytes.len(),
            imports,
            limits: RwLock::new(limits),
            pre: instance_pre,
            contract,
            reads_customer,
            evaluate_export,
            language: producers::language(bytes),
            failures: failures::FailureLog::default(),
        };
        let (metadata, params_schema) = plugin.read_metadata()?;
        plugin.metadata = metadata;
        plugin.params_schema = params_schema;
        Ok(plugin)
    }
}

/// A loaded, checked plugin version, ready to run.
pub struct Plugin {
    metadata: Metadata,
    /// `metadata.params_schema`, compiled.
    params_schema: ParamsSchema,
    sha256: String,
    size: usize,
    imports: Vec<String>,
    /// Set at load, and again when ops change the plugin's own limits.
    limits: RwLock<Limits>,
    /// Type-checked against the world of `contract` at load.
    pre: InstancePre<Sandbox>,
    contract: Contract,
    /// Whether it imports `customer` (contract 1.1), so needs [`WireInput::customer`].
    reads_customer: bool,
    evaluate_export: ComponentExportIndex,
    /// The language it was written in, as its producers sections say ([`producers`]).
    language: Option<String>,
    /// Its latest failures on this host.
    failures: failures::FailureLog,
}

impl Plugin {
    /// What the plugin says about itself.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// The hex sha256 of the component's bytes.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The component's size, in bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// What the component imports: the host log, and WASI interfaces the Rust standard
    /// library names, whose every function is a trap.
    pub fn imports(&self) -> &[String] {
        &self.imports
    }

    /// The language it was written in, when its component says ([`producers::language`]).
    pub fn language(&self) -> Option<&str> {
        self.language.as_deref()
    }

    /// Its latest failures on this host; the engine records each campaign a run could not
    /// answer for.
    pub fn failures(&self) -> &failures::FailureLog {
        &self.failures
    }

    /// The contract version it was built for.
    pub fn contract(&self) -> Contract {
        self.contract
    }

    /// Whether it asks about the basket's customer (it imports contract 1.1's
    /// `customer`): only then does an evaluation read the customer's data for it.
    pub fn reads_customer(&self) -> bool {
        self.reads_customer
    }

    /// Its limits.
    pub fn limits(&self) -> Limits {
        *self.limits.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets its limits: the next run is under them, a run in flight finishes under the
    /// ones it started with.
    pub fn set_limits(&self, limits: Limits) {
        *self.limits.write().unwrap_or_else(PoisonError::into_inner) = limits;
    }

    /// Reads and checks the plugin's metadata, and compiles its params schema.
    fn read_metadata(&self) -> Result<(Metadata, ParamsSchema), LoadError> {
        let limits = self.limits().for_setup();
        let (result, _) = self.sandboxed(
            &limits,
            limits.fuel,
            limits.deadline,
            MAX_SETUP_OUTPUT_BYTES,
            None,
            |store, instance| match self.contract {
                Contract::V1_0 => {
                    bindings::Scenario::new(&mut *store, instance)?.call_metadata(store)
                }
                Contract::V1_1 => v1_1::Scenario::new(&mut *store, instance)?.call_metadata(store),
            },
        );
        let raw = result.map_err(|e| LoadError::Metadata(e.to_string()))?;
        let name_ok = !raw.name.is_empty()
            && raw.name.len() <= 64
            && raw
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !name_ok {
            return Err(LoadError::Metadata(format!(
                "name {:?} is not 1 to 64 of a-z, 0-9 and -",
                raw.name
            )));
        }
        let version = semver::Version::parse(&raw.version).map_err(|e| {
            LoadError::Metadata(format!("version {:?} is not semver: {e}", raw.version))
        })?;
        let params_schema: serde_json::Value = serde_json::from_str(&raw.params_schema)
            .map_err(|e| LoadError::Metadata(format!("params schema is not JSON: {e}")))?;
        if !params_schema.is_object() && !params_schema.is_boolean() {
            return Err(LoadError::Metadata(
                "params schema is not a JSON Schema".into(),
            ));
        }
        let compiled = ParamsSchema::compile(&params_schema)
            .map_err(|e| LoadError::Metadata(e.to_string()))?;
        let metadata = Metadata {
            name: raw.name,
            version,
            description: raw.description,
            params_schema,
        };
        Ok((metadata, compiled))
    }

    /// Checks a campaign's parameters (JSON text) and prepares them for [`Plugin::evaluate`].
    ///
    /// Both must accept them: the plugin's own `check-params` (which prepares them), then
    /// the host's check against the plugin's params JSON Schema. Text that is not JSON is
    /// the plugin's to refuse, naming the syntax error.
    pub fn check_params(
        &self,
        params_json: &str,
    ) -> Result<Result<PreparedParams, Vec<ParamProblem>>, RunError> {
        let limits = self.limits().for_setup();
        let (result, _) = self.sandboxed(
            &limits,
            limits.fuel,
            limits.deadline,
            MAX_SETUP_OUTPUT_BYTES,
            None,
            |store, instance| match self.contract {
                Contract::V1_0 => bindings::Scenario::new(&mut *store, instance)?
                    .call_check_params(store, params_json),
                Contract::V1_1 => v1_1::Scenario::new(&mut *store, instance)?
                    .call_check_params(store, params_json),
            },
        );
        let prepared = match result? {
            Ok(bytes) => PreparedParams(bytes),
            Err(problems) => {
                return Ok(Err(problems
                    .into_iter()
                    .take(MAX_PARAM_PROBLEMS)
                    .map(|p| ParamProblem {
                        pointer: cut(p.pointer),
                        message: cut(p.message),
                    })
                    .collect()))
            }
        };
        // The plugin's own check speaks its domain best ("unknown variant `gold`, expected
        // …" where the schema says "not valid under any of the schemas listed in
        // 'oneOf'"), so its problems come first; the schema still binds what it lets by.
        if let Ok(params) = serde_json::from_str::<serde_json::Value>(params_json) {
            let problems = self.params_schema.problems(&params, MAX_PARAM_PROBLEMS);
            if !problems.is_empty() {
                return Ok(Err(problems));
            }
        }
        Ok(Ok(prepared))
    }

    /// Runs every campaign of `campaigns` on one basket (`lines` is the request's lines,
    /// `input` the same basket lowered by [`encode`]).
    pub fn evaluate(
        &self,
        lines: &[Line],
        input: &WireInput,
        campaigns: &[&PreparedParams],
    ) -> Evaluation {
        self.evaluate_until(
            lines,
            input,
            campaigns,
            Instant::now() + self.limits().deadline,
        )
    }

    /// [`Plugin::evaluate`] that ends by the instant `until` (and never runs longer than the
    /// plugin's own deadline): what a request has left of its budget. A run that would
    /// start at or after `until` is a timeout without a sandbox.
    ///
    /// Several campaigns share one sandbox for at most half of that time. If that shared
    /// run times out, one of them is slow but which one is unknown: each campaign then runs
    /// alone, in turn, on an equal share of the other half ([`fair_share_end`]), so the
    /// slow one times out on its own and its siblings still answer.
    pub fn evaluate_until(
        &self,
        lines: &[Line],
        input: &WireInput,
        campaigns: &[&PreparedParams],
        until: Instant,
    ) -> Evaluation {
        let limits = self.limits();
        let start = Instant::now();
        let available = until.saturating_duration_since(start).min(limits.deadline);
        let until = start + available;
        let deadline = if campaigns.len() > 1 {
            available / 2
        } else {
            available
        };
        if deadline.is_zero() {
            let error = RunError::Timeout {
                limit_ms: limits.deadline.as_millis() as u64,
            };
            return Evaluation {
                results: vec![Err(error); campaigns.len()],
                report: RunReport::default(),
            };
        }
        let fuel = limits.fuel_for(lines.len());
        let wire_campaigns: Vec<wire::Campaign> = campaigns
            .iter()
            .map(|p| wire::Campaign {
                params: p.0.clone(),
            })
            .collect();
        // The shared run gets one campaign's fuel, not one per campaign: a campaign that
        // loops then stops within a few milliseconds, far from the deadline, and is run
        // again alone with its own fuel, like each sibling. With fuel × campaigns, one
        // looping campaign among 40 siblings burned 410M units, about the 50 ms deadline:
        // the same basket then got either `fuel_exhausted` for it alone or `timeout` for
        // all 41, and a campaign's fuel limit depended on how many siblings it had.
        let customer = if self.reads_customer {
            input.customer.clone()
        } else {
            None
        };
        let args = (&*input.basket, input.context, wire_campaigns.as_slice());
        let (result, mut report) = self.sandboxed(
            &limits,
            fuel,
            deadline,
            MAX_OUTPUT_BYTES,
            customer,
            |store, instance| match self.contract {
                Contract::V1_0 => self
                    .evaluate_fn::<wire::Effect>(store, instance)?
                    .call(&mut *store, args)
                    .map(|(answers,)| proposals(answers, effects::proposed)),
                Contract::V1_1 => self
                    .evaluate_fn::<v1_1::effects::Effect>(store, instance)?
                    .call(&mut *store, args)
                    .map(|(answers,)| proposals(answers, effects::proposed_1_1)),
            },
        );
        let results = match result {
            Ok(answers) if answers.len() == campaigns.len() => answers
                .into_iter()
                .map(|answer| check_answer(answer, lines, limits.max_effects))
                .collect(),
            Ok(answers) => {
                let error = RunError::InvalidEffects {
                    detail: format!(
                        "{} answers for {} campaigns",
                        answers.len(),
                        campaigns.len()
                    ),
                };
                vec![Err(error); campaigns.len()]
            }
            // Each campaign alone, on the time left: an equal share of it for each one not
            // yet run, what one leaves unused going to those after it.
            Err(error) if campaigns.len() > 1 => {
                // After a timeout the slow one is unknown: each gets an equal share. After
                // any other failure (fuel, a trap), which stops early, each may use all
                // that is left, as the failing one stops as early alone.
                let timed_out = matches!(error, RunError::Timeout { .. });
                let count = campaigns.len();
                campaigns
                    .iter()
                    .enumerate()
                    .map(|(done, campaign)| {
                        let share = if timed_out {
                            fair_share_end(Instant::now(), until, count - done)
                        } else {
                            until
                        };
                        let alone = self.evaluate_until(lines, input, &[*campaign], share);
                        report.absorb(alone.report);
                        alone
                            .results
                            .into_iter()
                            .next()
                            .unwrap_or(Err(error.clone()))
                    })
                    .collect()
            }
            Err(error) => vec![Err(error); campaigns.len()],
        };
        Evaluation { results, report }
    }
}

/// A run's answers in the host's own types, whichever contract's effects they were.
fn proposals<E>(
    answers: Vec<Result<Vec<E>, wire::ScenarioError>>,
    proposed: fn(E) -> effects::Proposed,
) -> Vec<Result<Vec<effects::Proposed>, wire::ScenarioError>> {
    answers
        .into_iter()
        .map(|answer| answer.map(|effects| effects.into_iter().map(proposed).collect()))
        .collect()
}

fn check_answer(
    answer: Result<Vec<effects::Proposed>, wire::ScenarioError>,
    lines: &[Line],
    max_effects: usize,
) -> Result<Vec<Effect>, RunError> {
    let effects = answer.map_err(|error| {
        let (kind, message) = match error {
            wire::ScenarioError::InvalidParams(m) => ("invalid_params", m),
            wire::ScenarioError::Unsupported(m) => ("unsupported", m),
            wire::ScenarioError::Failed(m) => ("failed", m),
        };
        RunError::Plugin {
            kind,
            message: cut(message),
        }
    })?;
    if effects.len() > max_effects {
        return Err(RunError::InvalidEffects {
            detail: format!(
                "{} effects; at most {max_effects} are accepted",
                effects.len(),
            ),
        });
    }
    Ok(effects::check_effects(effects, lines)?)
}

impl Plugin {
    /// The `evaluate` export of a fresh instance, without type-checking it again.
    ///
    /// `Scenario::new` (what bindgen offers) looks up and type-checks all three exports on
    /// every instantiation; on a 20-line basket that was ~5 % of a whole evaluation.
    fn evaluate_fn<'a, E: ComponentType + Lift>(
        &self,
        store: &mut Store<Sandbox>,
        instance: &Instance,
    ) -> wasmtime::Result<EvaluateFn<'a, E>> {
        let func = instance
            .get_func(&mut *store, self.evaluate_export)
            .ok_or_else(|| wasmtime::format_err!("no export `evaluate`"))?;
        // SAFETY: `ScenarioPre::new` of `self.contract`'s world (whose effect type is the
        // `E` each caller names for it) type-checked the export `evaluate` of this very
        // component against the world's signature when the plugin was loaded, and every
        // instance of one `InstancePre` has that component's types; this is the same
        // reasoning bindgen's own `call_evaluate` relies on.
        #[allow(unsafe_code)]
        Ok(unsafe { EvaluateFn::new_unchecked(func) })
    }

    /// Runs `call` in a fresh sandbox under `limits`' memory with `fuel` and `deadline`, the
    /// call handing the host at most `output_bytes`, and says what it cost. The deadline
    /// covers the whole call, the lifting of its results included: an answer read after it
    /// is a timeout.
    fn sandboxed<R>(
        &self,
        limits: &Limits,
        fuel: u64,
        deadline: Duration,
        output_bytes: usize,
        customer: Option<Arc<remise_model::customer_data::CustomerData>>,
        call: impl FnOnce(&mut Store<Sandbox>, &Instance) -> wasmtime::Result<R>,
    ) -> (Result<R, RunError>, RunReport) {
        let started = Instant::now();
        let mut store = Store::new(
            self.pre.engine(),
            Sandbox::new(limits.memory_bytes, customer),
        );
        store.limiter(|sandbox| sandbox);
        store.set_epoch_deadline(deadline_ticks(deadline));
        store.epoch_deadline_trap();
        store.set_hostcall_fuel(output_bytes);
        let name_error = |store: &Store<Sandbox>, error, called| {
            classify(store, error, limits, fuel, deadline, output_bytes, called)
        };
        let result = match store
            .set_fuel(fuel)
            .and_then(|()| self.pre.instantiate(&mut store))
        {
            Ok(instance) => match call(&mut store, &instance) {
                // The epoch stops the plugin's code; the host's own work on its answer
                // (lifting it) counts too, and up to one tick late like the epoch.
                Ok(_) if started.elapsed() > deadline + engine::EPOCH_TICK => {
                    Err(timeout(deadline))
                }
                Ok(answer) => Ok(answer),
                Err(error) => Err(name_error(&store, error, true)),
            },
            Err(error) => Err(name_error(&store, error, false)),
        };
        let fuel_left = store.get_fuel().unwrap_or(0);
        let sandbox = store.into_data();
        let report = RunReport {
            fuel_used: fuel.saturating_sub(fuel_left),
            fuel_limit: fuel,
            peak_memory_bytes: sandbox.peak_memory,
            wall_time_us: started.elapsed().as_micros() as u64,
            sandboxes: 1,
            log_dropped: sandbox.log_dropped,
            log: sandbox.log,
        };
        (result, report)
    }
}

fn timeout(deadline: Duration) -> RunError {
    RunError::Timeout {
        // Rounded up: a request's remaining 19.6 ms is its 20 ms.
        limit_ms: deadline.as_micros().div_ceil(1000) as u64,
    }
}

/// Names what went wrong in a sandbox run under `limits` with `fuel`, `deadline` and
/// `output_bytes`; `called` when the plugin was instantiated and called.
fn classify(
    store: &Store<Sandbox>,
    error: wasmtime::Error,
    limits: &Limits,
    fuel: u64,
    deadline: Duration,
    output_bytes: usize,
    called: bool,
) -> RunError {
    if store.data().memory_refused {
        return RunError::MemoryExceeded {
            limit: limits.memory_bytes,
        };
    }
    if let Some(flood) = error.downcast_ref::<LogFlood>() {
        return RunError::LogFlood { limit: flood.limit };
    }
    if error
        .chain()
        .any(|cause| cause.to_string().contains(HOSTCALL_FUEL_EXHAUSTED))
    {
        return RunError::OutputTooLarge {
            limit: output_bytes,
        };
    }
    if let Some(call) = error
        .chain()
        .find(|cause| cause.to_string().contains(UNDEFINED_IMPORT_CALLED))
    {
        return RunError::Trap {
            message: cut(format!(
                "the plugin called a function the sandbox does not provide: {call}"
            )),
        };
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => RunError::FuelExhausted { limit: fuel },
        Some(Trap::Interrupt) => timeout(deadline),
        Some(trap) => RunError::Trap {
            message: match store.data().panic_message() {
                Some(panic) => format!("panicked: {}", cut(panic.to_string())),
                None => trap.to_string(),
            },
        },
        // Not a trap: during a call, the plugin's answer could not be read (a bad
        // pointer, invalid UTF-8); before it, no sandbox could be had.
        None if called => RunError::InvalidEffects {
            detail: cut(format!("{error:#}")),
        },
        None => RunError::Unavailable {
            message: cut(format!("{error:#}")),
        },
    }
}

fn as_millis<S: serde::Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u128(value.as_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_run_not_done_gets_an_equal_share_of_what_is_left() {
        let now = Instant::now();
        let deadline = now + Duration::from_millis(90);
        assert_eq!(
            fair_share_end(now, deadline, 3),
            now + Duration::from_millis(30)
        );
        assert_eq!(fair_share_end(now, deadline, 1), deadline);
        assert_eq!(fair_share_end(now, deadline, 0), deadline);
        assert_eq!(fair_share_end(deadline, now, 2), deadline);
    }

    #[test]
    fn setup_runs_get_the_defaults_and_a_second_of_wall_clock_at_least() {
        let tight = Limits {
            fuel: 1_000,
            memory_bytes: 1 << 20,
            deadline: Duration::from_millis(5),
            max_effects: 10,
        };
        let setup = tight.for_setup();
        assert_eq!(setup.fuel, Limits::default().fuel);
        assert_eq!(setup.memory_bytes, Limits::default().memory_bytes);
        assert_eq!(setup.deadline, SETUP_DEADLINE);
        assert_eq!(setup.max_effects, 10);
        let generous = Limits {
            deadline: Duration::from_secs(3),
            ..tight
        };
        assert_eq!(generous.for_setup().deadline, Duration::from_secs(3));
    }
}
