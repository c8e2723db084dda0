//! Changes between two plans of an environment: a new name or region replaces it (its
//! cluster is re-created under the new name, or in the new region); a new tier, policy,
//! network or tags change it in place, and every service and database that takes its
//! `context` shows what follows in its own plan.

use crate::planner::changes::{Changes, child_changes};

use super::*;

/// The effective policy as `(field, value)` lines, for naming what changed.
fn policy_lines(p: &EffectivePolicy) -> [(&'static str, String); 14] {
    [
        ("min_instances", p.min_instances.to_string()),
        ("max_instances", p.max_instances.to_string()),
        ("target_cpu_percent", p.target_cpu_percent.to_string()),
        (
            "scale_out_cooldown_seconds",
            p.scale_out_cooldown_seconds.to_string(),
        ),
        (
            "scale_in_cooldown_seconds",
            p.scale_in_cooldown_seconds.to_string(),
        ),
        ("db_instance_class", p.db_instance_class.clone()),
        ("db_storage_gb", p.db_storage_gb.to_string()),
        ("multi_az", p.multi_az.to_string()),
        ("backup_retention_days", p.backup_retention_days.to_string()),
        ("deletion_protection", p.deletion_protection.to_string()),
        ("final_snapshot", p.final_snapshot.to_string()),
        ("storage_encrypted", p.storage_encrypted.to_string()),
        ("log_retention_days", p.log_retention_days.to_string()),
        ("container_insights", p.container_insights.to_string()),
    ]
}

/// How `next` differs from `prior`.
pub fn changes(prior: &EnvironmentPlan, next: &EnvironmentPlan) -> Changes {
    let (from, to) = (&prior.context, &next.context);
    let mut replace = Vec::new();
    if from.name != to.name {
        replace.push((
            AttributePath::attr("name"),
            format!(
                "renaming re-creates the cluster: `{}` becomes `{}`",
                from.cluster_name, to.cluster_name
            ),
        ));
    }
    if from.region != to.region {
        replace.push((
            AttributePath::attr("region"),
            format!(
                "moving from `{}` to `{}` re-creates the cluster in the new region",
                from.region, to.region
            ),
        ));
    }
    let mut in_place = Vec::new();
    if from.tier != to.tier {
        in_place.push(format!(
            "tier `{}` → `{}`: the policy every service and database inherits follows the new tier",
            from.tier.as_str(),
            to.tier.as_str()
        ));
    }
    for ((field, old), (_, new)) in policy_lines(&from.policy)
        .into_iter()
        .zip(policy_lines(&to.policy))
    {
        if old != new {
            in_place.push(format!("policy `{field}`: {old} → {new}"));
        }
    }
    if from.network != to.network {
        in_place.push(
            "network: services take the new subnets and security groups at their next deployment"
                .to_string(),
        );
    }
    if from.tags != to.tags {
        in_place.push(
            "tags: the cluster's tags change, and every child of the environment inherits them"
                .to_string(),
        );
    }
    let replaced = (!replace.is_empty()).then_some("the environment is replaced");
    let children = child_changes(
        &prior.children,
        &next.children,
        replaced,
        |_, _| false,
        |_| "updates the cluster's settings and tags in place",
    );
    Changes {
        replace,
        in_place,
        children,
        prior_in_production: from.tier == Tier::Production,
        ..Changes::default()
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;
    use crate::planner::changes::ChildAction;

    fn between(prior: EnvironmentInput, next: EnvironmentInput) -> Changes {
        changes(&plan(&prior).unwrap(), &plan(&next).unwrap())
    }

    #[test]
    fn the_same_input_changes_nothing() {
        assert!(between(valid(), valid()).is_empty());
    }

    #[test]
    fn a_new_name_or_region_replaces_the_environment() {
        let c = between(valid(), with(|i| i.region = "us-east-1".into()));
        assert_eq!(c.replace.len(), 1, "{c:?}");
        assert_eq!(c.replace[0].0, AttributePath::attr("region"));
        assert!(c.prior_in_production);
        let actions: Vec<ChildAction> = c.children.iter().map(|ch| ch.action).collect();
        assert_eq!(actions, [ChildAction::Delete, ChildAction::Create]);
        let c = between(valid(), with(|i| i.name = "prod2".into()));
        assert_eq!(c.replace[0].0, AttributePath::attr("name"));
        assert!(c.replace[0].1.contains("prod2-cluster"), "{c:?}");
    }

    #[test]
    fn a_new_tier_or_policy_changes_it_in_place_and_names_each_field() {
        let c = between(valid(), with(|i| i.tier = "development".into()));
        assert!(!c.requires_replacement());
        assert!(
            c.in_place[0].contains("`production` → `development`"),
            "{c:?}"
        );
        assert!(
            c.in_place
                .iter()
                .any(|l| l == "policy `multi_az`: true → false")
        );
        // Development runs without Container Insights and prefers FARGATE_SPOT.
        let cluster = &c.children[0];
        assert_eq!(
            (cluster.action, cluster.key.as_str()),
            (ChildAction::Update, "ecs_cluster")
        );
        assert_eq!(
            cluster.settings,
            ["container_insights", "default_capacity_provider"]
        );
        let c = between(valid(), with(|i| i.policy.min_instances = Some(5)));
        assert_eq!(c.in_place, ["policy `min_instances`: 2 → 5"]);
        assert!(c.children.is_empty(), "the cluster is unchanged: {c:?}");
    }

    #[test]
    fn network_and_tag_changes_are_named() {
        let c = between(valid(), with(|i| network(i).assign_public_ip = Some(true)));
        assert!(c.in_place[0].starts_with("network:"), "{c:?}");
        let c = between(
            valid(),
            with(|i| {
                i.tags.insert("cost-center".into(), "42".into());
            }),
        );
        assert!(c.in_place[0].starts_with("tags:"), "{c:?}");
    }
}
