//! Elastic Load Balancing v2 for the shared ingress: the environment's Application Load
//! Balancer (internet-facing, IPv4, access logs off) and its listeners, and each service's
//! target group (ip targets, HTTP health check) and listener rule (host, optional path,
//! forward).
//!
//! The load balancer and target groups have names and follow the usual find → create
//! (adopting only an unfinished create of ours) → update → finish → delete. Listeners
//! belong to their load balancer and go with it. Rules have no name: the caller finds its
//! own among [`rules`] by tag, and picks the priority; [`create_rule`] answers
//! [`RuleCreated::PriorityInUse`] rather than an error when another state took it first.

use super::api_error::{api_error, is_error};
use crate::backends::BackendError;
use crate::backends::ownership::{self, Owner};
use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, FixedResponseActionConfig, HostHeaderConditionConfig,
    IpAddressType, LoadBalancerAttribute, LoadBalancerSchemeEnum, LoadBalancerTypeEnum,
    PathPatternConditionConfig, ProtocolEnum, RedirectActionConfig, RedirectActionStatusCodeEnum,
    RuleCondition, Tag, TargetGroupAttribute, TargetTypeEnum,
};
use std::collections::BTreeMap;

const SERVICE: &str = "Elastic Load Balancing";

/// The longest name a load balancer or target group may have.
pub const MAX_NAME_LEN: usize = 32;

/// The security policy of HTTPS listeners that AWS recommends (TLS 1.3 and 1.2; the
/// console's default).
pub const RECOMMENDED_SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/// DescribeTags takes at most this many ARNs.
const DESCRIBE_TAGS_LIMIT: usize = 20;

const ATTR_DELETION_PROTECTION: &str = "deletion_protection.enabled";
const ATTR_IDLE_TIMEOUT: &str = "idle_timeout.timeout_seconds";
const ATTR_ACCESS_LOGS: &str = "access_logs.s3.enabled";
const ATTR_DEREGISTRATION_DELAY: &str = "deregistration_delay.timeout_seconds";

// ------------------------------------------------------------------ tags

fn tag_list(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// The tags of up to any number of resources, by ARN (DescribeTags, 20 ARNs a call).
pub async fn tags_of(
    client: &Client,
    arns: &[String],
) -> Result<BTreeMap<String, BTreeMap<String, String>>, BackendError> {
    let mut found = BTreeMap::new();
    for chunk in arns.chunks(DESCRIBE_TAGS_LIMIT) {
        let out = client
            .describe_tags()
            .set_resource_arns(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "DescribeTags", e))?;
        for d in out.tag_descriptions() {
            let tags = d
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
                .collect();
            found.insert(d.resource_arn().unwrap_or_default().to_string(), tags);
        }
    }
    Ok(found)
}

async fn tags_of_one(client: &Client, arn: &str) -> Result<BTreeMap<String, String>, BackendError> {
    Ok(tags_of(client, &[arn.to_string()])
        .await?
        .remove(arn)
        .unwrap_or_default())
}

/// Brings a resource's tags from `observed` to `desired`, calling only what differs.
async fn sync_tags(
    client: &Client,
    arn: &str,
    observed: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> Result<(), BackendError> {
    let (stale, changed) = super::tag_changes(observed, desired);
    if !stale.is_empty() {
        client
            .remove_tags()
            .resource_arns(arn)
            .set_tag_keys(Some(stale))
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "RemoveTags", e))?;
    }
    if !changed.is_empty() {
        client
            .add_tags()
            .resource_arns(arn)
            .set_tags(Some(tag_list(&changed)))
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "AddTags", e))?;
    }
    Ok(())
}

/// Marks the create of a load balancer, target group or rule as finished (removes the
/// creating marker from `tags`, the resource's as last seen).
pub async fn finish(
    client: &Client,
    arn: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), BackendError> {
    if !ownership::is_creating(tags) {
        return Ok(());
    }
    client
        .remove_tags()
        .resource_arns(arn)
        .tag_keys(ownership::TAG_LIFECYCLE)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "RemoveTags", e))?;
    Ok(())
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v.dedup();
    v
}

// ---------------------------------------------------------- load balancer

/// What the environment's load balancer should look like. Always internet-facing,
/// `application`, IPv4, with access logs off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredLoadBalancer {
    /// Its name (at most [`MAX_NAME_LEN`] characters; the caller validates).
    pub name: String,
    /// Public subnets, in at least two Availability Zones.
    pub subnets: Vec<String>,
    /// Its security groups.
    pub security_groups: Vec<String>,
    /// Whether DeleteLoadBalancer is refused until this is turned off.
    pub deletion_protection: bool,
    /// Seconds a connection may stay idle (AWS's default is 60).
    pub idle_timeout_seconds: i32,
    /// Every tag, including the `platform:*` ones.
    pub tags: BTreeMap<String, String>,
}

/// A load balancer as Elastic Load Balancing reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedLoadBalancer {
    /// Its name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// The DNS name clients resolve (`<name>-<id>.<region>.elb.amazonaws.com`).
    pub dns_name: String,
    /// The Route 53 zone of that DNS name, for alias records.
    pub canonical_hosted_zone_id: String,
    /// Its VPC.
    pub vpc_id: String,
    /// Whether deletion protection is on.
    pub deletion_protection: bool,
    /// Seconds a connection may stay idle.
    pub idle_timeout_seconds: i32,
    /// Whether access logs are written to S3 (this provider keeps them off).
    pub access_logs: bool,
    /// Its subnets, sorted.
    pub subnets: Vec<String>,
    /// Its security groups, sorted.
    pub security_groups: Vec<String>,
    /// Every tag.
    pub tags: BTreeMap<String, String>,
}

