//! What happens in the cloud: apply (create or update the parameter group, the primary
//! and the replicas, then record what exists), destroy, and reading back what exists.

use crate::backends::aws::rds::{self, ObservedInstance, Password};
use crate::backends::ownership::{self, Owner};
use crate::backends::wait::WaitPolicy;
use crate::backends::{BackendError, cancellable};
use crate::config::Secret;
use crate::context::CallContext;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::planner::database::{self as db_planner, DatabasePlan};
use crate::planner::naming;
use crate::resources::attrs::{self, get, int, map_of, s, with};
use crate::value::{AttributePath, Value};
use std::collections::BTreeMap;

use super::*;

/// Create or update the parameter group, the primary and the replicas, then record what
/// exists. Returns the new state (the prior one when nothing was made) and diagnostics.
pub(super) async fn reconcile(
    prior: Value,
    config: &Value,
    plan: &DatabasePlan,
    ctx: &CallContext,
) -> (Value, Diagnostics) {
    let done = |new_state: Value, diagnostics: Diagnostics| (new_state, diagnostics);
    let planned = state_value(config, plan, Observed::unknown());
    let password = match get(config, "master_password_wo").as_str() {
        Some(p) => Password::WriteOnly(Secret::new(p)),
        None if plan.effective.manage_master_password => Password::Managed,
        None => Password::Inherited,
    };
    let rotate = match (&password, prior.is_null()) {
        (Password::WriteOnly(p), false)
            if get(&prior, "master_password_wo_version")
                != get(config, "master_password_wo_version") =>
        {
            Some(p.clone())
        }
        _ => None,
    };
    let creating = prior.is_null();
    // Not in state: only children an unfinished create of this database left may be
    // adopted, and new ones carry the creating marker (see `backends::ownership`).
    let owner = Owner {
        tag: (naming::TAG_ENVIRONMENT, plan.environment.as_str()),
        creating,
        marks: true,
    };
    let mut primary = desired(plan, config, password);
    primary.tags = owner.tags(&primary.tags);
    let client = ctx.aws.rds(&plan.region).await;
    let mut diags = Diagnostics::new();
    let import_id = format!(
        "{}/{}",
        plan.environment,
        get(config, "name").as_str().unwrap_or_default()
    );
    let taken = |e: BackendError| ownership::with_import(e, "platform_database", &import_id);

    // 1. Parameter group and primary. Nothing is recorded until the primary exists.
    let mut group_seen = None;
    // Look-ups batched with the databases applied at the same time.
    let look = ctx.aws.lookups(&plan.region).await;
    let primary_result = cancellable(&ctx.cancel, async {
        let mut primary_found = None;
        if creating {
            // Everything under our names is checked before anything is made or
            // changed, so a refusal leaves the cloud exactly as it was.
            primary_found = look.db_instance(&primary.identifier).await?;
            if let Some(current) = &primary_found {
                rds::adopt_check(current, owner)?;
            }
            for region in &plan.effective.read_replica_regions {
                let rlook = ctx.aws.lookups(region).await;
                if let Some(current) = rlook.db_instance(&replica_identifier(plan, region)).await? {
                    rds::adopt_check(&current, owner)?;
                }
            }
        }
        if let Some(group) = &primary.parameter_group {
            let params: BTreeMap<String, String> =
                (!plan.effective.shared_preload_libraries.is_empty())
                    .then(|| {
                        (
                            "shared_preload_libraries".to_string(),
                            plan.effective.shared_preload_libraries.join(","),
                        )
                    })
                    .into_iter()
                    .collect();
            group_seen = Some(
                rds::ensure_parameter_group(
                    &client,
                    group,
                    &plan.effective.parameter_group_family,
                    &params,
                    &plan.effective.tags,
                    owner,
                )
                .await?,
            );
        }
        // A create looked the primary up above (nothing of ours made it since).
        let current = match creating {
            true => primary_found,
            false => look.db_instance(&primary.identifier).await?,
        };
        match current {
            // Not in state but in the cloud: what an unfinished create of ours made is
            // adopted and brought to the configuration; anything else is refused.
            Some(current) => {
                if creating {
                    rds::adopt_check(&current, owner)?;
                }
                rds::modify(&client, &current, &primary, rotate.as_ref()).await?
            }
            None => {
                rds::create_given(&client, &primary, owner, None).await?;
            }
        }
        rds::wait_available(&client, &primary.identifier, &ctx.cancel, WaitPolicy::RDS).await
    })
    .await
    .map_err(taken);
    let primary_seen = match primary_result {
        Ok(p) => p,
        Err(e @ BackendError::Taken(_)) => {
            // Someone else's: nothing of it enters the state.
            return done(
                prior,
                Diagnostics::from_error(crate::resources::backend_diagnostic(
                    "Database Name Already Taken",
                    "Apply The Database",
                    e,
                )),
            );
        }
        Err(e) => {
            let mut d = crate::resources::backend_diagnostic(
                "Database Name Already Taken",
                "Apply The Database",
                e,
            );
            if !creating {
                return done(prior, Diagnostics::from_error(d));
            }
            // A create that stopped (cancelled, or failed after CreateDBInstance): the
            // state records the instance if it exists, so nothing made is lost.
            let found = crate::resources::read_back(ctx, |_| async {
                match rds::find(&client, &primary.identifier).await? {
                    Some(p) if ownership::is_creating(&p.tags) => {
                        rds::finish(&client, &p.arn, &p.tags).await?;
                        Ok(Some(p))
                    }
                    _ => Ok(None),
                }
            })
            .await;
            return match found {
                Ok(Some(p)) => {
                    d.detail.push_str(" The instance exists and is recorded in state. Terraform marks a resource whose create failed as tainted: run `terraform untaint <address>` and apply again to finish creating it without replacing it.");
                    done(
                        observe(planned, &p, &BTreeMap::new()),
                        Diagnostics::from_error(d),
                    )
                }
                _ => done(prior, Diagnostics::from_error(d)),
            };
        }
    };

    // 2. Replicas: each failure is reported, and the state still records what exists.
    let source_arn = primary_seen.arn.clone();
    for region in &plan.effective.read_replica_regions {
        let mut want = desired_replica(plan, config, region);
        want.tags = owner.tags(&want.tags);
        let rclient = ctx.aws.rds(region).await;
        let source = if *region == plan.region {
            primary.identifier.clone()
        } else {
            source_arn.clone()
        };
        let r = cancellable(&ctx.cancel, async {
            match rds::find(&rclient, &want.identifier).await? {
                Some(current) => {
                    rds::adopt_check(&current, owner)?;
                    rds::modify(&rclient, &current, &want, None).await?
                }
                None => {
                    rds::create_replica(&rclient, &source, &want, owner).await?;
                }
            }
            rds::wait_available(&rclient, &want.identifier, &ctx.cancel, WaitPolicy::RDS).await
        })
        .await;
        if let Err(e) = r {
            let mut d = crate::resources::backend_diagnostic(
                "Database Name Already Taken",
                &format!("Create The Read Replica In {region}"),
                taken(e),
            );
            d.detail.push_str(if creating {
                " The primary exists and is recorded in state. Terraform marks a resource whose create failed as tainted: run `terraform untaint <address>` and apply again to finish creating the replica without replacing the database."
            } else {
                " The primary is recorded in state; the next apply creates the missing replica."
            });
            diags.push(d.at(AttributePath::attr("read_replicas")));
        }
    }
    // 3. Replicas that left the configuration go, without snapshots.
    if let Some(prior_plan) = input(&prior, &ctx.config.default_tags)
        .ok()
        .and_then(|i| db_planner::plan(&i).ok())
    {
        for region in prior_plan
            .effective
            .read_replica_regions
            .iter()
            .filter(|r| !plan.effective.read_replica_regions.contains(r))
        {
            let rclient = ctx.aws.rds(region).await;
            let id = replica_identifier(&prior_plan, region);
            if let Err(e) = cancellable(&ctx.cancel, rds::delete(&rclient, &id, None)).await {
                diags.push(crate::resources::backend_diagnostic(
                    "Database Name Already Taken",
                    &format!("Delete The Read Replica In {region}"),
                    e,
                ));
            }
        }
    }

    // 4. The state is what exists now, read back the way Read does.
    let replicas = match read_all(ctx, plan).await {
        Ok((_, r)) => r,
        Err(e) => {
            diags.push(crate::resources::backend_diagnostic(
                "Database Name Already Taken",
                "Read The Database",
                e,
            ));
            BTreeMap::new()
        }
    };
    // 5. What the state records is finished: no other state may adopt it.
    {
        let finished = crate::resources::read_back(ctx, |_| async {
            rds::finish(&client, &primary_seen.arn, &primary_seen.tags).await?;
            if let Some(g) = &group_seen {
                rds::finish(&client, &g.arn, &g.tags).await?;
            }
            for (region, r) in &replicas {
                if let Some(r) = r {
                    let rclient = ctx.aws.rds(region).await;
                    rds::finish(&rclient, &r.arn, &r.tags).await?;
                }
            }
            Ok(())
        })
        .await;
        if let Err(e) = finished {
            diags.push(crate::resources::backend_diagnostic(
                "Database Name Already Taken",
                "Finish The Database",
                e,
            ));
        }
    }
    let mut state = observe(planned, &primary_seen, &replicas);
    let unique = primary_seen
        .created
        .clone()
        .unwrap_or_else(|| "snapshot".into());
    let snapshot = if prior.is_null() || get(&prior, "final_snapshot_identifier").is_null() {
        s(db_planner::final_snapshot_identifier(
            &plan.identifier,
            &unique,
        ))
    } else {
        get(&prior, "final_snapshot_identifier").clone()
    };
    state = with(state, [("final_snapshot_identifier", snapshot)]);
    done(state, diags)
}

