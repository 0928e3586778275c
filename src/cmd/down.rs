//! `cruddur-obs down [DIR]` removes what `up` created, and nothing else: plan, confirm, apply,
//! render.

use std::path::PathBuf;

use clap::Args;

use crate::aws::AwsArgs;
use crate::error::{Exit, Failure};
use crate::output::{print_json, OutputArgs};
use crate::progress::Progress;
use crate::provision::{self, engine};

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  cruddur-obs down               # lists what it would delete and asks
  cruddur-obs down demo --yes

Deletes only resources the workspace declares that carry the tags `up` put on them; a group, rule
or log group of the same name created another way is left alone. X-Ray's Default rule is never
deleted. Without a terminal it needs --yes.")]
pub struct DownArgs {
    /// The workspace folder
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Delete without asking
    #[arg(long, short = 'y')]
    yes: bool,
    /// List what would be deleted and delete nothing
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    aws: AwsArgs,
    #[command(flatten)]
    out: OutputArgs,
}

pub async fn run(a: DownArgs) -> Result<Exit, Failure> {
    // Plan.
    let (_, desired) = provision::desired(&a.dir)?;
    a.aws.validate(crate::aws::Service::Xray)?;
    if !a.yes && !a.dry_run && !super::on_terminal() {
        return Err(Failure::bad_input(
            "down deletes resources, and there is no terminal to confirm on",
        )
        .hint("pass --yes to delete without asking"));
    }
    let clients = engine::connect(&desired, &a.aws).await?;
    let progress = Progress::new(a.out.json());
    let state = {
        let _reading = progress.start(format!("reading what exists in {}", clients.region));
        engine::read(&clients, &desired).await
    };
    let found = engine::found(&state, &desired.workspace);
    let doomed: Vec<&engine::Resource> = found
        .iter()
        .filter(|(_, ours)| *ours == Ok(true))
        .map(|(r, _)| r)
        .collect();
    // A resource that cannot be read is neither deleted nor kept: it fails, and the rest goes on.
    let unknown: Vec<engine::Outcome> = found
        .iter()
        .filter_map(|(r, ours)| ours.as_ref().err().map(|e| (r, e)))
        .map(|(r, e)| {
            engine::deleted(
                r,
                Err(Failure::failed(format!(
                    "its state could not be read, so it was left alone: {e}"
                ))),
            )
        })
        .collect();
    if !a.out.json() {
        println!("workspace {} in {}:", desired.workspace, clients.region);
        for (r, ours) in &found {
            match ours {
                Ok(true) => println!("  delete     {} {}", r.kind(), r.name()),
                Ok(false) => println!(
                    "  keep       {} {} (not created by cruddur-obs up)",
                    r.kind(),
                    r.name()
                ),
                Err(e) => println!(
                    "  unknown    {} {}: cannot be read: {e}",
                    r.kind(),
                    r.name()
                ),
            }
        }
        if found.is_empty() {
            println!("  nothing the workspace declares exists");
        }
    }
    if a.dry_run || (doomed.is_empty() && unknown.is_empty()) {
        if a.out.json() {
            print_json(
                &serde_json::json!({"dry_run": a.dry_run, "delete": doomed.iter().map(|r| format!("{} {}", r.kind(), r.name())).collect::<Vec<_>>()}),
            );
        }
        return Ok(Exit::Ok);
    }

    // Confirm.
    if !doomed.is_empty()
        && !a.yes
        && !super::ask(&format!("Delete these {} resource(s)?", doomed.len()))?
    {
        return Err(Failure::not_confirmed("nothing was deleted"));
    }

    // Apply, one resource at a time; a failure does not stop the others.
    let mut outcomes = unknown;
    for r in doomed {
        let _deleting = progress.start(format!("deleting {} {}", r.kind(), r.name()));
        outcomes.push(engine::deleted(r, engine::delete(&clients, r).await));
    }

    // Render.
    let failed = outcomes.iter().filter(|o| o.failed()).count();
    if a.out.json() {
        print_json(&serde_json::json!({"dry_run": false, "results": outcomes}));
    } else {
        for o in &outcomes {
            match &o.error {
                Some(e) => println!("failed     {} {}: {e}", o.kind, o.name),
                None => println!("deleted    {} {}", o.kind, o.name),
            }
        }
    }
    if failed > 0 {
        // One exit code for all: theirs when they agree (all credentials, say), else 1.
        let exit = Exit::merge(outcomes.iter().map(|o| o.exit));
        return Err(Failure::new(
            exit,
            format!("{failed} of {} deletions failed", outcomes.len()),
        )
        .hint("run cruddur-obs down again"));
    }
    Ok(Exit::Ok)
}
