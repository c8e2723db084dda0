//! The pure value layer: cty-compatible types, values and numbers, and the two wire
//! encodings Terraform uses for them (msgpack for `DynamicValue`, JSON for raw state).
//!
//! Everything here is synchronous, allocation-bounded and free of I/O:
//!
//! * [`Type`] mirrors cty's type system, including its JSON type encoding.
//! * [`Value`] is a value that may be known, null or unknown at any depth.
//! * [`Number`] is an arbitrary-precision decimal, because cty numbers are.
//! * [`msgpack`] and [`json`] encode and decode values against a type, and report every
//!   problem with the [`AttributePath`] where it happened.
//!
//! Decoders never panic on arbitrary input: reads are bounds-checked, nesting is limited to
//! [`MAX_DEPTH`] levels and length prefixes are checked against the remaining input before
//! anything is allocated.

pub mod error;
pub mod json;
pub mod msgpack;
pub mod number;
pub mod path;
pub mod ty;
// `value::value` is the agreed layout: the `Value` type lives in its own file.
#[allow(clippy::module_inception)]
pub mod value;

pub use error::{DecodeError, EncodeError};
pub use number::{IntegerError, Number, NumberError};
pub use path::{AttributePath, PathStep};
pub use ty::{ObjectType, Type, TypeError};
pub use value::Value;

/// The deepest nesting of containers (and dynamic wrappers) a decoder accepts.
pub const MAX_DEPTH: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::strategy::{BoxedStrategy, Union};

    /// Arbitrary types, a few levels deep.
    fn any_type() -> impl Strategy<Value = Type> {
        let leaf = prop_oneof![
            Just(Type::Bool),
            Just(Type::Number),
            Just(Type::String),
            Just(Type::Dynamic),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                inner.clone().prop_map(Type::list),
                inner.clone().prop_map(Type::set),
                inner.clone().prop_map(Type::map),
                proptest::collection::btree_map("[a-z_]{1,5}", inner.clone(), 0..4)
                    .prop_map(Type::object),
                proptest::collection::vec(inner, 0..3).prop_map(Type::tuple),
            ]
        })
    }

    /// Arbitrary numbers: integers, exact floats and long decimals with big exponents.
    fn any_number() -> impl Strategy<Value = Number> {
        prop_oneof![
            any::<i64>().prop_map(Number::from),
            any::<u64>().prop_map(Number::from),
            (proptest::num::f64::NORMAL | proptest::num::f64::SUBNORMAL | proptest::num::f64::ZERO)
                .prop_filter_map("finite", Number::from_f64),
            ("-?[0-9]{1,30}(\\.[0-9]{1,10})?", -500i64..500)
                .prop_filter_map("parses", |(d, e)| format!("{d}e{e}").parse().ok()),
        ]
    }

    /// Arbitrary values conforming to `ty`, null anywhere and unknown anywhere when
    /// `unknowns` is set; `depth` bounds dynamic positions that pick their own type.
    fn value_for(ty: Type, unknowns: bool, depth: u32) -> BoxedStrategy<Value> {
        let known: BoxedStrategy<Value> = match ty {
            Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
            Type::Number => any_number().prop_map(Value::Number).boxed(),
            Type::String => any::<String>().prop_map(Value::String).boxed(),
            Type::List(element) => {
                proptest::collection::vec(value_for(*element, unknowns, depth), 0..4)
                    .prop_map(Value::List)
                    .boxed()
            }
            Type::Set(element) => {
                proptest::collection::vec(value_for(*element, unknowns, depth), 0..4)
                    .prop_map(Value::Set)
                    .boxed()
            }
            Type::Map(element) => proptest::collection::btree_map(
                "\\PC{0,4}",
                value_for(*element, unknowns, depth),
                0..4,
            )
            .prop_map(Value::Map)
            .boxed(),
            Type::Object(object) => {
                let names: Vec<String> = object.attrs.keys().cloned().collect();
                let attrs: Vec<BoxedStrategy<Value>> = object
                    .attrs
                    .into_values()
                    .map(|t| value_for(t, unknowns, depth))
                    .collect();
                attrs
                    .prop_map(move |values| {
                        Value::Object(names.iter().cloned().zip(values).collect())
                    })
                    .boxed()
            }
            Type::Tuple(types) => types
                .into_iter()
                .map(|t| value_for(t, unknowns, depth))
                .collect::<Vec<_>>()
                .prop_map(Value::Tuple)
                .boxed(),
            Type::Dynamic if depth >= 2 => prop_oneof![
                any::<bool>().prop_map(Value::Bool),
                any_number().prop_map(Value::Number),
                any::<String>().prop_map(Value::String),
            ]
            .boxed(),
            Type::Dynamic => any_type()
                .prop_flat_map(move |t| value_for(t, unknowns, depth + 1))
                .boxed(),
        };
        let mut options = vec![(8, known), (1, Just(Value::Null).boxed())];
        if unknowns {
            options.push((1, Just(Value::Unknown).boxed()));
        }
        Union::new_weighted(options).boxed()
    }

    /// A type and a value conforming to it.
    fn typed_value(unknowns: bool) -> impl Strategy<Value = (Type, Value)> {
        any_type().prop_flat_map(move |ty| (Just(ty.clone()), value_for(ty, unknowns, 0)))
    }

    proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        })]

        #[test]
        fn msgpack_round_trips_generated_values((ty, value) in typed_value(true)) {
            let bytes = msgpack::encode(&value, &ty).expect("conforming values encode");
            let back = msgpack::decode(&bytes, &ty).expect("own encoding decodes");
            prop_assert_eq!(&back, &value);
            prop_assert_eq!(msgpack::encode(&back, &ty).expect("re-encodes"), bytes);
        }

        #[test]
        fn json_round_trips_generated_values((ty, value) in typed_value(false)) {
            let bytes = json::encode(&value, &ty).expect("conforming values encode");
            let back = json::decode(&bytes, &ty).expect("own encoding decodes");
            prop_assert_eq!(&back, &value);
        }

        #[test]
        fn json_refuses_generated_unknowns((ty, value) in typed_value(true)) {
            let result = json::encode(&value, &ty);
            prop_assert_eq!(result.is_ok(), value.is_wholly_known());
        }

        #[test]
        fn type_json_round_trips(ty in any_type()) {
            prop_assert_eq!(Type::from_json_bytes(&ty.to_json_bytes()), Ok(ty));
        }
    }
}
