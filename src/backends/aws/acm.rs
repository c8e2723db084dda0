//! ACM certificates the platform requests for an environment's ingress (`*.<domain>`,
//! DNS-validated): request (idempotently), describe with the validation record, wait until
//! issued (bounded, cancellable), find ours by domain and tag, delete.

use super::api_error::{api_error, is_error};
use super::security_group::{Attempt, until_released};
use crate::backends::BackendError;
use crate::backends::wait::{self, Poll, WaitPolicy};
use aws_sdk_acm::Client;
use aws_sdk_acm::types::{CertificateStatus, Tag, ValidationMethod};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const SERVICE: &str = "ACM";

/// ACM adds the validation record to a new certificate's description within seconds.
pub const RECORD_APPEARS: WaitPolicy = WaitPolicy {
    initial: Duration::from_secs(1),
    max_interval: Duration::from_secs(5),
    timeout: Duration::from_secs(2 * 60),
};

/// How long a delete waits for ACM to notice that a just-deleted listener no longer uses
/// the certificate.
pub const RELEASE: WaitPolicy = WaitPolicy {
    initial: Duration::from_secs(5),
    max_interval: Duration::from_secs(30),
    timeout: Duration::from_secs(10 * 60),
};

/// How often to look while waiting for issuance (the bound is the caller's).
const ISSUE_POLL_INITIAL: Duration = Duration::from_secs(5);
const ISSUE_POLL_MAX: Duration = Duration::from_secs(30);

/// The DNS record that proves control of the domain: a CNAME ACM looks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationRecord {
    /// The record's name, e.g. `_x1.example.com.`.
    pub name: String,
    /// Its type (`CNAME`).
    pub record_type: String,
    /// Its value, e.g. `_x2.acm-validations.aws.`.
    pub value: String,
}

/// A certificate as ACM reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedCertificate {
    /// Its ARN.
    pub arn: String,
    /// The domain it is for, e.g. `*.example.com`.
    pub domain: String,
    /// `PENDING_VALIDATION`, `ISSUED`, `FAILED`, …
    pub status: CertificateStatus,
    /// The validation record of its domain, once ACM has made it.
    pub validation_record: Option<ValidationRecord>,
    /// The load balancers (listeners) using it.
    pub in_use_by: Vec<String>,
}

fn tag_list(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, BackendError> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| BackendError::Api {
                    service: SERVICE,
                    operation: "RequestCertificate",
                    message: e.to_string(),
                })
        })
        .collect()
}

/// Requests a DNS-validated certificate for `domain` with `tags`, returning its ARN.
/// `idempotency_token` (at most 32 word characters) makes a retried request within an
/// hour return the same certificate instead of a second one.
pub async fn request_certificate(
    client: &Client,
    domain: &str,
    tags: &BTreeMap<String, String>,
    idempotency_token: &str,
) -> Result<String, BackendError> {
    let out = client
        .request_certificate()
        .domain_name(domain)
        .validation_method(ValidationMethod::Dns)
        .idempotency_token(idempotency_token)
        .set_tags(Some(tag_list(tags)?))
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "RequestCertificate", e))?;
    out.certificate_arn()
        .map(str::to_string)
        .ok_or_else(|| BackendError::Api {
            service: SERVICE,
            operation: "RequestCertificate",
            message: format!("the certificate for `{domain}` was requested but no ARN came back"),
        })
}

/// Describes a certificate; `None` when it does not exist.
pub async fn describe(
    client: &Client,
    arn: &str,
) -> Result<Option<ObservedCertificate>, BackendError> {
    let out = match client
        .describe_certificate()
        .certificate_arn(arn)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) if is_error(&e, "ResourceNotFoundException", None) => return Ok(None),
        Err(e) => return Err(api_error(SERVICE, "DescribeCertificate", e)),
    };
    let Some(c) = out.certificate() else {
        return Ok(None);
    };
    let domain = c.domain_name().unwrap_or_default().to_string();
    let validation_record = c
        .domain_validation_options()
        .iter()
        .find(|v| v.domain_name() == domain)
        .or(c.domain_validation_options().first())
        .and_then(|v| v.resource_record())
        .map(|r| ValidationRecord {
            name: r.name().to_string(),
            record_type: r.r#type().as_str().to_string(),
            value: r.value().to_string(),
        });
    Ok(Some(ObservedCertificate {
        arn: c.certificate_arn().unwrap_or(arn).to_string(),
        domain,
        status: c
            .status()
            .cloned()
            .unwrap_or(CertificateStatus::PendingValidation),
        validation_record,
        in_use_by: c.in_use_by().to_vec(),
    }))
}

fn gone(arn: &str) -> BackendError {
    BackendError::Api {
        service: SERVICE,
        operation: "DescribeCertificate",
        message: format!("the certificate `{arn}` does not exist (it was deleted meanwhile)"),
    }
}

/// Describes a certificate, polling within [`RECORD_APPEARS`] until its validation record
/// is there (a fresh request has none for a few seconds).
pub async fn with_validation_record(
    client: &Client,
    arn: &str,
    cancel: &CancellationToken,
) -> Result<ObservedCertificate, BackendError> {
    wait::until(
        &format!("the validation record of the certificate `{arn}`"),
        RECORD_APPEARS,
        cancel,
        || async {
            match describe(client, arn).await? {
                None => Err(gone(arn)),
                Some(c) if c.validation_record.is_some() => Ok(Poll::Ready(c)),
                Some(c) if c.status == CertificateStatus::Issued => Ok(Poll::Ready(c)),
                Some(c) => Ok(Poll::Pending(format!(
                    "{} without a validation record",
                    c.status.as_str()
                ))),
            }
        },
    )
    .await
}

