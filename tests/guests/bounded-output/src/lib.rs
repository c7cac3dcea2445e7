//! `bounded-output`: a scenario plugin, written against the raw WIT bindings (no SDK), that
//! hands the host far more than its 16 MiB of linear memory could hold if the host copied
//! everything it is pointed at; the adversary of `tests/tests/bounded_output.rs`.
//!
//! Its params are JSON text kept as they are; the mode is whichever of these words they
//! contain:
//! - `alias`: `evaluate` answers [`ALIASES`] message effects that all point at one
//!   [`BIG_BYTES`] string in the guest's memory (the canonical ABI lets many values share
//!   bytes; a host copying each would allocate 100 × 15 MiB);
//! - `log-flood`: `evaluate` logs one [`LOG_BYTES`] string [`LOG_CALLS`] times, then
//!   answers 10 % off;
//! - `huge-params`: `check-params` prepares [`BIG_BYTES`] bytes;
//! - anything else: 10 % off the order.

#[allow(missing_docs, unsafe_code, clippy::all)]
mod wit {
    wit_bindgen::generate!({ path: "../../../sdk/wit/v1", world: "scenario" });
}

use wit::remise::scenario::host::{log, Level};
use wit::remise::scenario::types::{
    Basket, Campaign, Context, Decimal, Discount, DiscountValue, Effect, Metadata, ParamProblem,
    ScenarioError, Target,
};

/// The one big string or params buffer: 15 MiB.
pub const BIG_BYTES: usize = 15 << 20;
/// How many effects point at it in `alias` mode.
pub const ALIASES: usize = 100;
/// Each log message of `log-flood`: 4 MiB.
pub const LOG_BYTES: usize = 4 << 20;
/// How many times `log-flood` logs it.
pub const LOG_CALLS: usize = 10_000;

struct BoundedOutput;

fn ten_percent_off() -> Effect {
    Effect::Discount(Discount {
        target: Target::Order,
        value: DiscountValue::Percent(Decimal {
            mantissa: 10,
            scale: 0,
        }),
    })
}

/// `bytes` zero bytes of fresh linear memory that no allocator owns, for ever. `memory.grow`
/// hands out zeroed pages at no fuel cost, where filling 15 MiB through the allocator
/// would cost more fuel than a plugin has.
fn fresh_zeroes(bytes: usize) -> &'static mut [u8] {
    #[cfg(target_arch = "wasm32")]
    {
        let pages = bytes.div_ceil(65_536);
        let old = core::arch::wasm32::memory_grow::<0>(pages);
        assert!(old != usize::MAX, "memory.grow refused {pages} pages");
        // SAFETY: the pages were just added to the memory, are zeroed by wasm's semantics,
        // and are never handed to the allocator, so nothing else refers to them.
        #[allow(unsafe_code)]
        unsafe {
            core::slice::from_raw_parts_mut((old * 65_536) as *mut u8, bytes)
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        Vec::leak(vec![0u8; bytes])
    }
}

/// [`ALIASES`] message effects whose strings all share one buffer of [`BIG_BYTES`] zero
/// bytes (NUL is valid UTF-8). The host refuses the answer before the post-return would
/// free them (which would fail: no allocator owns the buffer).
fn aliased_messages() -> Vec<Effect> {
    let big = fresh_zeroes(BIG_BYTES);
    let (ptr, len) = (big.as_mut_ptr(), big.len());
    (0..ALIASES)
        .map(|_| {
            // SAFETY: the bytes are UTF-8 (zeros) and live for ever; the aliases are only
            // read, by the host, when the answer is lifted.
            #[allow(unsafe_code)]
            let text = unsafe { String::from_raw_parts(ptr, len, len) };
            Effect::Message(text)
        })
        .collect()
}

impl wit::Guest for BoundedOutput {
    fn metadata() -> Metadata {
        Metadata {
            name: "bounded-output".into(),
            version: "0.1.0".into(),
            description: "A test plugin whose output is huge on demand; never deploy it.".into(),
            params_schema: r#"{"type":"object"}"#.into(),
        }
    }

    fn check_params(params_json: String) -> Result<Vec<u8>, Vec<ParamProblem>> {
        if params_json.contains("huge-params") {
            let big = fresh_zeroes(BIG_BYTES);
            // SAFETY: as for the messages of `alias`: read by the host alone, never freed.
            #[allow(unsafe_code)]
            let params = unsafe { Vec::from_raw_parts(big.as_mut_ptr(), big.len(), big.len()) };
            return Ok(params);
        }
        Ok(params_json.into_bytes())
    }

    fn evaluate(
        _basket: Basket,
        _context: Context,
        campaigns: Vec<Campaign>,
    ) -> Vec<Result<Vec<Effect>, ScenarioError>> {
        campaigns
            .iter()
            .map(|campaign| {
                let params = String::from_utf8_lossy(&campaign.params);
                if params.contains("alias") {
                    Ok(aliased_messages())
                } else if params.contains("log-flood") {
                    // SAFETY: zero bytes are UTF-8 (validating 4 MiB would cost fuel).
                    #[allow(unsafe_code)]
                    let message = unsafe { std::str::from_utf8_unchecked(fresh_zeroes(LOG_BYTES)) };
                    for _ in 0..LOG_CALLS {
                        log(Level::Info, std::hint::black_box(message));
                    }
                    Ok(vec![ten_percent_off()])
                } else {
                    Ok(vec![ten_percent_off()])
                }
            })
            .collect()
    }
}

wit::export!(BoundedOutput with_types_in wit);
