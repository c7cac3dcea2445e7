//! What one sandbox (one `Store`) holds: its limits, the bounded log, and the resource
//! limiter that caps linear memory and remembers the peak and any refusal.
//!
//! The log import reads the plugin's message where it lies, in the plugin's memory, and
//! copies only what the log keeps: a plugin logging megabytes in a loop makes the host
//! allocate nothing, and once it has offered more than [`MAX_LOG_OFFERED_BYTES`] in all
//! its run ends ([`LogFlood`]).

use super::bindings::v1_1::customer as wire_customer;
use super::bindings::Level;
use super::encode::date;
use remise_model::customer_data::{CustomerData, ItemKind, Purchases};
use std::sync::Arc;
use wasmtime::component::{Linker, WasmStr};
use wasmtime::{ResourceLimiter, StoreContextMut};

/// The log a plugin may write in one sandbox: the first lines only.
pub const MAX_LOG_LINES: usize = 64;
/// …and at most this many bytes in all.
pub const MAX_LOG_BYTES: usize = 8 << 10;
/// The most a plugin may offer the log in one run, kept or not: past it the run ends
/// ([`LogFlood`]). 100,000 short lines are well inside it.
pub const MAX_LOG_OFFERED_BYTES: usize = 1 << 20;

/// A plugin offered the log more than [`MAX_LOG_OFFERED_BYTES`]: the error the log import
/// ends the run with.
#[derive(Debug, thiserror::Error)]
#[error("the plugin logged more than {limit} bytes")]
pub struct LogFlood {
    /// The budget it went past.
    pub limit: usize,
}

/// One line of a plugin's log.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LogLine {
    /// `debug`, `info`, `warn` or `error`.
    pub level: &'static str,
    /// What the plugin wrote (cut to the log's byte budget).
    pub message: String,
}

/// The state of one store.
pub struct Sandbox {
    memory_limit: usize,
    table_elements_limit: usize,
    /// The largest linear memory granted, in bytes.
    pub peak_memory: usize,
    /// Set when a memory growth was refused: the run failed for lack of memory.
    pub memory_refused: bool,
    /// What the plugin logged.
    pub log: Vec<LogLine>,
    log_bytes: usize,
    /// Bytes the plugin offered the log, kept or not.
    log_offered: usize,
    /// Log lines dropped because the log was full.
    pub log_dropped: usize,
    /// What the `customer` imports (contract 1.1) answer: `None` for a plugin that does
    /// not import them, an anonymous basket, or a customer the host never stored.
    customer: Option<Arc<CustomerData>>,
}

impl Sandbox {
    /// A sandbox whose linear memory may not exceed `memory_limit` bytes, whose
    /// `customer` imports answer from `customer`.
    pub fn new(memory_limit: usize, customer: Option<Arc<CustomerData>>) -> Self {
        Self {
            memory_limit,
            table_elements_limit: 100_000,
            peak_memory: 0,
            memory_refused: false,
            log: Vec::new(),
            log_bytes: 0,
            log_offered: 0,
            log_dropped: 0,
            customer,
        }
    }

    /// The last `panic: …` line the SDK's panic hook logged, if any.
    pub fn panic_message(&self) -> Option<&str> {
        self.log
            .iter()
            .rev()
            .find_map(|line| line.message.strip_prefix("panic: "))
    }
}

impl ResourceLimiter for Sandbox {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_limit {
            self.memory_refused = true;
            return Ok(false);
        }
        self.peak_memory = self.peak_memory.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= self.table_elements_limit)
    }

    fn instances(&self) -> usize {
        64
    }

    fn tables(&self) -> usize {
        64
    }

    fn memories(&self) -> usize {
        4
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Debug => "debug",
        Level::Info => "info",
        Level::Warn => "warn",
        Level::Error => "error",
    }
}

impl Sandbox {
    /// How many bytes of a message the log would keep now.
    fn log_room(&self) -> usize {
        if self.log.len() >= MAX_LOG_LINES {
            0
        } else {
            MAX_LOG_BYTES.saturating_sub(self.log_bytes)
        }
    }

    /// Counts `offered` bytes against the run's budget and keeps `kept` (at most
    /// [`Sandbox::log_room`] bytes of the message).
    fn log(&mut self, level: Level, offered: usize, kept: String) -> Result<(), LogFlood> {
        self.log_offered = self.log_offered.saturating_add(offered);
        if self.log_offered > MAX_LOG_OFFERED_BYTES {
            return Err(LogFlood {
                limit: MAX_LOG_OFFERED_BYTES,
            });
        }
        if self.log_room() == 0 {
            self.log_dropped += 1;
            return Ok(());
        }
        self.log_bytes += kept.len();
        self.log.push(LogLine {
            level: level_name(level),
            message: kept,
        });
        Ok(())
    }
}

