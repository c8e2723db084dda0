//! VPC security groups the platform makes (the shared load balancer's; the tasks' rule
//! admitting it): the VPC of a set of subnets, find by name in a VPC, create with tags
//! (adopting only an unfinished create of ours), bring the TCP ingress rules to the
//! desired ones, finish a create, delete (waiting, bounded, while something still uses it).
//!
//! Egress is left at EC2's default (all traffic allowed). Ingress rules are compared by
//! port and source; a description alone differing is not a change.

use super::api_error::{api_error, is_error};
use crate::backends::BackendError;
use crate::backends::ownership::{self, Owner};
use crate::backends::wait::{self, Poll, WaitPolicy};
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    Filter, IpPermission, IpRange, Ipv6Range, ResourceType, Tag, TagSpecification, UserIdGroupPair,
};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const SERVICE: &str = "EC2";

/// How long a delete waits for the network interfaces that still use a group to go: a
/// deleted load balancer's or stopped task's interfaces are released within minutes.
pub const RELEASE: WaitPolicy = WaitPolicy {
    initial: Duration::from_secs(5),
    max_interval: Duration::from_secs(30),
    timeout: Duration::from_secs(10 * 60),
};

/// Where the traffic an ingress rule admits comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum RuleSource {
    /// An IPv4 (`0.0.0.0/0`) or IPv6 (`::/0`) range.
    Cidr(String),
    /// Members of another security group, by id.
    Group(String),
}

/// One TCP ingress rule: a port and who may reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The TCP port.
    pub port: i32,
    /// Who may connect.
    pub source: RuleSource,
    /// Shown in the console; not compared.
    pub description: String,
}

impl Rule {
    fn key(&self) -> (i32, &RuleSource) {
        (self.port, &self.source)
    }
}

/// An ingress rule that is not a single TCP port (another protocol, a port range): never
/// made by this provider, so revoked when found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherRule {
    /// `udp`, `icmp`, `-1` (all), or `tcp` with a range.
    pub protocol: String,
    /// First port, when the protocol has ports.
    pub from_port: Option<i32>,
    /// Last port.
    pub to_port: Option<i32>,
    /// Who it admits.
    pub source: RuleSource,
}

/// What a security group should look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredSecurityGroup {
    /// Its name, unique in the VPC.
    pub name: String,
    /// Its description (fixed at create: EC2 cannot change it).
    pub description: String,
    /// Its VPC.
    pub vpc_id: String,
    /// Exactly these TCP ingress rules.
    pub ingress: Vec<Rule>,
    /// Every tag, including the `platform:*` ones.
    pub tags: BTreeMap<String, String>,
}

/// A security group as EC2 reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedSecurityGroup {
    /// Its id, `sg-…`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its VPC.
    pub vpc_id: String,
    /// Its single-port TCP ingress rules.
    pub ingress: Vec<Rule>,
    /// Its other ingress rules.
    pub other_ingress: Vec<OtherRule>,
    /// Every tag.
    pub tags: BTreeMap<String, String>,
}

/// A subnet with its VPC and Availability Zone.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Placed {
    subnet: String,
    vpc: String,
    zone: String,
}

/// The subnets' VPCs and zones; subnets that do not exist are refused, named.
async fn place(client: &Client, subnets: &[String]) -> Result<Vec<Placed>, BackendError> {
    if subnets.is_empty() {
        return Err(BackendError::Refused(
            "no subnets were given: list at least two public subnets in different Availability Zones".into(),
        ));
    }
    let out = match client
        .describe_subnets()
        .set_subnet_ids(Some(subnets.to_vec()))
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) if is_error(&e, "InvalidSubnetID.NotFound", None) => {
            let message = e
                .as_service_error()
                .and_then(|s| aws_sdk_ec2::error::ProvideErrorMetadata::message(s))
                .unwrap_or("not found")
                .to_string();
            return Err(BackendError::Refused(format!(
                "the subnets {} cannot all be found in this account and region ({message}). Check the subnet ids and the provider's region.",
                quoted(subnets)
            )));
        }
        Err(e) => return Err(api_error(SERVICE, "DescribeSubnets", e)),
    };
    let placed: Vec<Placed> = out
        .subnets()
        .iter()
        .map(|s| Placed {
            subnet: s.subnet_id().unwrap_or_default().to_string(),
            vpc: s.vpc_id().unwrap_or_default().to_string(),
            zone: s.availability_zone().unwrap_or_default().to_string(),
        })
        .collect();
    let missing: Vec<String> = subnets
        .iter()
        .filter(|id| !placed.iter().any(|p| &p.subnet == *id))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(BackendError::Refused(format!(
            "the subnets {} cannot be found in this account and region. Check the subnet ids and the provider's region.",
            quoted(&missing)
        )));
    }
    Ok(placed)
}

