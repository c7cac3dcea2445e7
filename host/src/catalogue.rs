//! The catalogue plugins of docs/api.md, built from `plugins/` by `build.rs` and embedded in
//! the binary, so `remise` serves them with nothing else installed.

include!(concat!(env!("OUT_DIR"), "/catalogue.rs"));

/// The component bytes of catalogue plugin `name`.
pub fn plugin(name: &str) -> Option<&'static [u8]> {
    PLUGINS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, bytes)| *bytes)
}
