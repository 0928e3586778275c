//! The AWS flags every provisioning command shares, turning them into an SDK config, and turning
//! SDK errors into one line a person can act on.

use std::error::Error as StdError;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_xray::error::{ProvideErrorMetadata, SdkError};

use crate::error::{root_cause, About, Failure};
use crate::http::check_url;
use crate::validate::did_you_mean;

/// `--profile`, `--region` and `--endpoint-url`, flattened into every command that talks to AWS.
/// Without them the standard variables and files apply, as in the aws cli.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct AwsArgs {
    /// Profile from ~/.aws/config and ~/.aws/credentials [default: $AWS_PROFILE, else "default"]
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// AWS region [default: $AWS_REGION, $AWS_DEFAULT_REGION, or the profile's region]
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Send requests to this URL instead of AWS (a local emulator, for example)
    /// [default: $AWS_ENDPOINT_URL_<SERVICE>, $AWS_ENDPOINT_URL]
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

/// The AWS services we call, with the names their endpoint variables use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Xray,
    Logs,
    Sts,
}

impl Service {
    fn endpoint_variable(self) -> &'static str {
        match self {
            Service::Xray => "AWS_ENDPOINT_URL_XRAY",
            Service::Logs => "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
            Service::Sts => "AWS_ENDPOINT_URL_STS",
        }
    }

    fn display_name(self) -> &'static str {
        match self {
            Service::Xray => "AWS X-Ray",
            Service::Logs => "CloudWatch Logs",
            Service::Sts => "AWS STS",
        }
    }
}

/// Regions as of this release, for spotting typos such as `can-central-1`. A region that is far
/// from all of these is accepted, so new regions keep working.
const KNOWN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

/// Checks a region name's shape and catches near-misses of real regions.
pub fn check_region(source: &str, region: &str) -> Result<(), Failure> {
    let shaped = {
        let parts: Vec<&str> = region.split('-').collect();
        parts.len() >= 3
            && parts.iter().all(|p| {
                !p.is_empty()
                    && p.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            })
            && parts
                .last()
                .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
    };
    if KNOWN_REGIONS.contains(&region) {
        return Ok(());
    }
    let near = did_you_mean(region, KNOWN_REGIONS);
    if shaped && near.is_none() {
        return Ok(());
    }
    // Shown as typed but bounded, with control characters escaped: a pasted escape sequence does
    // not reach the terminal.
    let mut shown: String = region
        .chars()
        .take(40)
        .flat_map(char::escape_debug)
        .collect();
    if region.chars().count() > 40 {
        shown.push('…');
    }
    let mut failure = Failure::bad_input(format!("{source}: \"{shown}\" is not an AWS region"))
        .about(About::Region);
    failure = match near {
        Some(r) => failure.hint(format!("did you mean \"{r}\"?")),
        None => failure.hint("a region looks like us-east-1 or eu-west-2"),
    };
    Err(failure)
}

const AWS_EXAMPLE: &str = "http://localhost:5000 or https://xray.us-east-1.amazonaws.com";

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl AwsArgs {
    /// The region as the flags and variables name it, before any profile is read: for messages.
    pub fn region_hint(&self) -> Option<String> {
        self.region
            .clone()
            .or_else(|| env_nonempty("AWS_REGION"))
            .or_else(|| env_nonempty("AWS_DEFAULT_REGION"))
    }

    /// Checks the flags alone (doctor reports the variables as findings instead).
    pub fn validate_flags(&self) -> Result<(), Failure> {
        if let Some(url) = &self.endpoint_url {
            check_url("--endpoint-url", url, AWS_EXAMPLE)?;
        }
        if let Some(region) = &self.region {
            check_region("--region", region)?;
        }
        Ok(())
    }

    /// Checks the flags and variables that need no network: endpoint URLs and region names.
    pub fn validate(&self, service: Service) -> Result<(), Failure> {
        if let Some(url) = &self.endpoint_url {
            check_url("--endpoint-url", url, AWS_EXAMPLE)?;
        } else {
            for var in [service.endpoint_variable(), "AWS_ENDPOINT_URL"] {
                if let Some(url) = env_nonempty(var) {
                    check_url(var, &url, AWS_EXAMPLE)?;
                }
            }
        }
        if let Some(region) = &self.region {
            check_region("--region", region)?;
        } else {
            for var in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
                if let Some(region) = env_nonempty(var) {
                    check_region(var, &region)?;
                }
            }
        }
        max_attempts()?;
        Ok(())
    }

    /// Where requests will go, in words for error messages.
    pub fn endpoint_description(&self, service: Service, region: &str) -> String {
        self.endpoint_url
            .clone()
            .or_else(|| env_nonempty(service.endpoint_variable()))
            .or_else(|| env_nonempty("AWS_ENDPOINT_URL"))
            .unwrap_or_else(|| format!("the {} endpoint in {region}", service.display_name()))
    }

    /// Loads the SDK config and makes sure a region and credentials are there, so a missing one is
    /// explained before any request is made.
    pub async fn load(&self, service: Service) -> Result<Aws, Failure> {
        self.validate(service)?;
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::standard().with_max_attempts(max_attempts()?))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(3))
                    .operation_attempt_timeout(Duration::from_secs(20))
                    .build(),
            );
        if let Some(profile) = &self.profile {
            // As in the aws cli, an explicit --profile wins over credentials in the environment.
            let credentials = aws_config::profile::ProfileFileCredentialsProvider::builder()
                .profile_name(profile)
                .build();
            loader = loader
                .profile_name(profile)
                .credentials_provider(credentials);
        }
        if let Some(region) = &self.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(url) = &self.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let config = loader.load().await;
        let region = match config.region() {
            Some(r) => r.to_string(),
            None => {
                return Err(Failure::setup("no AWS region is set").about(About::Region).hint(
                    "pass --region us-east-1, or set AWS_DEFAULT_REGION and AWS_REGION (in Gitpod also: gp env AWS_DEFAULT_REGION=us-east-1)",
                ))
            }
        };
        check_credentials(&config, self.profile.as_deref()).await?;
        let endpoint = self.endpoint_description(service, &region);
        Ok(Aws {
            config,
            region,
            endpoint,
        })
    }
}

