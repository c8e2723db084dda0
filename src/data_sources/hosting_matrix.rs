//! `platform_hosting_matrix`: the hosting matrix of the users' plans (the seeds) as data. Given requirements, the
//! host `host = "auto"` would choose and why; and for each component kind of the seeds,
//! its requirements, host and reason. Both come from the same rules as placement
//! (`planner::placement`), never from a table kept beside them.

use super::DataSource;
use crate::context::CallContext;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::planner::placement::{self, Placement, Requirements};
use crate::planner::static_site::placement::{self as site_placement, Framework, SiteNeeds};
use crate::schema::{Attribute, Block, Mode, NestedBlock, Schema};
use crate::value::{AttributePath, Type, Value};

/// The `platform_hosting_matrix` data source.
pub struct HostingMatrix {
    schema: Schema,
}

impl HostingMatrix {
    /// The data source with its schema.
    pub fn new() -> Self {
        Self { schema: schema() }
    }
}

impl Default for HostingMatrix {
    fn default() -> Self {
        Self::new()
    }
}

fn row_type() -> Type {
    Type::object([
        ("component", Type::String),
        ("example", Type::String),
        ("requirements", Type::String),
        ("resolved_host", Type::String),
        ("placement_reason", Type::String),
        ("rule", Type::String),
    ])
}

fn schema() -> Schema {
    let opt = |name: &str, ty: Type, d: &str| Attribute::new(name, ty, Mode::Optional, d);
    let computed = |name: &str, ty: Type, d: &str| Attribute::new(name, ty, Mode::Computed, d);
    Schema {
        version: 0,
        block: Block {
            description: "The hosting matrix as data: where `platform_api_service` with `host = \"auto\"` places a service with the given `requirements`, and why; where `platform_static_site` places a frontend (`site`); and the placement of each component kind found in typical hosting plans (edge gateways, realtime and multi-region APIs, ML inference, workers, APIs next to RDS, static frontends, dashboards behind a login, server-rendered Next.js). Computed by the same rules as placement.".into(),
            attributes: vec![
                computed("id", Type::String, "Always `hosting-matrix`."),
                computed("resolved_host", Type::String, "The host for `requirements`: `aws_fargate`, `fly` or `cloudflare_workers` (null without a `requirements` block)."),
                computed("placement_reason", Type::String, "Why, in one line, as `platform_api_service` shows it."),
                computed("rule", Type::String, "The placement rule that decided: `edge_script`, `multi_region`, `private_network`, `background_work`, `heavy_cpu`, `long_lived_connections` or `container`."),
                computed("site_host", Type::String, "The host for `site`: `cloudflare_pages` or `vercel` (null without a `site` block)."),
                computed("site_placement_reason", Type::String, "Why, in one line, as `platform_static_site` shows it."),
                computed("rows", Type::list(row_type()), "For each component kind of typical hosting plans, services and frontends: the component, an example of it, its requirements, the host and the reason."),
            ],
            blocks: vec![NestedBlock {
                repeated: false,
                name: "site".into(),
                block: Block {
                    description: "What a frontend is, as in `platform_static_site`.".into(),
                    attributes: vec![
                        opt("framework", Type::String, "`static` (a static export, the default) or `nextjs` (server-rendered Next.js)."),
                        opt("access_policy", Type::Bool, "Sits behind a login (Cloudflare Access)."),
                    ],
                    blocks: vec![],
                },
            }, NestedBlock {
                repeated: false,
                name: "requirements".into(),
                block: Block {
                    description: "What a service needs, as in `platform_api_service`.".into(),
                    attributes: vec![
                        opt("artifact", Type::String, "`image` (a container, the default) or `script` (a Workers module)."),
                        opt("multi_region", Type::Bool, "Runs active-active in more than one region (a service with several `regions`)."),
                        opt("long_lived_connections", Type::Bool, "Holds WebSockets or streams open."),
                        opt("private_network_access", Type::Bool, "Reaches private AWS resources such as RDS in the VPC."),
                        opt("cpu_ms_per_request", Type::Number, "CPU time one request uses, ms."),
                        opt("memory_mb", Type::Number, "Memory the service needs, MB."),
                        opt("background_work", Type::Bool, "Does background work, not only requests."),
                    ],
                    blocks: vec![],
                },
            }],
        },
    }
}

