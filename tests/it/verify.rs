//! `--verify` and `keylint key check`, against a server each test starts on
//! 127.0.0.1 that plays the provider (`.keylint.toml`'s `[providers.ID]
//! base_url` points the validators at it). Nothing here touches the
//! network: every provider with a validator is pointed at loopback.

use crate::common;
use common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A request as the provider saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    /// Path and query.
    target: String,
    /// Lowercase names.
    headers: Vec<(String, String)>,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
}

/// The answer to one request.
#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    delay: Duration,
}

fn reply(status: u16, body: &str) -> Reply {
    Reply {
        status,
        headers: vec![],
        body: body.into(),
        delay: Duration::ZERO,
    }
}

type Handler = dyn Fn(&Seen, usize) -> Reply + Send + Sync;

/// A tiny HTTP/1.1 server: one thread per connection, `Connection: close`.
struct Provider {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Provider {
    fn start(handler: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (log, handler) = (log.clone(), handler.clone());
                std::thread::spawn(move || serve(stream, &log, &*handler));
            }
        });
        Provider { port, seen }
    }
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, log: &Mutex<Vec<Seen>>, handler: &Handler) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    let _ = reader.read_exact(&mut body);
    let seen = Seen {
        method,
        target,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let n = {
        let mut l = log.lock().unwrap();
        l.push(seen.clone());
        l.len()
    };
    let r = handler(&seen, n);
    std::thread::sleep(r.delay);
    let mut out = stream;
    let mut head = format!(
        "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\nContent-Type: application/json\r\n",
        r.status,
        r.body.len()
    );
    for (k, v) in &r.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = out.write_all(head.as_bytes());
    let _ = out.write_all(r.body.as_bytes());
}

/// Every provider whose rules declare a validator, from the rule files.
fn validator_rules() -> Vec<(String, toml::Value, toml::Value)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let mut out = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    for p in paths {
        let doc: toml::Value = toml::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let provider = doc["provider"]["id"].as_str().unwrap().to_string();
        for rule in doc
            .get("rules")
            .and_then(|r| r.as_array())
            .cloned()
            .unwrap_or_default()
        {
            if let Some(v) = rule.get("verify").cloned() {
                out.push((provider.clone(), rule, v));
            }
        }
    }
    out
}

/// A `.keylint.toml` pointing every validating provider at `url`, so no
/// test can reach a real provider, with `extra` appended.
fn config(url: &str, extra: &str) -> String {
    let mut ids: Vec<String> = validator_rules().into_iter().map(|(p, _, _)| p).collect();
    ids.sort();
    ids.dedup();
    let mut s = String::new();
    for id in ids {
        s.push_str(&format!("[providers.{id}]\nbase_url = \"{url}\"\n"));
    }
    s.push_str("[verify]\ntimeout_ms = 3000\n");
    s.push_str(extra);
    s
}

/// A tree with one fake OpenAI key and the config pointing at `p`.
fn openai_tree(p: &Provider, extra: &str) -> (Tree, String) {
    let t = Tree::new();
    let key = fake_openai_key(7);
    t.write("app.env", format!("OPENAI_API_KEY={key}\n"));
    t.write(".keylint.toml", config(&p.url(), extra));
    (t, key)
}

fn validation(scan: &Scan) -> serde_json::Value {
    assert_eq!(scan.findings.len(), 1, "{}", scan.stderr);
    scan.findings[0]["validation"].clone()
}

#[test]
fn each_status_maps_to_its_name() {
    for (status, body, want) in [
        (200, "{}", "live"),
        (401, "{\"error\": \"Invalid API key\"}", "invalid"),
        (
            402,
            "{\"error\": \"Insufficient credits\"}",
            "live-no-credits",
        ),
        (
            403,
            "{\"error\": \"Feature not available\"}",
            "live-restricted",
        ),
        (500, "", "unknown"),
        (503, "", "unknown"),
        (404, "", "unknown"),
    ] {
        let p = Provider::start(move |_, _| reply(status, body));
        let (t, key) = openai_tree(&p, "");
        let scan = t.scan_json(&["--no-git", "--verify"]);
        let v = validation(&scan);
        assert_eq!(v["status"], want, "HTTP {status}: {v}");
        assert_eq!(v["http_status"], status);
        assert!(v["checked_at"].as_str().unwrap().ends_with('Z'));
        assert_eq!(scan.code, 1);
        let seen = p.seen();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].path(), "/v1/models");
        assert_eq!(
            seen[0].header("authorization"),
            Some(format!("Bearer {key}").as_str())
        );
        assert!(!scan.stderr.contains(&key), "the key leaked to stderr");
        assert!(
            scan.stderr.contains("sending 1 distinct key(s)"),
            "{}",
            scan.stderr
        );
    }
}