/// Looks a load balancer up by name, with its attributes and tags; `None` when there is
/// none of that name.
pub async fn find_load_balancer(
    client: &Client,
    name: &str,
) -> Result<Option<ObservedLoadBalancer>, BackendError> {
    let out = match client.describe_load_balancers().names(name).send().await {
        Ok(out) => out,
        Err(e) if is_error(&e, "LoadBalancerNotFound", None) => return Ok(None),
        Err(e) => return Err(api_error(SERVICE, "DescribeLoadBalancers", e)),
    };
    let Some(lb) = out
        .load_balancers()
        .iter()
        .find(|lb| lb.load_balancer_name() == Some(name))
    else {
        return Ok(None);
    };
    let arn = lb.load_balancer_arn().unwrap_or_default().to_string();
    let attributes = client
        .describe_load_balancer_attributes()
        .load_balancer_arn(&arn)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "DescribeLoadBalancerAttributes", e))?;
    let attribute = |key: &str| {
        attributes
            .attributes()
            .iter()
            .find(|a| a.key() == Some(key))
            .and_then(|a| a.value())
    };
    let tags = tags_of_one(client, &arn).await?;
    Ok(Some(ObservedLoadBalancer {
        name: name.to_string(),
        dns_name: lb.dns_name().unwrap_or_default().to_string(),
        canonical_hosted_zone_id: lb
            .canonical_hosted_zone_id()
            .unwrap_or_default()
            .to_string(),
        vpc_id: lb.vpc_id().unwrap_or_default().to_string(),
        deletion_protection: attribute(ATTR_DELETION_PROTECTION) == Some("true"),
        idle_timeout_seconds: attribute(ATTR_IDLE_TIMEOUT)
            .and_then(|v| v.parse().ok())
            .unwrap_or(60),
        access_logs: attribute(ATTR_ACCESS_LOGS) == Some("true"),
        subnets: sorted(
            &lb.availability_zones()
                .iter()
                .filter_map(|z| z.subnet_id().map(str::to_string))
                .collect::<Vec<_>>(),
        ),
        security_groups: sorted(lb.security_groups()),
        tags,
        arn,
    }))
}

/// The attributes to set so that a load balancer has the desired ones; all of them when
/// `observed` is `None` (a new one: only those that differ from AWS's defaults).
fn lb_attributes(
    observed: Option<&ObservedLoadBalancer>,
    desired: &DesiredLoadBalancer,
) -> Vec<LoadBalancerAttribute> {
    let attr = |k: &str, v: String| LoadBalancerAttribute::builder().key(k).value(v).build();
    let (protection, idle, logs) = match observed {
        Some(o) => (o.deletion_protection, o.idle_timeout_seconds, o.access_logs),
        None => (false, 60, false),
    };
    let mut out = Vec::new();
    if logs {
        out.push(attr(ATTR_ACCESS_LOGS, "false".into()));
    }
    if protection != desired.deletion_protection {
        out.push(attr(
            ATTR_DELETION_PROTECTION,
            desired.deletion_protection.to_string(),
        ));
    }
    if idle != desired.idle_timeout_seconds {
        out.push(attr(
            ATTR_IDLE_TIMEOUT,
            desired.idle_timeout_seconds.to_string(),
        ));
    }
    out
}

async fn modify_lb_attributes(
    client: &Client,
    arn: &str,
    attributes: Vec<LoadBalancerAttribute>,
) -> Result<(), BackendError> {
    if attributes.is_empty() {
        return Ok(());
    }
    client
        .modify_load_balancer_attributes()
        .load_balancer_arn(arn)
        .set_attributes(Some(attributes))
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "ModifyLoadBalancerAttributes", e))?;
    Ok(())
}

/// Creates the load balancer (with the creating marker while `owner` is creating), or
/// adopts the one an unfinished create of this environment left (`existing`, just looked
/// up) and brings it to `desired`. Any other load balancer of that name is refused
/// untouched.
pub async fn create_load_balancer_given(
    client: &Client,
    desired: &DesiredLoadBalancer,
    owner: Owner<'_>,
    existing: Option<ObservedLoadBalancer>,
) -> Result<ObservedLoadBalancer, BackendError> {
    let desired = &DesiredLoadBalancer {
        tags: owner.tags(&desired.tags),
        ..desired.clone()
    };
    if let Some(existing) = existing {
        owner.check(
            || format!("The load balancer `{}`", desired.name),
            &existing.tags,
        )?;
        tracing::info!(load_balancer = %desired.name, "adopting the load balancer an unfinished create left");
        return update_load_balancer(client, &existing, desired).await;
    }
    let out = client
        .create_load_balancer()
        .name(&desired.name)
        .set_subnets(Some(desired.subnets.clone()))
        .set_security_groups(Some(desired.security_groups.clone()))
        .scheme(LoadBalancerSchemeEnum::InternetFacing)
        .r#type(LoadBalancerTypeEnum::Application)
        .ip_address_type(IpAddressType::Ipv4)
        .set_tags(Some(tag_list(&desired.tags)))
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "CreateLoadBalancer", e))?;
    let lb = out
        .load_balancers()
        .first()
        .ok_or_else(|| BackendError::Api {
            service: SERVICE,
            operation: "CreateLoadBalancer",
            message: format!(
                "load balancer `{}` was created but not returned",
                desired.name
            ),
        })?;
    let arn = lb.load_balancer_arn().unwrap_or_default().to_string();
    modify_lb_attributes(client, &arn, lb_attributes(None, desired)).await?;
    Ok(ObservedLoadBalancer {
        name: desired.name.clone(),
        dns_name: lb.dns_name().unwrap_or_default().to_string(),
        canonical_hosted_zone_id: lb
            .canonical_hosted_zone_id()
            .unwrap_or_default()
            .to_string(),
        vpc_id: lb.vpc_id().unwrap_or_default().to_string(),
        deletion_protection: desired.deletion_protection,
        idle_timeout_seconds: desired.idle_timeout_seconds,
        access_logs: false,
        subnets: sorted(&desired.subnets),
        security_groups: sorted(&desired.security_groups),
        tags: desired.tags.clone(),
        arn,
    })
}