/// The one VPC of placed subnets, or a refusal naming each VPC's subnets.
fn one_vpc(placed: &[Placed]) -> Result<String, BackendError> {
    let mut by_vpc: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for p in placed {
        by_vpc.entry(&p.vpc).or_default().push(p.subnet.clone());
    }
    match by_vpc.len() {
        1 => Ok(by_vpc.into_keys().next().unwrap_or_default().to_string()),
        0 => Err(BackendError::Refused("no subnets were given".into())),
        _ => {
            let all: Vec<String> = by_vpc
                .iter()
                .map(|(vpc, subnets)| format!("{} in `{vpc}`", quoted(subnets)))
                .collect();
            Err(BackendError::Refused(format!(
                "the subnets are in several VPCs ({}): they must all be in one VPC. List subnets of one VPC.",
                all.join(", ")
            )))
        }
    }
}

/// Refuses subnets an Application Load Balancer cannot use: fewer than two Availability
/// Zones, or two subnets in one zone.
fn load_balancer_zones(placed: &[Placed]) -> Result<(), BackendError> {
    let mut by_zone: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for p in placed {
        by_zone.entry(&p.zone).or_default().push(p.subnet.clone());
    }
    if let Some((zone, subnets)) = by_zone.iter().find(|(_, s)| s.len() > 1) {
        return Err(BackendError::Refused(format!(
            "the subnets {} are all in `{zone}`: a load balancer takes one subnet per Availability Zone. Keep one of them.",
            quoted(subnets)
        )));
    }
    if by_zone.len() < 2 {
        return Err(BackendError::Refused(format!(
            "the subnets {} cover one Availability Zone ({}): an Application Load Balancer needs public subnets in at least two. Add a public subnet in another zone.",
            quoted(&placed.iter().map(|p| p.subnet.clone()).collect::<Vec<_>>()),
            by_zone
                .keys()
                .map(|z| format!("`{z}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(())
}

/// The one VPC that `subnets` are in. Subnets that do not exist, or that span several
/// VPCs, are refused with a message naming them.
pub async fn vpc_of_subnets(client: &Client, subnets: &[String]) -> Result<String, BackendError> {
    one_vpc(&place(client, subnets).await?)
}

/// [`vpc_of_subnets`] for a load balancer's subnets, which must also be in at least two
/// Availability Zones, one subnet per zone (refused here with a message naming them,
/// rather than by CreateLoadBalancer).
pub async fn vpc_of_load_balancer_subnets(
    client: &Client,
    subnets: &[String],
) -> Result<String, BackendError> {
    let placed = place(client, subnets).await?;
    let vpc = one_vpc(&placed)?;
    load_balancer_zones(&placed)?;
    Ok(vpc)
}

fn quoted(ids: &[String]) -> String {
    ids.iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn source_of_range(cidr: &str) -> RuleSource {
    RuleSource::Cidr(cidr.to_string())
}

/// The ingress rules of a group, split into single-port TCP ones and the others.
fn ingress_of(perms: &[IpPermission]) -> (Vec<Rule>, Vec<OtherRule>) {
    let mut rules = Vec::new();
    let mut others = Vec::new();
    for p in perms {
        let mut sources: Vec<(RuleSource, String)> = Vec::new();
        for r in p.ip_ranges() {
            if let Some(c) = r.cidr_ip() {
                sources.push((source_of_range(c), r.description().unwrap_or("").into()));
            }
        }
        for r in p.ipv6_ranges() {
            if let Some(c) = r.cidr_ipv6() {
                sources.push((source_of_range(c), r.description().unwrap_or("").into()));
            }
        }
        for g in p.user_id_group_pairs() {
            if let Some(id) = g.group_id() {
                sources.push((
                    RuleSource::Group(id.to_string()),
                    g.description().unwrap_or("").into(),
                ));
            }
        }
        let protocol = p.ip_protocol().unwrap_or("-1").to_string();
        let single_tcp =
            protocol == "tcp" && p.from_port().is_some() && p.from_port() == p.to_port();
        for (source, description) in sources {
            if single_tcp {
                rules.push(Rule {
                    port: p.from_port().unwrap_or_default(),
                    source,
                    description,
                });
            } else {
                others.push(OtherRule {
                    protocol: protocol.clone(),
                    from_port: p.from_port(),
                    to_port: p.to_port(),
                    source,
                });
            }
        }
    }
    (rules, others)
}

fn permission(
    protocol: &str,
    from: Option<i32>,
    to: Option<i32>,
    source: &RuleSource,
    description: Option<&str>,
) -> IpPermission {
    let b = IpPermission::builder()
        .ip_protocol(protocol)
        .set_from_port(from)
        .set_to_port(to);
    match source {
        RuleSource::Cidr(c) if c.contains(':') => b
            .ipv6_ranges(
                Ipv6Range::builder()
                    .cidr_ipv6(c)
                    .set_description(description.map(str::to_string))
                    .build(),
            )
            .build(),
        RuleSource::Cidr(c) => b
            .ip_ranges(
                IpRange::builder()
                    .cidr_ip(c)
                    .set_description(description.map(str::to_string))
                    .build(),
            )
            .build(),
        RuleSource::Group(g) => b
            .user_id_group_pairs(
                UserIdGroupPair::builder()
                    .group_id(g)
                    .set_description(description.map(str::to_string))
                    .build(),
            )
            .build(),
    }
}

fn rule_permission(r: &Rule) -> IpPermission {
    let description = (!r.description.is_empty()).then_some(r.description.as_str());
    permission("tcp", Some(r.port), Some(r.port), &r.source, description)
}

/// What to change to bring `observed` ingress to `desired`: rules to authorize and the
/// permissions to revoke.
fn ingress_changes(
    observed: &ObservedSecurityGroup,
    desired: &[Rule],
) -> (Vec<IpPermission>, Vec<IpPermission>) {
    let authorize = desired
        .iter()
        .filter(|d| !observed.ingress.iter().any(|o| o.key() == d.key()))
        .map(rule_permission)
        .collect();
    let revoke = observed
        .ingress
        .iter()
        .filter(|o| !desired.iter().any(|d| d.key() == o.key()))
        .map(|o| permission("tcp", Some(o.port), Some(o.port), &o.source, None))
        .chain(
            observed
                .other_ingress
                .iter()
                .map(|o| permission(&o.protocol, o.from_port, o.to_port, &o.source, None)),
        )
        .collect();
    (authorize, revoke)
}

/// Looks a group up by name in a VPC, with its rules and tags; `None` when there is none.
pub async fn find(
    client: &Client,
    vpc_id: &str,
    name: &str,
) -> Result<Option<ObservedSecurityGroup>, BackendError> {
    let filter = |n: &str, v: &str| Filter::builder().name(n).values(v).build();
    let out = client
        .describe_security_groups()
        .filters(filter("group-name", name))
        .filters(filter("vpc-id", vpc_id))
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "DescribeSecurityGroups", e))?;
    let Some(g) = out
        .security_groups()
        .iter()
        .find(|g| g.group_name() == Some(name) && g.vpc_id() == Some(vpc_id))
    else {
        return Ok(None);
    };
    let (ingress, other_ingress) = ingress_of(g.ip_permissions());
    Ok(Some(ObservedSecurityGroup {
        id: g.group_id().unwrap_or_default().to_string(),
        name: name.to_string(),
        vpc_id: vpc_id.to_string(),
        ingress,
        other_ingress,
        tags: g
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
            .collect(),
    }))
}

fn tag_list(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// Creates the group with its tags (the creating marker while `owner` is creating) and
/// ingress rules, or adopts the one an unfinished create of this owner left (`existing`,
/// just looked up) and brings it to `desired`. Any other group of that name in the VPC is
/// refused untouched.
pub async fn create_given(
    client: &Client,
    desired: &DesiredSecurityGroup,
    owner: Owner<'_>,
    existing: Option<ObservedSecurityGroup>,
) -> Result<ObservedSecurityGroup, BackendError> {
    let desired = &DesiredSecurityGroup {
        tags: owner.tags(&desired.tags),
        ..desired.clone()
    };
    if let Some(existing) = existing {
        owner.check(
            || {
                format!(
                    "The security group `{}` in `{}`",
                    desired.name, desired.vpc_id
                )
            },
            &existing.tags,
        )?;
        tracing::info!(security_group = %desired.name, "adopting the security group an unfinished create left");
        return update(client, &existing, desired).await;
    }
    let out = client
        .create_security_group()
        .group_name(&desired.name)
        .description(&desired.description)
        .vpc_id(&desired.vpc_id)
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::SecurityGroup)
                .set_tags(Some(tag_list(&desired.tags)))
                .build(),
        )
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "CreateSecurityGroup", e))?;
    let created = ObservedSecurityGroup {
        id: out.group_id().unwrap_or_default().to_string(),
        name: desired.name.clone(),
        vpc_id: desired.vpc_id.clone(),
        ingress: Vec::new(),
        other_ingress: Vec::new(),
        tags: desired.tags.clone(),
    };
    update(client, &created, desired).await
}

/// Authorizes the desired ingress rules it lacks and revokes the ones not desired; syncs
/// tags. Calls only what differs.
pub async fn update(
    client: &Client,
    observed: &ObservedSecurityGroup,
    desired: &DesiredSecurityGroup,
) -> Result<ObservedSecurityGroup, BackendError> {
    let (authorize, revoke) = ingress_changes(observed, &desired.ingress);
    authorize_permissions(client, &observed.id, authorize).await?;
    revoke_permissions(client, &observed.id, revoke).await?;
    let (stale, changed) = super::tag_changes(&observed.tags, &desired.tags);
    if !stale.is_empty() {
        client
            .delete_tags()
            .resources(&observed.id)
            .set_tags(Some(
                stale
                    .iter()
                    .map(|k| Tag::builder().key(k).build())
                    .collect(),
            ))
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "DeleteTags", e))?;
    }
    if !changed.is_empty() {
        client
            .create_tags()
            .resources(&observed.id)
            .set_tags(Some(tag_list(&changed)))
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "CreateTags", e))?;
    }
    Ok(ObservedSecurityGroup {
        id: observed.id.clone(),
        name: observed.name.clone(),
        vpc_id: observed.vpc_id.clone(),
        ingress: desired.ingress.clone(),
        other_ingress: Vec::new(),
        tags: desired.tags.clone(),
    })
}

