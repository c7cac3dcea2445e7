//! Shared helpers of the integration tests: the test guests built by `build.rs`, the
//! catalogue plugins as the `remise` binary embeds them, the docs' example params, and
//! [`http`], the one harness of every test that talks to a real server over HTTP.

pub mod http;

include!(concat!(env!("OUT_DIR"), "/guests.rs"));

/// The params of the docs' example campaign "10 % dès 100 €" (10 % off from 100.00):
/// `examples/ten-from-100.json`, the file docs/plugin-contract.md runs.
pub fn ten_from_100_params() -> serde_json::Value {
    serde_json::from_str(include_str!("../../examples/ten-from-100.json"))
        .expect("examples/ten-from-100.json is JSON")
}

/// The component bytes of test guest `name` (a crate of `tests/guests/`).
pub fn guest(name: &str) -> Vec<u8> {
    let path = GUESTS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, path)| *path)
        .unwrap_or_else(|| panic!("no test guest named {name}"));
    std::fs::read(path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// The component of a JavaScript scenario named `name` whose `evaluate` is `body` (any
/// params, no `checkParams`), built as `remise plugin build` builds one.
pub fn javascript_probe(name: &str, body: &str) -> Vec<u8> {
    let source = format!(
        "export const metadata = {{ name: '{name}', version: '1.0.0', description: 'a probe', \
         paramsSchema: {{ type: 'object' }} }};\n\
         export function evaluate(basket, context, params) {{ {body} }}\n"
    );
    remise::javascript::build(&source).unwrap_or_else(|e| panic!("the probe builds: {e}"))
}

/// The component bytes of catalogue plugin `name`.
pub fn catalogue(name: &str) -> &'static [u8] {
    remise::catalogue::plugin(name).unwrap_or_else(|| panic!("no catalogue plugin named {name}"))
}

/// Catalogue plugin `name` with its version `1.0.0` written `1.0.{patch}` (`patch` 1 to
/// 9): the same plugin as a new version, for uploads, rollbacks and deletions that need
/// one. The version is the one `1.0.0` of the component that is not a WIT package's
/// (`…@1.0.0`).
pub fn catalogue_version(name: &str, patch: u8) -> Vec<u8> {
    assert!((1..=9).contains(&patch), "patch {patch} is one digit");
    let mut bytes = catalogue(name).to_vec();
    let at: Vec<usize> = bytes
        .windows(5)
        .enumerate()
        .filter(|(i, window)| *window == b"1.0.0" && *i > 0 && bytes[i - 1] != b'@')
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        at.len(),
        1,
        "{name}'s component should hold its version once outside WIT package names"
    );
    bytes[at[0] + 4] = b'0' + patch;
    bytes
}

/// `component` with a custom section `name` holding `payload` appended: the same
/// component to wasmtime (custom sections carry no semantics and may end a component),
/// but other bytes, so another sha256. Makes many distinct plugins out of a few.
pub fn with_custom_section(component: &[u8], name: &str, payload: &[u8]) -> Vec<u8> {
    let mut content = leb128(name.len());
    content.extend_from_slice(name.as_bytes());
    content.extend_from_slice(payload);
    let mut bytes = component.to_vec();
    bytes.push(0x00); // custom section id
    bytes.extend(leb128(content.len()));
    bytes.extend(content);
    bytes
}

/// Unsigned LEB128.
fn leb128(mut value: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}
