//! The generated part of a docs directory on disk: which files the generator owns
//! (`index.md`, `resources/`, `data-sources/`; never hand-written pages such as
//! `simulator.md`), how they differ from a fresh generation, and writing them.

use super::DocsError;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Subdirectories whose every file is generated.
const GENERATED_DIRS: [&str; 2] = ["resources", "data-sources"];
/// Top-level files that are generated.
const GENERATED_FILES: [&str; 1] = ["index.md"];

/// How one generated file on disk differs from what the generator produces.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Drift {
    /// Generated but not on disk.
    Missing(PathBuf),
    /// On disk with different content.
    OutOfDate(PathBuf),
    /// On disk in a generated directory, but no longer generated.
    Extra(PathBuf),
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Drift::Missing(p) => write!(f, "missing:     {}", p.display()),
            Drift::OutOfDate(p) => write!(f, "out of date: {}", p.display()),
            Drift::Extra(p) => write!(f, "extra:       {}", p.display()),
        }
    }
}

/// The generated files present in `dir`, relative to it, sorted.
fn existing(dir: &Path) -> Result<BTreeSet<PathBuf>, DocsError> {
    let mut found = BTreeSet::new();
    for name in GENERATED_FILES {
        if dir.join(name).is_file() {
            found.insert(PathBuf::from(name));
        }
    }
    for sub in GENERATED_DIRS {
        let entries = match fs::read_dir(dir.join(sub)) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(source) => {
                return Err(DocsError::Read {
                    path: dir.join(sub),
                    source,
                });
            }
        };
        for entry in entries {
            let entry = entry.map_err(|source| DocsError::Read {
                path: dir.join(sub),
                source,
            })?;
            if entry.path().is_file() {
                found.insert(Path::new(sub).join(entry.file_name()));
            }
        }
    }
    Ok(found)
}

/// Every difference between `dir` and `pages` (paths relative to `dir`), sorted by path.
pub fn check(dir: &Path, pages: &BTreeMap<PathBuf, String>) -> Result<Vec<Drift>, DocsError> {
    let on_disk = existing(dir)?;
    let mut drift = Vec::new();
    for (path, content) in pages {
        if !on_disk.contains(path) {
            drift.push(Drift::Missing(path.clone()));
            continue;
        }
        let full = dir.join(path);
        let current = fs::read(&full).map_err(|source| DocsError::Read { path: full, source })?;
        if current != content.as_bytes() {
            drift.push(Drift::OutOfDate(path.clone()));
        }
    }
    drift.extend(
        on_disk
            .into_iter()
            .filter(|p| !pages.contains_key(p))
            .map(Drift::Extra),
    );
    drift.sort_by(|a, b| drift_path(a).cmp(drift_path(b)));
    Ok(drift)
}

fn drift_path(d: &Drift) -> &Path {
    match d {
        Drift::Missing(p) | Drift::OutOfDate(p) | Drift::Extra(p) => p,
    }
}

/// Makes `dir` match `pages`: writes what differs and removes generated files no longer
/// generated. Returns what it changed.
pub fn write(dir: &Path, pages: &BTreeMap<PathBuf, String>) -> Result<Vec<Drift>, DocsError> {
    let drift = check(dir, pages)?;
    for d in &drift {
        let full = dir.join(drift_path(d));
        match d {
            Drift::Missing(p) | Drift::OutOfDate(p) => {
                if let Some(parent) = full.parent() {
                    fs::create_dir_all(parent).map_err(|source| DocsError::Write {
                        path: parent.to_path_buf(),
                        source,
                    })?;
                }
                fs::write(&full, &pages[p])
                    .map_err(|source| DocsError::Write { path: full, source })?;
            }
            Drift::Extra(_) => {
                fs::remove_file(&full).map_err(|source| DocsError::Write { path: full, source })?;
            }
        }
    }
    Ok(drift)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pages() -> BTreeMap<PathBuf, String> {
        [
            ("index.md", "index\n"),
            ("resources/environment.md", "env\n"),
            ("data-sources/hosting_matrix.md", "matrix\n"),
        ]
        .into_iter()
        .map(|(p, c)| (PathBuf::from(p), c.to_string()))
        .collect()
    }

    #[test]
    fn check_reports_missing_out_of_date_and_extra_but_not_hand_written_pages() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("resources")).unwrap();
        fs::write(root.join("index.md"), "index\n").unwrap();
        fs::write(root.join("resources/environment.md"), "old\n").unwrap();
        fs::write(root.join("resources/gone.md"), "gone\n").unwrap();
        fs::write(root.join("simulator.md"), "hand-written\n").unwrap();
        let drift = check(root, &pages()).unwrap();
        assert_eq!(
            drift,
            [
                Drift::Missing("data-sources/hosting_matrix.md".into()),
                Drift::OutOfDate("resources/environment.md".into()),
                Drift::Extra("resources/gone.md".into()),
            ]
        );
    }

    #[test]
    fn write_makes_the_tree_match_and_keeps_hand_written_pages() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("resources")).unwrap();
        fs::write(root.join("resources/gone.md"), "gone\n").unwrap();
        fs::write(root.join("simulator.md"), "hand-written\n").unwrap();
        let changed = write(root, &pages()).unwrap();
        assert_eq!(changed.len(), 4, "{changed:?}");
        assert_eq!(check(root, &pages()).unwrap(), []);
        assert!(!root.join("resources/gone.md").exists());
        assert_eq!(
            fs::read_to_string(root.join("simulator.md")).unwrap(),
            "hand-written\n"
        );
        assert_eq!(
            write(root, &pages()).unwrap(),
            [],
            "a second run changes nothing"
        );
    }
}
