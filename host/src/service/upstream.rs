//! The store node's side (`remise serve --upstream URL --store ID`, docs/store-nodes.md):
//! it copies what the centre serves into its own database, resumably, and serves tills from
//! that copy, so a till never waits on the network; it forwards the orders committed here,
//! in commit order, until the centre acknowledges each. While the link is down, both wait
//! and retry; evaluations and commits go on. The centre's side is [`super::store_feed`].

use super::store_feed::{CustomersFeed, Feed, MAX_CUSTOMERS_PAGE};
use super::{Service, ServiceError};
use crate::registry::propagation::Replica;
use crate::store::{QueuedEntry, StoredCampaign, TakenBack};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use url::Url;

mod leases;

pub use leases::is_store_leased;

/// How often a store node asks the centre whether anything changed.
pub const PULL_INTERVAL: Duration = Duration::from_secs(2);

/// How often an idle store node looks for orders to forward.
const FORWARD_INTERVAL: Duration = Duration::from_millis(200);

/// The most entries one request forwards: small enough that a batch is quick to apply
/// at the centre, whose answer says how far it got.
const FORWARD_BATCH: usize = 100;

/// The longest wait between two attempts while the centre does not answer.
const MOST_BACKOFF: Duration = Duration::from_secs(10);

/// How long one request to the centre may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Where this store node's centre is and who it is there.
#[derive(Clone)]
pub struct UpstreamSettings {
    /// The centre's base URL (`https://remise.example.com`).
    pub url: Url,
    /// This store's id, as the centre knows it (letters, digits, `_` and `-`).
    pub store_id: String,
    /// A key of the centre with the `store` role (`REMISE_UPSTREAM_KEY`).
    pub key: String,
}

impl std::fmt::Debug for UpstreamSettings {
    /// Without the key, which no log may show.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamSettings")
            .field("url", &self.url.as_str())
            .field("store_id", &self.store_id)
            .field("key", &"…")
            .finish()
    }
}

/// Why a pull or a forward did not go through.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// The centre did not answer, or answered with an error.
    #[error("the centre: {0}")]
    Centre(String),
    /// This node's own database or service failed.
    #[error(transparent)]
    Local(#[from] ServiceError),
}

impl From<reqwest::Error> for UpstreamError {
    fn from(error: reqwest::Error) -> Self {
        UpstreamError::Centre(error.to_string())
    }
}

impl From<crate::store::StoreError> for UpstreamError {
    fn from(error: crate::store::StoreError) -> Self {
        UpstreamError::Local(error.into())
    }
}

/// The link to the centre: an HTTP client and the store's routes there.
struct Centre {
    client: reqwest::Client,
    settings: UpstreamSettings,
}

impl Centre {
    fn new(settings: UpstreamSettings) -> Result<Centre, UpstreamError> {
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()?;
        Ok(Centre { client, settings })
    }

    fn route(&self, rest: &str) -> Result<Url, UpstreamError> {
        // Appended to the base's path, which may hold segments of its own (a centre
        // behind a path prefix), whether or not it ends with a slash.
        let base = self.settings.url.as_str().trim_end_matches('/');
        let url = format!("{base}/v1/stores/{}/{rest}", self.settings.store_id);
        Url::parse(&url).map_err(|e| UpstreamError::Centre(format!("{url}: {e}")))
    }

    async fn get(&self, url: Url) -> Result<reqwest::Response, UpstreamError> {
        let response = self
            .client
            .get(url)
            .bearer_auth(&self.settings.key)
            .send()
            .await?;
        answered(response).await
    }

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        rest: &str,
        body: &impl serde::Serialize,
    ) -> Result<T, UpstreamError> {
        let response = self
            .client
            .post(self.route(rest)?)
            .bearer_auth(&self.settings.key)
            .json(body)
            .send()
            .await?;
        Ok(answered(response).await?.json().await?)
    }
}

/// `response` when it succeeded; otherwise what the centre said.
async fn answered(response: reqwest::Response) -> Result<reqwest::Response, UpstreamError> {
    if response.status().is_success() {
        return Ok(response);
    }
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    Err(UpstreamError::Centre(format!("{status}: {body}")))
}

/// The store-sync names this module keeps its place under.
const GENERATION: &str = "generation";
const CUSTOMERS_CURSOR: &str = "customers_after";

/// Copies and forwards until `stopping` turns true; started by `serve` on a store node.
pub async fn run_store_node(
    service: Arc<Service>,
    settings: UpstreamSettings,
    stopping: watch::Receiver<bool>,
) {
    let centre = match Centre::new(settings) {
        Ok(centre) => Arc::new(centre),
        Err(error) => {
            tracing::error!(%error, "the link to the centre cannot be set up");
            return;
        }
    };
    let pulls = tokio::spawn(keep_pulling(
        Arc::clone(&service),
        Arc::clone(&centre),
        stopping.clone(),
    ));
    keep_forwarding(service, centre, stopping).await;
    let _ = pulls.await;
}

