//! `platform_environment`: an ECS cluster plus the policy every service and database in
//! the environment inherits (its `context`). Order: schema, validate, plan, apply, read,
//! import.

mod ingress;

use super::attrs::{self, get, map_of, s, with};
use super::environment_context::{
    self, TAG_TIER, context_type, context_value, input, policy_fields, record_tags,
};
use super::framework::{self, Composite, Diff, Kept};
use crate::backends::aws::ecs::{self, DesiredCluster, ObservedCluster};
use crate::backends::ownership::{self, Owner};
use crate::backends::{BackendError, cancellable};
use crate::context::CallContext;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::planner::environment::{self as env_planner, EnvironmentInput, EnvironmentPlan};
use crate::planner::{Violation, naming};
use crate::schema::{Attribute, Block, Mode, NestedBlock, Schema};
use crate::value::{AttributePath, Type, Value};
use std::collections::BTreeMap;

/// The `platform_environment` resource.
pub struct EnvironmentResource {
    schema: Schema,
}

impl EnvironmentResource {
    /// The resource with its schema.
    pub fn new() -> Self {
        Self { schema: schema() }
    }
}

impl Default for EnvironmentResource {
    fn default() -> Self {
        Self::new()
    }
}

// ---------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------

fn schema() -> Schema {
    let strings = Type::list(Type::String);
    Schema {
        version: super::upgrade::VERSION,
        block: Block {
            // Blocks, not nested attributes: Terraform 1.0 crashes planning a null nested attribute.
            blocks: vec![
                NestedBlock {
                    repeated: false,
                    name: "network".into(),
                    block: Block {
                        description: "The network services in this environment use.".into(),
                        attributes: vec![
                            Attribute::new("subnet_ids", strings.clone(), Mode::Optional, "Subnets Fargate tasks run in (`subnet-…`)."),
                            Attribute::new("security_group_ids", strings.clone(), Mode::Optional, "Security groups attached to Fargate tasks (`sg-…`)."),
                            Attribute::new("assign_public_ip", Type::Bool, Mode::Optional, "Give Fargate tasks a public IP (needed in public subnets without a NAT gateway). Default `false`."),
                            Attribute::new("public_subnet_ids", strings.clone(), Mode::Optional, "Public subnets (with a route to an internet gateway) in at least two Availability Zones, for the shared load balancer that `ingress` makes."),
                        ],
                        blocks: vec![],
                    },
                },
                NestedBlock {
                    repeated: false,
                    name: "ingress".into(),
                    block: Block {
                        description: "A shared internet-facing Application Load Balancer for the environment's Fargate services: its security group, an HTTPS listener (TLS 1.3/1.2) answering 404 until a service's rule matches, and an HTTP listener that redirects to HTTPS. Needs `network.public_subnet_ids`.".into(),
                        attributes: vec![
                            Attribute::new("domain", Type::String, Mode::Required, "The domain the services are named under, e.g. `api.example.com` (a service's hostname defaults to `<service>.<domain>`)."),
                            Attribute::new("certificate_arn", Type::String, Mode::Optional, "An ACM certificate in the environment's region covering the services' hostnames. Without it, the environment requests one for `*.<domain>` and validates it in `hosted_zone_id`."),
                            Attribute::new("hosted_zone_id", Type::String, Mode::Optional, "The Route 53 hosted zone of `domain`: validates the requested certificate (when no `certificate_arn`) and will hold the services' alias records."),
                            Attribute::new("deletion_protection", Type::Bool, Mode::Optional, "Whether the load balancer refuses deletion. Default: the tier's (off / off / on). To destroy a protected environment, set it to `false` and apply first."),
                        ],
                        blocks: vec![],
                    },
                },
                NestedBlock {
                    repeated: false,
                    name: "policy".into(),
                    block: Block {
                        description: "Overrides of the tier's default policy. `context.policy` carries exactly these to the services and databases, whose children show each inherited value with source `environment`; the rest come from the tier table (`tier:<tier>`).".into(),
                        attributes: policy_fields()
                            .into_iter()
                            .map(|(n, t, d)| Attribute::new(n, t, Mode::Optional, d))
                            .collect(),
                        blocks: vec![],
                    },
                },
            ],
            description: "An environment (development, staging or production): an ECS cluster and the policy every service and database in it inherits. Pass its `context` to `platform_api_service` and `platform_database`.".into(),
            attributes: vec![
                Attribute::new("name", Type::String, Mode::Required, "Environment name: lowercase letters, digits and hyphens, starting with a letter, at most 20 characters. Changing it replaces the environment."),
                Attribute::new("tier", Type::String, Mode::Required, "`development`, `staging` or `production`: picks the default policy (see the tier table)."),
                Attribute::new("region", Type::String, Mode::Required, "AWS region of the environment, e.g. `eu-west-1`. Changing it replaces the environment."),
                Attribute::new("tags", Type::map(Type::String), Mode::Optional, "Tags for the cluster, inherited by every child of every service and database in the environment (task definitions, services, log groups, autoscaling targets, RDS instances, parameter groups, replicas). Precedence, lowest first: the provider's `default_tags`, these, a service's or database's own `tags`, then the reserved `platform:*` and `managed-by` tags."),
                Attribute::new("id", Type::String, Mode::Computed, "The environment name."),
                Attribute::new("cluster_name", Type::String, Mode::Computed, "Name of the ECS cluster: `<name>-cluster`."),
                Attribute::new("cluster_arn", Type::String, Mode::Computed, "ARN of the ECS cluster (known after apply)."),
                Attribute::new("context", context_type(), Mode::Computed, "Everything a service or database needs from the environment: name, tier, region, cluster, network, the `policy` overrides (the tier table gives the rest) and the tags its children inherit. Known at plan time."),
                attrs::tags_all_attribute(),
                Attribute::new("expansion", Type::list(attrs::child_type()), Mode::Computed, "The cloud resources this environment expands into, with their effective settings, `sources` (each source and the settings it decided) and monthly cost. Their tags are `tags_all`."),
                Attribute::new("estimated_monthly_cost_usd", Type::Number, Mode::Computed, "Sum of the children's monthly cost, from the dated price table. An ECS cluster has no charge of its own."),
                Attribute::new("estimated_monthly_cost_cents", Type::Number, Mode::Computed, "The same estimate in whole cents. Sum these to total a stack exactly: `sum([a.estimated_monthly_cost_cents, b.estimated_monthly_cost_cents]) / 100` prints exact cents, where adding dollar amounts in Terraform shows binary rounding noise."),
            ],
        },
    }
}

