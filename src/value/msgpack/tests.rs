//! Tests of [`super`] (msgpack.rs).

use super::*;

/// Parses hex like `"82 a1 61"` into bytes.
fn hex(text: &str) -> Vec<u8> {
    text.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).expect("hex byte"))
        .collect()
}

fn num(text: &str) -> Value {
    Value::Number(text.parse().expect("number"))
}

fn every_type_sample() -> Vec<(Value, Type)> {
    let object_type = Type::object([
        ("name", Type::String),
        ("count", Type::Number),
        ("enabled", Type::Bool),
        ("ids", Type::list(Type::String)),
    ]);
    vec![
        (Value::Bool(true), Type::Bool),
        (Value::Bool(false), Type::Bool),
        (Value::from(42), Type::Number),
        (num("-0.5"), Type::Number),
        (Value::string("héllo"), Type::String),
        (Value::string(""), Type::String),
        (Value::string("x".repeat(300)), Type::String),
        (
            Value::list([Value::string("a"), Value::Null]),
            Type::list(Type::String),
        ),
        (Value::list([]), Type::list(Type::Number)),
        (
            Value::list((0..20).map(Value::from)),
            Type::list(Type::Number),
        ),
        (
            Value::set([Value::from(1), Value::from(2)]),
            Type::set(Type::Number),
        ),
        (
            Value::map([("a", Value::Bool(true)), ("b", Value::Null)]),
            Type::map(Type::Bool),
        ),
        (
            Value::map((0..20).map(|i| (format!("k{i:02}"), Value::from(i)))),
            Type::map(Type::Number),
        ),
        (
            Value::object([
                ("name", Value::string("web")),
                ("count", Value::from(3)),
                ("enabled", Value::Null),
                ("ids", Value::list([Value::string("i-1")])),
            ]),
            object_type.clone(),
        ),
        (
            Value::tuple([Value::string("a"), Value::from(1), Value::Bool(false)]),
            Type::tuple([Type::String, Type::Number, Type::Bool]),
        ),
        (Value::tuple([]), Type::tuple([])),
        (Value::string("dyn"), Type::Dynamic),
        (
            Value::object([("x", Value::list([Value::from(1)]))]),
            Type::Dynamic,
        ),
        (
            Value::map([("nested", Value::list([Value::string("a")]))]),
            Type::map(Type::Dynamic),
        ),
        (Value::Null, Type::Dynamic),
        (Value::Unknown, Type::Dynamic),
        (Value::Null, object_type.clone()),
        (Value::Unknown, object_type),
        (Value::Null, Type::list(Type::String)),
        (Value::Null, Type::Number),
    ]
}

#[test]
fn round_trips_every_type() {
    for (value, ty) in every_type_sample() {
        let bytes = encode(&value, &ty).unwrap_or_else(|e| panic!("encode {value:?}: {e}"));
        let back = decode(&bytes, &ty).unwrap_or_else(|e| panic!("decode {value:?}: {e}"));
        assert_eq!(back, value, "round trip as {ty}");
    }
}

