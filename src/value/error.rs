//! Errors shared by the msgpack and JSON codecs; every one names the attribute path
//! where it happened, so a diagnostic reads "at `network.subnet_ids[1]`: expected string,
//! found bool".

use super::number::NumberError;
use super::path::AttributePath;
use super::ty::TypeError;

/// Renders the `at `path`: ` prefix of a message, or nothing for the root.
fn at(path: &AttributePath) -> String {
    if path.is_root() {
        String::new()
    } else {
        format!("at `{path}`: ")
    }
}

/// Why bytes could not be decoded into a [`Value`](super::Value) of a given type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input ended in the middle of a value.
    #[error("{}unexpected end of input", at(.path))]
    Truncated {
        /// Where the missing value belongs.
        path: AttributePath,
    },
    /// A complete value was followed by more bytes.
    #[error("{}`{count}` trailing bytes after the value", at(.path))]
    TrailingBytes {
        /// Always the root: the whole input.
        path: AttributePath,
        /// How many bytes were left over.
        count: usize,
    },
    /// Containers were nested deeper than [`MAX_DEPTH`](super::MAX_DEPTH).
    #[error("{}value is nested deeper than {limit} levels", at(.path))]
    TooDeep {
        /// The container that went over the limit.
        path: AttributePath,
        /// The limit that was exceeded.
        limit: usize,
    },
    /// The input holds a different kind of value than the type asks for.
    #[error("{}expected {expected}, found {found}", at(.path))]
    Mismatch {
        /// Where the value was found.
        path: AttributePath,
        /// What the type asked for.
        expected: String,
        /// What the input held instead.
        found: String,
    },
    /// An object carries an attribute its type does not have.
    #[error("{}unsupported attribute `{name}`", at(.path))]
    UnsupportedAttribute {
        /// The object holding the attribute.
        path: AttributePath,
        /// The attribute's name.
        name: String,
    },
    /// An object or map names the same key twice.
    #[error("{}duplicate key `{key}`", at(.path))]
    DuplicateKey {
        /// The object or map.
        path: AttributePath,
        /// The repeated key.
        key: String,
    },
    /// A tuple has the wrong number of elements.
    #[error("{}expected a tuple of {expected} elements, found {found}", at(.path))]
    TupleLength {
        /// The tuple.
        path: AttributePath,
        /// How many elements the type has.
        expected: usize,
        /// How many the input held.
        found: usize,
    },
    /// A number could not be parsed.
    #[error("{}{error}", at(.path))]
    InvalidNumber {
        /// Where the number was found.
        path: AttributePath,
        /// What was wrong with it.
        error: NumberError,
    },
    /// A float was infinite or NaN, which cty numbers here cannot hold.
    #[error("{}number `{text}` is not finite", at(.path))]
    NotFinite {
        /// Where the number was found.
        path: AttributePath,
        /// The float as Rust prints it.
        text: String,
    },
    /// A string was not valid UTF-8.
    #[error("{}string is not valid UTF-8", at(.path))]
    InvalidUtf8 {
        /// Where the string was found.
        path: AttributePath,
    },
    /// A value at a dynamic position was not a `[type, value]` pair (or `{"value", "type"}`).
    #[error("{}invalid dynamic value: {reason}", at(.path))]
    InvalidDynamic {
        /// Where the dynamic value was found.
        path: AttributePath,
        /// What was wrong with it.
        reason: String,
    },
    /// The type recorded in a dynamic value could not be parsed.
    #[error("{}invalid type in dynamic value: {error}", at(.path))]
    InvalidType {
        /// Where the dynamic value was found.
        path: AttributePath,
        /// What was wrong with the type.
        error: TypeError,
    },
    /// A byte that msgpack reserves and never uses (`0xc1`).
    #[error("{}invalid msgpack byte `{byte:#04x}`", at(.path))]
    ReservedByte {
        /// Where the byte was found.
        path: AttributePath,
        /// The byte.
        byte: u8,
    },
    /// The input is not JSON at all.
    #[error("{}invalid JSON: {message}", at(.path))]
    Json {
        /// Always the root: the whole input.
        path: AttributePath,
        /// The JSON parser's message.
        message: String,
    },
}