/// Destroy: replicas first without snapshots, then the primary with its final snapshot
/// unless the policy says otherwise, then the parameter group.
pub(super) async fn delete(prior: &Value, ctx: &CallContext) -> Result<(), Diagnostic> {
    let plan = input(prior, &ctx.config.default_tags)
        .ok()
        .and_then(|i| db_planner::plan(&i).ok())
        .ok_or_else(|| Diagnostic::error("Unreadable State", "The stored state of this database cannot be planned; fix the state or remove it with `terraform state rm`."))?;
    let allow = get(prior, "allow_replacement").as_bool().unwrap_or(false);
    // Terraform versions without destroy plans reach this point unchecked.
    if let Some(v) = db_planner::guard_destroy(&plan, allow) {
        return Err(v.into());
    }
    let client = ctx.aws.rds(&plan.region).await;
    let current = cancellable(&ctx.cancel, rds::find(&client, &plan.identifier))
        .await
        .map_err(|e| {
            crate::resources::backend_diagnostic(
                "Database Name Already Taken",
                "Read The Database",
                e,
            )
        })?;
    if current.as_ref().is_some_and(|c| c.deletion_protection) {
        return Err(Diagnostic::error(
            "Database Is Protected From Deletion",
            format!(
                "RDS deletion protection is on for `{}`. To delete it, set `deletion_protection = false` (and `allow_replacement = true` in production), run `terraform apply`, then destroy again.",
                plan.identifier
            ),
        ));
    }
    for region in &plan.effective.read_replica_regions {
        let rclient = ctx.aws.rds(region).await;
        let id = replica_identifier(&plan, region);
        cancellable(&ctx.cancel, async {
            rds::delete(&rclient, &id, None).await?;
            rds::wait_gone(&rclient, &id, &ctx.cancel, WaitPolicy::RDS).await
        })
        .await
        .map_err(|e| {
            crate::resources::backend_diagnostic(
                "Database Name Already Taken",
                &format!("Delete The Read Replica In {region}"),
                e,
            )
        })?;
    }
    let snapshot = plan
        .effective
        .final_snapshot
        .then(|| {
            get(prior, "final_snapshot_identifier")
                .as_str()
                .map(str::to_string)
        })
        .flatten();
    cancellable(&ctx.cancel, async {
        rds::delete(&client, &plan.identifier, snapshot.as_deref()).await?;
        rds::wait_gone(&client, &plan.identifier, &ctx.cancel, WaitPolicy::RDS).await?;
        if let Some(group) = plan
            .effective
            .parameter_group
            .as_ref()
            .filter(|g| !g.starts_with("default."))
        {
            rds::delete_parameter_group(&client, group).await?;
        }
        Ok(())
    })
    .await
    .map_err(|e| {
        crate::resources::backend_diagnostic(
            "Database Name Already Taken",
            "Delete The Database",
            e,
        )
    })
}

