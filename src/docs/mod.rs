//! Registry documentation generated from the schemas the provider serves, so the docs
//! cannot disagree with what Terraform sees; no Go toolchain (tfplugindocs) needed.
//!
//! Layout (the Terraform Registry's): `docs/index.md` for the provider,
//! `docs/resources/<name>.md` and `docs/data-sources/<name>.md` with the `platform_` prefix
//! dropped. Examples come from the tfplugindocs locations under `examples/`:
//! `provider/provider.tf`, `resources/<type>/resource.tf` and `import.sh`,
//! `data-sources/<type>/data-source.tf`.
//!
//! - [`render`]: one page's markdown from a [`Page`] and its examples (pure);
//! - [`extras`]: the hand-written sections and the generated tier-defaults tables;
//! - [`tree`]: comparing with and writing the generated files of a docs directory.
//!
//! Regenerate with `cargo run -- docs`; `cargo run -- docs --check` lists what is stale.

pub mod extras;
pub mod render;
pub mod tree;

pub use tree::{Drift, check, write};

use crate::provider::Platform;
use crate::schema::Schema;
use render::{Examples, PROVIDER_NAME};
use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Why the docs could not be generated, checked or written.
#[derive(Debug, thiserror::Error)]
pub enum DocsError {
    /// A file or directory could not be read.
    #[error("cannot read `{}`", path.display())]
    Read {
        /// What was being read.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A file could not be written or removed.
    #[error("cannot write `{}`", path.display())]
    Write {
        /// What was being written.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
}

/// What a page documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    /// A managed resource: `docs/resources/`.
    Resource,
    /// A data source: `docs/data-sources/`.
    DataSource,
}

impl PageKind {
    /// The docs subdirectory, which is also the examples subdirectory.
    fn dir(self) -> &'static str {
        match self {
            PageKind::Resource => "resources",
            PageKind::DataSource => "data-sources",
        }
    }

    /// The example file tfplugindocs looks for in `examples/<dir>/<type>/`.
    fn example_file(self) -> &'static str {
        match self {
            PageKind::Resource => "resource.tf",
            PageKind::DataSource => "data-source.tf",
        }
    }
}

/// An extra `## title` section of a page, in markdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The heading, without `##`.
    pub title: String,
    /// The body.
    pub markdown: String,
}

/// One resource or data source page, before its examples are read.
#[derive(Debug, Clone)]
pub struct Page {
    /// Resource or data source.
    pub kind: PageKind,
    /// The type name users write, e.g. `platform_environment`.
    pub type_name: String,
    /// The schema the provider serves for it.
    pub schema: Schema,
    /// Sections between the example and the schema.
    pub extras: Vec<Section>,
}

impl Page {
    /// A page with no extra sections.
    pub fn new(kind: PageKind, type_name: &str, schema: &Schema) -> Self {
        Self {
            kind,
            type_name: type_name.to_string(),
            schema: schema.clone(),
            extras: Vec::new(),
        }
    }

    /// Where the page goes, relative to the docs directory.
    pub fn path(&self) -> PathBuf {
        let short = self
            .type_name
            .strip_prefix(&format!("{PROVIDER_NAME}_"))
            .unwrap_or(&self.type_name);
        Path::new(self.kind.dir()).join(format!("{short}.md"))
    }
}

/// Every page of `platform`, sorted by kind then type name.
pub fn pages(platform: &Platform) -> Vec<Page> {
    let mut pages: Vec<Page> = platform
        .resources()
        .iter()
        .map(|r| Page {
            extras: extras::sections(&r.docs()),
            ..Page::new(PageKind::Resource, r.type_name(), r.schema())
        })
        .collect();
    pages.extend(
        platform
            .data_sources()
            .iter()
            .map(|d| Page::new(PageKind::DataSource, d.type_name(), d.schema())),
    );
    pages.sort_by(|a, b| (a.kind.dir(), &a.type_name).cmp(&(b.kind.dir(), &b.type_name)));
    pages
}

