//! Sizes: parsing what people write, and fitting a CPU and memory to Fargate's table and Fly.io's presets.

use super::*;

pub(super) fn parse_size<T>(
    given: Option<&String>,
    attribute: &str,
    summary: &str,
    parse: fn(&str) -> Result<T, String>,
    errors: &mut Vec<Violation>,
) -> Result<Option<T>, ()> {
    match given.map(|s| parse(s)) {
        None => Ok(None),
        Some(Ok(value)) => Ok(Some(value)),
        Some(Err(message)) => {
            errors.push(messages::invalid_quantity(
                AttributePath::attr(attribute),
                summary,
                &message,
            ));
            Err(())
        }
    }
}

pub(super) fn resolve_size(
    input: &ServiceInput,
    host: Host,
    requirements: &Requirements,
    errors: &mut Vec<Violation>,
    warnings: &mut Vec<Violation>,
) -> Option<Size> {
    let cpu = parse_size(
        input.cpu.as_ref(),
        "cpu",
        "Invalid CPU Size",
        units::parse_cpu,
        errors,
    );
    let memory = parse_size(
        input.memory.as_ref(),
        "memory",
        "Invalid Memory Size",
        units::parse_memory_mb,
        errors,
    );
    let (Ok(cpu), Ok(memory)) = (cpu, memory) else {
        return None;
    };
    match host {
        Host::AwsFargate => fargate_size(cpu, memory, errors),
        Host::Fly => fly_size(cpu, memory, errors),
        Host::CloudflareWorkers => {
            if input.cpu.is_some() {
                warnings.push(messages::ignored_setting(
                    AttributePath::attr("cpu"),
                    Host::CloudflareWorkers.label(),
                    "Workers have no CPU size; state `requirements.cpu_ms_per_request` instead",
                ));
            }
            if let Some(mb) = memory.filter(|mb| i64::from(*mb) > WORKERS_MEMORY_MB) {
                let container = Requirements {
                    has_image: true,
                    has_script: false,
                    ..*requirements
                };
                errors.push(messages::host_cannot_meet(
                    AttributePath::attr("memory"),
                    &format!(
                        "`memory` is `{}`, but a Cloudflare Worker has `{WORKERS_MEMORY_MB}` \
                         MB of memory.",
                        units::memory_as_input(mb)
                    ),
                    placement::place(&container).host.as_str(),
                    if requirements.has_image {
                        ""
                    } else {
                        ", with the service built as a container `image`"
                    },
                ));
                return None;
            }
            Some(Size::Workers)
        }
    }
}

/// `` `cpu = "0.5"` with `memory = "1GB"` ``, a size to copy into HCL.
pub(super) fn size_suggestion(cpu: &str, memory_mb: u32) -> String {
    format!(
        "`cpu = \"{cpu}\"` with `memory = \"{}\"`",
        units::memory_as_input(memory_mb)
    )
}

pub(super) fn fargate_cpu_list() -> String {
    let sizes: Vec<String> = limits::FARGATE_SIZES
        .iter()
        .map(|s| format!("`{}`", Cpu::from_units(s.cpu_units).as_input()))
        .collect();
    sizes.join(", ")
}

