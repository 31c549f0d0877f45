//! `TERTULIA_LOG_FORMAT=json`: one JSON object per log line, for log collectors. Each line
//! carries `ts` (Unix ms), `level`, `target`, `node`, `message`, the event's own fields, and the
//! fields of every span it happened in (outermost first, so a request's `user`, `event` or
//! `path` and `sid` are on every line it writes); `span` names the innermost. The same filters
//! as the text format apply (`RUST_LOG`, and the protocol crates held at `WARN`), so nothing
//! reaches these lines that would not reach the text ones.

use std::io::Write as _;
use std::sync::OnceLock;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// How the log is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines (the default).
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// This node's id, once known: on every JSON line.
static NODE: OnceLock<String> = OnceLock::new();

/// Names the node the log lines come from (the first call wins).
pub fn set_node(node: &str) {
    let _ = NODE.set(node.to_owned());
}

/// The layer that writes JSON lines to standard output.
#[derive(Debug, Default)]
pub struct JsonLines;

/// A span's fields, kept in its extensions.
struct SpanFields(Map<String, Value>);

/// Collects fields into a JSON map.
struct Collect<'a>(&'a mut Map<String, Value>);

impl Visit for Collect<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().to_owned(), Value::from(format!("{value:?}")));
    }
}

impl<S> Layer<S> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = Map::new();
        attrs.record(&mut Collect(&mut fields));
        span.extensions_mut().insert(SpanFields(fields));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(SpanFields(fields)) = extensions.get_mut::<SpanFields>() {
            values.record(&mut Collect(fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut line = Map::new();
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        line.insert("ts".into(), Value::from(ts));
        let meta = event.metadata();
        line.insert("level".into(), Value::from(meta.level().as_str()));
        line.insert("target".into(), Value::from(meta.target()));
        if let Some(node) = NODE.get() {
            line.insert("node".into(), Value::from(node.as_str()));
        }
        if let Some(scope) = ctx.event_scope(event) {
            let mut innermost = None;
            for span in scope.from_root() {
                if let Some(SpanFields(fields)) = span.extensions().get::<SpanFields>() {
                    for (name, value) in fields {
                        line.insert(name.clone(), value.clone());
                    }
                }
                innermost = Some(span.name());
            }
            if let Some(name) = innermost {
                line.insert("span".into(), Value::from(name));
            }
        }
        event.record(&mut Collect(&mut line));
        let Ok(mut text) = serde_json::to_string(&Value::Object(line)) else {
            return;
        };
        text.push('\n');
        let _ = std::io::stdout().lock().write_all(text.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::prelude::*;

    use super::*;

    /// The lines `JsonLines` would write, captured (same building, another sink).
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<Map<String, Value>>>>);

    impl<S> Layer<S> for Captured
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
            let mut line = Map::new();
            if let Some(scope) = ctx.event_scope(event) {
                for span in scope.from_root() {
                    if let Some(SpanFields(fields)) = span.extensions().get::<SpanFields>() {
                        line.extend(fields.clone());
                    }
                }
            }
            event.record(&mut Collect(&mut line));
            self.0.lock().unwrap().push(line);
        }
    }

    #[test]
    fn a_line_carries_the_fields_of_its_spans_even_those_recorded_later() {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::registry()
            .with(JsonLines)
            .with(captured.clone());
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("event", event = "probe", user = tracing::field::Empty);
            let _inside = span.enter();
            span.record("user", 7);
            tracing::info!(count = 3, ok = true, "stored");
        });
        let lines = captured.0.lock().unwrap();
        let line = &lines[0];
        assert_eq!(line["event"], "probe");
        assert_eq!(line["user"], 7);
        assert_eq!(line["count"], 3);
        assert_eq!(line["ok"], true);
        assert!(line.values().any(|value| value == "stored"), "{line:?}");
    }
}