/// Sleeps `wait`, or less when told to stop; whether to go on.
async fn pause(wait: Duration, stopping: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        () = tokio::time::sleep(wait) => !*stopping.borrow(),
        _ = stopping.changed() => false,
    }
}

async fn keep_pulling(
    service: Arc<Service>,
    centre: Arc<Centre>,
    mut stopping: watch::Receiver<bool>,
) {
    let mut backoff = PULL_INTERVAL;
    // The centre's campaigns as last copied (this node serves them with its leases as
    // their limits); `None` until the first pull of this process, which copies everything.
    let mut campaigns: Option<Vec<StoredCampaign>> = None;
    loop {
        let pulled = pull(&service, &centre, campaigns.is_none()).await;
        match &pulled {
            Ok(copied) => {
                crate::metrics::store_pulled(if copied.is_some() {
                    "copied"
                } else {
                    "unchanged"
                });
                backoff = PULL_INTERVAL;
            }
            Err(error) => {
                crate::metrics::store_pulled("failed");
                tracing::warn!(%error, "pull from the centre failed: serving from the copy held");
                backoff = (backoff * 2).min(MOST_BACKOFF);
            }
        }
        let fresh = matches!(pulled, Ok(Some(_)));
        if let Ok(Some(copied)) = pulled {
            campaigns = Some(copied);
        }
        if let Some(campaigns) = &campaigns {
            let online = backoff == PULL_INTERVAL;
            match leases::keep_leases(&service, &centre, campaigns, online).await {
                Ok(changed) if changed || fresh => {
                    if let Err(error) = serve_copy(&service, campaigns).await {
                        tracing::warn!(%error, "the copy could not be served with its leases");
                    }
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "budget leases wait for the centre"),
            }
        }
        if !pause(backoff, &mut stopping).await {
            return;
        }
    }
}

/// One pull: what changed at the centre (everything when `whole`), then the profiles
/// written since the last one. Each step is stored as it lands, so a pull cut off resumes
/// where it stopped. The centre's campaigns, when they were copied.
async fn pull(
    service: &Service,
    centre: &Centre,
    whole: bool,
) -> Result<Option<Vec<StoredCampaign>>, UpstreamError> {
    let store = service.store();
    let held: Option<i64> = store
        .sync_value(GENERATION)
        .await?
        .and_then(|value| value.parse().ok())
        .filter(|_| !whole);
    let mut url = centre.route("feed")?;
    if let Some(generation) = held {
        url.query_pairs_mut()
            .append_pair("generation", &generation.to_string());
    }
    let response = centre.get(url).await?;
    let mut copied = None;
    if response.status() != reqwest::StatusCode::NO_CONTENT {
        let feed: Feed = response.json().await?;
        copied = Some(copy(service, centre, &feed).await?);
    }
    pull_customers(service, centre).await?;
    Ok(copied)
}

/// Copies `feed`: the plugin versions this node lacks (each fetched, checked against its
/// SHA-256 and stored on its own), then current versions, limits, groups and keys. The
/// campaigns are returned, to be served with this node's leases as their limits
/// ([`serve_copy`]).
async fn copy(
    service: &Service,
    centre: &Centre,
    feed: &Feed,
) -> Result<Vec<StoredCampaign>, UpstreamError> {
    let store = service.store();
    let held: HashSet<(String, String)> = store
        .plugin_versions()
        .await?
        .into_iter()
        .map(|plugin| (plugin.name, plugin.version))
        .collect();
    for plugin in &feed.plugins {
        if held.contains(&(plugin.name.clone(), plugin.version.clone())) {
            continue;
        }
        let url = centre.route(&format!("components/{}", plugin.sha256))?;
        let bytes = centre.get(url).await?.bytes().await?;
        let sha256 = format!("{:x}", Sha256::digest(&bytes));
        if sha256 != plugin.sha256 {
            return Err(UpstreamError::Centre(format!(
                "{}@{}: the component received has sha256 {sha256}, not {}",
                plugin.name, plugin.version, plugin.sha256
            )));
        }
        store
            .add_mirrored_plugin_version(
                &plugin.name,
                &plugin.version,
                &plugin.sha256,
                &bytes,
                plugin.uploaded_at,
            )
            .await?;
    }
    for (name, version) in &feed.current {
        store.set_current_plugin_version(name, version).await?;
    }
    for (name, limits) in &feed.limits {
        store.set_plugin_limits(name, limits).await?;
    }
    for (name, policy) in &feed.groups {
        store.set_group(name, *policy).await?;
    }
    store.mirror_keys(&feed.keys).await?;
    let campaigns: Vec<StoredCampaign> = feed
        .campaigns
        .iter()
        .cloned()
        .map(StoredCampaign::from)
        .collect();
    serve_copy(service, &campaigns).await?;
    store
        .set_sync_value(GENERATION, &feed.generation.to_string())
        .await?;
    tracing::info!(
        generation = feed.generation,
        campaigns = feed.campaigns.len(),
        plugins = feed.plugins.len(),
        "copied the centre's campaigns, plugins and keys"
    );
    Ok(campaigns)
}

