//! Arbitrary-precision decimal numbers, as cty's `number` type needs: `0.1` stays exactly
//! one tenth, `123456789012345678901234567890` keeps every digit and `1e400` does not
//! overflow.
//!
//! A [`Number`] is kept normalized as sign, significant digits and a decimal exponent, so
//! derived equality and hashing compare numeric values (`1.0 == 1 == 1e0`).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// The largest exponent magnitude accepted in the text of a number (`1e1000000000`).
const MAX_TEXT_EXPONENT: i64 = 1_000_000_000;

/// How many zeros [`Number`]'s `Display` writes out before switching to exponent notation.
const MAX_PLAIN_ZEROS: i64 = 64;

/// The most significant digits any finite `f64` has when written out exactly.
const MAX_F64_DIGITS: usize = 767;

/// How much of a bad number's text an error message quotes.
const MAX_QUOTED: usize = 40;

/// Why text could not be parsed as a [`Number`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    /// The text is not a decimal number.
    #[error("`{text}` is not a valid number")]
    Invalid {
        /// The text (shortened if long).
        text: String,
    },
    /// The exponent is beyond what this implementation accepts.
    #[error("`{text}` has an exponent out of range")]
    OutOfRange {
        /// The text (shortened if long).
        text: String,
    },
}

/// Why a [`Number`] is not an `i64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IntegerError {
    /// The number has a fractional part (and its integer part fits).
    #[error("the number is not a whole number")]
    Fraction,
    /// The number lies outside `i64::MIN..=i64::MAX`.
    #[error("the number is out of range")]
    OutOfRange {
        /// True when the number is below the range, false when above.
        below: bool,
    },
}

/// Shortens `text` for quoting in an error message.
fn quote(text: &str) -> String {
    if text.len() <= MAX_QUOTED {
        return text.to_string();
    }
    let mut end = MAX_QUOTED;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// An arbitrary-precision decimal number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Number {
    /// True for numbers below zero; never set for zero.
    negative: bool,
    /// Significant decimal digits (0–9), most significant first, with no leading or
    /// trailing zeros; empty for zero.
    digits: Vec<u8>,
    /// The value is `digits × 10^exponent`; zero for zero.
    exponent: i64,
}

impl Number {
    /// The number zero.
    pub fn zero() -> Self {
        Self {
            negative: false,
            digits: Vec::new(),
            exponent: 0,
        }
    }

    /// Builds a normalized number from a sign, digits (most significant first) and exponent.
    fn from_parts(negative: bool, mut digits: Vec<u8>, mut exponent: i64) -> Self {
        let leading = digits.iter().take_while(|&&d| d == 0).count();
        digits.drain(..leading);
        let trailing = digits.iter().rev().take_while(|&&d| d == 0).count();
        digits.truncate(digits.len() - trailing);
        if digits.is_empty() {
            return Self::zero();
        }
        exponent = exponent.saturating_add(trailing as i64);
        Self {
            negative,
            digits,
            exponent,
        }
    }

    /// Builds a number from an integer of any width that fits `i128`.
    fn from_i128(value: i128) -> Self {
        let digits = value
            .unsigned_abs()
            .to_string()
            .bytes()
            .map(|b| b - b'0')
            .collect();
        Self::from_parts(value < 0, digits, 0)
    }

    /// The exact value of a finite `f64`, or `None` for infinities and NaN.
    pub fn from_f64(value: f64) -> Option<Self> {
        if !value.is_finite() {
            return None;
        }
        if value == 0.0 {
            return Some(Self::zero());
        }
        let bits = value.to_bits();
        let negative = bits >> 63 == 1;
        let biased = ((bits >> 52) & 0x7ff) as i64;
        let fraction = bits & ((1u64 << 52) - 1);
        let (mut mantissa, mut exp2) = if biased == 0 {
            (fraction, -1074)
        } else {
            (fraction | (1u64 << 52), biased - 1075)
        };
        let zeros = mantissa.trailing_zeros();
        mantissa >>= zeros;
        exp2 += i64::from(zeros);
        // Little-endian decimal digits of the mantissa.
        let mut digits: Vec<u8> = mantissa
            .to_string()
            .bytes()
            .rev()
            .map(|b| b - b'0')
            .collect();
        let exponent = if exp2 >= 0 {
            // mantissa × 2^exp2, multiplied in chunks of 2^28.
            let mut left = exp2;
            while left > 0 {
                let step = left.min(28);
                mul_small(&mut digits, 1u64 << step);
                left -= step;
            }
            0
        } else {
            // mantissa × 2^-k = mantissa × 5^k × 10^-k, multiplied in chunks of 5^12.
            let mut left = -exp2;
            while left > 0 {
                let step = left.min(12);
                mul_small(&mut digits, 5u64.pow(step as u32));
                left -= step;
            }
            exp2
        };
        digits.reverse();
        Some(Self::from_parts(negative, digits, exponent))
    }

