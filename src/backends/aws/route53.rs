//! Route 53 records of an environment's ingress: a certificate's DNS validation CNAME and
//! each service's alias to the load balancer. Upsert, find, delete, each through
//! ChangeResourceRecordSets. Records carry no tags: the caller knows the names it owns.

use super::api_error::{api_error, is_error};
use crate::backends::BackendError;
use aws_sdk_route53::Client;
use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
};

const SERVICE: &str = "Route 53";

/// The kinds of record this provider writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordType {
    /// A canonical name (certificate validation).
    Cname,
    /// An IPv4 address record; here always an alias.
    A,
}

impl RecordType {
    fn rr(self) -> RrType {
        match self {
            RecordType::Cname => RrType::Cname,
            RecordType::A => RrType::A,
        }
    }
}

/// What a record says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordValue {
    /// A CNAME to `value`, cached `ttl` seconds.
    Cname {
        /// The canonical name.
        value: String,
        /// Seconds resolvers cache it.
        ttl: i64,
    },
    /// An A alias to an AWS resource (a load balancer), resolved by Route 53 itself.
    Alias {
        /// The target's DNS name.
        dns_name: String,
        /// The target's own hosted zone (the load balancer's canonical zone).
        hosted_zone_id: String,
    },
    /// An A record with addresses: never written by this provider, but found (and
    /// deleted or replaced) under a name it manages.
    Addresses {
        /// The IPv4 addresses.
        addresses: Vec<String>,
        /// Seconds resolvers cache them.
        ttl: i64,
    },
}

impl RecordValue {
    /// The record type that carries this value.
    pub fn record_type(&self) -> RecordType {
        match self {
            RecordValue::Cname { .. } => RecordType::Cname,
            RecordValue::Alias { .. } | RecordValue::Addresses { .. } => RecordType::A,
        }
    }

    /// Whether two values say the same (DNS names compared without case or final dot).
    pub fn same_as(&self, other: &RecordValue) -> bool {
        match (self, other) {
            (
                RecordValue::Cname { value: a, ttl: t1 },
                RecordValue::Cname { value: b, ttl: t2 },
            ) => same_name(a, b) && t1 == t2,
            (
                RecordValue::Alias {
                    dns_name: a,
                    hosted_zone_id: z1,
                },
                RecordValue::Alias {
                    dns_name: b,
                    hosted_zone_id: z2,
                },
            ) => same_name(a, b) && zone_id(z1) == zone_id(z2),
            (a @ RecordValue::Addresses { .. }, b) => a == b,
            _ => false,
        }
    }
}

/// A record as Route 53 reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedRecord {
    /// Its name, as Route 53 spells it (with the final dot).
    pub name: String,
    /// What it says.
    pub value: RecordValue,
}

/// A zone id as Route 53 takes it: without the `/hostedzone/` prefix some answers carry.
pub fn zone_id(id: &str) -> &str {
    id.trim_start_matches("/hostedzone/")
}

/// A DNS name in Route 53's canonical form: lower case, `*` as Route 53 returns it
/// (`\052`), no final dot.
fn canonical(name: &str) -> String {
    name.trim_end_matches('.')
        .replace("\\052", "*")
        .to_ascii_lowercase()
}

fn same_name(a: &str, b: &str) -> bool {
    canonical(a) == canonical(b)
}

fn build_error(operation: &'static str, e: impl std::fmt::Display) -> BackendError {
    BackendError::Api {
        service: SERVICE,
        operation,
        message: e.to_string(),
    }
}

fn record_set(name: &str, value: &RecordValue) -> Result<ResourceRecordSet, BackendError> {
    let op = "ChangeResourceRecordSets";
    let b = ResourceRecordSet::builder()
        .name(name)
        .r#type(value.record_type().rr());
    let b = match value {
        RecordValue::Cname { value, ttl } => b.ttl(*ttl).resource_records(
            ResourceRecord::builder()
                .value(value)
                .build()
                .map_err(|e| build_error(op, e))?,
        ),
        RecordValue::Alias {
            dns_name,
            hosted_zone_id,
        } => b.alias_target(
            AliasTarget::builder()
                .dns_name(dns_name)
                .hosted_zone_id(zone_id(hosted_zone_id))
                .evaluate_target_health(true)
                .build()
                .map_err(|e| build_error(op, e))?,
        ),
        RecordValue::Addresses { addresses, ttl } => b.ttl(*ttl).set_resource_records(Some(
            addresses
                .iter()
                .map(|a| ResourceRecord::builder().value(a).build())
                .collect::<Result<_, _>>()
                .map_err(|e| build_error(op, e))?,
        )),
    };
    b.build().map_err(|e| build_error(op, e))
}

async fn change(
    client: &Client,
    zone: &str,
    action: ChangeAction,
    set: ResourceRecordSet,
) -> Result<
    (),
    aws_sdk_route53::error::SdkError<
        aws_sdk_route53::operation::change_resource_record_sets::ChangeResourceRecordSetsError,
    >,
> {
    let batch = ChangeBatch::builder()
        .changes(
            Change::builder()
                .action(action)
                .resource_record_set(set)
                .build()
                .expect("action and record set are set"),
        )
        .build()
        .expect("one change is set");
    client
        .change_resource_record_sets()
        .hosted_zone_id(zone_id(zone))
        .change_batch(batch)
        .send()
        .await
        .map(|_| ())
}

fn no_zone(zone: &str) -> BackendError {
    BackendError::Refused(format!(
        "the Route 53 hosted zone `{}` does not exist in this account. Check `hosted_zone_id` (the zone's id, e.g. `Z0123456789ABCDEFGHIJ`).",
        zone_id(zone)
    ))
}

