//! `cruddur-obs honeycomb whoami`: is this Honeycomb key the right one?

use clap::{Args, Subcommand};

use crate::error::{Exit, Failure};
use crate::honeycomb::{self, KeyKind, Region};
use crate::http::{self, check_url, Wording};
use crate::manifest::Manifest;
use crate::output::{print_json, OutputArgs};
use crate::secret::mask;

#[derive(Subcommand, Debug)]
pub enum HoneycombCommand {
    /// Check a Honeycomb key: its team, environment, type and permissions
    #[command(after_help = WHOAMI_HELP)]
    Whoami(WhoamiArgs),
    /// List the workspace's saved queries (honeycomb/queries.json) as Honeycomb has them, with links
    #[command(after_help = QUERIES_HELP)]
    Queries(QueriesArgs),
}

const QUERIES_HELP: &str = "Examples:
  cruddur-obs honeycomb queries                 # the queries of ./honeycomb/queries.json
  cruddur-obs honeycomb queries demo --output json

Each query declared in honeycomb/queries.json, found in Honeycomb by its name, with a link that
opens it in Honeycomb's query builder. `cruddur-obs up` creates the ones missing. Needs a
configuration key that may manage queries: HONEYCOMB_CONFIGURATION_KEY, else HONEYCOMB_API_KEY.";

#[derive(Args, Debug)]
pub struct QueriesArgs {
    /// The workspace folder
    #[arg(default_value = ".")]
    dir: std::path::PathBuf,
    /// Seconds to wait for Honeycomb
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    timeout: f64,
    #[command(flatten)]
    out: OutputArgs,
}

const WHOAMI_HELP: &str = "Examples:
  cruddur-obs honeycomb whoami                          # the key in $HONEYCOMB_API_KEY
  cruddur-obs honeycomb whoami --expect-environment bootcamp
  cruddur-obs honeycomb whoami --output json

The key's shape is checked before any call; the key is never printed whole.
Exit codes: 0 the key works (in the expected environment), 2 not a Honeycomb key, 4 no key given,
5 Honeycomb does not know the key, 6 the key belongs to another environment, 7 rate limited,
8 no answer in time or Honeycomb unreachable, 1 any other failure.";

#[derive(Args, Debug)]
pub struct WhoamiArgs {
    /// The key [default: $HONEYCOMB_API_KEY]
    #[arg(long, value_name = "KEY")]
    api_key: Option<String>,
    /// Honeycomb's API [default: $HONEYCOMB_API_ENDPOINT, else the key's region: api.honeycomb.io or api.eu1.honeycomb.io]
    #[arg(long, value_name = "URL")]
    api_endpoint: Option<String>,
    /// The environment the data must land in [default: the one in ./cruddur-obs.toml, if any]
    #[arg(long, value_name = "ENV")]
    expect_environment: Option<String>,
    /// Seconds to wait for Honeycomb
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    timeout: f64,
    #[command(flatten)]
    out: OutputArgs,
}

/// A variable's value when set and not empty.
fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

pub async fn run(command: HoneycombCommand) -> Result<Exit, Failure> {
    match command {
        HoneycombCommand::Whoami(a) => whoami(a).await,
        HoneycombCommand::Queries(a) => queries(a).await,
    }
}

/// `honeycomb queries`: the declared queries as Honeycomb has them.
async fn queries(a: QueriesArgs) -> Result<Exit, Failure> {
    use crate::provision::honeycomb as side;
    let wait = http::timeout(a.timeout, "--timeout")?;
    let (manifest, desired) = crate::provision::desired(&a.dir)?;
    if !manifest.honeycomb.enabled {
        return Err(Failure::bad_input("Honeycomb is off in cruddur-obs.toml"));
    }
    let desired = desired.honeycomb.ok_or_else(|| {
        Failure::bad_input(format!(
            "no {} in {}",
            crate::queries::FILE,
            a.dir.display()
        ))
        .hint("cruddur-obs init writes one (it keeps your files); then cruddur-obs up")
    })?;
    let connected = {
        let progress = crate::progress::Progress::new(a.out.json());
        let _asking = progress.start("asking Honeycomb for the saved queries");
        side::connect(wait).await?
    };
    let listed = side::list(&connected, &desired).await?;
    if a.out.json() {
        print_json(&listed);
    } else {
        println!("Honeycomb, dataset {}:", desired.dataset);
        for q in &listed {
            match &q.link {
                Some(link) => println!("  {}\n    {link}", q.name),
                None => println!("  {}  (not in Honeycomb yet: run cruddur-obs up)", q.name),
            }
        }
    }
    let missing = listed.iter().filter(|q| q.link.is_none()).count();
    if missing > 0 {
        return Err(Failure::new(
            Exit::Drift,
            format!(
                "{missing} of {} declared queries are not in Honeycomb",
                listed.len()
            ),
        )
        .hint("run cruddur-obs up to create them"));
    }
    Ok(Exit::Ok)
}

