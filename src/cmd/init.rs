//! `cruddur-obs init [DIR]`: instruments the Cruddur app in DIR in place (when it holds
//! backend-flask/app.py), or scaffolds a workspace whose backend sends traces, segments, logs and
//! errors; from a few answers given as flags or at prompts.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;

use crate::error::{Exit, Failure};
use crate::instrument::{self, Options};
use crate::manifest::{Host, Manifest};
use crate::output::{print_json, OutputArgs};
use crate::scaffold::{self, Action};

const EXAMPLES: &str = "Examples:
  cruddur-obs init                       # in your Cruddur repository: shows the diff, asks, edits
  cruddur-obs init --dry-run             # shows the plan and the diff, writes nothing
  cruddur-obs init --yes                 # writes without asking
  cruddur-obs init demo --yes            # an empty folder: scaffolds a whole workspace
  cruddur-obs init --host gitpod --region ca-central-1 --no-rollbar --frontend-collector

In a repository with backend-flask/app.py, init edits your files minimally (app.py,
requirements.txt, .gitpod.yml or devcontainer.json, .gitignore, two services) and adds new files
only where none exist; your compose file stays as it is and our services go into its override
file. Parts you wired by hand are left as they are (--take-over replaces them). Re-running
changes nothing.";

#[derive(Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct InitArgs {
    /// The workspace folder (created when missing)
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// The backend's service name: OTEL_SERVICE_NAME, X-Ray segment name and sampling rule service [default: backend-flask]
    #[arg(long, value_name = "NAME")]
    service: Option<String>,
    /// Where the workspace runs [default: detected, else local]
    #[arg(long, value_enum)]
    host: Option<Host>,
    /// AWS region for X-Ray, CloudWatch Logs and the X-Ray daemon [default: $AWS_DEFAULT_REGION, $AWS_REGION, else us-east-1]
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    /// Wire Honeycomb through OpenTelemetry (on by default)
    #[arg(long, overrides_with = "no_honeycomb")]
    honeycomb: bool,
    #[arg(long, hide = true)]
    no_honeycomb: bool,
    /// Wire AWS X-Ray: SDK, daemon, group and sampling rule (on by default)
    #[arg(long, overrides_with = "no_xray")]
    xray: bool,
    #[arg(long, hide = true)]
    no_xray: bool,
    /// Wire CloudWatch Logs through watchtower (on by default)
    #[arg(long, overrides_with = "no_cloudwatch")]
    cloudwatch: bool,
    #[arg(long, hide = true)]
    no_cloudwatch: bool,
    /// Wire Rollbar (on by default)
    #[arg(long, overrides_with = "no_rollbar")]
    rollbar: bool,
    #[arg(long, hide = true)]
    no_rollbar: bool,
    /// The Honeycomb environment the data must land in [default: bootcamp]
    #[arg(long, value_name = "ENV")]
    honeycomb_environment: Option<String>,
    /// CloudWatch Logs log group [default: cruddur]
    #[arg(long, value_name = "NAME")]
    log_group: Option<String>,
    /// Days the log group keeps events [default: 7]
    #[arg(long, value_name = "DAYS")]
    retention_in_days: Option<i32>,
    /// X-Ray sampling rate after the reservoir, 0 to 1 [default: 0.1]
    #[arg(long, value_name = "RATE")]
    sampling_rate: Option<f64>,
    /// X-Ray requests traced per second before the rate applies [default: 5]
    #[arg(long, value_name = "COUNT")]
    reservoir: Option<i32>,
    /// Trace the React frontend too: src/tracing.js, its packages, and an OpenTelemetry Collector that keeps the Honeycomb key out of the browser (off by default)
    #[arg(
        long,
        visible_alias = "trace-frontend",
        overrides_with = "no_frontend_collector"
    )]
    frontend_collector: bool,
    #[arg(long, hide = true)]
    no_frontend_collector: bool,
    /// Ask nothing: take detected or default answers for everything not given as a flag
    #[arg(long, short = 'y')]
    yes: bool,
    /// List what would be written, and write nothing
    #[arg(long)]
    dry_run: bool,
    /// Scaffolding: replace files that hold something else, keeping a FILE.bak copy of each
    #[arg(long)]
    force: bool,
    /// In your repository: replace the lines of parts wired by hand in app.py with the telemetry module
    #[arg(long)]
    take_over: bool,
    /// In your repository: leave the services as they are (no custom span or subsegment)
    #[arg(long)]
    no_custom_spans: bool,
    #[command(flatten)]
    out: OutputArgs,
}