#[test]
fn without_verify_nothing_is_sent_and_findings_are_not_annotated() {
    let p = Provider::start(|_, _| reply(200, "{}"));
    let (t, _) = openai_tree(&p, "");
    let scan = t.scan_json(&["--no-git"]);
    assert_eq!(scan.findings.len(), 1);
    assert!(scan.findings[0].get("validation").is_none());
    assert!(p.seen().is_empty());
}

#[test]
fn a_429_is_retried_after_retry_after() {
    let p = Provider::start(|_, n| {
        if n == 1 {
            Reply {
                headers: vec![("Retry-After".into(), "1".into())],
                ..reply(429, "{\"error\": \"Rate limited — please retry later\"}")
            }
        } else {
            reply(200, "{}")
        }
    });
    let (t, _) = openai_tree(&p, "");
    let started = std::time::Instant::now();
    let v = validation(&t.scan_json(&["--no-git", "--verify"]));
    assert_eq!(v["status"], "live");
    assert_eq!(p.seen().len(), 2);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "Retry-After: 1 was not honoured"
    );
}

#[test]
fn a_429_that_never_clears_is_rate_limited() {
    let p = Provider::start(|_, _| reply(429, "{}"));
    let (t, _) = openai_tree(&p, "retries = 1\n");
    let v = validation(&t.scan_json(&["--no-git", "--verify"]));
    assert_eq!(v["status"], "rate-limited");
    assert_eq!(p.seen().len(), 2, "one try and one retry");
}

#[test]
fn a_retry_after_past_the_bound_is_not_waited_for() {
    let p = Provider::start(|_, _| Reply {
        headers: vec![("Retry-After".into(), "3600".into())],
        ..reply(429, "{}")
    });
    let (t, _) = openai_tree(&p, "");
    let v = validation(&t.scan_json(&["--no-git", "--verify"]));
    assert_eq!(v["status"], "rate-limited");
    assert!(v["detail"].as_str().unwrap().contains("3600"), "{v}");
    assert_eq!(p.seen().len(), 1);
}

#[test]
fn a_provider_out_of_quota_on_429_is_live_without_credits() {
    let p = Provider::start(|_, _| reply(429, "{\"error\": {\"code\": \"insufficient_quota\"}}"));
    let (t, _) = openai_tree(&p, "");
    let v = validation(&t.scan_json(&["--no-git", "--verify"]));
    assert_eq!(v["status"], "live-no-credits");
    assert_eq!(p.seen().len(), 1);
}

#[test]
fn a_slow_provider_times_out_as_unknown() {
    let p = Provider::start(|_, _| Reply {
        delay: Duration::from_secs(5),
        ..reply(200, "{}")
    });
    let (t, _) = openai_tree(&p, "");
    std::fs::write(
        t.path().join(".keylint.toml"),
        config(&p.url(), "").replace("timeout_ms = 3000", "timeout_ms = 300"),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let v = validation(&t.scan_json(&["--no-git", "--verify"]));
    assert_eq!(v["status"], "unknown");
    assert!(v["detail"].as_str().unwrap().contains("no answer"), "{v}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the timeout did not bound the check"
    );
}

#[test]
fn a_refused_connection_is_unknown() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let t = Tree::new();
    t.write(
        "app.env",
        format!("OPENAI_API_KEY={}\n", fake_openai_key(3)),
    );
    t.write(
        ".keylint.toml",
        config(&format!("http://127.0.0.1:{port}"), ""),
    );
    let v = validation(&t.scan_json(&["--no-git", "--verify"]));
    assert_eq!(v["status"], "unknown");
    let detail = v["detail"].as_str().unwrap();
    assert!(
        detail.contains("refused") || detail.contains("connection"),
        "{v}"
    );
}

