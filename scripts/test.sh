#!/usr/bin/env bash
# The whole test suite, on both databases: everything on SQLite (unit tests, real .wasm
# plugins, hostile guests, CLI, the console in headless Chromium, bench smoke runs), then
# every test again on a throwaway PostgreSQL (scripts/with-postgres.sh), where the
# many-host tests (tests/tests/cluster.rs, faults.rs) run too. Between the two, the SDK's
# doctests and `cargo package -p remise-sdk`. Builds once, in release.
# Extra arguments go to both cargo test runs (e.g. --locked).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== tests on SQLite" >&2
cargo test --release --workspace --all-targets "$@"

echo "== the SDK: its guide's doctests, and the crate packages on its own (WIT inside)" >&2
cargo test --release -p remise-sdk --doc "$@"
cargo package -p remise-sdk --allow-dirty "$@"

# The browser test drives the console, which reads the API the same on either database;
# it ran above (42 s), so the second run skips it.
echo "== tests on PostgreSQL" >&2
scripts/with-postgres.sh cargo test --release --workspace --tests "$@" \
    -- --skip the_console_works_in_a_real_browser
