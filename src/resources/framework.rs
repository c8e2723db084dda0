//! The layer between the [`Resource`] trait and the resources (plugin-framework's
//! `fwserver`). A resource implements [`Composite`]: its schema, how a configuration decodes
//! into the planner's input, the planner's validation and plan, which changes replace, the
//! planned state, and the cloud side (reconcile, delete, observe, import). The layer does
//! the steps every resource shared: validation only once inputs are known, violations as
//! diagnostics, computed attributes marked unknown from the schema while the configuration
//! holds unknowns, write-only attributes kept out of the plan, re-planning at apply from the
//! configuration, and the private data and state carried through each answer.

use super::attrs::{get, with};
use super::docs::ResourceDocs;
use super::{ApplyOutcome, ApplyRequest, PlanOutcome, PlanRequest, ReadOutcome, Resource};
use crate::context::CallContext;
use crate::diagnostics::Diagnostics;
use crate::planner::Violation;
use crate::schema::{Mode, Schema};
use crate::value::{AttributePath, Value};

/// The prior state of a resource updated in place, and its plan when it still plans.
pub struct Kept<'a, P> {
    /// The prior state.
    pub state: &'a Value,
    /// What the prior state plans to; `None` when this version cannot plan it.
    pub plan: Option<&'a P>,
}

/// What a change from the prior plan to the next one means: the attributes that replace
/// the resource, and refusals or warnings (a production guard, a shrinking disk).
#[derive(Default)]
pub struct Diff {
    /// Attributes whose change replaces the resource.
    pub replace: Vec<AttributePath>,
    /// What the change is refused for, or warned about.
    pub diagnostics: Diagnostics,
}

/// A composite resource: its typed input and plan, and its cloud side. The layer implements
/// [`Resource`] for it.
#[async_trait::async_trait]
pub trait Composite: Send + Sync {
    /// The planner's input, decoded from a configuration (or a state, which holds the same).
    type Input: Send + Sync;
    /// The planner's answer.
    type Plan: Send + Sync;
    /// The type name users write, e.g. `platform_environment`.
    const TYPE_NAME: &'static str;