#[test]
fn a_redirect_to_another_host_is_not_followed() {
    let p = Provider::start(|_, _| Reply {
        headers: vec![("Location".into(), "https://collector.invalid/steal".into())],
        ..reply(302, "")
    });
    let (t, _) = openai_tree(&p, "");
    let v = validation(&t.scan_json(&["--no-git", "--verify"]));
    assert_eq!(v["status"], "unknown");
    assert!(
        v["detail"].as_str().unwrap().contains("not followed"),
        "{v}"
    );
    assert_eq!(p.seen().len(), 1);
}

#[test]
fn a_redirect_within_the_host_is_followed() {
    let p = Provider::start(|s, _| {
        if s.path() == "/v1/models" {
            Reply {
                headers: vec![("Location".into(), "/v2/models".into())],
                ..reply(301, "")
            }
        } else {
            reply(200, "{}")
        }
    });
    let (t, _) = openai_tree(&p, "");
    let v = validation(&t.scan_json(&["--no-git", "--verify"]));
    assert_eq!(v["status"], "live");
    let paths: Vec<String> = p.seen().iter().map(|s| s.path().to_string()).collect();
    assert_eq!(paths, ["/v1/models", "/v2/models"]);
}

/// A Slack token: the body, not the status, says whether it works.
fn slack_token() -> String {
    format!(
        "xoxb-{}-{}-{}",
        "2208746153",
        "7761092348",
        random_alnum(11, 24)
    )
}

#[test]
fn a_body_matcher_decides_when_the_status_does_not() {
    for (body, want) in [
        ("{\"ok\": false, \"error\": \"invalid_auth\"}", "invalid"),
        ("{\"ok\": true, \"team\": \"x\"}", "live"),
    ] {
        let p = Provider::start(move |_, _| reply(200, body));
        let t = Tree::new();
        t.write(
            "bot.py",
            format!("SLACK_BOT_TOKEN = \"{}\"\n", slack_token()),
        );
        t.write(".keylint.toml", config(&p.url(), ""));
        let v = validation(&t.scan_json(&["--no-git", "--verify"]));
        assert_eq!(v["status"], want, "{body}");
        let seen = p.seen();
        assert_eq!(
            (seen[0].method.as_str(), seen[0].path()),
            ("POST", "/api/auth.test")
        );
    }
}

#[test]
fn one_request_per_distinct_key() {
    let p = Provider::start(|_, _| reply(401, "{}"));
    let (t, key) = openai_tree(&p, "");
    t.write("other.env", format!("KEY={key}\nAGAIN={key}\n"));
    t.write(
        "third.env",
        format!("OPENAI_API_KEY={}\n", fake_openai_key(99)),
    );
    let scan = t.scan_json(&["--no-git", "--verify"]);
    assert_eq!(scan.findings.len(), 4);
    assert!(scan
        .findings
        .iter()
        .all(|f| f["validation"]["status"] == "invalid"));
    assert_eq!(p.seen().len(), 2, "two distinct keys, two requests");
}

#[test]
fn only_live_and_fail_on_live() {
    let live_key = fake_openai_key(1);
    let lk = live_key.clone();
    let p = Provider::start(move |s, _| {
        let ok = s.header("authorization") == Some(format!("Bearer {lk}").as_str());
        reply(if ok { 200 } else { 401 }, "{}")
    });
    let t = Tree::new();
    t.write("a.env", format!("OPENAI_API_KEY={live_key}\n"));
    t.write("b.env", format!("OPENAI_API_KEY={}\n", fake_openai_key(2)));
    t.write(".keylint.toml", config(&p.url(), ""));
    let all = t.scan_json(&["--no-git", "--verify"]);
    assert_eq!(all.findings.len(), 2);
    let live = t.scan_json(&["--no-git", "--only-live"]);
    assert_eq!(live.places(), ["a.env:1"]);
    assert_eq!(live.findings[0]["validation"]["status"], "live");
    assert_eq!(live.code, 1);
    assert_eq!(live.summary["findings"], 1);
    assert_eq!(live.summary["live"], 1);
    assert_eq!(all.summary["live"], 1);
    let out = t.scan().arg("--verify").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("keylint: 2 findings (1 live) in "));
    // --fail-on live: 1 with a live key, 0 with only dead ones.
    assert_eq!(t.scan_json(&["--no-git", "--fail-on", "live"]).code, 1);
    std::fs::remove_file(t.path().join("a.env")).unwrap();
    let dead = t.scan_json(&["--no-git", "--fail-on", "live"]);
    assert_eq!(dead.findings.len(), 1);
    assert_eq!(dead.code, 0);
}

