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
    /// Apply the workspace in these regions at once (comma-separated), instead of one
    #[arg(
        long,
        value_name = "REGION,...",
        value_delimiter = ',',
        conflicts_with = "region"
    )]
    regions: Option<Vec<String>>,
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
    let areas = regions(&a.aws, a.regions.as_deref())?;
    let progress = Progress::new(a.out.json());
    // AWS (in each region) and Honeycomb are independent: one that cannot be reached leaves the
    // others to finish.
    let (regionals, hc) = {
        let _reading = progress.start(super::up::reading(&areas));
        let honeycomb_side = honeycomb::connect_and_read(
            desired.honeycomb.as_ref(),
            a.marker.as_deref(),
            HONEYCOMB_TIMEOUT,
        );
        tokio::join!(engine::plan_regions(&desired, &areas), honeycomb_side)
    };
    let mut regionals = regionals;
    // One region and nothing else to do: AWS that cannot be reached is the whole answer.
    if regionals.len() == 1 && hc.is_none() {
        if let Some(f) = regionals[0].failure.take() {
            return Err(f);
        }
    }
    let honeycomb_steps = match &hc {
        Some((_, hs)) => honeycomb::plan(hs, &desired.workspace),
        None => vec![],
    };
    let all_steps = || {
        regionals
            .iter()
            .flat_map(|r| r.steps.iter())
            .chain(honeycomb_steps.iter())
    };
    let pending = all_steps().filter(|s| s.is_pending()).count()
        + regionals.iter().filter(|r| r.failure.is_some()).count();
    let updates = all_steps().filter(|s| s.is_update()).count();
    // The plan as JSON: each AWS step with its region.
    let plan_json: Vec<serde_json::Value> = regionals
        .iter()
        .flat_map(|r| {
            r.steps.iter().map(|s| {
                let mut v = serde_json::to_value(s).unwrap_or_default();
                v["region"] = r.region.clone().into();
                v
            })
        })
        .chain(
            honeycomb_steps
                .iter()
                .map(|s| serde_json::to_value(s).unwrap_or_default()),
        )
        .collect();
    if !a.out.json() {
        for r in &regionals {
            match &r.failure {
                None => println!("workspace {} in {}:", desired.workspace, r.region),
                Some(f) => println!(
                    "workspace {} in {}: AWS cannot be reached: {}",
                    desired.workspace, r.region, f.message
                ),
            }
            for s in &r.steps {
                println!("{}", s.describe());
            }
        }
        if let Some((_, hs)) = &hc {
            println!("Honeycomb, dataset {}:", hs.dataset);
            for s in &honeycomb_steps {
                println!("{}", s.describe());
            }
        }
    }
    if a.dry_run {
        if a.out.json() {
            print_json(&serde_json::json!({"dry_run": true, "plan": plan_json}));
        }
        return Ok(Exit::Ok);
    }
    if pending == 0 {
        if a.out.json() {
            print_json(&serde_json::json!({"dry_run": false, "plan": plan_json, "results": []}));
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

    // Apply: regions and independent resources at the same time; one failing does not stop the
    // others.
    let (by_region, honeycomb_outcomes) = {
        let _applying = progress.start(format!("applying {pending} change(s)"));
        let honeycomb_side = async {
            match &hc {
                Some((connected, hs)) => {
                    honeycomb::apply(connected, hs, &honeycomb_steps, &desired.workspace).await
                }
                None => vec![],
            }
        };
        tokio::join!(engine::apply_regions(regionals), honeycomb_side)
    };
    let outcomes: Vec<&engine::Outcome> = by_region
        .iter()
        .flat_map(|(_, o)| o.iter())
        .chain(honeycomb_outcomes.iter())
        .collect();

    // Render.
    let failed = outcomes.iter().filter(|o| o.failed()).count();
    if a.out.json() {
        let results: Vec<serde_json::Value> = by_region
            .iter()
            .flat_map(|(region, o)| {
                o.iter().map(move |o| {
                    let mut v = serde_json::to_value(o).unwrap_or_default();
                    v["region"] = region.clone().into();
                    v
                })
            })
            .chain(
                honeycomb_outcomes
                    .iter()
                    .map(|o| serde_json::to_value(o).unwrap_or_default()),
            )
            .collect();
        print_json(&serde_json::json!({"dry_run": false, "plan": plan_json, "results": results}));
    } else {
        println!();
        let several = by_region.len() > 1;
        let line = |o: &engine::Outcome| match &o.error {
            Some(e) => println!("failed     {} {}: {e}", o.kind, o.name),
            None => println!("{:10} {} {}", o.result, o.kind, o.name),
        };
        for (region, list) in &by_region {
            if several {
                println!("in {region}:");
            }
            list.iter().for_each(line);
        }
        if several && !honeycomb_outcomes.is_empty() {
            println!("in Honeycomb:");
        }
        honeycomb_outcomes.iter().for_each(line);
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

/// The AWS settings for each region the run covers: those of `--regions`, each checked and named
/// once, or the one region the flags and variables give.
pub fn regions(aws: &AwsArgs, list: Option<&[String]>) -> Result<Vec<AwsArgs>, Failure> {
    let Some(list) = list else {
        return Ok(vec![aws.clone()]);
    };
    let mut seen = Vec::new();
    for r in list {
        let r = r.trim();
        crate::aws::check_region("--regions", r)?;
        if seen.iter().any(|s: &String| s == r) {
            return Err(Failure::bad_input(format!(
                "--regions: \"{r}\" is given twice; allowed: each region once"
            )));
        }
        seen.push(r.to_string());
    }
    if seen.is_empty() {
        return Err(Failure::bad_input(
            "--regions: no region given; allowed: a comma-separated list such as us-east-1,eu-west-1",
        ));
    }
    Ok(seen
        .into_iter()
        .map(|r| AwsArgs {
            region: Some(r),
            ..aws.clone()
        })
        .collect())
}

/// What the spinner says while the regions are read.
pub fn reading(areas: &[AwsArgs]) -> String {
    let named: Vec<String> = areas.iter().filter_map(|x| x.region_hint()).collect();
    if named.is_empty() {
        "reading what exists".to_string()
    } else {
        format!("reading what exists in {}", named.join(", "))
    }
}
