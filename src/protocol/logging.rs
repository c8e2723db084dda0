//! Logging to stderr in the JSON line format go-hclog writes, which Terraform's plugin
//! client parses: `TF_LOG=DEBUG terraform plan` then shows our lines at their level under
//! `provider.terraform-provider-platform`. Stdout is never touched: it belongs to the handshake.

use std::io::Write;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// The `@module` every line carries.
pub const MODULE: &str = "platform";

/// The most verbose level asked for by `TF_LOG_PROVIDER`, else `TF_LOG`; `None` when off.
pub fn level_from_env(provider: Option<&str>, global: Option<&str>) -> Option<Level> {
    let chosen = provider
        .filter(|v| !v.trim().is_empty())
        .or(global.filter(|v| !v.trim().is_empty()))?;
    match chosen.trim().to_ascii_uppercase().as_str() {
        "TRACE" | "JSON" => Some(Level::TRACE),
        "DEBUG" => Some(Level::DEBUG),
        "INFO" => Some(Level::INFO),
        "WARN" => Some(Level::WARN),
        "ERROR" => Some(Level::ERROR),
        "OFF" => None,
        // Terraform treats any other value as TRACE.
        _ => Some(Level::TRACE),
    }
}

/// Installs the stderr JSON logger. Terraform filters by level itself, so without a
/// `TF_LOG*` setting we still emit INFO and above (Terraform drops them unless asked).
pub fn init() {
    let level = level_from_env(
        std::env::var("TF_LOG_PROVIDER").ok().as_deref(),
        std::env::var("TF_LOG").ok().as_deref(),
    )
    .unwrap_or(Level::INFO);
    let layer = HclogLayer { max: level };
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

/// A tracing layer writing one hclog JSON object per event.
pub struct HclogLayer {
    max: Level,
}

impl<S: Subscriber> Layer<S> for HclogLayer {
    fn enabled(&self, metadata: &tracing::Metadata<'_>, _: Context<'_, S>) -> bool {
        *metadata.level() <= limit_for(metadata.target(), self.max)
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let line = render(event.metadata().level(), event.metadata().target(), |v| {
            event.record(v)
        });
        // One write per line keeps lines whole when several tasks log at once.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

/// Renders one event as an hclog JSON line (with the trailing newline).
pub fn render(level: &Level, target: &str, record: impl FnOnce(&mut dyn Visit)) -> String {
    let mut fields = FieldCollector::default();
    record(&mut fields);
    let mut obj = serde_json::Map::new();
    obj.insert("@level".into(), hclog_level(level).into());
    obj.insert(
        "@message".into(),
        fields.message.take().unwrap_or_default().into(),
    );
    obj.insert("@module".into(), MODULE.into());
    obj.insert("@timestamp".into(), timestamp().into());
    obj.insert("@caller".into(), target.into());
    for (k, v) in fields.fields {
        obj.insert(k, v.into());
    }
    let mut line = serde_json::Value::Object(obj).to_string();
    line.push('\n');
    line
}

/// The most verbose level logged for a target: ours follow the setting; dependencies
/// (h2, hyper, the AWS SDK) log frame by frame at DEBUG, so they stay at WARN, or INFO
/// when the user asked for TRACE.
pub fn limit_for(target: &str, max: Level) -> Level {
    if target.starts_with(env!("CARGO_CRATE_NAME")) {
        max
    } else if max == Level::TRACE {
        Level::INFO
    } else {
        max.min(Level::WARN)
    }
}

fn hclog_level(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// hclog's timestamp: RFC 3339 with exactly six fractional digits.
pub fn timestamp() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6f%:z")
        .to_string()
        .replace("+00:00", "Z")
}

#[derive(Default)]
struct FieldCollector {
    message: Option<String>,
    fields: Vec<(String, String)>,
}

impl Visit for FieldCollector {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = Some(value.to_string());
        } else {
            self.fields
                .push((field.name().to_string(), value.to_string()));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        if field.name() == "message" {
            self.message = Some(text);
        } else {
            self.fields.push((field.name().to_string(), text));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_follows_tf_log_provider_first() {
        let cases = [
            (Some("debug"), Some("ERROR"), Some(Level::DEBUG)),
            (None, Some("INFO"), Some(Level::INFO)),
            (Some(""), Some("WARN"), Some(Level::WARN)),
            (None, None, None),
            (None, Some("off"), None),
            (None, Some("1"), Some(Level::TRACE)),
        ];
        for (provider, global, want) in cases {
            assert_eq!(
                level_from_env(provider, global),
                want,
                "{provider:?} {global:?}"
            );
        }
    }

    #[test]
    fn dependencies_stay_quiet_unless_tracing() {
        let ours = concat!(env!("CARGO_CRATE_NAME"), "::resources");
        assert_eq!(limit_for(ours, Level::DEBUG), Level::DEBUG);
        assert_eq!(limit_for("h2::codec", Level::DEBUG), Level::WARN);
        assert_eq!(limit_for("h2::codec", Level::ERROR), Level::ERROR);
        assert_eq!(limit_for("aws_smithy_runtime", Level::TRACE), Level::INFO);
    }

    #[test]
    fn timestamp_has_six_fraction_digits() {
        let ts = timestamp();
        let frac = ts.split('.').nth(1).expect("fraction");
        assert_eq!(frac.trim_end_matches('Z').len(), 6, "{ts}");
        assert!(ts.ends_with('Z'));
    }

    #[test]
    fn line_is_hclog_json() {
        let line = render(&Level::DEBUG, "platform::x", |_| {});
        let v: serde_json::Value = serde_json::from_str(line.trim_end()).unwrap();
        assert_eq!(v["@level"], "debug");
        assert_eq!(v["@module"], MODULE);
        assert!(line.ends_with('\n'));
    }
}