/// Brings the attributes, security groups, subnets and tags to the desired ones, calling
/// only what differs.
pub async fn update_load_balancer(
    client: &Client,
    observed: &ObservedLoadBalancer,
    desired: &DesiredLoadBalancer,
) -> Result<ObservedLoadBalancer, BackendError> {
    modify_lb_attributes(
        client,
        &observed.arn,
        lb_attributes(Some(observed), desired),
    )
    .await?;
    if observed.security_groups != sorted(&desired.security_groups) {
        client
            .set_security_groups()
            .load_balancer_arn(&observed.arn)
            .set_security_groups(Some(desired.security_groups.clone()))
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "SetSecurityGroups", e))?;
    }
    if observed.subnets != sorted(&desired.subnets) {
        client
            .set_subnets()
            .load_balancer_arn(&observed.arn)
            .set_subnets(Some(desired.subnets.clone()))
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "SetSubnets", e))?;
    }
    sync_tags(client, &observed.arn, &observed.tags, &desired.tags).await?;
    Ok(ObservedLoadBalancer {
        deletion_protection: desired.deletion_protection,
        idle_timeout_seconds: desired.idle_timeout_seconds,
        access_logs: false,
        subnets: sorted(&desired.subnets),
        security_groups: sorted(&desired.security_groups),
        tags: desired.tags.clone(),
        ..observed.clone()
    })
}

/// The refusal to delete a load balancer with deletion protection on.
fn protected(name: &str) -> BackendError {
    BackendError::Refused(format!(
        "the load balancer `{name}` has deletion protection on, so it was not deleted (nor its listeners). Turn deletion protection off first (apply with it off), then destroy again."
    ))
}

/// Deletes the load balancer and its listeners; one already gone counts as deleted. With
/// deletion protection on (as last seen, or as AWS answers) nothing is deleted and the
/// error says to turn it off first.
pub async fn delete_load_balancer(
    client: &Client,
    observed: &ObservedLoadBalancer,
) -> Result<(), BackendError> {
    if observed.deletion_protection {
        return Err(protected(&observed.name));
    }
    match client
        .delete_load_balancer()
        .load_balancer_arn(&observed.arn)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is_error(&e, "LoadBalancerNotFound", None) => Ok(()),
        Err(e) if is_error(&e, "OperationNotPermitted", None) => Err(protected(&observed.name)),
        Err(e) => Err(api_error(SERVICE, "DeleteLoadBalancer", e)),
    }
}

// ---------------------------------------------------------------- listeners

/// A listener's protocol; HTTPS with its default certificate and security policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenerProtocol {
    /// TLS terminated at the load balancer.
    Https {
        /// The ACM certificate served by default.
        certificate_arn: String,
        /// The security policy, e.g. [`RECOMMENDED_SSL_POLICY`].
        ssl_policy: String,
    },
    /// Plain HTTP.
    Http,
}

/// What a listener does with a request no rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultAction {
    /// Answer with this status code and no body (e.g. 404).
    FixedResponse {
        /// The HTTP status code, 2XX, 4XX or 5XX.
        status: u16,
    },
    /// Redirect permanently (301) to the same host, path and query over HTTPS on 443.
    RedirectToHttps,
}

/// What a listener should look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredListener {
    /// The port it listens on (443, 80).
    pub port: i32,
    /// HTTPS or HTTP.
    pub protocol: ListenerProtocol,
    /// What unmatched requests get.
    pub default_action: DefaultAction,
}

/// A listener as Elastic Load Balancing reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedListener {
    /// Its ARN (rules are created on it).
    pub arn: String,
    /// The port it listens on.
    pub port: i32,
    /// HTTPS (with its default certificate and policy) or HTTP; `None` for another protocol.
    pub protocol: Option<ListenerProtocol>,
    /// Its default action; `None` when it is not one this provider makes.
    pub default_action: Option<DefaultAction>,
}

impl ObservedListener {
    /// Whether the listener is as desired.
    pub fn matches(&self, desired: &DesiredListener) -> bool {
        self.port == desired.port
            && self.protocol.as_ref() == Some(&desired.protocol)
            && self.default_action == Some(desired.default_action)
    }
}

fn action_of(a: DefaultAction) -> Action {
    match a {
        DefaultAction::FixedResponse { status } => Action::builder()
            .r#type(ActionTypeEnum::FixedResponse)
            .fixed_response_config(
                FixedResponseActionConfig::builder()
                    .status_code(status.to_string())
                    .content_type("text/plain")
                    .build(),
            )
            .build(),
        DefaultAction::RedirectToHttps => Action::builder()
            .r#type(ActionTypeEnum::Redirect)
            .redirect_config(
                RedirectActionConfig::builder()
                    .protocol("HTTPS")
                    .port("443")
                    .host("#{host}")
                    .path("/#{path}")
                    .query("#{query}")
                    .status_code(RedirectActionStatusCodeEnum::Http301)
                    .build(),
            )
            .build(),
    }
}

