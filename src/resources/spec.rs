//! The import record: the inputs a configuration sets that the cloud does not hold as such
//! (a size, a policy override, a scaling block), written as `key=value` pairs where each host
//! keeps strings — AWS tags, Fly.io machine metadata, a Worker binding — and read back by
//! `terraform import`. One codec for every resource; a resource supplies a table of the
//! attributes it records ([`Field`]).
//!
//! The format, kept readable in a console and within every host's tag alphabet: pairs are
//! separated by spaces; a text's spaces are written `+`; a list's items are joined by `/`;
//! a map's entries are `key.entry=value`; a block is the marker `key.=true` followed by
//! `key.field=value` per field. Absent pairs read back as null.

use super::attrs::{self, get, int, map_of, s};
use crate::planner::limits::TAG_VALUE_MAX_CHARS;
use crate::value::Value;
use std::collections::BTreeMap;

/// How a recorded attribute is written.
pub enum Kind {
    /// A string.
    Text,
    /// A whole number.
    Number,
    /// A bool.
    Bool,
    /// A list of strings.
    List,
    /// A map of strings.
    Map,
    /// A list of objects, recorded by one string field of each (e.g. a replica's region).
    ListOf(&'static str),
    /// A block (object) whose fields are recorded.
    Block(&'static [Field]),
}

/// One recorded attribute: its name in the schema, its key in the record, and its kind.
pub struct Field {
    /// The attribute's name.
    pub name: &'static str,
    /// The key written in the record (the name, unless an older record spelled it otherwise).
    pub key: &'static str,
    /// How its value is written.
    pub kind: Kind,
}

/// A field recorded under its own name.
pub const fn field(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        key: name,
        kind,
    }
}

/// The pairs recording `value`'s attributes listed in `table` (null ones are left out).
pub fn encode(table: &[Field], value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    encode_into(&mut out, "", table, value);
    out
}

fn encode_into(out: &mut Vec<String>, prefix: &str, table: &[Field], value: &Value) {
    for f in table {
        let v = get(value, f.name);
        let key = format!("{prefix}{}", f.key);
        let joined = |items: Vec<&str>| items.join("/");
        let text = match (&f.kind, v) {
            (_, Value::Null | Value::Unknown) => continue,
            (Kind::Text, Value::String(t)) => escape(t),
            (Kind::Number, Value::Number(n)) => n.to_string(),
            (Kind::Bool, Value::Bool(b)) => b.to_string(),
            (Kind::List, Value::List(items)) => {
                joined(items.iter().filter_map(Value::as_str).collect())
            }
            (Kind::ListOf(name), Value::List(items)) => {
                joined(items.iter().filter_map(|i| get(i, name).as_str()).collect())
            }
            (Kind::Map, v) => {
                for (k, v) in attrs::string_map(v) {
                    out.push(format!("{key}.{k}={}", v.replace(' ', "+")));
                }
                continue;
            }
            (Kind::Block(fields), v) => {
                out.push(format!("{key}.=true"));
                encode_into(out, &format!("{key}."), fields, v);
                continue;
            }
            _ => continue,
        };
        out.push(format!("{key}={text}"));
    }
}

/// A text as a tag value holds it: a space as `+`, and every character AWS does not allow
/// in tag values (letters, digits, spaces and `+ - = . _ : / @` are allowed) as `@` and
/// its two hexadecimal digits, `@` and `+` themselves included (e.g. a path pattern's `*`
/// is `@2A`).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            ' ' => out.push('+'),
            c if c.is_alphanumeric() || "-=._:/".contains(c) => out.push(c),
            c if c.is_ascii() => out.push_str(&format!("@{:02X}", c as u8)),
            c => out.push(c),
        }
    }
    out
}

