//! cty's JSON encoding of values, as Terraform stores resource state (`RawState.json` in
//! `UpgradeResourceState`).
//!
//! * Plain JSON: null, bools, strings, arrays for lists/sets/tuples, objects for maps and
//!   objects. Numbers keep every digit (serde_json's `arbitrary_precision` hands over the
//!   literal text).
//! * A dynamic position holds `{"value": v, "type": <type JSON>}`, or `null`.
//! * JSON has no unknowns: encoding one is an error.
//!
//! Decoding follows cty's leniency for primitives (a string position accepts numbers and
//! bools, a number position numeric strings, a bool position `"true"`/`"false"`).
//!
//! Unlike cty, object attributes that the type does not have are **ignored** on decode:
//! stored state may still hold attributes that a newer schema removed, and upgrading such
//! state must not fail. Attributes missing from the JSON decode as null.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use super::MAX_DEPTH;
use super::number::Number;
use super::path::{AttributePath, PathStep};
use super::ty::Type;
use super::value::{NULL, Value};

pub use super::error::{DecodeError, EncodeError};

/// Decodes JSON `bytes` as a value of type `ty`.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, DecodeError> {
    let json: Json = serde_json::from_slice(bytes).map_err(|e| DecodeError::Json {
        path: AttributePath::root(),
        message: e.to_string(),
    })?;
    decode_json(&json, ty)
}

/// Decodes an already-parsed JSON value as a value of type `ty`.
pub fn decode_json(json: &Json, ty: &Type) -> Result<Value, DecodeError> {
    Decoder {
        path: AttributePath::root(),
        depth: 0,
    }
    .value(json, ty)
}

/// Encodes `value` as compact JSON conforming to `ty`.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, EncodeError> {
    Ok(encode_json(value, ty)?.to_string().into_bytes())
}

/// Encodes `value` as a JSON value conforming to `ty`.
pub fn encode_json(value: &Value, ty: &Type) -> Result<Json, EncodeError> {
    Encoder {
        path: AttributePath::root(),
    }
    .value(value, ty)
}

