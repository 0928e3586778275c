//! `cruddur-obs up [DIR]` provisions everything the workspace declares, idempotently: plan,
//! confirm, apply, render.

use std::path::PathBuf;

use clap::Args;

use crate::aws::AwsArgs;
use crate::error::{Exit, Failure};
use crate::output::{print_json, OutputArgs};
use crate::progress::Progress;
use crate::provision::{self, engine};

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  cruddur-obs up                 # shows the plan, asks before changing anything that exists
  cruddur-obs up demo --yes      # no questions
  cruddur-obs up --dry-run       # the plan only

Reads cruddur-obs.toml and aws/json/*.json: the X-Ray group and sampling rules, the log group with
its retention. Everything it creates is tagged managed-by=cruddur-obs, so `down` can tell it from
yours. Running it again changes nothing. If one resource fails, the others still finish and the
exit code is 1; the next `up` picks up where it stopped.")]
pub struct UpArgs {
    /// The workspace folder
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Change what exists without asking
    #[arg(long, short = 'y')]
    yes: bool,
    /// Show the plan and change nothing
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    aws: AwsArgs,
    #[command(flatten)]
    out: OutputArgs,
}

pub async fn run(a: UpArgs) -> Result<Exit, Failure> {
    // Plan.
    let (_, desired) = provision::desired(&a.dir)?;
    a.aws.validate(crate::aws::Service::Xray)?;
    let clients = engine::connect(&desired, &a.aws).await?;
    let progress = Progress::new(a.out.json());
    let mut state = {
        let _reading = progress.start(format!("reading what exists in {}", clients.region));
        engine::read(&clients, &desired).await
    };
    let steps = engine::plan(&mut state, &desired.workspace);
    let pending = steps.iter().filter(|s| s.is_pending()).count();
    let updates = steps.iter().filter(|s| s.is_update()).count();
    if !a.out.json() {
        println!("workspace {} in {}:", desired.workspace, clients.region);
        for s in &steps {
            println!("{}", s.describe());
        }
    }
    if a.dry_run {
        if a.out.json() {
            print_json(&serde_json::json!({"dry_run": true, "plan": steps}));
        }
        return Ok(Exit::Ok);
    }
    if pending == 0 {
        if a.out.json() {
            print_json(&serde_json::json!({"dry_run": false, "plan": steps, "results": []}));
        } else {
            println!("nothing to do: everything is as declared");
        }
        return Ok(Exit::Ok);
    }

    // Confirm: only what exists with other settings needs a yes.
    if updates > 0 && !a.yes {
        if !super::on_terminal() {
            return Err(Failure::new(
                Exit::Drift,
                format!("{updates} resource(s) exist with other settings; nothing was changed"),
            )
            .hint("re-run with --yes to update them (on a terminal you are asked instead)"));
        }
        if !super::ask(&format!("Update {updates} resource(s) that exist?"))? {
            return Err(Failure::not_confirmed("nothing was changed"));
        }
    }

    // Apply: independent resources at the same time; one failing does not stop the others.
    let outcomes = {
        let _applying = progress.start(format!("applying {pending} change(s)"));
        engine::apply(&clients, &state, &steps).await
    };

    // Render.
    let failed = outcomes.iter().filter(|o| o.failed()).count();
    if a.out.json() {
        print_json(&serde_json::json!({"dry_run": false, "plan": steps, "results": outcomes}));
    } else {
        println!();
        for o in &outcomes {
            match &o.error {
                Some(e) => println!("failed     {} {}: {e}", o.kind, o.name),
                None => println!("{:10} {} {}", o.result, o.kind, o.name),
            }
        }
        let count = |r: &str| outcomes.iter().filter(|o| o.result == r).count();
        println!(
            "{} created, {} updated, {} unchanged, {failed} failed",
            count("created"),
            count("updated"),
            count("unchanged")
        );
    }
    if failed > 0 {
        // One exit code for all: theirs when they agree (all credentials, say), else 1.
        let exit = Exit::merge(outcomes.iter().map(|o| o.exit));
        return Err(Failure::new(
            exit,
            format!("{failed} of {} resources failed", outcomes.len()),
        )
        .hint("run cruddur-obs up again when the cause is fixed: it continues from what exists"));
    }
    Ok(Exit::Ok)
}
