//! `cruddur-obs export cloudformation|terraform`: what `up` would provision, as infrastructure as
//! code.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use crate::error::{Exit, Failure};
use crate::export::{self, Parameters};

#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// The X-Ray group and sampling rules and the log group, as a CloudFormation template
    #[command(after_help = CLOUDFORMATION_HELP)]
    Cloudformation(CloudformationArgs),
    /// Everything `up` provisions (AWS and Honeycomb), as Terraform JSON (main.tf.json)
    #[command(after_help = TERRAFORM_HELP)]
    Terraform(TerraformArgs),
}

const CLOUDFORMATION_HELP: &str = "Examples:
  cruddur-obs export cloudformation -o cruddur.yaml
  aws cloudformation deploy --template-file cruddur.yaml --stack-name cruddur \\
    --parameter-overrides ServiceName=backend-flask

  # The same stack in several accounts and regions, as a StackSet:
  aws cloudformation create-stack-set --stack-set-name cruddur --template-body file://cruddur.yaml
  aws cloudformation create-stack-instances --stack-set-name cruddur \\
    --accounts 111111111111 222222222222 --regions us-east-1 eu-west-1

Parameters: ServiceName, RetentionInDays (one of CloudWatch Logs' values), FixedRate (0 to 1),
defaulting to the workspace's values. Honeycomb's queries and board are not AWS resources: export
them with `cruddur-obs export terraform`, or create them with `cruddur-obs up`.
Exit codes: 0 written, 2 invalid input (nothing written), 1 the file could not be written.";

const TERRAFORM_HELP: &str = "Examples:
  mkdir -p infra && cruddur-obs export terraform -o infra/main.tf.json
  cd infra && terraform init && terraform apply -var service_name=backend-flask

Variables: service_name, retention_in_days, fixed_rate, defaulting to the workspace's values. The
honeycombio provider reads its key from HONEYCOMB_API_KEY (a configuration key).
Exit codes: 0 written, 2 invalid input (nothing written), 1 the file could not be written.";

#[derive(Args, Debug)]
pub struct CloudformationArgs {
    /// The workspace folder
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// The template's format
    #[arg(long, value_enum, default_value_t = Format::Yaml)]
    format: Format,
    /// Write to FILE (atomically, replacing it) instead of standard output
    #[arg(short = 'o', long = "output-file", value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct TerraformArgs {
    /// The workspace folder
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Write to FILE (atomically, replacing it) instead of standard output
    #[arg(short = 'o', long = "output-file", value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

pub fn run(command: ExportCommand) -> Result<Exit, Failure> {
    match command {
        ExportCommand::Cloudformation(a) => {
            let (desired, params) = load(&a.dir)?;
            let template = export::cloudformation(&desired, &params);
            let text = match a.format {
                Format::Yaml => serde_yaml_ng::to_string(&template)
                    .map_err(|e| Failure::failed(format!("cannot write YAML: {e}")))?,
                Format::Json => json_text(&template),
            };
            emit(&text, a.output.as_deref(), "CloudFormation template")
        }
        ExportCommand::Terraform(a) => {
            let (desired, params) = load(&a.dir)?;
            let config = export::terraform(&desired, &params);
            emit(
                &json_text(&config),
                a.output.as_deref(),
                "Terraform configuration",
            )
        }
    }
}

fn load(dir: &std::path::Path) -> Result<(crate::provision::Desired, Parameters), Failure> {
    let (manifest, desired) = crate::provision::desired(dir)?;
    let params = Parameters {
        service: manifest.workspace.service.clone(),
        rule: manifest.xray.sampling_rule.clone(),
    };
    Ok((desired, params))
}

fn json_text(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("a JSON value serializes");
    text.push('\n');
    text
}

fn emit(text: &str, output: Option<&std::path::Path>, what: &str) -> Result<Exit, Failure> {
    match output {
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| Failure::failed(format!("cannot print the {what}: {e}")))?;
        }
        Some(path) => {
            crate::files::write_atomic(path, text.as_bytes(), false)
                .map_err(|e| Failure::failed(format!("cannot write {}: {e}", path.display())))?;
            eprintln!("wrote the {what} to {}", path.display());
        }
    }
    Ok(Exit::Ok)
}