// ---------------------------------------------------------------------------------------
// Planner output → state
// ---------------------------------------------------------------------------------------

/// Tags the cluster carries: the environment's tags plus the records import reads back.
fn cluster_tags(plan: &EnvironmentPlan, input: &EnvironmentInput) -> BTreeMap<String, String> {
    let mut tags = plan.context.tags.clone();
    tags.insert(TAG_TIER.into(), plan.context.tier.as_str().into());
    tags.extend(record_tags(input));
    tags
}

/// The state a plan leads to; `arn` is unknown until the cluster exists.
fn state_value(
    config: &Value,
    plan: &EnvironmentPlan,
    input: &EnvironmentInput,
    arn: Value,
) -> Value {
    let tags = cluster_tags(plan, input);
    let expansion = Value::list(plan.children.iter().map(attrs::child_value));
    with(
        config.clone(),
        [
            ("id", s(plan.context.name.clone())),
            ("cluster_name", s(plan.context.cluster_name.clone())),
            ("cluster_arn", arn),
            ("context", context_value(plan)),
            ("expansion", expansion),
            ("tags_all", map_of(&tags)),
            (
                "estimated_monthly_cost_usd",
                attrs::money(plan.estimated_monthly_cost_usd),
            ),
            (
                "estimated_monthly_cost_cents",
                attrs::cents(plan.estimated_monthly_cost_usd),
            ),
        ],
    )
}

/// The desired cluster: the planner's typed cluster with the tags it carries.
fn desired_cluster(plan: &EnvironmentPlan, input: &EnvironmentInput) -> DesiredCluster {
    let c = &plan.cluster;
    DesiredCluster {
        name: c.name.clone(),
        container_insights: c.container_insights,
        capacity_providers: c.capacity_providers.clone(),
        default_capacity_provider: c.default_capacity_provider.clone(),
        tags: cluster_tags(plan, input),
    }
}