/// Creates the record or replaces what it says (UPSERT).
pub async fn upsert_record(
    client: &Client,
    zone: &str,
    name: &str,
    value: &RecordValue,
) -> Result<(), BackendError> {
    match change(client, zone, ChangeAction::Upsert, record_set(name, value)?).await {
        Ok(()) => Ok(()),
        Err(e) if is_error(&e, "NoSuchHostedZone", None) => Err(no_zone(zone)),
        Err(e) => Err(api_error(SERVICE, "ChangeResourceRecordSets", e)),
    }
}

/// The record set of `name` and `record_type` as Route 53 holds it, every field included.
async fn find_set(
    client: &Client,
    zone: &str,
    name: &str,
    record_type: RecordType,
) -> Result<Option<ResourceRecordSet>, BackendError> {
    let out = match client
        .list_resource_record_sets()
        .hosted_zone_id(zone_id(zone))
        .start_record_name(name)
        .start_record_type(record_type.rr())
        .max_items(1)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) if is_error(&e, "NoSuchHostedZone", None) => return Err(no_zone(zone)),
        Err(e) => return Err(api_error(SERVICE, "ListResourceRecordSets", e)),
    };
    Ok(out
        .resource_record_sets()
        .iter()
        .find(|s| same_name(s.name(), name) && s.r#type() == &record_type.rr())
        .cloned())
}

fn observed(set: &ResourceRecordSet, record_type: RecordType) -> ObservedRecord {
    let value = match (record_type, set.alias_target()) {
        (_, Some(alias)) => RecordValue::Alias {
            dns_name: alias.dns_name().to_string(),
            hosted_zone_id: alias.hosted_zone_id().to_string(),
        },
        (RecordType::Cname, None) => RecordValue::Cname {
            value: set
                .resource_records()
                .first()
                .map(|r| r.value().to_string())
                .unwrap_or_default(),
            ttl: set.ttl().unwrap_or_default(),
        },
        (RecordType::A, None) => RecordValue::Addresses {
            addresses: set
                .resource_records()
                .iter()
                .map(|r| r.value().to_string())
                .collect(),
            ttl: set.ttl().unwrap_or_default(),
        },
    };
    ObservedRecord {
        name: set.name().to_string(),
        value,
    }
}

/// The record of `name` and `record_type` in the zone; `None` when there is none.
pub async fn find_record(
    client: &Client,
    zone: &str,
    name: &str,
    record_type: RecordType,
) -> Result<Option<ObservedRecord>, BackendError> {
    Ok(find_set(client, zone, name, record_type)
        .await?
        .map(|set| observed(&set, record_type)))
}

/// How many times a delete re-reads a record that changed between its read and its
/// DELETE (Route 53 deletes only a record given with exactly its current values).
const DELETE_ATTEMPTS: usize = 3;

/// Deletes the record of `name` and `record_type`: the set is read first and deleted
/// with exactly its values (TTL, alias target health, routing fields). A record or zone
/// already gone counts as deleted.
pub async fn delete_record(
    client: &Client,
    zone: &str,
    name: &str,
    record_type: RecordType,
) -> Result<(), BackendError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let set = match find_set(client, zone, name, record_type).await {
            Ok(Some(set)) => set,
            Ok(None) => return Ok(()),
            // The zone is gone, and its records with it.
            Err(BackendError::Refused(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        match change(client, zone, ChangeAction::Delete, set).await {
            Ok(()) => return Ok(()),
            Err(e) if is_error(&e, "NoSuchHostedZone", None) => return Ok(()),
            // Deleted or changed since the read: read it again.
            Err(e)
                if is_error(&e, "InvalidChangeBatch", Some("not found"))
                    && attempt < DELETE_ATTEMPTS => {}
            Err(e) => return Err(api_error(SERVICE, "ChangeResourceRecordSets", e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_without_case_final_dot_or_escaped_wildcard() {
        assert!(same_name("Api.Example.com.", "api.example.com"));
        assert!(same_name("\\052.example.com.", "*.example.com"));
        assert!(!same_name("api.example.com", "www.example.com"));
        assert_eq!(zone_id("/hostedzone/Z123"), "Z123");
        assert_eq!(zone_id("Z123"), "Z123");
    }

    #[test]
    fn values_compare_as_dns_names() {
        let alias = |d: &str| RecordValue::Alias {
            dns_name: d.into(),
            hosted_zone_id: "Z35SXDOTRQ7X7K".into(),
        };
        assert!(
            alias("dualstack.lb-1.us-east-1.elb.amazonaws.com.")
                .same_as(&alias("DUALSTACK.lb-1.us-east-1.elb.amazonaws.com"))
        );
        assert!(!alias("lb-1").same_as(&alias("lb-2")));
        let cname = RecordValue::Cname {
            value: "_x.acm-validations.aws.".into(),
            ttl: 300,
        };
        assert!(cname.same_as(&RecordValue::Cname {
            value: "_x.acm-validations.aws".into(),
            ttl: 300
        }));
        assert!(!cname.same_as(&alias("_x.acm-validations.aws")));
        assert_eq!(cname.record_type(), RecordType::Cname);
    }

    #[test]
    fn an_alias_is_an_a_record_with_its_target() {
        let set = record_set(
            "api.example.com",
            &RecordValue::Alias {
                dns_name: "lb-1.us-east-1.elb.amazonaws.com".into(),
                hosted_zone_id: "/hostedzone/Z35SXDOTRQ7X7K".into(),
            },
        )
        .unwrap();
        assert_eq!(set.r#type(), &RrType::A);
        let target = set.alias_target().unwrap();
        assert_eq!(target.hosted_zone_id(), "Z35SXDOTRQ7X7K");
        assert!(set.resource_records().is_empty());
    }
}