/// [`escape`] undone.
fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '+' => out.push(' '),
            '@' => {
                let hex: String = chars.clone().take(2).collect();
                match u8::from_str_radix(&hex, 16) {
                    Ok(b)
                        if hex.len() == 2
                            && hex
                                .chars()
                                .all(|h| h.is_ascii_hexdigit() && !h.is_ascii_lowercase()) =>
                    {
                        out.push(char::from(b));
                        chars.next();
                        chars.next();
                    }
                    _ => out.push('@'),
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Every attribute of `table` as a record gives it back (null when not recorded).
pub fn decode<S: AsRef<str>>(table: &[Field], pairs: &[S]) -> Vec<(&'static str, Value)> {
    let found: BTreeMap<&str, &str> = pairs
        .iter()
        .filter_map(|p| p.as_ref().split_once('='))
        .collect();
    decode_from(&found, "", table)
}

fn decode_from(
    found: &BTreeMap<&str, &str>,
    prefix: &str,
    table: &[Field],
) -> Vec<(&'static str, Value)> {
    let items = |v: &str| -> Vec<String> {
        v.split('/')
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    };
    table
        .iter()
        .map(|f| {
            let key = format!("{prefix}{}", f.key);
            let raw = found.get(key.as_str()).copied();
            let v = match &f.kind {
                Kind::Text => raw.map(|v| s(unescape(v))),
                Kind::Number => raw.and_then(|v| v.parse::<i64>().ok()).map(int),
                Kind::Bool => raw.and_then(|v| v.parse().ok()).map(Value::Bool),
                Kind::List => raw.map(|v| attrs::string_list(&items(v))),
                Kind::ListOf(name) => raw.map(|v| {
                    Value::list(items(v).into_iter().map(|i| Value::object([(*name, s(i))])))
                }),
                Kind::Map => {
                    let entries: BTreeMap<String, String> = found
                        .range(format!("{key}.").as_str()..)
                        .map_while(|(k, v)| {
                            let entry = k.strip_prefix(&format!("{key}."))?;
                            Some((entry.to_string(), v.replace('+', " ")))
                        })
                        .collect();
                    (!entries.is_empty()).then(|| map_of(&entries))
                }
                Kind::Block(fields) => found
                    .contains_key(format!("{key}.").as_str())
                    .then(|| Value::object(decode_from(found, &format!("{key}."), fields))),
            };
            (f.name, v.unwrap_or(Value::Null))
        })
        .collect()
}

/// The record as AWS tags, each value within AWS's limit: `<key>`, `<key>:1`, … A pair
/// longer than a tag value is cut rather than refused: import then misses that one input,
/// and the plan after import shows it.
pub fn to_tags(key: &str, pairs: &[String]) -> BTreeMap<String, String> {
    let max = TAG_VALUE_MAX_CHARS;
    let mut chunks: Vec<String> = vec![String::new()];
    for p in pairs {
        let last = chunks.last_mut().expect("one chunk");
        if !last.is_empty() && last.len() + 1 + p.len() > max {
            chunks.push(String::new());
        }
        let last = chunks.last_mut().expect("one chunk");
        if !last.is_empty() {
            last.push(' ');
        }
        last.push_str(&p.chars().take(max).collect::<String>());
    }
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, c)| match i {
            0 => (key.to_string(), c),
            i => (format!("{key}:{i}"), c),
        })
        .collect()
}

/// The pairs recorded in tags written by [`to_tags`].
pub fn from_tags(key: &str, tags: &BTreeMap<String, String>) -> Vec<String> {
    let mut chunks: Vec<(usize, &String)> = tags
        .iter()
        .filter_map(|(k, v)| {
            if k == key {
                Some((0, v))
            } else {
                k.strip_prefix(key)?
                    .strip_prefix(':')?
                    .parse()
                    .ok()
                    .map(|i| (i, v))
            }
        })
        .collect();
    chunks.sort();
    chunks.into_iter().flat_map(|(_, v)| split(v)).collect()
}

