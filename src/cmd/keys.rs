//! `cruddur-obs honeycomb whoami` and `cruddur-obs rollbar test`: is this key the right one?

use std::time::Duration;

use clap::{Args, Subcommand};

use crate::aws::check_url;
use crate::error::{Exit, Failure};
use crate::honeycomb::{self, AuthError};
use crate::manifest::Manifest;
use crate::output::{print_json, OutputArgs};
use crate::rollbar::{self, PostError};
use crate::secret::mask;

#[derive(Subcommand, Debug)]
pub enum HoneycombCommand {
    /// Check a Honeycomb key: its team, environment, type and permissions
    #[command(after_help = WHOAMI_HELP)]
    Whoami(WhoamiArgs),
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

#[derive(Subcommand, Debug)]
pub enum RollbarCommand {
    /// Post a "Hello World!" warning with a token, as Cruddur's /rollbar/test does
    #[command(after_help = ROLLBAR_HELP)]
    Test(RollbarTestArgs),
}

const ROLLBAR_HELP: &str = "Examples:
  cruddur-obs rollbar test                      # the token in $ROLLBAR_ACCESS_TOKEN
  cruddur-obs rollbar test --environment development

Exit codes: 0 posted (the item's uuid is printed), 2 not a Rollbar token, 4 no token given,
5 Rollbar refused the token (unknown, or without the post_server_item scope), 7 rate limited,
8 no answer in time or Rollbar unreachable, 1 any other failure.";

#[derive(Args, Debug)]
pub struct RollbarTestArgs {
    /// The post_server_item token [default: $ROLLBAR_ACCESS_TOKEN]
    #[arg(long, value_name = "TOKEN")]
    token: Option<String>,
    /// Rollbar's API base [default: $ROLLBAR_ENDPOINT, else https://api.rollbar.com/api/1/]
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
    /// The environment the item is filed under
    #[arg(long, value_name = "ENV", default_value = "development")]
    environment: String,
    /// Seconds to wait for Rollbar
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    timeout: f64,
    #[command(flatten)]
    out: OutputArgs,
}

fn from_env(flag: &Option<String>, variable: &str) -> Option<(String, String)> {
    match flag {
        Some(v) => Some((v.clone(), "--api-key".to_string())),
        None => std::env::var(variable)
            .ok()
            .filter(|v| !v.is_empty())
            .map(|v| (v, variable.to_string())),
    }
}

fn timeout(seconds: f64, flag: &str) -> Result<Duration, Failure> {
    if !(seconds > 0.0 && seconds <= 300.0) {
        return Err(Failure::bad_input(format!(
            "{flag}: {seconds} is out of range; allowed: more than 0 and at most 300 seconds"
        )));
    }
    Ok(Duration::from_secs_f64(seconds))
}

pub async fn honeycomb(command: HoneycombCommand) -> Result<Exit, Failure> {
    let HoneycombCommand::Whoami(a) = command;
    let wait = timeout(a.timeout, "--timeout")?;
    let (key, source) = from_env(&a.api_key, "HONEYCOMB_API_KEY").ok_or_else(|| {
        Failure::setup("no Honeycomb key: pass --api-key or set HONEYCOMB_API_KEY")
            .hint("find it in Honeycomb under Environment settings -> API Keys")
    })?;
    let shape = honeycomb::classify(&key).map_err(|why| {
        Failure::bad_input(format!(
            "{source} ({}) is not a Honeycomb key: {why}",
            mask(&key)
        ))
    })?;
    let api = a
        .api_endpoint
        .clone()
        .or_else(|| {
            std::env::var("HONEYCOMB_API_ENDPOINT")
                .ok()
                .filter(|v| !v.is_empty())
        })
        .unwrap_or_else(|| shape.region.api().to_string());
    check_url("--api-endpoint", &api, "https://api.honeycomb.io")?;
    let expected = match &a.expect_environment {
        Some(e) => Some(e.clone()),
        None => Manifest::load(std::path::Path::new("."))?
            .filter(|m| m.honeycomb.enabled)
            .map(|m| m.honeycomb.environment),
    };

    let auth = honeycomb::whoami(&api, &key, shape, wait).await.map_err(|e| match e {
        AuthError::Rejected(message) => Failure::new(Exit::KeyRejected, format!("Honeycomb does not accept the key {}: {message}", mask(&key)))
            .hint(format!(
                "copy the key again from Honeycomb (Environment settings -> API Keys); keys work only in their region ({} asked)",
                api
            )),
        AuthError::RateLimited => Failure::new(Exit::RateLimited, format!("Honeycomb is rate limiting requests to {api}"))
            .hint("wait a minute and try again"),
        AuthError::TimedOut(t) => Failure::new(Exit::Unreachable, format!("no answer from {api} within {} s", t.as_secs_f64()))
            .hint("check the network, or raise --timeout"),
        AuthError::Unreachable(why) => Failure::new(Exit::Unreachable, format!("cannot reach {api}: {why}"))
            .hint("check the network and --api-endpoint / HONEYCOMB_API_ENDPOINT"),
        AuthError::Unexpected(why) => Failure::failed(format!("unexpected answer from {api}: {why}")),
    })?;

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
            honeycomb::Region::Us => ", US",
            honeycomb::Region::Eu => ", EU",
            _ => "",
        };
        println!(
            "key          {} ({}{region})",
            mask(&key),
            shape.kind.describe()
        );
        println!("team         {} ({})", auth.team.name, auth.team.slug);
        if shape.kind == honeycomb::KeyKind::Management {
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
    if let Some(expected) = expected.filter(|_| shape.kind != honeycomb::KeyKind::Management) {
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

pub async fn rollbar(command: RollbarCommand) -> Result<Exit, Failure> {
    let RollbarCommand::Test(a) = command;
    let wait = timeout(a.timeout, "--timeout")?;
    let (token, source) = match &a.token {
        Some(t) => (t.clone(), "--token".to_string()),
        None => from_env(&None, "ROLLBAR_ACCESS_TOKEN").ok_or_else(|| {
            Failure::setup("no Rollbar token: pass --token or set ROLLBAR_ACCESS_TOKEN")
                .hint("use the project's post_server_item token (Rollbar -> Project settings -> Project Access Tokens)")
        })?,
    };
    rollbar::check_token(&token).map_err(|why| {
        Failure::bad_input(format!(
            "{source} ({}) is not a Rollbar token: {why}",
            mask(&token)
        ))
    })?;
    let endpoint = a
        .endpoint
        .clone()
        .or_else(|| {
            std::env::var("ROLLBAR_ENDPOINT")
                .ok()
                .filter(|v| !v.is_empty())
        })
        .unwrap_or_else(|| rollbar::DEFAULT_ENDPOINT.to_string());
    check_url("--endpoint", &endpoint, "https://api.rollbar.com/api/1/")?;

    let uuid = rollbar::post_hello(&endpoint, &token, &a.environment, wait).await.map_err(|e| match e {
        PostError::UnknownToken(m) => Failure::new(Exit::KeyRejected, format!("Rollbar does not know the token {}: {m}", mask(&token)))
            .hint("copy the post_server_item token again (Rollbar -> Project settings -> Project Access Tokens)"),
        PostError::WrongScope(m) => Failure::new(Exit::KeyRejected, format!("the token {} cannot post server items: {m}", mask(&token)))
            .hint("a backend needs the post_server_item token, not post_client_item, read or write"),
        PostError::Rejected(m) => Failure::failed(format!("Rollbar rejected the item: {m}")),
        PostError::RateLimited => Failure::new(Exit::RateLimited, "Rollbar is rate limiting this project").hint("wait a minute and try again"),
        PostError::TimedOut(t) => Failure::new(Exit::Unreachable, format!("no answer from {endpoint} within {} s", t.as_secs_f64()))
            .hint("check the network, or raise --timeout"),
        PostError::Unreachable(why) => Failure::new(Exit::Unreachable, format!("cannot reach {endpoint}: {why}"))
            .hint("check the network and --endpoint / ROLLBAR_ENDPOINT"),
        PostError::Unexpected(why) => Failure::failed(format!("unexpected answer from {endpoint}: {why}")),
    })?;
    if a.out.json() {
        print_json(&serde_json::json!({"err": 0, "result": {"uuid": uuid}}));
    } else {
        println!(
            "posted a \"Hello World!\" warning to Rollbar ({})\nuuid: {uuid}",
            a.environment
        );
    }
    Ok(Exit::Ok)
}
