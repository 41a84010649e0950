//! Opt-in live validation: is a found (or resolved) key accepted by its
//! provider? Each rule file declares its validator as data ([`spec`]); the
//! few that need code live in [`special`]. [`Verifier::check`] runs the
//! distinct keys through bounded workers ([`http`]) and answers one
//! [`Validation`] per key. Off by default: nothing here runs unless
//! `--verify` (or `keylint key check`) asks.

pub mod config;
pub mod http;
pub mod pair;
pub use crate::rules::verify_spec as spec;
pub mod special;

use crate::finding::Secret;

use spec::VerifySpec;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::validation::now;
pub use crate::validation::{Status, Validation};

/// The environment variable listing (comma-separated) the hosts a
/// `.keylint.toml` base URL may send keys to.
pub const TRUSTED_HOSTS_VAR: &str = "KEYLINT_VERIFY_HOSTS";

/// [`TRUSTED_HOSTS_VAR`]'s hosts, from this process's environment.
pub fn trusted_hosts_from_env() -> Vec<String> {
    std::env::var(TRUSTED_HOSTS_VAR)
        .unwrap_or_default()
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect()
}

/// How hard a run may push: bounds on time and concurrency.
#[derive(Debug, Clone)]
pub struct Settings {
    /// One request, connect to last byte.
    pub timeout: Duration,
    /// Every check of the run; what has not started by then is `unknown`.
    pub budget: Duration,
    /// Requests in flight at once, overall.
    pub concurrency: usize,
    /// Requests in flight at once to one provider.
    pub per_provider: usize,
    /// Retries of a 429.
    pub retries: u32,
    /// The longest `Retry-After` honoured; a longer one ends as `rate-limited`.
    pub max_retry_wait: Duration,
    /// `[providers.ID] base_url` from `.keylint.toml`.
    pub base_urls: BTreeMap<String, String>,
    /// Hosts the user (not the repository) lets an override send keys to:
    /// `KEYLINT_VERIFY_HOSTS`. A cloned repository's `.keylint.toml` could
    /// otherwise point a provider at its own server and collect the keys
    /// `--verify` finds; loopback needs no listing.
    pub trusted_hosts: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            timeout: Duration::from_secs(10),
            budget: Duration::from_secs(120),
            concurrency: 16,
            per_provider: 8,
            retries: 2,
            max_retry_wait: Duration::from_secs(10),
            base_urls: BTreeMap::new(),
            trusted_hosts: Vec::new(),
        }
    }
}

/// One key to check with one validator.
#[derive(Debug, Clone)]
pub struct Job {
    pub provider: String,
    pub spec: Arc<VerifySpec>,
    pub key: Secret,
    pub partner: Option<Secret>,
}

impl Job {
    /// The base URL in effect: the config's override, else the rule's; or
    /// why no key may be sent. An override goes to loopback or to a host
    /// in [`Settings::trusted_hosts`] only.
    pub fn base_url<'a>(&'a self, settings: &'a Settings) -> Result<&'a str, String> {
        if let Some(url) = settings.base_urls.get(&self.provider) {
            let host = url
                .split_once("://")
                .map_or("", |(_, rest)| spec::host_of(rest));
            if spec::is_loopback(host) || settings.trusted_hosts.iter().any(|h| h == host) {
                return Ok(url);
            }
            return Err(format!(
                "providers.{}.base_url in .keylint.toml points at {host}: keys go there only when you list it in {TRUSTED_HOSTS_VAR}={host}",
                self.provider
            ));
        }
        self.spec
            .base_url
            .as_deref()
            .ok_or_else(|| "the rule's validator has no base URL".to_string())
    }

    /// Same provider and the same key material: one request answers both.
    fn identity(&self) -> (String, Vec<String>) {
        let mut parts = vec![self.key.expose().to_string()];
        if let Some(p) = &self.partner {
            parts.push(p.expose().to_string());
        }
        parts.sort();
        (self.provider.clone(), parts)
    }
}

/// Runs checks within [`Settings`]' bounds.
pub struct Verifier {
    settings: Settings,
    client: http::Client,
}