/// Writes what ECS reports into the `ecs_cluster` element of `expansion`, so a change made
/// outside Terraform shows in the next plan as a change of that child.
fn observe(state: Value, cluster: &ObservedCluster, ingress: Option<&ingress::Seen>) -> Value {
    let mut providers = cluster.capacity_providers.clone();
    providers.sort();
    let expansion = match get(&state, "expansion") {
        Value::List(children) => Value::List(
            children
                .iter()
                .filter_map(|child| {
                    let key = get(child, "key").as_str().unwrap_or_default();
                    if key != env_planner::ECS_CLUSTER_KEY {
                        // An ingress child: as read, or gone (the next plan makes it again).
                        let Some(seen) = ingress else {
                            return Some(child.clone());
                        };
                        let observed = seen.get(key)?;
                        let mut settings = attrs::string_map(get(child, "settings"));
                        for (k, v) in observed {
                            if settings.contains_key(k) {
                                settings.insert(k.clone(), v.clone());
                            }
                        }
                        return Some(with(child.clone(), [("settings", map_of(&settings))]));
                    }
                    let mut settings = attrs::string_map(get(child, "settings"));
                    settings.insert(
                        "container_insights".into(),
                        if cluster.container_insights {
                            "enabled"
                        } else {
                            "disabled"
                        }
                        .into(),
                    );
                    settings.insert("capacity_providers".into(), providers.join(","));
                    settings.insert(
                        "default_capacity_provider".into(),
                        cluster
                            .default_capacity_provider
                            .clone()
                            .unwrap_or_default(),
                    );
                    Some(with(child.clone(), [("settings", map_of(&settings))]))
                })
                .collect(),
        ),
        other => other.clone(),
    };
    // The creating marker is the create's own record, not a tag to show.
    let mut tags = cluster.tags.clone();
    tags.remove(ownership::TAG_LIFECYCLE);
    let tags_all = attrs::observed_tags_all(get(&state, "tags_all"), [tags]);
    with(
        state,
        [
            ("cluster_arn", s(cluster.arn.clone())),
            ("expansion", expansion),
            ("tags_all", tags_all),
        ],
    )
}

// ---------------------------------------------------------------------------------------
// The resource
// ---------------------------------------------------------------------------------------

fn diagnostic(action: &str, e: BackendError) -> Diagnostic {
    super::backend_diagnostic("Cluster Name Already Taken", action, e)
}

#[async_trait::async_trait]
impl Composite for EnvironmentResource {
    type Input = EnvironmentInput;
    type Plan = EnvironmentPlan;
    const TYPE_NAME: &'static str = "platform_environment";

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn upgrade(
        &self,
        from_version: i64,
        state: serde_json::Value,
    ) -> Result<serde_json::Value, Diagnostics> {
        crate::resources::upgrade::upgrade(Self::TYPE_NAME, from_version, state, "context")
    }

    fn docs(&self) -> super::docs::ResourceDocs {
        super::docs::ResourceDocs {
            expansion: EXPANSION,
            tier_rows: super::docs::ENVIRONMENT_ROWS,
        }
    }

    fn decode(&self, config: &Value, ctx: &CallContext) -> Result<EnvironmentInput, Diagnostics> {
        input(config, &ctx.config.default_tags)
    }

    fn validate(&self, input: &EnvironmentInput) -> Vec<Violation> {
        env_planner::validate(input)
    }

    fn plan(&self, input: &EnvironmentInput) -> Result<EnvironmentPlan, Vec<Violation>> {
        env_planner::plan(input)
    }

    /// A load balancer with deletion protection is not destroyed: the way out is named.
    fn guard_destroy(&self, _prior: &Value, prior_plan: &EnvironmentPlan) -> Diagnostics {
        match &prior_plan.ingress {
            Some(p) if p.deletion_protection => Diagnostics::from_error(Diagnostic::error(
                "Load Balancer Deletion Protection Is On",
                format!(
                    "The environment `{}` has a shared load balancer, `{}`, with deletion protection on (the {} tier's default, or `ingress.deletion_protection`), so destroying the environment is refused before anything is changed. To destroy it, set `deletion_protection = false` in the `ingress` block and apply, then destroy.",
                    prior_plan.context.name,
                    p.load_balancer_name,
                    prior_plan.context.tier.as_str()
                ),
            )),
            _ => Diagnostics::new(),
        }
    }

    /// Also while they are unknown: a new name or region replaces the environment.
    fn requires_replace(&self, prior: &Value, config: &Value) -> Vec<AttributePath> {
        framework::changed(prior, config, &["name", "region"])
    }

    fn diff(
        &self,
        _prior: &Value,
        prior_plan: &EnvironmentPlan,
        _input: &EnvironmentInput,
        plan: &EnvironmentPlan,
    ) -> Diff {
        let changes = env_planner::changes(prior_plan, plan);
        Diff {
            replace: changes.replace.into_iter().map(|(p, _)| p).collect(),
            diagnostics: Diagnostics::new(),
        }
    }