/// Writes what RDS reports into the state: endpoints, and the observed settings of each
/// child in `expansion`, so out-of-band changes show in the next plan as that child's change.
pub(super) fn observe(
    state: Value,
    primary: &ObservedInstance,
    replicas: &BTreeMap<String, Option<ObservedInstance>>,
) -> Value {
    let mut endpoints = BTreeMap::new();
    let expansion = match get(&state, "expansion") {
        Value::List(children) => Value::List(
            children
                .iter()
                .filter_map(|child| {
                    let key = get(child, "key").as_str().unwrap_or_default();
                    let seen = if key == db_planner::RDS_INSTANCE_KEY {
                        Some(primary)
                    } else if let Some(region) = key.strip_prefix("rds_replica_") {
                        match replicas.get(region) {
                            // A replica gone out of band disappears from the expansion, so
                            // the next plan shows it being added back.
                            Some(None) => return None,
                            Some(Some(r)) => {
                                if let Some(e) = &r.endpoint {
                                    endpoints.insert(region.to_string(), e.clone());
                                }
                                Some(r)
                            }
                            None => None,
                        }
                    } else {
                        None
                    };
                    Some(match seen {
                        Some(o) => observe_child(child, o, key != db_planner::RDS_INSTANCE_KEY),
                        None => child.clone(),
                    })
                })
                .collect(),
        ),
        other => other.clone(),
    };
    let tags_all = attrs::observed_tags_all(
        get(&state, "tags_all"),
        std::iter::once(primary)
            .chain(replicas.values().flatten())
            .map(shown_tags),
    );
    with(
        state,
        [
            (
                "endpoint",
                primary.endpoint.clone().map(s).unwrap_or(Value::Null),
            ),
            (
                "port",
                primary.port.map(|p| int(p.into())).unwrap_or(Value::Null),
            ),
            (
                "master_user_secret_arn",
                primary
                    .master_user_secret_arn
                    .clone()
                    .map(s)
                    .unwrap_or(Value::Null),
            ),
            ("replica_endpoints", map_of(&endpoints)),
            ("expansion", expansion),
            ("tags_all", tags_all),
        ],
    )
}

