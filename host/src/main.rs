//! The `remise` binary: parses flags and hands over to [`remise::cli`].

use clap::Parser;
use std::process::ExitCode;

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