pub(super) fn fargate_size(
    cpu: Option<Cpu>,
    memory: Option<u32>,
    errors: &mut Vec<Violation>,
) -> Option<Size> {
    const SUMMARY: &str = "Unsupported Fargate Size";
    let default_cpu = Cpu::from_units(DEFAULT_FARGATE_CPU_UNITS);
    let (cpu, memory) = match (cpu, memory) {
        // The provider's default size, the same in every tier.
        (None, None) => (
            (default_cpu, Source::Fixed),
            (DEFAULT_MEMORY_MB, Source::Fixed),
        ),
        (Some(cpu), memory) => {
            let Some(row) = limits::fargate_size(cpu.units()) else {
                let next = limits::fargate_size_at_least(cpu.units());
                let next_cpu = Cpu::from_units(next.cpu_units);
                let memory_mb = memory.map_or(next.min_memory(), |m| next.nearest_memory(m));
                errors.push(messages::unsupported_size(
                    AttributePath::attr("cpu"),
                    SUMMARY,
                    &format!(
                        "Fargate has no `{cpu}` task size: it offers {} vCPU.",
                        fargate_cpu_list()
                    ),
                    &[size_suggestion(&next_cpu.as_input(), memory_mb)],
                ));
                return None;
            };
            match memory {
                // The least memory Fargate allows with that CPU.
                None => ((cpu, Source::Config), (row.min_memory(), Source::Derived)),
                Some(mb) if row.allows(mb) => ((cpu, Source::Config), (mb, Source::Config)),
                Some(mb) => {
                    let mut suggestions =
                        vec![size_suggestion(&cpu.as_input(), row.nearest_memory(mb))];
                    if let Some(fits) = limits::fargate_size_for_memory(mb) {
                        suggestions.push(format!(
                            "{} to keep the memory",
                            size_suggestion(&Cpu::from_units(fits.cpu_units).as_input(), mb)
                        ));
                    }
                    errors.push(messages::unsupported_size(
                        AttributePath::attr("memory"),
                        SUMMARY,
                        &format!(
                            "Fargate has no task with `{cpu}` and `{mb}` MiB: with `{}` CPU \
                             units, memory must be {}.",
                            cpu.units(),
                            row.describe_memory()
                        ),
                        &suggestions,
                    ));
                    return None;
                }
            }
        }
        (None, Some(mb)) => match limits::fargate_size_for_memory(mb) {
            Some(row) => (
                (Cpu::from_units(row.cpu_units), Source::Derived),
                (mb, Source::Config),
            ),
            None => {
                let (row, nearest) = nearest_fargate_memory(mb);
                errors.push(messages::unsupported_size(
                    AttributePath::attr("memory"),
                    SUMMARY,
                    &format!(
                        "Fargate has no task with `{mb}` MiB: memory is 512, 1024 or 2048 MiB, \
                         or a whole number of GB from 1 to 30, or larger sizes in 4 or 8 GB steps."
                    ),
                    &[size_suggestion(
                        &Cpu::from_units(row.cpu_units).as_input(),
                        nearest,
                    )],
                ));
                return None;
            }
        },
    };
    Some(Size::Fargate {
        cpu,
        memory_mb: memory,
    })
}

/// The Fargate memory value nearest `mb` in the whole table, with the smallest CPU
/// offering it; on a tie the larger memory wins.
pub(super) fn nearest_fargate_memory(mb: u32) -> (&'static limits::FargateSize, u32) {
    let mut best = (
        &limits::FARGATE_SIZES[0],
        limits::FARGATE_SIZES[0].min_memory(),
    );
    for row in &limits::FARGATE_SIZES {
        let nearest = row.nearest_memory(mb);
        let better = nearest.abs_diff(mb) < best.1.abs_diff(mb)
            || (nearest.abs_diff(mb) == best.1.abs_diff(mb) && nearest > best.1);
        if better {
            best = (row, nearest);
        }
    }
    best
}

pub(super) fn fly_limits(kind: &str) -> FlyCpuKindLimits {
    if kind == FLY_PERFORMANCE.kind {
        FLY_PERFORMANCE
    } else {
        FLY_SHARED
    }
}

/// The cheaper Fly.io CPU kind that runs `cpus` with `memory_mb`, if any does.
pub(super) fn fly_kind(cpus: u32, memory_mb: u32) -> Option<&'static str> {
    FLY_CPU_KINDS
        .into_iter()
        .find(|k| k.allows(cpus, memory_mb))
        .map(|k| k.kind)
}

