//! `cruddur-obs completions SHELL`: the shell completion script, on stdout.

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::{Exit, Failure};

pub fn run(shell: clap_complete::Shell) -> Result<Exit, Failure> {
    clap_complete::generate(
        shell,
        &mut Cli::command(),
        "cruddur-obs",
        &mut std::io::stdout(),
    );
    Ok(Exit::Ok)
}
