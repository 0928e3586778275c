//! The command line, as clap parses it.

use clap::{Parser, Subcommand};

use crate::cmd::doctor::DoctorArgs;
use crate::cmd::down::DownArgs;
use crate::cmd::env::EnvArgs;
use crate::cmd::export::ExportCommand;
use crate::cmd::honeycomb::HoneycombCommand;
use crate::cmd::init::InitArgs;
use crate::cmd::logs::LogsCommand;
use crate::cmd::rollbar::RollbarCommand;
use crate::cmd::up::UpArgs;
use crate::cmd::verify::VerifyArgs;
use crate::cmd::xray::XrayCommand;

#[derive(Parser, Debug)]
#[command(
    name = "cruddur-obs",
    version,
    about = "Wire Honeycomb, AWS X-Ray, CloudWatch Logs and Rollbar into Cruddur, and provision what they need",
    after_help = "Examples:
  cruddur-obs init demo --yes
  cruddur-obs xray create-sampling-rule --cli-input-json file://aws/json/xray.json
  cruddur-obs xray create-group --group-name Cruddur --filter-expression 'service(\"backend-flask\") {fault OR error}'
  cruddur-obs logs create-log-group --log-group-name cruddur --retention-in-days 7

Exit codes: 0 done, 1 a call failed, 2 invalid input (nothing sent), 3 exists with other
settings (use --update), 4 credentials, region or endpoint missing or unusable, 5 key or token
refused, 6 key of another Honeycomb environment, 7 rate limited, 8 no answer in time,
9 not confirmed (nothing changed)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scaffold a Cruddur workspace wired for Honeycomb, X-Ray, CloudWatch Logs and Rollbar
    Init(InitArgs),
    /// Print the variables the workspace needs, for Gitpod, compose, a .env file or Codespaces
    Env(EnvArgs),
    /// AWS X-Ray groups, sampling rules and traces
    #[command(subcommand)]
    Xray(XrayCommand),
    /// CloudWatch Logs log groups, and their events
    #[command(subcommand)]
    Logs(LogsCommand),
    /// Create or update everything the workspace declares (X-Ray group and rules, log group, Honeycomb queries and board)
    Up(UpArgs),
    /// Delete what `up` created for the workspace, and nothing else
    Down(DownArgs),
    /// Find every known mistake in the workspace, with its fix
    Doctor(DoctorArgs),
    /// Prove that the telemetry arrives: send the backend requests, then find them in each service
    Verify(VerifyArgs),
    /// Print what `up` provisions as a CloudFormation template or a Terraform configuration
    #[command(subcommand)]
    Export(ExportCommand),
    /// Check a Honeycomb key
    #[command(subcommand)]
    Honeycomb(HoneycombCommand),
    /// Check a Rollbar token by posting a test item
    #[command(subcommand)]
    Rollbar(RollbarCommand),
    /// Print a shell completion script
    #[command(
        after_help = "Example:\n  cruddur-obs completions bash > ~/.local/share/bash-completion/completions/cruddur-obs"
    )]
    Completions {
        /// The shell to complete for
        shell: clap_complete::Shell,
    },
}
