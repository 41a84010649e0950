//! The one HTTP client validators use (`ureq` on rustls with ring: no
//! OpenSSL, no system TLS). It follows no redirect by itself: a redirect
//! within the same host is followed here (a few times), one to another host
//! never is, so a key goes only to the host its validator names. Answers
//! are read up to a bound; a 429 is retried with backoff, honouring
//! `Retry-After` within [`Settings::max_retry_wait`].

use super::spec::{host_of, is_loopback, BodyMatcher, Method, VerifySpec};
use super::{now, Job, Settings, Status, Validation};
use std::io::Read;
use std::time::{Duration, Instant};

/// The most of an answer read for body matchers.
const BODY_LIMIT: u64 = 64 << 10;
/// Redirects followed within one host.
const MAX_SAME_HOST_REDIRECTS: usize = 3;
/// The first backoff after a 429 without `Retry-After`; doubled each time.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);

pub struct Client {
    /// Honours the environment's proxy settings.
    agent: ureq::Agent,
    /// For loopback: never through a proxy.
    direct: ureq::Agent,
}

/// A request, fully formed (the key in its place).
pub struct Request {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

/// What came back.
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub retry_after: Option<String>,
}

impl Client {
    pub fn new(settings: &Settings) -> Self {
        let build = |proxy: bool| -> ureq::Agent {
            let mut b = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .timeout_global(Some(settings.timeout))
                .user_agent(concat!(
                    "keylint/",
                    env!("CARGO_PKG_VERSION"),
                    " (key validation)"
                ));
            if !proxy {
                b = b.proxy(None);
            }
            b.build().into()
        };
        Client {
            agent: build(true),
            direct: build(false),
        }
    }

    /// Checks `job` with its data-driven validator.
    pub fn check(&self, job: &Job, settings: &Settings, deadline: Instant) -> Validation {
        let base = match job.base_url(settings) {
            Ok(b) => b,
            Err(why) => return Validation::not_checked(why),
        };
        let req = match build(&job.spec, base, job) {
            Ok(r) => r,
            Err(e) => return Validation::not_checked(e),
        };
        self.send_and_judge(&req, &job.spec, settings, deadline)
    }

    /// Sends with the 429 retries, then maps the answer to a status.
    pub fn send_and_judge(
        &self,
        req: &Request,
        spec: &VerifySpec,
        settings: &Settings,
        deadline: Instant,
    ) -> Validation {
        let mut attempt = 0;
        loop {
            let answer = match self.send(req, deadline) {
                Ok(a) => a,
                Err(why) => return super::Validation::unknown(why),
            };
            // A 429 is retried, unless a matcher knows it (OpenAI answers
            // 429 `insufficient_quota` for an account out of credits).
            if answer.status != 429
                || spec
                    .matchers
                    .iter()
                    .any(|m| matches(m, &answer, serde_json::from_str(&answer.body).ok().as_ref()))
            {
                return judge(spec, &answer);
            }
            let wait = match answer.retry_after.as_deref().map(str::trim) {
                Some(s) => match s.parse::<u64>() {
                    Ok(secs) => Duration::from_secs(secs),
                    Err(_) => FIRST_BACKOFF * 2u32.pow(attempt),
                },
                None => FIRST_BACKOFF * 2u32.pow(attempt),
            };
            let limited = |detail: String| Validation {
                status: Status::RateLimited,
                http_status: Some(429),
                checked_at: Some(now()),
                detail,
            };
            if attempt >= settings.retries {
                return limited(format!(
                    "still rate limited after {} retr{}",
                    attempt,
                    if attempt == 1 { "y" } else { "ies" }
                ));
            }
            if wait > settings.max_retry_wait {
                return limited(format!(
                    "Retry-After asks for {}s, past the {}s keylint waits",
                    wait.as_secs(),
                    settings.max_retry_wait.as_secs()
                ));
            }
            if Instant::now() + wait >= deadline {
                return limited("rate limited, and the time budget ends before a retry".into());
            }
            std::thread::sleep(wait);
            attempt += 1;
        }
    }