    /// True for zero.
    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// True for numbers below zero.
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// True when the number has no fractional part.
    pub fn is_integer(&self) -> bool {
        self.exponent >= 0
    }

    /// How many digits the integer part has (the decimal point's position among `digits`).
    fn point(&self) -> i64 {
        self.digits.len() as i64 + self.exponent
    }

    /// The magnitude as a `u128`, for integers with at most 38 digits.
    fn small_magnitude(&self) -> Option<u128> {
        if !self.is_integer() || self.point() > 38 {
            return None;
        }
        let mut magnitude: u128 = 0;
        for &d in &self.digits {
            magnitude = magnitude * 10 + u128::from(d);
        }
        for _ in 0..self.exponent {
            magnitude *= 10;
        }
        Some(magnitude)
    }

    /// The number as an `i64`, when it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        let magnitude = i128::try_from(self.small_magnitude()?).ok()?;
        i64::try_from(if self.negative { -magnitude } else { magnitude }).ok()
    }

    /// The number as an `i64`, or why it is not one: a fraction, or out of range. A
    /// fraction whose integer part is itself out of range counts as out of range, since
    /// that is the first thing to fix.
    pub fn to_i64(&self) -> Result<i64, IntegerError> {
        if let Some(value) = self.as_i64() {
            return Ok(value);
        }
        let out_of_range = IntegerError::OutOfRange {
            below: self.negative,
        };
        // An integer that `as_i64` refused is too large; so is any integer part over 19
        // digits, checked before slicing so a huge exponent costs nothing.
        if self.is_integer() || self.point() > 19 {
            return Err(out_of_range);
        }
        let truncated = Self::from_parts(
            self.negative,
            self.digits[..self.point().max(0) as usize].to_vec(),
            0,
        );
        match truncated.as_i64() {
            Some(_) if !self.is_integer() => Err(IntegerError::Fraction),
            _ => Err(out_of_range),
        }
    }

    /// The number as a `u64`, when it is a non-negative integer in range.
    pub fn as_u64(&self) -> Option<u64> {
        if self.negative {
            return None;
        }
        u64::try_from(self.small_magnitude()?).ok()
    }

    /// The nearest `f64` (infinite when out of range, zero when too small).
    pub fn as_f64(&self) -> f64 {
        if self.is_zero() {
            return 0.0;
        }
        let mut text = String::with_capacity(self.digits.len() + 24);
        if self.negative {
            text.push('-');
        }
        text.extend(self.digits.iter().map(|&d| char::from(b'0' + d)));
        text.push('e');
        text.push_str(&self.exponent.to_string());
        text.parse().unwrap_or(f64::NAN)
    }

    /// The number as an `f64` when that `f64` is exactly this number.
    pub fn exact_f64(&self) -> Option<f64> {
        if self.digits.len() > MAX_F64_DIGITS {
            return None;
        }
        let float = self.as_f64();
        (Self::from_f64(float).as_ref() == Some(self)).then_some(float)
    }
}

/// Multiplies little-endian decimal digits by `factor` (at most `2^32`) in place.
fn mul_small(digits: &mut Vec<u8>, factor: u64) {
    let mut carry: u64 = 0;
    for d in digits.iter_mut() {
        let product = u64::from(*d) * factor + carry;
        *d = (product % 10) as u8;
        carry = product / 10;
    }
    while carry > 0 {
        digits.push((carry % 10) as u8);
        carry /= 10;
    }
}

impl Default for Number {
    /// Zero.
    fn default() -> Self {
        Self::zero()
    }
}

impl FromStr for Number {
    type Err = NumberError;