#[test]
fn matches_cty_bytes() {
    let ab = Type::object([("a", Type::String), ("b", Type::Number)]);
    let cases: Vec<(Value, Type, &str)> = vec![
        (
            Value::object([("a", Value::string("x")), ("b", Value::Null)]),
            ab.clone(),
            "82 a1 61 a1 78 a1 62 c0",
        ),
        (
            Value::object([("b", Value::from(1)), ("a", Value::Null)]),
            ab.clone(),
            "82 a1 61 c0 a1 62 01",
        ),
        (Value::Unknown, ab.clone(), "d4 00 00"),
        (Value::Null, Type::String, "c0"),
        (Value::Bool(true), Type::Bool, "c3"),
        (Value::Bool(false), Type::Bool, "c2"),
        (Value::from(0), Type::Number, "00"),
        (Value::from(127), Type::Number, "7f"),
        (Value::from(128), Type::Number, "cc 80"),
        (Value::from(256), Type::Number, "cd 01 00"),
        (Value::from(65536), Type::Number, "ce 00 01 00 00"),
        (
            Value::from(4294967296),
            Type::Number,
            "cf 00 00 00 01 00 00 00 00",
        ),
        (Value::from(-1), Type::Number, "ff"),
        (Value::from(-32), Type::Number, "e0"),
        (Value::from(-33), Type::Number, "d0 df"),
        (Value::from(-129), Type::Number, "d1 ff 7f"),
        (Value::from(-32769), Type::Number, "d2 ff ff 7f ff"),
        (
            Value::from(i64::MIN),
            Type::Number,
            "d3 80 00 00 00 00 00 00 00",
        ),
        (num("1.0"), Type::Number, "01"),
        (num("0.5"), Type::Number, "cb 3f e0 00 00 00 00 00 00"),
        (num("-2.25"), Type::Number, "cb c0 02 00 00 00 00 00 00"),
        // 2^63 is not an i64 but is exactly a float64.
        (
            num("9223372036854775808"),
            Type::Number,
            "cb 43 e0 00 00 00 00 00 00",
        ),
        (num("0.1"), Type::Number, "a3 30 2e 31"),
        (
            num("18446744073709551615"),
            Type::Number,
            "b4 31 38 34 34 36 37 34 34 30 37 33 37 30 39 35 35 31 36 31 35",
        ),
        (num("1e400"), Type::Number, "a5 31 65 34 30 30"),
        (Value::string("x"), Type::String, "a1 78"),
        (
            Value::list([Value::string("a"), Value::Unknown]),
            Type::list(Type::String),
            "92 a1 61 d4 00 00",
        ),
        (
            Value::set([Value::from(1)]),
            Type::set(Type::Number),
            "91 01",
        ),
        (
            Value::map([("k", Value::Bool(true))]),
            Type::map(Type::Bool),
            "81 a1 6b c3",
        ),
        (
            Value::tuple([Value::string("a"), Value::from(1)]),
            Type::tuple([Type::String, Type::Number]),
            "92 a1 61 01",
        ),
        // Dynamic: [bin("\"string\""), "x"].
        (
            Value::string("x"),
            Type::Dynamic,
            "92 c4 08 22 73 74 72 69 6e 67 22 a1 78",
        ),
        (Value::Null, Type::Dynamic, "c0"),
        (Value::Unknown, Type::Dynamic, "d4 00 00"),
    ];
    for (value, ty, want) in cases {
        let bytes = encode(&value, &ty).expect("encodes");
        assert_eq!(bytes, hex(want), "encoding of {value:?} as {ty}");
        assert_eq!(decode(&hex(want), &ty), Ok(value), "decoding {want}");
    }
    // Missing attributes are written as nil, in sorted order.
    assert_eq!(
        encode(&Value::object([("b", Value::from(1))]), &ab),
        Ok(hex("82 a1 61 c0 a1 62 01"))
    );
    let long = Value::string("y".repeat(40));
    let bytes = encode(&long, &Type::String).expect("encodes");
    assert_eq!(&bytes[..2], &[0xd9, 40], "str8 header");
    let list = Value::list((0..16).map(|_| Value::Null));
    let bytes = encode(&list, &Type::list(Type::Bool)).expect("encodes");
    assert_eq!(&bytes[..3], &[0xdc, 0, 16], "array16 header");
}

