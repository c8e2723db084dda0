//! cty types and their JSON encoding (`"string"`, `["list","number"]`,
//! `["object",{"a":"bool"},["a"]]`, ...), which Terraform uses in schemas and inside
//! dynamically-typed values.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::Value as Json;

use super::MAX_DEPTH;

/// How much of an unrecognized type an error message quotes.
const MAX_QUOTED: usize = 60;

/// A cty type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Type {
    /// `true` or `false`.
    Bool,
    /// An arbitrary-precision decimal.
    Number,
    /// A Unicode string.
    String,
    /// Any type, decided per value (cty's `DynamicPseudoType`).
    Dynamic,
    /// An ordered sequence of elements of one type.
    List(Box<Type>),
    /// An unordered collection of distinct elements of one type.
    Set(Box<Type>),
    /// String keys to elements of one type.
    Map(Box<Type>),
    /// Named attributes, each with its own type.
    Object(ObjectType),
    /// A fixed-length sequence, each position with its own type.
    Tuple(Vec<Type>),
}

/// The attributes of an object type, and which of them are optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectType {
    /// Attribute names to their types.
    pub attrs: BTreeMap<String, Type>,
    /// Names of attributes that may be omitted in a type constraint; always a subset of
    /// `attrs`'s keys.
    pub optional: BTreeSet<String>,
}

/// Why a JSON type description could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypeError {
    /// The bytes are not JSON.
    #[error("type is not valid JSON: {message}")]
    Syntax {
        /// The JSON parser's message.
        message: String,
    },
    /// The JSON describes no cty type.
    #[error("unsupported type `{found}`")]
    Unsupported {
        /// The offending JSON (shortened if long).
        found: String,
    },
    /// An object type lists an optional attribute it does not have.
    #[error("optional attribute `{name}` is not an attribute of the object type")]
    UnknownOptional {
        /// The attribute's name.
        name: String,
    },
    /// The type is nested deeper than [`MAX_DEPTH`](super::MAX_DEPTH).
    #[error("type is nested deeper than {limit} levels")]
    TooDeep {
        /// The limit that was exceeded.
        limit: usize,
    },
}

/// An [`TypeError::Unsupported`] quoting `json`.
fn unsupported(json: &Json) -> TypeError {
    let mut found = json.to_string();
    if found.len() > MAX_QUOTED {
        let mut end = MAX_QUOTED;
        while !found.is_char_boundary(end) {
            end -= 1;
        }
        found.truncate(end);
        found.push('…');
    }
    TypeError::Unsupported { found }
}

impl ObjectType {
    /// An object type with the given attributes, none optional.
    pub fn new<K: Into<String>>(attrs: impl IntoIterator<Item = (K, Type)>) -> Self {
        Self {
            attrs: attrs.into_iter().map(|(k, t)| (k.into(), t)).collect(),
            optional: BTreeSet::new(),
        }
    }
}

impl Type {
    /// `list(element)`.
    pub fn list(element: Type) -> Self {
        Self::List(Box::new(element))
    }

    /// `set(element)`.
    pub fn set(element: Type) -> Self {
        Self::Set(Box::new(element))
    }

    /// `map(element)`.
    pub fn map(element: Type) -> Self {
        Self::Map(Box::new(element))
    }

    /// `tuple([elements...])`.
    pub fn tuple(elements: impl IntoIterator<Item = Type>) -> Self {
        Self::Tuple(elements.into_iter().collect())
    }

    /// `object({name = type, ...})`, with no optional attributes.
    pub fn object<K: Into<String>>(attrs: impl IntoIterator<Item = (K, Type)>) -> Self {
        Self::Object(ObjectType::new(attrs))
    }

    /// Marks attributes of an object type optional; names that are not attributes, and
    /// calls on types that are not objects, change nothing.
    pub fn with_optional<K: Into<String>>(mut self, names: impl IntoIterator<Item = K>) -> Self {
        if let Self::Object(object) = &mut self {
            for name in names {
                let name = name.into();
                if object.attrs.contains_key(&name) {
                    object.optional.insert(name);
                }
            }
        }
        self
    }

    /// True for `bool`, `number` and `string`.
    pub fn is_primitive(&self) -> bool {
        matches!(self, Self::Bool | Self::Number | Self::String)
    }

    /// The element type of a list, set or map.
    pub fn element_type(&self) -> Option<&Type> {
        match self {
            Self::List(t) | Self::Set(t) | Self::Map(t) => Some(t),
            _ => None,
        }
    }