/// Stores the centre's `campaigns`, each leased one with this node's lease as its limits,
/// and reloads what evaluations serve.
async fn serve_copy(service: &Service, campaigns: &[StoredCampaign]) -> Result<(), UpstreamError> {
    let store = service.store();
    let served = leases::with_lease_limits(store, campaigns).await?;
    store.mirror_campaigns(&served).await?;
    Replica::catch_up(service).await?;
    Ok(())
}

/// Copies the profiles written at the centre since the last page copied.
async fn pull_customers(service: &Service, centre: &Centre) -> Result<(), UpstreamError> {
    let store = service.store();
    loop {
        let cursor: Option<(String, String)> = store
            .sync_value(CUSTOMERS_CURSOR)
            .await?
            .and_then(|value| serde_json::from_str(&value).ok());
        let mut url = centre.route("customers")?;
        url.query_pairs_mut()
            .append_pair("limit", &MAX_CUSTOMERS_PAGE.to_string());
        if let Some((at, id)) = &cursor {
            url.query_pairs_mut()
                .append_pair("after_time", at)
                .append_pair("after_id", id);
        }
        let page: CustomersFeed = centre.get(url).await?.json().await?;
        copy_customers(service, page.customers).await?;
        if let Some((at, id)) = &page.cursor {
            store
                .set_sync_value(CUSTOMERS_CURSOR, &cursor_text(at, id))
                .await?;
        }
        if !page.more {
            return Ok(());
        }
    }
}

/// Applies one page of the customers feed in its order: profiles written (a run of them in
/// one batch) and customers erased at the centre, erased here too (a customer this node
/// never held is nothing to erase).
async fn copy_customers(
    service: &Service,
    writes: Vec<(String, Option<String>)>,
) -> Result<(), UpstreamError> {
    let mut profiles = Vec::new();
    for (id, body) in writes {
        match body {
            Some(body) => profiles.push((id, body)),
            None => {
                if !profiles.is_empty() {
                    service
                        .upsert_customers(&std::mem::take(&mut profiles))
                        .await?;
                }
                match service.erase_customer(&id).await {
                    Ok(_) | Err(ServiceError::NotFound(_)) => {}
                    Err(error) => return Err(error.into()),
                }
            }
        }
    }
    if !profiles.is_empty() {
        service.upsert_customers(&profiles).await?;
    }
    Ok(())
}

fn cursor_text(at: &str, id: &str) -> String {
    serde_json::json!([at, id]).to_string()
}

async fn keep_forwarding(
    service: Arc<Service>,
    centre: Arc<Centre>,
    mut stopping: watch::Receiver<bool>,
) {
    let mut backoff = FORWARD_INTERVAL;
    loop {
        match forward(&service, &centre).await {
            // A full batch: more may wait, go on at once.
            Ok(sent) if sent == FORWARD_BATCH => {
                backoff = FORWARD_INTERVAL;
                continue;
            }
            Ok(_) => backoff = FORWARD_INTERVAL,
            Err(error) => {
                tracing::warn!(%error, "forwarding orders to the centre failed: they wait here");
                backoff = (backoff * 2).min(MOST_BACKOFF);
            }
        }
        if !pause(backoff, &mut stopping).await {
            return;
        }
    }
}

/// Sends the oldest entries of the queue, and drops those the centre acknowledged; how
/// many were sent.
async fn forward(service: &Service, centre: &Centre) -> Result<usize, UpstreamError> {
    let store = service.store();
    let entries: Vec<QueuedEntry> = store.queued(FORWARD_BATCH as u32).await?;
    if let Ok((waiting, refused)) = store.queue_counts().await {
        crate::metrics::store_forward_queue(waiting, refused);
    }
    if entries.is_empty() {
        return Ok(0);
    }
    let taken: TakenBack = centre
        .post("orders", &serde_json::json!({ "entries": entries }))
        .await?;
    store.acknowledge(&taken).await?;
    for (seq, why) in &taken.refused {
        tracing::error!(seq, %why, "the centre refused an order forwarded from this store: kept aside here");
    }
    Ok(entries.len())
}
