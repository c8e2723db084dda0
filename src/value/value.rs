//! Values of cty types: known, null or unknown at any depth, with accessors for the
//! provider code that reads configuration and builds state.
//!
//! A value does not carry its type; the codecs pair it with a [`Type`] from the schema,
//! and [`Value::infer_type`] recovers one for values at dynamic positions.

use std::collections::BTreeMap;

use super::number::Number;
use super::ty::{ObjectType, Type};

/// A cty value.
///
/// Sets are kept as a sequence in the order they were built or decoded; equality on
/// `Value` is structural, so two sets compare equal only in the same order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Not known until apply.
    Unknown,
    /// Null (absent).
    Null,
    /// A bool.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(String),
    /// A list's elements, in order.
    List(Vec<Value>),
    /// A set's elements.
    Set(Vec<Value>),
    /// A map's elements by key.
    Map(BTreeMap<String, Value>),
    /// An object's attributes by name.
    Object(BTreeMap<String, Value>),
    /// A tuple's elements, in order.
    Tuple(Vec<Value>),
}

/// A shared null, for lookups of absent attributes.
pub(crate) static NULL: Value = Value::Null;

impl Value {
    /// A string value.
    pub fn string(s: impl Into<String>) -> Self {
        Self::String(s.into())
    }

    /// A number value.
    pub fn number(n: impl Into<Number>) -> Self {
        Self::Number(n.into())
    }

    /// An object value from `(name, value)` pairs.
    pub fn object<K: Into<String>>(attrs: impl IntoIterator<Item = (K, Value)>) -> Self {
        Self::Object(attrs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A map value from `(key, value)` pairs.
    pub fn map<K: Into<String>>(elements: impl IntoIterator<Item = (K, Value)>) -> Self {
        Self::Map(elements.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A list value.
    pub fn list(elements: impl IntoIterator<Item = Value>) -> Self {
        Self::List(elements.into_iter().collect())
    }

    /// A set value (duplicates are kept as given).
    pub fn set(elements: impl IntoIterator<Item = Value>) -> Self {
        Self::Set(elements.into_iter().collect())
    }

    /// A tuple value.
    pub fn tuple(elements: impl IntoIterator<Item = Value>) -> Self {
        Self::Tuple(elements.into_iter().collect())
    }

    /// True for null.
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// True for an unknown value (at the top level only).
    pub fn is_unknown(&self) -> bool {
        matches!(self, Self::Unknown)
    }

    /// True unless the value itself is unknown (parts of it may still be).
    pub fn is_known(&self) -> bool {
        !self.is_unknown()
    }

    /// True when no unknown value appears anywhere inside.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Self::Unknown => false,
            Self::Null | Self::Bool(_) | Self::Number(_) | Self::String(_) => true,
            Self::List(vs) | Self::Set(vs) | Self::Tuple(vs) => {
                vs.iter().all(Self::is_wholly_known)
            }
            Self::Map(m) | Self::Object(m) => m.values().all(Self::is_wholly_known),
        }
    }

    /// An attribute of an object (or element of a map); `None` for absent keys and for
    /// other kinds of value.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Self::Object(m) | Self::Map(m) => m.get(name),
            _ => None,
        }
    }

    /// The string, for string values.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    /// The bool, for bool values.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number, for number values.
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Self::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The elements of a list, set or tuple.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Self::List(vs) | Self::Set(vs) | Self::Tuple(vs) => Some(vs),
            _ => None,
        }
    }

    /// The entries of a map or object.
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Self::Map(m) | Self::Object(m) => Some(m),
            _ => None,
        }
    }

    /// A short name for the kind of value, for error messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Null => "null",
            Self::Bool(_) => "bool",
            Self::Number(_) => "number",
            Self::String(_) => "string",
            Self::List(_) => "list",
            Self::Set(_) => "set",
            Self::Map(_) => "map",
            Self::Object(_) => "object",
            Self::Tuple(_) => "tuple",
        }
    }

    /// The most specific type this value conforms to, for encoding it at a dynamic position.
    ///
    /// Null and unknown infer `dynamic`. A collection's element type unifies its
    /// elements' types: nulls, unknowns and empty collections give way to anything more
    /// specific, and where elements genuinely disagree (a string and a number, objects
    /// with different attributes) that position becomes `dynamic`.
    pub fn infer_type(&self) -> Type {
        Inferred::of(self).into_type()
    }
}

/// A type being inferred, where [`Inferred::Any`] (from nulls, unknowns and empty
/// collections) still gives way to anything and [`Inferred::Dynamic`] (from elements that
/// disagree) absorbs everything.
#[derive(Debug, Clone, PartialEq)]
enum Inferred {
    /// No constraint yet.
    Any,
    /// Elements disagree: any value.
    Dynamic,
    /// `bool`.
    Bool,
    /// `number`.
    Number,
    /// `string`.
    String,
    /// `list(element)`.
    List(Box<Inferred>),
    /// `set(element)`.
    Set(Box<Inferred>),
    /// `map(element)`.
    Map(Box<Inferred>),
    /// `object({...})`.
    Object(BTreeMap<String, Inferred>),
    /// `tuple([...])`.
    Tuple(Vec<Inferred>),
}

