//! EventBridge Scheduler schedule expressions (`cron(…)`, `rate(…)`, `at(…)`): parsed
//! exactly, with how often they run (for cost estimates) and a short reading for the plan.
//!
//! The forms follow the EventBridge Scheduler user guide ("Schedule types") and the
//! EventBridge cron reference:
//!
//! | field (in order) | values | wildcards |
//! | --- | --- | --- |
//! | minutes | 0-59 | `, - * /` |
//! | hours | 0-23 | `, - * /` |
//! | day-of-month | 1-31 | `, - * ? / L W` |
//! | month | 1-12 or JAN-DEC | `, - * /` |
//! | day-of-week | 1-7 or SUN-SAT (1 = Sunday) | `, - * ? L #` |
//! | year | 1970-2199 | `, - * /` |
//!
//! Exactly one of day-of-month and day-of-week is `?`. `a/n` steps by `n` from `a` to the
//! field's end, `a-b/n` within the range, `*/n` from the field's start. In day-of-month `L`
//! is the last day, `15W` the weekday (Monday–Friday) nearest the 15th within the month and
//! `LW` the last weekday; in day-of-week a lone `L` is the last day of the week (Saturday),
//! `6L` the month's last Friday and `6#3` its third Friday (`#` takes one expression only).
//! `LW` and `6L` are not in the reference's table: they are Quartz's forms, which
//! EventBridge's cron follows and which AWS accepts in practice (`6L` is in wide use); names
//! and `L`/`W` are read case-insensitively, as Quartz reads them.
//!
//! Refused though some cron dialects read them, because the documents do not say what
//! they mean here: ranges that run backwards (`FRI-MON`, `22-2`; the error shows the list
//! that wraps), `L-3` offsets, and `L`, `W` or `#` inside a list, range or step. A cron
//! that no date in its years matches (`cron(0 0 30 2 ? *)`) is refused as a mistake.
//!
//! `rate(value unit)` takes a positive whole number and `minutes`, `hours` or `days`.
//! The Scheduler guide lists only the plural units, and `rate(1 hours)` is in wide use
//! with Scheduler; its API reference also lists `minute`, `hour` and `day`, which
//! EventBridge's rate reference allows with a value of 1 only. So a value of 1 takes either
//! form and any other value the plural.
//!
//! `at(yyyy-mm-ddThh:mm:ss)` is a one-time schedule: one run at that time. Whether that
//! time is still ahead is not checked here: the planner reads no clock.
//!
//! Errors are plain strings that say what is wrong and show the right form; the planner
//! of `platform_job` wraps them in a [`Violation`](super::Violation) at the attribute's
//! path. Nothing here panics, whatever the input (a property test checks it).

use std::fmt;
use std::ops::RangeInclusive;

use super::prices::HOURS_PER_MONTH;

/// The longest expression the Scheduler API takes (`ScheduleExpression`: 1-256 characters).
pub const MAX_EXPRESSION_LEN: usize = 256;

/// The longest time-zone name the Scheduler API takes (`ScheduleExpressionTimezone`:
/// 1-50 characters).
pub const MAX_TIMEZONE_LEN: usize = 50;

/// The whole years [`runs_per_month`] counts a cron over when its year field does not
/// narrow the years from the first of them on: four years, one of them a leap year, so a
/// daily schedule averages 1461 / 48 = 30.4375 runs a month.
pub const REFERENCE_YEARS: RangeInclusive<u16> = 2027..=2030;

/// The IANA time-zone areas [`check_timezone`] accepts before the first `/`.
pub const TIMEZONE_AREAS: &[&str] = &[
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
    "Etc",
];

/// Shown in errors that do not know which form the user meant.
const EXAMPLES: &str = "e.g. `cron(0 2 * * ? *)` (02:00 every day), `rate(15 minutes)` or \
                        `at(2027-01-31T09:00:00)`";

/// A schedule expression, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expression {
    /// `cron(minutes hours day-of-month month day-of-week year)`: a run at every minute
    /// the fields match, in the schedule's time zone.
    Cron(Cron),
    /// `rate(value unit)`: a run every `value` units from the schedule's start.
    Rate {
        /// How many units between runs, 1 or more.
        value: u32,
        /// The unit of `value`.
        unit: RateUnit,
    },
    /// `at(yyyy-mm-ddThh:mm:ss)`: one run at this date and time, in the schedule's time
    /// zone.
    At {
        /// The year, four digits.
        year: u16,
        /// The month, 1-12.
        month: u8,
        /// The day of the month, 1 to the month's length.
        day: u8,
        /// The hour, 0-23.
        hour: u8,
        /// The minute, 0-59.
        minute: u8,
        /// The second, 0-59 (Scheduler runs within the minute: 60-second precision).
        second: u8,
    },
}

impl fmt::Display for Expression {
    /// Renders the expression as Scheduler reads it: a cron's fields as written (one space
    /// between them), a rate with the unit's plural unless the value is 1, an `at` with
    /// zero-padded fields.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expression::Cron(cron) => write!(f, "cron({})", cron.text),
            Expression::Rate { value, unit } => write!(f, "rate({value} {})", unit.name(*value)),
            Expression::At {
                year,
                month,
                day,
                hour,
                minute,
                second,
            } => write!(
                f,
                "at({year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02})"
            ),
        }
    }
}

/// The unit of a `rate(value unit)` expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateUnit {
    /// `minute` / `minutes`.
    Minutes,
    /// `hour` / `hours`.
    Hours,
    /// `day` / `days` (24 hours on the clock).
    Days,
}

impl RateUnit {
    /// The unit's length in minutes.
    pub fn minutes(self) -> u32 {
        match self {
            RateUnit::Minutes => 1,
            RateUnit::Hours => 60,
            RateUnit::Days => 24 * 60,
        }
    }

    /// The unit's word for `value` of them: singular for 1, plural otherwise.
    pub fn name(self, value: u32) -> &'static str {
        match (self, value == 1) {
            (RateUnit::Minutes, true) => "minute",
            (RateUnit::Minutes, false) => "minutes",
            (RateUnit::Hours, true) => "hour",
            (RateUnit::Hours, false) => "hours",
            (RateUnit::Days, true) => "day",
            (RateUnit::Days, false) => "days",
        }
    }
}

/// A cron expression, each field parsed into the set of times or the rule it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: ValueSet,
    hours: ValueSet,
    days: Days,
    months: ValueSet,
    years: YearSet,
    /// The six fields as written, one space between them.
    text: String,
}

impl Cron {
    /// The minutes of the hour it runs at (0-59).
    pub fn minutes(&self) -> &ValueSet {
        &self.minutes
    }

    /// The hours of the day it runs at (0-23).
    pub fn hours(&self) -> &ValueSet {
        &self.hours
    }

    /// The days it runs on: by day of the month or by day of the week.
    pub fn days(&self) -> &Days {
        &self.days
    }

    /// The months it runs in (1-12).
    pub fn months(&self) -> &ValueSet {
        &self.months
    }

    /// The years it runs in (1970-2199).
    pub fn years(&self) -> &YearSet {
        &self.years
    }

    /// How many days of `month` in `year` it runs on.
    fn days_in(&self, year: u16, month: u8) -> u32 {
        if !self.years.contains(year) || !self.months.contains(u16::from(month)) {
            return 0;
        }
        let length = days_in_month(year, month);
        // The day of the month the weekday `w` first falls on.
        let first_of = |w: u8| 1 + (w + 7 - weekday(year, month, 1)) % 7;
        match &self.days {
            Days::OfMonth(DayOfMonth::Days(set)) => {
                set.iter().filter(|&d| d <= u16::from(length)).count() as u32
            }
            Days::OfMonth(DayOfMonth::Last | DayOfMonth::LastWeekday) => 1,
            Days::OfMonth(DayOfMonth::NearestWeekday(day)) => u32::from(*day <= length),
            Days::OfWeek(DayOfWeek::Days(set)) => set
                .iter()
                .map(|w| {
                    let first = first_of(w as u8);
                    u32::from((length - first) / 7 + 1)
                })
                .sum(),
            Days::OfWeek(DayOfWeek::Last(_)) => 1,
            Days::OfWeek(DayOfWeek::Nth { weekday, nth }) => {
                u32::from(first_of(*weekday) + 7 * (nth - 1) <= length)
            }
        }
    }

    /// Whether any date in its years matches its days and months.
    fn ever_runs(&self) -> bool {
        self.years
            .iter()
            .any(|year| (1..=12).any(|month| self.days_in(year, month) > 0))
    }
}

/// The days a cron runs on: exactly one of day-of-month and day-of-week is `?`, so a cron
/// restricts its days by one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Days {
    /// Day-of-month is set, day-of-week is `?`.
    OfMonth(DayOfMonth),
    /// Day-of-week is set, day-of-month is `?`.
    OfWeek(DayOfWeek),
}

/// A day-of-month field other than `?`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DayOfMonth {
    /// Days 1-31 from values, ranges, steps, lists or `*`; a day past the month's end
    /// (the 31st in April) does not run that month.
    Days(ValueSet),
    /// `L`: the month's last day.
    Last,
    /// `LW`: the month's last weekday (Monday–Friday).
    LastWeekday,
    /// `15W`: the weekday nearest that day within the month (a Saturday 1st moves to
    /// Monday the 3rd, a Sunday last day to the Friday before); none in a month too short
    /// for the day.
    NearestWeekday(u8),
}

