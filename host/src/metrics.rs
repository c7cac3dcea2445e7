//! Prometheus metrics, served as text at `GET /metrics` (role `ops`): HTTP requests and
//! their latency, evaluations, plugin runs, fuel and failures, committed redemptions and
//! plugin reloads.
//!
//! Code records through the `metrics` facade; [`install`] puts one
//! `metrics-exporter-prometheus` recorder behind it, once per process (every later call,
//! such as another service started by a test in the same process, gets the same handle),
//! and starts a thread that drains histogram samples every [`UPKEEP_EVERY`], so memory
//! stays bounded even when nobody scrapes. Until [`install`] runs (the CLI, benches), every
//! record is a no-op.
//!
//! Every label has a bounded set of values: routes are the router's templates
//! (`/v1/campaigns/{id}`, never the raw path; the console's `/`, `/assets/{*file}` and the
//! few other files of its build; `unmatched` for a path no route serves),
//! plugins are the catalogue's names and versions, reasons are those of docs/api.md. No label carries a
//! campaign, customer, order or key.
//!
//! | metric | type | labels |
//! | --- | --- | --- |
//! | `remise_http_requests_total` | counter | `route`, `method`, `status` |
//! | `remise_http_request_duration_seconds` | histogram | `route`, `method`, `status` |
//! | `remise_evaluations_total` | counter | |
//! | `remise_plugin_runs_total` | counter | `plugin`, `version` |
//! | `remise_plugin_fuel_used_total` | counter | `plugin`, `version` |
//! | `remise_plugin_failures_total` | counter | `plugin`, `version`, `reason` |
//! | `remise_redemptions_total` | counter | |
//! | `remise_plugin_reloads_total` | counter | `plugin`, `result` (`ok`, `failed`) |
//! | `remise_campaigns_set_aside` | gauge | `status` (`serving_previous`, `suspended`) |
//! | `remise_requests_shed_total` | counter | `lane` (`requests`, `commits`) |
//! | `remise_commit_lock_timeouts_total` | counter | |
//! | `remise_commits_priced_again_total` | counter | |
//! | `remise_commit_groups_total` | counter | |
//! | `remise_commit_group_commits_total` | counter | |
//! | `remise_budget_leases_total` | counter | |
//! | `remise_store_entries_taken_back_total` | counter | |
//! | `remise_store_forward_queue` | gauge | `state` (`waiting`, `refused`) |
//! | `remise_store_pulls_total` | counter | `result` (`copied`, `unchanged`, `failed`) |
//! | `remise_webhook_attempts_total` | counter | `result` (`delivered`, `failed`) |
//! | `remise_journal_entries_total` | counter | `result` (`written`, `dropped`, `failed`) |
//! | `remise_shadow_runs_total` | counter | `result` (`compared`, `dropped`, `failed`) |

use crate::runtime::{Metadata, RunReport};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

/// HTTP requests answered, by route template, method and status.
pub const HTTP_REQUESTS: &str = "remise_http_requests_total";
/// Time from a request's arrival at the router to its answer's headers, in seconds.
pub const HTTP_REQUEST_DURATION: &str = "remise_http_request_duration_seconds";
/// Baskets the engine priced: every evaluate request, and every commit's re-evaluation.
pub const EVALUATIONS: &str = "remise_evaluations_total";
/// Plugin runs (sandboxes): one per plugin version per evaluation, one more per campaign
/// when a shared run failed and its campaigns ran again alone.
pub const PLUGIN_RUNS: &str = "remise_plugin_runs_total";
/// Fuel units plugins consumed.
pub const PLUGIN_FUEL_USED: &str = "remise_plugin_fuel_used_total";
/// Campaigns a plugin could not answer for, by reason (docs/api.md) (`plugin_error`,
/// `fuel_exhausted`, `memory_exceeded`, `timeout`, `invalid_effects`), as listed in the
/// evaluation's `rejected`.
pub const PLUGIN_FAILURES: &str = "remise_plugin_failures_total";
/// Orders committed (a replayed commit of the same order is not counted again).
pub const REDEMPTIONS: &str = "remise_redemptions_total";
/// Plugin uploads and reloads, by plugin and result (`ok` or `failed`).
pub const PLUGIN_RELOADS: &str = "remise_plugin_reloads_total";
/// Webhook delivery attempts, by result (`delivered` or `failed`).
pub const WEBHOOK_ATTEMPTS: &str = "remise_webhook_attempts_total";
/// Sampled evaluations for the journal, by result: `written`, `dropped` (its queue was
/// full, so the answer did not wait) or `failed` (the database refused the batch).
pub const JOURNAL_ENTRIES: &str = "remise_journal_entries_total";

