//! A plan rendered as a reviewer would read it (also the snapshot format).

use super::*;

/// A plan as a reviewer would read it: placement, cost, settings with their sources,
/// warnings and the expansion child by child.
pub fn render(plan: &ServicePlan) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "platform_api_service {:?} in {:?}",
        plan.name, plan.environment
    );
    let _ = writeln!(out, "  resolved_host    = {}", plan.placement.host);
    let _ = writeln!(out, "  placement_reason = {}", plan.placement.reason);
    let _ = writeln!(
        out,
        "  url              = {}",
        match (&plan.url, plan.placement.host) {
            (Some(url), _) => url.as_str(),
            // The resource's `url` is null: no load balancer is part of a Fargate service.
            (None, Host::AwsFargate) => "null (no load balancer)",
            (None, _) => "(known after apply)",
        }
    );
    let _ = writeln!(
        out,
        "  estimated_monthly_cost_usd = {:.2}",
        plan.estimated_monthly_cost_usd
    );
    let _ = writeln!(out, "  settings:");
    for (key, value) in &plan.settings {
        let _ = writeln!(out, "    {key} = {value}  [{}]", plan.settings_source[key]);
    }
    if !plan.warnings.is_empty() {
        let _ = writeln!(out, "  warnings:");
        for warning in &plan.warnings {
            let _ = writeln!(out, "    {warning}");
        }
    }
    let _ = writeln!(out, "  expansion:");
    for child in &plan.children {
        let _ = writeln!(
            out,
            "    {} ({}/{}) {:?}  ${:.2}/month",
            child.key, child.provider, child.kind, child.name, child.monthly_cost_usd
        );
        for (key, value) in &child.settings {
            let _ = writeln!(
                out,
                "      {key} = {value}  [{}]",
                child.settings_source[key]
            );
        }
    }
    out
}
