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
    /// Reads the planner input from a wholly known configuration or state.
    fn decode(&self, config: &Value, ctx: &CallContext) -> Result<Self::Input, Diagnostics>;
    /// The planner's checks of an input.
    fn validate(&self, input: &Self::Input) -> Vec<Violation>;
    /// The planner's expansion of an input.
    fn plan(&self, input: &Self::Input) -> Result<Self::Plan, Vec<Violation>>;
    /// The attributes whose change from `prior` to `config` replaces the resource.
    fn requires_replace(&self, prior: &Value, config: &Value) -> Vec<AttributePath>;
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
    /// The state a plan leads to; `kept` is the prior state when updated in place.
    fn planned_state(
        &self,
        config: &Value,
        input: &Self::Input,
        plan: &Self::Plan,
        kept: Option<&Value>,
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
}

/// Planner violations as error diagnostics.
pub(crate) fn violations(v: Vec<Violation>) -> Diagnostics {
    v.into_iter().map(Into::into).collect()
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

    fn validate(&self, config: &Value, ctx: &CallContext) -> Diagnostics {
        if !config.is_wholly_known() {
            // Checked again at plan time, once every input is known.
            return Diagnostics::new();
        }
        match self.decode(config, ctx) {
            Err(d) => d,
            Ok(i) => violations(Composite::validate(self, &i)),
        }
    }

    fn plan(&self, req: PlanRequest, ctx: &CallContext) -> PlanOutcome {
        let mut out = PlanOutcome {
            planned_state: req.proposed_new_state.clone(),
            requires_replace: vec![],
            planned_private: req.prior_private.clone(),
            diagnostics: Diagnostics::new(),
        };
        if req.proposed_new_state.is_null() {
            return out; // destroy
        }
        let (prior, config) = (&req.prior_state, &req.config);
        if !prior.is_null() {
            out.requires_replace = self.requires_replace(prior, config);
        }
        let kept = (!prior.is_null() && out.requires_replace.is_empty()).then_some(prior);
        if !config.is_wholly_known() {
            let state = unknown_computed(Composite::schema(self), req.proposed_new_state, config);
            out.planned_state = with(state, self.known_while_unknown(config, kept));
            return out;
        }
        let input = match self.decode(config, ctx) {
            Ok(i) => i,
            Err(d) => {
                out.diagnostics = d;
                return out;
            }
        };
        match Composite::plan(self, &input) {
            Ok(plan) => out.planned_state = self.planned_state(config, &input, &plan, kept),
            Err(v) => out.diagnostics = violations(v),
        }
        out
    }

    async fn apply(&self, req: ApplyRequest, ctx: &CallContext) -> ApplyOutcome {
        let (new_state, diagnostics) = if req.planned_state.is_null() {
            self.delete(req.prior_state, ctx).await
        } else {
            // Re-planned from the configuration, which alone holds write-only values.
            let planned = self.decode(&req.config, ctx).and_then(|i| {
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