    /// One exchange, following redirects only within the same host.
    fn send(&self, req: &Request, deadline: Instant) -> Result<Answer, String> {
        let mut url = req.url.clone();
        for _ in 0..=MAX_SAME_HOST_REDIRECTS {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err("the run's time budget for checks was spent".into());
            }
            let host = url
                .split_once("://")
                .map_or("", |(_, r)| host_of(r))
                .to_string();
            let agent = if is_loopback(&host) {
                &self.direct
            } else {
                &self.agent
            };
            let mut b = ureq::http::Request::builder()
                .method(req.method.as_str())
                .uri(&url);
            for (k, v) in &req.headers {
                b = b.header(k, v);
            }
            let timeout = agent
                .config()
                .timeouts()
                .global
                .map_or(left, |t| t.min(left));
            let malformed = |_| "the validator's request is malformed".to_string();
            // A GET carries no body (not even `Content-Length: 0`).
            let sent = match &req.body {
                Some(body) => {
                    let request = b.body(body.clone()).map_err(malformed)?;
                    agent.run(
                        agent
                            .configure_request(request)
                            .timeout_global(Some(timeout))
                            .build(),
                    )
                }
                None => {
                    let request = b.body(()).map_err(malformed)?;
                    agent.run(
                        agent
                            .configure_request(request)
                            .timeout_global(Some(timeout))
                            .build(),
                    )
                }
            };
            let mut resp = sent.map_err(|e| transport_error(&e, timeout))?;
            let status = resp.status().as_u16();
            if (300..400).contains(&status) {
                let to = resp
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                let next = resolve(&url, &to);
                let next_host = next.split_once("://").map_or("", |(_, r)| host_of(r));
                let same_scheme = next.split("://").next() == url.split("://").next();
                if next_host != host || !same_scheme {
                    return Err(format!(
                        "HTTP {status} redirect to another host ({}); not followed: the key goes only to its provider",
                        if next_host.is_empty() { "?" } else { next_host }
                    ));
                }
                url = next;
                continue;
            }
            let retry_after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let mut bytes = Vec::new();
            let _ = resp
                .body_mut()
                .as_reader()
                .take(BODY_LIMIT)
                .read_to_end(&mut bytes);
            return Ok(Answer {
                status,
                body: String::from_utf8_lossy(&bytes).into_owned(),
                retry_after,
            });
        }
        Err("too many redirects".into())
    }
}

/// A few words on a failed exchange; never the URL (a query may hold the key).
fn transport_error(e: &ureq::Error, timeout: Duration) -> String {
    match e {
        ureq::Error::Timeout(_) => format!("no answer within {:.1}s", timeout.as_secs_f64()),
        ureq::Error::HostNotFound => "host not found".into(),
        ureq::Error::ConnectionFailed => "connection failed".into(),
        ureq::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => "connection refused".into(),
            std::io::ErrorKind::TimedOut => {
                format!("no answer within {:.1}s", timeout.as_secs_f64())
            }
            k => format!("network error ({k})"),
        },
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) => "TLS handshake failed".into(),
        _ => "the exchange failed".into(),
    }
}

/// `Location` against the current URL: absolute, or a path on the same origin.
fn resolve(current: &str, location: &str) -> String {
    if location.contains("://") {
        return location.to_string();
    }
    let (scheme, rest) = current.split_once("://").unwrap_or(("https", current));
    let authority = rest.split('/').next().unwrap_or("");
    if let Some(path) = location.strip_prefix('/') {
        if path.starts_with('/') {
            // Scheme-relative: `//other.host/path`.
            return format!("{scheme}:{location}");
        }
        return format!("{scheme}://{authority}/{path}");
    }
    format!("{scheme}://{authority}/{location}")
}

/// Fills the spec's templates with the key and partner.
pub fn build(spec: &VerifySpec, base: &str, job: &Job) -> Result<Request, String> {
    let key = job.key.expose();
    let partner = job.partner.as_ref().map(|p| p.expose());
    let needs_partner = spec.pair.is_some();
    if needs_partner && partner.is_none() {
        return Err("the other half of this two-part credential was not found near it".into());
    }
    let fill = |t: &str| -> String {
        let mut s = t.replace("{key}", key);
        if let Some(p) = partner {
            s = s.replace("{partner}", p);
        }
        s
    };
    let mut url = format!(
        "{}{}",
        base.trim_end_matches('/'),
        fill(spec.path.as_deref().unwrap_or(""))
    );
    if !spec.query.is_empty() {
        let q: Vec<String> = spec
            .query
            .iter()
            .map(|(k, v)| format!("{}={}", percent(k), percent(&fill(v))))
            .collect();
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&q.join("&"));
    }
    let mut headers: Vec<(String, String)> = spec
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), fill(v)))
        .collect();
    if headers
        .iter()
        .any(|(_, v)| v.bytes().any(|b| b < 0x20 || b == 0x7f))
    {
        return Err("the key holds characters no HTTP header can carry".into());
    }
    if let Some(b) = &spec.basic {
        use std::fmt::Write;
        let pair = format!("{}:{}", fill(&b.user), fill(&b.password));
        let mut v = String::from("Basic ");
        let _ = write!(v, "{}", base64(pair.as_bytes()));
        headers.push(("Authorization".into(), v));
    }
    let body = match &spec.body {
        Some(t) => {
            let doc: serde_json::Value = serde_json::from_str(t)
                .map_err(|_| "the validator's body is not JSON".to_string())?;
            let filled = fill_json(doc, &fill);
            if !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            {
                headers.push(("Content-Type".into(), "application/json".into()));
            }
            Some(serde_json::to_vec(&filled).unwrap_or_default())
        }
        None => None,
    };
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("accept"))
    {
        headers.push(("Accept".into(), "application/json".into()));
    }
    Ok(Request {
        method: spec.method,
        url,
        headers,
        body,
    })
}

