//! The sandbox against plugins that misbehave: the `hostile` guest in each of its modes, and
//! components that are not scenarios at all. Every failure must end in its typed error, and
//! the same `Runtime` must go on serving well-behaved plugins right after. Params schemas
//! too: `schema-limits` states limits only in its schema, which the host must enforce, and
//! `bad-schema` reports a schema that does not compile, which the host must refuse. And
//! output: `bounded-output` hands the host far more than it may (effects aliasing one 15 MiB
//! string, a log loop of 4 MiB messages, 15 MiB of prepared params), which the host must
//! refuse before copying it.

mod support;

use remise::runtime::{Limits, LoadError, ParamProblem, Plugin, RunError};
use serde_json::json;
use std::sync::LazyLock;
use std::time::{Duration, Instant};
use support::*;

/// The hostile guest, loaded once with the default limits.
fn hostile() -> &'static Plugin {
    static HOSTILE: LazyLock<Plugin> = LazyLock::new(|| {
        runtime()
            .load(&remise_tests::guest("hostile"), Limits::default())
            .expect("the hostile guest is a valid scenario")
    });
    &HOSTILE
}

/// The hostile guest with the default fuel, memory and effect limits but a 10 s deadline,
/// for the floods. 100,000 log calls take about 11 ms of wall time on an idle
/// machine, and a loaded 2-core CI machine can stretch that past the default 50 ms: those
/// tests are about the log bound and the effect count, so the wall clock (which has its own
/// test) must not decide them.
fn hostile_without_deadline() -> &'static Plugin {
    static PATIENT: LazyLock<Plugin> =
        LazyLock::new(|| with_ten_second_deadline(&remise_tests::guest("hostile")));
    &PATIENT
}

/// Loads `wasm` with the default fuel, memory and effect limits but a 10 s deadline, for
/// tests about another limit that a loaded machine's wall clock must not decide.
fn with_ten_second_deadline(wasm: &[u8]) -> Plugin {
    let limits = Limits {
        deadline: Duration::from_secs(10),
        ..Limits::default()
    };
    runtime()
        .load(wasm, limits)
        .expect("the test guest is a valid scenario")
}

/// A small basket: two lines, 119.70 in all.
fn small_basket() -> TestBasket {
    lines(json!([
        { "id": "1", "sku": "TSHIRT-M", "quantity": 2, "unit_price": "19.90" },
        { "id": "2", "sku": "JEANS-32", "quantity": 1, "unit_price": "79.90" }
    ]))
}

fn mode(mode: &str) -> serde_json::Value {
    json!({ "mode": mode })
}

/// After a hostile run, the same runtime still serves: a catalogue plugin and the hostile
/// plugin's own well-behaved mode both answer as they should.
fn still_serves() {
    let threshold = catalogue_plugin("threshold-discount");
    let params = json!({ "tiers": [ { "min_subtotal": "100.00", "percent_off": "10" } ] });
    // 119.70 ≥ 100.00.
    assert_eq!(
        effects_of(threshold, params, &small_basket()),
        vec![order(percent("10"))]
    );
    assert_eq!(
        effects_of(hostile(), mode("ok"), &small_basket()),
        vec![order(percent("10"))]
    );
}

#[test]
fn ok_mode_is_well_behaved() {
    let mut evaluation = evaluate(hostile(), &[mode("ok")], &small_basket());
    assert_eq!(
        succeeded(evaluation.results.remove(0)),
        vec![order(percent("10"))]
    );
    assert!(evaluation.report.fuel_used > 0);
    assert!(evaluation.report.log.is_empty());
}

#[test]
fn an_endless_loop_runs_out_of_fuel() {
    let result = run(hostile(), mode("loop"), &small_basket());
    // Default fuel for a basket of up to 200 lines: 10,000,000.
    assert!(
        matches!(result, Err(RunError::FuelExhausted { limit: 10_000_000 })),
        "{result:?}"
    );
    assert_eq!(
        result.expect_err("failed").reason(),
        "fuel_exhausted",
        "the API's reason"
    );
    still_serves();
}