fn requirements(v: &Value) -> Result<Option<Requirements>, Diagnostic> {
    if v.is_null() {
        return Ok(None);
    }
    let path = |k: &str| AttributePath::attr("requirements").then_attr(k);
    let flag = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
    let whole = |k: &str| -> Result<Option<i64>, Diagnostic> {
        match v.get(k).and_then(Value::as_number) {
            None => Ok(None),
            Some(n) => match n.as_i64() {
                Some(i) if i > 0 => Ok(Some(i)),
                _ => Err(Diagnostic::error(
                    "Invalid Requirement",
                    format!("`{n}` is not a positive whole number. Write e.g. `{k} = 50`."),
                )
                .at(path(k))),
            },
        }
    };
    let artifact = v.get("artifact").and_then(Value::as_str).unwrap_or("image");
    let script = match artifact {
        "image" => false,
        "script" => true,
        other => {
            return Err(Diagnostic::error(
                "Invalid Artifact",
                format!("`{other}` is not an artifact kind. Write `artifact = \"image\"` for a container or `\"script\"` for a Workers module."),
            )
            .at(path("artifact")));
        }
    };
    Ok(Some(Requirements {
        long_lived_connections: flag("long_lived_connections"),
        private_network_access: flag("private_network_access"),
        cpu_ms_per_request: whole("cpu_ms_per_request")?,
        memory_mb: whole("memory_mb")?,
        multi_region: flag("multi_region"),
        has_image: !script,
        has_script: script,
        background_work: flag("background_work"),
    }))
}

fn row(component: &str, example: &str, req: &Requirements, p: &Placement) -> Value {
    Value::object([
        ("component", Value::string(component)),
        ("example", Value::string(example)),
        ("requirements", Value::string(req.summary())),
        ("resolved_host", Value::string(p.host.as_str())),
        ("placement_reason", Value::string(p.reason.clone())),
        ("rule", Value::string(p.rule.as_str())),
    ])
}

fn site_needs(v: &Value) -> Result<Option<SiteNeeds>, Diagnostic> {
    if v.is_null() {
        return Ok(None);
    }
    let given = v
        .get("framework")
        .and_then(Value::as_str)
        .unwrap_or("static");
    let framework = given.parse::<Framework>().map_err(|()| {
        Diagnostic::error(
            "Invalid Framework",
            format!("`{given}` is not a framework. Write `framework = \"static\"` for a static export or `\"nextjs\"` for server-rendered Next.js."),
        )
        .at(AttributePath::attr("site").then_attr("framework"))
    })?;
    Ok(Some(SiteNeeds {
        framework,
        access_policy: v
            .get("access_policy")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    }))
}

fn site_row(r: &site_placement::SiteRow) -> Value {
    let needs = format!(
        "{}{}",
        match r.needs.framework {
            Framework::Static => "static export",
            Framework::Nextjs => "server-rendered Next.js",
        },
        if r.needs.access_policy {
            ", behind a login"
        } else {
            ""
        }
    );
    Value::object([
        ("component", Value::string(r.component)),
        ("example", Value::string(r.seed_component)),
        ("requirements", Value::string(needs)),
        ("resolved_host", Value::string(r.placement.host.as_str())),
        (
            "placement_reason",
            Value::string(r.placement.reason.clone()),
        ),
        (
            "rule",
            Value::string(format!("site_{}", r.needs.framework.as_str())),
        ),
    ])
}

/// The data source's value for a configuration (pure).
pub fn read(config: &Value) -> Result<Value, Diagnostic> {
    let req = requirements(config.get("requirements").unwrap_or(&Value::Null))?;
    let placed = req.as_ref().map(placement::place);
    let text = |f: fn(&Placement) -> String| {
        placed
            .as_ref()
            .map(|p| Value::string(f(p)))
            .unwrap_or(Value::Null)
    };
    let site = site_needs(config.get("site").unwrap_or(&Value::Null))?.map(site_placement::place);
    let rows = placement::matrix()
        .iter()
        .map(|r| row(r.component, r.seed_component, &r.requirements, &r.placement))
        .chain(site_placement::matrix().iter().map(site_row))
        .collect::<Vec<_>>();
    let mut out = config.clone();
    if let Value::Object(m) = &mut out {
        m.insert("id".into(), Value::string("hosting-matrix"));
        m.insert(
            "resolved_host".into(),
            text(|p| p.host.as_str().to_string()),
        );
        m.insert("placement_reason".into(), text(|p| p.reason.clone()));
        m.insert("rule".into(), text(|p| p.rule.as_str().to_string()));
        m.insert(
            "site_host".into(),
            site.as_ref()
                .map_or(Value::Null, |p| Value::string(p.host.as_str())),
        );
        m.insert(
            "site_placement_reason".into(),
            site.as_ref()
                .map_or(Value::Null, |p| Value::string(p.reason.clone())),
        );
        m.insert("rows".into(), Value::list(rows));
    }
    Ok(out)
}