/// Manifest fields by the flag that sets them, for error messages: answers that fail validation
/// came from flags or prompts (a manifest is validated when it is read).
const FLAG_NAMES: &[(&str, &str)] = &[
    ("workspace.service", "--service"),
    ("workspace.region", "--region"),
    ("honeycomb.environment", "--honeycomb-environment"),
    ("xray.fixed_rate", "--sampling-rate"),
    ("xray.reservoir_size", "--reservoir"),
    ("cloudwatch.log_group", "--log-group"),
    ("cloudwatch.retention_days", "--retention-in-days"),
    ("frontend.collector", "--frontend-collector"),
];

/// A `--x` / `--no-x` pair as one optional answer.
fn switch(on: bool, off: bool) -> Option<bool> {
    match (on, off) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    }
}

fn env_region() -> Option<String> {
    ["AWS_DEFAULT_REGION", "AWS_REGION"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|r| !r.trim().is_empty()))
}

/// How unanswered questions get their answers.
enum Asking {
    /// At dialoguer prompts.
    Prompt,
    /// With detected or default answers (--yes).
    Defaults,
    /// Not at all: a question without an answer is an error naming its flag.
    Refuse,
}

fn prompt_error(e: dialoguer::Error) -> Failure {
    Failure::failed(format!("cannot read the answer: {e}"))
}

/// Works out the answers: flags first, then the existing manifest, then detection, prompts or
/// defaults. Only where the workspace runs and its region cannot be guessed; everything else has
/// a safe default.
fn answers(
    a: &InitArgs,
    existing: Option<Manifest>,
    dir: &std::path::Path,
) -> Result<Manifest, Failure> {
    let asking = if a.yes {
        Asking::Defaults
    } else if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        Asking::Prompt
    } else {
        Asking::Refuse
    };
    let had_manifest = existing.is_some();
    let mut m = existing.unwrap_or_default();
    let theme = dialoguer::theme::SimpleTheme;

    if let Some(s) = &a.service {
        m.workspace.service = s.clone();
    }
    let detected = Host::detect().or_else(|| instrument::host_of(dir));
    m.workspace.host = match (a.host, had_manifest, detected) {
        (Some(h), _, _) => h,
        (None, true, _) => m.workspace.host,
        (None, false, Some(detected)) => detected,
        (None, false, None) => match asking {
            Asking::Defaults => Host::Local,
            Asking::Refuse => {
                return Err(unanswered(
                    "--host gitpod|codespaces|local",
                    "where the workspace runs",
                ))
            }
            Asking::Prompt => {
                let hosts = [Host::Gitpod, Host::Codespaces, Host::Local];
                let i = dialoguer::Select::with_theme(&theme)
                    .with_prompt("Where does this workspace run?")
                    .items(["Gitpod", "GitHub Codespaces", "this machine (local)"])
                    .default(2)
                    .interact()
                    .map_err(prompt_error)?;
                hosts[i]
            }
        },
    };
    m.workspace.region = match (&a.region, had_manifest, env_region()) {
        (Some(r), _, _) => r.clone(),
        (None, true, _) => m.workspace.region.clone(),
        (None, false, Some(r)) => r,
        (None, false, None) => match asking {
            Asking::Defaults => "us-east-1".into(),
            Asking::Refuse => return Err(unanswered("--region REGION", "the AWS region")),
            Asking::Prompt => dialoguer::Input::<String>::with_theme(&theme)
                .with_prompt("AWS region for X-Ray and CloudWatch Logs")
                .default("us-east-1".into())
                .interact_text()
                .map_err(prompt_error)?,
        },
    };
    let parts = [
        switch(a.honeycomb, a.no_honeycomb),
        switch(a.xray, a.no_xray),
        switch(a.cloudwatch, a.no_cloudwatch),
        switch(a.rollbar, a.no_rollbar),
    ];
    if parts.iter().all(Option::is_none) && !had_manifest && matches!(asking, Asking::Prompt) {
        let chosen = dialoguer::MultiSelect::with_theme(&theme)
            .with_prompt("Parts to wire (space toggles, enter accepts)")
            .items([
                "Honeycomb (OpenTelemetry)",
                "AWS X-Ray",
                "CloudWatch Logs",
                "Rollbar",
            ])
            .defaults(&[true, true, true, true])
            .interact()
            .map_err(prompt_error)?;
        m.honeycomb.enabled = chosen.contains(&0);
        m.xray.enabled = chosen.contains(&1);
        m.cloudwatch.enabled = chosen.contains(&2);
        m.rollbar.enabled = chosen.contains(&3);
    } else {
        let [h, x, c, r] = parts;
        m.honeycomb.enabled = h.unwrap_or(m.honeycomb.enabled);
        m.xray.enabled = x.unwrap_or(m.xray.enabled);
        m.cloudwatch.enabled = c.unwrap_or(m.cloudwatch.enabled);
        m.rollbar.enabled = r.unwrap_or(m.rollbar.enabled);
    }
    if let Some(e) = &a.honeycomb_environment {
        m.honeycomb.environment = e.clone();
    } else if m.honeycomb.enabled && !had_manifest && matches!(asking, Asking::Prompt) {
        m.honeycomb.environment = dialoguer::Input::<String>::with_theme(&theme)
            .with_prompt("Honeycomb environment the data must land in")
            .default(m.honeycomb.environment.clone())
            .interact_text()
            .map_err(prompt_error)?;
    }
    if let Some(g) = &a.log_group {
        m.cloudwatch.log_group = g.clone();
    }
    if let Some(d) = a.retention_in_days {
        m.cloudwatch.retention_days = d;
    }
    if let Some(r) = a.sampling_rate {
        m.xray.fixed_rate = r;
    }
    if let Some(r) = a.reservoir {
        m.xray.reservoir_size = r;
    }
    if let Some(c) = switch(a.frontend_collector, a.no_frontend_collector) {
        m.frontend.collector = c;
    }
    Ok(m)
}