    /// The type of an object's attribute.
    pub fn attribute_type(&self, name: &str) -> Option<&Type> {
        match self {
            Self::Object(object) => object.attrs.get(name),
            _ => None,
        }
    }

    /// cty's JSON encoding of the type.
    pub fn to_json(&self) -> Json {
        match self {
            Self::Bool => Json::from("bool"),
            Self::Number => Json::from("number"),
            Self::String => Json::from("string"),
            Self::Dynamic => Json::from("dynamic"),
            Self::List(t) => Json::Array(vec!["list".into(), t.to_json()]),
            Self::Set(t) => Json::Array(vec!["set".into(), t.to_json()]),
            Self::Map(t) => Json::Array(vec!["map".into(), t.to_json()]),
            Self::Object(object) => {
                let attrs = object
                    .attrs
                    .iter()
                    .map(|(name, t)| (name.clone(), t.to_json()))
                    .collect();
                let mut parts = vec!["object".into(), Json::Object(attrs)];
                if !object.optional.is_empty() {
                    parts.push(object.optional.iter().map(|n| n.as_str()).collect());
                }
                Json::Array(parts)
            }
            Self::Tuple(ts) => Json::Array(vec![
                "tuple".into(),
                Json::Array(ts.iter().map(Type::to_json).collect()),
            ]),
        }
    }

    /// cty's JSON encoding of the type, as compact bytes.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        self.to_json().to_string().into_bytes()
    }

    /// Parses cty's JSON encoding of a type.
    pub fn from_json(json: &Json) -> Result<Self, TypeError> {
        Self::from_json_at(json, 0)
    }

    /// Parses cty's JSON encoding of a type from bytes.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Self, TypeError> {
        let json: Json = serde_json::from_slice(bytes).map_err(|e| TypeError::Syntax {
            message: e.to_string(),
        })?;
        Self::from_json(&json)
    }

    /// Parses a type nested `depth` levels deep.
    fn from_json_at(json: &Json, depth: usize) -> Result<Self, TypeError> {
        if depth > MAX_DEPTH {
            return Err(TypeError::TooDeep { limit: MAX_DEPTH });
        }
        let inner = |json: &Json| Self::from_json_at(json, depth + 1);
        match json {
            Json::String(name) => match name.as_str() {
                "bool" => Ok(Self::Bool),
                "number" => Ok(Self::Number),
                "string" => Ok(Self::String),
                "dynamic" => Ok(Self::Dynamic),
                _ => Err(unsupported(json)),
            },
            Json::Array(parts) => match (parts.first().and_then(Json::as_str), parts.len()) {
                (Some("list"), 2) => Ok(Self::list(inner(&parts[1])?)),
                (Some("set"), 2) => Ok(Self::set(inner(&parts[1])?)),
                (Some("map"), 2) => Ok(Self::map(inner(&parts[1])?)),
                (Some("tuple"), 2) => match &parts[1] {
                    Json::Array(elements) => Ok(Self::Tuple(
                        elements.iter().map(inner).collect::<Result<_, _>>()?,
                    )),
                    _ => Err(unsupported(json)),
                },
                (Some("object"), 2 | 3) => {
                    let Json::Object(attrs) = &parts[1] else {
                        return Err(unsupported(json));
                    };
                    let mut object = ObjectType::default();
                    for (name, t) in attrs {
                        object.attrs.insert(name.clone(), inner(t)?);
                    }
                    if let Some(optional) = parts.get(2) {
                        let Json::Array(names) = optional else {
                            return Err(unsupported(json));
                        };
                        for name in names {
                            let Json::String(name) = name else {
                                return Err(unsupported(json));
                            };
                            if !object.attrs.contains_key(name) {
                                return Err(TypeError::UnknownOptional { name: name.clone() });
                            }
                            object.optional.insert(name.clone());
                        }
                    }
                    Ok(Self::Object(object))
                }
                _ => Err(unsupported(json)),
            },
            _ => Err(unsupported(json)),
        }
    }
}