/// A day-of-week field other than `?`. Weekdays are numbered 1 = Sunday … 7 = Saturday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DayOfWeek {
    /// Weekdays from values, names, ranges, lists or `*`; a lone `L` (the last day of the
    /// week) is Saturday.
    Days(ValueSet),
    /// `6L`: the month's last such weekday (here the last Friday).
    Last(u8),
    /// `6#3`: the month's `nth` such weekday (here the third Friday), `nth` 1-5; none in a
    /// month without a fifth.
    Nth {
        /// The weekday, 1 = Sunday … 7 = Saturday.
        weekday: u8,
        /// Which one in the month, 1-5.
        nth: u8,
    },
}

/// The values one cron field matches: a bit set of up to `64 × WORDS` values from the
/// field's lowest (0 for minutes, 1970 for years). Fields other than the year fit in one
/// word ([`ValueSet`]); the year's 230 values take four ([`YearSet`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Values<const WORDS: usize> {
    min: u16,
    bits: [u64; WORDS],
}

/// The set of a minutes, hours, day-of-month, month or day-of-week field.
pub type ValueSet = Values<1>;

/// The set of a year field (1970-2199).
pub type YearSet = Values<4>;

impl<const WORDS: usize> Values<WORDS> {
    fn new(min: u16) -> Self {
        Self {
            min,
            bits: [0; WORDS],
        }
    }

    fn insert_range(&mut self, low: u16, high: u16, step: u16) {
        for value in (low..=high).step_by(usize::from(step.max(1))) {
            if let Some(i) = self.index(value) {
                self.bits[i / 64] |= 1 << (i % 64);
            }
        }
    }

    fn index(&self, value: u16) -> Option<usize> {
        let i = usize::from(value.checked_sub(self.min)?);
        (i < 64 * WORDS).then_some(i)
    }

    /// Whether the field matches `value`.
    pub fn contains(&self, value: u16) -> bool {
        self.index(value)
            .is_some_and(|i| self.bits[i / 64] & (1 << (i % 64)) != 0)
    }

    /// How many values the field matches.
    pub fn len(&self) -> u32 {
        self.bits.iter().map(|b| b.count_ones()).sum()
    }

    /// Whether the field matches nothing (never true of a parsed field).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values it matches, in order.
    pub fn iter(&self) -> impl Iterator<Item = u16> + '_ {
        (0..64 * WORDS)
            .filter(|&i| self.bits[i / 64] & (1 << (i % 64)) != 0)
            .map(|i| self.min + i as u16)
    }
}

/// Parses a schedule expression as EventBridge Scheduler takes it.
///
/// The error says what is wrong and shows the right form, e.g. "day-of-month and
/// day-of-week cannot both be set: one of them must be `?`, e.g. `cron(0 2 * * ? *)`".
pub fn parse(text: &str) -> Result<Expression, String> {
    if text.trim().is_empty() {
        return Err(format!("the schedule is empty: write one, {EXAMPLES}"));
    }
    let length = text.chars().count();
    if length > MAX_EXPRESSION_LEN {
        return Err(format!(
            "the schedule is {length} characters long: EventBridge Scheduler takes at most \
             {MAX_EXPRESSION_LEN}; shorten it, e.g. with ranges (`1-5`) or steps (`0/15`) \
             in place of long lists"
        ));
    }
    if text.trim() != text {
        return Err(format!(
            "`{text}` has white space around it: remove it, e.g. `{}`",
            text.trim()
        ));
    }
    if let Some(rest) = text.strip_prefix("cron(") {
        let inner = inside(text, rest, "cron(0 2 * * ? *)")?;
        return parse_cron(inner).map(Expression::Cron);
    }
    if let Some(rest) = text.strip_prefix("rate(") {
        return parse_rate(inside(text, rest, "rate(15 minutes)")?);
    }
    if let Some(rest) = text.strip_prefix("at(") {
        return parse_at(inside(text, rest, "at(2027-01-31T09:00:00)")?);
    }
    let lower = text.to_ascii_lowercase();
    if let Some(kind) = ["cron(", "rate(", "at("]
        .into_iter()
        .find(|kind| lower.starts_with(kind))
    {
        return Err(format!(
            "`{text}`: write `{kind}` in lower case, {EXAMPLES}"
        ));
    }
    Err(format!(
        "`{text}` is not a schedule expression: write `cron(minutes hours day-of-month month \
         day-of-week year)`, `rate(value unit)` or `at(yyyy-mm-ddThh:mm:ss)`, {EXAMPLES}"
    ))
}

/// The text between `kind(` and the closing `)`.
fn inside<'a>(text: &str, rest: &'a str, example: &str) -> Result<&'a str, String> {
    rest.strip_suffix(')')
        .ok_or_else(|| format!("`{text}` must end with `)`, e.g. `{example}`"))
}

/// What one cron field takes, for parsing and for its error messages.
struct Field {
    /// The field's name, e.g. `day-of-month`.
    name: &'static str,
    /// What its values are, in a sentence: "days of the month are".
    plural: &'static str,
    min: u16,
    max: u16,
    /// Names for the values from `min` on (`JAN` = 1, `SUN` = 1).
    names: &'static [&'static str],
    /// The values, e.g. `1-12 or JAN-DEC`.
    values: &'static str,
    /// The wildcards it takes, for messages.
    wildcards: &'static str,
    /// Whether it takes `/` steps.
    steps: bool,
    /// Right forms, for messages.
    example: &'static str,
    /// A right step, for messages.
    step_example: &'static str,
}

