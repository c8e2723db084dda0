//! cty's msgpack encoding of values, byte for byte as Terraform uses it for
//! `DynamicValue.msgpack`.
//!
//! * null is `nil`; an unknown value is any msgpack extension (encoded as `d4 00 00`; on
//!   decode every extension type and payload is accepted, including cty's "refined
//!   unknown" type 12 whose payload is ignored).
//! * Numbers are the smallest msgpack int when they are integers fitting `i64`, else a
//!   float64 when that float is exactly the number, else the decimal text as a string
//!   (`"0.1"`, `"1e400"`). Decoding accepts every int and float width and numeric strings.
//! * Lists, sets and tuples are arrays; maps are maps with string keys; objects are maps
//!   holding every attribute of the type in sorted order (absent ones as `nil`).
//! * At a dynamic position a known value is the pair `[type JSON as bin, value]`; an
//!   unknown is the bare extension and a null is `nil`. Decoding also accepts the type
//!   JSON as a str, and a typed null or unknown inside the pair.
//!
//! Decoding tolerates object attributes missing from the input (they decode as null) but
//! rejects attribute names the type does not have.

use std::collections::BTreeMap;
use std::convert::Infallible;

use rmp::encode::{self as enc, ByteBuf, ValueWriteError};

use super::MAX_DEPTH;
use super::number::Number;
use super::path::{AttributePath, PathStep};
use super::ty::Type;
use super::value::{NULL, Value};

pub use super::error::{DecodeError, EncodeError};

/// The bytes cty writes for an unknown value: fixext1, type 0, data 0.
pub const UNKNOWN: [u8; 3] = [0xd4, 0x00, 0x00];

/// Encodes `value` as msgpack conforming to `ty`.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, EncodeError> {
    let mut encoder = Encoder {
        out: ByteBuf::new(),
        path: AttributePath::root(),
    };
    encoder.value(value, ty)?;
    Ok(encoder.out.into_vec())
}

/// Decodes msgpack `bytes` as a value of type `ty`; the input must hold exactly one value.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, DecodeError> {
    let mut decoder = Decoder {
        input: bytes,
        pos: 0,
        path: AttributePath::root(),
        depth: 0,
    };
    let value = decoder.value(ty)?;
    if decoder.pos != bytes.len() {
        return Err(DecodeError::TrailingBytes {
            path: AttributePath::root(),
            count: bytes.len() - decoder.pos,
        });
    }
    Ok(value)
}

/// Unwraps results of writes into a [`ByteBuf`], which cannot fail.
trait Infallibly<T> {
    /// The written result.
    fn infallibly(self) -> T;
}

impl<T> Infallibly<T> for Result<T, ValueWriteError<Infallible>> {
    fn infallibly(self) -> T {
        match self {
            Ok(v) => v,
            Err(ValueWriteError::InvalidMarkerWrite(e) | ValueWriteError::InvalidDataWrite(e)) => {
                match e {}
            }
        }
    }
}

impl<T> Infallibly<T> for Result<T, Infallible> {
    fn infallibly(self) -> T {
        match self {
            Ok(v) => v,
            Err(e) => match e {},
        }
    }
}

/// Writes msgpack while tracking the path of the value being written.
struct Encoder {
    /// The bytes so far.
    out: ByteBuf,
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

    /// A length as msgpack's `u32`, or [`EncodeError::TooLong`].
    fn len(&self, len: usize) -> Result<u32, EncodeError> {
        u32::try_from(len).map_err(|_| EncodeError::TooLong {
            path: self.path.clone(),
            len,
        })
    }

