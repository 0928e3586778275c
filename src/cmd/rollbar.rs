//! `cruddur-obs rollbar test`: does Rollbar take an item with this token?

use clap::{Args, Subcommand};

use crate::error::{Exit, Failure};
use crate::http::{self, check_url, Wording};
use crate::output::{print_json, OutputArgs};
use crate::rollbar;
use crate::secret::mask;

#[derive(Subcommand, Debug)]
pub enum RollbarCommand {
    /// Post a "Hello World!" warning with a token, as Cruddur's /rollbar/test does
    #[command(after_help = TEST_HELP)]
    Test(TestArgs),
}

const TEST_HELP: &str = "Examples:
  cruddur-obs rollbar test                      # the token in $ROLLBAR_ACCESS_TOKEN
  cruddur-obs rollbar test --environment development

Exit codes: 0 posted (the item's uuid is printed), 2 not a Rollbar token, 4 no token given,
5 Rollbar refused the token (unknown, or without the post_server_item scope), 7 rate limited,
8 no answer in time or Rollbar unreachable, 1 any other failure.";

#[derive(Args, Debug)]
pub struct TestArgs {
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

/// A variable's value when set and not empty.
fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

pub async fn run(command: RollbarCommand) -> Result<Exit, Failure> {
    let RollbarCommand::Test(a) = command;
    let wait = http::timeout(a.timeout, "--timeout")?;
    let (token, source) = match &a.token {
        Some(t) => (t.clone(), "--token"),
        None => (
            var("ROLLBAR_ACCESS_TOKEN").ok_or_else(|| {
                Failure::setup("no Rollbar token: pass --token or set ROLLBAR_ACCESS_TOKEN")
                    .hint("use the project's post_server_item token (Rollbar -> Project settings -> Project Access Tokens)")
            })?,
            "ROLLBAR_ACCESS_TOKEN",
        ),
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
        .or_else(|| var("ROLLBAR_ENDPOINT"))
        .unwrap_or_else(|| rollbar::DEFAULT_ENDPOINT.to_string());
    check_url("--endpoint", &endpoint, rollbar::DEFAULT_ENDPOINT)?;

    let uuid = {
        let progress = crate::progress::Progress::new(a.out.json());
        let _posting = progress.start(format!("posting a test item to {endpoint}"));
        rollbar::post_hello(&endpoint, &token, &a.environment, wait)
            .await
            .map_err(|e| e.failure(&endpoint, &token, Wording::Command))?
    };
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