impl DecodeError {
    /// The attribute path where the error happened.
    pub fn path(&self) -> &AttributePath {
        match self {
            Self::Truncated { path }
            | Self::TrailingBytes { path, .. }
            | Self::TooDeep { path, .. }
            | Self::Mismatch { path, .. }
            | Self::UnsupportedAttribute { path, .. }
            | Self::DuplicateKey { path, .. }
            | Self::TupleLength { path, .. }
            | Self::InvalidNumber { path, .. }
            | Self::NotFinite { path, .. }
            | Self::InvalidUtf8 { path }
            | Self::InvalidDynamic { path, .. }
            | Self::InvalidType { path, .. }
            | Self::ReservedByte { path, .. }
            | Self::Json { path, .. } => path,
        }
    }
}

/// Why a [`Value`](super::Value) could not be encoded as a given type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The value is a different kind than the type asks for.
    #[error("{}expected {expected}, found {found}", at(.path))]
    Mismatch {
        /// Where the value is.
        path: AttributePath,
        /// What the type asked for.
        expected: String,
        /// What kind of value was given.
        found: String,
    },
    /// An object value carries an attribute its type does not have.
    #[error("{}unsupported attribute `{name}`", at(.path))]
    UnsupportedAttribute {
        /// The object holding the attribute.
        path: AttributePath,
        /// The attribute's name.
        name: String,
    },
    /// A tuple value has the wrong number of elements.
    #[error("{}expected a tuple of {expected} elements, found {found}", at(.path))]
    TupleLength {
        /// The tuple.
        path: AttributePath,
        /// How many elements the type has.
        expected: usize,
        /// How many the value has.
        found: usize,
    },
    /// JSON cannot represent unknown values.
    #[error("{}unknown values cannot be encoded as JSON", at(.path))]
    Unknown {
        /// Where the unknown value is.
        path: AttributePath,
    },
    /// A string, collection or type is longer than msgpack can describe (`u32::MAX`).
    #[error("{}length `{len}` is too long for msgpack", at(.path))]
    TooLong {
        /// Where the value is.
        path: AttributePath,
        /// Its length.
        len: usize,
    },
    /// A number's text was not accepted by the JSON library.
    #[error("{}number `{text}` cannot be written as JSON", at(.path))]
    InvalidNumber {
        /// Where the number is.
        path: AttributePath,
        /// The number's text.
        text: String,
    },
}

impl EncodeError {
    /// The attribute path where the error happened.
    pub fn path(&self) -> &AttributePath {
        match self {
            Self::Mismatch { path, .. }
            | Self::UnsupportedAttribute { path, .. }
            | Self::TupleLength { path, .. }
            | Self::Unknown { path }
            | Self::TooLong { path, .. }
            | Self::InvalidNumber { path, .. } => path,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_path() {
        let path = AttributePath::attr("network")
            .then_attr("subnet_ids")
            .then_index(1);
        let cases: Vec<(String, &str)> = vec![
            (
                DecodeError::Mismatch {
                    path: path.clone(),
                    expected: "string".into(),
                    found: "bool".into(),
                }
                .to_string(),
                "at `network.subnet_ids[1]`: expected string, found bool",
            ),
            (
                DecodeError::UnsupportedAttribute {
                    path: AttributePath::attr("network"),
                    name: "vpc".into(),
                }
                .to_string(),
                "at `network`: unsupported attribute `vpc`",
            ),
            (
                DecodeError::TrailingBytes {
                    path: AttributePath::root(),
                    count: 2,
                }
                .to_string(),
                "`2` trailing bytes after the value",
            ),
            (
                EncodeError::Unknown { path: path.clone() }.to_string(),
                "at `network.subnet_ids[1]`: unknown values cannot be encoded as JSON",
            ),
            (
                DecodeError::ReservedByte {
                    path: AttributePath::attr("a"),
                    byte: 0xc1,
                }
                .to_string(),
                "at `a`: invalid msgpack byte `0xc1`",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
        assert_eq!(
            EncodeError::Unknown { path: path.clone() }.path(),
            &path,
            "path accessor"
        );
    }
}
