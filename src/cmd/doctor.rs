//! `cruddur-obs doctor [DIR]`: finds the known mistakes of a Cruddur workspace, scaffolded or
//! wired by hand, and says how to fix each in one line.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::aws::AwsArgs;
use crate::doctor::probes::{self, Probes};
use crate::doctor::workspace::Workspace;
use crate::doctor::{render, repairs, run_checks, Status};
use crate::error::{Exit, Failure};
use crate::manifest::Manifest;

const EXAMPLES: &str = "Examples:
  cruddur-obs doctor                     # every check, the network ones included
  cruddur-obs doctor --offline           # only what the environment and the files tell
  cruddur-obs doctor --json              # the same results as JSON
  cruddur-obs doctor --send-test-item    # also posts a Rollbar test item
  cruddur-obs doctor --fix --offline     # repairs what it can in the files, after showing the diff
  cruddur-obs doctor --fix --dry-run     # only shows the repairs

Exit codes: 0 no errors (warnings allowed), 1 at least one error, 2 invalid input.
With --fix, the exit code is that of the checks run again after the repairs.
The network checks run at the same time, each bounded by --timeout.";

#[derive(Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct DoctorArgs {
    /// The workspace folder
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Skip every check that needs the network
    #[arg(long)]
    offline: bool,
    /// Seconds each network check may take
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    timeout: f64,
    /// Print the results as JSON
    #[arg(long)]
    json: bool,
    /// Post a live Rollbar item to check the token end to end
    #[arg(long)]
    send_test_item: bool,
    /// The traffic the X-Ray cost estimate assumes (0.1: about 360 requests an hour, 8 h a day, 22 days)
    #[arg(long, value_name = "RATE", default_value_t = 0.1)]
    requests_per_second: f64,
    /// Repair what can be repaired in the files: shows one diff, asks, writes all or nothing,
    /// then checks again
    #[arg(long)]
    fix: bool,
    /// With --fix: only show the repairs
    #[arg(long, requires = "fix")]
    dry_run: bool,
    /// With --fix: write the repairs without asking
    #[arg(long, short = 'y', requires = "fix")]
    yes: bool,
    #[command(flatten)]
    aws: AwsArgs,
}

pub async fn run(a: DoctorArgs) -> Result<Exit, Failure> {
    if !(a.timeout > 0.0 && a.timeout <= 300.0) {
        return Err(Failure::bad_input(format!(
            "--timeout: {} is out of range; allowed: more than 0 and at most 300 seconds",
            a.timeout
        )));
    }
    if !a.dir.is_dir() {
        return Err(Failure::bad_input(format!(
            "{} is not a folder",
            a.dir.display()
        )));
    }
    a.aws.validate_flags()?;
    let manifest = Manifest::load(&a.dir)?;
    if !(a.requests_per_second >= 0.0 && a.requests_per_second <= 100_000.0) {
        return Err(Failure::bad_input(format!(
            "--requests-per-second: {} is out of range; allowed: 0 to 100000",
            a.requests_per_second
        )));
    }
    let workspace = Workspace::load(&a.dir, manifest, a.requests_per_second);
    let probes = if a.offline {
        Probes::offline()
    } else {
        let options = probes::Options {
            timeout: Duration::from_secs_f64(a.timeout),
            aws: a.aws.clone(),
            send_test_item: a.send_test_item,
        };
        let progress = crate::progress::Progress::new(a.json);
        let _asking = progress.start("asking Honeycomb, AWS and Rollbar");
        probes::gather(&workspace, &options).await
    };
    let mut reports = run_checks(&crate::doctor::checks::ALL, &workspace, &probes, a.offline);
    let mut repaired = Vec::new();
    if a.fix {
        let plan = repairs::plan(&a.dir, &reports);
        if !a.json {
            repairs::show(&plan);
        }
        if !plan.changes.is_empty() && !a.dry_run {
            super::confirm_write(a.yes, "doctor --fix", "Make these repairs?")?;
            crate::edit::write_all(&a.dir, &plan.changes)
                .map_err(|e| crate::scaffold::write_failure(&e))?;
            if !a.json {
                let n = plan.changes.len();
                println!(
                    "\nrepaired {} finding{} in {n} file{}; `git diff` shows every edit. What is left:\n",
                    plan.made.len(),
                    if plan.made.len() == 1 { "" } else { "s" },
                    if n == 1 { "" } else { "s" },
                );
            }
            // The files changed, the network did not: the same probes, the checks again.
            let again = Workspace::load(&a.dir, Manifest::load(&a.dir)?, a.requests_per_second);
            reports = run_checks(&crate::doctor::checks::ALL, &again, &probes, a.offline);
            repaired = plan.made;
        } else if a.dry_run && !a.json {
            println!("\ndry run: nothing was written\n");
        }
    }
    let errors = reports.iter().any(|r| r.status == Status::Error);
    if a.json {
        crate::output::print_json(&serde_json::json!({
            "workspace": a.dir.display().to_string(),
            "manifest": workspace.has_manifest,
            "offline": a.offline,
            "repaired": repaired,
            "checks": reports,
        }));
    } else {
        let colour = std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let heading = format!(
            "cruddur-obs doctor: {} ({})",
            a.dir.display(),
            if workspace.has_manifest {
                "cruddur-obs.toml"
            } else {
                "no cruddur-obs.toml: checked as a hand-wired Cruddur"
            }
        );
        print!("{}", render::text(&reports, &heading, colour));
        if workspace.is_empty() {
            eprintln!("note: {} holds no Cruddur workspace (no cruddur-obs.toml, backend-flask/ or compose file)", a.dir.display());
        }
    }
    Ok(if errors { Exit::Failed } else { Exit::Ok })
}