/// Sampled evaluations for a shadow run, by result: `compared` (both versions ran),
/// `dropped` (the shadow queue was full, so the answer did not wait) or `failed` (a run or
/// the write of its result failed).
pub const SHADOW_RUNS: &str = "remise_shadow_runs_total";

/// Stored campaigns this host does not serve as stored (their check failed here), by
/// status: `serving_previous` (their last good version serves) or `suspended`.
pub const CAMPAIGNS_SET_ASIDE: &str = "remise_campaigns_set_aside";

/// Requests answered 503 at once because too many were in progress, by lane (`requests`
/// or `commits`).
pub const REQUESTS_SHED: &str = "remise_requests_shed_total";
/// Commits and cancels answered 503 because no commit finished while they waited for
/// their turn, or the database's commit lock was held longer than they may wait.
pub const COMMIT_LOCK_TIMEOUTS: &str = "remise_commit_lock_timeouts_total";
/// Commits whose answer, priced before they took their locks, no longer held under them
/// (another order took what a limit had left): their plugins ran again.
pub const COMMITS_PRICED_AGAIN: &str = "remise_commits_priced_again_total";

/// Transactions written by group commit: the commits waiting on the same limited campaigns
/// (on SQLite, all commits) written together, with one sync.
pub const COMMIT_GROUPS: &str = "remise_commit_groups_total";

/// The commits those transactions wrote: divided by [`COMMIT_GROUPS`], the mean size of
/// a group.
pub const COMMIT_GROUP_COMMITS: &str = "remise_commit_group_commits_total";

/// Budget leases taken or topped up by this host: each a short transaction under the
/// campaign's lock, where without leases every commit of the campaign takes it.
pub const BUDGET_LEASES: &str = "remise_budget_leases_total";

/// At the centre: orders and cancels taken back from store nodes (docs/store-nodes.md).
pub const STORE_ENTRIES_TAKEN_BACK: &str = "remise_store_entries_taken_back_total";

/// On a store node: the entries of its queue the centre has not acknowledged yet
/// (`waiting`), and those it refused (`refused`, kept aside).
pub const STORE_FORWARD_QUEUE: &str = "remise_store_forward_queue";

/// On a store node: its pulls from the centre, by result.
pub const STORE_PULLS: &str = "remise_store_pulls_total";

/// The route label of a request no route serves.
pub const UNMATCHED: &str = "unmatched";

/// The latency buckets, in seconds: fine around the service's few milliseconds (p99 about
/// 5 ms under load), coarse up to a second.
pub const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
];

/// How often histogram samples are drained into their buckets.
pub const UPKEEP_EVERY: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process's recorder on first call, and answers its handle. Idempotent: the
/// recorder is installed once per process, however many services start.
///
/// Should another recorder already be installed (an embedding program's), this one stays
/// idle and `GET /metrics` shows only what was registered with it: nothing.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = builder().build_recorder();
        let handle = recorder.handle();
        if ::metrics::set_global_recorder(recorder).is_ok() {
            describe();
            let upkeep = handle.clone();
            // Without upkeep, samples would pile up between scrapes. If no thread can be
            // started, each scrape still drains them.
            let _ = std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || loop {
                    std::thread::sleep(UPKEEP_EVERY);
                    upkeep.run_upkeep();
                });
        }
        handle
    })
}

/// The exposition text of every metric (Prometheus text format 0.0.4).
pub fn render() -> String {
    install().render()
}

/// Latency histograms get [`LATENCY_BUCKETS`]. Should the buckets be refused (they are
/// not empty, so they are not), histograms fall back to summaries.
fn builder() -> PrometheusBuilder {
    PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(HTTP_REQUEST_DURATION.to_string()),
            LATENCY_BUCKETS,
        )
        .unwrap_or_else(|_| PrometheusBuilder::new())
}

