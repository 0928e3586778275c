//! Honeycomb API keys: what a key is from its shape alone, and what Honeycomb says it is
//! (`GET /1/auth`, or `/2/auth` for management keys).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{root_cause, Exit, Failure};
use crate::http::{self, client, Wording};
use crate::secret::{mask, redact};

pub const US_API: &str = "https://api.honeycomb.io";
pub const EU_API: &str = "https://api.eu1.honeycomb.io";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Region {
    Us,
    Eu,
    /// A region letter we do not know; the key may still be valid.
    Other,
    /// Configuration keys do not say.
    Unknown,
}

impl Region {
    fn from_letter(c: char) -> Region {
        match c {
            'a' => Region::Us,
            'b' => Region::Eu,
            _ => Region::Other,
        }
    }

    /// The API host for this region (US when the key does not say).
    pub fn api(self) -> &'static str {
        match self {
            Region::Eu => EU_API,
            _ => US_API,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// 32 hex characters: a Honeycomb Classic configuration key.
    ClassicConfiguration,
    /// 22 alphanumerics: an environment's configuration key.
    Configuration,
    /// `hc?ik_` + 58: an environment's ingest key.
    Ingest,
    /// `hc?ic_` + 58: a Honeycomb Classic ingest key.
    ClassicIngest,
    /// `hc?mk_` + 26: a management key id (used with its secret as ID:SECRET).
    Management,
}

impl KeyKind {
    pub fn describe(self) -> &'static str {
        match self {
            KeyKind::ClassicConfiguration => "Classic configuration key",
            KeyKind::Configuration => "environment configuration key",
            KeyKind::Ingest => "environment ingest key",
            KeyKind::ClassicIngest => "Classic ingest key",
            KeyKind::Management => "management key",
        }
    }

    /// Classic keys file data by the dataset named in `x-honeycomb-dataset`; environment keys
    /// by the service name.
    pub fn is_classic(self) -> bool {
        matches!(self, KeyKind::ClassicConfiguration | KeyKind::ClassicIngest)
    }
}

/// What a key's shape says, before any call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KeyShape {
    pub kind: KeyKind,
    pub region: Region,
}