    /// Writes `value` at a position of type `ty`.
    fn value(&mut self, value: &Value, ty: &Type) -> Result<(), EncodeError> {
        match value {
            Value::Unknown => {
                self.out.as_mut_vec().extend_from_slice(&UNKNOWN);
                return Ok(());
            }
            Value::Null => {
                enc::write_nil(&mut self.out).infallibly();
                return Ok(());
            }
            _ => {}
        }
        match (ty, value) {
            (Type::Dynamic, _) => {
                let inferred = value.infer_type();
                let type_json = inferred.to_json_bytes();
                enc::write_array_len(&mut self.out, 2).infallibly();
                let len = self.len(type_json.len())?;
                enc::write_bin_len(&mut self.out, len).infallibly();
                self.out.as_mut_vec().extend_from_slice(&type_json);
                self.value(value, &inferred)
            }
            (Type::Bool, Value::Bool(b)) => {
                enc::write_bool(&mut self.out, *b).infallibly();
                Ok(())
            }
            (Type::Number, Value::Number(n)) => {
                self.number(n)?;
                Ok(())
            }
            (Type::String, Value::String(s)) => self.string(s),
            (
                Type::List(element) | Type::Set(element),
                Value::List(items) | Value::Set(items) | Value::Tuple(items),
            ) => {
                let len = self.len(items.len())?;
                enc::write_array_len(&mut self.out, len).infallibly();
                for (i, item) in items.iter().enumerate() {
                    self.path.steps.push(PathStep::Index(i as i64));
                    self.value(item, element)?;
                    self.path.steps.pop();
                }
                Ok(())
            }
            (Type::Tuple(types), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
                if types.len() != items.len() {
                    return Err(EncodeError::TupleLength {
                        path: self.path.clone(),
                        expected: types.len(),
                        found: items.len(),
                    });
                }
                let len = self.len(items.len())?;
                enc::write_array_len(&mut self.out, len).infallibly();
                for (i, (item, element)) in items.iter().zip(types).enumerate() {
                    self.path.steps.push(PathStep::Index(i as i64));
                    self.value(item, element)?;
                    self.path.steps.pop();
                }
                Ok(())
            }
            (Type::Map(element), Value::Map(entries) | Value::Object(entries)) => {
                let len = self.len(entries.len())?;
                enc::write_map_len(&mut self.out, len).infallibly();
                for (key, item) in entries {
                    self.string(key)?;
                    self.path.steps.push(PathStep::Key(key.clone()));
                    self.value(item, element)?;
                    self.path.steps.pop();
                }
                Ok(())
            }
            (Type::Object(object), Value::Object(attrs) | Value::Map(attrs)) => {
                if let Some(name) = attrs.keys().find(|k| !object.attrs.contains_key(*k)) {
                    return Err(EncodeError::UnsupportedAttribute {
                        path: self.path.clone(),
                        name: name.clone(),
                    });
                }
                let len = self.len(object.attrs.len())?;
                enc::write_map_len(&mut self.out, len).infallibly();
                for (name, attr_type) in &object.attrs {
                    self.string(name)?;
                    self.path.steps.push(PathStep::Attr(name.clone()));
                    self.value(attrs.get(name).unwrap_or(&NULL), attr_type)?;
                    self.path.steps.pop();
                }
                Ok(())
            }
            _ => Err(self.mismatch(ty, value)),
        }
    }

    /// Writes a string.
    fn string(&mut self, s: &str) -> Result<(), EncodeError> {
        let len = self.len(s.len())?;
        enc::write_str_len(&mut self.out, len).infallibly();
        self.out.as_mut_vec().extend_from_slice(s.as_bytes());
        Ok(())
    }

    /// Writes a number the way cty does: int, else exact float64, else decimal string.
    fn number(&mut self, n: &Number) -> Result<(), EncodeError> {
        if let Some(i) = n.as_i64() {
            enc::write_sint(&mut self.out, i).infallibly();
        } else if let Some(f) = n.exact_f64() {
            enc::write_f64(&mut self.out, f).infallibly();
        } else {
            self.string(&n.to_string())?;
        }
        Ok(())
    }
}

/// A short name for the msgpack value starting with `marker`, for error messages.
fn describe(marker: u8) -> &'static str {
    match marker {
        0x00..=0x7f | 0xe0..=0xff | 0xcc..=0xd3 => "integer",
        0x80..=0x8f | 0xde | 0xdf => "map",
        0x90..=0x9f | 0xdc | 0xdd => "array",
        0xa0..=0xbf | 0xd9..=0xdb => "string",
        0xc0 => "nil",
        0xc1 => "reserved byte",
        0xc2 | 0xc3 => "bool",
        0xc4..=0xc6 => "binary",
        0xc7..=0xc9 | 0xd4..=0xd8 => "extension",
        0xca | 0xcb => "float",
    }
}