#[test]
fn human_output_marks_a_live_key_and_sarif_carries_the_status() {
    let p = Provider::start(|_, _| reply(200, "{}"));
    let (t, key) = openai_tree(&p, "");
    let out = t
        .scan()
        .args(["--verify", "--color", "never"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("error[openai-api-key]") && first.ends_with(" LIVE "),
        "{first}"
    );
    assert!(
        text.contains("= verify: live — the provider accepted this key"),
        "{text}"
    );
    assert!(!text.contains(&key));
    let out = t.scan().args(["--verify", "-f", "sarif"]).output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../data/sarif-2.1.0.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(
        validator.is_valid(&doc),
        "SARIF with validation fails the schema"
    );
    let result = &doc["runs"][0]["results"][0];
    assert_eq!(result["level"], "error");
    assert_eq!(result["properties"]["validation"]["status"], "live");
    assert_eq!(result["properties"]["validation"]["http_status"], 200);
}

#[test]
fn a_bad_base_url_or_validator_is_a_one_line_error() {
    let t = Tree::new();
    t.write("app.env", "x\n");
    t.write(
        ".keylint.toml",
        "[providers.openai]\nbase_url = \"http://api.example.com\"\n",
    );
    let out = t.scan().arg("--verify").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(".keylint.toml") && err.contains("https"),
        "{err}"
    );
    t.write(
        ".keylint.toml",
        "[providers.nosuch]\nbase_url = \"https://x.example\"\n",
    );
    let out = t.scan().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("providers.nosuch"));
    // A rule file whose validator puts the key nowhere names the file and rule.
    let rules = t.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("acme.toml"),
        "[provider]\nid = \"acme\"\nname = \"Acme\"\n\n[[rules]]\nid = \"acme-key\"\ndescription = \"d\"\nregex = 'acme_[a-z]{8}'\nkeywords = [\"acme_\"]\nhelp = \"rotate\"\n\n[rules.verify]\nbase_url = \"https://api.acme.example\"\npath = \"/me\"\n",
    )
    .unwrap();
    t.write(".keylint.toml", "");
    let out = t.scan().args(["--rules-dir", "rules"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("acme.toml") && err.contains("acme-key") && err.contains("{key}"),
        "{err}"
    );
}

