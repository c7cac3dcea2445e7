//! The registry's compiled-code cache (`Loader::load`): known bytes are never compiled twice
//! by one loader, a fresh loader maps what an earlier one left in the cache directory, a
//! damaged file is compiled again, and a directory that cannot be written costs nothing
//! but the disk copy. Each test has runtimes of its own, so the counters are its own.

use crate::support;

use remise::registry::{CacheStats, Loader};
use remise::runtime::engine::PoolSize;
use remise::runtime::{Limits, LoadError, Runtime};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use support::*;

fn runtime_with(cache_dir: Option<PathBuf>) -> Loader {
    let runtime = Runtime::with_pool(PoolSize { instances: 4 }).expect("the runtime starts");
    Loader::new(Arc::new(runtime), cache_dir).expect("the cache dir is private")
}

fn threshold() -> &'static [u8] {
    remise_tests::catalogue("threshold-discount")
}

/// The plugin prices a basket: 10 % off 119.70 from 100.
fn prices_correctly(plugin: &remise::runtime::Plugin) {
    assert_eq!(plugin.metadata().name, "threshold-discount");
    let basket = lines(json!([
        { "id": "1", "sku": "TSHIRT-M", "quantity": 2, "unit_price": "19.90" },
        { "id": "2", "sku": "JEANS-32", "quantity": 1, "unit_price": "79.90" }
    ]));
    let params = json!({ "tiers": [ { "min_subtotal": "100.00", "percent_off": "10" } ] });
    assert_eq!(
        effects_of(plugin, params, &basket),
        vec![order(percent("10"))]
    );
}

/// The names of the files of `dir`, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("the cache dir is readable")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// The one cache file of `dir`.
fn only_file(dir: &Path) -> PathBuf {
    let names = files(dir);
    assert_eq!(names.len(), 1, "one file, no temporary left: {names:?}");
    dir.join(&names[0])
}

#[test]
fn loading_the_same_bytes_twice_compiles_once() {
    let runtime = runtime_with(None);
    assert_eq!(runtime.cache_dir(), None);
    let first = runtime.load(threshold(), Limits::default()).expect("loads");
    let second = runtime.load(threshold(), Limits::default()).expect("loads");
    assert_eq!(
        runtime.cache_stats(),
        CacheStats {
            memory_hits: 1,
            compiled: 1,
            ..CacheStats::default()
        }
    );
    assert_eq!(first.sha256(), second.sha256());
    prices_correctly(&first);
    prices_correctly(&second);
}

#[test]
fn every_check_still_runs_on_a_cache_hit() {
    let runtime = runtime_with(None);
    runtime.load(threshold(), Limits::default()).expect("loads");
    // Too little memory for the plugin to even start: less than its one 64 KiB page. Its
    // metadata is still read on the cache hit (setup calls run under at least the default limits, docs/plugin-contract.md
    // "Limits"), and the limits given are the ones its evaluations run under.
    let tight = Limits {
        memory_bytes: 32 << 10,
        ..Limits::default()
    };
    let cramped = runtime
        .load(threshold(), tight)
        .expect("its metadata reads under the default limits");
    assert_eq!(cramped.metadata().name, "threshold-discount");
    assert_eq!(cramped.limits().memory_bytes, 32 << 10);
    let basket = lines(json!([
        { "id": "1", "sku": "TSHIRT-M", "quantity": 2, "unit_price": "59.90" }
    ]));
    let params = json!({ "tiers": [ { "min_subtotal": "100.00", "percent_off": "10" } ] });
    let result = run(&cramped, params, &basket);
    assert!(result.is_err(), "ran in 32 KiB: {result:?}");
    assert_eq!(runtime.cache_stats().memory_hits, 1);
    assert_eq!(runtime.cache_stats().compiled, 1);

    // A refused component is not kept: loading it again compiles it again and refuses it
    // again.
    let forbidden = remise_tests::guest("forbidden-import");
    for _ in 0..2 {
        assert!(matches!(
            runtime.load(&forbidden, Limits::default()),
            Err(LoadError::ForbiddenImport(_))
        ));
    }
    assert_eq!(runtime.cache_stats().compiled, 3);
    assert_eq!(runtime.cache_stats().memory_hits, 1);
}