/// True when `marker` starts an extension value (an unknown).
fn is_ext(marker: u8) -> bool {
    matches!(marker, 0xc7..=0xc9 | 0xd4..=0xd8)
}

/// Reads msgpack from a byte slice, bounds-checked, tracking path and depth.
struct Decoder<'a> {
    /// The whole input.
    input: &'a [u8],
    /// The next byte to read.
    pos: usize,
    /// Where the value being read lives.
    path: AttributePath,
    /// How many containers enclose the value being read.
    depth: usize,
}

impl<'a> Decoder<'a> {
    /// Bytes not yet read.
    fn remaining(&self) -> usize {
        self.input.len() - self.pos
    }

    /// A [`DecodeError::Truncated`] at the current path.
    fn truncated(&self) -> DecodeError {
        DecodeError::Truncated {
            path: self.path.clone(),
        }
    }

    /// A [`DecodeError::Mismatch`] at the current path.
    fn mismatch(&self, expected: impl ToString, marker: u8) -> DecodeError {
        DecodeError::Mismatch {
            path: self.path.clone(),
            expected: expected.to_string(),
            found: describe(marker).to_string(),
        }
    }

    /// The next byte, without consuming it.
    fn peek(&self) -> Result<u8, DecodeError> {
        self.input
            .get(self.pos)
            .copied()
            .ok_or_else(|| self.truncated())
    }