    fn known_while_unknown(
        &self,
        config: &Value,
        kept: Option<&Value>,
    ) -> Vec<(&'static str, Value)> {
        let name = get(config, "name").clone();
        let cluster_name = name
            .as_str()
            .map(|n| s(naming::cluster_name(n)))
            .unwrap_or(Value::Unknown);
        vec![
            ("id", name),
            ("cluster_name", cluster_name),
            ("cluster_arn", arn(kept)),
        ]
    }

    fn planned_state(
        &self,
        config: &Value,
        input: &EnvironmentInput,
        plan: &EnvironmentPlan,
        kept: Option<Kept<'_, EnvironmentPlan>>,
    ) -> Value {
        state_value(config, plan, input, arn(kept.map(|k| k.state)))
    }

    async fn reconcile(
        &self,
        prior: Value,
        config: &Value,
        input: &EnvironmentInput,
        plan: &EnvironmentPlan,
        ctx: &CallContext,
    ) -> (Value, Diagnostics) {
        let fail = |state: Value, d: Diagnostic| (state, Diagnostics::from_error(d));
        let desired = desired_cluster(plan, input);
        let client = ctx.aws.ecs(&input.region).await;
        // Not in state: only a cluster an unfinished create of this environment left may
        // be adopted (see `backends::ownership`).
        let owner = Owner {
            tag: (naming::TAG_ENVIRONMENT, input.name.as_str()),
            creating: prior.is_null(),
            marks: true,
        };
        let result = cancellable(&ctx.cancel, async {
            match ecs::find(&client, &desired.name).await? {
                Some(observed) if !prior.is_null() => {
                    let updated = ecs::update(&client, &observed, &desired).await?;
                    ecs::finish(&client, updated).await
                }
                _ => {
                    let created = ecs::create(&client, &desired, owner).await?;
                    ecs::finish(&client, created).await
                }
            }
        })
        .await
        .map_err(|e| ownership::with_import(e, "platform_environment", &input.name));
        match result {
            Ok(observed) => {
                let state = state_value(config, plan, input, s(observed.arn.clone()));
                // What the prior plan's ingress had and this one's does not.
                if let Some((_, before)) = self.replan(&prior, ctx)
                    && let Some(b) = &before.ingress
                    && before.ingress != plan.ingress
                    && plan.ingress.is_none()
                    && let Err(e) =
                        ingress::leave_dropped(b, None, &input.region, &input.name, ctx).await
                {
                    return fail(prior, diagnostic("Remove The Load Balancer", e));
                }
                let Some(p) = &plan.ingress else {
                    return (state, Diagnostics::new());
                };
                let tags = &plan.context.tags;
                let applied =
                    match ingress::apply(p, &input.region, &input.name, tags, owner, ctx).await {
                        // A certificate the prior plan requested and this one does not use.
                        Ok(()) => match self.replan(&prior, ctx).and_then(|(_, b)| b.ingress) {
                            Some(b) => {
                                ingress::leave_dropped(&b, Some(p), &input.region, &input.name, ctx)
                                    .await
                            }
                            None => Ok(()),
                        },
                        Err(e) => Err(e),
                    };
                match applied {
                    Ok(()) => (state, Diagnostics::new()),
                    Err(e) => {
                        let e = ownership::with_import(e, "platform_environment", &input.name);
                        let d = diagnostic("Apply The Load Balancer", e);
                        // The state records the ingress children that exist.
                        let seen = super::read_back(ctx, |fresh| async move {
                            ingress::read(p, &input.region, &input.name, tags, &fresh).await
                        })
                        .await
                        .unwrap_or_default();
                        fail(observe(state, &observed, Some(&seen)), d)
                    }
                }
            }
            // Someone else's cluster: nothing of it enters the state.
            Err(e @ BackendError::Taken(_)) => fail(prior, diagnostic("Apply The ECS Cluster", e)),
            Err(e) => {
                let d = diagnostic("Apply The ECS Cluster", e);
                if !prior.is_null() {
                    return fail(prior, d);
                }
                // A create that stopped (cancelled, or an error after CreateCluster): the
                // state records the cluster if it exists, so nothing made is lost.
                let found =
                    super::read_back(ctx, |_| async { ecs::find(&client, &desired.name).await })
                        .await;
                match found {
                    Ok(Some(cluster)) if ownership::is_creating(&cluster.tags) => {
                        let state = state_value(config, plan, input, s(cluster.arn.clone()));
                        fail(observe(state, &cluster, None), d)
                    }
                    _ => fail(prior, d),
                }
            }
        }
    }