fn lower_alnum(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

/// "1 character", "N characters".
fn characters(n: usize) -> String {
    if n == 1 {
        "1 character".into()
    } else {
        format!("{n} characters")
    }
}

/// Part of a key as shown in a message: control characters escaped, so a pasted escape sequence
/// cannot change the terminal.
fn shown(part: &str) -> String {
    part.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Classifies a key by its shape, or says why it cannot be a Honeycomb key. Positions and
/// lengths are counted in characters, so any text is read without splitting a character.
pub fn classify(key: &str) -> Result<KeyShape, String> {
    let key_trimmed = key.trim();
    if key_trimmed != key {
        return Err("it has spaces or a line break around it (copied with them?)".into());
    }
    if key.is_empty() {
        return Err("it is empty".into());
    }
    if let Some(inner) = key.strip_prefix('"').and_then(|k| k.strip_suffix('"')) {
        return Err(format!(
            "it is wrapped in quotes; use {} without them",
            mask(inner)
        ));
    }
    let length = key.chars().count();
    // Byte offsets of the first seven characters (the seventh may be the end of the key).
    let at: Vec<usize> = key
        .char_indices()
        .map(|(i, _)| i)
        .chain([key.len()])
        .take(7)
        .collect();
    let part = |from: usize, to: usize| match (at.get(from), at.get(to)) {
        (Some(&start), Some(&end)) => key.get(start..end).unwrap_or(""),
        _ => "",
    };
    if key.starts_with("hc") && length > 6 && part(5, 6) == "_" {
        let region = Region::from_letter(part(2, 3).chars().next().unwrap_or(' '));
        let kind = match part(3, 5) {
            "ik" => KeyKind::Ingest,
            "ic" => KeyKind::ClassicIngest,
            "mk" => KeyKind::Management,
            other => {
                return Err(format!(
                    "it starts like a Honeycomb key, but \"{}\" is not a key type (ik, ic or mk)",
                    shown(other)
                ))
            }
        };
        let prefix = shown(part(0, 6));
        let rest = at.get(6).and_then(|&i| key.get(i..)).unwrap_or("");
        let (want, total) = if kind == KeyKind::Management {
            (26, 32)
        } else {
            (58, 64)
        };
        if kind == KeyKind::Management {
            let id = rest.split(':').next().unwrap_or("");
            let id_length = id.chars().count();
            if id_length != want {
                return Err(format!(
                    "a management key id has {want} characters after \"{prefix}\", this one {id_length}"
                ));
            }
            return Ok(KeyShape { kind, region });
        }
        if rest.chars().count() != want {
            return Err(format!(
                "an {} is {total} characters long, this one {length} (cut short or pasted twice?)",
                kind.describe()
            ));
        }
        if !lower_alnum(rest) {
            return Err(format!(
                "an {} has only lowercase letters and digits after \"{prefix}\"",
                kind.describe()
            ));
        }
        return Ok(KeyShape { kind, region });
    }
    if length == 32
        && key
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    {
        return Ok(KeyShape {
            kind: KeyKind::ClassicConfiguration,
            region: Region::Unknown,
        });
    }
    if length == 22 && key.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Ok(KeyShape {
            kind: KeyKind::Configuration,
            region: Region::Unknown,
        });
    }
    Err(format!(
        "it is {} long; Honeycomb keys are 22 (configuration), 32 (Classic) or 64 (ingest, starting hcaik_ or hcbik_)",
        characters(length)
    ))
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Named {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub slug: String,
}

/// Honeycomb's answer to `GET /1/auth`, read leniently: unknown fields are ignored, missing
/// permissions are false, and either spelling of createDatasets is accepted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Auth {
    #[serde(default)]
    pub id: String,
    #[serde(default, rename = "type")]
    pub key_type: String,
    #[serde(default)]
    pub api_key_access: BTreeMap<String, bool>,
    #[serde(default)]
    pub environment: Named,
    #[serde(default)]
    pub team: Named,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_to_live: Option<serde_json::Value>,
}

impl Auth {
    pub fn can(&self, permission: &str) -> bool {
        let snake: String = permission
            .chars()
            .flat_map(|c| {
                if c.is_ascii_uppercase() {
                    vec!['_', c.to_ascii_lowercase()]
                } else {
                    vec![c]
                }
            })
            .collect();
        self.api_key_access
            .get(permission)
            .or_else(|| self.api_key_access.get(&snake))
            .copied()
            .unwrap_or(false)
    }

    /// Ingest keys may always send events; configuration keys need the `events` permission.
    pub fn can_send_events(&self) -> bool {
        self.key_type == "ingest" || self.can("events")
    }

    pub fn is_classic(&self) -> bool {
        self.environment.slug.is_empty() && self.environment.name.is_empty()
    }

    pub fn ui_link(&self) -> String {
        if self.is_classic() {
            format!("https://ui.honeycomb.io/{}", self.team.slug)
        } else {
            format!(
                "https://ui.honeycomb.io/{}/environments/{}",
                self.team.slug, self.environment.slug
            )
        }
    }
}

/// Why a whoami call did not give an answer.
#[derive(Debug)]
pub enum AuthError {
    /// 401: Honeycomb does not know the key (or it is disabled).
    Rejected(String),
    RateLimited,
    TimedOut(Duration),
    Unreachable(String),
    Unexpected(String),
}

impl AuthError {
    /// The one explanation of a whoami that failed, for `key` asked at `api`: its exit code, its
    /// sentence and what to do. `honeycomb whoami` names the key ("the key hcai…5a8y") and the
    /// API it asked; doctor's finding names the key by its mask alone.
    pub fn failure(&self, api: &str, key: &str, wording: Wording) -> Failure {
        match self {
            AuthError::Rejected(message) => {
                let the_key = match wording {
                    Wording::Command => format!("the key {}", mask(key)),
                    Wording::Doctor => mask(key),
                };
                Failure::new(
                    Exit::KeyRejected,
                    format!("Honeycomb does not accept {the_key}: {message}"),
                )
                .hint(format!(
                    "copy the key again from Honeycomb (Environment settings -> API Keys); keys work only in their region ({api} asked)"
                ))
            }
            AuthError::RateLimited => {
                let message = match wording {
                    Wording::Command => format!("Honeycomb is rate limiting requests to {api}"),
                    Wording::Doctor => "Honeycomb is rate limiting requests".to_string(),
                };
                Failure::new(Exit::RateLimited, message).hint("wait a minute and try again")
            }
            AuthError::TimedOut(waited) => {
                http::timed_out(api, *waited).hint("check the network, or raise --timeout")
            }
            AuthError::Unreachable(why) => http::unreachable(api, why)
                .hint("check the network and --api-endpoint / HONEYCOMB_API_ENDPOINT"),
            AuthError::Unexpected(why) => http::unexpected(api, why),
        }
    }
}

/// Asks Honeycomb who a key belongs to.
pub async fn whoami(
    api: &str,
    key: &str,
    shape: KeyShape,
    timeout: Duration,
) -> Result<Auth, AuthError> {
    let api = api.trim_end_matches('/');
    let request = if shape.kind == KeyKind::Management {
        client(timeout)
            .get(format!("{api}/2/auth"))
            .bearer_auth(key)
    } else {
        client(timeout)
            .get(format!("{api}/1/auth"))
            .header("X-Honeycomb-Team", key)
    };
    let response = request.send().await.map_err(|e| {
        if e.is_timeout() {
            AuthError::TimedOut(timeout)
        } else {
            AuthError::Unreachable(root_cause(&e))
        }
    })?;
    let status = response.status().as_u16();
    let body = response.text().await.map_err(|e| {
        if e.is_timeout() {
            AuthError::TimedOut(timeout)
        } else {
            AuthError::Unreachable(root_cause(&e))
        }
    })?;
    let error_text = || {
        let text = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| {
                v["error"]
                    .as_str()
                    .map(str::to_string)
                    .or_else(|| v["errors"][0]["title"].as_str().map(str::to_string))
            })
            .unwrap_or_else(|| body.chars().take(200).collect());
        redact(&text, key)
    };
    match status {
        200 if shape.kind == KeyKind::Management => {
            Ok(management_auth(&body).map_err(AuthError::Unexpected)?)
        }
        200 => serde_json::from_str(&body).map_err(|e| {
            AuthError::Unexpected(format!("unreadable answer ({e}): {}", error_text()))
        }),
        401 | 403 => Err(AuthError::Rejected(error_text())),
        429 => Err(AuthError::RateLimited),
        _ => Err(AuthError::Unexpected(format!(
            "HTTP {status}: {}",
            error_text()
        ))),
    }
}