/// `# HELP` lines, and the unlabelled counters at 0 so they show before their first event.
fn describe() {
    use ::metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by route template, method and status."
    );
    describe_histogram!(
        HTTP_REQUEST_DURATION,
        Unit::Seconds,
        "Time from a request's arrival to its answer, by route template, method and status."
    );
    describe_counter!(
        EVALUATIONS,
        "Baskets priced: evaluate requests and the re-evaluation of each commit."
    );
    describe_counter!(PLUGIN_RUNS, "Plugin sandboxes run, by plugin and version.");
    describe_counter!(
        PLUGIN_FUEL_USED,
        Unit::Count,
        "Fuel units consumed by plugin runs, by plugin and version."
    );
    describe_counter!(
        PLUGIN_FAILURES,
        "Campaigns a plugin could not answer for, by plugin, version and reason."
    );
    describe_counter!(REDEMPTIONS, "Orders committed.");
    describe_counter!(
        WEBHOOK_ATTEMPTS,
        "Webhook delivery attempts, by result (delivered, failed)."
    );
    describe_counter!(
        PLUGIN_RELOADS,
        "Plugin uploads and reloads, by plugin and result (ok, failed)."
    );
    describe_gauge!(
        CAMPAIGNS_SET_ASIDE,
        "Stored campaigns this host does not serve as stored, by status (serving_previous, suspended)."
    );
    describe_counter!(
        REQUESTS_SHED,
        "Requests answered 503 because too many were in progress, by lane (requests, commits)."
    );
    describe_counter!(
        COMMIT_LOCK_TIMEOUTS,
        "Commits and cancels answered 503 because the commit lock was not theirs in time."
    );
    describe_counter!(
        COMMITS_PRICED_AGAIN,
        "Commits priced again under their locks because a limit changed their answer."
    );
    ::metrics::counter!(EVALUATIONS).absolute(0);
    ::metrics::counter!(REDEMPTIONS).absolute(0);
    describe_counter!(
        COMMIT_GROUPS,
        "Transactions written by group commit, each with one sync."
    );
    describe_counter!(
        COMMIT_GROUP_COMMITS,
        "Commits written by group commit (divided by the groups: their mean size)."
    );
    describe_counter!(
        BUDGET_LEASES,
        "Budget leases taken or topped up, each under its campaign's lock."
    );
    ::metrics::counter!(BUDGET_LEASES).absolute(0);
    describe_counter!(
        STORE_ENTRIES_TAKEN_BACK,
        "Orders and cancels taken back from store nodes, each applied once."
    );
    describe_gauge!(
        STORE_FORWARD_QUEUE,
        "Entries of this store node's queue the centre has not acknowledged (waiting) or refused."
    );
    describe_counter!(STORE_PULLS, "This store node's pulls from the centre.");
    ::metrics::counter!(COMMITS_PRICED_AGAIN).absolute(0);
    ::metrics::counter!(COMMIT_GROUPS).absolute(0);
    ::metrics::counter!(COMMIT_GROUP_COMMITS).absolute(0);
    ::metrics::counter!(COMMIT_LOCK_TIMEOUTS).absolute(0);
}

/// This host now sets aside `serving_previous` campaigns served at their last good
/// version and `suspended` ones served not at all.
pub fn campaigns_set_aside(serving_previous: usize, suspended: usize) {
    ::metrics::gauge!(CAMPAIGNS_SET_ASIDE, "status" => "serving_previous")
        .set(serving_previous as f64);
    ::metrics::gauge!(CAMPAIGNS_SET_ASIDE, "status" => "suspended").set(suspended as f64);
}

/// Records a plugin upload or reload of plugin `name`: `ok` is `true` when the new version
/// is served, `false` when it was refused (not a component, a forbidden import, bad
/// metadata...) or could not be stored. Call it once per attempt, from the upload, reload
/// and rollback paths, with the plugin's name as the route names it
/// (`PUT /v1/plugins/{name}`): only `ops` keys reach those routes, so the set of names
/// stays bounded.
pub fn plugin_reloaded(name: &str, ok: bool) {
    let result = if ok { "ok" } else { "failed" };
    ::metrics::counter!(PLUGIN_RELOADS, "plugin" => name.to_string(), "result" => result)
        .increment(1);
}

/// Records one answered HTTP request. `route` is the route template (or [`UNMATCHED`]).
pub(crate) fn http_request(
    route: &'static str,
    method: &'static str,
    status: u16,
    elapsed: Duration,
) {
    let status = status.to_string();
    ::metrics::counter!(HTTP_REQUESTS, "route" => route, "method" => method, "status" => status.clone())
        .increment(1);
    ::metrics::histogram!(HTTP_REQUEST_DURATION, "route" => route, "method" => method, "status" => status)
        .record(elapsed.as_secs_f64());
}

/// Records one priced basket.
pub(crate) fn evaluation() {
    ::metrics::counter!(EVALUATIONS).increment(1);
}

/// Records a plugin group's run: its sandboxes and the fuel they used.
pub(crate) fn plugin_ran(plugin: &Metadata, report: &RunReport) {
    if report.sandboxes == 0 {
        return;
    }
    let labels = plugin_labels(plugin);
    ::metrics::counter!(PLUGIN_RUNS, &labels).increment(u64::from(report.sandboxes));
    ::metrics::counter!(PLUGIN_FUEL_USED, &labels).increment(report.fuel_used);
}