impl Inferred {
    /// The inferred type of `value`.
    fn of(value: &Value) -> Self {
        match value {
            Value::Unknown | Value::Null => Self::Any,
            Value::Bool(_) => Self::Bool,
            Value::Number(_) => Self::Number,
            Value::String(_) => Self::String,
            Value::List(vs) => Self::List(Box::new(Self::unify_all(vs.iter()))),
            Value::Set(vs) => Self::Set(Box::new(Self::unify_all(vs.iter()))),
            Value::Map(m) => Self::Map(Box::new(Self::unify_all(m.values()))),
            Value::Object(m) => {
                Self::Object(m.iter().map(|(k, v)| (k.clone(), Self::of(v))).collect())
            }
            Value::Tuple(vs) => Self::Tuple(vs.iter().map(Self::of).collect()),
        }
    }

    /// The unified type of all `values`.
    fn unify_all<'a>(values: impl Iterator<Item = &'a Value>) -> Self {
        values.fold(Self::Any, |unified, value| unified.unify(Self::of(value)))
    }

    /// The most specific type that values of both `self` and `other` conform to.
    fn unify(self, other: Self) -> Self {
        match (self, other) {
            (Self::Any, t) | (t, Self::Any) => t,
            (Self::List(x), Self::List(y)) => Self::List(Box::new(x.unify(*y))),
            (Self::Set(x), Self::Set(y)) => Self::Set(Box::new(x.unify(*y))),
            (Self::Map(x), Self::Map(y)) => Self::Map(Box::new(x.unify(*y))),
            (Self::Object(x), Self::Object(y)) if x.keys().eq(y.keys()) => Self::Object(
                x.into_iter()
                    .zip(y.into_values())
                    .map(|((name, xt), yt)| (name, xt.unify(yt)))
                    .collect(),
            ),
            (Self::Tuple(xs), Self::Tuple(ys)) if xs.len() == ys.len() => {
                Self::Tuple(xs.into_iter().zip(ys).map(|(x, y)| x.unify(y)).collect())
            }
            (x, y) if x == y => x,
            _ => Self::Dynamic,
        }
    }

    /// The cty type, with unconstrained positions as `dynamic`.
    fn into_type(self) -> Type {
        match self {
            Self::Any | Self::Dynamic => Type::Dynamic,
            Self::Bool => Type::Bool,
            Self::Number => Type::Number,
            Self::String => Type::String,
            Self::List(t) => Type::list(t.into_type()),
            Self::Set(t) => Type::set(t.into_type()),
            Self::Map(t) => Type::map(t.into_type()),
            Self::Object(attrs) => Type::Object(ObjectType {
                attrs: attrs.into_iter().map(|(k, t)| (k, t.into_type())).collect(),
                optional: Default::default(),
            }),
            Self::Tuple(ts) => Type::Tuple(ts.into_iter().map(Self::into_type).collect()),
        }
    }
}