#[test]
fn decodes_other_encodings() {
    let cases: Vec<(&str, Type, Value)> = vec![
        // Every int and float width.
        ("cc ff", Type::Number, Value::from(255)),
        ("cd ff ff", Type::Number, Value::from(65535)),
        ("ce ff ff ff ff", Type::Number, Value::from(4294967295)),
        (
            "cf ff ff ff ff ff ff ff ff",
            Type::Number,
            Value::Number(Number::from(u64::MAX)),
        ),
        ("d0 80", Type::Number, Value::from(-128)),
        ("d1 80 00", Type::Number, Value::from(-32768)),
        ("d2 80 00 00 00", Type::Number, Value::from(-2147483648)),
        ("d3 ff ff ff ff ff ff ff ff", Type::Number, Value::from(-1)),
        ("ca 3f c0 00 00", Type::Number, num("1.5")),
        ("cb 3f f8 00 00 00 00 00 00", Type::Number, num("1.5")),
        // Float64 0.1 decodes to its exact binary value, as in cty.
        (
            "cb 3f b9 99 99 99 99 99 9a",
            Type::Number,
            num("0.1000000000000000055511151231257827021181583404541015625"),
        ),
        // Numbers as strings, including exponent forms and bin.
        ("a5 31 65 34 30 30", Type::Number, num("1e400")),
        ("a4 2d 30 2e 35", Type::Number, num("-0.5")),
        ("c4 02 34 32", Type::Number, Value::from(42)),
        // Strings as bin, and str8/str16 headers.
        ("c4 01 78", Type::String, Value::string("x")),
        ("d9 01 78", Type::String, Value::string("x")),
        ("da 00 01 78", Type::String, Value::string("x")),
        ("db 00 00 00 01 78", Type::String, Value::string("x")),
        // array16/array32/map16/map32 headers.
        (
            "dc 00 01 c3",
            Type::list(Type::Bool),
            Value::list([Value::Bool(true)]),
        ),
        (
            "dd 00 00 00 01 c3",
            Type::set(Type::Bool),
            Value::set([Value::Bool(true)]),
        ),
        (
            "de 00 01 a1 6b c2",
            Type::map(Type::Bool),
            Value::map([("k", Value::Bool(false))]),
        ),
        (
            "df 00 00 00 01 a1 6b c2",
            Type::map(Type::Bool),
            Value::map([("k", Value::Bool(false))]),
        ),
        // Absent object attributes decode as null; attribute order does not matter.
        (
            "81 a1 62 01",
            Type::object([("a", Type::String), ("b", Type::Number)]),
            Value::object([("a", Value::Null), ("b", Value::from(1))]),
        ),
        (
            "82 a1 62 01 a1 61 a1 78",
            Type::object([("a", Type::String), ("b", Type::Number)]),
            Value::object([("a", Value::string("x")), ("b", Value::from(1))]),
        ),
        (
            "80",
            Type::object([("a", Type::String)]),
            Value::object([("a", Value::Null)]),
        ),
        // Dynamic with the type as str, and a typed unknown/null inside.
        (
            "92 a8 22 73 74 72 69 6e 67 22 a1 78",
            Type::Dynamic,
            Value::string("x"),
        ),
        (
            "92 c4 08 22 73 74 72 69 6e 67 22 d4 00 00",
            Type::Dynamic,
            Value::Unknown,
        ),
        (
            "92 c4 08 22 6e 75 6d 62 65 72 22 c0",
            Type::Dynamic,
            Value::Null,
        ),
        // Any extension is unknown.
        ("d5 05 01 02", Type::String, Value::Unknown),
        ("d6 7f 01 02 03 04", Type::Bool, Value::Unknown),
        (
            "d7 00 00 00 00 00 00 00 00 00",
            Type::Number,
            Value::Unknown,
        ),
        (
            "d8 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
            Type::Number,
            Value::Unknown,
        ),
        ("c7 00 03", Type::list(Type::String), Value::Unknown),
        ("c8 00 01 09 ff", Type::Dynamic, Value::Unknown),
        ("c9 00 00 00 00 09", Type::Dynamic, Value::Unknown),
    ];
    for (bytes, ty, want) in cases {
        assert_eq!(
            decode(&hex(bytes), &ty),
            Ok(want),
            "decoding {bytes} as {ty}"
        );
    }
}

#[test]
fn refined_unknown_decodes_to_unknown() {
    // cty's refined unknown: ext type 12 whose payload is a msgpack map of
    // refinements, e.g. {1: true} ("definitely not null") and {2: "prefix"}.
    let refined = "c7 0a 0c 82 01 c3 02 a5 70 72 65 66 69";
    let ty = Type::object([("id", Type::String), ("arn", Type::String)]);
    let cases: Vec<(String, Type, Value)> = vec![
        (refined.to_string(), Type::String, Value::Unknown),
        (refined.to_string(), Type::Dynamic, Value::Unknown),
        ("d4 0c 00".to_string(), Type::Number, Value::Unknown),
        (
            format!("82 a3 61 72 6e {refined} a2 69 64 a1 78"),
            ty.clone(),
            Value::object([("id", Value::string("x")), ("arn", Value::Unknown)]),
        ),
        (
            format!("92 {refined} {refined}"),
            Type::list(Type::String),
            Value::list([Value::Unknown, Value::Unknown]),
        ),
    ];
    for (bytes, ty, want) in cases {
        assert_eq!(decode(&hex(&bytes), &ty), Ok(want), "decoding {bytes}");
    }
}