/// What each provider documents for its cheap read: method, path, and
/// where the key goes (`{key}` / `{partner}` mark the secrets).
fn documented(rule: &str) -> Option<(&'static str, &'static str, &'static str)> {
    Some(match rule {
        "openai-api-key" => ("GET", "/v1/models", "authorization: Bearer {key}"),
        "anthropic-api-key" => ("GET", "/v1/models", "x-api-key: {key}"),
        "anthropic-admin-key" => ("GET", "/v1/organizations/users", "x-api-key: {key}"),
        "google-ai-api-key" | "google-api-key" => {
            ("GET", "/v1beta/models", "x-goog-api-key: {key}")
        }
        "huggingface-token" | "huggingface-org-token" => {
            ("GET", "/api/whoami-v2", "authorization: Bearer {key}")
        }
        "replicate-api-token" | "replicate-api-key" => {
            ("GET", "/v1/account", "authorization: Bearer {key}")
        }
        "groq-api-key" => ("GET", "/openai/v1/models", "authorization: Bearer {key}"),
        "xai-api-key" => ("GET", "/v1/api-key", "authorization: Bearer {key}"),
        "mistral-api-key" => ("GET", "/v1/models", "authorization: Bearer {key}"),
        "cohere-api-key" => ("GET", "/v1/models", "authorization: Bearer {key}"),
        "deepseek-api-key" => ("GET", "/user/balance", "authorization: Bearer {key}"),
        "together-api-key" | "together-legacy-api-key" => {
            ("GET", "/v1/models", "authorization: Bearer {key}")
        }
        "openrouter-api-key" => ("GET", "/api/v1/key", "authorization: Bearer {key}"),
        "perplexity-api-key" => ("GET", "/router/v1/models", "authorization: Bearer {key}"),
        "fireworks-api-key" => ("GET", "/inference/v1/models", "authorization: Bearer {key}"),
        "elevenlabs-api-key" | "elevenlabs-legacy-api-key" => {
            ("GET", "/v1/user", "xi-api-key: {key}")
        }
        "deepgram-api-key" => ("GET", "/v1/projects", "authorization: Token {key}"),
        "assemblyai-api-key" => ("GET", "/v2/transcript", "authorization: {key}"),
        "stability-api-key" => ("GET", "/v1/user/account", "authorization: Bearer {key}"),
        "github-token" | "github-fine-grained-pat" => {
            ("GET", "/user", "authorization: Bearer {key}")
        }
        "gitlab-token" => (
            "GET",
            "/api/v4/personal_access_tokens/self",
            "private-token: {key}",
        ),
        "slack-token" => ("POST", "/api/auth.test", "authorization: Bearer {key}"),
        "stripe-secret-key" | "stripe-test-key" => {
            ("GET", "/v1/balance", "authorization: Bearer {key}")
        }
        "sendgrid-api-key" => ("GET", "/v3/scopes", "authorization: Bearer {key}"),
        "twilio-auth-token" => (
            "GET",
            "/2010-04-01/Accounts/{partner}.json",
            "basic {partner}:{key}",
        ),
        "twilio-api-key" => ("GET", "/2010-04-01/Accounts.json", "basic {key}:{partner}"),
        "npm-token" => ("GET", "/-/whoami", "authorization: Bearer {key}"),
        "muapi-api-key" => ("GET", "/api/v1/account/balance", "x-api-key: {key}"),
        "modelslab-api-key" => ("POST", "/api/wallet_balance", "body key: {key}"),
        "cockroachdb-cloud-api-key" => ("GET", "/api/v1/clusters", "authorization: Bearer {key}"),
        "devin-personal-api-key" | "devin-service-api-key" => {
            ("GET", "/v1/sessions", "authorization: Bearer {key}")
        }
        "devin-service-user-token" => ("GET", "/v3/self", "authorization: Bearer {key}"),
        "gcnotify-api-key" => ("GET", "/v2/notifications", "authorization: ApiKey-v1 {key}"),
        "facebook-app-access-token" => ("GET", "/app", "authorization: Bearer {key}"),
        "aws-access-key-id" | "aws-secret-access-key" => ("POST", "/", "sigv4"),
        _ => return None,
    })
}

/// Lines that supply the second half of a two-part credential.
fn partner_line(rule: &str) -> (&'static str, String) {
    match rule {
        "twilio-auth-token" => ("", format!("TWILIO_ACCOUNT_SID=AC{}", hex(5, 32))),
        "twilio-api-key" => ("", format!("TWILIO_API_SECRET={}", random_alnum(6, 32))),
        "aws-access-key-id" => (
            "",
            format!("aws_secret_access_key = {}", random_alnum(8, 40)),
        ),
        "aws-secret-access-key" => ("", format!("aws_access_key_id = AKIA{}", base32(9, 16))),
        _ => ("", String::new()),
    }
}

fn hex(seed: u64, n: usize) -> String {
    random_alnum(seed, n * 4)
        .bytes()
        .filter(|b| b.is_ascii_hexdigit())
        .map(|b| (b as char).to_ascii_lowercase())
        .take(n)
        .collect()
}

fn base32(seed: u64, n: usize) -> String {
    random_alnum(seed, n * 4)
        .bytes()
        .filter(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(b))
        .map(|b| b as char)
        .take(n)
        .collect()
}