/// The key goes into string values as data, so JSON escaping is serde's.
fn fill_json(v: serde_json::Value, fill: &dyn Fn(&str) -> String) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => Value::String(fill(&s)),
        Value::Array(a) => Value::Array(a.into_iter().map(|x| fill_json(x, fill)).collect()),
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, x)| (k, fill_json(x, fill)))
                .collect(),
        ),
        other => other,
    }
}

/// What an answer means under `spec`: body matchers first, then the lists.
pub fn judge(spec: &VerifySpec, a: &Answer) -> Validation {
    let done = |status: Status, detail: String| Validation {
        status,
        http_status: Some(a.status),
        checked_at: Some(now()),
        detail,
    };
    let json: Option<serde_json::Value> = serde_json::from_str(&a.body).ok();
    for m in &spec.matchers {
        if matches(m, a, json.as_ref()) {
            let what = match (&m.json, &m.contains) {
                (Some(p), _) => format!("`{p}` in the answer"),
                (_, Some(c)) => format!("the answer mentions {c:?}"),
                _ => "the answer".into(),
            };
            return done(m.means, format!("HTTP {}, {what}", a.status));
        }
    }
    let s = a.status;
    let status = if spec.live.contains(&s) {
        Status::Live
    } else if spec.invalid.contains(&s) {
        Status::Invalid
    } else if spec.restricted.contains(&s) {
        Status::LiveRestricted
    } else if spec.no_credits.contains(&s) {
        Status::LiveNoCredits
    } else if s >= 500 {
        return done(
            Status::Unknown,
            format!("HTTP {s}: the provider had a problem"),
        );
    } else {
        return done(
            Status::Unknown,
            format!("HTTP {s}: an answer the validator does not recognise"),
        );
    };
    done(status, format!("HTTP {s}"))
}

fn matches(m: &BodyMatcher, a: &Answer, json: Option<&serde_json::Value>) -> bool {
    if !m.status.is_empty() && !m.status.contains(&a.status) {
        return false;
    }
    if let Some(c) = &m.contains {
        return a.body.contains(c.as_str());
    }
    match (&m.json, &m.equals, json) {
        (Some(ptr), Some(want), Some(doc)) => doc
            .pointer(ptr)
            .is_some_and(|got| toml_equals_json(want, got)),
        _ => false,
    }
}

fn toml_equals_json(t: &toml::Value, j: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (t, j) {
        (toml::Value::Boolean(a), J::Bool(b)) => a == b,
        (toml::Value::String(a), J::String(b)) => a == b,
        (toml::Value::Integer(a), J::Number(b)) => b.as_f64() == Some(*a as f64),
        (toml::Value::Float(a), J::Number(b)) => b.as_f64() == Some(*a),
        _ => false,
    }
}

fn percent(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_redirect_resolution() {
        assert_eq!(base64(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(
            resolve("https://a.example/x/y", "/z"),
            "https://a.example/z"
        );
        assert_eq!(
            resolve("https://a.example/x", "//b.example/z"),
            "https://b.example/z"
        );
        assert_eq!(
            resolve("https://a.example/x", "https://b.example/"),
            "https://b.example/"
        );
    }

    #[test]
    fn matchers_decide_before_the_status_lists() {
        let spec: VerifySpec = toml::from_str(
            "base_url = \"https://slack.example\"\nheaders = { Authorization = \"Bearer {key}\" }\nmatch = [{ status = [200], json = \"/ok\", equals = false, means = \"invalid\" }]",
        )
        .unwrap();
        let answer = |status: u16, body: &str| Answer {
            status,
            body: body.into(),
            retry_after: None,
        };
        assert_eq!(
            judge(
                &spec,
                &answer(200, r#"{"ok": false, "error": "invalid_auth"}"#)
            )
            .status,
            Status::Invalid
        );
        assert_eq!(
            judge(&spec, &answer(200, r#"{"ok": true}"#)).status,
            Status::Live
        );
        assert_eq!(
            judge(&spec, &answer(403, "")).status,
            Status::LiveRestricted
        );
        assert_eq!(judge(&spec, &answer(402, "")).status, Status::LiveNoCredits);
        assert_eq!(judge(&spec, &answer(401, "")).status, Status::Invalid);
        assert_eq!(judge(&spec, &answer(503, "")).status, Status::Unknown);
        assert_eq!(judge(&spec, &answer(404, "")).status, Status::Unknown);
    }
}
