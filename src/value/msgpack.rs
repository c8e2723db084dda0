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
mod tests;