    /// The schema Terraform sees; computed attributes are read from it.
    fn schema(&self) -> &Schema;
    /// What the documentation page says beyond the schema.
    fn docs(&self) -> ResourceDocs {
        ResourceDocs::default()
    }
    /// Brings a stored state written at an older schema version to the current one (see
    /// `resources::upgrade`); the default keeps it as is.
    fn upgrade(
        &self,
        _from_version: i64,
        state: serde_json::Value,
    ) -> Result<serde_json::Value, Diagnostics> {
        Ok(state)
    }
    /// Checks of the configuration as written, run at validate and plan even while it
    /// holds unknowns: what only the configuration holds, such as write-only values.
    fn check_config(&self, _config: &Value, _ctx: &CallContext) -> Diagnostics {
        Diagnostics::new()
    }
    /// Whether a configuration can be planned; by default once it is wholly known. A
    /// resource whose planner takes unknown values (see `ServiceInput::unknown`) says so.
    fn plannable(&self, config: &Value) -> bool {
        config.is_wholly_known()
    }
    /// Reads the planner input from a plannable configuration or a state.
    fn decode(&self, config: &Value, ctx: &CallContext) -> Result<Self::Input, Diagnostics>;
    /// Reads the planner input for a plan: the configuration, and what the prior state
    /// (null on create) says the planner keeps (e.g. an image deployed outside Terraform).
    /// Default: the configuration alone.
    fn decode_for_plan(
        &self,
        config: &Value,
        _prior: &Value,
        ctx: &CallContext,
    ) -> Result<Self::Input, Diagnostics> {
        self.decode(config, ctx)
    }
    /// The planner's checks of an input.
    fn validate(&self, input: &Self::Input) -> Vec<Violation>;
    /// The planner's expansion of an input.
    fn plan(&self, input: &Self::Input) -> Result<Self::Plan, Vec<Violation>>;
    /// Warnings about a plan (a missing price, a setting AWS will need).
    fn notes(&self, _config: &Value, _plan: &Self::Plan) -> Diagnostics {
        Diagnostics::new()
    }
    /// The attributes whose change from `prior` to `config` replaces the resource, decided
    /// from the configuration alone (so also while it holds unknowns).
    fn requires_replace(&self, _prior: &Value, _config: &Value) -> Vec<AttributePath> {
        vec![]
    }
    /// What the planner's change from the prior plan to the next means.
    fn diff(
        &self,
        _prior: &Value,
        _prior_plan: &Self::Plan,
        _input: &Self::Input,
        _plan: &Self::Plan,
    ) -> Diff {
        Diff::default()
    }
    /// Refusals of a destroy, read from the prior state and its plan.
    fn guard_destroy(&self, _prior: &Value, _prior_plan: &Self::Plan) -> Diagnostics {
        Diagnostics::new()
    }
    /// The computed values known while the configuration still holds unknowns (the layer
    /// marks every other computed attribute unknown). `kept` is the prior state when the
    /// resource is updated in place.
    fn known_while_unknown(
        &self,
        _config: &Value,
        _kept: Option<&Value>,
    ) -> Vec<(&'static str, Value)> {
        vec![]
    }
    /// The state a plan leads to; `kept` is the prior state (and plan) when updated in place.
    fn planned_state(
        &self,
        config: &Value,
        input: &Self::Input,
        plan: &Self::Plan,
        kept: Option<Kept<'_, Self::Plan>>,
    ) -> Value;
    /// Makes the cloud match `plan`; returns the new state (the prior one, or what exists,
    /// when it fails) and diagnostics. `prior` is null when creating.
    async fn reconcile(
        &self,
        prior: Value,
        config: &Value,
        input: &Self::Input,
        plan: &Self::Plan,
        ctx: &CallContext,
    ) -> (Value, Diagnostics);
    /// Deletes what `prior` records; the new state is null on success.
    async fn delete(&self, prior: Value, ctx: &CallContext) -> (Value, Diagnostics);
    /// Reads the cloud into `state`; null when the resource is gone.
    async fn observe(&self, state: Value, ctx: &CallContext) -> (Value, Diagnostics);
    /// Builds a state from an import ID.
    async fn import(&self, id: &str, ctx: &CallContext) -> (Option<Value>, Diagnostics);

    /// The input and plan a configuration or state leads to; `None` when it does not plan
    /// (a state written by another version is then kept as it is).
    fn replan(&self, v: &Value, ctx: &CallContext) -> Option<(Self::Input, Self::Plan)> {
        let input = self.decode(v, ctx).ok()?;
        let plan = self.plan(&input).ok()?;
        Some((input, plan))
    }
}

/// Planner violations as error diagnostics.
pub(crate) fn violations(v: Vec<Violation>) -> Diagnostics {
    v.into_iter().map(Into::into).collect()
}

/// Planner violations as warning diagnostics (things that work but deserve a look), at
/// their attribute unless they concern the whole resource.
pub(crate) fn warnings(v: &[Violation]) -> Diagnostics {
    v.iter()
        .map(|w| {
            let d = crate::diagnostics::Diagnostic::warning(w.summary.clone(), w.detail.clone());
            if w.path.is_root() {
                d
            } else {
                d.at(w.path.clone())
            }
        })
        .collect()
}

/// The attributes among `names` whose value changes from `prior` to `config`, or is
/// unknown in `config`.
pub(crate) fn changed(prior: &Value, config: &Value, names: &[&str]) -> Vec<AttributePath> {
    names
        .iter()
        .filter(|a| {
            let (old, new) = (get(prior, a), get(config, a));
            new.is_unknown() || old != new
        })
        .map(|a| AttributePath::attr(a))
        .collect()
}