fn unanswered(flag: &str, what: &str) -> Failure {
    Failure::bad_input(format!(
        "init needs {what}, and there is no terminal to ask on"
    ))
    .hint(format!(
        "pass {flag}, or --yes to take the detected or default answers"
    ))
}

pub fn run(a: InitArgs) -> Result<Exit, Failure> {
    let dir = scaffold::prepare_dir(&a.dir, a.dry_run)?;
    let existing = Manifest::load(&dir)?;
    let manifest = answers(&a, existing, &dir)?;
    manifest
        .validate()
        .rename(FLAG_NAMES)
        .into_result("command line")?;
    if instrument::has_backend(&dir) {
        return run_instrument(&a, &dir, &manifest);
    }
    let entries = scaffold::plan(&dir, &manifest)?;

    if a.dry_run {
        if a.out.json() {
            print_json(&serde_json::json!({ "dry_run": true, "files": entries }));
        } else {
            for e in &entries {
                let verb = match (e.action, a.force) {
                    (Action::Create, _) => "would create",
                    (Action::Unchanged, _) => "unchanged",
                    (Action::Conflict, true) => "would replace (keeping a .bak)",
                    (Action::Conflict, false) => "conflict (needs --force)",
                    (Action::Append, _) => "would add lines to",
                };
                println!("{verb:30} {}", e.path);
            }
        }
        let conflicts = entries.iter().any(|e| e.action == Action::Conflict);
        return Ok(if conflicts && !a.force {
            Exit::Drift
        } else {
            Exit::Ok
        });
    }

    let written = scaffold::apply(&dir, &entries, a.force)?;
    if a.out.json() {
        print_json(&serde_json::json!({ "dry_run": false, "files": written }));
        return Ok(Exit::Ok);
    }
    if written.iter().all(|w| w.action == Action::Unchanged) {
        println!(
            "{} is already as init would write it: nothing changed",
            dir.display()
        );
        return Ok(Exit::Ok);
    }
    for w in &written {
        match (w.action, &w.backup) {
            (Action::Unchanged, _) => println!("unchanged  {}", w.path),
            (Action::Create, _) => println!("created    {}", w.path),
            (Action::Append, _) => println!("updated    {} (added lines)", w.path),
            (Action::Conflict, Some(b)) => println!("replaced   {} (old copy: {b})", w.path),
            (Action::Conflict, None) => println!("replaced   {}", w.path),
        }
    }
    print_next_steps(&dir, &manifest);
    Ok(Exit::Ok)
}

/// The commands to run next, from where the user stands.
fn print_next_steps(dir: &std::path::Path, m: &Manifest) {
    println!("\nnext:");
    for (i, s) in next_steps(dir, m).iter().enumerate() {
        println!("  {}. {s}", i + 1);
    }
}