    /// Parses `[+-]digits[.digits][(e|E)[+-]digits]`, also `.5` and `5.`.
    fn from_str(text: &str) -> Result<Self, NumberError> {
        let invalid = || NumberError::Invalid { text: quote(text) };
        let bytes = text.as_bytes();
        let mut i = 0;
        let negative = match bytes.first() {
            Some(b'-') => {
                i = 1;
                true
            }
            Some(b'+') => {
                i = 1;
                false
            }
            _ => false,
        };
        let mut digits = Vec::with_capacity(bytes.len());
        let mut fraction_len: i64 = 0;
        let mut seen_point = false;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'0'..=b'9' => {
                    digits.push(b - b'0');
                    if seen_point {
                        fraction_len += 1;
                    }
                }
                b'.' if !seen_point => seen_point = true,
                _ => break,
            }
            i += 1;
        }
        if digits.is_empty() {
            return Err(invalid());
        }
        let mut exponent: i64 = 0;
        if i < bytes.len() {
            if !matches!(bytes[i], b'e' | b'E') {
                return Err(invalid());
            }
            i += 1;
            let exponent_negative = match bytes.get(i) {
                Some(b'-') => {
                    i += 1;
                    true
                }
                Some(b'+') => {
                    i += 1;
                    false
                }
                _ => false,
            };
            let start = i;
            while let Some(&b) = bytes.get(i) {
                if !b.is_ascii_digit() {
                    return Err(invalid());
                }
                exponent = exponent
                    .saturating_mul(10)
                    .saturating_add(i64::from(b - b'0'));
                i += 1;
            }
            if i == start {
                return Err(invalid());
            }
            if exponent > MAX_TEXT_EXPONENT {
                return Err(NumberError::OutOfRange { text: quote(text) });
            }
            if exponent_negative {
                exponent = -exponent;
            }
        }
        Ok(Self::from_parts(negative, digits, exponent - fraction_len))
    }
}

impl fmt::Display for Number {
    /// Plain decimal (`-12.5`, `0.001`, `1000`) unless that needs more than 64 padding
    /// zeros; then exponent notation (`1e400`, `1.5e-300`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("0");
        }
        let digit = |d: &u8| char::from(b'0' + d);
        let mut out = String::with_capacity(self.digits.len() + 8);
        if self.negative {
            out.push('-');
        }
        let point = self.point();
        if self.exponent >= 0 && self.exponent <= MAX_PLAIN_ZEROS {
            out.extend(self.digits.iter().map(digit));
            out.extend((0..self.exponent).map(|_| '0'));
        } else if self.exponent < 0 && point > 0 {
            let (int, frac) = self.digits.split_at(point as usize);
            out.extend(int.iter().map(digit));
            out.push('.');
            out.extend(frac.iter().map(digit));
        } else if self.exponent < 0 && -point <= MAX_PLAIN_ZEROS {
            out.push_str("0.");
            out.extend((0..-point).map(|_| '0'));
            out.extend(self.digits.iter().map(digit));
        } else {
            out.push(digit(&self.digits[0]));
            if self.digits.len() > 1 {
                out.push('.');
                out.extend(self.digits[1..].iter().map(digit));
            }
            out.push('e');
            out.push_str(&(point - 1).to_string());
        }
        f.write_str(&out)
    }
}

impl fmt::Debug for Number {
    /// `Number(1.5)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Number({self})")
    }
}

