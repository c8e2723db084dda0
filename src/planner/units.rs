//! The CPU and memory sizes people write (`"0.5"`, `"1 vCPU"`, `"1024"`, `"512 MiB"`,
//! `"1GB"`), parsed exactly into ECS CPU units and MiB.
//!
//! Parsing is exact decimal arithmetic, never floating point: `"0.25"` is 256 CPU units
//! and `"1.5GB"` is 1536 MiB, while a size that is not a whole number of units (`"0.3"`
//! vCPU, `"0.3GB"`) is an error that says so, rather than being rounded behind the
//! user's back. Errors are plain strings listing the accepted forms; the service planner
//! wraps them in a [`Violation`](super::Violation) at the attribute's path.

use std::fmt;

/// What `cpu` accepts, quoted in every CPU parse error.
pub const CPU_FORMS: &str = "a vCPU count (`0.25`, `0.5`, `1`, `2 vCPU`), ECS CPU units \
     (`256`, `1024`: any plain number of 128 or more, 1024 per vCPU) or millicores (`500m`)";

/// What `memory` accepts, quoted in every memory parse error.
pub const MEMORY_FORMS: &str = "MiB as a plain number (`512`), or a number with a unit: \
     `512MB`, `512 MiB`, `512M`, `1GB`, `1 GiB`, `2g`, `0.5GB` (1 GB = 1024 MiB, as AWS and \
     Fly.io read it)";

/// A plain number at or above this is ECS CPU units; below it, a vCPU count. No host
/// offers 128 vCPUs, and ECS's smallest useful task size is 128 units, so the two
/// readings never overlap.
pub const CPU_UNITS_THRESHOLD: u64 = 128;

/// A plain memory number below this is refused as ambiguous: `"2"` is far more likely
/// to mean 2 GB than 2 MiB, and no host runs anything in under 128 MiB.
pub const MEMORY_PLAIN_MIN_MB: u64 = 128;

/// ECS CPU units per vCPU.
pub const UNITS_PER_VCPU: u32 = 1024;

/// A CPU size in ECS CPU units (1024 per vCPU), the unit every host's limit converts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cpu {
    units: u32,
}

impl Cpu {
    /// A size of `units` ECS CPU units.
    pub const fn from_units(units: u32) -> Self {
        Self { units }
    }

    /// A size of whole vCPUs.
    pub const fn from_vcpus(vcpus: u32) -> Self {
        Self {
            units: vcpus * UNITS_PER_VCPU,
        }
    }

    /// The size in ECS CPU units.
    pub fn units(self) -> u32 {
        self.units
    }

    /// The size in vCPUs, for prices and display.
    pub fn vcpus(self) -> f64 {
        f64::from(self.units) / f64::from(UNITS_PER_VCPU)
    }

    /// The size in whole vCPUs, if it is one (Fly.io machines have whole CPUs only).
    pub fn whole_vcpus(self) -> Option<u32> {
        self.units
            .is_multiple_of(UNITS_PER_VCPU)
            .then_some(self.units / UNITS_PER_VCPU)
    }

    /// How to write this size in HCL, e.g. `0.25` or `2`.
    pub fn as_input(self) -> String {
        format_decimal(u64::from(self.units), u64::from(UNITS_PER_VCPU))
    }
}

impl fmt::Display for Cpu {
    /// Renders as `0.25 vCPU`, `1 vCPU`, `2 vCPU`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} vCPU", self.as_input())
    }
}

/// How to write a memory size in HCL: `2GB` for whole GiB, else `1536MB`.
pub fn memory_as_input(mb: u32) -> String {
    if mb >= 1024 && mb.is_multiple_of(1024) {
        format!("{}GB", mb / 1024)
    } else {
        format!("{mb}MB")
    }
}

/// Parses a CPU size: a vCPU count (`"0.25"`, `"1"`, `"2 vCPU"`), ECS CPU units (a plain
/// number ≥ 128, `"1024"`) or millicores (`"500m"`), into ECS CPU units.
pub fn parse_cpu(given: &str) -> Result<Cpu, String> {
    let (number, unit) = split_quantity(given)
        .ok_or_else(|| format!("`{given}` is not a CPU size: use {CPU_FORMS}."))?;
    let units = match unit.as_str() {
        "" if number.whole().is_some_and(|n| n >= CPU_UNITS_THRESHOLD) => {
            // The guard proved it is whole.
            number.whole().unwrap_or_default()
        }
        "" | "vcpu" | "vcpus" | "cpu" | "cpus" => {
            number.times(u64::from(UNITS_PER_VCPU), 1).ok_or_else(|| {
                format!(
                    "`{given}` vCPU is not a whole number of CPU units (1 vCPU = 1024 \
                     units): use a multiple of 1/1024 vCPU such as `0.25`, `0.5` or `1`."
                )
            })?
        }
        "units" | "unit" => number.whole().ok_or_else(|| {
            format!("`{given}` is not a whole number of CPU units: write e.g. `1024 units`.")
        })?,
        "m" => number
            .whole()
            .and_then(|m| (m * 1024).is_multiple_of(1000).then_some(m * 1024 / 1000))
            .ok_or_else(|| {
                format!(
                    "`{given}` is not a whole number of ECS CPU units (1000m = 1024 units): \
                     use `250m`, `500m`, `1000m` or `2000m`, or write the vCPU count, e.g. `0.5`."
                )
            })?,
        _ => return Err(format!("`{given}` is not a CPU size: use {CPU_FORMS}.")),
    };
    if units == 0 {
        return Err(format!(
            "`{given}` is no CPU at all: give the service more than zero, e.g. `0.25`."
        ));
    }
    u32::try_from(units)
        .map(Cpu::from_units)
        .map_err(|_| format!("`{given}` is far larger than any host offers: use e.g. `1`."))
}

