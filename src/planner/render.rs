//! The one reading of a plan, for a reviewer and for every snapshot test: a title, the
//! plan's own fields, its settings with their sources, warnings, the expansion child by
//! child (settings with their sources) and tags. Each planner's plan says which of these
//! it has ([`Render`]); the layout lives only here.

use std::collections::BTreeMap;
use std::fmt::{Display, Write as _};

use super::api_service::ServicePlan;
use super::database::DatabasePlan;
use super::environment::EnvironmentPlan;
use super::job::JobPlan;
use super::placement::Host;
use super::{Child, Source};

/// A plan that reads as text.
pub trait Render {
    /// Writes the plan into `out`.
    fn render_into(&self, out: &mut Rendering);
}

/// The plan as a reviewer would read it (also the snapshot format).
pub fn render(plan: &impl Render) -> String {
    let mut out = Rendering::default();
    plan.render_into(&mut out);
    out.text
}

/// The text being written, section by section.
#[derive(Debug, Default)]
pub struct Rendering {
    text: String,
}

impl Rendering {
    /// The first line: what the plan is of.
    pub fn title(&mut self, title: impl Display) -> &mut Self {
        let _ = writeln!(self.text, "{title}");
        self
    }

    /// Fields of the plan itself, `label = value`, their `=` aligned within the group.
    pub fn fields(&mut self, fields: &[(&str, &dyn Display)]) -> &mut Self {
        let width = fields.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
        for (label, value) in fields {
            let _ = writeln!(self.text, "  {label:<width$} = {value}");
        }
        self
    }

    /// The estimated monthly cost in USD.
    pub fn cost(&mut self, usd: f64) -> &mut Self {
        self.fields(&[("estimated_monthly_cost_usd", &format_args!("{usd:.2}"))])
    }

    /// A section of settings, each with where its value came from.
    pub fn settings(
        &mut self,
        values: &BTreeMap<String, String>,
        sources: &BTreeMap<String, Source>,
    ) -> &mut Self {
        let _ = writeln!(self.text, "  settings:");
        self.setting_lines("    ", values, sources)
    }

    /// A section of lines, left out when there are none.
    pub fn list(&mut self, heading: &str, lines: &[impl Display]) -> &mut Self {
        if !lines.is_empty() {
            let _ = writeln!(self.text, "  {heading}:");
            for line in lines {
                let _ = writeln!(self.text, "    {line}");
            }
        }
        self
    }

    /// A section of `key = value` pairs, e.g. tags.
    pub fn map(&mut self, heading: &str, pairs: &BTreeMap<String, String>) -> &mut Self {
        let _ = writeln!(self.text, "  {heading}:");
        for (key, value) in pairs {
            let _ = writeln!(self.text, "    {key} = {value}");
        }
        self
    }

    /// The expansion, child by child, with each child's settings and their sources.
    pub fn expansion(&mut self, children: &[Child]) -> &mut Self {
        let _ = writeln!(self.text, "  expansion:");
        for child in children {
            let _ = writeln!(
                self.text,
                "    {} ({}/{}) {:?}  ${:.2}/month",
                child.key, child.provider, child.kind, child.name, child.monthly_cost_usd
            );
            self.setting_lines("      ", &child.settings, &child.settings_source);
        }
        self
    }

    fn setting_lines(
        &mut self,
        indent: &str,
        values: &BTreeMap<String, String>,
        sources: &BTreeMap<String, Source>,
    ) -> &mut Self {
        for (key, value) in values {
            let _ = writeln!(self.text, "{indent}{key} = {value}  [{}]", sources[key]);
        }
        self
    }
}

impl Render for ServicePlan {
    fn render_into(&self, out: &mut Rendering) {
        let url = match (&self.url, self.placement.host) {
            (Some(url), _) => url.as_str(),
            // The resource's `url` is null: no load balancer is part of a Fargate service.
            (None, Host::AwsFargate) => "null (no load balancer)",
            (None, _) => "(known after apply)",
        };
        out.title(format_args!(
            "platform_api_service {:?} in {:?}",
            self.name, self.environment
        ))
        .fields(&[
            ("resolved_host", &self.placement.host),
            ("placement_reason", &self.placement.reason),
            ("url", &url),
        ])
        .cost(self.estimated_monthly_cost_usd)
        .settings(&self.settings, &self.settings_source)
        .list("warnings", &self.warnings)
        .expansion(&self.children);
    }
}

impl Render for JobPlan {
    fn render_into(&self, out: &mut Rendering) {
        out.title(format_args!(
            "platform_job {:?} in {:?}",
            self.name, self.environment
        ))
        .fields(&[("run_task_command", &self.run_task_command)])
        .cost(self.estimated_monthly_cost_usd)
        .settings(&self.settings, &self.settings_source)
        .list("warnings", &self.warnings)
        .expansion(&self.children);
    }
}

impl Render for DatabasePlan {
    fn render_into(&self, out: &mut Rendering) {
        out.title(format_args!(
            "platform_database {:?} in {:?}",
            self.identifier, self.environment
        ))
        .fields(&[("tier", &self.tier), ("region", &self.region)])
        .cost(self.estimated_monthly_cost_usd)
        .expansion(&self.children)
        .map("tags", &self.effective.tags);
    }
}

impl Render for EnvironmentPlan {
    fn render_into(&self, out: &mut Rendering) {
        let c = &self.context;
        out.title(format_args!("platform_environment {:?}", c.name))
            .fields(&[("tier", &c.tier), ("region", &c.region)])
            .cost(self.estimated_monthly_cost_usd)
            .expansion(&self.children);
    }
}