async fn check_credentials(config: &SdkConfig, profile: Option<&str>) -> Result<(), Failure> {
    use aws_credential_types::provider::{error::CredentialsError, ProvideCredentials};
    let Some(provider) = config.credentials_provider() else {
        return Err(no_credentials());
    };
    match provider.provide_credentials().await {
        Ok(_) => Ok(()),
        Err(CredentialsError::CredentialsNotLoaded(_)) => match profile {
            None => Err(no_credentials()),
            Some(p) => Err(Failure::setup(format!(
                "profile \"{p}\" is not in ~/.aws/config or ~/.aws/credentials, or holds no credentials"
            ))
            .hint("list the profiles with: aws configure list-profiles; or drop --profile to use AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")),
        },
        Err(e) => {
            let what = match profile {
                Some(p) => format!("cannot load AWS credentials for profile \"{p}\": {}", root_cause(&e)),
                None => format!("cannot load AWS credentials: {}", root_cause(&e)),
            };
            Err(Failure::setup(what).hint(
                "check the profile in ~/.aws/config and ~/.aws/credentials (aws configure list-profiles), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY without --profile",
            ))
        }
    }
}

fn no_credentials() -> Failure {
    Failure::setup("no AWS credentials found").hint(
        "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (in Gitpod: export them and gp env them), or pass --profile",
    )
}

/// Who the credentials belong to (STS GetCallerIdentity): (account, ARN).
pub async fn caller_identity(args: &AwsArgs) -> Result<(String, String), Failure> {
    let aws = args.load(Service::Sts).await?;
    let out = aws_sdk_sts::Client::new(&aws.config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| aws.explain(e, "checking the credentials", "sts:GetCallerIdentity"))?;
    Ok((
        out.account().unwrap_or_default().to_string(),
        out.arn().unwrap_or_default().to_string(),
    ))
}

/// A loaded config and what error messages need to know about it.
pub struct Aws {
    pub config: SdkConfig,
    pub region: String,
    pub endpoint: String,
}

type HttpResponse = aws_sdk_xray::config::http::HttpResponse;

impl Aws {
    /// Explains a failed call. `what` says what we were doing ("creating sampling rule Cruddur"),
    /// `action` names the IAM action it needs ("xray:CreateSamplingRule").
    pub fn explain<E>(&self, err: SdkError<E, HttpResponse>, what: &str, action: &str) -> Failure
    where
        E: ProvideErrorMetadata + StdError + 'static,
    {
        match &err {
            SdkError::ConstructionFailure(_) => {
                Failure::setup(format!("{what}: the request could not be built: {}", root_cause(&err)))
            }
            SdkError::TimeoutError(_) => Failure::failed(format!("{what}: no answer from {} in time", self.endpoint))
                .hint("check the endpoint and your network, then run the command again"),
            SdkError::DispatchFailure(_) => Failure::failed(format!(
                "{what}: cannot reach {}: {}",
                self.endpoint,
                root_cause(&err)
            ))
            .hint("check --endpoint-url / AWS_ENDPOINT_URL and the network, then run the command again (it is safe to re-run)"),
            SdkError::ResponseError(_) => Failure::failed(format!(
                "{what}: unexpected answer from {}: {}",
                self.endpoint,
                root_cause(&err)
            )),
            SdkError::ServiceError(service_err) => {
                let status = service_err.raw().status().as_u16();
                let e = service_err.err();
                let code = e.code().unwrap_or("");
                let message = e.message().unwrap_or("").trim().to_string();
                explain_service_error(what, action, code, &message, status, &self.region)
            }
            _ => Failure::failed(format!("{what}: {}", root_cause(&err))),
        }
    }
}