/// A short name for a JSON value's kind, for error messages.
fn describe(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

/// Walks JSON against a type, tracking path and depth.
struct Decoder {
    /// Where the value being read lives.
    path: AttributePath,
    /// How many containers enclose the value being read.
    depth: usize,
}

impl Decoder {
    /// A [`DecodeError::Mismatch`] at the current path.
    fn mismatch(&self, ty: &Type, json: &Json) -> DecodeError {
        DecodeError::Mismatch {
            path: self.path.clone(),
            expected: ty.to_string(),
            found: describe(json).to_string(),
        }
    }

    /// Parses a number's text.
    fn number(&self, text: &str) -> Result<Value, DecodeError> {
        text.parse::<Number>()
            .map(Value::Number)
            .map_err(|error| DecodeError::InvalidNumber {
                path: self.path.clone(),
                error,
            })
    }

    /// Enters a container, failing when that nests too deep.
    fn enter(&mut self) -> Result<(), DecodeError> {
        if self.depth >= MAX_DEPTH {
            return Err(DecodeError::TooDeep {
                path: self.path.clone(),
                limit: MAX_DEPTH,
            });
        }
        self.depth += 1;
        Ok(())
    }

    /// Reads `json` as a value of type `ty`.
    fn value(&mut self, json: &Json, ty: &Type) -> Result<Value, DecodeError> {
        if json.is_null() {
            return Ok(Value::Null);
        }
        match (ty, json) {
            (Type::Dynamic, _) => self.dynamic(json),
            (Type::Bool, Json::Bool(b)) => Ok(Value::Bool(*b)),
            (Type::Bool, Json::String(s)) if s == "true" || s == "false" => {
                Ok(Value::Bool(s == "true"))
            }
            (Type::Number, Json::Number(n)) => self.number(n.as_str()),
            (Type::Number, Json::String(s)) => self.number(s),
            (Type::String, Json::String(s)) => Ok(Value::string(s.as_str())),
            (Type::String, Json::Number(n)) => Ok(Value::string(n.as_str())),
            (Type::String, Json::Bool(b)) => Ok(Value::string(b.to_string())),
            (Type::List(element), Json::Array(items)) => {
                self.sequence(items, |_| element).map(Value::List)
            }
            (Type::Set(element), Json::Array(items)) => {
                self.sequence(items, |_| element).map(Value::Set)
            }
            (Type::Tuple(types), Json::Array(items)) => {
                if types.len() != items.len() {
                    return Err(DecodeError::TupleLength {
                        path: self.path.clone(),
                        expected: types.len(),
                        found: items.len(),
                    });
                }
                self.sequence(items, |i| &types[i]).map(Value::Tuple)
            }
            (Type::Map(element), Json::Object(entries)) => {
                self.enter()?;
                let mut out = BTreeMap::new();
                for (key, item) in entries {
                    self.path.steps.push(PathStep::Key(key.clone()));
                    out.insert(key.clone(), self.value(item, element)?);
                    self.path.steps.pop();
                }
                self.depth -= 1;
                Ok(Value::Map(out))
            }
            (Type::Object(object), Json::Object(entries)) => {
                self.enter()?;
                let mut out = BTreeMap::new();
                for (name, attr_type) in &object.attrs {
                    let item = match entries.get(name) {
                        Some(item) => {
                            self.path.steps.push(PathStep::Attr(name.clone()));
                            let item = self.value(item, attr_type)?;
                            self.path.steps.pop();
                            item
                        }
                        None => Value::Null,
                    };
                    out.insert(name.clone(), item);
                }
                self.depth -= 1;
                Ok(Value::Object(out))
            }
            _ => Err(self.mismatch(ty, json)),
        }
    }

    /// Reads an array whose `i`th element has type `element(i)`.
    fn sequence<'t>(
        &mut self,
        items: &[Json],
        element: impl Fn(usize) -> &'t Type,
    ) -> Result<Vec<Value>, DecodeError> {
        self.enter()?;
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            self.path.steps.push(PathStep::Index(i as i64));
            out.push(self.value(item, element(i))?);
            self.path.steps.pop();
        }
        self.depth -= 1;
        Ok(out)
    }

    /// Reads `{"value": v, "type": t}` at a dynamic position.
    fn dynamic(&mut self, json: &Json) -> Result<Value, DecodeError> {
        let invalid = |d: &Self, reason: String| DecodeError::InvalidDynamic {
            path: d.path.clone(),
            reason,
        };
        let Json::Object(fields) = json else {
            return Err(invalid(
                self,
                format!(
                    "expected an object with `value` and `type`, found {}",
                    describe(json)
                ),
            ));
        };
        if let Some(key) = fields.keys().find(|k| *k != "value" && *k != "type") {
            return Err(invalid(self, format!("unexpected key `{key}`")));
        }
        let (Some(value), Some(type_json)) = (fields.get("value"), fields.get("type")) else {
            return Err(invalid(
                self,
                "expected both `value` and `type`".to_string(),
            ));
        };
        let ty = Type::from_json(type_json).map_err(|error| DecodeError::InvalidType {
            path: self.path.clone(),
            error,
        })?;
        self.enter()?;
        let value = self.value(value, &ty)?;
        self.depth -= 1;
        Ok(value)
    }
}

/// Builds JSON from values, tracking the path of the value being written.
struct Encoder {
    /// Where the value being written lives.
    path: AttributePath,
}

impl Encoder {
    /// A [`EncodeError::Mismatch`] at the current path.
    fn mismatch(&self, ty: &Type, value: &Value) -> EncodeError {
        EncodeError::Mismatch {
            path: self.path.clone(),
            expected: ty.to_string(),
            found: value.kind_name().to_string(),
        }
    }