fn default_action_of(actions: &[Action]) -> Option<DefaultAction> {
    let [a] = actions else { return None };
    match a.r#type()? {
        ActionTypeEnum::FixedResponse => Some(DefaultAction::FixedResponse {
            status: a.fixed_response_config()?.status_code()?.parse().ok()?,
        }),
        ActionTypeEnum::Redirect => {
            let r = a.redirect_config()?;
            (r.protocol() == Some("HTTPS")
                && r.port() == Some("443")
                && r.status_code() == Some(&RedirectActionStatusCodeEnum::Http301))
            .then_some(DefaultAction::RedirectToHttps)
        }
        _ => None,
    }
}

fn observed_listener(l: &aws_sdk_elasticloadbalancingv2::types::Listener) -> ObservedListener {
    let protocol = match l.protocol() {
        Some(ProtocolEnum::Https) => Some(ListenerProtocol::Https {
            certificate_arn: l
                .certificates()
                .iter()
                .find(|c| c.is_default() != Some(false))
                .and_then(|c| c.certificate_arn())
                .unwrap_or_default()
                .to_string(),
            ssl_policy: l.ssl_policy().unwrap_or_default().to_string(),
        }),
        Some(ProtocolEnum::Http) => Some(ListenerProtocol::Http),
        _ => None,
    };
    ObservedListener {
        arn: l.listener_arn().unwrap_or_default().to_string(),
        port: l.port().unwrap_or_default(),
        protocol,
        default_action: default_action_of(l.default_actions()),
    }
}

/// The listeners of a load balancer (none when it does not exist).
pub async fn listeners(
    client: &Client,
    load_balancer_arn: &str,
) -> Result<Vec<ObservedListener>, BackendError> {
    let mut found = Vec::new();
    let mut marker = None;
    loop {
        let out = match client
            .describe_listeners()
            .load_balancer_arn(load_balancer_arn)
            .set_marker(marker)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if is_error(&e, "LoadBalancerNotFound", None) => return Ok(found),
            Err(e) => return Err(api_error(SERVICE, "DescribeListeners", e)),
        };
        found.extend(out.listeners().iter().map(observed_listener));
        marker = out.next_marker().map(str::to_string);
        if marker.is_none() {
            return Ok(found);
        }
    }
}

/// Creates a listener on the load balancer.
pub async fn create_listener(
    client: &Client,
    load_balancer_arn: &str,
    desired: &DesiredListener,
) -> Result<ObservedListener, BackendError> {
    let mut req = client
        .create_listener()
        .load_balancer_arn(load_balancer_arn)
        .port(desired.port)
        .default_actions(action_of(desired.default_action));
    req = match &desired.protocol {
        ListenerProtocol::Https {
            certificate_arn,
            ssl_policy,
        } => req
            .protocol(ProtocolEnum::Https)
            .ssl_policy(ssl_policy)
            .certificates(
                Certificate::builder()
                    .certificate_arn(certificate_arn)
                    .build(),
            ),
        ListenerProtocol::Http => req.protocol(ProtocolEnum::Http),
    };
    let out = req
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "CreateListener", e))?;
    let arn = out
        .listeners()
        .first()
        .and_then(|l| l.listener_arn())
        .unwrap_or_default()
        .to_string();
    Ok(ObservedListener {
        arn,
        port: desired.port,
        protocol: Some(desired.protocol.clone()),
        default_action: Some(desired.default_action),
    })
}

/// Brings a listener's port, protocol, certificate, policy and default action to the
/// desired ones (one ModifyListener, only when something differs).
pub async fn update_listener(
    client: &Client,
    observed: &ObservedListener,
    desired: &DesiredListener,
) -> Result<ObservedListener, BackendError> {
    let done = ObservedListener {
        arn: observed.arn.clone(),
        port: desired.port,
        protocol: Some(desired.protocol.clone()),
        default_action: Some(desired.default_action),
    };
    if observed.matches(desired) {
        return Ok(done);
    }
    let mut req = client
        .modify_listener()
        .listener_arn(&observed.arn)
        .port(desired.port)
        .default_actions(action_of(desired.default_action));
    req = match &desired.protocol {
        ListenerProtocol::Https {
            certificate_arn,
            ssl_policy,
        } => req
            .protocol(ProtocolEnum::Https)
            .ssl_policy(ssl_policy)
            .certificates(
                Certificate::builder()
                    .certificate_arn(certificate_arn)
                    .build(),
            ),
        ListenerProtocol::Http => req.protocol(ProtocolEnum::Http),
    };
    req.send()
        .await
        .map_err(|e| api_error(SERVICE, "ModifyListener", e))?;
    Ok(done)
}

/// Deletes a listener and its rules; one already gone counts as deleted.
pub async fn delete_listener(client: &Client, arn: &str) -> Result<(), BackendError> {
    match client.delete_listener().listener_arn(arn).send().await {
        Ok(_) => Ok(()),
        Err(e) if is_error(&e, "ListenerNotFound", None) => Ok(()),
        Err(e) => Err(api_error(SERVICE, "DeleteListener", e)),
    }
}

// ------------------------------------------------------------ target groups

