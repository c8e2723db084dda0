//! The hand-written parts of the pages, and the tier-defaults tables generated from
//! [`crate::planner::tier`] so the docs cannot drift from the defaults the planner applies.

use super::Section;
use crate::planner::tier::Tier;
use crate::resources::docs::{ResourceDocs, TierRow};
use std::fmt::Write as _;

/// The extra sections of a resource's page, from what the resource supplies, in page
/// order; none for a resource that supplies none.
pub fn sections(docs: &ResourceDocs) -> Vec<Section> {
    let mut out = Vec::new();
    if !docs.expansion.is_empty() {
        out.push(Section {
            title: "What it expands into".into(),
            markdown: docs.expansion.into(),
        });
    }
    if !docs.tier_rows.is_empty() {
        out.push(Section {
            title: "Tier defaults".into(),
            markdown: format!("{TIER_INTRO}\n\n{}", tier_defaults_table(docs.tier_rows)),
        });
    }
    out
}

/// The provider page's extra sections.
pub fn provider_sections() -> Vec<Section> {
    vec![Section {
        title: "Authentication".into(),
        markdown: AUTHENTICATION.into(),
    }]
}

const AUTHENTICATION: &str = "\
`provider \"platform\" {}` works with no arguments: every credential comes from the standard sources, so none needs to be written in configuration.

- **AWS** (ECS, RDS, Application Auto Scaling, CloudWatch Logs, and IAM for the roles Fargate services get: `iam:CreateRole`, `GetRole`, `ListRoleTags`, `TagRole`, `UntagRole`, `PutRolePolicy`, `GetRolePolicy`, `DeleteRolePolicy`, `UpdateAssumeRolePolicy`, `DeleteRole`, and `iam:PassRole` on them for ECS): the AWS SDK's default credential chain — `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`, `AWS_PROFILE` and the shared config files, web identity (e.g. CI OIDC), then ECS and EC2 instance roles. The region is the resource's `region` (or its environment's); `AWS_REGION` or the provider's `region` is used only where a resource names none, such as on import.
- **Fly.io**: `FLY_API_TOKEN`, or `fly { api_token }`. Needed only when a service is placed on Fly.io Machines.
- **Cloudflare**: `CLOUDFLARE_API_TOKEN` and `CLOUDFLARE_ACCOUNT_ID`, or `cloudflare { api_token, account_id }`. Needed only when a service is placed on Cloudflare Workers.

Tokens are sensitive: they are never shown in plan output or logs. Prefer the environment variables, so tokens stay out of configuration and state.";

const TIER_INTRO: &str = "The environment's `tier` picks these defaults. Every one can be overridden (in the environment's `policy` block or on the resource). Each child in `expansion` shows where its effective settings came from in `sources`, one line per source naming the settings it decided (`\"tier:production\" = \"desired_count, min_capacity\"`):\n\n- `config`: this resource's configuration;\n- `environment`: the environment's configuration, region or network, through its `context`;\n- `tier:<tier>`: the default of that tier, in the table below;\n- `provider`: the provider block (`fly { org_slug }`, `cloudflare { zone_name }`);\n- `fixed`: the provider's own design, the same in every tier (e.g. `network_mode = awsvpc`);\n- `derived`: computed from other settings (a name from the environment's and the resource's, a replica's class from its source instance);\n- `external`: set outside Terraform and read from the cloud, where the configuration says so (a Fargate service's image with `deployment.image_source = \"external\"`).";

/// A markdown table of `rows`, one column per tier, values from each tier's defaults.
pub fn tier_defaults_table(rows: &[TierRow]) -> String {
    let mut out = String::from("| setting |");
    for tier in Tier::ALL {
        let _ = write!(out, " {tier} |");
    }
    out.push_str("\n| --- |");
    for _ in Tier::ALL {
        out.push_str(" --- |");
    }
    out.push('\n');
    for row in rows {
        let _ = write!(out, "| {} |", row.setting);
        for tier in Tier::ALL {
            let _ = write!(out, " {} |", (row.value)(tier.defaults()));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::docs::{DB_BACKUPS, DB_MULTI_AZ, MIN_MAX};

    #[test]
    fn tier_table_is_built_from_the_tier_defaults() {
        let table = tier_defaults_table(&[MIN_MAX, DB_BACKUPS, DB_MULTI_AZ]);
        assert_eq!(
            table,
            "| setting | development | staging | production |\n\
             | --- | --- | --- | --- |\n\
             | service instances min / max | 1 / 2 | 1 / 4 | 2 / 10 |\n\
             | DB backup retention | 1 day | 7 days | 30 days |\n\
             | DB multi-AZ | no | no | yes |\n"
        );
    }

    #[test]
    fn each_composite_resource_gets_expansion_and_tier_sections() {
        let platform = crate::provider::Platform::new();
        for name in [
            "platform_environment",
            "platform_api_service",
            "platform_database",
        ] {
            let resource = platform.resource(name).expect("registered");
            let titles: Vec<String> = sections(&resource.docs())
                .into_iter()
                .map(|s| s.title)
                .collect();
            assert_eq!(titles, ["What it expands into", "Tier defaults"], "{name}");
        }
        assert!(sections(&ResourceDocs::default()).is_empty());
    }

    #[test]
    fn authentication_names_every_credential_source() {
        let text = &provider_sections()[0].markdown;
        for source in [
            "default credential chain",
            "FLY_API_TOKEN",
            "CLOUDFLARE_API_TOKEN",
            "CLOUDFLARE_ACCOUNT_ID",
        ] {
            assert!(text.contains(source), "{source}");
        }
    }
}
