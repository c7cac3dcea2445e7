//! Shared helpers of the integration tests: the test guests built by `build.rs`, and the
//! catalogue plugins as the `remise` binary embeds them.

include!(concat!(env!("OUT_DIR"), "/guests.rs"));

/// The component bytes of test guest `name` (a crate of `tests/guests/`).
pub fn guest(name: &str) -> Vec<u8> {
    let path = GUESTS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, path)| *path)
        .unwrap_or_else(|| panic!("no test guest named {name}"));
    std::fs::read(path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// The component bytes of catalogue plugin `name`.
pub fn catalogue(name: &str) -> &'static [u8] {
    remise::catalogue::plugin(name).unwrap_or_else(|| panic!("no catalogue plugin named {name}"))
}
