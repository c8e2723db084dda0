//! The registry docs agree with what Terraform sees: `terraform providers schema -json`,
//! run by the newest Terraform against the built provider, is compared attribute by
//! attribute (name, Required / Optional / Read-Only, type, Sensitive, Write-only) with the
//! markdown `docs::generate` produces, both ways; and every example the docs embed passes
//! `terraform validate`. No cloud is called.

use crate::harness::{REQUIRED_PROVIDERS, Terraform, Workdir, newest_terraform, repo_root};
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use terraform_provider_platform::docs;
use terraform_provider_platform::provider::Platform;

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-platform");
const ADDRESS: &str = "registry.terraform.io/hostmatrix/platform";

/// One schema entry as documented or as Terraform reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    /// `Required`, `Optional` or `Read-Only`.
    group: String,
    /// The type as tfplugindocs names it (`String`, `List of Object`, `Block`, `Attributes List`).
    ty: String,
    sensitive: bool,
    write_only: bool,
}

/// Every entry of a page's `## Schema` section, by dotted path.
fn documented(markdown: &str) -> BTreeMap<String, Entry> {
    let mut out = BTreeMap::new();
    let mut prefix = String::new();
    let mut group = String::new();
    let schema = markdown.lines().skip_while(|l| *l != "## Schema").skip(1);
    for line in schema {
        if line.starts_with("## ") {
            break;
        }
        if let Some(heading) = line.strip_prefix("### ") {
            match heading.strip_prefix("Nested Schema for `") {
                Some(path) => prefix = path.trim_end_matches('`').to_string(),
                None => {
                    prefix.clear();
                    group = heading.to_string();
                }
            }
            continue;
        }
        if let Some(g) = ["Required:", "Optional:", "Read-Only:"]
            .into_iter()
            .find(|g| line == *g)
        {
            group = g.trim_end_matches(':').to_string();
            continue;
        }
        let Some(item) = line.strip_prefix("- `") else {
            continue;
        };
        let (name, rest) = item.split_once("` (").expect("`- `name` (flags)` item");
        let flags = balanced(rest);
        let ty = flags.split(", ").next().unwrap_or_default().to_string();
        let path = if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        };
        let entry = Entry {
            group: group.clone(),
            ty,
            sensitive: flags.split(", ").any(|f| f == "Sensitive"),
            write_only: flags.contains("[Write-only]"),
        };
        assert!(
            out.insert(path.clone(), entry).is_none(),
            "`{path}` documented twice"
        );
    }
    out
}

/// The text up to the `)` closing the `(` just before `s`, skipping nested parentheses.
fn balanced(s: &str) -> &str {
    let mut depth = 1;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &s[..i];
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced flags in `{s}`")
}

/// A cty type in Terraform's JSON form, named as tfplugindocs names it.
fn type_name(ty: &Json) -> String {
    match ty {
        Json::String(s) => match s.as_str() {
            "string" => "String".into(),
            "number" => "Number".into(),
            "bool" => "Boolean".into(),
            "dynamic" => "Dynamic".into(),
            other => panic!("unknown primitive type {other}"),
        },
        Json::Array(parts) => match parts[0].as_str() {
            Some("list") => format!("List of {}", type_name(&parts[1])),
            Some("set") => format!("Set of {}", type_name(&parts[1])),
            Some("map") => format!("Map of {}", type_name(&parts[1])),
            Some("object") => "Object".into(),
            Some("tuple") => "Tuple".into(),
            _ => panic!("unknown type {ty}"),
        },
        _ => panic!("unknown type {ty}"),
    }
}