    /// Builds the JSON for `value` at a position of type `ty`.
    fn value(&mut self, value: &Value, ty: &Type) -> Result<Json, EncodeError> {
        match (ty, value) {
            (_, Value::Unknown) => Err(EncodeError::Unknown {
                path: self.path.clone(),
            }),
            (_, Value::Null) => Ok(Json::Null),
            (Type::Dynamic, _) => {
                let inferred = value.infer_type();
                let mut fields = Map::new();
                fields.insert("value".to_string(), self.value(value, &inferred)?);
                fields.insert("type".to_string(), inferred.to_json());
                Ok(Json::Object(fields))
            }
            (Type::Bool, Value::Bool(b)) => Ok(Json::Bool(*b)),
            (Type::Number, Value::Number(n)) => {
                let text = n.to_string();
                text.parse::<serde_json::Number>()
                    .map(Json::Number)
                    .map_err(|_| EncodeError::InvalidNumber {
                        path: self.path.clone(),
                        text,
                    })
            }
            (Type::String, Value::String(s)) => Ok(Json::String(s.clone())),
            (
                Type::List(element) | Type::Set(element),
                Value::List(items) | Value::Set(items) | Value::Tuple(items),
            ) => self.sequence(items, |_| element),
            (Type::Tuple(types), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
                if types.len() != items.len() {
                    return Err(EncodeError::TupleLength {
                        path: self.path.clone(),
                        expected: types.len(),
                        found: items.len(),
                    });
                }
                self.sequence(items, |i| &types[i])
            }
            (Type::Map(element), Value::Map(entries) | Value::Object(entries)) => {
                let mut out = Map::new();
                for (key, item) in entries {
                    self.path.steps.push(PathStep::Key(key.clone()));
                    out.insert(key.clone(), self.value(item, element)?);
                    self.path.steps.pop();
                }
                Ok(Json::Object(out))
            }
            (Type::Object(object), Value::Object(attrs) | Value::Map(attrs)) => {
                if let Some(name) = attrs.keys().find(|k| !object.attrs.contains_key(*k)) {
                    return Err(EncodeError::UnsupportedAttribute {
                        path: self.path.clone(),
                        name: name.clone(),
                    });
                }
                let mut out = Map::new();
                for (name, attr_type) in &object.attrs {
                    self.path.steps.push(PathStep::Attr(name.clone()));
                    let item = self.value(attrs.get(name).unwrap_or(&NULL), attr_type)?;
                    self.path.steps.pop();
                    out.insert(name.clone(), item);
                }
                Ok(Json::Object(out))
            }
            _ => Err(self.mismatch(ty, value)),
        }
    }