impl Verifier {
    pub fn new(settings: Settings) -> Self {
        let client = http::Client::new(&settings);
        Verifier { settings, client }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// What `--verify` is about to send where, for the one stderr line:
    /// `3 key(s): api.openai.com (2), api.github.com (1)`.
    pub fn destinations(&self, jobs: &[Job]) -> String {
        let mut seen = std::collections::HashSet::new();
        let mut hosts: BTreeMap<String, usize> = BTreeMap::new();
        for j in jobs {
            if !j.spec.checks() || !seen.insert(j.identity()) {
                continue;
            }
            let Ok(url) = j.base_url(&self.settings) else {
                continue;
            };
            let host = url.split_once("://").map_or("?".to_string(), |(_, rest)| {
                rest.split('/').next().unwrap_or("").to_string()
            });
            let host = if self.settings.base_urls.contains_key(&j.provider) {
                format!("{host} [{} base URL from .keylint.toml]", j.provider)
            } else {
                host
            };
            *hosts.entry(host).or_default() += 1;
        }
        let n: usize = hosts.values().sum();
        let list: Vec<String> = hosts.iter().map(|(h, c)| format!("{h} ({c})")).collect();
        if n == 0 {
            "no key has a validator: nothing is sent".to_string()
        } else {
            format!(
                "sending {n} distinct key(s), each only to its own provider: {}",
                list.join(", ")
            )
        }
    }

    /// One validation per job, in order. Identical keys are checked once;
    /// at most `concurrency` requests run at once, and `per_provider` to
    /// one provider; past the budget, what has not started is `unknown`.
    pub fn check(&self, jobs: &[Job]) -> Vec<Validation> {
        let deadline = Instant::now() + self.settings.budget;
        // Distinct keys, and which jobs each answers.
        let mut first: HashMap<(String, Vec<String>), usize> = HashMap::new();
        let mut distinct: Vec<usize> = Vec::new();
        let mut answer_of: Vec<usize> = Vec::with_capacity(jobs.len());
        for (i, j) in jobs.iter().enumerate() {
            let slot = *first.entry(j.identity()).or_insert_with(|| {
                distinct.push(i);
                distinct.len() - 1
            });
            answer_of.push(slot);
        }
        let results: Vec<Mutex<Option<Validation>>> =
            distinct.iter().map(|_| Mutex::new(None)).collect();
        let queue = Mutex::new(Queue {
            waiting: (0..distinct.len()).collect(),
            busy: HashMap::new(),
        });
        let freed = Condvar::new();
        let workers = self.settings.concurrency.clamp(1, 256).min(distinct.len());
        let work = || loop {
            let Some(slot) = next(&queue, &freed, jobs, &distinct, self.settings.per_provider)
            else {
                return;
            };
            let job = &jobs[distinct[slot]];
            let v = if Instant::now() >= deadline {
                Validation::unknown("the run's time budget for checks was spent")
            } else {
                self.check_one(job, deadline)
            };
            *lock(&results[slot]) = Some(v);
            let mut q = lock(&queue);
            if let Some(n) = q.busy.get_mut(&job.provider) {
                *n -= 1;
            }
            drop(q);
            freed.notify_all();
        };
        std::thread::scope(|s| {
            let mut started = 0;
            for _ in 0..workers {
                if std::thread::Builder::new()
                    .name("keylint-verify".into())
                    .spawn_scoped(s, work)
                    .is_ok()
                {
                    started += 1;
                }
            }
            if started == 0 {
                work();
            }
        });
        let results: Vec<Validation> = results
            .into_iter()
            .map(|m| {
                m.into_inner()
                    .unwrap_or_else(|e| e.into_inner())
                    .unwrap_or_else(|| Validation::unknown("not run"))
            })
            .collect();
        answer_of.into_iter().map(|i| results[i].clone()).collect()
    }

    /// One key, with the 429 retries.
    fn check_one(&self, job: &Job, deadline: Instant) -> Validation {
        if let Some(why) = &job.spec.none {
            return Validation::not_checked(why.clone());
        }
        let v = match job.spec.special {
            Some(spec::Special::AwsSts) => {
                special::aws_sts(&self.client, job, &self.settings, deadline)
            }
            None => self.client.check(job, &self.settings, deadline),
        };
        // Errors from the transport may quote a URL with the key in it.
        Validation {
            detail: scrub(&v.detail, job),
            ..v
        }
    }
}

/// The detail with the key (and its partner) replaced by the redacted form.
fn scrub(detail: &str, job: &Job) -> String {
    let mut d = detail.replace(job.key.expose(), &job.key.redacted());
    if let Some(p) = &job.partner {
        d = d.replace(p.expose(), &p.redacted());
    }
    d
}

/// Checks every finding's key with its rule's validator; a finding whose
/// rule has none is `not-checked`. `announce` is told once, before any
/// request, what goes where.
pub fn verify_findings(
    findings: &mut [crate::finding::Finding],
    rules: &crate::rules::Rules,
    settings: &Settings,
    announce: impl FnOnce(&str),
) {
    let mut specs: HashMap<&str, Option<Arc<VerifySpec>>> = HashMap::new();
    let mut jobs = Vec::new();
    let mut of = Vec::new();
    for (i, f) in findings.iter().enumerate() {
        let spec = specs
            .entry(f.rule.id.as_str())
            .or_insert_with(|| {
                rules
                    .get(&f.rule.id)
                    .and_then(|r| r.spec.verify.clone())
                    .map(Arc::new)
            })
            .clone();
        match spec {
            Some(spec) => {
                jobs.push(Job {
                    provider: f.rule.provider_id.clone(),
                    spec,
                    key: f.secret.clone(),
                    partner: f.partner.clone(),
                });
                of.push(i);
            }
            None => of.push(usize::MAX),
        }
    }
    let verifier = Verifier::new(settings.clone());
    announce(&verifier.destinations(&jobs));
    let mut answers = verifier.check(&jobs).into_iter();
    for (f, i) in findings.iter_mut().zip(of) {
        f.validation = Some(if i == usize::MAX {
            Validation::not_checked("no validator for this rule")
        } else {
            answers
                .next()
                .unwrap_or_else(|| Validation::unknown("not run"))
        });
    }
}

/// A job for a key resolved for `provider` (`keylint key check`): the
/// validator of the provider's rule whose pattern the key fits, else of its
/// first rule that has one. `None` when no rule of the provider has one.
pub fn job_for_key(rules: &crate::rules::Rules, provider: &str, key: &Secret) -> Option<Job> {
    let candidates: Vec<_> = rules
        .rules
        .iter()
        .filter(|r| r.meta.provider_id == provider && r.spec.verify.is_some())
        .collect();
    let fits = candidates.iter().find(|r| {
        r.matcher()
            .is_ok_and(|m| m.regex.is_match(format!(" {} ", key.expose()).as_bytes()))
    });
    let rule = fits.or(candidates.first())?;
    Some(Job {
        provider: provider.to_string(),
        spec: Arc::new(rule.spec.verify.clone()?),
        key: key.clone(),
        partner: None,
    })
}

struct Queue {
    waiting: VecDeque<usize>,
    busy: HashMap<String, usize>,
}

/// The next distinct key whose provider has room, waiting while every
/// waiting key's provider is at its bound; `None` when nothing is left.
fn next(
    queue: &Mutex<Queue>,
    freed: &Condvar,
    jobs: &[Job],
    distinct: &[usize],
    per_provider: usize,
) -> Option<usize> {
    let mut q = lock(queue);
    loop {
        if q.waiting.is_empty() {
            return None;
        }
        let pos = q.waiting.iter().position(|&slot| {
            q.busy
                .get(&jobs[distinct[slot]].provider)
                .is_none_or(|&n| n < per_provider.max(1))
        });
        if let Some(pos) = pos {
            let slot = q.waiting.remove(pos)?;
            *q.busy
                .entry(jobs[distinct[slot]].provider.clone())
                .or_default() += 1;
            return Some(slot);
        }
        q = freed.wait(q).unwrap_or_else(|e| e.into_inner());
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_override_reaches_loopback_and_listed_hosts_only() {
        let spec: VerifySpec = toml::from_str(
            "base_url = \"https://api.openai.com\"\nheaders = { Authorization = \"Bearer {key}\" }",
        )
        .unwrap();
        let job = Job {
            provider: "openai".into(),
            spec: Arc::new(spec),
            key: Secret::new("k"),
            partner: None,
        };
        let mut s = Settings::default();
        assert_eq!(job.base_url(&s), Ok("https://api.openai.com"));
        s.base_urls
            .insert("openai".into(), "https://gw.example.com/v1".into());
        assert!(job.base_url(&s).unwrap_err().contains(TRUSTED_HOSTS_VAR));
        s.trusted_hosts.push("gw.example.com".into());
        assert_eq!(job.base_url(&s), Ok("https://gw.example.com/v1"));
        s.base_urls
            .insert("openai".into(), "http://127.0.0.1:9/v1".into());
        s.trusted_hosts.clear();
        assert_eq!(job.base_url(&s), Ok("http://127.0.0.1:9/v1"));
    }

    #[test]
    fn statuses_have_kebab_names_and_live_covers_valid_keys() {
        let all = [
            Status::Live,
            Status::LiveNoCredits,
            Status::LiveRestricted,
            Status::Invalid,
            Status::RateLimited,
            Status::Unknown,
            Status::NotChecked,
        ];
        for s in all {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert!(!s.sentence().is_empty());
        }
        let live: Vec<_> = all.iter().filter(|s| s.is_live()).collect();
        assert_eq!(live.len(), 3);
    }

    #[test]
    fn a_rule_without_an_endpoint_is_not_checked_and_sends_nothing() {
        let spec = Arc::new(VerifySpec {
            none: Some("no read-only endpoint".into()),
            ..VerifySpec::default()
        });
        let job = Job {
            provider: "x".into(),
            spec,
            key: Secret::new("k"),
            partner: None,
        };
        let v = Verifier::new(Settings::default());
        assert!(v
            .destinations(std::slice::from_ref(&job))
            .contains("nothing is sent"));
        let out = v.check(&[job]);
        assert_eq!(out[0].status, Status::NotChecked);
        assert_eq!(out[0].detail, "no read-only endpoint");
    }
}
