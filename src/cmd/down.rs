//! `cruddur-obs down [DIR]` removes what `up` created, and nothing else: plan, confirm, apply,
//! render.

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
  cruddur-obs down               # lists what it would delete and asks
  cruddur-obs down demo --yes

Deletes only resources the workspace declares that carry the mark `up` put on them (AWS tags, a
Honeycomb board's tags, a saved query's description); a group, rule, log group, board or query of
the same name made another way is left alone. X-Ray's Default rule is never
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
    /// Delete in these regions at once (comma-separated), instead of one
    #[arg(
        long,
        value_name = "REGION,...",
        value_delimiter = ',',
        conflicts_with = "region"
    )]
    regions: Option<Vec<String>>,
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
    let areas = super::up::regions(&a.aws, a.regions.as_deref())?;
    let progress = Progress::new(a.out.json());
    // AWS (in each region) and Honeycomb are independent: one that cannot be reached leaves the
    // others to finish.
    let (regionals, hc) = {
        let _reading = progress.start(super::up::reading(&areas));
        let honeycomb_side =
            honeycomb::connect_and_read(desired.honeycomb.as_ref(), None, HONEYCOMB_TIMEOUT);
        tokio::join!(engine::plan_regions(&desired, &areas), honeycomb_side)
    };
    let mut regionals = regionals;
    if regionals.len() == 1 && hc.is_none() {
        if let Some(f) = regionals[0].failure.take() {
            return Err(f);
        }
    }
    // What exists, by where it is: a region's index, or None for Honeycomb (deleted by id).
    let mut found: Vec<(Option<usize>, engine::Resource, Result<bool, String>)> = Vec::new();
    for (i, r) in regionals.iter().enumerate() {
        for (res, ours) in engine::found(&r.state, &desired.workspace) {
            found.push((Some(i), res, ours));
        }
    }
    let mut ids = std::collections::BTreeMap::new();
    if let Some((_, hs)) = &hc {
        for (r, ours, id) in honeycomb::found(hs, &desired.workspace) {
            ids.insert(r.clone(), id);
            found.push((None, r, ours));
        }
    }
    let doomed: Vec<(Option<usize>, &engine::Resource)> = found
        .iter()
        .filter(|(_, _, ours)| *ours == Ok(true))
        .map(|(at, r, _)| (*at, r))
        .collect();
    // A resource that cannot be read is neither deleted nor kept: it fails, and the rest goes on.
    let mut unknown: Vec<engine::Outcome> = found
        .iter()
        .filter_map(|(_, r, ours)| ours.as_ref().err().map(|e| (r, e)))
        .map(|(r, e)| {
            engine::deleted(
                r,
                Err(Failure::failed(format!(
                    "its state could not be read, so it was left alone: {e}"
                ))),
            )
        })
        .collect();
    for r in regionals.iter_mut() {
        if let Some(f) = r.failure.take() {
            if !a.out.json() {
                println!("AWS cannot be reached in {}: {}", r.region, f.message);
            }
            unknown.insert(0, engine::Outcome::unreachable("AWS", f));
        }
    }
    if !a.out.json() {
        let show = |r: &engine::Resource, ours: &Result<bool, String>| match ours {
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
        };
        for (i, region) in regionals.iter().enumerate() {
            println!("workspace {} in {}:", desired.workspace, region.region);
            let here: Vec<_> = found.iter().filter(|(at, _, _)| *at == Some(i)).collect();
            for (_, r, ours) in &here {
                show(r, ours);
            }
            if here.is_empty() {
                println!("  nothing the workspace declares exists");
            }
        }
        if let Some((_, hs)) = &hc {
            println!("Honeycomb, dataset {}:", hs.dataset);
            let here: Vec<_> = found.iter().filter(|(at, _, _)| at.is_none()).collect();
            for (_, r, ours) in &here {
                show(r, ours);
            }
            if here.is_empty() {
                println!("  nothing the workspace declares exists");
            }
        }
    }
    if a.dry_run || (doomed.is_empty() && unknown.is_empty()) {
        if a.out.json() {
            print_json(
                &serde_json::json!({"dry_run": a.dry_run, "delete": doomed.iter().map(|(at, r)| match at {
                    Some(i) => format!("{} {} ({})", r.kind(), r.name(), regionals[*i].region),
                    None => format!("{} {}", r.kind(), r.name()),
                }).collect::<Vec<_>>()}),
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
    // The board before the queries it shows.
    let mut doomed = doomed;
    doomed.sort_by_key(|(_, r)| !matches!(r, engine::Resource::Board(_)));
    for (at, r) in doomed {
        let _deleting = progress.start(format!("deleting {} {}", r.kind(), r.name()));
        let result = match (at, ids.get(r), &hc) {
            (Some(i), _, _) => engine::delete(&regionals[i].clients, r).await,
            (None, Some(id), Some((Ok(c), hs))) => honeycomb::delete(c, &hs.dataset, r, id).await,
            _ => Err(Failure::failed("Honeycomb cannot be reached")),
        };
        outcomes.push(engine::deleted(r, result));
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