/// What a service's target group should look like: HTTP to ip targets, HTTP health check
/// on the traffic port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredTargetGroup {
    /// Its name (at most [`MAX_NAME_LEN`] characters; the caller validates).
    pub name: String,
    /// The port tasks listen on.
    pub port: i32,
    /// The VPC of the tasks (and of the load balancer).
    pub vpc_id: String,
    /// The health check's path, e.g. `/healthz`.
    pub health_check_path: String,
    /// Seconds between health checks (5–300).
    pub interval_seconds: i32,
    /// Consecutive successes before a target is healthy (2–10).
    pub healthy_threshold: i32,
    /// Consecutive failures before a target is unhealthy (2–10).
    pub unhealthy_threshold: i32,
    /// Seconds a deregistering target keeps its connections (0–3600; AWS's default 300).
    pub deregistration_delay_seconds: i32,
    /// Every tag, including the `platform:*` ones.
    pub tags: BTreeMap<String, String>,
}

/// A target group as Elastic Load Balancing reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedTargetGroup {
    /// Its name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// The traffic port.
    pub port: i32,
    /// Its VPC.
    pub vpc_id: String,
    /// The health check's path.
    pub health_check_path: String,
    /// Seconds between health checks.
    pub interval_seconds: i32,
    /// Consecutive successes before healthy.
    pub healthy_threshold: i32,
    /// Consecutive failures before unhealthy.
    pub unhealthy_threshold: i32,
    /// Seconds a deregistering target keeps its connections.
    pub deregistration_delay_seconds: i32,
    /// The load balancers whose listeners or rules forward to it.
    pub load_balancer_arns: Vec<String>,
    /// Every tag.
    pub tags: BTreeMap<String, String>,
}

impl ObservedTargetGroup {
    /// The settings that cannot change in place (a new target group is needed), by name.
    pub fn fixed_differences(&self, desired: &DesiredTargetGroup) -> Vec<&'static str> {
        let mut d = Vec::new();
        if self.port != desired.port {
            d.push("port");
        }
        if self.vpc_id != desired.vpc_id {
            d.push("vpc_id");
        }
        d
    }
}

/// The health check timeout for an interval: AWS's default for HTTP (5 s) when the
/// interval leaves room, as the timeout must be shorter than the interval.
fn health_check_timeout(interval_seconds: i32) -> i32 {
    (interval_seconds - 1).clamp(2, 5)
}

/// Looks a target group up by name, with its deregistration delay and tags; `None` when
/// there is none of that name.
/// The ports of the target groups `arns` (one DescribeTargetGroups; at most 20 ARNs per
/// call, as ELB allows). Target groups already gone are left out.
pub async fn target_group_ports(
    client: &Client,
    arns: &[String],
) -> Result<Vec<i32>, BackendError> {
    let mut ports = Vec::new();
    for chunk in arns.chunks(20) {
        let out = match client
            .describe_target_groups()
            .set_target_group_arns(Some(chunk.to_vec()))
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if is_error(&e, "TargetGroupNotFound", None) => continue,
            Err(e) => return Err(api_error(SERVICE, "DescribeTargetGroups", e)),
        };
        ports.extend(out.target_groups().iter().filter_map(|t| t.port()));
    }
    Ok(ports)
}

/// The target group named `name`, with its attributes and tags; `None` when there is none.
pub async fn find_target_group(
    client: &Client,
    name: &str,
) -> Result<Option<ObservedTargetGroup>, BackendError> {
    let out = match client.describe_target_groups().names(name).send().await {
        Ok(out) => out,
        Err(e) if is_error(&e, "TargetGroupNotFound", None) => return Ok(None),
        Err(e) => return Err(api_error(SERVICE, "DescribeTargetGroups", e)),
    };
    let Some(tg) = out
        .target_groups()
        .iter()
        .find(|t| t.target_group_name() == Some(name))
    else {
        return Ok(None);
    };
    let arn = tg.target_group_arn().unwrap_or_default().to_string();
    let attributes = client
        .describe_target_group_attributes()
        .target_group_arn(&arn)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "DescribeTargetGroupAttributes", e))?;
    let delay = attributes
        .attributes()
        .iter()
        .find(|a| a.key() == Some(ATTR_DEREGISTRATION_DELAY))
        .and_then(|a| a.value())
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let tags = tags_of_one(client, &arn).await?;
    Ok(Some(ObservedTargetGroup {
        name: name.to_string(),
        port: tg.port().unwrap_or_default(),
        vpc_id: tg.vpc_id().unwrap_or_default().to_string(),
        health_check_path: tg.health_check_path().unwrap_or_default().to_string(),
        interval_seconds: tg.health_check_interval_seconds().unwrap_or_default(),
        healthy_threshold: tg.healthy_threshold_count().unwrap_or_default(),
        unhealthy_threshold: tg.unhealthy_threshold_count().unwrap_or_default(),
        deregistration_delay_seconds: delay,
        load_balancer_arns: tg.load_balancer_arns().to_vec(),
        tags,
        arn,
    }))
}

async fn set_deregistration_delay(
    client: &Client,
    arn: &str,
    seconds: i32,
) -> Result<(), BackendError> {
    client
        .modify_target_group_attributes()
        .target_group_arn(arn)
        .attributes(
            TargetGroupAttribute::builder()
                .key(ATTR_DEREGISTRATION_DELAY)
                .value(seconds.to_string())
                .build(),
        )
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "ModifyTargetGroupAttributes", e))?;
    Ok(())
}

