//! cruddur-obs: observability for the Cruddur app, wired and provisioned right.

mod aws;
mod cli;
mod cmd;
mod drift;
mod error;
mod group;
mod input;
mod log_group;
mod logs;
mod output;
mod sampling_rule;
mod tags;
mod validate;
mod xray;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command};
use crate::error::{Exit, Failure};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "cruddur-obs",
                &mut std::io::stdout(),
            );
            Ok(Exit::Ok)
        }
        command => run_async(command),
    };
    match result {
        Ok(exit) => exit.into(),
        Err(failure) => {
            report(&failure);
            failure.exit.into()
        }
    }
}

fn run_async(command: Command) -> Result<Exit, Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::failed(format!("cannot start: {e}")))?;
    runtime.block_on(async move {
        match command {
            Command::Xray(c) => cmd::xray::run(c).await,
            Command::Logs(c) => cmd::logs::run(c).await,
            Command::Completions { .. } => Ok(Exit::Ok),
        }
    })
}

/// The one place errors are printed.
fn report(failure: &Failure) {
    eprintln!("error: {}", failure.message);
    if let Some(hint) = &failure.hint {
        eprintln!("hint: {hint}");
    }
}