#[test]
fn an_endless_loop_with_unlimited_fuel_hits_the_deadline() {
    let limits = Limits {
        fuel: u64::MAX / 4,
        deadline: Duration::from_millis(20),
        ..Limits::default()
    };
    let plugin = runtime()
        .load(&remise_tests::guest("hostile"), limits)
        .expect("loads");
    let prepared = prepare(&plugin, &mode("loop"));
    let basket = small_basket();
    let started = Instant::now();
    let evaluation = plugin.evaluate(&basket.request.lines, &basket.input, &[&prepared]);
    let took = started.elapsed();
    let result = &evaluation.results[0];
    assert!(
        matches!(result, Err(RunError::Timeout { limit_ms: 20 })),
        "{result:?}"
    );
    assert!(took < Duration::from_secs(2), "stopped after {took:?}");
    still_serves();
}

#[test]
fn a_memory_bomb_exceeds_the_memory_limit() {
    let result = run(hostile(), mode("memory"), &small_basket());
    assert!(
        matches!(result, Err(RunError::MemoryExceeded { limit }) if limit == 16 << 20),
        "{result:?}"
    );
    still_serves();
}

#[test]
fn a_stack_overflow_traps() {
    let result = run(hostile(), mode("recursion"), &small_basket());
    assert!(matches!(result, Err(RunError::Trap { .. })), "{result:?}");
    eprintln!("stack overflow: {result:?}");
    still_serves();
}

#[test]
fn a_panic_traps_with_the_plugins_message() {
    let result = run(hostile(), mode("panic"), &small_basket());
    match &result {
        Err(RunError::Trap { message }) => assert!(
            message.contains("hostile guest panicked on purpose"),
            "{message}"
        ),
        other => panic!("expected a trap, got {other:?}"),
    }
    still_serves();
}

#[test]
fn a_call_to_a_wasi_function_is_a_plugin_error() {
    // The loader lets WASI imports in as traps; calling one is the plugin's fault, not
    // an answer the host could not read.
    let result = run(hostile(), mode("clock"), &small_basket());
    match &result {
        Err(error @ RunError::Trap { message }) => {
            assert!(message.contains("wasi:clocks"), "{message}");
            assert_eq!(error.reason(), "plugin_error");
        }
        other => panic!("expected a trap, got {other:?}"),
    }
    still_serves();
}

/// The hostile guest built the way the catalogue is (`wasm32-unknown-unknown`, one core
/// module, a 16 KiB stack, the SDK's allocator), with the default limits but a 10 s
/// deadline, so that the endless loop meets its fuel limit even on a loaded machine.
fn hostile_bare() -> &'static Plugin {
    static BARE: LazyLock<Plugin> =
        LazyLock::new(|| with_ten_second_deadline(&remise_tests::guest("hostile-bare")));
    &BARE
}

#[test]
fn the_catalogues_build_is_held_by_the_same_limits() {
    let basket = small_basket();
    let answer = run(hostile_bare(), mode("ok"), &basket).expect("a well-behaved run");
    assert_eq!(answer.len(), 1, "{answer:?}");
    let result = run(hostile_bare(), mode("loop"), &basket);
    assert!(
        matches!(result, Err(RunError::FuelExhausted { limit: 10_000_000 })),
        "{result:?}"
    );
    let result = run(hostile_bare(), mode("memory"), &basket);
    assert!(
        matches!(result, Err(RunError::MemoryExceeded { limit }) if limit == 16 << 20),
        "{result:?}"
    );
    // The 16 KiB stack sits below the data, at address 0: an overflow leaves the memory.
    let result = run(hostile_bare(), mode("recursion"), &basket);
    assert!(matches!(result, Err(RunError::Trap { .. })), "{result:?}");
    match run(hostile_bare(), mode("panic"), &basket) {
        Err(RunError::Trap { message }) => assert!(
            message.contains("hostile guest panicked on purpose"),
            "{message}"
        ),
        other => panic!("expected a trap, got {other:?}"),
    }
    // No WASI there: the standard library's clock panics, which is the plugin's error.
    match run(hostile_bare(), mode("clock"), &basket) {
        Err(error @ RunError::Trap { .. }) => assert_eq!(error.reason(), "plugin_error"),
        other => panic!("expected a trap, got {other:?}"),
    }
    let answer = run(hostile_bare(), mode("ok"), &basket).expect("and it still serves");
    assert_eq!(answer.len(), 1, "{answer:?}");
}