/// Adds these TCP ingress rules to a group, leaving its other rules alone (for a group
/// the platform does not own, e.g. the tasks' group admitting the load balancer's). Rules
/// already there count as added.
pub async fn authorize_ingress(
    client: &Client,
    group_id: &str,
    rules: &[Rule],
) -> Result<(), BackendError> {
    authorize_permissions(
        client,
        group_id,
        rules.iter().map(rule_permission).collect(),
    )
    .await
}

/// Removes these TCP ingress rules from a group, leaving its other rules alone. Rules (or
/// a group) already gone count as removed.
pub async fn revoke_ingress(
    client: &Client,
    group_id: &str,
    rules: &[Rule],
) -> Result<(), BackendError> {
    // A rule naming another group is revoked as the group holds it (the pair's account
    // and description): EC2 matches the group alone, moto only the whole pair.
    let held = match client
        .describe_security_groups()
        .group_ids(group_id)
        .send()
        .await
    {
        Ok(out) => out
            .security_groups()
            .first()
            .map(|g| g.ip_permissions().to_vec())
            .unwrap_or_default(),
        Err(e) if is_error(&e, "InvalidGroup.NotFound", None) => return Ok(()),
        Err(e) => return Err(api_error(SERVICE, "DescribeSecurityGroups", e)),
    };
    let perms = rules
        .iter()
        .map(|r| match &r.source {
            RuleSource::Group(source) => {
                // Every pair of that group on that port (an emulator may hold one per
                // description where EC2 holds one).
                let pairs: Vec<UserIdGroupPair> = held
                    .iter()
                    .filter(|p| {
                        p.ip_protocol() == Some("tcp")
                            && p.from_port() == Some(r.port)
                            && p.to_port() == Some(r.port)
                    })
                    .flat_map(|p| p.user_id_group_pairs())
                    .filter(|pair| pair.group_id() == Some(source.as_str()))
                    .map(|pair| {
                        UserIdGroupPair::builder()
                            .set_group_id(pair.group_id().map(str::to_string))
                            .set_user_id(pair.user_id().map(str::to_string))
                            .set_description(pair.description().map(str::to_string))
                            .build()
                    })
                    .collect();
                if pairs.is_empty() {
                    permission("tcp", Some(r.port), Some(r.port), &r.source, None)
                } else {
                    IpPermission::builder()
                        .ip_protocol("tcp")
                        .from_port(r.port)
                        .to_port(r.port)
                        .set_user_id_group_pairs(Some(pairs))
                        .build()
                }
            }
            RuleSource::Cidr(_) => permission("tcp", Some(r.port), Some(r.port), &r.source, None),
        })
        .collect();
    revoke_permissions(client, group_id, perms).await
}