/// Creates the target group (with the creating marker while `owner` is creating), or
/// adopts the one an unfinished create of this service left (`existing`, just looked up)
/// and brings it to `desired`. Any other target group of that name is refused untouched,
/// and so is one of ours whose port or VPC differ (they cannot change in place).
pub async fn create_target_group_given(
    client: &Client,
    desired: &DesiredTargetGroup,
    owner: Owner<'_>,
    existing: Option<ObservedTargetGroup>,
) -> Result<ObservedTargetGroup, BackendError> {
    let desired = &DesiredTargetGroup {
        tags: owner.tags(&desired.tags),
        ..desired.clone()
    };
    if let Some(existing) = existing {
        owner.check(
            || format!("The target group `{}`", desired.name),
            &existing.tags,
        )?;
        tracing::info!(target_group = %desired.name, "adopting the target group an unfinished create left");
        return update_target_group(client, &existing, desired).await;
    }
    let out = client
        .create_target_group()
        .name(&desired.name)
        .protocol(ProtocolEnum::Http)
        .port(desired.port)
        .vpc_id(&desired.vpc_id)
        .target_type(TargetTypeEnum::Ip)
        .health_check_enabled(true)
        .health_check_protocol(ProtocolEnum::Http)
        .health_check_path(&desired.health_check_path)
        .health_check_interval_seconds(desired.interval_seconds)
        .health_check_timeout_seconds(health_check_timeout(desired.interval_seconds))
        .healthy_threshold_count(desired.healthy_threshold)
        .unhealthy_threshold_count(desired.unhealthy_threshold)
        .set_tags(Some(tag_list(&desired.tags)))
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "CreateTargetGroup", e))?;
    let arn = out
        .target_groups()
        .first()
        .and_then(|t| t.target_group_arn())
        .unwrap_or_default()
        .to_string();
    if desired.deregistration_delay_seconds != 300 {
        set_deregistration_delay(client, &arn, desired.deregistration_delay_seconds).await?;
    }
    Ok(ObservedTargetGroup {
        name: desired.name.clone(),
        port: desired.port,
        vpc_id: desired.vpc_id.clone(),
        health_check_path: desired.health_check_path.clone(),
        interval_seconds: desired.interval_seconds,
        healthy_threshold: desired.healthy_threshold,
        unhealthy_threshold: desired.unhealthy_threshold,
        deregistration_delay_seconds: desired.deregistration_delay_seconds,
        load_balancer_arns: Vec::new(),
        tags: desired.tags.clone(),
        arn,
    })
}

/// Brings the health check, deregistration delay and tags to the desired ones, calling
/// only what differs. A different port or VPC cannot change in place: refused, for the
/// caller to replace the target group.
pub async fn update_target_group(
    client: &Client,
    observed: &ObservedTargetGroup,
    desired: &DesiredTargetGroup,
) -> Result<ObservedTargetGroup, BackendError> {
    let fixed = observed.fixed_differences(desired);
    if !fixed.is_empty() {
        return Err(BackendError::Refused(format!(
            "the target group `{}` has another {} than wanted, which cannot change in place: it must be replaced (delete its listener rule and it, then create it again)",
            observed.name,
            fixed.join(" and ")
        )));
    }
    if observed.health_check_path != desired.health_check_path
        || observed.interval_seconds != desired.interval_seconds
        || observed.healthy_threshold != desired.healthy_threshold
        || observed.unhealthy_threshold != desired.unhealthy_threshold
    {
        client
            .modify_target_group()
            .target_group_arn(&observed.arn)
            .health_check_protocol(ProtocolEnum::Http)
            .health_check_path(&desired.health_check_path)
            .health_check_interval_seconds(desired.interval_seconds)
            .health_check_timeout_seconds(health_check_timeout(desired.interval_seconds))
            .healthy_threshold_count(desired.healthy_threshold)
            .unhealthy_threshold_count(desired.unhealthy_threshold)
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "ModifyTargetGroup", e))?;
    }
    if observed.deregistration_delay_seconds != desired.deregistration_delay_seconds {
        set_deregistration_delay(client, &observed.arn, desired.deregistration_delay_seconds)
            .await?;
    }
    sync_tags(client, &observed.arn, &observed.tags, &desired.tags).await?;
    Ok(ObservedTargetGroup {
        health_check_path: desired.health_check_path.clone(),
        interval_seconds: desired.interval_seconds,
        healthy_threshold: desired.healthy_threshold,
        unhealthy_threshold: desired.unhealthy_threshold,
        deregistration_delay_seconds: desired.deregistration_delay_seconds,
        tags: desired.tags.clone(),
        ..observed.clone()
    })
}

/// Deletes a target group; one already gone counts as deleted. While a listener or rule
/// still forwards to it, nothing is deleted and the error says to delete that first.
pub async fn delete_target_group(client: &Client, arn: &str) -> Result<(), BackendError> {
    match client
        .delete_target_group()
        .target_group_arn(arn)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is_error(&e, "TargetGroupNotFound", None) => Ok(()),
        Err(e) if is_error(&e, "ResourceInUse", None) => Err(BackendError::Refused(format!(
            "the target group `{arn}` is still used by a listener rule or listener, so it was not deleted. Delete the listener rule that forwards to it first, then destroy again."
        ))),
        Err(e) => Err(api_error(SERVICE, "DeleteTargetGroup", e)),
    }
}

// ------------------------------------------------------------ listener rules

/// What a service's listener rule should look like: requests for `host` (and `path`, when
/// set) go to its target group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredRule {
    /// The listener (the environment's HTTPS one).
    pub listener_arn: String,
    /// Its priority, 1–50000, unique on the listener (lower is evaluated first).
    pub priority: i32,
    /// The host header it matches, e.g. `api.example.com`.
    pub host: String,
    /// The path pattern it matches, e.g. `/api/*`; `None` matches every path.
    pub path: Option<String>,
    /// The target group it forwards to.
    pub target_group_arn: String,
    /// Every tag, including the `platform:*` ones (how a rule is recognised as ours).
    pub tags: BTreeMap<String, String>,
}

