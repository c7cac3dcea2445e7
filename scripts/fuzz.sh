#!/usr/bin/env bash
# Fuzzes the ground floor (remise-model) with cargo-fuzz and libFuzzer: each target of
# fuzz/ (basket_json, effects, params) runs over its committed corpus (fuzz/corpus/<target>/)
# for SECONDS (default 60) from a fixed seed, so a run is repeatable. New inputs go to a
# scratch folder, not into the corpus; a crash is saved in fuzz/artifacts/<target>/ and
# fails the script. Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
# Needs `cargo install cargo-fuzz` (.ci/run installs it).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(basket_json effects params)

# No sanitizer: AddressSanitizer needs a nightly compiler (this toolchain is stable), and
# the code under test has no `unsafe`. Coverage instrumentation and debug assertions
# (overflow checks) stay on; a panic is a crash.
cargo fuzz build --sanitizer none

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for target in "${targets[@]}"; do
    dict=()
    case "$target" in basket_json | params) dict=(-dict=fuzz/json.dict) ;; esac
    mkdir -p "$scratch/$target"
    echo "== fuzz $target for ${seconds}s" >&2
    cargo fuzz run --sanitizer none "$target" "$scratch/$target" "fuzz/corpus/$target" -- \
        -seed=1 -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 \
        -print_final_stats=1 "${dict[@]}"
done
