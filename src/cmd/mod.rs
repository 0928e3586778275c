//! One module per top-level command: its flags and its `run`.

pub mod completions;
pub mod doctor;
pub mod down;
pub mod env;
pub mod export;
pub mod honeycomb;
pub mod init;
pub mod logs;
pub mod rollbar;
pub mod up;
pub mod verify;
pub mod xray;

use std::io::IsTerminal;

use crate::error::Failure;

/// Asks on the terminal before files are written, unless `--yes` answered already. Without a
/// terminal to ask on, refuses with a bad-input failure (exit 2) saying how to go on; "no" stops
/// with exit 9 (not confirmed), nothing written.
pub fn confirm_write(yes: bool, command: &str, prompt: &str) -> Result<(), Failure> {
    if yes {
        return Ok(());
    }
    if !on_terminal() {
        return Err(Failure::bad_input(format!(
            "{command} edits your files and there is no terminal to ask on: nothing was written"
        ))
        .hint("read the changes above, then run again with --yes to write them (or --dry-run to only show them)"));
    }
    match ask(prompt)? {
        true => Ok(()),
        false => Err(Failure::not_confirmed("nothing was written")),
    }
}

/// Whether there is a terminal to ask on.
pub fn on_terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// A yes/no question on the terminal, no by default.
pub fn ask(question: &str) -> Result<bool, Failure> {
    dialoguer::Confirm::new()
        .with_prompt(question)
        .default(false)
        .interact()
        .map_err(|e| Failure::failed(format!("cannot read the answer: {e}")))
}