/// AuthorizeSecurityGroupIngress, all at once; when one of them exists already (another
/// apply added it, and the call then adds none), one by one.
async fn authorize_permissions(
    client: &Client,
    group_id: &str,
    perms: Vec<IpPermission>,
) -> Result<(), BackendError> {
    if perms.is_empty() {
        return Ok(());
    }
    let call = |perms: Vec<IpPermission>| async move {
        match client
            .authorize_security_group_ingress()
            .group_id(group_id)
            .set_ip_permissions(Some(perms))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if is_error(&e, "InvalidPermission.Duplicate", None) => Ok(false),
            Err(e) => Err(api_error(SERVICE, "AuthorizeSecurityGroupIngress", e)),
        }
    };
    if call(perms.clone()).await? || perms.len() == 1 {
        return Ok(());
    }
    for p in perms {
        call(vec![p]).await?;
    }
    Ok(())
}

/// RevokeSecurityGroupIngress, all at once; when one of them is gone already, one by one.
/// A group that is gone has no rules left to revoke.
async fn revoke_permissions(
    client: &Client,
    group_id: &str,
    perms: Vec<IpPermission>,
) -> Result<(), BackendError> {
    if perms.is_empty() {
        return Ok(());
    }
    let call = |perms: Vec<IpPermission>| async move {
        match client
            .revoke_security_group_ingress()
            .group_id(group_id)
            .set_ip_permissions(Some(perms))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            // The group is gone, and its rules with it.
            Err(e) if is_error(&e, "InvalidGroup.NotFound", None) => Ok(true),
            Err(e) if is_error(&e, "InvalidPermission.NotFound", None) => Ok(false),
            Err(e) => Err(api_error(SERVICE, "RevokeSecurityGroupIngress", e)),
        }
    };
    if call(perms.clone()).await? || perms.len() == 1 {
        return Ok(());
    }
    for p in perms {
        call(vec![p]).await?;
    }
    Ok(())
}