    async fn delete(&self, prior: Value, ctx: &CallContext) -> (Value, Diagnostics) {
        let (name, region) = cluster_of(&prior);
        // The shared load balancer first: nothing of the services' may outlive it.
        if let Some((input, plan)) = self.replan(&prior, ctx)
            && let Some(p) = &plan.ingress
            && let Err(e) = ingress::delete(p, &input.region, &input.name, ctx).await
        {
            return (
                prior,
                Diagnostics::from_error(diagnostic("Delete The Load Balancer", e)),
            );
        }
        let client = ctx.aws.ecs(&region).await;
        match cancellable(&ctx.cancel, ecs::delete(&client, &name)).await {
            Ok(()) => (Value::Null, Diagnostics::new()),
            Err(e) => (
                prior,
                Diagnostics::from_error(diagnostic("Delete The ECS Cluster", e)),
            ),
        }
    }

    async fn observe(&self, state: Value, ctx: &CallContext) -> (Value, Diagnostics) {
        let (name, region) = cluster_of(&state);
        let client = ctx.aws.ecs(&region).await;
        match cancellable(&ctx.cancel, ecs::find(&client, &name)).await {
            Ok(None) => {
                tracing::info!(cluster = %name, "cluster is gone; it will be planned for creation");
                (Value::Null, Diagnostics::new())
            }
            Ok(Some(cluster)) => {
                let Some((input, plan)) = self.replan(&state, ctx) else {
                    return (observe(state, &cluster, None), Diagnostics::new());
                };
                let Some(p) = &plan.ingress else {
                    return (observe(state, &cluster, None), Diagnostics::new());
                };
                let tags = &plan.context.tags;
                match ingress::read(p, &input.region, &input.name, tags, ctx).await {
                    Ok(seen) => (observe(state, &cluster, Some(&seen)), Diagnostics::new()),
                    Err(e) => (
                        state,
                        Diagnostics::from_error(diagnostic("Read The Load Balancer", e)),
                    ),
                }
            }
            Err(e) => (
                state,
                Diagnostics::from_error(diagnostic("Read The ECS Cluster", e)),
            ),
        }
    }

    async fn import(&self, id: &str, ctx: &CallContext) -> (Option<Value>, Diagnostics) {
        match environment_context::find(id.trim(), ctx).await {
            Ok(found) => {
                let state = state_value(
                    &found.config,
                    &found.plan,
                    &found.input,
                    s(found.cluster.arn.clone()),
                );
                (
                    Some(observe(state, &found.cluster, None)),
                    Diagnostics::new(),
                )
            }
            Err(d) => (None, d),
        }
    }
}

/// The cluster's ARN in a plan: the prior one when updated in place, else known after apply.
fn arn(kept: Option<&Value>) -> Value {
    kept.map(|prior| get(prior, "cluster_arn").clone())
        .unwrap_or(Value::Unknown)
}

/// The cluster name and region a state records.
fn cluster_of(state: &Value) -> (String, String) {
    let text = |k: &str| get(state, k).as_str().unwrap_or_default().to_string();
    (text("cluster_name"), text("region"))
}

/// What the page says it expands into.
const EXPANSION: &str = "\
One ECS cluster, `<name>-cluster` (key `ecs_cluster`), with Container Insights on in staging and production and FARGATE_SPOT as the preferred capacity provider in development. The cluster itself has no charge.

With an `ingress` block, also the shared load balancer of the environment's Fargate services: its security group `<name>-alb` (`alb_security_group`: HTTPS and HTTP from anywhere), the internet-facing Application Load Balancer `<name>-alb` in `network.public_subnet_ids` (`load_balancer`: deletion protection per tier, access logs off, its hourly price in the cost; LCUs are usage-priced and not estimated), an HTTPS listener (`https_listener`: TLS 1.3/1.2, answering 404 until a service's rule matches its hostname) and an HTTP listener that redirects to HTTPS (`http_listener`). Without `certificate_arn`, an ACM certificate for `*.<domain>` (`certificate`) and its DNS validation record in `hosted_zone_id` (`certificate_validation_record`); the apply waits until ACM issues it. Destroy deletes the listeners, the load balancer, its group, then the certificate and its record; a load balancer with deletion protection on is refused at plan time until `ingress.deletion_protection = false` is applied.

The environment also exports `context`: its name, tier, region, cluster, network and effective policy (with the source of each value), known at plan time. `platform_api_service` and `platform_database` take it as `environment` and inherit the policy.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_attribute_is_described() {
        for (path, a) in schema().block.walk() {
            assert!(a.description.len() > 10, "{path:?} lacks a description");
        }
    }
}
