//! Progress while the network is waited on: on a terminal, a spinner per resource or probe,
//! cleared when its guard is dropped; otherwise a plain line when each starts; in JSON mode,
//! nothing at all. Always on stderr, so stdout stays the result.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How progress is shown.
#[derive(Clone)]
pub enum Progress {
    Spinners(MultiProgress),
    Lines,
    Quiet,
}

impl Progress {
    /// Spinners on a terminal, lines otherwise, nothing for JSON output.
    pub fn new(json: bool) -> Progress {
        if json {
            Progress::Quiet
        } else if std::io::stderr().is_terminal() {
            Progress::Spinners(MultiProgress::with_draw_target(ProgressDrawTarget::stderr()))
        } else {
            Progress::Lines
        }
    }

    /// Shows `what` until the returned guard is dropped.
    pub fn start(&self, what: impl Into<String>) -> Spinner {
        let what = what.into();
        match self {
            Progress::Spinners(multi) => {
                let bar = multi.add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.set_message(what);
                bar.tick();
                bar.enable_steady_tick(Duration::from_millis(100));
                Spinner(Some(bar))
            }
            Progress::Lines => {
                eprintln!("{what}...");
                Spinner(None)
            }
            Progress::Quiet => Spinner(None),
        }
    }
}

/// A running spinner; dropping it clears it.
pub struct Spinner(Option<ProgressBar>);

impl Spinner {
    /// Changes what the spinner says (on a terminal; plain lines and JSON show nothing more).
    pub fn say(&self, what: impl Into<String>) {
        if let Some(bar) = &self.0 {
            bar.set_message(what.into());
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(bar) = self.0.take() {
            bar.finish_and_clear();
        }
    }
}