/// Every generated page of `platform`, keyed by its path relative to the docs directory;
/// examples are read from `<repo_root>/examples`.
pub fn generate(
    platform: &Platform,
    repo_root: &Path,
) -> Result<BTreeMap<PathBuf, String>, DocsError> {
    let examples_dir = repo_root.join("examples");
    let mut out = BTreeMap::new();
    let provider_examples = Examples {
        usage: read_optional(&examples_dir.join("provider/provider.tf"))?,
        import: None,
    };
    out.insert(
        PathBuf::from("index.md"),
        render::provider_page(
            &crate::provider::schema(),
            &provider_examples,
            &extras::provider_sections(),
        ),
    );
    for page in pages(platform) {
        let dir = examples_dir.join(page.kind.dir()).join(&page.type_name);
        let examples = Examples {
            usage: read_optional(&dir.join(page.kind.example_file()))?,
            import: match page.kind {
                PageKind::Resource => read_optional(&dir.join("import.sh"))?,
                PageKind::DataSource => None,
            },
        };
        out.insert(page.path(), render::page(&page, &examples));
    }
    Ok(out)
}

/// A file's text, or `None` when it does not exist.
fn read_optional(path: &Path) -> Result<Option<String>, DocsError> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(DocsError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_root() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn docs_are_up_to_date() {
        let pages = generate(&Platform::new(), repo_root()).unwrap();
        let drift = check(&repo_root().join("docs"), &pages).unwrap();
        let listing: Vec<String> = drift.iter().map(ToString::to_string).collect();
        assert!(
            drift.is_empty(),
            "docs/ does not match the provider's schemas:\n  {}\nRegenerate with `cargo run -- docs` and commit the result.",
            listing.join("\n  ")
        );
    }

    #[test]
    fn every_resource_has_a_page_in_the_registry_layout() {
        let platform = Platform::new();
        let pages = generate(&platform, repo_root()).unwrap();
        assert!(pages.contains_key(Path::new("index.md")));
        for r in platform.resources() {
            let short = r.type_name().trim_start_matches("platform_");
            let path = PathBuf::from(format!("resources/{short}.md"));
            let page = pages
                .get(&path)
                .unwrap_or_else(|| panic!("no {}", path.display()));
            assert!(
                page.contains(&format!("# {} (Resource)", r.type_name())),
                "{page}"
            );
        }
    }

    #[test]
    fn generation_is_deterministic() {
        let a = generate(&Platform::new(), repo_root()).unwrap();
        let b = generate(&Platform::new(), repo_root()).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn examples_are_read_from_the_tfplugindocs_locations() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("examples/resources/platform_environment");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("resource.tf"), "# usage\n").unwrap();
        fs::write(dir.join("import.sh"), "terraform import x y\n").unwrap();
        fs::create_dir_all(root.path().join("examples/provider")).unwrap();
        fs::write(
            root.path().join("examples/provider/provider.tf"),
            "provider \"platform\" {}\n",
        )
        .unwrap();
        let pages = generate(&Platform::new(), root.path()).unwrap();
        let env = &pages[Path::new("resources/environment.md")];
        assert!(
            env.contains("## Example Usage\n\n```terraform\n# usage\n```"),
            "{env}"
        );
        assert!(env.contains("```shell\nterraform import x y\n```"), "{env}");
        let index = &pages[Path::new("index.md")];
        assert!(
            index.contains("```terraform\nprovider \"platform\" {}\n```"),
            "{index}"
        );
        let database = &pages[Path::new("resources/database.md")];
        assert!(!database.contains("## Example Usage"), "{database}");
    }

    #[test]
    fn page_paths_drop_the_provider_prefix() {
        let schema = crate::provider::schema();
        let cases = [
            (
                PageKind::Resource,
                "platform_api_service",
                "resources/api_service.md",
            ),
            (
                PageKind::DataSource,
                "platform_hosting_matrix",
                "data-sources/hosting_matrix.md",
            ),
        ];
        for (kind, name, want) in cases {
            assert_eq!(Page::new(kind, name, &schema).path(), PathBuf::from(want));
        }
    }
}
