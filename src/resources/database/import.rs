//! Import by `<environment>/<name>`: the primary is found by its identifier, must carry
//! this provider's tag, and its `platform:spec` tag gives back the configured inputs.

use crate::backends::aws::rds;
use crate::backends::cancellable;
use crate::context::CallContext;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::planner::database as db_planner;
use crate::planner::naming;
use crate::resources::attrs::{self, s, with};
use crate::resources::environment_context::{context_from_value, import_context};
use crate::resources::spec;
use crate::value::Value;

use super::*;

/// Import by `<environment>/<name>`: the configured inputs come back from the spec tag.
pub(super) async fn import(id: &str, ctx: &CallContext) -> (Option<Value>, Diagnostics) {
    let fail = |summary: &str, detail: String| {
        (
            None,
            Diagnostics::from_error(Diagnostic::error(summary, detail)),
        )
    };
    let Some((env, name)) = id.trim().split_once('/') else {
        return fail(
            "Invalid Import ID",
            format!("`{id}` is not `<environment>/<database>`. Write it like `prod/main`."),
        );
    };
    let context = match import_context(env, ctx).await {
        Ok(c) => c,
        Err(d) => return (None, d),
    };
    let Ok(Some(env_ctx)) = context_from_value(&context) else {
        return fail(
            "Environment Not Found",
            format!("The environment `{env}` could not be read back."),
        );
    };
    let identifier = naming::child_name(env, name);
    let client = ctx.aws.rds(&env_ctx.region).await;
    let primary = match cancellable(&ctx.cancel, rds::find(&client, &identifier)).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            return fail(
                "Database Not Found",
                format!(
                    "There is no RDS instance `{identifier}` in `{}`. Check the import ID (`<environment>/<database>`).",
                    env_ctx.region
                ),
            );
        }
        Err(e) => {
            return (
                None,
                Diagnostics::from_error(crate::resources::backend_diagnostic(
                    "Database Name Already Taken",
                    "Read The Database",
                    e,
                )),
            );
        }
    };
    if primary.tags.get(naming::TAG_MANAGED_BY).map(String::as_str) != Some(naming::MANAGED_BY) {
        return fail(
            "Database Not Managed By This Provider",
            format!(
                "The RDS instance `{identifier}` has no `{}` = `{}` tag, so it was not created by `platform_database`. Only databases this provider created can be imported.",
                naming::TAG_MANAGED_BY,
                naming::MANAGED_BY
            ),
        );
    }
    let default_tags = &ctx.config.default_tags;
    let mut fields = vec![
        ("environment", context),
        ("name", s(name)),
        ("master_password_wo", Value::Null),
        (
            "tags",
            attrs::configured_tags(&primary.tags, &[&env_ctx.tags, default_tags]),
        ),
    ];
    fields.extend(spec::decode(
        convert::SPEC,
        &spec::from_tags(TAG_SPEC, &primary.tags),
    ));
    let config = Value::object(fields);
    let plan = match input(&config, default_tags).map(|i| db_planner::plan(&i)) {
        Ok(Ok(p)) => p,
        Ok(Err(v)) => return (None, violations(v)),
        Err(d) => return (None, d),
    };
    let replicas = match read_all(ctx, &plan).await {
        Ok((_, r)) => r,
        Err(e) => {
            return (
                None,
                Diagnostics::from_error(crate::resources::backend_diagnostic(
                    "Database Name Already Taken",
                    "Read The Database",
                    e,
                )),
            );
        }
    };
    let mut state = observe(
        state_value(&config, &plan, Observed::unknown()),
        &primary,
        &replicas,
    );
    let unique = primary.created.clone().unwrap_or_else(|| "snapshot".into());
    state = with(
        state,
        [(
            "final_snapshot_identifier",
            s(db_planner::final_snapshot_identifier(
                &plan.identifier,
                &unique,
            )),
        )],
    );
    (Some(state), Diagnostics::new())
}
