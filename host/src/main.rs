//! The `remise` binary: parses flags and hands over to [`remise::cli`].

use clap::Parser;
use std::process::ExitCode;

/// The binary's allocator (the library leaves the choice to whoever links it).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = remise::cli::Cli::parse();
    match remise::cli::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("remise: {error:#}");
            ExitCode::from(2)
        }
    }
}
