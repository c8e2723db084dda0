//! Schema builders: what each resource accepts and exports, with a markdown description on
//! every attribute (the descriptions become the registry docs). The protocol layer turns a
//! [`Schema`] into the wire form; the value layer gets its [`Type`] from [`Block::value_type`].

use crate::value::Type;
use crate::value::ty::ObjectType;
use std::collections::{BTreeMap, BTreeSet};

/// A resource's or the provider's schema.
#[derive(Debug, Clone)]
pub struct Schema {
    /// State schema version, bumped when the state's shape changes.
    pub version: i64,
    /// The top-level block.
    pub block: Block,
}

/// A block: a set of attributes (and nested blocks) with a description.
#[derive(Debug, Clone, Default)]
pub struct Block {
    /// Markdown description of the whole block.
    pub description: String,
    /// The attributes, in display order.
    pub attributes: Vec<Attribute>,
    /// Nested blocks, written `name { ... }` in HCL (used for provider settings, like the
    /// AWS provider's `endpoints { }`).
    pub blocks: Vec<NestedBlock>,
}

/// A nested block of a block: single (`deployment { … }`, an object, null when absent) or
/// repeated (`lifecycle_rule { … }` written any number of times, a list of objects).
#[derive(Debug, Clone)]
pub struct NestedBlock {
    /// Block type name as written in HCL.
    pub name: String,
    /// Whether the block may be written several times (a list of objects).
    pub repeated: bool,
    /// The block's own schema.
    pub block: Block,
}

/// How an attribute is typed: a plain cty type, or nested attributes.
#[derive(Debug, Clone)]
pub enum AttributeType {
    /// A plain value of one cty type.
    Plain(Type),
    /// Nested attributes with their own flags and descriptions.
    Nested(Nesting, Vec<Attribute>),
}

/// How nested attributes repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// One object.
    Single,
    /// A list of objects.
    List,
    /// A set of objects.
    Set,
    /// A map of objects.
    Map,
}

/// Who sets an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The user must set it.
    Required,
    /// The user may set it; nothing fills it otherwise.
    Optional,
    /// The user may set it; the provider fills it otherwise.
    OptionalComputed,
    /// Only the provider sets it.
    Computed,
}

/// One attribute of a block.
#[derive(Debug, Clone)]
pub struct Attribute {
    /// Name as written in HCL.
    pub name: String,
    /// Type.
    pub ty: AttributeType,
    /// Markdown description (required: it becomes the docs).
    pub description: String,
    /// Who sets it.
    pub mode: Mode,
    /// Hidden in plan output.
    pub sensitive: bool,
    /// Never stored in plan or state (Terraform ≥ 1.11).
    pub write_only: bool,
}

impl Attribute {
    /// An attribute of a plain type.
    pub fn new(name: &str, ty: Type, mode: Mode, description: &str) -> Self {
        Self {
            name: name.to_string(),
            ty: AttributeType::Plain(ty),
            description: description.to_string(),
            mode,
            sensitive: false,
            write_only: false,
        }
    }

    /// An attribute holding nested attributes.
    pub fn nested(
        name: &str,
        nesting: Nesting,
        attributes: Vec<Attribute>,
        mode: Mode,
        description: &str,
    ) -> Self {
        Self {
            ty: AttributeType::Nested(nesting, attributes),
            ..Self::new(name, Type::Dynamic, mode, description)
        }
    }

    /// Marks the attribute sensitive.
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Marks the attribute write-only.
    pub fn write_only(mut self) -> Self {
        self.write_only = true;
        self
    }

    /// The cty type of this attribute's value.
    pub fn value_type(&self) -> Type {
        match &self.ty {
            AttributeType::Plain(t) => t.clone(),
            AttributeType::Nested(nesting, attrs) => {
                let object = object_type(attrs);
                match nesting {
                    Nesting::Single => object,
                    Nesting::List => Type::List(Box::new(object)),
                    Nesting::Set => Type::Set(Box::new(object)),
                    Nesting::Map => Type::Map(Box::new(object)),
                }
            }
        }
    }

    /// True when the user may set it.
    pub fn is_settable(&self) -> bool {
        self.mode != Mode::Computed
    }
}

/// The object type of a list of attributes; optional ones are marked optional, as
/// Terraform does for nested attributes.
fn object_type(attrs: &[Attribute]) -> Type {
    let types: BTreeMap<String, Type> = attrs
        .iter()
        .map(|a| (a.name.clone(), a.value_type()))
        .collect();
    let optional: BTreeSet<String> = attrs
        .iter()
        .filter(|a| a.mode != Mode::Required)
        .map(|a| a.name.clone())
        .collect();
    Type::Object(ObjectType {
        attrs: types,
        optional,
    })
}

impl Block {
    /// The cty object type of the block's value (no optional markers at the top level);
    /// a single nested block is an object, null when absent.
    pub fn value_type(&self) -> Type {
        Type::Object(ObjectType {
            attrs: self
                .attributes
                .iter()
                .map(|a| (a.name.clone(), a.value_type()))
                .chain(self.blocks.iter().map(|b| {
                    let object = b.block.value_type();
                    let ty = if b.repeated {
                        Type::list(object)
                    } else {
                        object
                    };
                    (b.name.clone(), ty)
                }))
                .collect(),
            optional: BTreeSet::new(),
        })
    }

    /// Every attribute, depth first, with its path of names; for docs and checks.
    pub fn walk(&self) -> Vec<(Vec<String>, &Attribute)> {
        fn go<'a>(
            prefix: &[String],
            attrs: &'a [Attribute],
            out: &mut Vec<(Vec<String>, &'a Attribute)>,
        ) {
            for a in attrs {
                let mut path = prefix.to_vec();
                path.push(a.name.clone());
                out.push((path.clone(), a));
                if let AttributeType::Nested(_, inner) = &a.ty {
                    go(&path, inner, out);
                }
            }
        }
        let mut out = Vec::new();
        go(&[], &self.attributes, &mut out);
        for b in &self.blocks {
            for (mut path, a) in b.block.walk() {
                path.insert(0, b.name.clone());
                out.push((path, a));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Block {
        Block {
            description: "sample".into(),
            blocks: vec![],
            attributes: vec![
                Attribute::new("name", Type::String, Mode::Required, "The name."),
                Attribute::nested(
                    "network",
                    Nesting::Single,
                    vec![Attribute::new(
                        "subnet_ids",
                        Type::List(Box::new(Type::String)),
                        Mode::Optional,
                        "Subnets.",
                    )],
                    Mode::Optional,
                    "Network.",
                ),
            ],
        }
    }

    #[test]
    fn nested_attributes_become_objects_with_optional_markers() {
        let ty = sample().value_type();
        let Type::Object(obj) = ty else {
            panic!("block type is not an object")
        };
        let Type::Object(network) = &obj.attrs["network"] else {
            panic!("network is not an object")
        };
        assert!(network.optional.contains("subnet_ids"));
        assert!(obj.optional.is_empty());
    }

    #[test]
    fn every_attribute_has_a_description() {
        for (path, attr) in sample().walk() {
            assert!(!attr.description.is_empty(), "{path:?} has no description");
        }
    }
}