fn flag(v: &Json, name: &str) -> bool {
    v[name].as_bool().unwrap_or(false)
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Every entry Terraform reports for a block, by dotted path, as tfplugindocs groups them.
fn reported(block: &Json, prefix: &str, out: &mut BTreeMap<String, Entry>) {
    let empty = serde_json::Map::new();
    for (name, a) in block["attributes"].as_object().unwrap_or(&empty) {
        let path = join(prefix, name);
        let group = if flag(a, "required") {
            "Required"
        } else if flag(a, "optional") {
            "Optional"
        } else {
            assert!(flag(a, "computed"), "`{path}` is neither set nor computed");
            "Read-Only"
        };
        let ty = match a.get("nested_type") {
            Some(nested) => {
                let mode = match nested["nesting_mode"].as_str() {
                    Some("single") => "",
                    Some("list") => " List",
                    Some("set") => " Set",
                    Some("map") => " Map",
                    other => panic!("`{path}`: nesting {other:?}"),
                };
                reported(nested, &path, out);
                format!("Attributes{mode}")
            }
            None => {
                object_entries(&a["type"], &path, group, out);
                type_name(&a["type"])
            }
        };
        out.insert(
            path,
            Entry {
                group: group.into(),
                ty,
                sensitive: flag(a, "sensitive"),
                write_only: flag(a, "write_only"),
            },
        );
    }
    for (name, b) in block["block_types"].as_object().unwrap_or(&empty) {
        let path = join(prefix, name);
        let mut inner = BTreeMap::new();
        reported(&b["block"], &path, &mut inner);
        // tfplugindocs: a block is Required with a minimum, else Read-Only when everything
        // in it is, else Optional.
        let group = if b["min_items"].as_u64().unwrap_or(0) > 0 {
            "Required"
        } else if !inner.is_empty() && inner.values().all(|e| e.group == "Read-Only") {
            "Read-Only"
        } else {
            "Optional"
        };
        out.extend(inner);
        out.insert(
            path,
            Entry {
                group: group.into(),
                ty: "Block".into(),
                sensitive: false,
                write_only: false,
            },
        );
    }
}

/// The attributes of an object type (or of a collection's object elements), documented
/// under the group of the attribute holding them.
fn object_entries(ty: &Json, prefix: &str, group: &str, out: &mut BTreeMap<String, Entry>) {
    let object = match ty {
        Json::Array(parts) if parts[0] == "object" => &parts[1],
        Json::Array(parts)
            if matches!(parts[0].as_str(), Some("list" | "set" | "map"))
                && parts[1].get(0).is_some_and(|k| k == "object") =>
        {
            &parts[1][1]
        }
        _ => return,
    };
    for (name, attr_ty) in object.as_object().expect("object attributes") {
        let path = join(prefix, name);
        object_entries(attr_ty, &path, group, out);
        out.insert(
            path,
            Entry {
                group: group.into(),
                ty: type_name(attr_ty),
                sensitive: false,
                write_only: false,
            },
        );
    }
}

fn compare(page: &Path, markdown: &str, schema: &Json, problems: &mut Vec<String>) {
    let docs = documented(markdown);
    let mut terraform = BTreeMap::new();
    reported(&schema["block"], "", &mut terraform);
    assert!(!terraform.is_empty(), "{}: empty schema", page.display());
    for (path, want) in &terraform {
        match docs.get(path) {
            None => problems.push(format!("{}: `{path}` is not documented", page.display())),
            Some(got) if got != want => problems.push(format!(
                "{}: `{path}` is documented as {got:?}, Terraform sees {want:?}",
                page.display()
            )),
            Some(_) => {}
        }
    }
    for path in docs.keys().filter(|p| !terraform.contains_key(*p)) {
        problems.push(format!(
            "{}: `{path}` is documented but Terraform does not see it",
            page.display()
        ));
    }
}

fn providers_schema(tf: &Terraform) -> Json {
    let mut wd = Workdir::new(BIN, REQUIRED_PROVIDERS);
    wd.without_moto();
    // With dev_overrides no `init` is needed, on every Terraform the harness runs.
    let schema = wd
        .run(tf, &["providers", "schema", "-json", "-no-color"])
        .expect_success()
        .json();
    schema["provider_schemas"][ADDRESS].clone()
}

#[test]
fn docs_match_the_schema_terraform_sees() {
    let tf = newest_terraform();
    let schema = providers_schema(&tf);
    assert!(schema.is_object(), "{tf}: no schema for {ADDRESS}");
    let pages = docs::generate(&Platform::new(), &repo_root()).expect("generate docs");

    let mut problems = Vec::new();
    let mut expected_pages = BTreeSet::from([PathBuf::from("index.md")]);
    compare(
        Path::new("index.md"),
        &pages[Path::new("index.md")],
        &schema["provider"],
        &mut problems,
    );
    let empty = serde_json::Map::new();
    for (key, dir) in [
        ("resource_schemas", "resources"),
        ("data_source_schemas", "data-sources"),
    ] {
        for (type_name, type_schema) in schema[key].as_object().unwrap_or(&empty) {
            let short = type_name.strip_prefix("platform_").unwrap_or(type_name);
            let page = PathBuf::from(dir).join(format!("{short}.md"));
            match pages.get(&page) {
                Some(markdown) => compare(&page, markdown, type_schema, &mut problems),
                None => problems.push(format!("{type_name}: no page {}", page.display())),
            }
            expected_pages.insert(page);
        }
    }
    for page in pages.keys().filter(|p| !expected_pages.contains(*p)) {
        problems.push(format!(
            "{}: documents a type Terraform does not see",
            page.display()
        ));
    }
    assert!(
        problems.is_empty(),
        "{tf}: docs and schema disagree:\n  {}",
        problems.join("\n  ")
    );
}

/// `examples/provider`, `examples/resources/*`, `examples/data-sources/*`.
fn example_dirs() -> Vec<PathBuf> {
    let examples = repo_root().join("examples");
    let mut dirs = vec![examples.join("provider")];
    for kind in ["resources", "data-sources"] {
        if let Ok(entries) = fs::read_dir(examples.join(kind)) {
            dirs.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
        }
    }
    dirs.retain(|d| d.is_dir());
    dirs.sort();
    dirs
}

#[test]
fn examples_in_the_docs_are_valid_configurations() {
    let tf = newest_terraform();
    let dirs = example_dirs();
    assert!(!dirs.is_empty(), "no examples found");
    for dir in dirs {
        let mut wd = Workdir::new(BIN, "");
        wd.without_moto();
        let mut declares_provider = false;
        for entry in fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "tf") {
                let text = fs::read_to_string(&path).unwrap();
                declares_provider |= text.contains("required_providers");
                wd.write_file(entry.file_name(), &text);
            }
        }
        if !declares_provider {
            wd.write_file("versions.tf", REQUIRED_PROVIDERS);
        }
        let out = wd.run(&tf, &["validate", "-no-color"]);
        assert!(
            out.success(),
            "{}: example is not valid:\n{out}",
            dir.display()
        );
    }
}