/// Offers `remise:scenario/host@1.0.0`'s and `@1.1.0`'s `log` to plugins. Unlike the import bindgen
/// generates, it lifts the message as a [`WasmStr`], a view of the plugin's memory, so the
/// host copies only the part the log keeps.
pub fn add_log_to_linker(linker: &mut Linker<Sandbox>) -> wasmtime::Result<()> {
    for interface in [super::HOST_INTERFACE, super::HOST_INTERFACE_1_1] {
        linker.instance(interface)?.func_wrap("log", log)?;
    }
    Ok(())
}

fn log(
    mut store: StoreContextMut<'_, Sandbox>,
    (level, message): (Level, WasmStr),
) -> wasmtime::Result<()> {
    let (offered, kept) = {
        let text = message.to_str(&store)?;
        let mut cut = text.len().min(store.data().log_room());
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        (text.len(), text[..cut].to_string())
    };
    store.data_mut().log(level, offered, kept)?;
    Ok(())
}

/// Offers `remise:scenario/customer@1.1.0` to plugins: every function answers from the
/// [`CustomerData`] the host read before the run, so none waits on the database, and what
/// it hands the plugin is bounded by the plugin's own memory limit.
pub fn add_customer_to_linker(linker: &mut Linker<Sandbox>) -> wasmtime::Result<()> {
    let mut customer = linker.instance(super::CUSTOMER_INTERFACE)?;
    customer.func_wrap(
        "stored-profile",
        |store: StoreContextMut<'_, Sandbox>, (): ()| {
            let profile = store
                .data()
                .customer
                .as_ref()
                .and_then(|data| data.profile.as_ref())
                .map(|stored| wire_customer::Profile {
                    loyalty_tier: stored.profile.loyalty_tier.clone(),
                    segments: stored.profile.segments.clone(),
                    birthdate: stored.profile.birthdate.map(date),
                    attributes: stored
                        .profile
                        .attributes
                        .iter()
                        .map(|(key, value)| (key.clone(), value.clone()))
                        .collect(),
                    consent_email: stored.profile.consent.email,
                    consent_sms: stored.profile.consent.sms,
                    member_since: date(stored.member_since),
                });
            Ok((profile,))
        },
    )?;
    customer.func_wrap(
        "points-balance",
        |store: StoreContextMut<'_, Sandbox>, (): ()| {
            let balance = store
                .data()
                .customer
                .as_ref()
                .map_or(0, |data| data.points_balance);
            Ok((balance,))
        },
    )?;
    customer.func_wrap(
        "history-window-days",
        |store: StoreContextMut<'_, Sandbox>, (): ()| {
            let days = store.data().customer.as_ref().map_or(
                remise_model::customer_data::DEFAULT_HISTORY_WINDOW_DAYS,
                |data| data.history.window_days,
            );
            Ok((days,))
        },
    )?;
    customer.func_wrap(
        "purchases",
        |store: StoreContextMut<'_, Sandbox>, (kind, item): (wire_customer::ItemKind, WasmStr)| {
            let answer = match &store.data().customer {
                Some(data) => data
                    .history
                    .purchases(item_kind(kind), item.to_str(&store)?.as_ref())
                    .map(purchases),
                None => None,
            };
            Ok((answer,))
        },
    )?;
    customer.func_wrap(
        "purchased",
        |store: StoreContextMut<'_, Sandbox>, (kind, limit): (wire_customer::ItemKind, u32)| {
            let items: Vec<wire_customer::PurchasedItem> = match &store.data().customer {
                Some(data) => data
                    .history
                    .purchased(item_kind(kind), limit as usize)
                    .into_iter()
                    .map(|(item, bought)| wire_customer::PurchasedItem {
                        item: item.to_string(),
                        purchases: purchases(bought),
                    })
                    .collect(),
                None => Vec::new(),
            };
            Ok((items,))
        },
    )?;
    Ok(())
}

fn item_kind(kind: wire_customer::ItemKind) -> ItemKind {
    match kind {
        wire_customer::ItemKind::Sku => ItemKind::Sku,
        wire_customer::ItemKind::Category => ItemKind::Category,
    }
}

fn purchases(bought: Purchases) -> wire_customer::PurchaseSummary {
    wire_customer::PurchaseSummary {
        quantity: bought.quantity,
        orders: bought.orders,
        first_purchase: date(bought.first),
        last_purchase: date(bought.last),
    }
}