/// Overwrites a child's settings with what RDS reports. A replica's Multi-AZ and backup
/// retention are not managed here (a replica is created single-AZ without automated
/// backups), so they are not read back for replicas.
pub(super) fn observe_child(child: &Value, o: &ObservedInstance, replica: bool) -> Value {
    let mut settings = attrs::string_map(get(child, "settings"));
    let planned_version = settings.get("engine_version").cloned().unwrap_or_default();
    let mut set = |k: &str, v: String| {
        if settings.contains_key(k) {
            settings.insert(k.to_string(), v);
        }
    };
    set("instance_class", o.instance_class.clone());
    set("storage_gb", o.allocated_storage.to_string());
    set("storage_type", o.storage_type.clone());
    set("storage_encrypted", o.storage_encrypted.to_string());
    if !replica {
        set("multi_az", o.multi_az.to_string());
        set("backup_retention_days", o.backup_retention.to_string());
    }
    set("deletion_protection", o.deletion_protection.to_string());
    // `16` asks for the current 16.x: RDS's minor upgrades are not drift.
    if !(o.engine_version == planned_version
        || o.engine_version.starts_with(&format!("{planned_version}.")))
    {
        set("engine_version", o.engine_version.clone());
    }
    with(child.clone(), [("settings", map_of(&settings))])
}

/// An instance's tags as `tags_all` shows them: without the import record and the
/// creating marker, which are the provider's own bookkeeping.
fn shown_tags(o: &ObservedInstance) -> BTreeMap<String, String> {
    o.tags
        .iter()
        .filter(|(k, _)| *k != TAG_SPEC && *k != ownership::TAG_LIFECYCLE)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Reads the primary and every replica of a state.
pub(super) async fn read_all(
    ctx: &CallContext,
    plan: &DatabasePlan,
) -> Result<
    (
        Option<ObservedInstance>,
        BTreeMap<String, Option<ObservedInstance>>,
    ),
    BackendError,
> {
    // Batched with the look-ups of the databases read at the same time (one
    // DescribeDBInstances per region for all of them).
    let look = ctx.aws.lookups(&plan.region).await;
    let primary = cancellable(&ctx.cancel, look.db_instance(&plan.identifier)).await?;
    let mut replicas = BTreeMap::new();
    for region in &plan.effective.read_replica_regions {
        let look = ctx.aws.lookups(region).await;
        let found = cancellable(
            &ctx.cancel,
            look.db_instance(&replica_identifier(plan, region)),
        )
        .await?;
        // An instance under the replica's name that is not ours is not our replica.
        let ours = found.filter(|r| {
            r.tags.get(naming::TAG_ENVIRONMENT).map(String::as_str)
                == Some(plan.environment.as_str())
        });
        replicas.insert(region.clone(), ours);
    }
    Ok((primary, replicas))
}
