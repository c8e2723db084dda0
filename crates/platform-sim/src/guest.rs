//! Fly's machine size rules (`config.guest`), as data.
//!
//! CPU counts follow flyctl's table (`internal/machine/update.go`): shared 1, 2, 4,
//! 6, 8; performance 1 to 16 in even steps after 1. Memory is a multiple of 256 MB,
//! 256 MB–2 GB per shared CPU and 2–8 GB per performance CPU (fly-go's
//! `MIN/MAX_MEMORY_MB_PER_*` constants). Error texts follow the ones Fly's API has
//! been seen to return, e.g. `invalid config.guest.memory_mb, minimum required 2048 MiB`.

use serde_json::{Map, Value, json};

/// One CPU kind's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuKind {
    /// Name in `cpu_kind`.
    pub name: &'static str,
    /// Allowed `cpus` values.
    pub cpus: &'static [u64],
    /// Minimum memory per CPU, MB.
    pub min_mb_per_cpu: u64,
    /// Maximum memory per CPU, MB.
    pub max_mb_per_cpu: u64,
}

/// The CPU kinds Fly offers for general machines.
pub const CPU_KINDS: [CpuKind; 2] = [
    CpuKind {
        name: "shared",
        cpus: &[1, 2, 4, 6, 8],
        min_mb_per_cpu: 256,
        max_mb_per_cpu: 2048,
    },
    CpuKind {
        name: "performance",
        cpus: &[1, 2, 4, 6, 8, 10, 12, 14, 16],
        min_mb_per_cpu: 2048,
        max_mb_per_cpu: 8192,
    },
];

/// Memory is allocated in blocks of this many MB.
pub const MEMORY_STEP_MB: u64 = 256;

/// Check `guest` (absent means Fly's default, `shared-cpu-1x`) and return it with
/// defaults filled in, or the message Fly would answer with.
pub fn normalize(guest: Option<&Value>) -> Result<Value, String> {
    let empty = Map::new();
    let guest = match guest {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(map)) => map,
        Some(_) => return Err("invalid config.guest, must be an object".to_owned()),
    };
    let kind_name = match guest.get("cpu_kind") {
        None | Some(Value::Null) => "shared",
        Some(Value::String(s)) if s.is_empty() => "shared",
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err("invalid config.guest.cpu_kind, must be a string".to_owned()),
    };
    let Some(kind) = CPU_KINDS.iter().find(|k| k.name == kind_name) else {
        return Err(format!(
            "invalid config.guest.cpu_kind \"{kind_name}\", must be one of \"shared\" or \"performance\""
        ));
    };
    let cpus = whole_number(guest.get("cpus"), "cpus")?.unwrap_or(1);
    if !kind.cpus.contains(&cpus) {
        let valid: Vec<String> = kind.cpus.iter().map(u64::to_string).collect();
        return Err(format!(
            "invalid config.guest.cpus {cpus} for {} guest, valid numbers are [{}]",
            kind.name,
            valid.join(" ")
        ));
    }
    let min = kind.min_mb_per_cpu * cpus;
    let max = kind.max_mb_per_cpu * cpus;
    let memory = whole_number(guest.get("memory_mb"), "memory_mb")?.unwrap_or(min);
    if memory % MEMORY_STEP_MB != 0 {
        return Err(format!(
            "invalid memory size {memory}; must be in {MEMORY_STEP_MB} MiB increment ({} would work)",
            (memory / MEMORY_STEP_MB).max(1) * MEMORY_STEP_MB
        ));
    }
    if memory < min {
        return Err(format!(
            "invalid config.guest.memory_mb, minimum required {min} MiB"
        ));
    }
    if memory > max {
        return Err(format!(
            "invalid config.guest.memory_mb, maximum allowed {max} MiB"
        ));
    }
    let mut normalized = guest.clone();
    normalized.insert("cpu_kind".to_owned(), json!(kind.name));
    normalized.insert("cpus".to_owned(), json!(cpus));
    normalized.insert("memory_mb".to_owned(), json!(memory));
    Ok(Value::Object(normalized))
}