/// Marks the group's create as finished (removes the creating marker).
pub async fn finish(client: &Client, observed: &ObservedSecurityGroup) -> Result<(), BackendError> {
    if !ownership::is_creating(&observed.tags) {
        return Ok(());
    }
    client
        .delete_tags()
        .resources(&observed.id)
        .tags(Tag::builder().key(ownership::TAG_LIFECYCLE).build())
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "DeleteTags", e))?;
    Ok(())
}

/// What one delete attempt found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// Deleted, or already gone.
    Gone,
    /// Still used by a network interface or another group's rule (EC2's message).
    InUse(String),
}

/// Deletes the group; one already gone counts as deleted. While a network interface or
/// another group's rule still uses it (`DependencyViolation`), retries within [`RELEASE`],
/// then fails naming what to remove.
pub async fn delete(
    client: &Client,
    id: &str,
    cancel: &CancellationToken,
) -> Result<(), BackendError> {
    delete_within(id, RELEASE, cancel, || async move {
        match client.delete_security_group().group_id(id).send().await {
            Ok(_) => Ok(Attempt::Gone),
            Err(e) if is_error(&e, "InvalidGroup.NotFound", None) => Ok(Attempt::Gone),
            Err(e) if is_error(&e, "DependencyViolation", None) => Ok(Attempt::InUse(
                e.as_service_error()
                    .and_then(|s| aws_sdk_ec2::error::ProvideErrorMetadata::message(s))
                    .unwrap_or("resource has a dependent object")
                    .to_string(),
            )),
            Err(e) => Err(api_error(SERVICE, "DeleteSecurityGroup", e)),
        }
    })
    .await
}