const MONTH_NAMES: &[&str] = &[
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAY_NAMES: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const WEEKDAY_WORDS: &[&str] = &[
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

const MINUTES: Field = Field {
    name: "minutes",
    plural: "minutes are",
    min: 0,
    max: 59,
    names: &[],
    values: "0-59",
    wildcards: "`,` `-` `*` `/`",
    steps: true,
    example: "`0`, `0,30`, `0-29` or `0/15`",
    step_example: "`0/15`",
};
const HOURS: Field = Field {
    name: "hours",
    plural: "hours are",
    min: 0,
    max: 23,
    names: &[],
    values: "0-23",
    wildcards: "`,` `-` `*` `/`",
    steps: true,
    example: "`2`, `9-17` or `0/6`",
    step_example: "`0/6`",
};
const DAY_OF_MONTH: Field = Field {
    name: "day-of-month",
    plural: "days of the month are",
    min: 1,
    max: 31,
    names: &[],
    values: "1-31",
    wildcards: "`,` `-` `*` `?` `/` `L` `W`",
    steps: true,
    example: "`1`, `1,15`, `*`, `L` or `15W`",
    step_example: "`1/7`",
};
const MONTH: Field = Field {
    name: "month",
    plural: "months are",
    min: 1,
    max: 12,
    names: MONTH_NAMES,
    values: "1-12 or JAN-DEC",
    wildcards: "`,` `-` `*` `/`",
    steps: true,
    example: "`*`, `1`, `JAN-MAR` or `1/3`",
    step_example: "`1/3`",
};
const DAY_OF_WEEK: Field = Field {
    name: "day-of-week",
    plural: "days of the week are",
    min: 1,
    max: 7,
    names: WEEKDAY_NAMES,
    values: "1-7 or SUN-SAT (1 = Sunday)",
    wildcards: "`,` `-` `*` `?` `L` `#`",
    steps: false,
    example: "`MON-FRI`, `2`, `6L` or `6#3`",
    step_example: "",
};
const YEAR: Field = Field {
    name: "year",
    plural: "years are",
    min: 1970,
    max: 2199,
    names: &[],
    values: "1970-2199",
    wildcards: "`,` `-` `*` `/`",
    steps: true,
    example: "`*`, `2027` or `2027-2030`",
    step_example: "`2027/2`",
};

impl Field {
    fn invalid(&self, text: &str) -> String {
        format!(
            "{} `{text}` is not valid: {} {}, with {}, e.g. {}",
            self.name, self.plural, self.values, self.wildcards, self.example
        )
    }

    /// One value: digits or (where the field has them) a name.
    fn value(&self, token: &str) -> Result<u16, String> {
        if !token.is_empty() && token.len() <= 4 && token.bytes().all(|b| b.is_ascii_digit()) {
            let value: u16 = token.parse().map_err(|_| self.invalid(token))?;
            if !(self.min..=self.max).contains(&value) {
                return Err(format!(
                    "{} value `{token}` is out of range: {} {}, e.g. {}",
                    self.name, self.plural, self.values, self.example
                ));
            }
            return Ok(value);
        }
        self.names
            .iter()
            .position(|name| name.eq_ignore_ascii_case(token))
            .map(|i| self.min + i as u16)
            .ok_or_else(|| self.invalid(token))
    }

    /// How to write `value` the way `like` was written (a name or a number).
    fn render_like(&self, value: u16, like: &str) -> String {
        let named = like.bytes().any(|b| b.is_ascii_alphabetic());
        match self.names.get(usize::from(value - self.min)) {
            Some(name) if named => (*name).to_string(),
            _ => value.to_string(),
        }
    }

    /// A field of values, ranges, steps, lists and `*`.
    fn set<const WORDS: usize>(&self, text: &str) -> Result<Values<WORDS>, String> {
        if text == "?" {
            return Err(format!(
                "`?` is only for day-of-month or day-of-week: write `*` for every value of {}, \
                 e.g. {}",
                self.name, self.example
            ));
        }
        let mut set = Values::new(self.min);
        for item in text.split(',') {
            if item.is_empty() {
                return Err(format!(
                    "{} `{text}` has an empty item: separate values with single commas, e.g. {}",
                    self.name, self.example
                ));
            }
            let (base, step) = match item.split_once('/') {
                Some((base, step)) => {
                    if !self.steps {
                        return Err(format!(
                            "{} takes no `/` steps: list the days instead, e.g. `MON,WED,FRI`",
                            self.name
                        ));
                    }
                    (base, Some(self.step(item, step)?))
                }
                None => (item, None),
            };
            let (low, high) = if base == "*" {
                (self.min, self.max)
            } else if let Some((a, b)) = base.split_once('-') {
                let (low, high) = (self.value(a)?, self.value(b)?);
                if low > high {
                    return Err(self.backwards(item, a, b));
                }
                (low, high)
            } else {
                let value = self.value(base)?;
                (value, if step.is_some() { self.max } else { value })
            };
            set.insert_range(low, high, step.unwrap_or(1));
        }
        Ok(set)
    }

    fn step(&self, item: &str, step: &str) -> Result<u16, String> {
        let limit = self.max - self.min;
        let valid = !step.is_empty() && step.len() <= 3 && step.bytes().all(|b| b.is_ascii_digit());
        match step.parse::<u16>() {
            Ok(n) if valid && (1..=limit).contains(&n) => Ok(n),
            _ => Err(format!(
                "step `/{step}` in {} `{item}` must be a whole number from 1 to {limit}, e.g. {}",
                self.name, self.step_example
            )),
        }
    }

    /// The fix for a range written high to low: the same ends the right way round, or both
    /// ends of the span that wraps past the field's end (which a list writes).
    fn backwards(&self, item: &str, a: &str, b: &str) -> String {
        if self.min == YEAR.min {
            return format!(
                "year range `{item}` runs backwards: write the earlier year first, e.g. `{b}-{a}`"
            );
        }
        let (max, min) = (self.render_like(self.max, a), self.render_like(self.min, b));
        let tail = if max == a {
            a.to_string()
        } else {
            format!("{a}-{max}")
        };
        let head = if min == b {
            b.to_string()
        } else {
            format!("{min}-{b}")
        };
        format!(
            "{} range `{item}` runs backwards: write the smaller value first, e.g. `{b}-{a}`, \
             or list both ends of a span that wraps around, e.g. `{tail},{head}`",
            self.name
        )
    }
}

const BOTH_DAYS_SET: &str = "day-of-month and day-of-week cannot both be set: one of them \
                             must be `?`, e.g. `cron(0 2 * * ? *)`";
const NO_DAYS_SET: &str = "day-of-month and day-of-week cannot both be `?`: set one of them, \
                           e.g. `*` in day-of-month for every day: `cron(0 2 * * ? *)`";

fn parse_cron(inner: &str) -> Result<Cron, String> {
    let fields: Vec<&str> = inner.split_whitespace().collect();
    if fields.len() != 6 {
        let count = fields.len();
        let fix = match count {
            5 => "add the year, e.g. `*`".to_string(),
            7 => "EventBridge cron has no seconds field; remove the extra one, e.g. \
                  `cron(0 2 * * ? *)` for 02:00 every day"
                .to_string(),
            _ => "e.g. `cron(0 2 * * ? *)` for 02:00 every day".to_string(),
        };
        return Err(format!(
            "cron takes 6 fields (minutes hours day-of-month month day-of-week year), got \
             {count}: {fix}"
        ));
    }
    let upper: Vec<String> = fields.iter().map(|f| f.to_ascii_uppercase()).collect();
    let minutes = MINUTES.set(&upper[0])?;
    let hours = HOURS.set(&upper[1])?;
    let days = match (upper[2] == "?", upper[4] == "?") {
        (false, false) => return Err(BOTH_DAYS_SET.to_string()),
        (true, true) => return Err(NO_DAYS_SET.to_string()),
        (false, true) => Days::OfMonth(day_of_month(&upper[2])?),
        (true, false) => Days::OfWeek(day_of_week(&upper[4])?),
    };
    let months = MONTH.set(&upper[3])?;
    let years = YEAR.set(&upper[5])?;
    let cron = Cron {
        minutes,
        hours,
        days,
        months,
        years,
        text: fields.join(" "),
    };
    if !cron.ever_runs() {
        let (field, fix) = match days {
            Days::OfMonth(_) => (
                format!("day-of-month `{}`", fields[2]),
                "e.g. `L` for the month's last day",
            ),
            Days::OfWeek(_) => (
                format!("day-of-week `{}`", fields[4]),
                "e.g. `6L` for the month's last Friday",
            ),
        };
        return Err(format!(
            "`cron({})` never runs: no date in month `{}` of year `{}` matches {field}; pick days \
             those months have, {fix}",
            cron.text, fields[3], fields[5]
        ));
    }
    Ok(cron)
}

fn day_of_month(text: &str) -> Result<DayOfMonth, String> {
    match text {
        "L" => return Ok(DayOfMonth::Last),
        "LW" => return Ok(DayOfMonth::LastWeekday),
        _ => {}
    }
    let standalone = || {
        format!(
            "day-of-month `{text}` is not valid: `L` and `W` stand alone, not in a list, range \
             or step: write `L` (the last day), `LW` (the last weekday) or a day with `W`, e.g. \
             `15W` (the weekday nearest the 15th)"
        )
    };
    if let Some(day) = text.strip_suffix('W') {
        if day.is_empty() || !day.bytes().all(|b| b.is_ascii_digit()) {
            return Err(standalone());
        }
        return Ok(DayOfMonth::NearestWeekday(DAY_OF_MONTH.value(day)? as u8));
    }
    if text.contains(['L', 'W']) {
        return Err(standalone());
    }
    DAY_OF_MONTH.set(text).map(DayOfMonth::Days)
}

fn day_of_week(text: &str) -> Result<DayOfWeek, String> {
    if text == "L" {
        let mut saturday = ValueSet::new(DAY_OF_WEEK.min);
        saturday.insert_range(7, 7, 1);
        return Ok(DayOfWeek::Days(saturday));
    }
    if text.contains('#') {
        let mut parts = text.split('#');
        let (Some(day), Some(nth), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(one_hash(text));
        };
        if day.contains([',', '-', '/', 'L']) || nth.contains([',', '-']) {
            return Err(one_hash(text));
        }
        let weekday = DAY_OF_WEEK.value(day)? as u8;
        return match nth.parse::<u8>() {
            Ok(n @ 1..=5) if nth.len() == 1 => Ok(DayOfWeek::Nth { weekday, nth: n }),
            _ => Err(format!(
                "day-of-week `{text}`: the occurrence after `#` must be 1-5, e.g. `6#3` for the \
                 third Friday of the month"
            )),
        };
    }
    if let Some(day) = text.strip_suffix('L') {
        if day.contains([',', '-', '/', 'L']) {
            return Err(format!(
                "day-of-week `{text}` is not valid: `L` follows one day only, e.g. `6L` (or \
                 `FRIL`) for the month's last Friday, or stands alone for Saturday"
            ));
        }
        return Ok(DayOfWeek::Last(DAY_OF_WEEK.value(day)? as u8));
    }
    if text.contains('L') {
        return Err(format!(
            "day-of-week `{text}` is not valid: `L` follows one day, e.g. `6L` for the month's \
             last Friday; offsets such as `L-2` are not taken"
        ));
    }
    DAY_OF_WEEK.set(text).map(DayOfWeek::Days)
}

fn one_hash(text: &str) -> String {
    format!(
        "day-of-week `{text}` is not valid: `#` takes one day and one occurrence only, not a \
         list or range, e.g. `6#3` for the third Friday of the month"
    )
}

fn parse_rate(inner: &str) -> Result<Expression, String> {
    let parts: Vec<&str> = inner.split(' ').collect();
    let [value, unit] = parts.as_slice() else {
        return Err(format!(
            "`rate({inner})` is not valid: rate takes a value and a unit with one space between, \
             e.g. `rate(15 minutes)`"
        ));
    };
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "rate value `{value}` is not a whole number: write a positive whole number, e.g. \
             `rate(15 minutes)`"
        ));
    }
    let value: u32 = value
        .parse()
        .map_err(|_| format!("rate value `{value}` is too large: write e.g. `rate(30 days)`"))?;
    if value == 0 {
        return Err("rate value must be 1 or more, e.g. `rate(1 minute)`".to_string());
    }
    let (unit, plural) = match *unit {
        "minute" => (RateUnit::Minutes, false),
        "minutes" => (RateUnit::Minutes, true),
        "hour" => (RateUnit::Hours, false),
        "hours" => (RateUnit::Hours, true),
        "day" => (RateUnit::Days, false),
        "days" => (RateUnit::Days, true),
        _ => {
            return Err(format!(
                "rate unit `{unit}` is not one of `minutes`, `hours` or `days` (`minute`, `hour` \
                 or `day` with a value of 1), e.g. `rate(15 minutes)`"
            ));
        }
    };
    if value != 1 && !plural {
        return Err(format!(
            "`rate({inner})`: a value other than 1 takes the plural unit, e.g. `rate({value} {})`",
            unit.name(value)
        ));
    }
    Ok(Expression::Rate { value, unit })
}