fn b64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn every_validator_sends_the_documented_request() {
    let rules = validator_rules();
    assert!(rules.len() >= 30, "{} validators", rules.len());
    let mut checked = 0;
    for (provider, rule, verify) in rules {
        let id = rule["id"].as_str().unwrap();
        if verify.get("none").is_some() {
            continue;
        }
        let (method, path, place) = documented(id)
            .unwrap_or_else(|| panic!("{id}: add its documented request to `documented`"));
        let example = &rule["examples"].as_array().unwrap()[0];
        let key = example["secret"].as_str().unwrap().to_string();
        let input = example["input"].as_str().unwrap();
        let file = example
            .get("path")
            .and_then(|p| p.as_str())
            .unwrap_or("example.txt");
        let p = Provider::start(|_, _| reply(200, "{}"));
        let t = Tree::new();
        let (_, partner_text) = partner_line(id);
        t.write(file, format!("{input}\n{partner_text}\n"));
        t.write(".keylint.toml", config(&p.url(), ""));
        let scan = t.scan_json(&["--no-git", "--verify"]);
        let seen: Vec<Seen> = p
            .seen()
            .into_iter()
            .filter(|s| {
                let all = format!("{} {:?} {}", s.target, s.headers, s.body);
                all.contains(&key)
                    || all.contains(&b64(key.as_bytes())[..8])
                    || place == "sigv4"
                    || place.starts_with("basic")
            })
            .collect();
        let mine = scan
            .findings
            .iter()
            .find(|f| f["rule_id"] == id)
            .unwrap_or_else(|| panic!("{id}: example not found: {}", scan.stderr));
        assert_eq!(
            mine["validation"]["status"], "live",
            "{id} ({provider}): {}",
            mine["validation"]
        );
        let s = seen
            .iter()
            .find(|s| {
                s.method == method && {
                    let partner = partner_text.split(['=', ' ']).next_back().unwrap_or("");
                    s.path() == path.replace("{partner}", partner)
                }
            })
            .unwrap_or_else(|| panic!("{id}: no {method} {path} among {seen:?}"));
        assert!(s
            .header("user-agent")
            .is_some_and(|u| u.starts_with("keylint/")));
        let partner = partner_text
            .rsplit(['=', ' '])
            .next()
            .unwrap_or("")
            .to_string();
        match place {
            "sigv4" => {
                let auth = s.header("authorization").unwrap_or("");
                let key_id = if key.starts_with("AKIA") || key.starts_with("ASIA") {
                    &key
                } else {
                    &partner
                };
                assert!(
                    auth.starts_with(&format!("AWS4-HMAC-SHA256 Credential={key_id}/")),
                    "{id}: {auth}"
                );
                assert!(auth.contains("/us-east-1/sts/aws4_request"), "{auth}");
                assert!(s.header("x-amz-date").is_some());
                assert_eq!(s.body, "Action=GetCallerIdentity&Version=2011-06-15");
                assert!(
                    !s.target.contains(&key) && !s.body.contains(&key),
                    "the secret itself is never sent"
                );
            }
            p if p.starts_with("basic ") => {
                let pair = p["basic ".len()..]
                    .replace("{key}", &key)
                    .replace("{partner}", &partner);
                assert_eq!(
                    s.header("authorization"),
                    Some(format!("Basic {}", b64(pair.as_bytes())).as_str()),
                    "{id}"
                );
            }
            p if p.starts_with("body key: ") => {
                let doc: serde_json::Value = serde_json::from_str(&s.body).unwrap();
                assert_eq!(doc["key"], key.as_str(), "{id}");
                assert!(s
                    .header("content-type")
                    .unwrap_or("")
                    .starts_with("application/json"));
            }
            p => {
                let (name, value) = p.split_once(": ").unwrap();
                assert_eq!(
                    s.header(name),
                    Some(value.replace("{key}", &key).as_str()),
                    "{id}: {name}"
                );
                assert!(!s.target.contains(&key), "{id}: the key is in the URL too");
            }
        }
        if id.starts_with("anthropic") {
            assert_eq!(s.header("anthropic-version"), Some("2023-06-01"));
        }
        if id.starts_with("github") {
            assert_eq!(s.header("accept"), Some("application/vnd.github+json"));
        }
        if method == "GET" {
            assert!(
                s.body.is_empty() && s.header("content-length").is_none(),
                "{id}: a GET with a body"
            );
        }
        checked += 1;
    }
    assert!(checked >= 30, "{checked} validators checked");
}

#[test]
fn rules_list_says_how_each_rule_is_verified() {
    let out = keylint()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let rules: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let verify_of = |id: &str| rules.iter().find(|r| r["id"] == id).unwrap()["verify"].clone();
    assert_eq!(
        verify_of("openai-api-key"),
        "GET https://api.openai.com/v1/models"
    );
    assert!(verify_of("slack-webhook-url")
        .as_str()
        .unwrap()
        .starts_with("not checked: "));
    assert!(
        verify_of("generic-password").is_null(),
        "generic matches are never sent"
    );
}