#[test]
fn unknowns_at_every_depth() {
    let inner = Type::object([("id", Type::String), ("ports", Type::list(Type::Number))]);
    let ty = Type::object([
        ("name", Type::String),
        ("items", Type::list(inner.clone())),
        ("tags", Type::map(Type::String)),
        ("zones", Type::set(Type::String)),
        ("pair", Type::tuple([Type::String, Type::Number])),
        ("any", Type::Dynamic),
    ]);
    let full = |name: Value, items: Value, tags: Value, zones: Value, pair: Value, any: Value| {
        Value::object([
            ("name", name),
            ("items", items),
            ("tags", tags),
            ("zones", zones),
            ("pair", pair),
            ("any", any),
        ])
    };
    let known_item = || {
        Value::object([
            ("id", Value::string("i")),
            ("ports", Value::list([Value::from(80)])),
        ])
    };
    let cases = vec![
        ("top level", Value::Unknown),
        (
            "object attribute",
            full(
                Value::Unknown,
                Value::list([]),
                Value::map::<&str>([]),
                Value::set([]),
                Value::tuple([Value::string("a"), Value::from(1)]),
                Value::Null,
            ),
        ),
        (
            "list element",
            full(
                Value::string("n"),
                Value::list([known_item(), Value::Unknown]),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
            ),
        ),
        (
            "map value",
            full(
                Value::string("n"),
                Value::Null,
                Value::map([("a", Value::string("x")), ("b", Value::Unknown)]),
                Value::Null,
                Value::Null,
                Value::Null,
            ),
        ),
        (
            "set element",
            full(
                Value::string("n"),
                Value::Null,
                Value::Null,
                Value::set([Value::string("z"), Value::Unknown]),
                Value::Null,
                Value::Null,
            ),
        ),
        (
            "tuple element",
            full(
                Value::string("n"),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::tuple([Value::Unknown, Value::from(1)]),
                Value::Unknown,
            ),
        ),
        (
            "nested 3 deep",
            full(
                Value::string("n"),
                Value::list([Value::object([
                    ("id", Value::string("i")),
                    ("ports", Value::list([Value::from(1), Value::Unknown])),
                ])]),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
            ),
        ),
        (
            "inside a dynamic value",
            full(
                Value::string("n"),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::object([("deep", Value::list([Value::Unknown]))]),
            ),
        ),
    ];
    for (name, value) in cases {
        let bytes = encode(&value, &ty).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            bytes.windows(3).any(|w| w == UNKNOWN),
            "{name}: unknown is encoded"
        );
        assert_eq!(decode(&bytes, &ty), Ok(value.clone()), "{name}");
        assert!(!value.is_wholly_known(), "{name}");
    }
}

#[test]
fn big_numbers_round_trip_exactly() {
    let cases = [
        "123456789012345678901234567890",
        "-123456789012345678901234567890",
        "1e400",
        "-1e400",
        "1e-400",
        "0.1",
        "3.14159265358979323846264338327950288419716939937510",
        "-9223372036854775808",
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551615",
        "18446744073709551616",
        "0.5",
        "1.7976931348623157e308",
    ];
    for text in cases {
        let value = num(text);
        for ty in [Type::Number, Type::Dynamic, Type::list(Type::Number)] {
            let value = if matches!(ty, Type::List(_)) {
                Value::list([value.clone()])
            } else {
                value.clone()
            };
            let bytes = encode(&value, &ty).expect("encodes");
            assert_eq!(decode(&bytes, &ty), Ok(value), "{text} as {ty}");
        }
    }
    assert_eq!(
        decode(
            &encode(&Value::from(i64::MIN), &Type::Number).unwrap(),
            &Type::Number
        )
        .ok()
        .and_then(|v| v.as_number().and_then(Number::as_i64)),
        Some(i64::MIN)
    );
    let max = Value::Number(Number::from(u64::MAX));
    assert_eq!(
        decode(&encode(&max, &Type::Number).unwrap(), &Type::Number),
        Ok(max)
    );
}

#[test]
fn dynamic_round_trips() {
    let values = [
        Value::Bool(true),
        Value::from(7),
        num("0.1"),
        Value::string("s"),
        Value::list([Value::string("a"), Value::Null]),
        Value::list([Value::string("a"), Value::from(1)]),
        Value::list([
            Value::list([Value::Bool(true), Value::from(1)]),
            Value::list([Value::from(1)]),
        ]),
        Value::set([Value::from(1)]),
        Value::map([("k", Value::list([]))]),
        Value::object([
            ("a", Value::Null),
            ("b", Value::object([("c", Value::Bool(false))])),
        ]),
        Value::tuple([Value::Null, Value::Unknown, Value::string("t")]),
        Value::list([]),
        Value::object::<&str>([]),
    ];
    for value in values {
        let ty = Type::object([("v", Type::Dynamic)]);
        let wrapped = Value::object([("v", value.clone())]);
        let bytes = encode(&wrapped, &ty).expect("encodes");
        assert_eq!(decode(&bytes, &ty), Ok(wrapped), "{value:?}");
        let bytes = encode(&value, &Type::Dynamic).expect("encodes");
        assert_eq!(bytes[0], 0x92, "dynamic pair for {value:?}");
        assert_eq!(decode(&bytes, &Type::Dynamic), Ok(value));
    }
}