/// A listener rule (not the default one) as Elastic Load Balancing reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedRule {
    /// Its ARN.
    pub arn: String,
    /// Its priority.
    pub priority: i32,
    /// The host headers it matches.
    pub hosts: Vec<String>,
    /// The path patterns it matches.
    pub paths: Vec<String>,
    /// The target group it forwards to, when its one action is a forward to one group.
    pub target_group_arn: Option<String>,
    /// Every tag.
    pub tags: BTreeMap<String, String>,
}

impl ObservedRule {
    /// Whether conditions and action are as desired (priority and tags aside).
    pub fn routes_as(&self, desired: &DesiredRule) -> bool {
        self.hosts == [desired.host.clone()]
            && self.paths == desired.path.iter().cloned().collect::<Vec<_>>()
            && self.target_group_arn.as_deref() == Some(desired.target_group_arn.as_str())
    }
}

/// What [`create_rule`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleCreated {
    /// The rule was created.
    Created(ObservedRule),
    /// Another rule on the listener has that priority (another state may have just taken
    /// it): nothing was created; pick another and try again.
    PriorityInUse {
        /// The priority asked for.
        priority: i32,
    },
}

fn conditions_of(desired: &DesiredRule) -> Vec<RuleCondition> {
    let mut c = vec![
        RuleCondition::builder()
            .field("host-header")
            .host_header_config(
                HostHeaderConditionConfig::builder()
                    .values(&desired.host)
                    .build(),
            )
            .build(),
    ];
    if let Some(path) = &desired.path {
        c.push(
            RuleCondition::builder()
                .field("path-pattern")
                .path_pattern_config(PathPatternConditionConfig::builder().values(path).build())
                .build(),
        );
    }
    c
}

fn forward(target_group_arn: &str) -> Action {
    Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .target_group_arn(target_group_arn)
        .build()
}

fn observed_rule(
    r: &aws_sdk_elasticloadbalancingv2::types::Rule,
    tags: BTreeMap<String, String>,
) -> Option<ObservedRule> {
    let priority = r.priority()?.parse().ok()?;
    let values = |field: &str| -> Vec<String> {
        r.conditions()
            .iter()
            .filter(|c| c.field() == Some(field))
            .flat_map(|c| {
                let typed = match field {
                    "host-header" => c.host_header_config().map(|h| h.values()),
                    _ => c.path_pattern_config().map(|p| p.values()),
                };
                match typed {
                    Some(v) if !v.is_empty() => v.to_vec(),
                    _ => c.values().to_vec(),
                }
            })
            .collect()
    };
    let target_group_arn = match r.actions() {
        [a] if a.r#type() == Some(&ActionTypeEnum::Forward) => a
            .target_group_arn()
            .map(str::to_string)
            .or_else(|| match a.forward_config().map(|f| f.target_groups()) {
                Some([one]) => one.target_group_arn().map(str::to_string),
                _ => None,
            }),
        _ => None,
    };
    Some(ObservedRule {
        arn: r.rule_arn().unwrap_or_default().to_string(),
        priority,
        hosts: values("host-header"),
        paths: values("path-pattern"),
        target_group_arn,
        tags,
    })
}

/// The rules of a listener other than its default one, with their tags, by priority
/// (none when the listener does not exist).
pub async fn rules(client: &Client, listener_arn: &str) -> Result<Vec<ObservedRule>, BackendError> {
    let mut raw = Vec::new();
    let mut marker = None;
    loop {
        let out = match client
            .describe_rules()
            .listener_arn(listener_arn)
            .set_marker(marker)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if is_error(&e, "ListenerNotFound", None) => return Ok(Vec::new()),
            Err(e) => return Err(api_error(SERVICE, "DescribeRules", e)),
        };
        raw.extend(
            out.rules()
                .iter()
                .filter(|r| r.is_default() != Some(true))
                .cloned(),
        );
        marker = out.next_marker().map(str::to_string);
        if marker.is_none() {
            break;
        }
    }
    let arns: Vec<String> = raw
        .iter()
        .filter_map(|r| r.rule_arn().map(str::to_string))
        .collect();
    let mut tags = tags_of(client, &arns).await?;
    let mut found: Vec<ObservedRule> = raw
        .iter()
        .filter_map(|r| {
            let t = tags
                .remove(r.rule_arn().unwrap_or_default())
                .unwrap_or_default();
            observed_rule(r, t)
        })
        .collect();
    found.sort_by_key(|r| r.priority);
    Ok(found)
}

/// Creates the rule at its priority, with the creating marker while `owner` is creating;
/// [`RuleCreated::PriorityInUse`] when another rule holds that priority.
pub async fn create_rule(
    client: &Client,
    desired: &DesiredRule,
    owner: Owner<'_>,
) -> Result<RuleCreated, BackendError> {
    let tags = owner.tags(&desired.tags);
    let out = match client
        .create_rule()
        .listener_arn(&desired.listener_arn)
        .priority(desired.priority)
        .set_conditions(Some(conditions_of(desired)))
        .actions(forward(&desired.target_group_arn))
        .set_tags(Some(tag_list(&tags)))
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) if is_error(&e, "PriorityInUse", None) => {
            return Ok(RuleCreated::PriorityInUse {
                priority: desired.priority,
            });
        }
        Err(e) => return Err(api_error(SERVICE, "CreateRule", e)),
    };
    let arn = out
        .rules()
        .first()
        .and_then(|r| r.rule_arn())
        .unwrap_or_default()
        .to_string();
    Ok(RuleCreated::Created(ObservedRule {
        arn,
        priority: desired.priority,
        hosts: vec![desired.host.clone()],
        paths: desired.path.iter().cloned().collect(),
        target_group_arn: Some(desired.target_group_arn.clone()),
        tags,
    }))
}