async fn delete_within<F, Fut>(
    id: &str,
    policy: WaitPolicy,
    cancel: &CancellationToken,
    attempt: F,
) -> Result<(), BackendError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Attempt, BackendError>>,
{
    until_released(&format!("the security group `{id}`"), policy, cancel, attempt, |minutes, last| {
        BackendError::Refused(format!(
            "the security group `{id}` is still in use after {minutes} minutes (DependencyViolation: {last}), so it was not deleted. A network interface (of a load balancer or task being deleted) or another security group's rule still refers to it; once that is gone, destroy again."
        ))
    })
    .await
}

/// Repeats a delete `attempt` that finds its resource still in use, within `policy`, and
/// ends with `refusal(minutes, last message)` when it stays in use. Shared by the deletes
/// that AWS refuses while a just-deleted user lets go (security groups, certificates).
pub(crate) async fn until_released<F, Fut>(
    what: &str,
    policy: WaitPolicy,
    cancel: &CancellationToken,
    mut attempt: F,
    refusal: impl Fn(u64, &str) -> BackendError,
) -> Result<(), BackendError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Attempt, BackendError>>,
{
    let started = tokio::time::Instant::now();
    let refusal = &refusal;
    // The wait's own bound is never reached: the probe refuses first, with its message.
    let outer = WaitPolicy {
        timeout: policy.timeout + policy.max_interval * 2,
        ..policy
    };
    wait::until(what, outer, cancel, move || {
        let fut = attempt();
        async move {
            match fut.await? {
                Attempt::Gone => Ok(Poll::Ready(())),
                Attempt::InUse(m) if started.elapsed() >= policy.timeout => {
                    Err(refusal(policy.timeout.as_secs() / 60, &m))
                }
                Attempt::InUse(_) => Ok(Poll::Pending("in use".into())),
            }
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn rule(port: i32, source: RuleSource) -> Rule {
        Rule {
            port,
            source,
            description: String::new(),
        }
    }

    #[test]
    fn only_the_rules_that_differ_are_authorized_or_revoked() {
        let alb = RuleSource::Group("sg-alb".into());
        let anywhere = RuleSource::Cidr("0.0.0.0/0".into());
        let observed = ObservedSecurityGroup {
            id: "sg-1".into(),
            name: "n".into(),
            vpc_id: "vpc-1".into(),
            ingress: vec![
                rule(443, anywhere.clone()),
                Rule {
                    description: "old text".into(),
                    ..rule(80, anywhere.clone())
                },
                rule(22, anywhere.clone()),
            ],
            other_ingress: vec![OtherRule {
                protocol: "-1".into(),
                from_port: None,
                to_port: None,
                source: anywhere.clone(),
            }],
            tags: BTreeMap::new(),
        };
        let desired = [
            rule(443, anywhere.clone()),
            rule(80, anywhere.clone()),
            rule(8080, alb.clone()),
        ];
        let (authorize, revoke) = ingress_changes(&observed, &desired);
        let (added, others) = ingress_of(&authorize);
        assert_eq!(added, vec![rule(8080, alb)]);
        assert!(others.is_empty());
        let (removed, others) = ingress_of(&revoke);
        assert_eq!(removed, vec![rule(22, anywhere.clone())]);
        assert_eq!(others, observed.other_ingress);
        let settled = ObservedSecurityGroup {
            ingress: desired.to_vec(),
            other_ingress: vec![],
            ..observed
        };
        let (authorize, revoke) = ingress_changes(&settled, &desired);
        assert!(authorize.is_empty() && revoke.is_empty());
    }

    fn placed(subnet: &str, vpc: &str, zone: &str) -> Placed {
        Placed {
            subnet: subnet.into(),
            vpc: vpc.into(),
            zone: zone.into(),
        }
    }

    #[test]
    fn subnets_must_share_a_vpc_and_a_load_balancer_needs_two_zones() {
        let a = placed("subnet-a", "vpc-1", "us-east-1a");
        let b = placed("subnet-b", "vpc-1", "us-east-1b");
        assert_eq!(one_vpc(&[a.clone(), b.clone()]).unwrap(), "vpc-1");
        assert!(load_balancer_zones(&[a.clone(), b.clone()]).is_ok());
        let text = one_vpc(&[a.clone(), placed("subnet-x", "vpc-2", "us-east-1b")])
            .unwrap_err()
            .to_string();
        assert!(text.contains("`subnet-x` in `vpc-2`"), "{text}");
        let text = load_balancer_zones(std::slice::from_ref(&a))
            .unwrap_err()
            .to_string();
        assert!(text.contains("at least two"), "{text}");
        let text = load_balancer_zones(&[a, placed("subnet-c", "vpc-1", "us-east-1a"), b])
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("`subnet-a`, `subnet-c` are all in `us-east-1a`"),
            "{text}"
        );
    }

    #[test]
    fn ipv6_ranges_are_written_as_ipv6() {
        let p = rule_permission(&rule(443, RuleSource::Cidr("::/0".into())));
        assert_eq!(p.ipv6_ranges().len(), 1);
        assert!(p.ip_ranges().is_empty());
        assert_eq!(
            ingress_of(&[p]).0,
            vec![rule(443, RuleSource::Cidr("::/0".into()))]
        );
    }

    const FAST: WaitPolicy = WaitPolicy {
        initial: Duration::from_secs(1),
        max_interval: Duration::from_secs(4),
        timeout: Duration::from_secs(60),
    };

    #[tokio::test(start_paused = true)]
    async fn a_group_in_use_is_retried_until_released() {
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        delete_within("sg-1", FAST, &CancellationToken::new(), move || {
            let n = c.fetch_add(1, Ordering::SeqCst);
            async move {
                Ok(if n < 3 {
                    Attempt::InUse("resource sg-1 has a dependent object".into())
                } else {
                    Attempt::Gone
                })
            }
        })
        .await
        .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn a_group_never_released_fails_naming_it() {
        let err = delete_within("sg-1", FAST, &CancellationToken::new(), || async {
            Ok(Attempt::InUse(
                "resource sg-1 has a dependent object".into(),
            ))
        })
        .await
        .unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, BackendError::Refused(_)), "{text}");
        assert!(text.contains("`sg-1` is still in use"), "{text}");
        assert!(text.contains("dependent object"), "{text}");
    }
}