#[test]
fn rejects_bad_input_with_paths() {
    let net = Type::object([(
        "network",
        Type::object([("subnet_ids", Type::list(Type::String))]),
    )]);
    let cases: Vec<(&str, Type, &str)> = vec![
        (
            "81 a7 6e 65 74 77 6f 72 6b 81 aa 73 75 62 6e 65 74 5f 69 64 73 92 a1 61 c3",
            net.clone(),
            "at `network.subnet_ids[1]`: expected string, found bool",
        ),
        (
            "81 a3 76 70 63 c0",
            net.clone(),
            "unsupported attribute `vpc`",
        ),
        (
            "81 a7 6e 65 74 77 6f 72 6b 81 a1 78 c0",
            net,
            "at `network`: unsupported attribute `x`",
        ),
        ("c3", Type::String, "expected string, found bool"),
        ("a1 78", Type::Number, "`x` is not a valid number"),
        ("a1 78", Type::Bool, "expected bool, found string"),
        (
            "01",
            Type::list(Type::Bool),
            "expected list of bool, found integer",
        ),
        (
            "90",
            Type::map(Type::Bool),
            "expected map of bool, found array",
        ),
        ("80", Type::tuple([]), "expected tuple, found map"),
        (
            "92 c3 c3",
            Type::tuple([Type::Bool]),
            "expected a tuple of 1 elements, found 2",
        ),
        (
            "81 01 c3",
            Type::map(Type::Bool),
            "expected string key, found integer",
        ),
        (
            "82 a1 6b c3 a1 6b c2",
            Type::map(Type::Bool),
            "duplicate key `k`",
        ),
        (
            "81 a1 6b 01",
            Type::map(Type::Bool),
            "at `[\"k\"]`: expected bool, found integer",
        ),
        ("c3 c3", Type::Bool, "`1` trailing bytes after the value"),
        ("", Type::Bool, "unexpected end of input"),
        ("a2 78", Type::String, "unexpected end of input"),
        ("92 c3", Type::list(Type::Bool), "unexpected end of input"),
        (
            "dd ff ff ff ff",
            Type::list(Type::Bool),
            "unexpected end of input",
        ),
        (
            "df ff ff ff ff",
            Type::map(Type::Bool),
            "unexpected end of input",
        ),
        ("db ff ff ff ff", Type::String, "unexpected end of input"),
        ("c9 ff ff ff ff 00", Type::String, "unexpected end of input"),
        ("cb 00", Type::Number, "unexpected end of input"),
        ("a2 c3 28", Type::String, "string is not valid UTF-8"),
        ("c1", Type::Bool, "invalid msgpack byte `0xc1`"),
        (
            "cb 7f f0 00 00 00 00 00 00",
            Type::Number,
            "number `inf` is not finite",
        ),
        ("ca 7f c0 00 00", Type::Number, "number `NaN` is not finite"),
        (
            "c3",
            Type::Dynamic,
            "invalid dynamic value: expected a [type, value] array, found bool",
        ),
        (
            "91 c3",
            Type::Dynamic,
            "invalid dynamic value: expected a [type, value] array, found 1 elements",
        ),
        (
            "92 c3 c3",
            Type::Dynamic,
            "invalid dynamic value: expected type JSON, found bool",
        ),
        (
            "92 a3 22 78 22 c3",
            Type::Dynamic,
            "invalid type in dynamic value: unsupported type `\"x\"`",
        ),
        (
            "92 c4 08 22 73 74 72 69 6e 67 22 c3",
            Type::Dynamic,
            "expected string, found bool",
        ),
    ];
    for (bytes, ty, want) in cases {
        let err = decode(&hex(bytes), &ty).expect_err(bytes);
        assert_eq!(err.to_string(), want, "decoding {bytes} as {ty}");
    }
}