/// What to do after init, from where the user stands: each line a command and what it is for.
fn next_steps(dir: &std::path::Path, m: &Manifest) -> Vec<String> {
    let mut steps = Vec::new();
    if dir != std::path::Path::new(".") {
        steps.push(format!("cd {}", shell_quote(&dir.display().to_string())));
    }
    // `env` prints for a target: the host's own, or a .env file when working locally.
    let target = match m.workspace.host {
        crate::manifest::Host::Local => "dotenv",
        host => host.name(),
    };
    steps.push(format!(
        "cruddur-obs env {target}        # the variables to set, and how"
    ));
    if m.xray.enabled || m.cloudwatch.enabled {
        steps
            .push("cruddur-obs up                # the X-Ray group and rule, the log group".into());
    }
    steps.push("cruddur-obs doctor            # checks everything".into());
    if m.frontend.collector {
        steps.push(
            "npm install --prefix frontend-react-js   # the tracing packages package.json pins"
                .into(),
        );
    }
    steps.push(
        "docker compose up             # or: cd backend-flask && flask --app app run --port 4567"
            .into(),
    );
    steps
}

/// A path as a shell word.
fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// init in a repository that already has a backend: plan, show, confirm, write.
fn run_instrument(a: &InitArgs, dir: &std::path::Path, m: &Manifest) -> Result<Exit, Failure> {
    let plan = instrument::plan(
        dir,
        m,
        Options {
            take_over: a.take_over,
            custom_spans: !a.no_custom_spans,
        },
    )?;
    if a.out.json() && (a.dry_run || plan.is_empty()) {
        print_json(&serde_json::json!({ "dry_run": a.dry_run, "plan": plan }));
        return Ok(Exit::Ok);
    }
    if plan.is_empty() {
        println!("nothing to do: {} is already instrumented", dir.display());
        for w in &plan.warnings {
            println!("  ! {w}");
        }
        for n in &plan.notes {
            println!("  - {n}");
        }
        return Ok(Exit::Ok);
    }
    if !a.out.json() {
        show_plan(&plan);
    }
    if a.dry_run {
        println!("\ndry run: nothing was written");
        return Ok(Exit::Ok);
    }
    super::confirm_write(a.yes, "init", "Write these changes?")?;
    crate::edit::write_all(dir, &plan.changes()).map_err(|e| scaffold::write_failure(&e))?;
    if a.out.json() {
        print_json(&serde_json::json!({ "dry_run": false, "plan": plan }));
        return Ok(Exit::Ok);
    }
    let n = plan.changes().len();
    println!(
        "\nwrote {n} file{}; `git diff` shows every edit",
        if n == 1 { "" } else { "s" }
    );
    print_next_steps(dir, m);
    Ok(Exit::Ok)
}

fn show_plan(plan: &instrument::Plan) {
    match &plan.factory {
        Some(f) => println!(
            "instrumenting the Flask app made in {}() at {}:{}",
            f,
            instrument::APP,
            plan.app_line
        ),
        None => println!(
            "instrumenting the Flask app made at {}:{}",
            instrument::APP,
            plan.app_line
        ),
    }
    println!();
    for p in &plan.parts {
        println!("  {:<11} {}", p.part, p.detail);
    }
    println!();
    for f in &plan.files {
        let verb = match f.action {
            instrument::Action::Create => "create",
            instrument::Action::Edit => "edit",
            instrument::Action::Keep => "keep",
            instrument::Action::Unchanged => continue,
        };
        println!("  {verb:<7} {}", f.path);
    }
    if !plan.warnings.is_empty() {
        println!("\nwarnings:");
        for w in &plan.warnings {
            println!("  ! {w}");
        }
    }
    if !plan.notes.is_empty() {
        println!("\nnotes:");
        for n in &plan.notes {
            println!("  - {n}");
        }
    }
    for f in &plan.files {
        if let (instrument::Action::Edit, Some(c)) = (f.action, &f.change) {
            println!();
            print!("{}", c.diff());
        }
    }
}

#[cfg(test)]
mod next_steps_tests {
    use clap::Parser;

    use super::*;
    use crate::manifest::Host;

    /// Every cruddur-obs command in the next steps parses, for every host.
    #[test]
    fn every_next_step_command_parses() {
        for host in [Host::Gitpod, Host::Codespaces, Host::Local] {
            let mut m = Manifest::default();
            m.workspace.host = host;
            let steps = next_steps(std::path::Path::new("my demo"), &m);
            assert_eq!(steps[0], "cd 'my demo'");
            let commands: Vec<&String> = steps
                .iter()
                .filter(|s| s.starts_with("cruddur-obs "))
                .collect();
            assert_eq!(commands.len(), 3, "{steps:?}");
            for c in commands {
                let line = c.split('#').next().unwrap_or("");
                if let Err(e) = crate::cli::Cli::try_parse_from(line.split_whitespace()) {
                    panic!("{host:?}: `{line}` does not parse: {e}");
                }
            }
        }
    }
}