/// The comparison itself notices each kind of disagreement (so a pass means something).
#[test]
fn comparison_reports_every_kind_of_disagreement() {
    let schema = serde_json::json!({"block": {
        "attributes": {
            "name": {"type": "string", "required": true},
            "token": {"type": "string", "optional": true, "sensitive": true},
            "password_wo": {"type": "string", "optional": true, "sensitive": true, "write_only": true},
            "ids": {"type": ["list", "string"], "computed": true},
            "missing": {"type": "string", "computed": true}
        },
        "block_types": {"network": {"nesting_mode": "single", "block": {"attributes": {
            "subnet_ids": {"type": ["list", "string"], "optional": true}
        }}}}
    }});
    let markdown = "## Schema\n\n### Required\n\n- `name` (String) Name.\n\n\
        ### Optional\n\n- `ids` (List of String) Wrong group.\n\
        - `network` (Block, Optional) Net. (see [below for nested schema](#nestedblock--network))\n\
        - `password_wo` (String, Sensitive) Not marked write-only.\n\
        - `token` (String) Not marked sensitive.\n\n\
        ### Read-Only\n\n- `stale` (String) Gone from the schema.\n\n\
        <a id=\"nestedblock--network\"></a>\n### Nested Schema for `network`\n\n\
        Optional:\n\n- `subnet_ids` (Set of String) Wrong type.\n";
    let mut problems = Vec::new();
    compare(Path::new("x.md"), markdown, &schema, &mut problems);
    let named = |attr: &str| problems.iter().any(|p| p.contains(&format!("`{attr}`")));
    for attr in [
        "ids",
        "password_wo",
        "token",
        "missing",
        "stale",
        "network.subnet_ids",
    ] {
        assert!(named(attr), "`{attr}` not reported in {problems:#?}");
    }
    assert!(
        !named("name") && !named("network"),
        "false positive in {problems:#?}"
    );
    assert_eq!(problems.len(), 6, "{problems:#?}");
}
