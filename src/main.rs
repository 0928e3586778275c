//! cruddur-obs: observability for the Cruddur app, wired and provisioned right.

mod aws;
mod cli;
mod cmd;
mod doctor;
mod drift;
mod edit;
mod error;
mod export;
mod files;
mod group;
mod honeycomb;
mod honeycomb_api;
mod http;
mod input;
mod instrument;
mod log_group;
mod logs;
mod manifest;
mod output;
mod progress;
mod provision;
mod queries;
mod rollbar;
mod sampling_rule;
mod scaffold;
mod secret;
mod tags;
mod trace_tree;
mod validate;
mod variables;
mod xray;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::error::{Exit, Failure};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Completions { shell } => cmd::completions::run(shell),
        Command::Init(args) => cmd::init::run(args),
        Command::Env(args) => cmd::env::run(args),
        Command::Xray(c) => block_on(cmd::xray::run(c)),
        Command::Logs(c) => block_on(cmd::logs::run(c)),
        Command::Up(a) => block_on(cmd::up::run(a)),
        Command::Down(a) => block_on(cmd::down::run(a)),
        Command::Doctor(a) => block_on(cmd::doctor::run(a)),
        Command::Verify(a) => block_on(cmd::verify::run(a)),
        Command::Export(c) => cmd::export::run(c),
        Command::Honeycomb(c) => block_on(cmd::honeycomb::run(c)),
        Command::Rollbar(c) => block_on(cmd::rollbar::run(c)),
    };
    match result {
        Ok(exit) => exit.into(),
        Err(failure) => {
            report(&failure);
            failure.exit.into()
        }
    }
}

/// Runs a command that talks to the network on a single-threaded runtime: quick to start, and
/// enough for a few calls at a time.
fn block_on(
    command: impl std::future::Future<Output = Result<Exit, Failure>>,
) -> Result<Exit, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::failed(format!("cannot start: {e}")))?
        .block_on(command)
}

/// The one place errors are printed.
fn report(failure: &Failure) {
    eprintln!("error: {}", failure.message);
    if let Some(hint) = &failure.hint {
        eprintln!("hint: {hint}");
    }
}

/// Proptest's settings for every property test: PROPTEST_CASES cases when set, else `default`,
/// and no failure files written into the tree.
#[cfg(test)]
fn proptest_config(default: u32) -> proptest::prelude::ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    proptest::prelude::ProptestConfig {
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::with_cases(cases)
    }
}