fn parse_at(inner: &str) -> Result<Expression, String> {
    const FORM: &str = "write `at(yyyy-mm-ddThh:mm:ss)`, e.g. `at(2027-01-31T09:00:00)`";
    let bytes = inner.as_bytes();
    let shaped = bytes.len() == 19
        && bytes.iter().enumerate().all(|(i, &b)| match i {
            4 | 7 => b == b'-',
            10 => b == b'T',
            13 | 16 => b == b':',
            _ => b.is_ascii_digit(),
        });
    if !shaped {
        return Err(format!("`at({inner})` is not a date and time: {FORM}"));
    }
    // Every byte read below is an ASCII digit: the shape was checked above.
    let number = |from: usize, to: usize| {
        bytes[from..to]
            .iter()
            .fold(0u16, |n, &b| n * 10 + u16::from(b - b'0'))
    };
    let (year, month, day) = (number(0, 4), number(5, 7) as u8, number(8, 10) as u8);
    let (hour, minute, second) = (
        number(11, 13) as u8,
        number(14, 16) as u8,
        number(17, 19) as u8,
    );
    if year < YEAR.min {
        return Err(format!(
            "`at({inner})`: the year must be {} or later, {FORM}",
            YEAR.min
        ));
    }
    if !(1..=12).contains(&month) {
        return Err(format!(
            "`at({inner})`: month `{month:02}` is not 01-12, {FORM}"
        ));
    }
    let length = days_in_month(year, month);
    if day == 0 || day > length {
        let name = title_case(MONTH_NAMES[usize::from(month - 1)]);
        return Err(format!(
            "`at({inner})`: day `{day:02}` is not a day of {name} {year}, which has {length} \
             days, {FORM}"
        ));
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err(format!(
            "`at({inner})`: the time must be 00:00:00-23:59:59, {FORM}"
        ));
    }
    Ok(Expression::At {
        year,
        month,
        day,
        hour,
        minute,
        second,
    })
}

/// The average number of runs in a month, for cost estimates. Deterministic: no clock.
///
/// - `rate`: the price tables' 730-hour month divided by the interval, so `rate(5 minutes)`
///   is 8760 and `rate(1 day)` 30.4167 (730 / 24).
/// - `cron`: the matching minutes counted over whole years, divided by their months. The
///   years are [`REFERENCE_YEARS`] (2027-2030: a daily cron is 1461 / 48 = 30.4375) when the
///   year field does not narrow the years from 2027 on (`*`, `2020-2199`); otherwise the
///   field's own years from 2027 on, so `cron(0 2 * * ? 2027)` is also 30.4375: what a month
///   costs while the schedule runs, not an average that counts the years it does not. A cron
///   whose years all lie before 2027 is 0: it has no runs left to pay for. `L`, `W`, `#`,
///   ranges, steps, lists and names count as they run; hours and minutes do not depend on
///   the date, so each matching day counts hours × minutes runs.
/// - `at`: 1, the one run, in the month it falls in (not spread over any span).
///
/// The schedule's time zone does not change the figure. A rate counts elapsed time, which
/// daylight saving does not touch; a cron skips the runs that fall in the hour the clocks
/// skip in spring and does not repeat those of the hour they repeat in autumn (the
/// Scheduler's documented behaviour), so a year loses at most one hour's runs of one day,
/// and none for a schedule that avoids that hour.
///
/// Note the two kinds of month differ slightly: a daily cron averages 30.4375 (calendar
/// days) where `rate(1 day)` is 30.4167 (730 hours): each is the exact figure for its
/// own definition.
pub fn runs_per_month(expr: &Expression) -> f64 {
    match expr {
        Expression::Rate { value, unit } => {
            HOURS_PER_MONTH * 60.0 / (f64::from(*value) * f64::from(unit.minutes()))
        }
        Expression::At { .. } => 1.0,
        Expression::Cron(cron) => {
            let from = *REFERENCE_YEARS.start();
            let ahead: Vec<u16> = cron.years.iter().filter(|&y| y >= from).collect();
            let years: Vec<u16> = if ahead.len() == usize::from(YEAR.max - from + 1) {
                REFERENCE_YEARS.collect()
            } else {
                ahead
            };
            if years.is_empty() {
                return 0.0;
            }
            let days: u64 = years
                .iter()
                .flat_map(|&year| (1..=12).map(move |month| (year, month)))
                .map(|(year, month)| u64::from(cron.days_in(year, month)))
                .sum();
            let per_day = u64::from(cron.hours.len()) * u64::from(cron.minutes.len());
            (days * per_day) as f64 / (12 * years.len()) as f64
        }
    }
}

/// A short reading of the schedule for the plan, e.g. "daily at 02:00", "every 15
/// minutes", "at 09:00 on Mon–Fri", "once at 2027-01-31 09:00".
///
/// It only says what the expression exactly means: where no short text would be exact
/// (irregular minute lists, many run times a day, long year lists), it is the expression
/// itself. Times are in the schedule's time zone, which the caller names.
pub fn describe(expr: &Expression) -> String {
    match expr {
        Expression::Rate { value: 1, unit } => format!("every {}", unit.name(1)),
        Expression::Rate { value, unit } => format!("every {value} {}", unit.name(*value)),
        Expression::At {
            year,
            month,
            day,
            hour,
            minute,
            second,
        } => {
            let seconds = if *second == 0 {
                String::new()
            } else {
                format!(":{second:02}")
            };
            format!("once at {year:04}-{month:02}-{day:02} {hour:02}:{minute:02}{seconds}")
        }
        Expression::Cron(cron) => describe_cron(cron).unwrap_or_else(|| expr.to_string()),
    }
}

/// When in the day a cron runs.
enum Times {
    /// A few fixed times: "at 02:00", "at 09:00 and 17:00".
    At(String),
    /// A repetition: "every 15 minutes", "every hour at :30".
    Every(String),
}

fn describe_cron(cron: &Cron) -> Option<String> {
    let times = describe_times(&cron.minutes, &cron.hours)?;
    let days = describe_days(&cron.days)?;
    let mut text = match (times, days.is_empty()) {
        (Times::At(at), true) => format!("daily {at}"),
        (Times::Every(text), true) => text,
        (Times::At(text) | Times::Every(text), false) => format!("{text} {days}"),
    };
    if cron.months.len() < 12 {
        let months: Vec<u16> = cron.months.iter().collect();
        let label = |m: u16| title_case(MONTH_NAMES[usize::from(m - 1)]);
        text.push_str(&format!(" in {}", runs_of(&months, label, 4)?));
    }
    if cron.years.len() < u32::from(YEAR.max - YEAR.min + 1) {
        let years: Vec<u16> = cron.years.iter().collect();
        text.push_str(&format!(" in {}", runs_of(&years, |y| y.to_string(), 3)?));
    }
    Some(text)
}

fn describe_times(minutes: &ValueSet, hours: &ValueSet) -> Option<Times> {
    let minute_list: Vec<u16> = minutes.iter().collect();
    let hour_list: Vec<u16> = hours.iter().collect();
    let all_hours = hour_list.len() == 24;
    // A step that repeats evenly across the hour (or day), e.g. 0/15 or 5/15.
    let even = |values: &[u16], period: u16| -> Option<(u16, u16)> {
        let (&first, &second) = (values.first()?, values.get(1)?);
        let step = second - first;
        let regular = values.windows(2).all(|w| w[1] - w[0] == step);
        (regular && period.is_multiple_of(step) && values.len() == usize::from(period / step))
            .then_some((first, step))
    };
    let hour_span = || {
        let (&first, &last) = (hour_list.first()?, hour_list.last()?);
        (usize::from(last - first) + 1 == hour_list.len()).then_some((first, last))
    };
    match minute_list.as_slice() {
        [_, ..] if minute_list.len() == 60 && all_hours => {
            return Some(Times::Every("every minute".to_string()));
        }
        [minute] if all_hours => {
            return Some(Times::Every(if *minute == 0 {
                "every hour".to_string()
            } else {
                format!("every hour at :{minute:02}")
            }));
        }
        [minute] => {
            if let Some((first, step)) = even(&hour_list, 24) {
                return Some(Times::Every(if first == 0 && *minute == 0 {
                    format!("every {step} hours")
                } else {
                    format!("every {step} hours from {first:02}:{minute:02}")
                }));
            }
        }
        _ => {}
    }
    let per_hour = if minute_list.len() == 60 {
        Some("every minute".to_string())
    } else {
        even(&minute_list, 60).map(|(_, step)| format!("every {step} minutes"))
    };
    if let Some(every) = per_hour {
        let first_minute = minute_list.first()?;
        if all_hours {
            return Some(Times::Every(if *first_minute == 0 {
                every
            } else {
                format!("{every} from :{first_minute:02}")
            }));
        }
        let (first, last) = hour_span()?;
        let last_minute = minute_list.last()?;
        return Some(Times::Every(format!(
            "{every}, {first:02}:{first_minute:02}–{last:02}:{last_minute:02}"
        )));
    }
    if hour_list.len() * minute_list.len() <= 4 {
        let times: Vec<String> = hour_list
            .iter()
            .flat_map(|h| minute_list.iter().map(move |m| format!("{h:02}:{m:02}")))
            .collect();
        return Some(Times::At(format!("at {}", join_and(&times))));
    }
    None
}