/// What a status means for a wait for issuance.
fn issue_poll(c: ObservedCertificate) -> Poll<ObservedCertificate> {
    match c.status {
        CertificateStatus::Issued => Poll::Ready(c),
        CertificateStatus::PendingValidation => Poll::Pending(c.status.as_str().to_string()),
        ref s => Poll::Failed(s.as_str().to_string()),
    }
}

/// Waits until the certificate is issued (ACM saw its validation record), polling up to
/// `timeout`; stops at once when `cancel` fires. A certificate that failed, timed out its
/// validation or was revoked ends the wait with an error.
pub async fn wait_issued(
    client: &Client,
    arn: &str,
    timeout: Duration,
    cancel: &CancellationToken,
) -> Result<ObservedCertificate, BackendError> {
    let policy = WaitPolicy {
        initial: ISSUE_POLL_INITIAL,
        max_interval: ISSUE_POLL_MAX,
        timeout,
    };
    wait::until(
        &format!("the certificate `{arn}`"),
        policy,
        cancel,
        || async {
            match describe(client, arn).await? {
                None => Err(gone(arn)),
                Some(c) => Ok(issue_poll(c)),
            }
        },
    )
    .await
}

/// The certificate for exactly `domain` carrying tag `tag` (key, value), if any: how a
/// crashed create's certificate is found again. Certificates that failed or were revoked
/// are skipped.
pub async fn find_by_domain_and_tag(
    client: &Client,
    domain: &str,
    tag: (&str, &str),
) -> Result<Option<ObservedCertificate>, BackendError> {
    let mut next_token = None;
    loop {
        let out = client
            .list_certificates()
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "ListCertificates", e))?;
        for s in out.certificate_summary_list() {
            let (Some(arn), Some(name)) = (s.certificate_arn(), s.domain_name()) else {
                continue;
            };
            if name != domain
                || !matches!(
                    s.status(),
                    None | Some(CertificateStatus::Issued | CertificateStatus::PendingValidation)
                )
            {
                continue;
            }
            let tags = match client
                .list_tags_for_certificate()
                .certificate_arn(arn)
                .send()
                .await
            {
                Ok(t) => t,
                Err(e) if is_error(&e, "ResourceNotFoundException", None) => continue,
                Err(e) => return Err(api_error(SERVICE, "ListTagsForCertificate", e)),
            };
            if tags
                .tags()
                .iter()
                .any(|t| t.key() == tag.0 && t.value() == Some(tag.1))
            {
                return describe(client, arn).await;
            }
        }
        next_token = out.next_token().map(str::to_string);
        if next_token.is_none() {
            return Ok(None);
        }
    }
}

/// Deletes the certificate; one already gone counts as deleted. While a listener still
/// uses it (its load balancer was just deleted: ACM takes a moment to notice), retries
/// within [`RELEASE`], then fails naming the users.
pub async fn delete(
    client: &Client,
    arn: &str,
    cancel: &CancellationToken,
) -> Result<(), BackendError> {
    let in_use = until_released(
        &format!("the certificate `{arn}`"),
        RELEASE,
        cancel,
        || async {
            match client.delete_certificate().certificate_arn(arn).send().await {
                Ok(_) => Ok(Attempt::Gone),
                Err(e) if is_error(&e, "ResourceNotFoundException", None) => Ok(Attempt::Gone),
                Err(e) if is_error(&e, "ResourceInUseException", None) => {
                    Ok(Attempt::InUse(String::new()))
                }
                Err(e) => Err(api_error(SERVICE, "DeleteCertificate", e)),
            }
        },
        |minutes, _| {
            BackendError::Refused(format!(
                "the certificate `{arn}` is still in use after {minutes} minutes, so it was not deleted"
            ))
        },
    )
    .await;
    match in_use {
        Err(BackendError::Refused(m)) => {
            let users = describe(client, arn)
                .await
                .ok()
                .flatten()
                .map(|c| c.in_use_by.join("`, `"))
                .unwrap_or_default();
            Err(BackendError::Refused(format!(
                "{m} (used by `{users}`). Remove it from those listeners (or delete them), then destroy again."
            )))
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(status: CertificateStatus) -> ObservedCertificate {
        ObservedCertificate {
            arn: "arn:aws:acm:us-east-1:123456789012:certificate/x".into(),
            domain: "*.example.com".into(),
            status,
            validation_record: None,
            in_use_by: vec![],
        }
    }

    #[test]
    fn only_issued_ends_the_wait_and_failures_stop_it() {
        assert!(matches!(
            issue_poll(cert(CertificateStatus::Issued)),
            Poll::Ready(_)
        ));
        assert_eq!(
            issue_poll(cert(CertificateStatus::PendingValidation)),
            Poll::Pending("PENDING_VALIDATION".into())
        );
        for s in [
            CertificateStatus::Failed,
            CertificateStatus::ValidationTimedOut,
            CertificateStatus::Revoked,
        ] {
            assert!(
                matches!(issue_poll(cert(s.clone())), Poll::Failed(_)),
                "{s:?}"
            );
        }
    }
}
