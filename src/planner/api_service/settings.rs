//! The settings a child shows, with their sources, and the digests the expansion records.

use super::*;

pub(super) fn service_settings(
    r: &Resolved,
) -> (BTreeMap<String, String>, BTreeMap<String, Source>) {
    let mut s = Settings::default();
    // Explicit or placed by the rules from the configuration's own requirements: either
    // way the configuration decides.
    s.set("host", r.placement.host, Source::Config);
    match &r.size {
        Size::Fargate { cpu, memory_mb } => {
            s.set("cpu", cpu.0, cpu.1);
            s.set("memory", format!("{} MiB", memory_mb.0), memory_mb.1);
        }
        Size::Fly {
            guest,
            cpu_source,
            memory_source,
        } => {
            s.set(
                "cpu",
                format!("{} {}", guest.cpus, guest.cpu_kind),
                *cpu_source,
            );
            s.set("memory", format!("{} MB", guest.memory_mb), *memory_source);
        }
        Size::Workers => {
            s.set("memory", format!("{WORKERS_MEMORY_MB} MB"), Source::Fixed);
        }
    }
    if r.placement.host != Host::CloudflareWorkers {
        if let Some((port, source)) = r.port {
            s.set("port", port, source);
        }
        s.set("scaling.min", r.scaling.min.0, r.scaling.min.1);
        if r.placement.host == Host::AwsFargate {
            s.set("scaling.max", r.scaling.max.0, r.scaling.max.1);
            s.set(
                "scaling.target_cpu_percent",
                r.scaling.target_cpu_percent.0,
                r.scaling.target_cpu_percent.1,
            );
        }
        if let Some(check) = &r.health_check {
            s.set("health_check.path", &check.path, Source::Config);
            s.set(
                "health_check.interval_seconds",
                check.interval_seconds.0,
                check.interval_seconds.1,
            );
        }
    }
    s.set("regions", r.regions.0.join(","), r.regions.1);
    (s.values, s.sources)
}

/// A short, stable digest of text for change detection in the plan (FNV-1a, 64 bit).
/// Not a security hash: it only has to change when the text does.
pub fn digest(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("fnv1a64:{hash:016x}")
}

/// The digest of environment variables, one `NAME=value` line each in name order.
pub fn env_digest(env: &BTreeMap<String, String>) -> String {
    let mut text = String::new();
    for (k, v) in env {
        let _ = writeln!(text, "{k}={v}");
    }
    digest(&text)
}

pub(super) fn names(map: &BTreeMap<String, String>) -> String {
    map.keys().cloned().collect::<Vec<_>>().join(",")
}

pub(super) fn set_variables(s: &mut Settings, prefix: &str, input: &ServiceInput) {
    if !input.env.is_empty() {
        s.set(&format!("{prefix}env"), names(&input.env), Source::Config);
        let digest_key = format!("{prefix}env_digest");
        s.set(&digest_key, env_digest(&input.env), Source::Derived);
        if !input.unknown.env.is_empty() {
            s.unknown(&digest_key);
        }
    }
}