#[test]
fn a_fresh_runtime_loads_from_the_cache_dir_without_compiling() {
    let temp = tempfile::tempdir().expect("a temporary dir");
    let dir = temp.path().join("cache");
    let first = runtime_with(Some(dir.clone()));
    assert_eq!(first.cache_dir(), Some(dir.as_path()));
    let plugin = first.load(threshold(), Limits::default()).expect("loads");
    assert_eq!(
        first.cache_stats(),
        CacheStats {
            compiled: 1,
            disk_writes: 1,
            ..CacheStats::default()
        }
    );
    let file = only_file(&dir);
    let name = file
        .file_name()
        .and_then(|name| name.to_str())
        .expect("a UTF-8 name");
    assert!(
        name.starts_with(&format!("{}-", plugin.sha256())) && name.ends_with(".cwasm"),
        "named by the sha256 of the bytes and the engine: {name}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &Path| {
            std::fs::metadata(path)
                .expect("metadata")
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode(&dir), 0o700, "the cache dir is private");
        assert_eq!(mode(&file), 0o600, "its files are private");
    }
    // A refused component is not written.
    let forbidden = remise_tests::guest("forbidden-import");
    assert!(first.load(&forbidden, Limits::default()).is_err());
    assert_eq!(files(&dir).len(), 1);

    let second = runtime_with(Some(dir.clone()));
    let reloaded = second.load(threshold(), Limits::default()).expect("loads");
    assert_eq!(
        second.cache_stats(),
        CacheStats {
            disk_hits: 1,
            ..CacheStats::default()
        }
    );
    assert_eq!(reloaded.sha256(), plugin.sha256());
    prices_correctly(&reloaded);
    // Then from memory.
    let again = second.load(threshold(), Limits::default()).expect("loads");
    prices_correctly(&again);
    assert_eq!(second.cache_stats().memory_hits, 1);
    assert_eq!(second.cache_stats().compiled, 0);
}

#[test]
fn a_corrupted_cache_file_is_replaced_by_a_recompile() {
    let temp = tempfile::tempdir().expect("a temporary dir");
    let dir = temp.path().to_path_buf();
    runtime_with(Some(dir.clone()))
        .load(threshold(), Limits::default())
        .expect("loads");
    let file = only_file(&dir);
    let image = std::fs::read(&file).expect("the cache file");

    let damages: [(&str, Vec<u8>); 3] = [
        ("garbage", b"not compiled code at all".to_vec()),
        ("truncated", image[..image.len() / 2].to_vec()),
        ("empty", Vec::new()),
    ];
    for (damage, bytes) in damages {
        std::fs::write(&file, bytes).expect("damaging the cache file");
        let runtime = runtime_with(Some(dir.clone()));
        let plugin = runtime
            .load(threshold(), Limits::default())
            .unwrap_or_else(|e| panic!("{damage}: loads anyway: {e}"));
        assert_eq!(
            runtime.cache_stats(),
            CacheStats {
                compiled: 1,
                disk_writes: 1,
                disk_discarded: 1,
                ..CacheStats::default()
            },
            "{damage}"
        );
        prices_correctly(&plugin);
        let rewritten = std::fs::read(only_file(&dir)).expect("the new cache file");
        assert!(rewritten.len() > image.len() / 2, "{damage}: written again");
        let next = runtime_with(Some(dir.clone()));
        prices_correctly(&next.load(threshold(), Limits::default()).expect("loads"));
        assert_eq!(next.cache_stats().disk_hits, 1, "{damage}");
    }
}

#[test]
fn a_cache_dir_that_cannot_be_created_is_ignored() {
    let temp = tempfile::tempdir().expect("a temporary dir");
    // A regular file where the directory should be: not even root can create it.
    let blocker = temp.path().join("a-file");
    std::fs::write(&blocker, b"").expect("a file");
    let runtime = runtime_with(Some(blocker.join("cache")));
    assert_eq!(runtime.cache_dir(), None, "reported, then memory only");
    prices_correctly(&runtime.load(threshold(), Limits::default()).expect("loads"));
    assert_eq!(runtime.cache_stats().compiled, 1);
}

#[test]
fn a_cache_dir_that_cannot_be_written_is_ignored() {
    let temp = tempfile::tempdir().expect("a temporary dir");
    let dir = temp.path().join("cache");
    let runtime = runtime_with(Some(dir.clone()));
    // Gone after the start, and a file in its place: every write fails (root included).
    std::fs::remove_dir(&dir).expect("removing the cache dir");
    std::fs::write(&dir, b"").expect("a file in its place");
    prices_correctly(&runtime.load(threshold(), Limits::default()).expect("loads"));
    let other = remise_tests::catalogue("free-gift");
    runtime.load(other, Limits::default()).expect("loads");
    assert_eq!(
        runtime.cache_stats(),
        CacheStats {
            compiled: 2,
            disk_write_failures: 2,
            ..CacheStats::default()
        }
    );
    // Still cached in memory.
    runtime.load(threshold(), Limits::default()).expect("loads");
    assert_eq!(runtime.cache_stats().memory_hits, 1);
}

