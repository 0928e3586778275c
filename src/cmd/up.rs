//! `cruddur-obs up [DIR]` provisions everything the workspace declares, idempotently: plan,
//! confirm, apply, render.

use std::path::PathBuf;

use clap::Args;

use crate::aws::AwsArgs;
use crate::error::{Exit, Failure};
use crate::output::{print_json, OutputArgs};
use crate::progress::Progress;
use crate::provision::{self, engine, honeycomb};

/// How long to wait for each answer from Honeycomb.
const HONEYCOMB_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  cruddur-obs up                 # shows the plan, asks before changing anything that exists
  cruddur-obs up demo --yes      # no questions
  cruddur-obs up --dry-run       # the plan only
  cruddur-obs up --yes --marker \"deploy $(git rev-parse --short HEAD)\"

Reads cruddur-obs.toml and aws/json/*.json: the X-Ray group and sampling rules, the log group with
its retention; and honeycomb/queries.json: saved queries and a board in Honeycomb, with a
configuration key that may manage queries and boards (HONEYCOMB_CONFIGURATION_KEY, else
HONEYCOMB_API_KEY). What it creates carries its mark (AWS tags managed-by=cruddur-obs, a board's
tags, a query's description), so `down` can tell it from yours. Running it again changes nothing.
If one resource fails, the others still finish (AWS and Honeycomb alike) and the exit code is not
0 (`cruddur-obs --help` lists them); the next `up` picks up where it stopped.")]
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
    /// Also mark a deploy in Honeycomb with this message (POST /1/markers)
    #[arg(long, value_name = "MESSAGE")]
    marker: Option<String>,
    #[command(flatten)]
    aws: AwsArgs,
    #[command(flatten)]
    out: OutputArgs,
}

pub async fn run(a: UpArgs) -> Result<Exit, Failure> {
    // Plan: every input is checked before any call.
    let (manifest, mut desired) = provision::desired(&a.dir)?;
    a.aws.validate(crate::aws::Service::Xray)?;
    if let Some(message) = &a.marker {
        if !manifest.honeycomb.enabled {
            return Err(Failure::bad_input(
                "--marker marks a deploy in Honeycomb, which is off in cruddur-obs.toml",
            ));
        }
        let length = message.chars().count();
        if message.trim().is_empty() || length > 1024 {
            return Err(Failure::bad_input(format!(
                "--marker: the message is {}; allowed: 1 to 1024 characters",
                if message.trim().is_empty() {
                    "empty".to_string()
                } else {
                    format!("{length} characters long")
                }
            )));
        }
        desired.honeycomb.get_or_insert_with(|| {
            let file = crate::queries::QueriesFile {
                dataset: None,
                queries: vec![],
                board: None,
            };
            honeycomb::HoneycombDesired {
                source: "--marker".into(),
                dataset: file.dataset(&manifest.workspace.service),
                file,
            }
        });
    }
    let progress = Progress::new(a.out.json());
    // AWS and Honeycomb are independent: one that cannot be reached leaves the other to finish.
    let (clients, aws_failure) = match engine::connect(&desired, &a.aws).await {
        Ok(c) => (c, None),
        Err(f) if desired.honeycomb.is_some() => (engine::Clients::none(), Some(f)),
        Err(f) => return Err(f),
    };
    let (mut state, hc) = {
        let _reading = progress.start(format!("reading what exists in {}", clients.region));
        let aws_side = engine::read(&clients, &desired);
        let honeycomb_side = async {
            match &desired.honeycomb {
                None => None,
                Some(d) => {
                    let connected = honeycomb::connect(HONEYCOMB_TIMEOUT).await;
                    let state = honeycomb::read(&connected, d, a.marker.as_deref()).await;
                    Some((connected, state))
                }
            }
        };
        tokio::join!(aws_side, honeycomb_side)
    };
    let mut steps = engine::plan(&mut state, &desired.workspace);
    let aws_steps = steps.len();
    if let Some((_, hs)) = &hc {
        steps.extend(honeycomb::plan(hs, &desired.workspace));
    }
    let pending =
        steps.iter().filter(|s| s.is_pending()).count() + usize::from(aws_failure.is_some());
    let updates = steps.iter().filter(|s| s.is_update()).count();
    if !a.out.json() {
        match &aws_failure {
            None => println!("workspace {} in {}:", desired.workspace, clients.region),
            Some(f) => println!(
                "workspace {}: AWS cannot be reached: {}",
                desired.workspace, f.message
            ),
        }
        for s in &steps[..aws_steps] {
            println!("{}", s.describe());
        }
        if let Some((_, hs)) = &hc {
            println!("Honeycomb, dataset {}:", hs.dataset);
            for s in &steps[aws_steps..] {
                println!("{}", s.describe());
            }
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
    let mut outcomes = {
        let _applying = progress.start(format!("applying {pending} change(s)"));
        let honeycomb_side = async {
            match &hc {
                Some((connected, hs)) => {
                    honeycomb::apply(connected, hs, &steps[aws_steps..], &desired.workspace).await
                }
                None => vec![],
            }
        };
        let (mut aws, honeycomb) = tokio::join!(
            engine::apply(&clients, &state, &steps[..aws_steps]),
            honeycomb_side
        );
        aws.extend(honeycomb);
        aws
    };
    if let Some(f) = aws_failure {
        outcomes.insert(0, engine::Outcome::unreachable("AWS", f));
    }

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
