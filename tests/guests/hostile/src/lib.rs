//! `hostile`: a scenario plugin that misbehaves on demand, the runtime's adversary in
//! `tests/tests/hostile.rs`. Its one parameter, `mode`, picks the attack: an endless loop, a
//! memory bomb, a stack overflow, a panic, a flood of effects, an effect on a line that is not
//! in the basket, a flood of log lines, a percentage above 100, or (`ok`) a well-behaved
//! 10 % off the order, so one module shows both sides of every sandbox.

use remise_sdk::prelude::*;
use std::hint::black_box;

/// The campaign parameters.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Which misbehaviour.
    pub mode: Mode,
}

/// What the plugin does when evaluated.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Loops forever.
    Loop,
    /// Allocates until the allocator fails.
    Memory,
    /// Recurses (not in tail position) until the stack overflows.
    Recursion,
    /// Panics with [`PANIC_MESSAGE`].
    Panic,
    /// Returns [`FLOOD_EFFECTS`] effects.
    Flood,
    /// Discounts line index 999.
    UnknownLine,
    /// Logs [`LOG_LINES`] lines, then returns 10 % off the order.
    LogSpam,
    /// Proposes 150 % off the order.
    BadPercent,
    /// Reads the system clock: a WASI import, which the sandbox makes a trap.
    Clock,
    /// Behaves: 10 % off the order.
    Ok,
}

/// What the `panic` mode panics with.
pub const PANIC_MESSAGE: &str = "hostile guest panicked on purpose";
/// How many effects the `flood` mode returns.
/// (Ten times the limit, and small enough that the effect count, not the output size,
/// refuses it.)
pub const FLOOD_EFFECTS: usize = 10_000;
/// How many lines the `log-spam` mode logs.
pub const LOG_LINES: usize = 100_000;

/// The scenario.
pub struct Hostile;

/// Never returns: fuel or the deadline must stop it.
fn spin() -> ! {
    let mut n = 0u64;
    loop {
        n = black_box(n.wrapping_add(1));
    }
}

/// Reserves 1 MiB after 1 MiB, keeping them all, until an allocation fails.
fn hoard() -> ! {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        let chunk: Vec<u8> = Vec::with_capacity(1 << 20);
        hoard.push(black_box(chunk));
    }
}

/// Non-tail recursion whose frames live on the shadow stack (the buffer escapes through
/// `black_box`), so each level costs linear memory as well as a native frame.
fn dive(depth: u32) -> u64 {
    let mut frame = [0u8; 512];
    frame[0] = depth as u8;
    let frame = black_box(&mut frame);
    if depth == u32::MAX {
        return u64::from(frame[0]);
    }
    dive(depth + 1).wrapping_add(u64::from(frame[depth as usize % 512]))
}

impl Scenario for Hostile {
    type Params = Params;
    const DESCRIPTION: &'static str = "A test plugin that misbehaves on demand; never deploy it.";

    fn evaluate(
        params: &Params,
        _basket: &Basket<'_>,
        _context: &Context<'_>,
    ) -> Result<Vec<Effect>, ScenarioError> {
        let ten = Decimal::TEN;
        match params.mode {
            Mode::Loop => spin(),
            Mode::Memory => hoard(),
            Mode::Recursion => Ok(vec![effects::points(dive(0))]),
            Mode::Panic => panic!("{PANIC_MESSAGE}"),
            Mode::Flood => Ok((0..FLOOD_EFFECTS).map(|_| effects::points(1)).collect()),
            Mode::UnknownLine => Ok(vec![effects::percent_off_lines([999], ten)]),
            Mode::LogSpam => {
                for _ in 0..LOG_LINES {
                    remise_sdk::log::info(black_box("spam"));
                }
                Ok(vec![effects::percent_off_order(ten)])
            }
            Mode::BadPercent => Ok(vec![effects::percent_off_order(Decimal::from(150))]),
            Mode::Clock => {
                let now = std::time::SystemTime::now();
                let seconds = black_box(now)
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |since| since.as_secs());
                Ok(vec![effects::points(seconds)])
            }
            Mode::Ok => Ok(vec![effects::percent_off_order(ten)]),
        }
    }
}

remise_sdk::register_scenario!(Hostile);