#[test]
fn providers_without_a_read_only_endpoint_say_so_and_send_nothing() {
    let p = Provider::start(|_, _| reply(200, "{}"));
    let t = Tree::new();
    let hook = format!(
        "https://hooks.slack.com/services/T{}/B{}/{}",
        base32(1, 10),
        base32(2, 10),
        random_alnum(3, 24)
    );
    t.write("notify.sh", format!("SLACK_WEBHOOK_URL={hook}\n"));
    t.write(".keylint.toml", config(&p.url(), ""));
    let v = validation(&t.scan_json(&["--no-git", "--verify"]));
    assert_eq!(v["status"], "not-checked");
    assert!(
        v["detail"].as_str().unwrap().contains("posts a message"),
        "{v}"
    );
    assert!(p.seen().is_empty());
}

#[test]
fn the_hook_never_verifies_unless_the_config_says_so() {
    let p = Provider::start(|_, _| reply(200, "{}"));
    let t = Tree::repo();
    t.write(".keylint.toml", config(&p.url(), ""));
    t.write(
        "app.env",
        format!("OPENAI_API_KEY={}\n", fake_openai_key(4)),
    );
    t.git(&["add", "app.env"]);
    let out = keylint()
        .current_dir(t.path())
        .env_remove("PRE_COMMIT_FROM_REF")
        .env_remove("PRE_COMMIT_TO_REF")
        .args(["hook", "run", "--verify"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("in_hook"));
    assert!(p.seen().is_empty(), "the hook sent a key");
    t.write(".keylint.toml", config(&p.url(), "in_hook = true\n"));
    let out = keylint()
        .current_dir(t.path())
        .env_remove("PRE_COMMIT_FROM_REF")
        .env_remove("PRE_COMMIT_TO_REF")
        .args(["hook", "run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(p.seen().len(), 1);
    // The policy reads the config the run uses: `--config` names one that
    // does not let the hook verify (same local provider, so a wrong
    // answer is seen here and never reaches a real one).
    t.write("strict.toml", config(&p.url(), ""));
    let out = keylint()
        .current_dir(t.path())
        .env_remove("PRE_COMMIT_FROM_REF")
        .env_remove("PRE_COMMIT_TO_REF")
        .args(["hook", "run", "--config", "strict.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(p.seen().len(), 1, "the hook verified against --config");
}

/// A home for `keylint key`: HOME and XDG_CONFIG_HOME are temporary.
fn key_cmd(home: &std::path::Path) -> assert_cmd::Command {
    let mut c = keylint();
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("xdg"))
        .current_dir(home);
    c
}

fn muapi_key(seed: u64) -> String {
    format!("mu_{}", random_alnum(seed, 32))
}

#[test]
fn key_check_asks_about_the_key_from_each_resolver_source() {
    let good = muapi_key(1);
    let g = good.clone();
    let p = Provider::start(move |s, _| {
        let ok = s.header("x-api-key") == Some(g.as_str());
        reply(if ok { 200 } else { 401 }, "{\"balance\": 4.5}")
    });
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    std::fs::write(h.join(".keylint.toml"), config(&p.url(), "")).unwrap();
    let run = |c: &mut assert_cmd::Command| {
        let out = c.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // Flag.
    let (code, out, err) = run(key_cmd(h).args(["key", "check", "muapi", "--api-key", &good]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("from --api-key") && out.contains("live (HTTP 200)"),
        "{out}"
    );
    assert!(!out.contains(&good) && !err.contains(&good));
    // Environment.
    let (code, out, _) = run(key_cmd(h)
        .env("MUAPI_API_KEY", &good)
        .args(["key", "check", "muapi"]));
    assert_eq!(code, 0);
    assert!(
        out.contains("MUAPI_API_KEY") && out.contains("live"),
        "{out}"
    );
    // The provider's own config file.
    let cfg = h.join(".muapi/config.json");
    std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    std::fs::write(&cfg, format!("{{\"api_key\": \"{good}\"}}")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (code, out, err) = run(key_cmd(h).args(["key", "check", "muapi"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(".muapi/config.json") && out.contains("live"),
        "{out}"
    );
    std::fs::remove_file(&cfg).unwrap();
    // keylint's store, holding a dead key: exit 1.
    let dead = muapi_key(2);
    let (code, _, err) = run(key_cmd(h)
        .args(["key", "set", "muapi"])
        .write_stdin(format!("{dead}\n")));
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = run(key_cmd(h).args(["key", "check"]));
    assert_eq!(code, 1);
    assert!(
        out.contains("keylint's store") && out.contains("invalid (HTTP 401)"),
        "{out}"
    );
    // `key list --check` adds the status under the key.
    let (code, out, _) = run(key_cmd(h).args(["key", "list", "--check"]));
    assert_eq!(code, 0);
    assert!(out.contains("check: invalid (HTTP 401)"), "{out}");
    let sent: Vec<String> = p.seen().iter().map(|s| s.path().to_string()).collect();
    assert!(
        sent.iter().all(|s| s == "/api/v1/account/balance"),
        "{sent:?}"
    );
    assert_eq!(sent.len(), 5);
}

#[test]
fn requests_to_one_provider_stay_within_the_per_provider_bound() {
    let in_flight = Arc::new(Mutex::new((0usize, 0usize)));
    let counter = in_flight.clone();
    let p = Provider::start(move |_, _| {
        {
            let mut c = counter.lock().unwrap();
            c.0 += 1;
            c.1 = c.1.max(c.0);
        }
        std::thread::sleep(Duration::from_millis(300));
        counter.lock().unwrap().0 -= 1;
        reply(200, "{}")
    });
    let t = Tree::new();
    let keys: String = (0..6)
        .map(|i| format!("OPENAI_API_KEY_{i}={}\n", fake_openai_key(40 + i)))
        .collect();
    t.write("keys.env", keys);
    t.write(".keylint.toml", config(&p.url(), "per_provider = 2\n"));
    let scan = t.scan_json(&["--no-git", "--verify"]);
    assert_eq!(scan.findings.len(), 6);
    assert!(scan
        .findings
        .iter()
        .all(|f| f["validation"]["status"] == "live"));
    let max = in_flight.lock().unwrap().1;
    assert_eq!(
        max, 2,
        "at most 2 requests at once to one provider, and the bound is used"
    );
}

#[test]
fn the_time_budget_ends_the_checks_of_a_dead_provider() {
    let p = Provider::start(|_, _| Reply {
        delay: Duration::from_secs(20),
        ..reply(200, "{}")
    });
    let t = Tree::new();
    let keys: String = (0..3)
        .map(|i| format!("OPENAI_API_KEY_{i}={}\n", fake_openai_key(60 + i)))
        .collect();
    t.write("keys.env", keys);
    t.write(
        ".keylint.toml",
        config(&p.url(), "budget_secs = 1\nper_provider = 1\n")
            .replace("timeout_ms = 3000", "timeout_ms = 10000"),
    );
    let started = std::time::Instant::now();
    let scan = t.scan_json(&["--no-git", "--verify"]);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "the budget did not bound the run"
    );
    assert_eq!(scan.findings.len(), 3);
    assert!(
        scan.findings
            .iter()
            .all(|f| f["validation"]["status"] == "unknown"),
        "{:?}",
        scan.findings
    );
    assert!(scan.findings.iter().any(|f| f["validation"]["detail"]
        .as_str()
        .unwrap()
        .contains("budget")));
}

/// A cloned repository's `.keylint.toml` cannot send the keys `--verify`
/// finds to a host of its choosing: an override to anything but loopback
/// needs the user's `KEYLINT_VERIFY_HOSTS`. Nothing is sent (the host is
/// not even resolved), and the finding says why it was not checked.
#[test]
fn a_repository_config_cannot_send_keys_to_its_own_host() {
    let t = Tree::new();
    let key = fake_openai_key(11);
    t.write("app.env", format!("OPENAI_API_KEY={key}\n"));
    t.write(
        ".keylint.toml",
        "[providers.openai]\nbase_url = \"https://collector.invalid\"\n[verify]\ntimeout_ms = 3000\n",
    );
    let scan = t.scan_json(&["--no-git", "--verify"]);
    let v = validation(&scan);
    assert_eq!(v["status"], "not-checked", "{v}");
    let detail = v["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("collector.invalid") && detail.contains("KEYLINT_VERIFY_HOSTS"),
        "{detail}"
    );
    assert!(!scan.stderr.contains(&key));
}