/// "on Mon–Fri", "on the last day of the month"; empty for every day.
fn describe_days(days: &Days) -> Option<String> {
    let weekday = |w: u8| WEEKDAY_WORDS.get(usize::from(w).wrapping_sub(1)).copied();
    Some(match days {
        Days::OfMonth(DayOfMonth::Days(set)) if set.len() == 31 => String::new(),
        Days::OfWeek(DayOfWeek::Days(set)) if set.len() == 7 => String::new(),
        Days::OfMonth(DayOfMonth::Days(set)) => {
            let list: Vec<u16> = set.iter().collect();
            let noun = if list.len() == 1 { "day" } else { "days" };
            format!(
                "on {noun} {} of the month",
                runs_of(&list, |d| d.to_string(), 4)?
            )
        }
        Days::OfMonth(DayOfMonth::Last) => "on the last day of the month".to_string(),
        Days::OfMonth(DayOfMonth::LastWeekday) => "on the last weekday of the month".to_string(),
        Days::OfMonth(DayOfMonth::NearestWeekday(day)) => {
            format!("on the weekday nearest day {day} of the month")
        }
        Days::OfWeek(DayOfWeek::Days(set)) => {
            let list: Vec<u16> = set.iter().collect();
            let label = |w: u16| title_case(WEEKDAY_NAMES[usize::from(w - 1)]);
            format!("on {}", runs_of(&list, label, 4)?)
        }
        Days::OfWeek(DayOfWeek::Last(w)) => format!("on the last {} of the month", weekday(*w)?),
        Days::OfWeek(DayOfWeek::Nth { weekday: w, nth }) => {
            let ordinal = ["first", "second", "third", "fourth", "fifth"]
                .get(usize::from(*nth).wrapping_sub(1))?;
            format!("on the {ordinal} {} of the month", weekday(*w)?)
        }
    })
}

/// Sorted values as runs, e.g. "Mon–Fri", "1, 15 and 28", "Jan–Mar and Oct"; `None` past
/// `max_parts` parts.
fn runs_of(values: &[u16], label: impl Fn(u16) -> String, max_parts: usize) -> Option<String> {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < values.len() {
        let mut j = i;
        while j + 1 < values.len() && values[j + 1] == values[j] + 1 {
            j += 1;
        }
        if j - i >= 2 {
            parts.push(format!("{}–{}", label(values[i]), label(values[j])));
        } else {
            parts.extend(values[i..=j].iter().map(|&v| label(v)));
        }
        i = j + 1;
    }
    (!parts.is_empty() && parts.len() <= max_parts).then(|| join_and(&parts))
}

/// "a", "a and b", "a, b and c".
fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn title_case(name: &str) -> String {
    let mut out = name.to_ascii_lowercase();
    if let Some(first) = out.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    out
}

/// Checks a schedule's time zone: `UTC`, `GMT`, or an IANA name shaped `Area/Location` or
/// `Area/Location/Sub` (e.g. `Europe/Dublin`, `America/Argentina/Buenos_Aires`,
/// `Etc/GMT+5`) with an area from [`TIMEZONE_AREAS`].
///
/// With no time-zone database here, only the shape and the area are checked: a name that
/// looks right but does not exist (`Europe/Atlantis`) passes, and the Scheduler API refuses
/// it at apply. Old link names outside those areas (`US/Eastern`) are refused, with the
/// canonical kind of name to write instead.
pub fn check_timezone(tz: &str) -> Result<(), String> {
    const FIX: &str =
        "write an IANA time-zone name, e.g. `Europe/Dublin`, `America/New_York` or `UTC`";
    if tz.is_empty() {
        return Err(format!("the time zone is empty: {FIX}"));
    }
    let length = tz.chars().count();
    if length > MAX_TIMEZONE_LEN {
        return Err(format!(
            "the time zone is {length} characters long: EventBridge Scheduler takes at most \
             {MAX_TIMEZONE_LEN}; {FIX}"
        ));
    }
    if matches!(tz, "UTC" | "GMT") {
        return Ok(());
    }
    let parts: Vec<&str> = tz.split('/').collect();
    let shaped = (2..=3).contains(&parts.len())
        && parts.iter().all(|part| {
            part.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+'))
        });
    if !shaped {
        return Err(format!(
            "`{tz}` is not an IANA time-zone name (`Area/Location`, no spaces or \
             abbreviations such as `CET`): {FIX}"
        ));
    }
    let area = parts[0];
    if TIMEZONE_AREAS.contains(&area) {
        return Ok(());
    }
    if let Some(right) = TIMEZONE_AREAS
        .iter()
        .find(|known| known.eq_ignore_ascii_case(area))
    {
        return Err(format!(
            "`{tz}`: IANA names are case-sensitive: write the area as `{right}`, e.g. \
             `Europe/Dublin`"
        ));
    }
    Err(format!(
        "`{tz}` is not in an IANA time-zone area ({}): {FIX}",
        TIMEZONE_AREAS.join(", ")
    ))
}

fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The weekday of a date, 1 = Sunday … 7 = Saturday (Sakamoto's method).
fn weekday(year: u16, month: u8, day: u8) -> u8 {
    const OFFSETS: [u32; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
    let y = u32::from(year) - u32::from(month < 3);
    let offset = OFFSETS[usize::from(month.clamp(1, 12) - 1)];
    ((y + y / 4 - y / 100 + y / 400 + offset + u32::from(day)) % 7) as u8 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    fn cron(text: &str) -> Cron {
        match parse(text) {
            Ok(Expression::Cron(cron)) => cron,
            other => panic!("{text}: {other:?}"),
        }
    }

    fn runs(text: &str) -> f64 {
        runs_per_month(&parse(text).unwrap_or_else(|e| panic!("{text}: {e}")))
    }

    fn error(text: &str) -> String {
        parse(text).expect_err(text)
    }

    fn set(values: &[u16], min: u16) -> ValueSet {
        let mut set = ValueSet::new(min);
        for &v in values {
            set.insert_range(v, v, 1);
        }
        set
    }

    #[test]
    fn weekdays_and_month_lengths_match_the_calendar() {
        assert_eq!(weekday(1970, 1, 1), 5); // Thursday
        assert_eq!(weekday(2027, 1, 1), 6); // Friday
        assert_eq!(weekday(2028, 2, 29), 3); // Tuesday
        assert_eq!(weekday(2000, 3, 1), 4); // Wednesday
        assert_eq!(days_in_month(2028, 2), 29);
        assert_eq!(days_in_month(2100, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(2027, 4), 30);
    }

    #[test]
    fn cron_fields_parse_into_their_values() {
        let c = cron("cron(0 2 * * ? *)");
        assert_eq!(c.minutes().iter().collect::<Vec<_>>(), [0]);
        assert_eq!(c.hours().iter().collect::<Vec<_>>(), [2]);
        assert_eq!(c.days(), &Days::OfMonth(DayOfMonth::Days(all(1, 31))));
        assert_eq!(c.months().len(), 12);
        assert_eq!(c.years().len(), 230);

        let c = cron("cron(0/15 8-17 ? JAN,jul-Sep MON-FRI 2027-2030)");
        assert_eq!(c.minutes().iter().collect::<Vec<_>>(), [0, 15, 30, 45]);
        assert_eq!(
            c.hours().iter().collect::<Vec<_>>(),
            (8..=17).collect::<Vec<_>>()
        );
        assert_eq!(c.months().iter().collect::<Vec<_>>(), [1, 7, 8, 9]);
        assert_eq!(
            c.days(),
            &Days::OfWeek(DayOfWeek::Days(set(&[2, 3, 4, 5, 6], 1)))
        );
        assert_eq!(
            c.years().iter().collect::<Vec<_>>(),
            [2027, 2028, 2029, 2030]
        );
    }

    fn all(low: u16, high: u16) -> ValueSet {
        let mut set = ValueSet::new(low);
        set.insert_range(low, high, 1);
        set
    }

    #[test]
    fn every_accepted_form_parses() {
        let cases: &[(&str, &str)] = &[
            ("cron(0 2 * * ? *)", "value per field, * and ?"),
            ("cron(0 10 ? * 2 *)", "day-of-week number"),
            ("cron(5,35 1,13 * * ? *)", "lists"),
            ("cron(0-29 9-17 1-15 1-6 ? 2027-2030)", "ranges"),
            ("cron(*/10 */2 */5 */3 ? */2)", "steps from *"),
            ("cron(5/15 1/6 2/7 2/3 ? 2027/2)", "steps from a value"),
            (
                "cron(0-30/10 8-18/2 1-20/5 1-7/2 ? 2027-2040/3)",
                "steps in ranges",
            ),
            (
                "cron(0 1-7/2,11-23/2,10 * * ? *)",
                "steps and values in one list",
            ),
            ("cron(0 9 ? JAN-MAR,DEC MON,WED,FRI *)", "names"),
            ("cron(0 9 ? jan-mar mon-fri *)", "names in lower case"),
            ("cron(07 08 01 01 ? 2027)", "leading zeros"),
            ("cron(0  2 *  * ?   *)", "runs of spaces"),
            ("cron(0 0 L * ? *)", "L in day-of-month"),
            ("cron(0 0 LW * ? *)", "LW"),
            ("cron(0 12 15W * ? *)", "nearest weekday"),
            ("cron(0 12 1W * ? *)", "nearest weekday to the 1st"),
            ("cron(0 0 ? * L *)", "L in day-of-week: Saturday"),
            ("cron(0 0 ? * 6L *)", "last Friday"),
            ("cron(0 0 ? * FRIL *)", "last Friday by name"),
            ("cron(0 0 ? * 6#3 *)", "third Friday"),
            ("cron(0 0 ? * MON#1 *)", "first Monday by name"),
            ("cron(0 0 ? * * *)", "every day by day-of-week"),
            ("cron(0 0 1 1 ? 1970)", "a year in the past"),
            ("cron(59 23 31 12 ? 2199)", "the last minute there is"),
        ];
        for (text, what) in cases {
            let parsed = parse(text).unwrap_or_else(|e| panic!("{what}: {text}: {e}"));
            assert!(matches!(parsed, Expression::Cron(_)), "{what}");
        }
        assert_eq!(
            cron("cron(0 0 ? * L *)").days(),
            &Days::OfWeek(DayOfWeek::Days(set(&[7], 1)))
        );
        assert_eq!(
            cron("cron(0 0 ? * FRIL *)").days(),
            &Days::OfWeek(DayOfWeek::Last(6))
        );
        assert_eq!(
            cron("cron(0 0 ? * MON#1 *)").days(),
            &Days::OfWeek(DayOfWeek::Nth { weekday: 2, nth: 1 })
        );
        assert_eq!(
            cron("cron(0 12 15W * ? *)").days(),
            &Days::OfMonth(DayOfMonth::NearestWeekday(15))
        );
        assert_eq!(
            cron("cron(0 0 LW * ? *)").days(),
            &Days::OfMonth(DayOfMonth::LastWeekday)
        );
        assert_eq!(
            cron("cron(5/15 1/6 2/7 2/3 ? 2027/2)")
                .minutes()
                .iter()
                .collect::<Vec<_>>(),
            [5, 20, 35, 50]
        );
        assert_eq!(
            cron("cron(0-30/10 8-18/2 1-20/5 1-7/2 ? *)")
                .hours()
                .iter()
                .collect::<Vec<_>>(),
            [8, 10, 12, 14, 16, 18]
        );
        assert_eq!(
            *cron("cron(0 0 */5 * ? *)").days(),
            Days::OfMonth(DayOfMonth::Days(set(&[1, 6, 11, 16, 21, 26, 31], 1)))
        );
    }

    #[test]
    fn rates_parse_with_singular_or_plural_for_one() {
        let cases: &[(&str, u32, RateUnit)] = &[
            ("rate(1 minute)", 1, RateUnit::Minutes),
            ("rate(1 minutes)", 1, RateUnit::Minutes),
            ("rate(5 minutes)", 5, RateUnit::Minutes),
            ("rate(1 hour)", 1, RateUnit::Hours),
            ("rate(1 hours)", 1, RateUnit::Hours),
            ("rate(12 hours)", 12, RateUnit::Hours),
            ("rate(1 day)", 1, RateUnit::Days),
            ("rate(1 days)", 1, RateUnit::Days),
            ("rate(30 days)", 30, RateUnit::Days),
        ];
        for (text, value, unit) in cases {
            assert_eq!(
                parse(text),
                Ok(Expression::Rate {
                    value: *value,
                    unit: *unit
                }),
                "{text}"
            );
        }
    }

    #[test]
    fn one_time_schedules_parse() {
        assert_eq!(
            parse("at(2027-01-31T09:05:30)"),
            Ok(Expression::At {
                year: 2027,
                month: 1,
                day: 31,
                hour: 9,
                minute: 5,
                second: 30
            })
        );
        assert!(parse("at(2028-02-29T00:00:00)").is_ok(), "leap day");
        assert!(parse("at(2027-12-31T23:59:59)").is_ok());
    }

    #[test]
    fn display_writes_what_scheduler_reads() {
        for text in [
            "cron(0 9 ? * MON-FRI *)",
            "rate(1 minute)",
            "rate(15 minutes)",
            "at(2027-01-31T09:00:00)",
        ] {
            let parsed = parse(text).expect(text);
            assert_eq!(parsed.to_string(), text);
            assert_eq!(parse(&parsed.to_string()), Ok(parsed));
        }
        assert_eq!(
            parse("cron(0  2 * * ? *)").map(|e| e.to_string()),
            Ok("cron(0 2 * * ? *)".into())
        );
    }

    #[test]
    fn each_rejection_says_what_to_write() {
        let cases: &[(&str, &str)] = &[
            (
                "",
                "the schedule is empty: write one, e.g. `cron(0 2 * * ? *)`",
            ),
            ("   ", "the schedule is empty"),
            (
                " cron(0 2 * * ? *)",
                "has white space around it: remove it, e.g. `cron(0 2 * * ? *)`",
            ),
            (
                "0 2 * * ? *",
                "is not a schedule expression: write `cron(minutes hours",
            ),
            ("every day", "is not a schedule expression"),
            ("CRON(0 2 * * ? *)", "write `cron(` in lower case"),
            ("Rate(5 minutes)", "write `rate(` in lower case"),
            (
                "cron(0 2 * * ? *",
                "must end with `)`, e.g. `cron(0 2 * * ? *)`",
            ),
            (
                "rate(5 minutes",
                "must end with `)`, e.g. `rate(15 minutes)`",
            ),
            (
                "cron(0 2 * * ?)",
                "cron takes 6 fields (minutes hours day-of-month month day-of-week year), got 5: \
                 add the year, e.g. `*`",
            ),
            (
                "cron(0 0 2 * * ? *)",
                "got 7: EventBridge cron has no seconds field",
            ),
            ("cron()", "got 0: e.g. `cron(0 2 * * ? *)`"),
            (
                "cron(0 2 * * * *)",
                "day-of-month and day-of-week cannot both be set: one of them must be `?`, e.g. \
                 `cron(0 2 * * ? *)`",
            ),
            ("cron(0 2 1 * MON *)", "cannot both be set"),
            ("cron(0 2 ? * ? *)", "cannot both be `?`: set one of them"),
            (
                "cron(60 2 * * ? *)",
                "minutes value `60` is out of range: minutes are 0-59",
            ),
            (
                "cron(0 24 * * ? *)",
                "hours value `24` is out of range: hours are 0-23",
            ),
            (
                "cron(0 2 32 * ? *)",
                "day-of-month value `32` is out of range",
            ),
            (
                "cron(0 2 0 * ? *)",
                "day-of-month value `0` is out of range",
            ),
            (
                "cron(0 2 * 13 ? *)",
                "month value `13` is out of range: months are 1-12 or JAN-DEC",
            ),
            ("cron(0 2 ? * 8 *)", "day-of-week value `8` is out of range"),
            (
                "cron(0 2 ? * 0 *)",
                "days of the week are 1-7 or SUN-SAT (1 = Sunday)",
            ),
            (
                "cron(0 2 * * ? 2200)",
                "year value `2200` is out of range: years are 1970-2199",
            ),
            ("cron(0 2 * * ? 1969)", "year value `1969` is out of range"),
            (
                "cron(0 2 * JANUARY ? *)",
                "month `JANUARY` is not valid: months are 1-12 or JAN-DEC",
            ),
            (
                "cron(0 2 ? * MONDAY *)",
                "day-of-week `MONDAY` is not valid",
            ),
            (
                "cron(x 2 * * ? *)",
                "minutes `X` is not valid: minutes are 0-59, with `,` `-` `*` `/`",
            ),
            (
                "cron(? 2 * * ? *)",
                "`?` is only for day-of-month or day-of-week: write `*`",
            ),
            (
                "cron(0 2 * * ? ?)",
                "`?` is only for day-of-month or day-of-week",
            ),
            (
                "cron(0 22-2 * * ? *)",
                "hours range `22-2` runs backwards: write the smaller value first, e.g. `2-22`, \
                 or list both ends of a span that wraps around, e.g. `22-23,0-2`",
            ),
            (
                "cron(0 9 ? * FRI-MON *)",
                "day-of-week range `FRI-MON` runs backwards: write the smaller value first, e.g. \
                 `MON-FRI`, or list both ends of a span that wraps around, e.g. `FRI-SAT,SUN-MON`",
            ),
            (
                "cron(0 9 * * ? 2030-2027)",
                "year range `2030-2027` runs backwards: write the earlier year first, e.g. \
                 `2027-2030`",
            ),
            (
                "cron(0/0 * * * ? *)",
                "step `/0` in minutes `0/0` must be a whole number from 1 to 59, e.g. `0/15`",
            ),
            (
                "cron(*/60 * * * ? *)",
                "step `/60` in minutes `*/60` must be a whole number from 1 to 59",
            ),
            ("cron(0 */24 * * ? *)", "from 1 to 23, e.g. `0/6`"),
            ("cron(0/ * * * ? *)", "step `/` in minutes"),
            (
                "cron(0 9 ? * 2/2 *)",
                "day-of-week takes no `/` steps: list the days instead, e.g. `MON,WED,FRI`",
            ),
            (
                "cron(0,,30 * * * ? *)",
                "minutes `0,,30` has an empty item: separate values with single commas",
            ),
            ("cron(0, * * * ? *)", "has an empty item"),
            (
                "cron(0 0 L,15 * ? *)",
                "`L` and `W` stand alone, not in a list, range or step",
            ),
            ("cron(0 0 1-15W * ? *)", "`L` and `W` stand alone"),
            ("cron(0 0 W * ? *)", "`L` and `W` stand alone"),
            ("cron(0 0 L-3 * ? *)", "`L` and `W` stand alone"),
            (
                "cron(0 0 32W * ? *)",
                "day-of-month value `32` is out of range",
            ),
            (
                "cron(0 0 ? * 3#1,6#3 *)",
                "`#` takes one day and one occurrence only, not a list or range, e.g. `6#3`",
            ),
            (
                "cron(0 0 ? * 6#6 *)",
                "the occurrence after `#` must be 1-5, e.g. `6#3` for the third Friday",
            ),
            (
                "cron(0 0 ? * 6#0 *)",
                "the occurrence after `#` must be 1-5",
            ),
            (
                "cron(0 0 ? * 6#03 *)",
                "the occurrence after `#` must be 1-5",
            ),
            (
                "cron(0 0 ? * 6#+3 *)",
                "the occurrence after `#` must be 1-5",
            ),
            ("cron(0 0 ? * 6# *)", "the occurrence after `#` must be 1-5"),
            (
                "cron(0 0 ? * 8#1 *)",
                "day-of-week value `8` is out of range",
            ),
            (
                "cron(0 0 ? * 5-6L *)",
                "`L` follows one day only, e.g. `6L` (or `FRIL`)",
            ),
            ("cron(0 0 ? * L-2 *)", "offsets such as `L-2` are not taken"),
            (
                "cron(0 0 ? * 9L *)",
                "day-of-week value `9` is out of range",
            ),
            (
                "cron(0 0 30 2 ? *)",
                "`cron(0 0 30 2 ? *)` never runs: no date in month `2` of year `*` matches \
                 day-of-month `30`; pick days those months have, e.g. `L`",
            ),
            ("cron(0 0 31 APR,JUN ? *)", "never runs"),
            (
                "cron(0 0 ? 2 6#5 2027)",
                "never runs: no date in month `2` of year `2027` matches day-of-week `6#5`",
            ),
            (
                "rate(0 minutes)",
                "rate value must be 1 or more, e.g. `rate(1 minute)`",
            ),
            (
                "rate(five minutes)",
                "rate value `five` is not a whole number",
            ),
            ("rate(-5 minutes)", "rate value `-5` is not a whole number"),
            (
                "rate(99999999999 minutes)",
                "rate value `99999999999` is too large",
            ),
            (
                "rate(5 weeks)",
                "rate unit `weeks` is not one of `minutes`, `hours` or `days`",
            ),
            ("rate(5 Minutes)", "rate unit `Minutes` is not one of"),
            (
                "rate(5 minute)",
                "`rate(5 minute)`: a value other than 1 takes the plural unit, e.g. `rate(5 minutes)`",
            ),
            ("rate(2 day)", "e.g. `rate(2 days)`"),
            (
                "rate(5)",
                "rate takes a value and a unit with one space between, e.g. `rate(15 minutes)`",
            ),
            ("rate(5  minutes)", "rate takes a value and a unit"),
            ("rate()", "rate takes a value and a unit"),
            (
                "at(2027-01-31 09:00:00)",
                "is not a date and time: write `at(yyyy-mm-ddThh:mm:ss)`",
            ),
            ("at(2027-01-31T09:00)", "is not a date and time"),
            (
                "at(2027-02-29T09:00:00)",
                "day `29` is not a day of Feb 2027, which has 28 days",
            ),
            (
                "at(2027-04-31T09:00:00)",
                "day `31` is not a day of Apr 2027, which has 30 days",
            ),
            ("at(2027-13-01T09:00:00)", "month `13` is not 01-12"),
            ("at(2027-00-01T09:00:00)", "month `00` is not 01-12"),
            (
                "at(2027-01-01T24:00:00)",
                "the time must be 00:00:00-23:59:59",
            ),
            ("at(2027-01-01T09:60:00)", "the time must be"),
            ("at(0999-01-01T09:00:00)", "the year must be 1970 or later"),
        ];
        for (text, want) in cases {
            let got = error(text);
            assert!(
                got.contains(want),
                "{text}:\n  got:  {got}\n  want: …{want}…"
            );
        }
        let long = format!("cron(0 2 * * ? {})", vec!["2027"; 60].join(","));
        assert!(error(&long).contains("characters long: EventBridge Scheduler takes at most 256"));
    }

    #[test]
    fn runs_per_month_counts_each_form() {
        assert!(close(runs("cron(0 2 * * ? *)"), 1461.0 / 48.0), "daily");
        assert!(close(runs("cron(0 2 * * ? *)"), 30.4375));
        assert!(close(runs("rate(5 minutes)"), 8760.0));
        assert!(close(runs("cron(0/15 * * * ? *)"), 96.0 * 30.4375));
        assert!(
            close(runs("cron(0 9 ? * MON-FRI *)"), 1043.0 / 48.0),
            "weekdays"
        );
        assert!((runs("cron(0 9 ? * MON-FRI *)") - 21.73).abs() < 0.01);
        assert!(close(runs("cron(0 0 L * ? *)"), 1.0));
        assert!(close(runs("cron(0 0 LW * ? *)"), 1.0));
        assert!(close(runs("cron(0 0 ? * 6#3 *)"), 1.0));
        assert!(close(runs("cron(0 0 ? * 6L *)"), 1.0));
        assert!(close(runs("cron(0 12 15W * ? *)"), 1.0));
        assert!(close(runs("rate(1 day)"), 730.0 / 24.0));
        assert!((runs("rate(1 day)") - 30.4167).abs() < 1e-4);
        assert!(close(runs("rate(1 minute)"), 43_800.0));
        assert!(close(runs("rate(2 hours)"), 365.0));
        assert!(close(runs("at(2027-01-31T09:00:00)"), 1.0));
        assert!(close(runs("cron(* * * * ? *)"), 1461.0 * 1440.0 / 48.0));
        assert!(close(runs("cron(0 9,17 * * ? *)"), 2.0 * 30.4375));
        // Sundays 2027-2030: 209 (2027-01-03 is the first, 2030-12-29 the last).
        assert!(close(runs("cron(0 0 ? * 1 *)"), 209.0 / 48.0));
        assert!(close(
            runs("cron(0 0 ? * L *)"),
            runs("cron(0 0 ? * SAT *)")
        ));
        // Fifth Fridays: only some months have one.
        let fifth = runs("cron(0 0 ? * 6#5 *)");
        assert!(fifth > 0.0 && fifth < 1.0, "{fifth}");
        // Day 31 runs in 7 months of 12; 29 February once in 2027-2030.
        assert!(close(runs("cron(0 0 31 * ? *)"), 7.0 / 12.0));
        assert!(close(runs("cron(0 0 29 2 ? *)"), 1.0 / 48.0));
        assert!(close(runs("cron(0 0 1 JAN,JUL ? *)"), 2.0 / 12.0));
    }

    #[test]
    fn runs_per_month_follows_the_year_field() {
        // Years narrowed within or past the reference span: averaged over their own years.
        assert!(close(runs("cron(0 2 * * ? 2027)"), 365.0 / 12.0));
        assert!(close(runs("cron(0 2 * * ? 2028)"), 366.0 / 12.0));
        assert!(close(runs("cron(0 2 * * ? 2035)"), 365.0 / 12.0));
        assert!(close(runs("cron(0 2 * * ? 2026-2027)"), 365.0 / 12.0));
        assert!(close(runs("cron(0 0 29 2 ? 2028)"), 1.0 / 12.0));
        // Years not narrowed from 2027 on: the reference span.
        assert!(close(runs("cron(0 2 * * ? 2020-2199)"), 30.4375));
        assert!(close(runs("cron(0 2 * * ? 2027/1)"), 30.4375));
        // Only in the past: nothing left to run.
        assert_eq!(runs("cron(0 2 * * ? 2020)"), 0.0);
        assert_eq!(runs("cron(0 2 * * ? 1970-2026)"), 0.0);
    }

    #[test]
    fn nearest_weekday_stays_in_the_month() {
        // Whatever day of the week the 1st or the 31st is, W finds one weekday that month.
        for text in ["cron(0 0 1W * ? *)", "cron(0 0 31W * ? *)"] {
            let c = cron(text);
            for year in REFERENCE_YEARS {
                for month in 1..=12 {
                    let want = u32::from(
                        days_in_month(year, month) >= if text.contains("31W") { 31 } else { 1 },
                    );
                    assert_eq!(c.days_in(year, month), want, "{text} {year}-{month}");
                }
            }
        }
    }

    /// Whether a cron's days and months match one date, decided day by day: the reference
    /// the per-month counts are checked against.
    fn matches_date(c: &Cron, year: u16, month: u8, day: u8) -> bool {
        let length = days_in_month(year, month);
        let is_weekday = |d: u8| (2..=6).contains(&weekday(year, month, d));
        let w = weekday(year, month, day);
        // Quartz's `nW`: a Saturday moves back a day (forward two on the 1st), a Sunday
        // forward a day (back two on the month's last day).
        let nearest = |n: u8| match weekday(year, month, n) {
            7 if n == 1 => 3,
            7 => n - 1,
            1 if n == length => n - 2,
            1 => n + 1,
            _ => n,
        };
        let day_matches = match *c.days() {
            Days::OfMonth(DayOfMonth::Days(set)) => set.contains(u16::from(day)),
            Days::OfMonth(DayOfMonth::Last) => day == length,
            Days::OfMonth(DayOfMonth::LastWeekday) => {
                (day..=length).filter(|&d| is_weekday(d)).eq([day])
            }
            Days::OfMonth(DayOfMonth::NearestWeekday(n)) => n <= length && day == nearest(n),
            Days::OfWeek(DayOfWeek::Days(set)) => set.contains(u16::from(w)),
            Days::OfWeek(DayOfWeek::Last(x)) => w == x && day + 7 > length,
            Days::OfWeek(DayOfWeek::Nth { weekday: x, nth }) => w == x && (day - 1) / 7 + 1 == nth,
        };
        c.years().contains(year) && c.months().contains(u16::from(month)) && day_matches
    }

    #[test]
    fn per_month_counts_match_a_day_by_day_count() {
        for text in [
            "cron(0 0 * * ? *)",
            "cron(0 0 1,15,29-31 * ? *)",
            "cron(0 0 2/9 FEB-APR ? *)",
            "cron(0 0 L * ? *)",
            "cron(0 0 LW * ? *)",
            "cron(0 0 1W * ? *)",
            "cron(0 0 15W * ? *)",
            "cron(0 0 30W * ? *)",
            "cron(0 0 31W * ? *)",
            "cron(0 0 ? * * *)",
            "cron(0 0 ? * MON-FRI *)",
            "cron(0 0 ? * SUN,SAT *)",
            "cron(0 0 ? * L *)",
            "cron(0 0 ? * 1L *)",
            "cron(0 0 ? * 6L *)",
            "cron(0 0 ? * 2#1 *)",
            "cron(0 0 ? * 6#5 *)",
            "cron(0 0 ? JAN,FEB 7#4 *)",
            "cron(0 0 ? * 1 2028-2030/2)",
        ] {
            let c = cron(text);
            for year in [2027, 2028, 2029, 2030, 2100] {
                for month in 1..=12 {
                    let by_day = (1..=days_in_month(year, month))
                        .filter(|&day| matches_date(&c, year, month, day))
                        .count() as u32;
                    assert_eq!(c.days_in(year, month), by_day, "{text} {year}-{month:02}");
                }
            }
        }
    }

    #[test]
    fn describe_says_only_what_the_expression_means() {
        let cases: &[(&str, &str)] = &[
            ("cron(0 2 * * ? *)", "daily at 02:00"),
            ("cron(0 2 ? * * *)", "daily at 02:00"),
            ("cron(30 9,17 * * ? *)", "daily at 09:30 and 17:30"),
            ("cron(0 9 ? * MON-FRI *)", "at 09:00 on Mon–Fri"),
            ("cron(0 9 ? * 2-6 *)", "at 09:00 on Mon–Fri"),
            (
                "cron(0 10 ? * MON,WED,FRI *)",
                "at 10:00 on Mon, Wed and Fri",
            ),
            ("cron(0 10 ? * SAT,SUN *)", "at 10:00 on Sun and Sat"),
            ("cron(0/15 * * * ? *)", "every 15 minutes"),
            ("cron(5/15 * * * ? *)", "every 15 minutes from :05"),
            ("cron(* * * * ? *)", "every minute"),
            ("cron(0 * * * ? *)", "every hour"),
            ("cron(30 * * * ? *)", "every hour at :30"),
            ("cron(0 0/6 * * ? *)", "every 6 hours"),
            ("cron(30 1/6 * * ? *)", "every 6 hours from 01:30"),
            (
                "cron(0/5 8-17 ? * MON-FRI *)",
                "every 5 minutes, 08:00–17:55 on Mon–Fri",
            ),
            ("cron(0 0 L * ? *)", "at 00:00 on the last day of the month"),
            (
                "cron(0 0 LW * ? *)",
                "at 00:00 on the last weekday of the month",
            ),
            (
                "cron(0 12 15W * ? *)",
                "at 12:00 on the weekday nearest day 15 of the month",
            ),
            (
                "cron(0 0 ? * 6#3 *)",
                "at 00:00 on the third Friday of the month",
            ),
            (
                "cron(0 0 ? * 6L *)",
                "at 00:00 on the last Friday of the month",
            ),
            ("cron(0 0 ? * L *)", "at 00:00 on Sat"),
            ("cron(0 8 1 * ? *)", "at 08:00 on day 1 of the month"),
            (
                "cron(0 8 1,15 * ? *)",
                "at 08:00 on days 1 and 15 of the month",
            ),
            ("cron(0 8 1-7 * ? *)", "at 08:00 on days 1–7 of the month"),
            (
                "cron(0 8 1 JAN,APR,JUL,OCT ? *)",
                "at 08:00 on day 1 of the month in Jan, Apr, Jul and Oct",
            ),
            (
                "cron(0 2 * JAN-MAR ? 2027)",
                "daily at 02:00 in Jan–Mar in 2027",
            ),
            ("cron(0 2 * * ? 2027-2030)", "daily at 02:00 in 2027–2030"),
            // No short text would be exact: the expression itself.
            ("cron(0,7,31 * * * ? *)", "cron(0,7,31 * * * ? *)"),
            ("cron(0 0,5,7,9,13 * * ? *)", "cron(0 0,5,7,9,13 * * ? *)"),
            ("cron(0/15 1,5 * * ? *)", "cron(0/15 1,5 * * ? *)"),
            (
                "cron(0 2 * * ? 2027,2029,2031,2033)",
                "cron(0 2 * * ? 2027,2029,2031,2033)",
            ),
            ("rate(1 minute)", "every minute"),
            ("rate(1 minutes)", "every minute"),
            ("rate(15 minutes)", "every 15 minutes"),
            ("rate(1 hour)", "every hour"),
            ("rate(2 hours)", "every 2 hours"),
            ("rate(1 day)", "every day"),
            ("rate(3 days)", "every 3 days"),
            ("at(2027-01-31T09:00:00)", "once at 2027-01-31 09:00"),
            ("at(2027-01-31T09:00:30)", "once at 2027-01-31 09:00:30"),
        ];
        for (text, want) in cases {
            let parsed = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(describe(&parsed), *want, "{text}");
        }
    }

    #[test]
    fn time_zones_take_iana_names_only() {
        for ok in [
            "UTC",
            "GMT",
            "Etc/UTC",
            "Etc/GMT+5",
            "Etc/GMT-14",
            "Europe/Dublin",
            "America/New_York",
            "America/Argentina/Buenos_Aires",
            "America/Port-au-Prince",
            "Antarctica/DumontDUrville",
            "Asia/Kolkata",
            "Australia/Sydney",
            "Pacific/Auckland",
            "Indian/Maldives",
            "Atlantic/Reykjavik",
            "Africa/Abidjan",
            "Arctic/Longyearbyen",
        ] {
            assert_eq!(check_timezone(ok), Ok(()), "{ok}");
        }
        let cases: &[(&str, &str)] = &[
            (
                "",
                "the time zone is empty: write an IANA time-zone name, e.g. `Europe/Dublin`",
            ),
            (
                "CET",
                "`CET` is not an IANA time-zone name (`Area/Location`, no spaces or abbreviations",
            ),
            ("Dublin", "is not an IANA time-zone name"),
            ("utc", "is not an IANA time-zone name"),
            ("Europe/", "is not an IANA time-zone name"),
            ("Europe/Dublin ", "is not an IANA time-zone name"),
            ("Europe//Dublin", "is not an IANA time-zone name"),
            (
                "America/Argentina/Buenos_Aires/X",
                "is not an IANA time-zone name",
            ),
            ("Europe/Dublin\u{e9}", "is not an IANA time-zone name"),
            (
                "europe/dublin",
                "IANA names are case-sensitive: write the area as `Europe`",
            ),
            (
                "US/Eastern",
                "`US/Eastern` is not in an IANA time-zone area (Africa, America,",
            ),
            (
                "Mars/Olympus_Mons",
                "e.g. `Europe/Dublin`, `America/New_York` or `UTC`",
            ),
        ];
        for (tz, want) in cases {
            let got = check_timezone(tz).expect_err(tz);
            assert!(
                got.contains(want),
                "{tz:?}:\n  got:  {got}\n  want: …{want}…"
            );
        }
        let long = format!("Europe/{}", "A".repeat(50));
        assert!(
            check_timezone(&long)
                .expect_err("long")
                .contains("at most 50")
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        })]

        #[test]
        fn arbitrary_text_never_panics(text in ".{0,300}") {
            if let Ok(expr) = parse(&text) {
                let runs = runs_per_month(&expr);
                proptest::prop_assert!(runs.is_finite() && runs >= 0.0);
                let _ = describe(&expr);
            }
            let _ = check_timezone(&text);
        }

        #[test]
        fn cron_shaped_text_never_panics(
            fields in proptest::collection::vec("[0-9A-Za-z*?/,#LW-]{1,8}", 4..8),
        ) {
            let text = format!("cron({})", fields.join(" "));
            if let Ok(expr) = parse(&text) {
                let runs = runs_per_month(&expr);
                proptest::prop_assert!(runs.is_finite() && runs >= 0.0, "{text}: {runs}");
                let reparsed = parse(&expr.to_string());
                proptest::prop_assert_eq!(reparsed, Ok(expr.clone()));
                let _ = describe(&expr);
            }
        }

        #[test]
        fn valid_crons_always_parse_and_count(
            minute in 0u16..60,
            hour in 0u16..24,
            step in 1u16..60,
            day in 1u16..29,
            weekday in 1u16..8,
            nth in 1u16..5,
            by_week: bool,
        ) {
            let days = if by_week {
                format!("? * {weekday}#{nth}")
            } else {
                format!("{day} * ?")
            };
            let text = format!("cron({minute}/{step} {hour} {days} *)");
            let expr = parse(&text).map_err(proptest::test_runner::TestCaseError::fail)?;
            let runs = runs_per_month(&expr);
            let per_hour = f64::from((59 - minute) / step + 1);
            proptest::prop_assert!(close(runs, per_hour), "{text}: {runs}");
        }
    }
}