/// The pairs of a record kept in one string (machine metadata, a Worker binding).
pub fn split(text: &str) -> Vec<String> {
    text.split(' ')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLOCK: &[Field] = &[field("min", Kind::Number), field("path", Kind::Text)];
    const TABLE: &[Field] = &[
        field("size", Kind::Text),
        field("count", Kind::Number),
        field("on", Kind::Bool),
        Field {
            name: "subnet_ids",
            key: "subnets",
            kind: Kind::List,
        },
        field("replicas", Kind::ListOf("region")),
        field("secrets", Kind::Map),
        field("scaling", Kind::Block(BLOCK)),
        field("unset", Kind::Text),
    ];

    fn sample() -> Value {
        Value::object([
            ("size", s("1 vCPU")),
            ("count", int(3)),
            ("on", Value::Bool(false)),
            (
                "subnet_ids",
                attrs::string_list(&["subnet-a".into(), "subnet-b".into()]),
            ),
            (
                "replicas",
                Value::list([Value::object([("region", s("us-east-1"))])]),
            ),
            (
                "secrets",
                map_of(&BTreeMap::from([("DB".to_string(), "arn:x".to_string())])),
            ),
            (
                "scaling",
                Value::object([("min", int(2)), ("path", Value::Null)]),
            ),
            ("unset", Value::Null),
        ])
    }

    #[test]
    fn a_record_round_trips_every_kind() {
        let v = sample();
        let pairs = encode(TABLE, &v);
        assert!(pairs.contains(&"subnets=subnet-a/subnet-b".to_string()));
        assert!(pairs.contains(&"size=1+vCPU".to_string()));
        assert!(pairs.iter().all(|p| !p.contains(' ')), "{pairs:?}");
        for (name, back) in decode(TABLE, &pairs) {
            assert_eq!(back, *get(&v, name), "{name}");
        }
    }

    #[test]
    fn a_block_written_with_only_nulls_comes_back_as_a_block() {
        let v = Value::object([(
            "scaling",
            Value::object([("min", Value::Null), ("path", Value::Null)]),
        )]);
        let back: BTreeMap<_, _> = decode(TABLE, &encode(TABLE, &v)).into_iter().collect();
        assert_eq!(back["scaling"], *get(&v, "scaling"));
        assert!(back["size"].is_null() && back["secrets"].is_null());
    }

    #[test]
    fn records_written_by_earlier_versions_still_read() {
        // The database's single `platform:spec` tag and the environment's network tag.
        let tags = BTreeMap::from([
            (
                "platform:spec".to_string(),
                "size=large multi_az=true".to_string(),
            ),
            (
                "platform:network".to_string(),
                "subnets=s-1 sgs= public=true".to_string(),
            ),
        ]);
        let db: BTreeMap<_, _> = decode(TABLE, &from_tags("platform:spec", &tags))
            .into_iter()
            .collect();
        assert_eq!(db["size"], s("large"));
        assert_eq!(db["subnet_ids"], Value::Null);
        let net: BTreeMap<_, _> = decode(TABLE, &from_tags("platform:network", &tags))
            .into_iter()
            .collect();
        assert_eq!(net["subnet_ids"], attrs::string_list(&["s-1".into()]));
    }

    #[test]
    fn long_records_split_across_tags_within_the_limit() {
        let pairs: Vec<String> = (0..20)
            .map(|n| format!("secrets.K{n}=arn:aws:secret:{n:040}"))
            .collect();
        let tags = to_tags("platform:spec", &pairs);
        assert!(tags.len() > 1, "{tags:?}");
        assert!(tags.values().all(|v| v.len() <= 256));
        assert_eq!(from_tags("platform:spec", &tags), pairs);
        // Another record's tags are not read as this one's.
        let mut more = tags.clone();
        more.insert("platform:specimen".into(), "x=y".into());
        assert_eq!(from_tags("platform:spec", &more), pairs);
    }
}

#[cfg(test)]
mod escape_tests {
    use super::*;

    #[test]
    fn texts_aws_would_refuse_in_a_tag_round_trip() {
        for text in [
            "/api/*",
            "/v?/items",
            "a b@c",
            "plain-text_1.0:/x=y",
            "100%",
        ] {
            let escaped = escape(text);
            assert!(
                escaped
                    .chars()
                    .all(|c| c.is_alphanumeric() || "+-=._:/@".contains(c)),
                "{text} -> {escaped}"
            );
            assert_eq!(unescape(&escaped), text, "{escaped}");
        }
        assert_eq!(escape("/api/*"), "/api/@2A");
    }
}