#[test]
fn depth_is_limited() {
    let nested = |levels: usize| {
        let mut ty = Type::Bool;
        for _ in 0..levels {
            ty = Type::list(ty);
        }
        let mut bytes = vec![0x91; levels];
        bytes.push(0xc3);
        (ty, bytes)
    };
    let (ty, bytes) = nested(MAX_DEPTH);
    assert!(decode(&bytes, &ty).is_ok(), "{MAX_DEPTH} levels are fine");
    let (ty, bytes) = nested(MAX_DEPTH + 1);
    assert!(matches!(
        decode(&bytes, &ty),
        Err(DecodeError::TooDeep { .. })
    ));
    // Dynamic values nesting dynamic types cannot recurse without bound either.
    let mut bytes = Vec::new();
    for _ in 0..1000 {
        bytes.extend(hex("92 a9 22 64 79 6e 61 6d 69 63 22"));
    }
    bytes.push(0xc3);
    assert!(matches!(
        decode(&bytes, &Type::Dynamic),
        Err(DecodeError::TooDeep { .. })
    ));
}

#[test]
fn encode_errors_name_the_path() {
    let ty = Type::object([
        ("ids", Type::list(Type::String)),
        ("pair", Type::tuple([Type::Bool])),
    ]);
    let cases = vec![
        (
            Value::object([("ids", Value::list([Value::string("a"), Value::from(1)]))]),
            "at `ids[1]`: expected string, found number",
        ),
        (
            Value::object([("nope", Value::Null)]),
            "unsupported attribute `nope`",
        ),
        (
            Value::object([("pair", Value::tuple([]))]),
            "at `pair`: expected a tuple of 1 elements, found 0",
        ),
        (Value::string("x"), "expected object, found string"),
        (
            Value::object([("ids", Value::map([("k", Value::Null)]))]),
            "at `ids`: expected list of string, found map",
        ),
    ];
    for (value, want) in cases {
        let err = encode(&value, &ty).expect_err(want);
        assert_eq!(err.to_string(), want);
    }
    let err = encode(
        &Value::map([("k", Value::Bool(true))]),
        &Type::map(Type::Number),
    )
    .expect_err("mismatch");
    assert_eq!(err.path(), &AttributePath::root().then_key("k"));
}

#[test]
fn lenient_collection_kinds_on_encode() {
    // A list value may be encoded as a set or tuple, and a map value as an object.
    let set = encode(&Value::list([Value::from(1)]), &Type::set(Type::Number)).unwrap();
    assert_eq!(set, hex("91 01"));
    let object = encode(
        &Value::map([("a", Value::string("x"))]),
        &Type::object([("a", Type::String)]),
    )
    .unwrap();
    assert_eq!(object, hex("81 a1 61 a1 78"));
}

/// Types used by the fuzz-style properties below.
fn fuzz_types() -> Vec<Type> {
    vec![
        Type::String,
        Type::Number,
        Type::Dynamic,
        Type::list(Type::String),
        Type::map(Type::Number),
        Type::set(Type::Bool),
        Type::object([
            ("a", Type::String),
            ("b", Type::list(Type::Dynamic)),
            ("c", Type::tuple([Type::Bool, Type::Number])),
        ]),
        Type::list(Type::object([("x", Type::map(Type::Dynamic))])),
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
    fn mutated_encodings_never_panic(
        index in proptest::num::usize::ANY,
        edits in proptest::collection::vec((proptest::num::usize::ANY, proptest::num::u8::ANY), 1..6),
        cut in proptest::option::of(proptest::num::usize::ANY),
    ) {
        let samples: Vec<(Value, Type)> = every_type_sample()
            .into_iter()
            .chain([(
                Value::object([
                    ("a", Value::string("text")),
                    ("b", Value::list([Value::from(1), Value::string("x"), Value::Unknown])),
                    ("c", Value::tuple([Value::Bool(true), num("1e400")])),
                ]),
                fuzz_types()[6].clone(),
            )])
            .collect();
        let (value, ty) = &samples[index % samples.len()];
        let mut bytes = encode(value, ty).expect("sample encodes");
        for (at, byte) in edits {
            let len = bytes.len();
            bytes[at % len] = byte;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut % (bytes.len() + 1));
        }
        let _ = decode(&bytes, ty);
        for other in fuzz_types() {
            let _ = decode(&bytes, &other);
        }
    }
}