    /// Builds a JSON array whose `i`th element has type `element(i)`.
    fn sequence<'t>(
        &mut self,
        items: &[Value],
        element: impl Fn(usize) -> &'t Type,
    ) -> Result<Json, EncodeError> {
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            self.path.steps.push(PathStep::Index(i as i64));
            out.push(self.value(item, element(i))?);
            self.path.steps.pop();
        }
        Ok(Json::Array(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(text: &str) -> Value {
        Value::Number(text.parse().expect("number"))
    }

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).expect("utf-8")
    }

    #[test]
    fn round_trips_every_type() {
        let object_type = Type::object([
            ("name", Type::String),
            ("count", Type::Number),
            ("tags", Type::map(Type::String)),
        ]);
        let cases = vec![
            (Value::Bool(true), Type::Bool),
            (Value::from(-3), Type::Number),
            (num("0.1"), Type::Number),
            (Value::string("héllo \"quoted\""), Type::String),
            (
                Value::list([Value::string("a"), Value::Null]),
                Type::list(Type::String),
            ),
            (Value::list([]), Type::list(Type::String)),
            (
                Value::set([Value::from(1), Value::from(2)]),
                Type::set(Type::Number),
            ),
            (
                Value::map([("k", Value::Bool(false))]),
                Type::map(Type::Bool),
            ),
            (
                Value::object([
                    ("name", Value::string("web")),
                    ("count", Value::Null),
                    ("tags", Value::map([("env", Value::string("prod"))])),
                ]),
                object_type.clone(),
            ),
            (Value::Null, object_type),
            (
                Value::tuple([Value::string("a"), Value::from(1)]),
                Type::tuple([Type::String, Type::Number]),
            ),
            (Value::string("dyn"), Type::Dynamic),
            (
                Value::object([("a", Value::list([Value::from(1)])), ("b", Value::Null)]),
                Type::Dynamic,
            ),
            (Value::Null, Type::Dynamic),
            (
                Value::list([Value::string("x"), Value::from(2)]),
                Type::Dynamic,
            ),
        ];
        for (value, ty) in cases {
            let bytes = encode(&value, &ty).unwrap_or_else(|e| panic!("encode {value:?}: {e}"));
            assert_eq!(decode(&bytes, &ty), Ok(value.clone()), "{}", text(bytes));
        }
    }

    #[test]
    fn encodes_like_terraform_state() {
        let ty = Type::object([
            ("id", Type::String),
            ("count", Type::Number),
            ("ids", Type::list(Type::String)),
            ("extra", Type::Dynamic),
            ("gone", Type::Bool),
        ]);
        let value = Value::object([
            ("id", Value::string("x")),
            ("count", num("123456789012345678901234567890")),
            ("ids", Value::list([Value::string("a")])),
            ("extra", Value::from(1)),
        ]);
        assert_eq!(
            text(encode(&value, &ty).unwrap()),
            r#"{"count":123456789012345678901234567890,"extra":{"value":1,"type":"number"},"gone":null,"id":"x","ids":["a"]}"#
        );
        // serde_json may respell exponents (`1e+400`); the value must survive exactly.
        let big = text(encode(&num("1e400"), &Type::Number).unwrap());
        assert!(!big.starts_with('"'), "a JSON number, not a string: {big}");
        assert_eq!(big.parse::<Number>(), Ok("1e400".parse().unwrap()));
        let cases = [
            (num("1e5"), "100000"),
            (num("-0.5"), "-0.5"),
            (num("0.1"), "0.1"),
            (Value::from(i64::MIN), "-9223372036854775808"),
            (
                Value::Number(Number::from(u64::MAX)),
                "18446744073709551615",
            ),
        ];
        for (value, want) in cases {
            assert_eq!(text(encode(&value, &Type::Number).unwrap()), want);
        }
    }

    #[test]
    fn big_numbers_round_trip_exactly() {
        let cases = [
            "123456789012345678901234567890",
            "1e400",
            "-1e-400",
            "0.1",
            "-9223372036854775808",
            "18446744073709551615",
            "3.14159265358979323846264338327950288419716939937510",
        ];
        for literal in cases {
            let want = num(literal);
            assert_eq!(
                decode(literal.as_bytes(), &Type::Number),
                Ok(want.clone()),
                "{literal}"
            );
            let bytes = encode(&want, &Type::Number).unwrap();
            assert_eq!(decode(&bytes, &Type::Number), Ok(want), "{literal}");
        }
    }

    #[test]
    fn decodes_state_json() {
        let ty = Type::object([
            ("name", Type::String),
            ("port", Type::Number),
            ("public", Type::Bool),
            ("extra", Type::Dynamic),
            ("tags", Type::map(Type::String)),
        ]);
        let cases: Vec<(&str, Value)> = vec![
            // Removed attributes are ignored; absent ones are null.
            (
                r#"{"name":"web","removed_in_v2":{"deep":[1,2]},"port":8080}"#,
                Value::object([
                    ("name", Value::string("web")),
                    ("port", Value::from(8080)),
                    ("public", Value::Null),
                    ("extra", Value::Null),
                    ("tags", Value::Null),
                ]),
            ),
            // cty's primitive leniency.
            (
                r#"{"name":5,"port":"1e400","public":"true","tags":{"a":true}}"#,
                Value::object([
                    ("name", Value::string("5")),
                    ("port", num("1e400")),
                    ("public", Value::Bool(true)),
                    ("extra", Value::Null),
                    ("tags", Value::map([("a", Value::string("true"))])),
                ]),
            ),
            // A dynamic value with "type" before "value".
            (
                r#"{"extra":{"type":["list","number"],"value":[1,2.5]}}"#,
                Value::object([
                    ("name", Value::Null),
                    ("port", Value::Null),
                    ("public", Value::Null),
                    ("extra", Value::list([Value::from(1), num("2.5")])),
                    ("tags", Value::Null),
                ]),
            ),
            (" null ", Value::Null),
        ];
        for (json, want) in cases {
            assert_eq!(decode(json.as_bytes(), &ty), Ok(want), "{json}");
        }
    }

    #[test]
    fn rejects_bad_json_with_paths() {
        let ty = Type::object([
            (
                "network",
                Type::object([("subnet_ids", Type::list(Type::String))]),
            ),
            ("pair", Type::tuple([Type::Bool])),
            ("any", Type::Dynamic),
            ("n", Type::Number),
            ("flag", Type::Bool),
        ]);
        let cases = [
            (
                r#"{"network":{"subnet_ids":["a",[true]]}}"#,
                "at `network.subnet_ids[1]`: expected string, found array",
            ),
            (
                r#"{"pair":[true,false]}"#,
                "at `pair`: expected a tuple of 1 elements, found 2",
            ),
            (r#"{"n":"abc"}"#, "at `n`: `abc` is not a valid number"),
            (r#"{"n":true}"#, "at `n`: expected number, found bool"),
            (
                r#"{"flag":"yes"}"#,
                "at `flag`: expected bool, found string",
            ),
            (
                r#"{"any":"x"}"#,
                "at `any`: invalid dynamic value: expected an object with `value` and `type`, found string",
            ),
            (
                r#"{"any":{"value":1}}"#,
                "at `any`: invalid dynamic value: expected both `value` and `type`",
            ),
            (
                r#"{"any":{"value":1,"type":"number","x":2}}"#,
                "at `any`: invalid dynamic value: unexpected key `x`",
            ),
            (
                r#"{"any":{"value":1,"type":"nope"}}"#,
                "at `any`: invalid type in dynamic value: unsupported type `\"nope\"`",
            ),
            (
                r#"{"any":{"value":"x","type":"bool"}}"#,
                "at `any`: expected bool, found string",
            ),
            (r#"[1]"#, "expected object, found array"),
        ];
        for (json, want) in cases {
            let err = decode(json.as_bytes(), &ty).expect_err(json);
            assert_eq!(err.to_string(), want, "{json}");
        }
        assert!(matches!(
            decode(b"{\"n\": 1", &ty),
            Err(DecodeError::Json { .. })
        ));
        assert!(matches!(
            decode(b"{} {}", &ty),
            Err(DecodeError::Json { .. })
        ));
        assert!(matches!(decode(b"", &ty), Err(DecodeError::Json { .. })));
    }

    #[test]
    fn unknowns_cannot_be_encoded() {
        let ty = Type::object([
            ("a", Type::String),
            ("l", Type::list(Type::map(Type::String))),
            ("d", Type::Dynamic),
        ]);
        let cases = [
            (Value::Unknown, AttributePath::root()),
            (
                Value::object([("a", Value::Unknown)]),
                AttributePath::attr("a"),
            ),
            (
                Value::object([("l", Value::list([Value::map([("k", Value::Unknown)])]))]),
                AttributePath::attr("l").then_index(0).then_key("k"),
            ),
            (
                Value::object([("d", Value::Unknown)]),
                AttributePath::attr("d"),
            ),
            (
                Value::object([("d", Value::list([Value::Unknown]))]),
                AttributePath::attr("d").then_index(0),
            ),
        ];
        for (value, path) in cases {
            assert_eq!(
                encode(&value, &ty),
                Err(EncodeError::Unknown { path }),
                "{value:?}"
            );
        }
    }

    #[test]
    fn depth_is_limited() {
        let mut ty = Type::Bool;
        for _ in 0..MAX_DEPTH + 1 {
            ty = Type::list(ty);
        }
        let json = format!(
            "{}true{}",
            "[".repeat(MAX_DEPTH + 1),
            "]".repeat(MAX_DEPTH + 1)
        );
        assert!(matches!(
            decode(json.as_bytes(), &ty),
            Err(DecodeError::TooDeep { .. })
        ));
        let json = format!("{}true{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        let Type::List(inner) = ty else {
            unreachable!()
        };
        assert!(decode(json.as_bytes(), &inner).is_ok());
        // Nested dynamic wrappers count too (and serde_json's own limit holds for input).
        let mut json = "true".to_string();
        for _ in 0..100 {
            json = format!(r#"{{"value":{json},"type":"dynamic"}}"#);
        }
        assert!(decode(json.as_bytes(), &Type::Dynamic).is_err());
    }

    /// Types used by the fuzz-style properties below.
    fn fuzz_types() -> Vec<Type> {
        vec![
            Type::String,
            Type::Number,
            Type::Dynamic,
            Type::list(Type::String),
            Type::map(Type::Number),
            Type::object([
                ("a", Type::String),
                ("b", Type::list(Type::Dynamic)),
                ("c", Type::tuple([Type::Bool, Type::Number])),
            ]),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 2000,
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        })]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            for ty in fuzz_types() {
                let _ = decode(&bytes, &ty);
            }
        }

        #[test]
        fn arbitrary_text_never_panics(text in r#"[\[\]{}",:0-9a-z.eE+\- ]{0,80}"#) {
            for ty in fuzz_types() {
                let _ = decode(text.as_bytes(), &ty);
            }
        }

        #[test]
        fn mutated_encodings_never_panic(
            edits in proptest::collection::vec((proptest::num::usize::ANY, proptest::num::u8::ANY), 1..6),
        ) {
            let value = Value::object([
                ("a", Value::string("text")),
                ("b", Value::list([Value::from(1), Value::string("x"), Value::Null])),
                ("c", Value::tuple([Value::Bool(true), num("1e400")])),
            ]);
            let ty = fuzz_types()[5].clone();
            let mut bytes = encode(&value, &ty).expect("sample encodes");
            for (at, byte) in edits {
                let len = bytes.len();
                bytes[at % len] = byte;
            }
            for other in fuzz_types() {
                let _ = decode(&bytes, &other);
            }
        }
    }
}
