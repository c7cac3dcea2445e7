//! The params check: a plugin's params JSON Schema (which a hostile plugin writes) and a
//! campaign's params (which a client writes), from the fuzzer's bytes split at the first
//! NUL byte. `ParamsSchema::compile` builds it offline or says why not, without a panic;
//! `problems` then reports at most the limit asked, each text bounded and each pointer
//! naming a place in the params.
#![no_main]

use libfuzzer_sys::fuzz_target;
use remise_model::params_schema::{ParamsSchema, MAX_PROBLEM_TEXT};
use serde_json::Value;

const LIMIT: usize = 100;

fuzz_target!(|bytes: &[u8]| {
    let Some(split) = bytes.iter().position(|&b| b == 0) else {
        return;
    };
    let (Ok(schema), Ok(params)) = (
        serde_json::from_slice::<Value>(&bytes[..split]),
        serde_json::from_slice::<Value>(&bytes[split + 1..]),
    ) else {
        return;
    };
    let schema = match ParamsSchema::compile(&schema) {
        Ok(schema) => schema,
        Err(error) => {
            assert!(error.message.len() <= MAX_PROBLEM_TEXT);
            return;
        }
    };
    let problems = schema.problems(&params, LIMIT);
    assert!(problems.len() <= LIMIT);
    for problem in &problems {
        assert!(problem.message.len() <= MAX_PROBLEM_TEXT);
        assert!(problem.pointer.len() <= MAX_PROBLEM_TEXT);
        if problem.pointer.len() < MAX_PROBLEM_TEXT {
            assert!(
                params.pointer(&problem.pointer).is_some(),
                "{:?} names no place in the params",
                problem.pointer
            );
        }
    }
    // The same params, checked again, get the same answer: nothing is remembered.
    assert_eq!(schema.problems(&params, LIMIT), problems);
});