    /// The next `n` bytes.
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.remaining() {
            return Err(self.truncated());
        }
        let bytes = &self.input[self.pos..self.pos + n];
        self.pos += n;
        Ok(bytes)
    }

    /// The next byte.
    fn byte(&mut self) -> Result<u8, DecodeError> {
        let b = self.peek()?;
        self.pos += 1;
        Ok(b)
    }

    /// The next `N` bytes as an array.
    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    /// A big-endian length of `width` bytes (1, 2 or 4).
    fn length(&mut self, width: usize) -> Result<usize, DecodeError> {
        Ok(match width {
            1 => usize::from(self.byte()?),
            2 => usize::from(u16::from_be_bytes(self.array()?)),
            _ => u32::from_be_bytes(self.array()?) as usize,
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

    /// Leaves a container.
    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Skips an extension value, whatever its type and payload.
    fn skip_ext(&mut self) -> Result<(), DecodeError> {
        let payload = match self.byte()? {
            0xd4 => 1,
            0xd5 => 2,
            0xd6 => 4,
            0xd7 => 8,
            0xd8 => 16,
            0xc7 => self.length(1)?,
            0xc8 => self.length(2)?,
            _ => self.length(4)?,
        };
        // The type byte, then the payload.
        self.take(1 + payload)?;
        Ok(())
    }

    /// Reads an array header, returning its length checked against the remaining input
    /// (each element takes at least one byte); `None` when the next value is no array.
    fn array_len(&mut self) -> Result<Option<usize>, DecodeError> {
        let len = match self.peek()? {
            m @ 0x90..=0x9f => {
                self.pos += 1;
                usize::from(m & 0x0f)
            }
            0xdc => {
                self.pos += 1;
                self.length(2)?
            }
            0xdd => {
                self.pos += 1;
                self.length(4)?
            }
            _ => return Ok(None),
        };
        if len > self.remaining() {
            return Err(self.truncated());
        }
        Ok(Some(len))
    }

    /// Reads a map header, returning its length checked against the remaining input
    /// (each entry takes at least two bytes); `None` when the next value is no map.
    fn map_len(&mut self) -> Result<Option<usize>, DecodeError> {
        let len = match self.peek()? {
            m @ 0x80..=0x8f => {
                self.pos += 1;
                usize::from(m & 0x0f)
            }
            0xde => {
                self.pos += 1;
                self.length(2)?
            }
            0xdf => {
                self.pos += 1;
                self.length(4)?
            }
            _ => return Ok(None),
        };
        if len > self.remaining() / 2 {
            return Err(self.truncated());
        }
        Ok(Some(len))
    }

    /// Reads the bytes of a str or bin value; `None` when the next value is neither.
    fn raw_bytes(&mut self) -> Result<Option<&'a [u8]>, DecodeError> {
        let len = match self.peek()? {
            m @ 0xa0..=0xbf => {
                self.pos += 1;
                usize::from(m & 0x1f)
            }
            0xd9 | 0xc4 => {
                self.pos += 1;
                self.length(1)?
            }
            0xda | 0xc5 => {
                self.pos += 1;
                self.length(2)?
            }
            0xdb | 0xc6 => {
                self.pos += 1;
                self.length(4)?
            }
            _ => return Ok(None),
        };
        self.take(len).map(Some)
    }

    /// Reads a str (or bin) value as UTF-8 text, described as `expected` in errors.
    fn text(&mut self, expected: &str) -> Result<&'a str, DecodeError> {
        let marker = self.peek()?;
        let bytes = self
            .raw_bytes()?
            .ok_or_else(|| self.mismatch(expected, marker))?;
        std::str::from_utf8(bytes).map_err(|_| DecodeError::InvalidUtf8 {
            path: self.path.clone(),
        })
    }

    /// Reads a value of type `ty`.
    fn value(&mut self, ty: &Type) -> Result<Value, DecodeError> {
        let marker = self.peek()?;
        if is_ext(marker) {
            self.skip_ext()?;
            return Ok(Value::Unknown);
        }
        if marker == 0xc1 {
            return Err(DecodeError::ReservedByte {
                path: self.path.clone(),
                byte: marker,
            });
        }
        if *ty == Type::Dynamic {
            return self.dynamic();
        }
        if marker == 0xc0 {
            self.pos += 1;
            return Ok(Value::Null);
        }
        match ty {
            Type::Bool => match marker {
                0xc2 | 0xc3 => {
                    self.pos += 1;
                    Ok(Value::Bool(marker == 0xc3))
                }
                _ => Err(self.mismatch(ty, marker)),
            },
            Type::Number => self.number().map(Value::Number),
            Type::String => self.text("string").map(Value::string),
            Type::List(element) => self.sequence(ty, None, |_| element).map(Value::List),
            Type::Set(element) => self.sequence(ty, None, |_| element).map(Value::Set),
            Type::Tuple(types) => self
                .sequence(ty, Some(types.len()), |i| &types[i])
                .map(Value::Tuple),
            Type::Map(element) => self
                .entries(ty, |_| Some(element), PathStep::Key)
                .map(Value::Map),
            Type::Object(object) => self
                .entries(ty, |name| object.attrs.get(name), PathStep::Attr)
                .map(Value::Object),
            Type::Dynamic => self.dynamic(),
        }
    }

    /// Reads an array whose `i`th element has type `element(i)`; tuples pass their
    /// required length.
    fn sequence<'t>(
        &mut self,
        ty: &Type,
        tuple_len: Option<usize>,
        element: impl Fn(usize) -> &'t Type,
    ) -> Result<Vec<Value>, DecodeError> {
        let marker = self.peek()?;
        let len = self.array_len()?.ok_or_else(|| self.mismatch(ty, marker))?;
        if let Some(expected) = tuple_len.filter(|&expected| expected != len) {
            return Err(DecodeError::TupleLength {
                path: self.path.clone(),
                expected,
                found: len,
            });
        }
        self.enter()?;
        let mut items = Vec::with_capacity(len);
        for i in 0..len {
            self.path.steps.push(PathStep::Index(i as i64));
            items.push(self.value(element(i))?);
            self.path.steps.pop();
        }
        self.leave();
        Ok(items)
    }

    /// Reads a map whose entry `k` has type `element(k)`; keys without a type are
    /// unsupported attributes. Object types also get nulls for absent attributes.
    fn entries<'t>(
        &mut self,
        ty: &'t Type,
        element: impl Fn(&str) -> Option<&'t Type>,
        step: fn(String) -> PathStep,
    ) -> Result<BTreeMap<String, Value>, DecodeError> {
        let marker = self.peek()?;
        let len = self.map_len()?.ok_or_else(|| self.mismatch(ty, marker))?;
        self.enter()?;
        let mut entries = BTreeMap::new();
        for _ in 0..len {
            let key = self.text("string key")?;
            let Some(element_type) = element(key) else {
                return Err(DecodeError::UnsupportedAttribute {
                    path: self.path.clone(),
                    name: key.to_string(),
                });
            };
            if entries.contains_key(key) {
                return Err(DecodeError::DuplicateKey {
                    path: self.path.clone(),
                    key: key.to_string(),
                });
            }
            self.path.steps.push(step(key.to_string()));
            let item = self.value(element_type)?;
            self.path.steps.pop();
            entries.insert(key.to_string(), item);
        }
        self.leave();
        if let Type::Object(object) = ty {
            for name in object.attrs.keys() {
                if !entries.contains_key(name) {
                    entries.insert(name.clone(), Value::Null);
                }
            }
        }
        Ok(entries)
    }

    /// Reads a number: any int or float width, or a numeric string.
    fn number(&mut self) -> Result<Number, DecodeError> {
        let marker = self.peek()?;
        if !matches!(marker, 0x00..=0x7f | 0xe0..=0xff | 0xca..=0xd3) {
            let text = self.text("number")?;
            return text.parse().map_err(|error| DecodeError::InvalidNumber {
                path: self.path.clone(),
                error,
            });
        }
        self.pos += 1;
        let number = match marker {
            0x00..=0x7f => Number::from(i64::from(marker)),
            0xe0..=0xff => Number::from(i64::from(marker as i8)),
            0xcc => Number::from(u64::from(self.byte()?)),
            0xcd => Number::from(u64::from(u16::from_be_bytes(self.array()?))),
            0xce => Number::from(u64::from(u32::from_be_bytes(self.array()?))),
            0xcf => Number::from(u64::from_be_bytes(self.array()?)),
            0xd0 => Number::from(i64::from(self.byte()? as i8)),
            0xd1 => Number::from(i64::from(i16::from_be_bytes(self.array()?))),
            0xd2 => Number::from(i64::from(i32::from_be_bytes(self.array()?))),
            0xd3 => Number::from(i64::from_be_bytes(self.array()?)),
            0xca => {
                let float = f32::from_be_bytes(self.array()?);
                self.float(f64::from(float))?
            }
            _ => {
                let float = f64::from_be_bytes(self.array()?);
                self.float(float)?
            }
        };
        Ok(number)
    }

    /// The exact value of a decoded float, which must be finite.
    fn float(&self, f: f64) -> Result<Number, DecodeError> {
        Number::from_f64(f).ok_or_else(|| DecodeError::NotFinite {
            path: self.path.clone(),
            text: f.to_string(),
        })
    }

    /// Reads a value at a dynamic position: `nil` or `[type JSON, value]`.
    fn dynamic(&mut self) -> Result<Value, DecodeError> {
        let marker = self.peek()?;
        if marker == 0xc0 {
            self.pos += 1;
            return Ok(Value::Null);
        }
        let invalid = |d: &Self, reason: String| DecodeError::InvalidDynamic {
            path: d.path.clone(),
            reason,
        };
        let len = self.array_len()?.ok_or_else(|| {
            invalid(
                self,
                format!("expected a [type, value] array, found {}", describe(marker)),
            )
        })?;
        if len != 2 {
            return Err(invalid(
                self,
                format!("expected a [type, value] array, found {len} elements"),
            ));
        }
        self.enter()?;
        let type_marker = self.peek()?;
        let type_json = self.raw_bytes()?.ok_or_else(|| {
            invalid(
                self,
                format!("expected type JSON, found {}", describe(type_marker)),
            )
        })?;
        let ty = Type::from_json_bytes(type_json).map_err(|error| DecodeError::InvalidType {
            path: self.path.clone(),
            error,
        })?;
        let value = self.value(&ty)?;
        self.leave();
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
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
        let full =
            |name: Value, items: Value, tags: Value, zones: Value, pair: Value, any: Value| {
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
}