#[test]
fn a_flood_of_effects_is_invalid() {
    let result = run(hostile_without_deadline(), mode("flood"), &small_basket());
    match &result {
        Err(RunError::InvalidEffects { detail }) => {
            assert!(detail.contains("10000 effects"), "{detail}");
            assert!(detail.contains("1000"), "{detail}");
        }
        other => panic!("expected invalid effects, got {other:?}"),
    }
    still_serves();
}

#[test]
fn an_effect_on_a_line_not_in_the_basket_is_invalid() {
    let result = run(hostile(), mode("unknown-line"), &small_basket());
    match &result {
        Err(RunError::InvalidEffects { detail }) => {
            assert!(detail.contains("999"), "{detail}");
            assert!(detail.contains("2 lines"), "{detail}");
        }
        other => panic!("expected invalid effects, got {other:?}"),
    }
    still_serves();
}

#[test]
fn a_percentage_above_100_is_invalid() {
    let result = run(hostile(), mode("bad-percent"), &small_basket());
    match &result {
        Err(RunError::InvalidEffects { detail }) => {
            assert!(detail.contains("150"), "{detail}")
        }
        other => panic!("expected invalid effects, got {other:?}"),
    }
    still_serves();
}

#[test]
fn a_flood_of_log_lines_is_cut_and_the_answer_kept() {
    let mut evaluation = evaluate(
        hostile_without_deadline(),
        &[mode("log-spam")],
        &small_basket(),
    );
    assert_eq!(
        succeeded(evaluation.results.remove(0)),
        vec![order(percent("10"))]
    );
    let report = evaluation.report;
    // 100,000 lines of 4 bytes: the first 64 are kept (256 bytes, under the 8 KiB budget),
    // the other 99,936 dropped.
    assert_eq!(report.log.len(), 64);
    assert!(report.log.iter().all(|line| line.message == "spam"));
    assert!(report.log.iter().all(|line| line.level == "info"));
    assert_eq!(report.log_dropped, 99_936);
    still_serves();
}

#[test]
fn a_failing_campaign_does_not_cost_its_sibling_in_the_same_call() {
    let evaluation = evaluate(hostile(), &[mode("panic"), mode("ok")], &small_basket());
    let mut results = evaluation.results.into_iter();
    let panicked = results.next().expect("two answers");
    assert!(
        matches!(&panicked, Err(RunError::Trap { message }) if message.contains("hostile guest panicked on purpose")),
        "{panicked:?}"
    );
    assert_eq!(
        succeeded(results.next().expect("two answers")),
        vec![order(percent("10"))]
    );
    // The shared sandbox, then one per campaign alone.
    assert_eq!(evaluation.report.sandboxes, 3);
    still_serves();
}

#[test]
fn a_component_of_another_world_is_not_a_scenario() {
    let result = runtime().load(&remise_tests::guest("not-a-scenario"), Limits::default());
    assert!(
        matches!(result, Err(LoadError::NotAScenario(_))),
        "{:?}",
        result.err()
    );
    still_serves();
}

#[test]
fn a_component_importing_the_network_is_refused() {
    let result = runtime().load(&remise_tests::guest("forbidden-import"), Limits::default());
    match result {
        Err(LoadError::ForbiddenImport(name)) => {
            assert_eq!(name, "acme:evil/network@1.0.0")
        }
        Err(other) => panic!("expected a forbidden import, got {other:?}"),
        Ok(_) => panic!("a component importing the network was loaded"),
    }
    still_serves();
}

#[test]
fn bytes_that_are_not_a_component_are_refused() {
    let core_module = b"\0asm\x01\0\0\0";
    let random: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for (what, bytes) in [
        ("a core module", &core_module[..]),
        ("random bytes", &random[..]),
        ("nothing", &[][..]),
    ] {
        let result = runtime().load(bytes, Limits::default());
        assert!(
            matches!(result, Err(LoadError::NotAComponent(_))),
            "{what}: {:?}",
            result.err()
        );
    }
    still_serves();
}

