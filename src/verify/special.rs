//! Validators that need code rather than a template. AWS: STS
//! `GetCallerIdentity`, a read every AWS key may make whatever its
//! policies, signed with Signature Version 4 from the access key id and
//! the secret access key found beside it.

use super::http::{Client, Request};
use super::spec::{Method, VerifySpec};
use super::{Job, Settings, Validation};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::time::Instant;

const STS_BASE: &str = "https://sts.amazonaws.com";
const STS_BODY: &str = "Action=GetCallerIdentity&Version=2011-06-15";

/// Checks an AWS key pair with a signed `GetCallerIdentity`.
pub fn aws_sts(client: &Client, job: &Job, settings: &Settings, deadline: Instant) -> Validation {
    let Some(partner) = &job.partner else {
        return Validation::not_checked(
            "no secret access key found near the access key id (or the other way round)",
        );
    };
    // Whichever half looks like an access key id is the id.
    let (a, b) = (job.key.expose(), partner.expose());
    let (id, secret) = if is_key_id(a) { (a, b) } else { (b, a) };
    if !is_key_id(id) {
        return Validation::not_checked("neither half is an access key id");
    }
    let base = match job.base_url(settings) {
        Ok(b) => b,
        Err(why) if settings.base_urls.contains_key(&job.provider) => {
            return Validation::not_checked(why)
        }
        Err(_) => STS_BASE,
    }
    .trim_end_matches('/');
    let host = base
        .split_once("://")
        .map_or(base, |(_, r)| r)
        .split('/')
        .next()
        .unwrap_or("");
    let amz_date = amz_date(jiff::Timestamp::now());
    let sig = sign(&SignInput {
        method: "POST",
        path: "/",
        query: "",
        headers: vec![
            (
                "content-type".into(),
                "application/x-www-form-urlencoded; charset=utf-8".into(),
            ),
            ("host".into(), host.to_string()),
            ("x-amz-date".into(), amz_date.clone()),
        ],
        payload: STS_BODY.as_bytes(),
        access_key_id: id,
        secret,
        region: "us-east-1",
        service: "sts",
        amz_date: &amz_date,
    });
    let req = Request {
        method: Method::Post,
        url: format!("{base}/"),
        headers: vec![
            (
                "Content-Type".into(),
                "application/x-www-form-urlencoded; charset=utf-8".into(),
            ),
            ("X-Amz-Date".into(), amz_date),
            ("Authorization".into(), sig.authorization),
            ("Accept".into(), "application/json".into()),
        ],
        body: Some(STS_BODY.as_bytes().to_vec()),
    };
    // STS answers 403 for a bad key id or signature: that is "invalid" here,
    // not a missing scope (GetCallerIdentity needs no permission).
    let spec = VerifySpec {
        live: vec![200],
        invalid: vec![401, 403],
        restricted: vec![],
        no_credits: vec![],
        ..VerifySpec::default()
    };
    client.send_and_judge(&req, &spec, settings, deadline)
}

fn is_key_id(s: &str) -> bool {
    s.len() == 20
        && ["AKIA", "ASIA", "ABIA", "ACCA"]
            .iter()
            .any(|p| s.starts_with(p))
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
}

/// `20150830T123600Z`.
fn amz_date(t: jiff::Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// What a SigV4 signature covers. Header names lowercase, values trimmed.
pub struct SignInput<'a> {
    pub method: &'a str,
    /// Already URI-encoded.
    pub path: &'a str,
    /// Already encoded and sorted (`a=1&b=2`), or empty.
    pub query: &'a str,
    pub headers: Vec<(String, String)>,
    pub payload: &'a [u8],
    pub access_key_id: &'a str,
    pub secret: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    pub amz_date: &'a str,
}

pub struct Signed {
    pub canonical_request: String,
    pub string_to_sign: String,
    pub signature: String,
    pub authorization: String,
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The signing key for a day, region and service.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k = hmac(&k, region.as_bytes());
    let k = hmac(&k, service.as_bytes());
    hmac(&k, b"aws4_request")
}

/// Signature Version 4 over `input`.
pub fn sign(input: &SignInput) -> Signed {
    let mut headers: Vec<(String, String)> = input
        .headers
        .iter()
        .map(|(k, v)| {
            let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
            (k.to_ascii_lowercase(), v)
        })
        .collect();
    headers.sort();
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed_headers = headers
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical_request = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        input.method,
        input.path,
        input.query,
        canonical_headers,
        signed_headers,
        hex(&Sha256::digest(input.payload))
    );
    let date = &input.amz_date[..8.min(input.amz_date.len())];
    let scope = format!("{date}/{}/{}/aws4_request", input.region, input.service);
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
        input.amz_date,
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    let key = signing_key(input.secret, date, input.region, input.service);
    let signature = hex(&hmac(&key, string_to_sign.as_bytes()));
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        input.access_key_id
    );
    Signed {
        canonical_request,
        string_to_sign,
        signature,
        authorization,
    }
}

#[cfg(test)]
mod tests {
    //! Vectors from AWS's published Signature Version 4 test suite and the
    //! SigV4 documentation's worked example (their fixed example
    //! credentials, date 2015-08-30T12:36:00Z, region us-east-1).
    use super::*;

    const ID: &str = "AKIDEXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"; // keylint:allow
    const DATE: &str = "20150830T123600Z";

    fn suite(method: &str, query: &str) -> Signed {
        sign(&SignInput {
            method,
            path: "/",
            query,
            headers: vec![
                ("Host".into(), "example.amazonaws.com".into()),
                ("X-Amz-Date".into(), DATE.into()),
            ],
            payload: b"",
            access_key_id: ID,
            secret: SECRET,
            region: "us-east-1",
            service: "service",
            amz_date: DATE,
        })
    }

    #[test]
    fn get_vanilla() {
        let s = suite("GET", "");
        assert_eq!(
            s.canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            s.string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
        );
        assert_eq!(
            s.signature,
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
        assert_eq!(
            s.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    #[test]
    fn post_vanilla() {
        let s = suite("POST", "");
        assert_eq!(
            s.signature,
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
        );
    }

    #[test]
    fn the_documented_signing_key_and_iam_example() {
        assert_eq!(
            hex(&signing_key(SECRET, "20150830", "us-east-1", "iam")),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
        let s = sign(&SignInput {
            method: "GET",
            path: "/",
            query: "Action=ListUsers&Version=2010-05-08",
            headers: vec![
                (
                    "Content-Type".into(),
                    "application/x-www-form-urlencoded; charset=utf-8".into(),
                ),
                ("Host".into(), "iam.amazonaws.com".into()),
                ("X-Amz-Date".into(), DATE.into()),
            ],
            payload: b"",
            access_key_id: ID,
            secret: SECRET,
            region: "us-east-1",
            service: "iam",
            amz_date: DATE,
        });
        assert_eq!(
            hex(&Sha256::digest(s.canonical_request.as_bytes())),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
        );
        assert_eq!(
            s.signature,
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
    }

    #[test]
    fn key_ids_are_told_from_secrets() {
        assert!(is_key_id(&format!("AKIA{}", "Q".repeat(16))));
        assert!(!is_key_id(&"Q".repeat(40)));
        assert_eq!(amz_date("2015-08-30T12:36:00Z".parse().unwrap()), DATE);
    }
}
