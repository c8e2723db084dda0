//! Conversions between the wire types of `tfplugin6` and the provider's native ones:
//! diagnostics, attribute paths, schemas and dynamic values.

use crate::diagnostics::{Diagnostic, Diagnostics, Severity};
use crate::protocol::proto::tfplugin6 as tf;
use crate::schema::{Attribute, AttributeType, Mode, Nesting, Schema};
use crate::value::{self, AttributePath, PathStep, Type, Value};

/// Native diagnostics to wire diagnostics.
pub fn diagnostics(diags: Diagnostics) -> Vec<tf::Diagnostic> {
    diags.into_iter().map(diagnostic).collect()
}

/// One native diagnostic to the wire.
pub fn diagnostic(d: Diagnostic) -> tf::Diagnostic {
    tf::Diagnostic {
        severity: match d.severity {
            Severity::Error => tf::diagnostic::Severity::Error as i32,
            Severity::Warning => tf::diagnostic::Severity::Warning as i32,
        },
        summary: d.summary,
        detail: d.detail,
        attribute: d.path.as_ref().map(path),
    }
}

/// A native path to the wire.
pub fn path(p: &AttributePath) -> tf::AttributePath {
    use tf::attribute_path::step::Selector;
    tf::AttributePath {
        steps: p
            .steps
            .iter()
            .map(|s| tf::attribute_path::Step {
                selector: Some(match s {
                    PathStep::Attr(n) => Selector::AttributeName(n.clone()),
                    PathStep::Key(k) => Selector::ElementKeyString(k.clone()),
                    PathStep::Index(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect(),
    }
}

/// A native schema to the wire.
pub fn schema(s: &Schema) -> tf::Schema {
    tf::Schema {
        version: s.version,
        block: Some(block(&s.block, s.version)),
    }
}

fn block(b: &crate::schema::Block, version: i64) -> tf::schema::Block {
    tf::schema::Block {
        version,
        attributes: b.attributes.iter().map(attribute).collect(),
        block_types: b
            .blocks
            .iter()
            .map(|nested| tf::schema::NestedBlock {
                type_name: nested.name.clone(),
                block: Some(block(&nested.block, version)),
                nesting: if nested.repeated {
                    tf::schema::nested_block::NestingMode::List as i32
                } else {
                    tf::schema::nested_block::NestingMode::Single as i32
                },
                min_items: 0,
                max_items: 0,
            })
            .collect(),
        description: b.description.clone(),
        description_kind: tf::StringKind::Markdown as i32,
        deprecated: false,
        ..Default::default()
    }
}

fn attribute(a: &Attribute) -> tf::schema::Attribute {
    let (ty, nested_type) = match &a.ty {
        AttributeType::Plain(t) => (t.to_json_bytes(), None),
        AttributeType::Nested(nesting, attrs) => (
            Vec::new(),
            Some(tf::schema::Object {
                attributes: attrs.iter().map(attribute).collect(),
                nesting: match nesting {
                    Nesting::Single => tf::schema::object::NestingMode::Single,
                    Nesting::List => tf::schema::object::NestingMode::List,
                    Nesting::Set => tf::schema::object::NestingMode::Set,
                    Nesting::Map => tf::schema::object::NestingMode::Map,
                } as i32,
                ..Default::default()
            }),
        ),
    };
    tf::schema::Attribute {
        name: a.name.clone(),
        r#type: ty,
        nested_type,
        description: a.description.clone(),
        required: a.mode == Mode::Required,
        optional: matches!(a.mode, Mode::Optional | Mode::OptionalComputed),
        computed: matches!(a.mode, Mode::Computed | Mode::OptionalComputed),
        sensitive: a.sensitive,
        description_kind: tf::StringKind::Markdown as i32,
        deprecated: false,
        write_only: a.write_only,
        ..Default::default()
    }
}

/// Decodes a DynamicValue of a known type; an absent value is null. Never panics.
pub fn decode(v: Option<&tf::DynamicValue>, ty: &Type, what: &str) -> Result<Value, Diagnostic> {
    let Some(v) = v else {
        return Ok(Value::Null);
    };
    let result = if !v.msgpack.is_empty() {
        value::msgpack::decode(&v.msgpack, ty).map_err(|e| e.to_string())
    } else if !v.json.is_empty() {
        value::json::decode(&v.json, ty).map_err(|e| e.to_string())
    } else {
        Ok(Value::Null)
    };
    result.map_err(|e| {
        Diagnostic::error(
            "Invalid Value From Terraform",
            format!("The provider could not decode the {what} Terraform sent: {e}. This is a bug in the provider or in Terraform; please report it with the Terraform version."),
        )
    })
}

/// Encodes a value as msgpack for Terraform.
pub fn encode(v: &Value, ty: &Type) -> Result<tf::DynamicValue, Diagnostic> {
    value::msgpack::encode(v, ty)
        .map(|msgpack| tf::DynamicValue {
            msgpack,
            json: Vec::new(),
        })
        .map_err(|e| {
            Diagnostic::error(
                "Provider Produced An Invalid Value",
                format!("The provider could not encode its answer: {e}. This is a bug in the provider; please report it."),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_keep_every_step() {
        let p = AttributePath::attr("network")
            .then_attr("subnet_ids")
            .then_index(1);
        let wire = path(&p);
        assert_eq!(wire.steps.len(), 3);
        assert_eq!(
            wire.steps[2].selector,
            Some(tf::attribute_path::step::Selector::ElementKeyInt(1))
        );
    }

    #[test]
    fn malformed_dynamic_value_is_a_diagnostic() {
        let ty = Type::Object(Default::default());
        for bytes in [
            vec![0xc1],
            vec![0x92, 0x01],
            vec![0xdf, 0xff, 0xff, 0xff, 0xff],
        ] {
            let dv = tf::DynamicValue {
                msgpack: bytes,
                json: vec![],
            };
            let err = decode(Some(&dv), &ty, "configuration").unwrap_err();
            assert_eq!(err.summary, "Invalid Value From Terraform");
        }
    }

    #[test]
    fn absent_value_is_null() {
        assert_eq!(decode(None, &Type::String, "state").unwrap(), Value::Null);
    }
}