#[test]
fn a_custom_section_appended_makes_other_bytes_of_the_same_plugin() {
    let runtime = runtime_with(None);
    let plain = runtime.load(threshold(), Limits::default()).expect("loads");
    let marked = remise_tests::with_custom_section(threshold(), "remise-test", &7u32.to_le_bytes());
    let plugin = runtime
        .load(&marked, Limits::default())
        .expect("still a component");
    assert_ne!(plugin.sha256(), plain.sha256());
    assert_eq!(
        runtime.cache_stats().compiled,
        2,
        "other bytes, compiled apart"
    );
    prices_correctly(&plugin);
}

#[test]
fn a_flipped_byte_in_a_cache_file_is_compiled_again_never_run() {
    let temp = tempfile::tempdir().expect("a temporary dir");
    let dir = temp.path().to_path_buf();
    runtime_with(Some(dir.clone()))
        .load(threshold(), Limits::default())
        .expect("loads");
    let file = only_file(&dir);
    let image = std::fs::read(&file).expect("the cache file");

    // The first byte, one in the middle of the compiled code, the last one.
    for at in [0, image.len() / 2, image.len() - 1] {
        let mut damaged = image.clone();
        damaged[at] ^= 0x01;
        std::fs::write(&file, &damaged).expect("damaging the cache file");
        let runtime = runtime_with(Some(dir.clone()));
        let plugin = runtime
            .load(threshold(), Limits::default())
            .unwrap_or_else(|e| panic!("byte {at}: loads anyway: {e}"));
        assert_eq!(
            runtime.cache_stats(),
            CacheStats {
                compiled: 1,
                disk_writes: 1,
                disk_discarded: 1,
                ..CacheStats::default()
            },
            "byte {at} of {} flipped: refused and compiled again, not deserialized",
            image.len()
        );
        prices_correctly(&plugin);
        let next = runtime_with(Some(dir.clone()));
        prices_correctly(&next.load(threshold(), Limits::default()).expect("loads"));
        assert_eq!(next.cache_stats().disk_hits, 1, "byte {at}: written again");
    }
}

/// `dir` created with mode `mode` (whatever the umask).
#[cfg(unix)]
fn dir_with_mode(dir: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).expect("a dir");
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[cfg(unix)]
#[test]
fn a_cache_dir_others_can_write_is_refused() {
    let temp = tempfile::tempdir().expect("a temporary dir");
    for mode in [0o777, 0o770, 0o702, 0o1777] {
        let dir = temp.path().join(format!("cache-{mode:o}"));
        dir_with_mode(&dir, mode);
        let runtime = Runtime::with_pool(PoolSize { instances: 4 }).expect("the runtime starts");
        match Loader::new(Arc::new(runtime), Some(dir.clone())) {
            Err(error) => {
                let message = error.to_string();
                assert!(
                    message.contains(&dir.display().to_string())
                        && message.contains("writable by group or others"),
                    "{mode:o}: {message}"
                );
            }
            Ok(_) => panic!("mode {mode:o}: a cache dir others can write must be refused"),
        }
    }
    // Its own dir, private, is fine.
    let private = temp.path().join("private");
    dir_with_mode(&private, 0o700);
    assert_eq!(
        runtime_with(Some(private.clone())).cache_dir(),
        Some(private.as_path())
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn the_service_does_not_start_on_a_world_writable_cache_dir() {
    let temp = tempfile::tempdir().expect("a temporary dir");
    let dir = temp.path().join("cache");
    dir_with_mode(&dir, 0o777);
    let database_url = remise::store::testing::fresh_database_url(temp.path(), "remise").await;
    let options = remise::serve::ServeOptions {
        cache_dir: Some(dir.clone()),
        ..remise_tests::http::options(database_url)
    };
    match remise::serve::start(&options).await {
        Err(error) => {
            let message = error.to_string();
            assert!(
                message.contains(&dir.display().to_string())
                    && message.contains("writable by group or others")
                    && message.contains("chmod 700"),
                "a clear message: {message}"
            );
        }
        Ok(_) => panic!("the service must not start on a world-writable cache dir"),
    }
}

#[cfg(unix)]
#[test]
fn a_cache_dir_another_user_owns_is_refused() {
    let temp = tempfile::tempdir().expect("a temporary dir");
    let dir = temp.path().join("cache");
    dir_with_mode(&dir, 0o700);
    // Only root may give a folder away; elsewhere there is nothing to test.
    if let Err(error) = std::os::unix::fs::chown(&dir, Some(65_534), None) {
        eprintln!("skipped: cannot give the folder to another user ({error})");
        return;
    }
    let runtime = Runtime::with_pool(PoolSize { instances: 4 }).expect("the runtime starts");
    match Loader::new(Arc::new(runtime), Some(dir.clone())) {
        Err(error) => assert!(error.to_string().contains("owned by uid 65534"), "{error}"),
        Ok(_) => panic!("a cache dir another user owns must be refused"),
    }
}