pub(super) fn fly_size(
    cpu: Option<Cpu>,
    memory: Option<u32>,
    errors: &mut Vec<Violation>,
) -> Option<Size> {
    const SUMMARY: &str = "Unsupported Fly Machine Size";
    let cpu_counts = limits::fly_cpu_counts();
    let most_cpus = cpu_counts.last().copied().unwrap_or(1);
    let cpus = match cpu {
        None => None,
        Some(cpu) => match cpu.whole_vcpus().filter(|c| cpu_counts.contains(c)) {
            Some(cpus) => Some(cpus),
            None => {
                let wanted = cpu.units().div_ceil(units::UNITS_PER_VCPU);
                let next = cpu_counts
                    .iter()
                    .copied()
                    .find(|c| *c >= wanted)
                    .unwrap_or(most_cpus);
                let memory_mb = memory.unwrap_or(DEFAULT_MEMORY_MB).max(256 * next);
                let memory_mb = round_up(memory_mb, FLY_MEMORY_STEP_MB).clamp(
                    FLY_SHARED.min_mb_per_cpu * next,
                    FLY_PERFORMANCE.max_mb_per_cpu * next,
                );
                errors.push(messages::unsupported_size(
                    AttributePath::attr("cpu"),
                    SUMMARY,
                    &format!(
                        "Fly.io has no machine with `{cpu}`: machines have {}.",
                        limits::describe_fly_cpus()
                    ),
                    &[size_suggestion(&next.to_string(), memory_mb)],
                ));
                return None;
            }
        },
    };
    let (cpus, cpu_source, memory_mb, memory_source) = match (cpus, memory) {
        (None, None) => (1, Source::Fixed, DEFAULT_MEMORY_MB, Source::Fixed),
        // The least memory the cheapest kind with that many CPUs allows (at least the
        // platform default): 10 to 16 CPUs exist only as performance CPUs.
        (Some(cpus), None) => {
            let memory_mb = FLY_CPU_KINDS
                .iter()
                .find(|k| k.cpus.contains(&cpus))
                .map_or(DEFAULT_MEMORY_MB, |k| {
                    DEFAULT_MEMORY_MB.max(k.min_mb_per_cpu * cpus)
                });
            (cpus, Source::Config, memory_mb, Source::Derived)
        }
        (cpus, Some(mb)) => {
            if !mb.is_multiple_of(FLY_MEMORY_STEP_MB) {
                let up = round_up(mb, FLY_MEMORY_STEP_MB);
                errors.push(messages::unsupported_size(
                    AttributePath::attr("memory"),
                    SUMMARY,
                    &format!(
                        "Fly.io machine memory must be a multiple of `{FLY_MEMORY_STEP_MB}` \
                         MB, and `{mb}` is not."
                    ),
                    &[format!("`memory = \"{}\"`", units::memory_as_input(up))],
                ));
                return None;
            }
            match cpus {
                Some(cpus) => (cpus, Source::Config, mb, Source::Config),
                // The fewest CPUs of the cheaper kind first: shared CPUs cost a fraction of
                // performance ones, so two shared CPUs with 4 GB beat one performance CPU.
                None => match FLY_CPU_KINDS
                    .iter()
                    .find_map(|k| k.cpus.iter().copied().find(|c| k.allows(*c, mb)))
                {
                    Some(cpus) => (cpus, Source::Derived, mb, Source::Config),
                    None => (most_cpus, Source::Derived, mb, Source::Config),
                },
            }
        }
    };
    let Some(cpu_kind) = fly_kind(cpus, memory_mb) else {
        errors.push(messages::unsupported_size(
            AttributePath::attr("memory"),
            SUMMARY,
            &format!(
                "Fly.io has no machine with {cpus} CPU and `{memory_mb}` MB: shared CPUs take \
                 256 MB to 2 GB each ({}–{} MB for {cpus}), performance CPUs 2 GB to 8 GB \
                 each ({}–{} MB).",
                FLY_SHARED.min_mb_per_cpu * cpus,
                FLY_SHARED.max_mb_per_cpu * cpus,
                FLY_PERFORMANCE.min_mb_per_cpu * cpus,
                FLY_PERFORMANCE.max_mb_per_cpu * cpus,
            ),
            &fly_suggestions(cpus, memory_mb),
        ));
        return None;
    };
    Some(Size::Fly {
        guest: FlyGuest {
            cpu_kind,
            cpus,
            memory_mb,
        },
        cpu_source,
        memory_source,
    })
}

/// Valid Fly.io sizes near an invalid one: the same CPUs with the nearest memory they
/// allow, and the fewest CPUs that allow the memory as given.
pub(super) fn fly_suggestions(cpus: u32, memory_mb: u32) -> Vec<String> {
    let mut out = Vec::new();
    let clamped = memory_mb.clamp(
        FLY_SHARED.min_mb_per_cpu * cpus,
        FLY_PERFORMANCE.max_mb_per_cpu * cpus,
    );
    if fly_kind(cpus, clamped).is_some() {
        out.push(size_suggestion(&cpus.to_string(), clamped));
    }
    if let Some(fits) = limits::fly_cpu_counts()
        .into_iter()
        .find(|c| fly_kind(*c, memory_mb).is_some())
    {
        out.push(format!(
            "{} to keep the memory",
            size_suggestion(&fits.to_string(), memory_mb)
        ));
    }
    out
}

pub(super) fn round_up(value: u32, step: u32) -> u32 {
    value.div_ceil(step) * step
}