fn explain_service_error(
    what: &str,
    action: &str,
    code: &str,
    message: &str,
    status: u16,
    region: &str,
) -> Failure {
    let detail = if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    };
    match code {
        "AccessDeniedException" | "AccessDenied" | "UnauthorizedOperation" => {
            Failure::failed(format!("{what}: access denied{detail}"))
                .hint(format!("the IAM user or role needs permission for {action}"))
        }
        "UnrecognizedClientException" | "InvalidClientTokenId" | "InvalidSignatureException" | "SignatureDoesNotMatch" => {
            Failure::setup(format!("{what}: AWS does not accept these credentials ({code})"))
                .hint("check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the profile): they may be mistyped or deleted")
        }
        "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" => {
            Failure::setup(format!("{what}: the AWS credentials have expired")).hint("get fresh credentials and run the command again")
        }
        "ThrottledException" | "ThrottlingException" | "Throttling" | "TooManyRequestsException" => {
            Failure::failed(format!(
                "{what}: AWS is throttling requests and still was after {}",
                match max_attempts().unwrap_or(3) {
                    1 => "1 attempt".to_string(),
                    n => format!("{n} attempts"),
                }
            ))
                .hint("wait a minute and run the command again (it is safe to re-run); AWS_MAX_ATTEMPTS raises the number of attempts")
        }
        "RuleLimitExceededException" => Failure::failed(format!(
            "{what}: {region} already has the most sampling rules X-Ray allows (25 besides Default)"
        ))
        .hint("delete rules you no longer use: cruddur-obs xray get-sampling-rules, then xray delete-sampling-rule --rule-name NAME"),
        "LimitExceededException" => Failure::failed(format!("{what}: an account limit was reached{detail}"))
            .hint("delete unused resources or ask AWS for a higher quota"),
        "InvalidRequestException" | "InvalidParameterException" | "ValidationException" => {
            Failure::failed(format!("{what}: AWS rejected the request{detail}"))
        }
        "ResourceNotFoundException" => Failure::failed(format!("{what}: not found{detail}")),
        _ if status >= 500 => Failure::failed(format!(
            "{what}: the service failed (HTTP {status}) on every attempt{detail}"
        ))
        .hint("this is on AWS's side: try again in a few minutes (the command is safe to re-run)"),
        "" => Failure::failed(format!("{what}: request failed with HTTP {status}{detail}")),
        _ => Failure::failed(format!("{what}: {code}{detail}")),
    }
}

/// Attempts per call: `AWS_MAX_ATTEMPTS` as the aws cli reads it (1 to 10), else 3.
pub fn max_attempts() -> Result<u32, Failure> {
    match env_nonempty("AWS_MAX_ATTEMPTS") {
        None => Ok(3),
        Some(v) => match v.trim().parse::<u32>() {
            Ok(n) if (1..=10).contains(&n) => Ok(n),
            _ => Err(Failure::bad_input(format!(
                "AWS_MAX_ATTEMPTS is \"{v}\"; allowed: a whole number from 1 to 10"
            ))
            .hint("unset it for the default of 3 attempts")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catches_region_typos_but_accepts_new_regions() {
        assert!(check_region("--region", "us-east-1").is_ok());
        assert!(check_region("--region", "xx-newplace-9").is_ok());
        let e = check_region("AWS_DEFAULT_REGION", "can-central-1").unwrap_err();
        assert_eq!(
            e.message,
            "AWS_DEFAULT_REGION: \"can-central-1\" is not an AWS region"
        );
        assert_eq!(e.hint.unwrap(), "did you mean \"ca-central-1\"?");
        assert!(check_region("--region", "US East").is_err());
    }

    #[test]
    fn rejects_endpoint_without_scheme() {
        assert!(check_url("--endpoint-url", "http://127.0.0.1:5000", AWS_EXAMPLE).is_ok());
        let e = check_url("--endpoint-url", "localhost:5000", AWS_EXAMPLE).unwrap_err();
        assert!(e.message.contains("is not an endpoint URL"));
    }
}

#[cfg(test)]
mod prop {
    use proptest::prelude::*;

    use super::*;

    /// Cases per property: PROPTEST_CASES when set, else 12,000 (10 properties: 120,000 in all).
    fn config() -> ProptestConfig {
        crate::proptest_config(12_000)
    }

    fn explained(r: Result<(), Failure>, source: &str) -> Result<(), TestCaseError> {
        if let Err(f) = r {
            prop_assert!(f.message.starts_with(source), "{}", f.message);
            prop_assert!(f.message.len() > source.len() + 2, "{}", f.message);
            prop_assert!(f.hint.is_some_and(|h| !h.trim().is_empty()));
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn region_check_never_panics(region in prop_oneof![
            any::<String>(),
            "[a-z\u{f1}]{2}-[a-z]{0,12}-[0-9]{0,2}",
            "[a-z]{2,3}-(gov-)?(north|south|east|west|central)[a-z\u{e9}]?-[0-9\u{663}]",
        ]) {
            explained(check_region("--region", &region), "--region")?;
        }

        #[test]
        fn url_check_never_panics(url in prop_oneof![
            any::<String>(),
            "https?://.{0,40}",
            "(https?:/{0,3})?[a-z0-9\u{e9}.:\\[\\]@ ]{0,20}[/?#]?.{0,10}",
        ]) {
            explained(check_url("--endpoint-url", &url, AWS_EXAMPLE), "--endpoint-url")?;
        }
    }
}