#[test]
fn limits_only_the_params_schema_states_are_enforced_by_the_host() {
    use schema_limits::SchemaLimits;
    let plugin = runtime()
        .load(&remise_tests::guest("schema-limits"), Limits::default())
        .expect("the schema-limits guest is a valid scenario");
    let too_much = json!({ "percent_off": 11 });
    let lower_case = json!({ "percent_off": 5, "label": "spring" });
    // The plugin's own check accepts both: only its schema states these limits.
    for params in [&too_much, &lower_case] {
        let own = remise_sdk::testing::check::<SchemaLimits>(params);
        assert!(own.is_ok(), "{params}: {own:?}");
    }
    let refused = |params: &serde_json::Value| {
        plugin
            .check_params(&params.to_string())
            .expect("check-params runs")
            .expect_err("refused by the schema")
    };
    assert_eq!(
        refused(&too_much),
        [ParamProblem {
            pointer: "/percent_off".into(),
            message: "11 is greater than the maximum of 10".into(),
        }]
    );
    assert_eq!(
        refused(&lower_case),
        [ParamProblem {
            pointer: "/label".into(),
            message: r#""spring" does not match "^[A-Z]{2,8}$""#.into(),
        }]
    );
    let mut both: Vec<String> = refused(&json!({ "percent_off": 0, "label": "X" }))
        .into_iter()
        .map(|p| p.pointer)
        .collect();
    both.sort_unstable();
    assert_eq!(both, ["/label", "/percent_off"]);
    // Not an object at all: the problem is at the root.
    let root = refused(&json!([1]));
    assert_eq!(root.len(), 1, "{root:?}");
    assert_eq!(root[0].pointer, "");
    // Within the limits, the plugin's check runs, prepares them, and they evaluate.
    assert_eq!(
        effects_of(
            &plugin,
            json!({ "percent_off": 10, "label": "SPRING" }),
            &small_basket()
        ),
        vec![order(percent("10"))]
    );
    // Not JSON: the plugin names the syntax error, as before the schema check.
    let problems = plugin
        .check_params("{ not json")
        .expect("check-params runs")
        .expect_err("refused");
    assert_eq!(problems.len(), 1, "{problems:?}");
}

#[test]
fn a_plugin_whose_params_schema_does_not_compile_is_refused() {
    match runtime().load(&remise_tests::guest("bad-schema"), Limits::default()) {
        Err(LoadError::Metadata(message)) => {
            assert!(
                message.contains("params schema does not compile"),
                "{message}"
            );
            assert!(
                message.contains("/properties/percent_off/type"),
                "{message}"
            );
        }
        Err(other) => panic!("expected invalid metadata, got {other:?}"),
        Ok(_) => panic!("a plugin whose params schema does not compile was loaded"),
    }
    still_serves();
}

#[test]
fn a_plugin_may_name_itself_and_its_version_apart_from_its_crate() {
    let versions = [
        (remise_tests::guest("flip-v1"), "1.0.0", "10"),
        (remise_tests::guest("flip-v2"), "2.0.0", "20"),
    ];
    for (bytes, version, off) in versions {
        let plugin = runtime()
            .load(&bytes, Limits::default())
            .expect("a flip version loads");
        assert_eq!(plugin.metadata().name, "flip");
        assert_eq!(plugin.metadata().version.to_string(), version);
        let mut evaluation = evaluate(&plugin, &[json!({})], &small_basket());
        assert_eq!(
            succeeded(evaluation.results.remove(0)),
            vec![order(percent(off))]
        );
    }
}

#[test]
fn every_guest_has_a_test() {
    // The test guests' tests live here, but for `echo`, which checks lowering, and
    // `threshold-discount-1-0`, which checks contract 1.0 beside 1.1.
    let sources = [
        include_str!("hostile.rs"),
        include_str!("suite/lowering.rs"),
        include_str!("suite/contract_versions.rs"),
    ];
    for (name, _) in remise_tests::GUESTS {
        assert!(
            sources
                .iter()
                .any(|source| source.contains(&format!("guest(\"{name}\")"))),
            "test guest {name} has no test in tests/hostile.rs, lowering.rs or \
             contract_versions.rs"
        );
    }
}

/// The `bounded-output` guest with a 10 s deadline: filling 15 MiB in the guest must not
/// turn into a timeout on a loaded machine; these tests are about the output bounds.
fn bounded_output() -> &'static Plugin {
    static BOUNDED: LazyLock<Plugin> =
        LazyLock::new(|| with_ten_second_deadline(&remise_tests::guest("bounded-output")));
    &BOUNDED
}