/// Parses a memory size into MiB: a plain number is MiB (`"512"`); a unit may follow,
/// with or without a space: `MB`/`MiB`/`M`/`Mi` or `GB`/`GiB`/`G`/`Gi`, any letter case.
pub fn parse_memory_mb(given: &str) -> Result<u32, String> {
    let (number, unit) = split_quantity(given)
        .ok_or_else(|| format!("`{given}` is not a memory size: use {MEMORY_FORMS}."))?;
    let factor = match unit.as_str() {
        "" => {
            if number.whole().is_some_and(|n| n < MEMORY_PLAIN_MIN_MB) {
                return Err(format!(
                    "`{given}` would be {given} MiB, too small for any host: write `{given}GB` \
                     if you meant gigabytes, or the size in MiB such as `512`."
                ));
            }
            1
        }
        "m" | "mb" | "mib" | "mi" => 1,
        "g" | "gb" | "gib" | "gi" => 1024,
        _ => {
            return Err(format!(
                "`{given}` is not a memory size: use {MEMORY_FORMS}."
            ));
        }
    };
    let mb = number.times(factor, 1).ok_or_else(|| {
        format!("`{given}` is not a whole number of MiB: use e.g. `512MB`, `1GB` or `1.5GB`.")
    })?;
    if mb == 0 {
        return Err(format!(
            "`{given}` is no memory at all: give the service more than zero, e.g. `512MB`."
        ));
    }
    u32::try_from(mb)
        .map_err(|_| format!("`{given}` is far larger than any host offers: use e.g. `2GB`."))
}

/// An exact non-negative decimal: `digits / 10^scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Decimal {
    digits: u64,
    scale: u32,
}

impl Decimal {
    /// The value if it is a whole number.
    fn whole(self) -> Option<u64> {
        let divisor = 10u64.checked_pow(self.scale)?;
        self.digits
            .is_multiple_of(divisor)
            .then_some(self.digits / divisor)
    }

    /// `self × numerator / denominator` if that is a whole number.
    fn times(self, numerator: u64, denominator: u64) -> Option<u64> {
        let product = u128::from(self.digits) * u128::from(numerator);
        let divisor = u128::from(10u64.checked_pow(self.scale)?) * u128::from(denominator);
        if !product.is_multiple_of(divisor) {
            return None;
        }
        u64::try_from(product / divisor).ok()
    }
}

/// Splits `" 1.5 GiB "` into the decimal `1.5` and the lowercase unit `gib`.
fn split_quantity(given: &str) -> Option<(Decimal, String)> {
    let trimmed = given.trim();
    let end = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(end);
    let decimal = parse_decimal(number)?;
    Some((decimal, unit.trim().to_ascii_lowercase()))
}