impl From<bool> for Value {
    /// A bool value.
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

impl From<&str> for Value {
    /// A string value.
    fn from(s: &str) -> Self {
        Self::String(s.to_string())
    }
}

impl From<String> for Value {
    /// A string value.
    fn from(s: String) -> Self {
        Self::String(s)
    }
}

impl From<Number> for Value {
    /// A number value.
    fn from(n: Number) -> Self {
        Self::Number(n)
    }
}

impl From<i64> for Value {
    /// A number value.
    fn from(n: i64) -> Self {
        Self::Number(n.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Value {
        Value::object([
            ("name", Value::string("web")),
            ("port", Value::from(8080)),
            ("public", Value::Bool(true)),
            (
                "network",
                Value::object([(
                    "subnet_ids",
                    Value::list([Value::string("a"), Value::Unknown]),
                )]),
            ),
            ("tags", Value::map([("env", Value::string("prod"))])),
            ("gone", Value::Null),
        ])
    }

    #[test]
    fn accessors() {
        let v = sample();
        assert_eq!(v.get("name").and_then(Value::as_str), Some("web"));
        assert_eq!(
            v.get("port")
                .and_then(Value::as_number)
                .and_then(Number::as_i64),
            Some(8080)
        );
        assert_eq!(v.get("public").and_then(Value::as_bool), Some(true));
        assert_eq!(v.get("missing"), None);
        assert!(v.get("gone").is_some_and(Value::is_null));
        assert_eq!(
            v.get("tags")
                .and_then(|t| t.get("env"))
                .and_then(Value::as_str),
            Some("prod")
        );
        let subnets = v
            .get("network")
            .and_then(|n| n.get("subnet_ids"))
            .and_then(Value::as_list)
            .expect("list");
        assert_eq!(subnets.len(), 2);
        assert!(subnets[1].is_unknown());
        assert!(!subnets[0].is_unknown());
        assert_eq!(v.as_map().map(BTreeMap::len), Some(6));
        assert_eq!(Value::string("x").as_bool(), None);
        assert_eq!(Value::Bool(true).as_str(), None);
        assert_eq!(Value::Null.as_list(), None);
        assert_eq!(Value::Null.as_map(), None);
        assert_eq!(Value::Null.as_number(), None);
        assert_eq!(Value::string("x").get("a"), None);
        assert_eq!(
            Value::set([Value::Null]).as_list(),
            Some(&[Value::Null][..])
        );
        assert_eq!(Value::tuple([]).as_list(), Some(&[][..]));
    }

    #[test]
    fn wholly_known_looks_everywhere() {
        let cases = [
            (Value::Unknown, false),
            (Value::Null, true),
            (sample(), false),
            (Value::list([Value::from(1)]), true),
            (Value::list([Value::Unknown]), false),
            (Value::set([Value::list([Value::Unknown])]), false),
            (Value::map([("k", Value::Unknown)]), false),
            (Value::tuple([Value::Null, Value::Bool(false)]), true),
            (
                Value::object([("a", Value::object([("b", Value::list([Value::Unknown]))]))]),
                false,
            ),
        ];
        for (value, want) in cases {
            assert_eq!(value.is_wholly_known(), want, "{value:?}");
        }
        assert!(Value::Unknown.is_unknown() && !Value::Unknown.is_known());
        assert!(Value::Null.is_null() && Value::Null.is_known());
    }

    #[test]
    fn infers_types() {
        let cases = [
            (Value::Null, Type::Dynamic),
            (Value::Unknown, Type::Dynamic),
            (Value::Bool(true), Type::Bool),
            (Value::from(1), Type::Number),
            (Value::string("x"), Type::String),
            (Value::list([]), Type::list(Type::Dynamic)),
            (
                Value::list([Value::Null, Value::string("a"), Value::Unknown]),
                Type::list(Type::String),
            ),
            (
                Value::list([Value::string("a"), Value::from(1)]),
                Type::list(Type::Dynamic),
            ),
            (
                Value::list([
                    Value::list([Value::string("a")]),
                    Value::list([Value::from(1)]),
                ]),
                Type::list(Type::list(Type::Dynamic)),
            ),
            (
                Value::set([Value::from(1), Value::from(2)]),
                Type::set(Type::Number),
            ),
            (
                Value::map([
                    ("a", Value::list([])),
                    ("b", Value::list([Value::Bool(true)])),
                ]),
                Type::map(Type::list(Type::Bool)),
            ),
            (
                Value::list([
                    Value::object([("a", Value::Null), ("b", Value::from(1))]),
                    Value::object([("a", Value::string("x")), ("b", Value::Null)]),
                ]),
                Type::list(Type::object([("a", Type::String), ("b", Type::Number)])),
            ),
            (
                Value::list([
                    Value::object([("a", Value::Null)]),
                    Value::object([("b", Value::Null)]),
                ]),
                Type::list(Type::Dynamic),
            ),
            (
                Value::list([
                    Value::tuple([Value::Null, Value::from(1)]),
                    Value::tuple([Value::Bool(true), Value::Null]),
                ]),
                Type::list(Type::tuple([Type::Bool, Type::Number])),
            ),
            (
                Value::list([Value::tuple([Value::Null]), Value::tuple([])]),
                Type::list(Type::Dynamic),
            ),
            (
                Value::tuple([Value::string("a"), Value::from(1)]),
                Type::tuple([Type::String, Type::Number]),
            ),
            // A disagreement inside one element is not overridden by a later element.
            (
                Value::list([
                    Value::list([Value::Bool(true), Value::from(1)]),
                    Value::list([Value::from(1)]),
                ]),
                Type::list(Type::list(Type::Dynamic)),
            ),
            (
                Value::list([
                    Value::list([Value::from(1)]),
                    Value::list([Value::Bool(true), Value::from(1)]),
                    Value::list([]),
                ]),
                Type::list(Type::list(Type::Dynamic)),
            ),
            (
                Value::set([Value::from(1), Value::string("x"), Value::from(2)]),
                Type::set(Type::Dynamic),
            ),
            (
                Value::object([("a", Value::string("x")), ("b", Value::Null)]),
                Type::object([("a", Type::String), ("b", Type::Dynamic)]),
            ),
        ];
        for (value, want) in cases {
            assert_eq!(value.infer_type(), want, "{value:?}");
        }
    }

    #[test]
    fn kind_names() {
        let cases = [
            (Value::Unknown, "unknown"),
            (Value::Null, "null"),
            (Value::Bool(true), "bool"),
            (Value::from(1), "number"),
            (Value::string(""), "string"),
            (Value::list([]), "list"),
            (Value::set([]), "set"),
            (Value::map::<&str>([]), "map"),
            (Value::object::<&str>([]), "object"),
            (Value::tuple([]), "tuple"),
        ];
        for (value, want) in cases {
            assert_eq!(value.kind_name(), want);
        }
    }
}