async fn whoami(a: WhoamiArgs) -> Result<Exit, Failure> {
    let wait = http::timeout(a.timeout, "--timeout")?;
    let (key, source) = match &a.api_key {
        Some(key) => (key.clone(), "--api-key"),
        None => (
            var("HONEYCOMB_API_KEY").ok_or_else(|| {
                Failure::setup("no Honeycomb key: pass --api-key or set HONEYCOMB_API_KEY")
                    .hint("find it in Honeycomb under Environment settings -> API Keys")
            })?,
            "HONEYCOMB_API_KEY",
        ),
    };
    let shape = honeycomb::classify(&key).map_err(|why| {
        Failure::bad_input(format!(
            "{source} ({}) is not a Honeycomb key: {why}",
            mask(&key)
        ))
    })?;
    let api = a
        .api_endpoint
        .clone()
        .or_else(|| var("HONEYCOMB_API_ENDPOINT"))
        .unwrap_or_else(|| shape.region.api().to_string());
    check_url("--api-endpoint", &api, honeycomb::US_API)?;
    let expected = match &a.expect_environment {
        Some(e) => Some(e.clone()),
        None => Manifest::load(std::path::Path::new("."))?
            .filter(|m| m.honeycomb.enabled)
            .map(|m| m.honeycomb.environment),
    };

    let auth = {
        let progress = crate::progress::Progress::new(a.out.json());
        let _asking = progress.start(format!("asking {api} about the key"));
        honeycomb::whoami(&api, &key, shape, wait)
            .await
            .map_err(|e| e.failure(&api, &key, Wording::Command))?
    };

    if a.out.json() {
        print_json(&auth);
    } else {
        let permissions: Vec<&str> = auth
            .api_key_access
            .iter()
            .filter(|(_, on)| **on)
            .map(|(p, _)| p.as_str())
            .collect();
        let region = match shape.region {
            Region::Us => ", US",
            Region::Eu => ", EU",
            _ => "",
        };
        println!(
            "key          {} ({}{region})",
            mask(&key),
            shape.kind.describe()
        );
        println!("team         {} ({})", auth.team.name, auth.team.slug);
        if shape.kind == KeyKind::Management {
            println!("environment  (a management key belongs to the team, not to an environment)");
        } else if auth.is_classic() {
            println!("environment  (Honeycomb Classic)");
        } else {
            println!(
                "environment  {} ({})",
                auth.environment.name, auth.environment.slug
            );
        }
        println!("type         {}", auth.key_type);
        println!(
            "permissions  {}",
            if permissions.is_empty() {
                "none".to_string()
            } else {
                permissions.join(", ")
            }
        );
        println!("link         {}", auth.ui_link());
    }
    // A management key sends no data, so no environment is expected of it.
    if let Some(expected) = expected.filter(|_| shape.kind != KeyKind::Management) {
        let matches = |e: &str| e.eq_ignore_ascii_case(&expected);
        if !(matches(&auth.environment.slug) || matches(&auth.environment.name)) {
            let actual = if auth.is_classic() {
                "Honeycomb Classic".to_string()
            } else {
                format!("environment \"{}\"", auth.environment.slug)
            };
            return Err(Failure::new(
                Exit::WrongEnvironment,
                format!("the key belongs to {actual}, but the data must land in environment \"{expected}\""),
            )
            .hint(format!("create or copy an ingest key of the \"{expected}\" environment, then set HONEYCOMB_API_KEY to it")));
        }
    }
    Ok(Exit::Ok)
}
