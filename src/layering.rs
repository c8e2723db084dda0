//! The layering rules of `src/`, checked by reading the sources the way `grep` would: no
//! import cycle among the top-level modules, a pure planner and value layer, and resources
//! that share through shared modules rather than importing each other. Test code (the
//! `#[cfg(test)] mod tests` at the end of a file) may reach across layers and is skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// A file's code: its tests module and its comments removed.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("a source file is readable");
    let text = text
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or_default();
    text.lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module path segments named right after each `prefix` in `code`
/// (`crate::planner::naming` → `planner`, `naming`), one `Vec` per occurrence, with each
/// item of a `{ ... }` group as its own occurrence.
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (at, _) in code.match_indices(prefix) {
        let rest = &code[at + prefix.len()..];
        let head: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let segments: Vec<String> = head
            .split("::")
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let after = &rest[head.len()..];
        if head.ends_with("::")
            && after.starts_with('{')
            && let Some(end) = after.find('}')
        {
            for item in after[1..end].split(',') {
                let first = item.trim().split("::").next().unwrap_or_default();
                let mut path = segments.clone();
                path.push(first.trim().to_string());
                out.push(path);
            }
        }
        out.push(segments);
    }
    out
}

struct Source {
    /// `src/`-relative module path, e.g. `["resources", "database"]`.
    module: Vec<String>,
    code: String,
}

fn sources() -> Vec<Source> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    rust_files(&src)
        .into_iter()
        .filter_map(|path| {
            let rel = path.strip_prefix(&src).ok()?.with_extension("");
            let mut module: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if module.first().is_some_and(|m| m == "bin") || module == ["lib"] || module == ["main"]
            {
                return None;
            }
            if module.last().is_some_and(|m| m == "mod") {
                module.pop();
            }
            // A `tests` module (`mod tests;` in its own file) is test code, like the
            // inline `mod tests` that `code` strips.
            if module.iter().any(|m| m == "tests") {
                return None;
            }
            Some(Source {
                module,
                code: code(&path),
            })
        })
        .collect()
}

/// Top-level module → the other top-level modules it imports.
fn top_level_imports(sources: &[Source]) -> BTreeMap<String, BTreeSet<String>> {
    let tops: BTreeSet<String> = sources.iter().map(|s| s.module[0].clone()).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in sources {
        let from = &s.module[0];
        let entry = graph.entry(from.clone()).or_default();
        for path in paths_after(&s.code, "crate::") {
            if let Some(to) = path.first()
                && to != from
                && tops.contains(to)
            {
                entry.insert(to.clone());
            }
        }
    }
    graph
}

/// One cycle of `graph`, if it has any, as the modules along it.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|start| visit(start, graph, &mut Vec::new(), &mut done))
}

#[test]
fn top_level_modules_import_each_other_without_a_cycle() {
    let graph = top_level_imports(&sources());
    assert!(graph.contains_key("provider") && graph.contains_key("config"));
    assert_eq!(find_cycle(&graph), None, "{graph:#?}");
}

#[test]
fn the_cycle_check_sees_a_cycle() {
    let graph = BTreeMap::from([
        ("a".to_string(), BTreeSet::from(["b".to_string()])),
        ("b".to_string(), BTreeSet::from(["a".to_string()])),
    ]);
    assert_eq!(
        find_cycle(&graph),
        Some(vec!["a".into(), "b".into(), "a".into()])
    );
    let parsed = paths_after("use crate::config::{Secret, Endpoints};", "crate::");
    assert!(parsed.contains(&vec!["config".to_string(), "Secret".to_string()]));
}

#[test]
fn config_is_a_leaf() {
    let graph = top_level_imports(&sources());
    assert_eq!(graph.get("config"), Some(&BTreeSet::new()), "{graph:#?}");
}

#[test]
fn planner_and_value_import_nothing_async_and_nothing_cloud() {
    const FORBIDDEN: &[&str] = &[
        "async fn",
        "async move",
        "async_trait",
        ".await",
        "tokio",
        "aws_sdk",
        "aws_config",
        "aws_smithy",
        "reqwest",
        "tonic",
        "hyper::",
        "crate::backends",
        "crate::context",
        "crate::resources",
        "crate::protocol",
        "crate::provider",
    ];
    for s in sources() {
        if !matches!(s.module[0].as_str(), "planner" | "value") {
            continue;
        }
        for word in FORBIDDEN {
            assert!(
                !s.code.contains(word),
                "src/{} uses `{word}`: the planner and value layers stay pure",
                s.module.join("/")
            );
        }
    }
}

/// Where each file under `src/resources/` imports another resource's module from, as
/// messages; a file inside a resource's folder may import its siblings (`super::x`).
fn resource_import_violations(sources: &[Source]) -> Vec<String> {
    let in_resources = |s: &&Source| s.module.len() >= 2 && s.module[0] == "resources";
    // A resource module is one that implements the trait; shared modules do not.
    let resource_modules: BTreeSet<&str> = sources
        .iter()
        .filter(in_resources)
        .filter(|s| s.code.contains("impl Resource for") || s.code.contains("impl Composite for"))
        .map(|s| s.module[1].as_str())
        .collect();
    let mut out = Vec::new();
    for s in sources.iter().filter(in_resources) {
        // Every path written from this file, resolved to a path from `src/`.
        let mut resolved: Vec<Vec<String>> = Vec::new();
        for path in paths_after(&s.code, "super::") {
            let mut base = s.module.clone();
            base.pop();
            let mut rest = path.as_slice();
            while let Some((first, tail)) = rest.split_first()
                && first == "super"
            {
                base.pop();
                rest = tail;
            }
            resolved.push(base.into_iter().chain(rest.iter().cloned()).collect());
        }
        for path in paths_after(&s.code, "resources::") {
            resolved.push(
                std::iter::once("resources".to_string())
                    .chain(path)
                    .collect(),
            );
        }
        for path in resolved {
            if path.len() >= 2
                && path[0] == "resources"
                && path[1] != s.module[1]
                && resource_modules.contains(path[1].as_str())
            {
                out.push(format!(
                    "src/{}.rs imports the resource `{}`: share through a module such as `environment_context`",
                    s.module.join("/"),
                    path[1]
                ));
            }
        }
    }
    out
}

#[test]
fn resources_do_not_import_each_other() {
    let sources = sources();
    assert!(
        sources
            .iter()
            .any(|s| s.module.len() > 2 && s.module[0] == "resources"),
        "the check should see the files inside resource folders"
    );
    let violations = resource_import_violations(&sources);
    assert!(violations.is_empty(), "{violations:#?}");
}

#[test]
fn the_resource_check_sees_imports_from_inside_a_resource_folder() {
    let source = |module: &[&str], code: &str| Source {
        module: module.iter().map(|m| m.to_string()).collect(),
        code: code.to_string(),
    };
    let sources = [
        source(
            &["resources", "environment"],
            "impl Resource for EnvironmentResource {}",
        ),
        source(
            &["resources", "database"],
            "impl Resource for DatabaseResource {}",
        ),
        // Siblings inside the folder are fine; the grandparent's other resource is not.
        source(
            &["resources", "database", "convert"],
            "use super::reconcile::x; use super::super::environment::Spec;",
        ),
        source(
            &["resources", "database", "import"],
            "use crate::resources::environment::context;",
        ),
    ];
    let violations = resource_import_violations(&sources);
    assert_eq!(violations.len(), 2, "{violations:#?}");
    assert!(violations[0].contains("src/resources/database/convert.rs"));
    assert!(violations[1].contains("src/resources/database/import.rs"));
}