fn whole_number(value: Option<&Value>, field: &str) -> Result<Option<u64>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            v.as_u64().filter(|n| *n > 0).map(Some).ok_or_else(|| {
                format!("invalid config.guest.{field} {v}, must be a positive integer")
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Input guest → `Ok((cpu_kind, cpus, memory_mb))` or `Err(message fragment)`.
    type Case = (Value, Result<(&'static str, u64, u64), &'static str>);

    #[test]
    fn guest_sizes_follow_flys_table() {
        let cases: &[Case] = &[
            (Value::Null, Ok(("shared", 1, 256))),
            (json!({"cpus": 2}), Ok(("shared", 2, 512))),
            (
                json!({"cpu_kind": "shared", "cpus": 1, "memory_mb": 2048}),
                Ok(("shared", 1, 2048)),
            ),
            (
                json!({"cpu_kind": "performance", "cpus": 2}),
                Ok(("performance", 2, 4096)),
            ),
            (
                json!({"cpu_kind": "performance", "cpus": 16, "memory_mb": 131072}),
                Ok(("performance", 16, 131072)),
            ),
            (
                json!({"cpu_kind": "gpu"}),
                Err("invalid config.guest.cpu_kind \"gpu\""),
            ),
            (
                json!({"cpus": 3}),
                Err("invalid config.guest.cpus 3 for shared guest, valid numbers are [1 2 4 6 8]"),
            ),
            (json!({"cpus": 16}), Err("valid numbers are [1 2 4 6 8]")),
            (json!({"cpus": 0}), Err("must be a positive integer")),
            (json!({"cpus": 1.5}), Err("must be a positive integer")),
            (
                json!({"memory_mb": 300}),
                Err("invalid memory size 300; must be in 256 MiB increment (256 would work)"),
            ),
            (
                json!({"memory_mb": 4096}),
                Err("invalid config.guest.memory_mb, maximum allowed 2048 MiB"),
            ),
            (
                json!({"cpu_kind": "performance", "cpus": 1, "memory_mb": 1024}),
                Err("invalid config.guest.memory_mb, minimum required 2048 MiB"),
            ),
            (
                json!({"cpu_kind": "performance", "cpus": 1, "memory_mb": 8448}),
                Err("maximum allowed 8192 MiB"),
            ),
            (
                json!({"cpus": 2, "memory_mb": 256}),
                Err("minimum required 512 MiB"),
            ),
        ];
        for (input, want) in cases {
            let got = normalize(Some(input));
            match want {
                Ok((kind, cpus, memory)) => {
                    let guest = got.unwrap_or_else(|e| panic!("{input}: {e}"));
                    assert_eq!(guest["cpu_kind"], *kind, "{input}");
                    assert_eq!(guest["cpus"].as_u64(), Some(*cpus), "{input}");
                    assert_eq!(guest["memory_mb"].as_u64(), Some(*memory), "{input}");
                }
                Err(fragment) => {
                    let err = got.expect_err(&input.to_string());
                    assert!(err.contains(fragment), "{input}: {err}");
                }
            }
        }
    }

    /// The provider plans Fly sizes from its own table (`planner::limits`); the simulator
    /// models Fly independently. Both must state the same facts, or plans that pass would
    /// fail at apply (or the reverse).
    #[test]
    fn the_providers_fly_size_table_states_the_same_limits() {
        use terraform_provider_platform::planner::limits::{FLY_CPU_KINDS, FLY_MEMORY_STEP_MB};
        assert_eq!(u64::from(FLY_MEMORY_STEP_MB), MEMORY_STEP_MB);
        assert_eq!(FLY_CPU_KINDS.len(), CPU_KINDS.len());
        for (planned, simulated) in FLY_CPU_KINDS.iter().zip(CPU_KINDS.iter()) {
            assert_eq!(planned.kind, simulated.name);
            let cpus: Vec<u64> = planned.cpus.iter().map(|c| u64::from(*c)).collect();
            assert_eq!(cpus, simulated.cpus, "{} CPU counts", planned.kind);
            assert_eq!(u64::from(planned.min_mb_per_cpu), simulated.min_mb_per_cpu);
            assert_eq!(u64::from(planned.max_mb_per_cpu), simulated.max_mb_per_cpu);
            for &n in planned.cpus {
                for memory in [planned.min_mb_per_cpu * n, planned.max_mb_per_cpu * n] {
                    let guest = json!({"cpu_kind": planned.kind, "cpus": n, "memory_mb": memory});
                    assert!(normalize(Some(&guest)).is_ok(), "{guest}");
                }
            }
        }
    }

    #[test]
    fn other_guest_fields_are_kept() {
        let guest = normalize(Some(&json!({"cpus": 1, "kernel_args": ["quiet"]}))).unwrap();
        assert_eq!(guest["kernel_args"], json!(["quiet"]));
    }
}