impl fmt::Display for Type {
    /// A friendly name, as in cty's messages: `string`, `list of number`, `object`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bool => f.write_str("bool"),
            Self::Number => f.write_str("number"),
            Self::String => f.write_str("string"),
            Self::Dynamic => f.write_str("dynamic"),
            Self::List(t) => write!(f, "list of {t}"),
            Self::Set(t) => write!(f, "set of {t}"),
            Self::Map(t) => write!(f, "map of {t}"),
            Self::Object(_) => f.write_str("object"),
            Self::Tuple(_) => f.write_str("tuple"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_encoding_matches_cty() {
        let cases = [
            (Type::Bool, r#""bool""#),
            (Type::Number, r#""number""#),
            (Type::String, r#""string""#),
            (Type::Dynamic, r#""dynamic""#),
            (Type::list(Type::String), r#"["list","string"]"#),
            (Type::set(Type::Number), r#"["set","number"]"#),
            (Type::map(Type::Bool), r#"["map","bool"]"#),
            (
                Type::list(Type::map(Type::Dynamic)),
                r#"["list",["map","dynamic"]]"#,
            ),
            (
                Type::object([("b", Type::Number), ("a", Type::String)]),
                r#"["object",{"a":"string","b":"number"}]"#,
            ),
            (
                Type::object([("b", Type::Number), ("a", Type::String)]).with_optional(["b"]),
                r#"["object",{"a":"string","b":"number"},["b"]]"#,
            ),
            (Type::object::<&str>([]), r#"["object",{}]"#),
            (
                Type::tuple([Type::String, Type::list(Type::Bool)]),
                r#"["tuple",["string",["list","bool"]]]"#,
            ),
            (Type::tuple([]), r#"["tuple",[]]"#),
        ];
        for (ty, want) in cases {
            assert_eq!(String::from_utf8(ty.to_json_bytes()).unwrap(), want);
            assert_eq!(
                Type::from_json_bytes(want.as_bytes()),
                Ok(ty.clone()),
                "{want}"
            );
        }
    }

    #[test]
    fn rejects_bad_type_json() {
        let cases = [
            r#""str""#,
            r#"1"#,
            r#"null"#,
            r#"[]"#,
            r#"["list"]"#,
            r#"["list","string","x"]"#,
            r#"["lisst","string"]"#,
            r#"["object",["a"]]"#,
            r#"["object",{"a":"string"},"a"]"#,
            r#"["object",{"a":"string"},[1]]"#,
            r#"["object",{"a":"string"},["a"],[]]"#,
            r#"["tuple","string"]"#,
            r#"["map",{"a":"string"}]"#,
            r#"["capsule","x"]"#,
        ];
        for text in cases {
            assert!(
                matches!(
                    Type::from_json_bytes(text.as_bytes()),
                    Err(TypeError::Unsupported { .. })
                ),
                "{text} should be unsupported"
            );
        }
        assert!(matches!(
            Type::from_json_bytes(br#"["object",{"a":"string"},["b"]]"#),
            Err(TypeError::UnknownOptional { name }) if name == "b"
        ));
        assert!(matches!(
            Type::from_json_bytes(b"[\"list\""),
            Err(TypeError::Syntax { .. })
        ));
        let deep = format!("{}\"string\"{}", "[\"list\",".repeat(100), "]".repeat(100));
        assert_eq!(
            Type::from_json_bytes(deep.as_bytes()),
            Err(TypeError::TooDeep { limit: MAX_DEPTH })
        );
        let ok = format!("{}\"string\"{}", "[\"list\",".repeat(60), "]".repeat(60));
        assert!(Type::from_json_bytes(ok.as_bytes()).is_ok());
        let long = format!(r#""{}""#, "x".repeat(500));
        let message = Type::from_json_bytes(long.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(message.len() < 100, "quoted JSON is shortened: {message}");
    }

    #[test]
    fn helpers() {
        let ty = Type::object([("a", Type::list(Type::String))]).with_optional(["a", "zzz"]);
        let Type::Object(object) = &ty else {
            panic!("object expected");
        };
        assert_eq!(object.optional, BTreeSet::from(["a".to_string()]));
        assert_eq!(ty.attribute_type("a"), Some(&Type::list(Type::String)));
        assert_eq!(ty.attribute_type("b"), None);
        assert_eq!(
            ty.attribute_type("a").and_then(Type::element_type),
            Some(&Type::String)
        );
        assert_eq!(Type::String.with_optional(["a"]), Type::String);
        assert!(Type::Bool.is_primitive());
        assert!(!Type::Dynamic.is_primitive());
        assert_eq!(
            Type::list(Type::set(Type::Number)).to_string(),
            "list of set of number"
        );
        assert_eq!(ty.to_string(), "object");
    }
}