/// Records a campaign that plugin `plugin` could not answer for, with its `reason` (docs/api.md).
pub(crate) fn plugin_failed(plugin: &Metadata, reason: &'static str) {
    let [name, version] = plugin_labels(plugin);
    ::metrics::counter!(
        PLUGIN_FAILURES,
        &[name, version, ("reason", reason.to_string())]
    )
    .increment(1);
}

/// Records a request shed in `lane` (`requests` or `commits`).
pub(crate) fn request_shed(lane: &'static str) {
    ::metrics::counter!(REQUESTS_SHED, "lane" => lane).increment(1);
}

/// Records a commit or cancel whose wait for the commit lock ran out.
pub(crate) fn commit_lock_timed_out() {
    ::metrics::counter!(COMMIT_LOCK_TIMEOUTS).increment(1);
}

/// Records a commit priced again under its locks ([`COMMITS_PRICED_AGAIN`]).
pub(crate) fn commit_priced_again() {
    ::metrics::counter!(COMMITS_PRICED_AGAIN).increment(1);
}

/// Records a transaction of group commit that wrote `commits` commits.
pub(crate) fn commit_group_written(commits: usize) {
    ::metrics::counter!(COMMIT_GROUPS).increment(1);
    ::metrics::counter!(COMMIT_GROUP_COMMITS).increment(commits as u64);
}

/// Records a budget lease taken or topped up ([`BUDGET_LEASES`]).
pub(crate) fn lease_taken() {
    ::metrics::counter!(BUDGET_LEASES).increment(1);
}

/// The centre took back `n` entries of a store node's queue ([`STORE_ENTRIES_TAKEN_BACK`]).
pub(crate) fn store_entries_taken_back(n: u64) {
    ::metrics::counter!(STORE_ENTRIES_TAKEN_BACK).increment(n);
}

/// A store node's queue holds `waiting` entries to send and `refused` ones kept aside
/// ([`STORE_FORWARD_QUEUE`]).
pub(crate) fn store_forward_queue(waiting: i64, refused: i64) {
    ::metrics::gauge!(STORE_FORWARD_QUEUE, "state" => "waiting").set(waiting as f64);
    ::metrics::gauge!(STORE_FORWARD_QUEUE, "state" => "refused").set(refused as f64);
}

/// A store node pulled from the centre ([`STORE_PULLS`]): `copied`, `unchanged` or
/// `failed`.
pub(crate) fn store_pulled(result: &'static str) {
    ::metrics::counter!(STORE_PULLS, "result" => result).increment(1);
}

/// Records a committed order.
pub(crate) fn redemption_committed() {
    ::metrics::counter!(REDEMPTIONS).increment(1);
}

/// `n` sampled evaluations reached the journal (`written`), were dropped because its queue
/// was full (`dropped`), or were refused by the database (`failed`).
pub fn journal_entries(result: &'static str, n: u64) {
    ::metrics::counter!(JOURNAL_ENTRIES, "result" => result).increment(n);
}

/// `n` sampled evaluations were run on a shadow (`compared`), dropped because the shadow
/// queue was full (`dropped`), or could not be compared or stored (`failed`).
pub fn shadow_runs(result: &'static str, n: u64) {
    ::metrics::counter!(SHADOW_RUNS, "result" => result).increment(n);
}

/// A webhook delivery attempt ended: accepted by its endpoint, or not.
pub fn webhook_delivered(accepted: bool) {
    let result = if accepted { "delivered" } else { "failed" };
    ::metrics::counter!(WEBHOOK_ATTEMPTS, "result" => result).increment(1);
}

fn plugin_labels(plugin: &Metadata) -> [(&'static str, String); 2] {
    [
        ("plugin", plugin.name.clone()),
        ("version", plugin.version.to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recorder_is_installed_once_and_reloads_are_counted() {
        let first: *const PrometheusHandle = install();
        let second: *const PrometheusHandle = install();
        assert_eq!(first, second);
        plugin_reloaded("some-plugin", true);
        plugin_reloaded("some-plugin", true);
        plugin_reloaded("some-plugin", false);
        let text = render();
        assert!(
            text.contains("remise_plugin_reloads_total{plugin=\"some-plugin\",result=\"ok\"} 2"),
            "{text}"
        );
        assert!(
            text.contains(
                "remise_plugin_reloads_total{plugin=\"some-plugin\",result=\"failed\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains("# TYPE remise_plugin_reloads_total counter"),
            "{text}"
        );
    }
}