/// `"0.25"` → 25 / 10²; at most 9 decimals so the arithmetic cannot overflow.
fn parse_decimal(number: &str) -> Option<Decimal> {
    let (int, frac) = match number.split_once('.') {
        Some((int, frac)) => (int, frac),
        None => (number, ""),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if frac.len() > 9 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if number.ends_with('.') {
        return None;
    }
    let all: String = [int, frac].concat();
    let digits = all.parse::<u64>().ok()?;
    Some(Decimal {
        digits,
        scale: u32::try_from(frac.len()).ok()?,
    })
}

/// `value / per` as the shortest exact decimal: (256, 1024) → `0.25`, (3072, 1024) → `3`.
fn format_decimal(value: u64, per: u64) -> String {
    let whole = value / per;
    let mut rest = value % per;
    if rest == 0 {
        return whole.to_string();
    }
    let mut out = format!("{whole}.");
    // `per` is a power of two here, so the expansion terminates within its bit count.
    for _ in 0..20 {
        rest *= 10;
        out.push(char::from(b'0' + u8::try_from(rest / per).unwrap_or(0)));
        rest %= per;
        if rest == 0 {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_accepts_the_forms_people_write() {
        let cases = [
            ("0.25", 256),
            ("0.5", 512),
            (".5", 512),
            ("1", 1024),
            ("2", 2048),
            ("16", 16384),
            ("2 vCPU", 2048),
            ("1vcpu", 1024),
            ("0.5 VCPU", 512),
            ("4 cpus", 4096),
            ("1 CPU", 1024),
            ("128", 128),
            ("256", 256),
            ("1024", 1024),
            ("4096", 4096),
            ("  512  ", 512),
            ("1024 units", 1024),
            ("250m", 256),
            ("500m", 512),
            ("1000m", 1024),
            ("2000m", 2048),
            ("1.5", 1536),
            ("0.125", 128),
        ];
        for (given, units) in cases {
            assert_eq!(
                parse_cpu(given).map(Cpu::units),
                Ok(units),
                "parsing {given:?}"
            );
        }
    }

    #[test]
    fn cpu_rejects_what_is_not_a_size_and_says_what_is() {
        let cases = [
            ("", "use a vCPU count"),
            ("fast", "use a vCPU count"),
            ("-1", "use a vCPU count"),
            ("1.", "use a vCPU count"),
            ("1..5", "use a vCPU count"),
            ("2 GHz", "use a vCPU count"),
            ("0", "no CPU at all"),
            ("0.0", "no CPU at all"),
            ("0.3", "not a whole number of CPU units"),
            ("512m", "1000m = 1024 units"),
            ("1.5 units", "not a whole number of CPU units"),
            ("99999999999", "far larger"),
        ];
        for (given, fragment) in cases {
            let err = parse_cpu(given).expect_err(given);
            assert!(err.contains(fragment), "{given:?}: {err}");
            assert!(
                err.contains(&format!("`{given}`")),
                "quotes the input: {err}"
            );
        }
        let err = parse_cpu("lots").unwrap_err();
        for form in ["`0.25`", "`2 vCPU`", "`1024`", "`500m`"] {
            assert!(err.contains(form), "lists {form}: {err}");
        }
    }

    #[test]
    fn plain_numbers_switch_from_vcpus_to_units_at_128() {
        assert_eq!(parse_cpu("127").map(Cpu::units), Ok(127 * 1024));
        assert_eq!(parse_cpu("128").map(Cpu::units), Ok(128));
        // A unit always wins over the threshold.
        assert_eq!(parse_cpu("128 vCPU").map(Cpu::units), Ok(128 * 1024));
    }

    #[test]
    fn memory_accepts_the_forms_people_write() {
        let cases = [
            ("512", 512),
            ("512MB", 512),
            ("512 MiB", 512),
            ("512M", 512),
            ("512mi", 512),
            ("1GB", 1024),
            ("1 GiB", 1024),
            ("2g", 2048),
            ("2Gi", 2048),
            ("0.5GB", 512),
            ("1.5 GB", 1536),
            ("0.25g", 256),
            ("128", 128),
            ("30GB", 30720),
            ("120 GiB", 122_880),
            (" 4096 ", 4096),
        ];
        for (given, mb) in cases {
            assert_eq!(parse_memory_mb(given), Ok(mb), "parsing {given:?}");
        }
    }

    #[test]
    fn memory_rejects_what_is_not_a_size_and_says_what_is() {
        let cases = [
            ("", "use MiB as a plain number"),
            ("big", "use MiB as a plain number"),
            ("1TB", "use MiB as a plain number"),
            ("-512", "use MiB as a plain number"),
            ("2", "write `2GB` if you meant gigabytes"),
            ("64", "too small"),
            ("0MB", "no memory at all"),
            ("0.3GB", "not a whole number of MiB"),
            ("0.5MB", "not a whole number of MiB"),
            ("9999999GB", "far larger"),
        ];
        for (given, fragment) in cases {
            let err = parse_memory_mb(given).expect_err(given);
            assert!(err.contains(fragment), "{given:?}: {err}");
        }
        let err = parse_memory_mb("lots").unwrap_err();
        for form in ["`512`", "`1GB`", "`512 MiB`", "`0.5GB`"] {
            assert!(err.contains(form), "lists {form}: {err}");
        }
    }

    #[test]
    fn sizes_render_the_way_they_are_written() {
        let cases = [
            (256, "0.25", "0.25 vCPU"),
            (512, "0.5", "0.5 vCPU"),
            (1024, "1", "1 vCPU"),
            (1536, "1.5", "1.5 vCPU"),
            (16384, "16", "16 vCPU"),
            (128, "0.125", "0.125 vCPU"),
        ];
        for (units, input, display) in cases {
            let cpu = Cpu::from_units(units);
            assert_eq!(cpu.as_input(), input);
            assert_eq!(cpu.to_string(), display);
            assert_eq!(parse_cpu(&cpu.as_input()), Ok(cpu), "round trip {units}");
        }
        for (mb, input) in [
            (512, "512MB"),
            (1024, "1GB"),
            (1536, "1536MB"),
            (30720, "30GB"),
        ] {
            assert_eq!(memory_as_input(mb), input);
            assert_eq!(parse_memory_mb(input), Ok(mb), "round trip {mb}");
        }
    }

    #[test]
    fn whole_vcpus_only_for_whole_sizes() {
        assert_eq!(Cpu::from_units(2048).whole_vcpus(), Some(2));
        assert_eq!(Cpu::from_units(512).whole_vcpus(), None);
        assert_eq!(Cpu::from_vcpus(4).units(), 4096);
        assert!((Cpu::from_units(256).vcpus() - 0.25).abs() < f64::EPSILON);
    }
}