/// Brings a rule's conditions, action and tags to the desired ones (ModifyRule only when
/// the routing differs). The priority stays: it is chosen once, at create.
pub async fn update_rule(
    client: &Client,
    observed: &ObservedRule,
    desired: &DesiredRule,
) -> Result<ObservedRule, BackendError> {
    if !observed.routes_as(desired) {
        client
            .modify_rule()
            .rule_arn(&observed.arn)
            .set_conditions(Some(conditions_of(desired)))
            .actions(forward(&desired.target_group_arn))
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "ModifyRule", e))?;
    }
    sync_tags(client, &observed.arn, &observed.tags, &desired.tags).await?;
    Ok(ObservedRule {
        arn: observed.arn.clone(),
        priority: observed.priority,
        hosts: vec![desired.host.clone()],
        paths: desired.path.iter().cloned().collect(),
        target_group_arn: Some(desired.target_group_arn.clone()),
        tags: desired.tags.clone(),
    })
}

/// Deletes a rule; one already gone counts as deleted.
pub async fn delete_rule(client: &Client, arn: &str) -> Result<(), BackendError> {
    match client.delete_rule().rule_arn(arn).send().await {
        Ok(_) => Ok(()),
        Err(e) if is_error(&e, "RuleNotFound", None) => Ok(()),
        Err(e) => Err(api_error(SERVICE, "DeleteRule", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lb(protection: bool, idle: i32) -> DesiredLoadBalancer {
        DesiredLoadBalancer {
            name: "prod-ingress".into(),
            subnets: vec!["subnet-b".into(), "subnet-a".into()],
            security_groups: vec!["sg-1".into()],
            deletion_protection: protection,
            idle_timeout_seconds: idle,
            tags: BTreeMap::new(),
        }
    }

    #[test]
    fn only_the_attributes_that_differ_are_set() {
        let keys = |a: Vec<LoadBalancerAttribute>| -> Vec<(String, String)> {
            a.iter()
                .map(|a| {
                    (
                        a.key().unwrap_or_default().to_string(),
                        a.value().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        };
        // A new load balancer: only what differs from AWS's defaults.
        assert_eq!(keys(lb_attributes(None, &lb(false, 60))), vec![]);
        assert_eq!(
            keys(lb_attributes(None, &lb(true, 120))),
            vec![
                (ATTR_DELETION_PROTECTION.into(), "true".into()),
                (ATTR_IDLE_TIMEOUT.into(), "120".into())
            ]
        );
        let observed = ObservedLoadBalancer {
            name: "prod-ingress".into(),
            arn: "arn".into(),
            dns_name: String::new(),
            canonical_hosted_zone_id: String::new(),
            vpc_id: String::new(),
            deletion_protection: true,
            idle_timeout_seconds: 60,
            access_logs: false,
            subnets: vec!["subnet-a".into(), "subnet-b".into()],
            security_groups: vec!["sg-1".into()],
            tags: BTreeMap::new(),
        };
        assert_eq!(
            keys(lb_attributes(Some(&observed), &lb(false, 60))),
            vec![(ATTR_DELETION_PROTECTION.into(), "false".into())]
        );
        assert_eq!(keys(lb_attributes(Some(&observed), &lb(true, 60))), vec![]);
        // Access logs turned on out of band are turned off again.
        let logging = ObservedLoadBalancer {
            access_logs: true,
            ..observed
        };
        assert_eq!(
            keys(lb_attributes(Some(&logging), &lb(true, 60))),
            vec![(ATTR_ACCESS_LOGS.into(), "false".into())]
        );
    }

    #[test]
    fn default_actions_read_back_as_written() {
        for a in [
            DefaultAction::FixedResponse { status: 404 },
            DefaultAction::RedirectToHttps,
        ] {
            assert_eq!(default_action_of(&[action_of(a)]), Some(a), "{a:?}");
        }
        assert_eq!(default_action_of(&[forward("arn:tg")]), None);
        assert_eq!(default_action_of(&[]), None);
    }

    #[test]
    fn health_check_timeout_stays_below_the_interval() {
        for (interval, want) in [(5, 4), (6, 5), (30, 5), (3, 2)] {
            assert_eq!(health_check_timeout(interval), want, "{interval}");
        }
    }

    #[test]
    fn a_rule_reads_back_its_host_path_and_target_group() {
        let desired = DesiredRule {
            listener_arn: "arn:listener".into(),
            priority: 7,
            host: "api.example.com".into(),
            path: Some("/v1/*".into()),
            target_group_arn: "arn:tg".into(),
            tags: BTreeMap::new(),
        };
        let raw = aws_sdk_elasticloadbalancingv2::types::Rule::builder()
            .rule_arn("arn:rule")
            .priority("7")
            .set_conditions(Some(conditions_of(&desired)))
            .actions(forward("arn:tg"))
            .build();
        let observed = observed_rule(&raw, BTreeMap::new()).unwrap();
        assert!(observed.routes_as(&desired), "{observed:?}");
        assert!(!observed.routes_as(&DesiredRule {
            path: None,
            ..desired.clone()
        }));
        assert!(!observed.routes_as(&DesiredRule {
            host: "www.example.com".into(),
            ..desired
        }));
    }
}