/// A management key's JSON:API answer, as an `Auth`.
fn management_auth(body: &str) -> Result<Auth, String> {
    let v: serde_json::Value =
        serde_json::from_str(body).map_err(|e| format!("unreadable answer: {e}"))?;
    let team = v["included"]
        .as_array()
        .and_then(|i| i.iter().find(|x| x["type"] == "teams"));
    let scopes = v["data"]["attributes"]["scopes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    Ok(Auth {
        id: v["data"]["id"].as_str().unwrap_or_default().to_string(),
        key_type: "management".into(),
        api_key_access: scopes
            .iter()
            .filter_map(|s| s.as_str())
            .map(|s| (s.to_string(), true))
            .collect(),
        environment: Named::default(),
        team: Named {
            name: team
                .and_then(|t| t["attributes"]["name"].as_str())
                .unwrap_or_default()
                .to_string(),
            slug: team
                .and_then(|t| t["attributes"]["slug"].as_str())
                .unwrap_or_default()
                .to_string(),
        },
        time_to_live: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAKE_INGEST: &str = "hcaik_01j9zx0ztvc8t7qgqd4qvbpm3e4ym1h5v9ypq2kbd6qfhe7q2qg5a8y0wk";

    #[test]
    fn classifies_every_shape() {
        assert_eq!(
            classify(FAKE_INGEST),
            Ok(KeyShape {
                kind: KeyKind::Ingest,
                region: Region::Us
            })
        );
        assert_eq!(
            classify(&FAKE_INGEST.replacen("hca", "hcb", 1))
                .unwrap()
                .region,
            Region::Eu
        );
        assert_eq!(
            classify(&FAKE_INGEST.replacen("hcaik", "hcaic", 1))
                .unwrap()
                .kind,
            KeyKind::ClassicIngest
        );
        assert_eq!(
            classify("0123456789abcdef0123456789abcdef").unwrap().kind,
            KeyKind::ClassicConfiguration
        );
        assert_eq!(
            classify("AbCdEfGhIjKlMnOpQrStUv").unwrap().kind,
            KeyKind::Configuration
        );
        assert_eq!(
            classify("hcamk_01234567890123456789012345").unwrap().kind,
            KeyKind::Management
        );
    }

    #[test]
    fn explains_malformed_keys() {
        assert!(classify(&FAKE_INGEST[..63])
            .unwrap_err()
            .contains("64 characters long, this one 63"));
        assert!(classify(&format!("{FAKE_INGEST}\n"))
            .unwrap_err()
            .contains("line break"));
        assert!(classify(&format!("\"{FAKE_INGEST}\""))
            .unwrap_err()
            .contains("wrapped in quotes"));
        assert!(classify("hcaxx_abc")
            .unwrap_err()
            .contains("\"xx\" is not a key type"));
        assert!(
            classify(&FAKE_INGEST.to_uppercase().replacen("HCAIK", "hcaik", 1))
                .unwrap_err()
                .contains("lowercase")
        );
        assert!(classify("your-key-here")
            .unwrap_err()
            .contains("13 characters long"));
    }

    #[test]
    fn counts_characters_not_bytes() {
        assert_eq!(
            classify("hc\u{e9}1_abcdefghijklmnopqrstuv").unwrap_err(),
            "it is 27 characters long; Honeycomb keys are 22 (configuration), 32 (Classic) or 64 (ingest, starting hcaik_ or hcbik_)"
        );
        assert!(classify(&"\u{f1}".repeat(53))
            .unwrap_err()
            .starts_with("it is 53 characters long;"));
        assert!(classify("x")
            .unwrap_err()
            .starts_with("it is 1 character long;"));
        assert_eq!(
            classify(&format!("hcaik_{}", "\u{f1}".repeat(57))).unwrap_err(),
            "an environment ingest key is 64 characters long, this one 63 (cut short or pasted twice?)"
        );
        assert!(classify(&format!("hcaik_{}", "\u{f1}".repeat(58)))
            .unwrap_err()
            .contains("only lowercase letters and digits after \"hcaik_\""));
        assert!(classify("hc\u{e9}\u{e9}k_abc")
            .unwrap_err()
            .contains("\"\u{e9}k\" is not a key type"));
        assert!(classify("hca\u{1b}[_abc")
            .unwrap_err()
            .contains("\"\\u{1b}[\" is not a key type"));
        assert_eq!(
            classify("hcamk_\u{e9}").unwrap_err(),
            "a management key id has 26 characters after \"hcamk_\", this one 1"
        );
    }

    #[test]
    fn reads_answers_leniently() {
        let auth: Auth = serde_json::from_str(r#"{"type": "ingest", "api_key_access": {"create_datasets": true}, "environment": {"name": "", "slug": ""}, "team": {"slug": "t"}, "extra": 1}"#).unwrap();
        assert!(auth.can("createDatasets"));
        assert!(!auth.can("events"));
        assert!(auth.can_send_events());
        assert!(auth.is_classic());
        assert_eq!(auth.ui_link(), "https://ui.honeycomb.io/t");
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

    /// Any text, and text shaped like each kind of key with odd characters mixed in.
    fn keys() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "hc[a-z\u{e9}]i[kc]_[a-z0-9\u{f1}]{0,70}",
            "hc[ab\u{e9}][a-z\u{e9}]{2}_[a-z0-9\u{f1}:\u{1b}]{0,40}",
            "hc.{1,4}_[a-z0-9\u{f1}:]{0,64}",
            "[0-9a-f\u{e9}]{30,34}",
            "[A-Za-z0-9\u{f1}]{20,24}",
            "[ \"\n]?.{0,70}[ \"\n]?",
        ]
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn classify_never_panics_and_explains(key in keys()) {
            match classify(&key) {
                Ok(shape) => {
                    prop_assert!(key.is_ascii() || shape.kind == KeyKind::Management);
                }
                Err(why) => {
                    prop_assert!(!why.trim().is_empty());
                    if key.chars().count() >= 12 {
                        prop_assert!(!why.contains(&key), "the key is printed whole: {}", why);
                    }
                    if let Some(rest) = why.strip_prefix("it is ") {
                        if let Some(n) = rest.split(' ').next().and_then(|n| n.parse::<usize>().ok()) {
                            prop_assert_eq!(n, key.chars().count());
                        }
                    }
                }
            }
        }
    }
}