/// The planned state while the configuration holds unknowns, read off the schema: every
/// computed attribute unknown (an optional+computed one only when the configuration leaves
/// it null), every write-only attribute null.
pub(crate) fn unknown_computed(schema: &Schema, proposed: Value, config: &Value) -> Value {
    let updates: Vec<(&str, Value)> = schema
        .block
        .attributes
        .iter()
        .filter_map(|a| match a.mode {
            _ if a.write_only => Some((a.name.as_str(), Value::Null)),
            Mode::Computed => Some((a.name.as_str(), Value::Unknown)),
            Mode::OptionalComputed if get(config, &a.name).is_null() => {
                Some((a.name.as_str(), Value::Unknown))
            }
            _ => None,
        })
        .collect();
    let mut state = proposed;
    if let Value::Object(m) = &mut state {
        for (k, v) in updates {
            m.insert(k.to_string(), v);
        }
    }
    state
}

#[async_trait::async_trait]
impl<C: Composite> Resource for C {
    fn type_name(&self) -> &'static str {
        C::TYPE_NAME
    }

    fn schema(&self) -> &Schema {
        Composite::schema(self)
    }

    fn docs(&self) -> ResourceDocs {
        Composite::docs(self)
    }

    fn upgrade(
        &self,
        from_version: i64,
        state: serde_json::Value,
    ) -> Result<serde_json::Value, Diagnostics> {
        Composite::upgrade(self, from_version, state)
    }

    fn validate(&self, config: &Value, ctx: &CallContext) -> Diagnostics {
        let mut diags = self.check_config(config, ctx);
        if !config.is_wholly_known() {
            // Checked again at plan time, once every input is known.
            return diags;
        }
        match self.decode(config, ctx) {
            Err(d) => diags.extend(d),
            Ok(i) => diags.extend(violations(Composite::validate(self, &i))),
        }
        diags
    }

    fn plan(&self, req: PlanRequest, ctx: &CallContext) -> PlanOutcome {
        let PlanRequest {
            prior_state,
            proposed_new_state,
            config,
            prior_private,
        } = req;
        // The proposed state is what an early return plans; a planned state replaces it,
        // so it is moved rather than copied (it holds the whole environment context).
        let mut out = PlanOutcome {
            planned_state: proposed_new_state,
            requires_replace: vec![],
            planned_private: prior_private,
            diagnostics: Diagnostics::new(),
        };
        let (prior, config) = (&prior_state, &config);
        let prior_plan = || {
            (!prior.is_null())
                .then(|| self.replan(prior, ctx))
                .flatten()
        };
        if out.planned_state.is_null() {
            // Destroy: refused when the prior state says so (a production guard).
            if let Some((_, p)) = prior_plan() {
                out.diagnostics = self.guard_destroy(prior, &p);
            }
            return out;
        }
        out.diagnostics = self.check_config(config, ctx);
        if out.diagnostics.has_errors() {
            return out;
        }
        if !prior.is_null() {
            out.requires_replace = self.requires_replace(prior, config);
        }
        let planned = self
            .plannable(config)
            .then(|| {
                let input = self.decode_for_plan(config, prior, ctx)?;
                let plan = Composite::plan(self, &input).map_err(violations)?;
                Ok((input, plan))
            })
            // A plan that fails while values are unknown may fail for want of them.
            .filter(|p: &Result<_, Diagnostics>| p.is_ok() || config.is_wholly_known());
        let (input, plan) = match planned {
            None => {
                let kept = (!prior.is_null() && out.requires_replace.is_empty()).then_some(prior);
                let proposed = std::mem::replace(&mut out.planned_state, Value::Null);
                let state = unknown_computed(Composite::schema(self), proposed, config);
                out.planned_state = with(state, self.known_while_unknown(config, kept));
                return out;
            }
            Some(Err(d)) => {
                out.diagnostics.extend(d);
                return out;
            }
            Some(Ok(p)) => p,
        };
        out.diagnostics.extend(self.notes(config, &plan));
        let prior_plan = prior_plan().map(|(_, p)| p);
        if let Some(p) = &prior_plan {
            let diff = self.diff(prior, p, &input, &plan);
            for path in diff.replace {
                if !out.requires_replace.contains(&path) {
                    out.requires_replace.push(path);
                }
            }
            out.diagnostics.extend(diff.diagnostics);
        }
        let kept = (!prior.is_null() && out.requires_replace.is_empty()).then_some(Kept {
            state: prior,
            plan: prior_plan.as_ref(),
        });
        out.planned_state = self.planned_state(config, &input, &plan, kept);
        out
    }

    async fn apply(&self, req: ApplyRequest, ctx: &CallContext) -> ApplyOutcome {
        let (new_state, diagnostics) = if req.planned_state.is_null() {
            self.delete(req.prior_state, ctx).await
        } else {
            // Re-planned from the configuration, which alone holds write-only values, and
            // the prior state, as the plan was.
            let planned = self
                .decode_for_plan(&req.config, &req.prior_state, ctx)
                .and_then(|i| {
                    let p = Composite::plan(self, &i).map_err(violations)?;
                    Ok((i, p))
                });
            match planned {
                Err(d) => (req.prior_state, d),
                Ok((i, p)) => {
                    self.reconcile(req.prior_state, &req.config, &i, &p, ctx)
                        .await
                }
            }
        };
        // Nothing is saved with a deleted resource.
        let private = if new_state.is_null() && req.planned_state.is_null() {
            vec![]
        } else {
            req.planned_private
        };
        ApplyOutcome {
            new_state,
            private,
            diagnostics,
        }
    }

    async fn read(&self, state: Value, private: Vec<u8>, ctx: &CallContext) -> ReadOutcome {
        let (new_state, diagnostics) = self.observe(state, ctx).await;
        ReadOutcome {
            new_state,
            private,
            diagnostics,
        }
    }

    async fn import(&self, id: &str, ctx: &CallContext) -> (Option<Value>, Diagnostics) {
        Composite::import(self, id, ctx).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Attribute, Block};
    use crate::value::Type;

    #[test]
    fn unknown_computed_reads_the_schema() {
        let schema = Schema {
            version: 0,
            block: Block {
                description: "test".into(),
                blocks: vec![],
                attributes: vec![
                    Attribute::new("name", Type::String, Mode::Required, "the name"),
                    Attribute::new("size", Type::String, Mode::OptionalComputed, "a size"),
                    Attribute::new("zone", Type::String, Mode::OptionalComputed, "a zone"),
                    Attribute::new("password", Type::String, Mode::Optional, "a secret")
                        .write_only(),
                    Attribute::new("id", Type::String, Mode::Computed, "the id"),
                ],
            },
        };
        let config = Value::object([
            ("name", Value::Unknown),
            ("size", Value::Null),
            ("zone", Value::string("a")),
            ("password", Value::string("hunter2")),
            ("id", Value::Null),
        ]);
        let got = unknown_computed(&schema, config.clone(), &config);
        let want = Value::object([
            ("name", Value::Unknown),
            ("size", Value::Unknown),
            ("zone", Value::string("a")),
            ("password", Value::Null),
            ("id", Value::Unknown),
        ]);
        assert_eq!(got, want);
    }

    #[test]
    fn changed_names_attributes_that_differ_or_are_unknown() {
        let prior = Value::object([("name", Value::string("a")), ("region", Value::string("r"))]);
        let same = changed(&prior, &prior, &["name", "region"]);
        assert!(same.is_empty());
        let config = Value::object([("name", Value::string("b")), ("region", Value::Unknown)]);
        assert_eq!(
            changed(&prior, &config, &["name", "region"]),
            [AttributePath::attr("name"), AttributePath::attr("region")]
        );
    }
}