#[test]
fn a_huge_answer_is_refused_before_it_is_copied() {
    let started = Instant::now();
    let evaluation = evaluate(
        bounded_output(),
        &[mode("alias"), mode("ok")],
        &small_basket(),
    );
    let took = started.elapsed();
    let mut results = evaluation.results.into_iter();
    let alias = results.next().expect("a result");
    assert!(
        matches!(
            alias,
            Err(RunError::OutputTooLarge {
                limit: remise::runtime::MAX_OUTPUT_BYTES
            })
        ),
        "{alias:?}"
    );
    assert_eq!(alias.expect_err("failed").reason(), "invalid_effects");
    assert_eq!(
        succeeded(results.next().expect("a result")),
        vec![order(percent("10"))],
        "the sibling campaign, run alone, still answers"
    );
    assert!(took < Duration::from_secs(5), "stopped after {took:?}");
    still_serves();
}

#[test]
fn a_log_loop_of_megabytes_ends_in_a_log_flood() {
    let result = run(bounded_output(), mode("log-flood"), &small_basket());
    assert!(
        matches!(result, Err(RunError::LogFlood { limit: 1_048_576 })),
        "{result:?}"
    );
    assert_eq!(result.expect_err("failed").reason(), "plugin_error");
    still_serves();
}

#[test]
fn huge_prepared_params_are_refused() {
    let result = bounded_output().check_params(&mode("huge-params").to_string());
    assert!(
        matches!(
            result,
            Err(RunError::OutputTooLarge {
                limit: remise::runtime::MAX_SETUP_OUTPUT_BYTES
            })
        ),
        "{result:?}"
    );
    still_serves();
}

#[test]
fn new_limits_apply_to_the_next_run() {
    let plugin = runtime()
        .load(&remise_tests::guest("hostile"), Limits::default())
        .expect("loads");
    let prepared = prepare(&plugin, &mode("ok"));
    let basket = small_basket();
    let run = |plugin: &Plugin| {
        plugin
            .evaluate(&basket.request.lines, &basket.input, &[&prepared])
            .results
            .remove(0)
    };
    assert_eq!(succeeded(run(&plugin)), vec![order(percent("10"))]);
    plugin.set_limits(Limits {
        fuel: 1_000,
        ..Limits::default()
    });
    let result = run(&plugin);
    assert!(
        matches!(result, Err(RunError::FuelExhausted { limit: 1_000 })),
        "{result:?}"
    );
    plugin.set_limits(Limits::default());
    assert_eq!(succeeded(run(&plugin)), vec![order(percent("10"))]);
}

/// A JavaScript scenario whose `evaluate` is `body`, built as `remise plugin build` does.
fn javascript(body: &str) -> Plugin {
    let component = remise_tests::javascript_probe("hostile-js", body);
    runtime()
        .load(&component, Limits::default())
        .expect("the JavaScript component loads")
}

#[test]
fn a_javascript_endless_loop_runs_out_of_fuel() {
    let result = run(&javascript("for (;;) {}"), json!({}), &small_basket());
    assert!(
        matches!(result, Err(RunError::FuelExhausted { limit: 10_000_000 })),
        "{result:?}"
    );
    still_serves();
}

#[test]
fn a_javascript_memory_bomb_costs_only_its_own_run() {
    // Strings doubling until the 16 MiB cap: QuickJS's allocator fails inside the cap, or
    // the sandbox stops the growth; either way the run fails and nothing else does.
    let plugin = javascript("let s = 'x'; for (;;) { s = s + s; } return [];");
    let result = run(&plugin, json!({}), &small_basket());
    assert!(
        matches!(
            &result,
            Err(RunError::MemoryExceeded { .. }) | Err(RunError::Plugin { kind: "failed", .. })
        ),
        "{result:?}"
    );
    // Deep recursion runs off the 64 KiB stack (QuickJS checks no stack depth on WASI),
    // which sits first in memory: the run traps out of bounds and overwrites nothing.
    let deep = javascript("const f = (n) => f(n + 1) + 1; return [{ message: String(f(0)) }];");
    let result = run(&deep, json!({}), &small_basket());
    assert!(matches!(result, Err(RunError::Trap { .. })), "{result:?}");
    still_serves();
}