impl Ord for Number {
    /// Orders by numeric value.
    fn cmp(&self, other: &Self) -> Ordering {
        let sign = |n: &Self| match (n.negative, n.is_zero()) {
            (true, _) => -1,
            (false, true) => 0,
            (false, false) => 1,
        };
        let (a, b) = (sign(self), sign(other));
        if a != b || a == 0 {
            return a.cmp(&b);
        }
        let magnitude = self
            .point()
            .cmp(&other.point())
            .then_with(|| self.digits.cmp(&other.digits));
        if a < 0 {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

impl PartialOrd for Number {
    /// Orders by numeric value.
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl From<i64> for Number {
    /// The exact integer.
    fn from(value: i64) -> Self {
        Self::from_i128(i128::from(value))
    }
}

impl From<u64> for Number {
    /// The exact integer.
    fn from(value: u64) -> Self {
        Self::from_i128(i128::from(value))
    }
}

impl From<i32> for Number {
    /// The exact integer.
    fn from(value: i32) -> Self {
        Self::from_i128(i128::from(value))
    }
}

impl From<u32> for Number {
    /// The exact integer.
    fn from(value: u32) -> Self {
        Self::from_i128(i128::from(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_i64_says_why_a_number_is_not_an_i64() {
        let cases = [
            ("0", Ok(0)),
            ("-42", Ok(-42)),
            ("9223372036854775807", Ok(i64::MAX)),
            ("-9223372036854775808", Ok(i64::MIN)),
            ("1.5", Err(IntegerError::Fraction)),
            ("-0.001", Err(IntegerError::Fraction)),
            (
                "9223372036854775808",
                Err(IntegerError::OutOfRange { below: false }),
            ),
            (
                "99999999999999999999999",
                Err(IntegerError::OutOfRange { below: false }),
            ),
            ("1e400", Err(IntegerError::OutOfRange { below: false })),
            ("-1e400", Err(IntegerError::OutOfRange { below: true })),
            ("9e18", Ok(9_000_000_000_000_000_000)),
            ("1e19", Err(IntegerError::OutOfRange { below: false })),
            (
                "99999999999999999999999.5",
                Err(IntegerError::OutOfRange { below: false }),
            ),
            (
                "1e1000000000",
                Err(IntegerError::OutOfRange { below: false }),
            ),
        ];
        for (text, want) in cases {
            let n: Number = text.parse().unwrap();
            assert_eq!(n.to_i64(), want, "{text}");
        }
    }

    fn n(text: &str) -> Number {
        text.parse()
            .unwrap_or_else(|e| panic!("{text:?} should parse: {e}"))
    }

    #[test]
    fn parses_and_displays_canonically() {
        let cases = [
            ("0", "0"),
            ("-0", "0"),
            ("-0.0e5", "0"),
            ("1", "1"),
            ("+1", "1"),
            ("1.0", "1"),
            ("1e0", "1"),
            ("10", "10"),
            ("1E2", "100"),
            ("-0.5", "-0.5"),
            (".5", "0.5"),
            ("5.", "5"),
            ("0.1", "0.1"),
            ("00012.3400", "12.34"),
            ("1.5e-3", "0.0015"),
            ("123e-2", "1.23"),
            ("12345678901234567890123", "12345678901234567890123"),
            ("1e64", &format!("1{}", "0".repeat(64))),
            ("1e65", "1e65"),
            ("1e400", "1e400"),
            ("-1.25e400", "-1.25e400"),
            ("1e-65", &format!("0.{}1", "0".repeat(64))),
            ("1e-66", "1e-66"),
            ("1.5e-300", "1.5e-300"),
            ("9223372036854775807", "9223372036854775807"),
        ];
        for (text, want) in cases {
            assert_eq!(n(text).to_string(), want, "display of {text:?}");
            assert_eq!(n(want), n(text), "{want:?} re-parses to {text:?}");
        }
    }

    #[test]
    fn rejects_malformed_text() {
        for text in [
            "", "-", "+", ".", "e5", "1e", "1e+", "1.2.3", "1x", "abc", "Inf", "NaN", " 1", "1 ",
            "--1", "1e5.5", "0x10", "1_000",
        ] {
            assert!(
                matches!(text.parse::<Number>(), Err(NumberError::Invalid { .. })),
                "{text:?} should be invalid"
            );
        }
        assert!(matches!(
            "1e1000000001".parse::<Number>(),
            Err(NumberError::OutOfRange { .. })
        ));
        assert!(matches!(
            "1e99999999999999999999999".parse::<Number>(),
            Err(NumberError::OutOfRange { .. })
        ));
        assert!("1e1000000000".parse::<Number>().is_ok());
        let long = "x".repeat(1000);
        let message = long.parse::<Number>().unwrap_err().to_string();
        assert!(message.len() < 100, "quoted text is shortened: {message}");
    }

    #[test]
    fn equality_is_numeric() {
        let same = [
            ("1.0", "1"),
            ("1e0", "1"),
            ("100", "1e2"),
            ("0.10", "1e-1"),
            ("-0", "0"),
        ];
        for (a, b) in same {
            assert_eq!(n(a), n(b), "{a} == {b}");
        }
        assert_ne!(n("1"), n("-1"));
        assert_ne!(n("0.1"), n("0.10000000000000001"));
    }

    #[test]
    fn orders_numerically() {
        let sorted = [
            "-1e400",
            "-100",
            "-1.5",
            "-1",
            "-0.001",
            "0",
            "1e-400",
            "0.001",
            "0.1",
            "1",
            "1.5",
            "9",
            "10",
            "12345678901234567890123",
            "1e400",
        ];
        for pair in sorted.windows(2) {
            assert!(n(pair[0]) < n(pair[1]), "{} < {}", pair[0], pair[1]);
            assert!(n(pair[1]) > n(pair[0]), "{} > {}", pair[1], pair[0]);
        }
        assert_eq!(n("1.0").cmp(&n("1")), Ordering::Equal);
    }

    #[test]
    fn integer_conversions() {
        let cases: [(&str, Option<i64>, Option<u64>); 9] = [
            ("0", Some(0), Some(0)),
            ("42", Some(42), Some(42)),
            ("-42", Some(-42), None),
            ("4.2e1", Some(42), Some(42)),
            ("4.25", None, None),
            ("-9223372036854775808", Some(i64::MIN), None),
            ("9223372036854775808", None, Some(9223372036854775808)),
            ("18446744073709551615", None, Some(u64::MAX)),
            ("18446744073709551616", None, None),
        ];
        for (text, i, u) in cases {
            assert_eq!(n(text).as_i64(), i, "as_i64 of {text}");
            assert_eq!(n(text).as_u64(), u, "as_u64 of {text}");
        }
        assert!(n("1e400").is_integer());
        assert_eq!(n("1e400").as_i64(), None);
        assert!(!n("0.5").is_integer());
        for value in [0, 1, -1, i64::MIN, i64::MAX, 1_000_000] {
            assert_eq!(Number::from(value).as_i64(), Some(value));
            assert_eq!(Number::from(value).to_string(), value.to_string());
        }
        assert_eq!(Number::from(u64::MAX).to_string(), u64::MAX.to_string());
        assert_eq!(Number::from(-7i32), n("-7"));
        assert_eq!(Number::from(7u32), n("7"));
    }

    #[test]
    fn floats_convert_exactly() {
        let cases: [(f64, &str); 8] = [
            (0.0, "0"),
            (-0.0, "0"),
            (0.5, "0.5"),
            (-2.25, "-2.25"),
            (1e21, "1000000000000000000000"),
            (
                0.1,
                "0.1000000000000000055511151231257827021181583404541015625",
            ),
            (9007199254740993.0, "9007199254740992"),
            (
                5e-324,
                "4.940656458412465441765687928682213723650598026143247644255856825006755072702087518652998363616359923797965646954457177309266567103559397963987747960107818781263007131903114045278458171678489821036887186360569987307230500063874091535649843873124733972731696151400317153853980741262385655911710266585566867681870395603106249319452715914924553293054565444011274801297099995419319894090804165633245247571478690147267801593552386115501348035264934720193790268107107491703332226844753335720832431936092382893458368060106011506169809753078342277318329247904982524730776375927247874656084778203734469699533647017972677717585125660551199131504891101451037862738167250955837389733598993664809941164205702637090279242767544565229087538682506419718265533447265625e-324",
            ),
        ];
        for (float, want) in cases {
            let exact = Number::from_f64(float).expect("finite");
            assert_eq!(exact, n(want), "exact value of {float:e}");
            assert_eq!(exact.as_f64(), float, "as_f64 of {float:e}");
            assert_eq!(exact.exact_f64(), Some(float), "exact_f64 of {float:e}");
        }
        assert_eq!(
            Number::from_f64(f64::MAX).map(|x| x.as_f64()),
            Some(f64::MAX)
        );
        assert_eq!(Number::from_f64(f64::INFINITY), None);
        assert_eq!(Number::from_f64(f64::NAN), None);
        assert_eq!(n("0.1").exact_f64(), None, "0.1 is not a binary fraction");
        assert_eq!(n("0.1").as_f64(), 0.1);
        assert_eq!(n("1e400").as_f64(), f64::INFINITY);
        assert_eq!(n("-1e400").as_f64(), f64::NEG_INFINITY);
        assert_eq!(n("1e400").exact_f64(), None);
        assert_eq!(n("1e-400").as_f64(), 0.0);
        assert_eq!(n("123456789012345678901234567890").exact_f64(), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        })]

        #[test]
        fn f64_round_trips_exactly(float in proptest::num::f64::NORMAL | proptest::num::f64::SUBNORMAL | proptest::num::f64::ZERO) {
            let exact = Number::from_f64(float).expect("finite");
            proptest::prop_assert_eq!(exact.as_f64(), float);
            proptest::prop_assert_eq!(exact.exact_f64(), Some(float));
            let reparsed: Number = exact.to_string().parse().expect("display parses");
            proptest::prop_assert_eq!(reparsed, exact);
        }

        #[test]
        fn display_round_trips(negative: bool, digits in proptest::collection::vec(0u8..10, 1..40), exponent in -200i64..200) {
            let number = Number::from_parts(negative, digits, exponent);
            let reparsed: Number = number.to_string().parse().expect("display parses");
            proptest::prop_assert_eq!(&reparsed, &number);
            proptest::prop_assert_eq!(reparsed.cmp(&number), Ordering::Equal);
        }

        #[test]
        fn ordering_matches_f64(a in -1e6f64..1e6, b in -1e6f64..1e6) {
            let (x, y) = (Number::from_f64(a).expect("finite"), Number::from_f64(b).expect("finite"));
            proptest::prop_assert_eq!(x.cmp(&y), a.partial_cmp(&b).expect("not NaN"));
        }

        #[test]
        fn i64_round_trips(value: i64) {
            let number = Number::from(value);
            proptest::prop_assert_eq!(number.as_i64(), Some(value));
            let reparsed: Number = value.to_string().parse().expect("parses");
            proptest::prop_assert_eq!(reparsed, number);
        }
    }
}