#[async_trait::async_trait]
impl DataSource for HostingMatrix {
    fn type_name(&self) -> &'static str {
        "platform_hosting_matrix"
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value, _: &CallContext) -> Diagnostics {
        if !config.is_wholly_known() {
            return Diagnostics::new();
        }
        match requirements(config.get("requirements").unwrap_or(&Value::Null))
            .and_then(|_| site_needs(config.get("site").unwrap_or(&Value::Null)))
        {
            Ok(_) => Diagnostics::new(),
            Err(d) => Diagnostics::from_error(d),
        }
    }

    async fn read(&self, config: Value, _: &CallContext) -> (Value, Diagnostics) {
        match read(&config) {
            Ok(v) => (v, Diagnostics::new()),
            Err(d) => (config, Diagnostics::from_error(d)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_requirements(fields: Vec<(&'static str, Value)>) -> Value {
        Value::object([("requirements", Value::object(fields))])
    }

    fn host(v: &Value) -> &str {
        v.get("resolved_host").and_then(Value::as_str).unwrap()
    }

    #[test]
    fn answers_for_given_requirements_by_the_placement_rules() {
        let script = read(&with_requirements(vec![
            ("artifact", Value::string("script")),
            ("cpu_ms_per_request", Value::Number(5.into())),
        ]))
        .unwrap();
        assert_eq!(host(&script), "cloudflare_workers");
        let ws = read(&with_requirements(vec![(
            "long_lived_connections",
            Value::Bool(true),
        )]))
        .unwrap();
        assert_eq!(host(&ws), "fly");
        let rds = read(&with_requirements(vec![(
            "private_network_access",
            Value::Bool(true),
        )]))
        .unwrap();
        assert_eq!(host(&rds), "aws_fargate");
        assert_eq!(
            rds.get("rule").and_then(Value::as_str),
            Some("private_network")
        );
        let req = Requirements {
            private_network_access: true,
            has_image: true,
            ..Requirements::default()
        };
        assert_eq!(
            rds.get("placement_reason").and_then(Value::as_str),
            Some(placement::place(&req).reason.as_str())
        );
    }

    #[test]
    fn without_requirements_only_the_rows_are_filled() {
        let v = read(&Value::object([("requirements", Value::Null)])).unwrap();
        assert!(v.get("resolved_host").unwrap().is_null());
        let rows = v.get("rows").and_then(Value::as_list).unwrap();
        assert_eq!(
            rows.len(),
            placement::matrix().len() + site_placement::matrix().len()
        );
        for (row, m) in rows.iter().zip(placement::matrix()) {
            assert_eq!(
                row.get("resolved_host").and_then(Value::as_str),
                Some(m.placement.host.as_str())
            );
        }
    }

    #[test]
    fn a_bad_artifact_names_the_attribute_and_the_fix() {
        let e = read(&with_requirements(vec![(
            "artifact",
            Value::string("docker"),
        )]))
        .unwrap_err();
        assert_eq!(
            e.path,
            Some(AttributePath::attr("requirements").then_attr("artifact"))
        );
        assert!(e.detail.contains("\"image\""));
    }

    #[test]
    fn answers_for_sites_by_the_site_placement_rules() {
        let next = read(&Value::object([(
            "site",
            Value::object([("framework", Value::string("nextjs"))]),
        )]))
        .unwrap();
        assert_eq!(
            next.get("site_host").and_then(Value::as_str),
            Some("vercel")
        );
        let dashboard = read(&Value::object([(
            "site",
            Value::object([("access_policy", Value::Bool(true))]),
        )]))
        .unwrap();
        assert_eq!(
            dashboard.get("site_host").and_then(Value::as_str),
            Some("cloudflare_pages")
        );
        assert!(
            dashboard
                .get("site_placement_reason")
                .and_then(Value::as_str)
                .unwrap()
                .contains("Access")
        );
        let rows = dashboard.get("rows").and_then(Value::as_list).unwrap();
        assert!(rows.iter().any(
            |r| r.get("rule").and_then(Value::as_str) == Some("site_nextjs")
                && r.get("resolved_host").and_then(Value::as_str) == Some("vercel")
        ));
        let e = read(&Value::object([(
            "site",
            Value::object([("framework", Value::string("gatsby"))]),
        )]))
        .unwrap_err();
        assert_eq!(
            e.path,
            Some(AttributePath::attr("site").then_attr("framework"))
        );
    }
}
