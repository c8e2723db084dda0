//! A built static site read from disk: the files a Pages or Vercel deployment uploads,
//! and the content digest the plan shows.
//!
//! The digest is SHA-256 over the sorted list of `path NUL sha256(content) LF`, so it
//! changes when a file's content, name or presence changes and nothing else (not
//! timestamps, not the order the directory lists them in). Each host computes its own
//! per-file key from the bytes kept here (Pages: BLAKE3, Vercel: SHA-1).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The most files a site may hold: Cloudflare Pages' limit for one deployment
/// (20,000 on the Free plan), also well inside Vercel's.
pub const MAX_FILES: usize = 20_000;

/// The largest single file: Pages refuses an asset over 25 MiB.
pub const MAX_FILE_BYTES: u64 = 25 * 1024 * 1024;

/// One file of the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteFile {
    /// Path relative to the site's root, `/`-separated, no leading slash (`assets/app.js`).
    pub path: String,
    /// The content.
    pub bytes: Vec<u8>,
    /// Lowercase hex SHA-256 of the content.
    pub sha256: String,
}

impl SiteFile {
    /// A file from its path and content.
    pub fn new(path: impl Into<String>, bytes: Vec<u8>) -> Self {
        let sha256 = hex(&Sha256::digest(&bytes));
        Self {
            path: path.into(),
            bytes,
            sha256,
        }
    }

    /// Size in bytes.
    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// The file's extension without the dot (`js`), empty when it has none.
    pub fn extension(&self) -> &str {
        let name = self.path.rsplit('/').next().unwrap_or(&self.path);
        match name.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() => ext,
            _ => "",
        }
    }

    /// The `Content-Type` a host serves it with, from the extension.
    pub fn content_type(&self) -> &'static str {
        let ext = self.extension().to_ascii_lowercase();
        CONTENT_TYPES
            .iter()
            .find(|(e, _)| *e == ext)
            .map_or("application/octet-stream", |(_, t)| t)
    }
}

/// Content types by extension, for the files a built frontend holds.
const CONTENT_TYPES: &[(&str, &str)] = &[
    ("html", "text/html"),
    ("htm", "text/html"),
    ("css", "text/css"),
    ("js", "application/javascript"),
    ("mjs", "application/javascript"),
    ("json", "application/json"),
    ("map", "application/json"),
    ("txt", "text/plain"),
    ("xml", "application/xml"),
    ("svg", "image/svg+xml"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("avif", "image/avif"),
    ("ico", "image/x-icon"),
    ("woff", "font/woff"),
    ("woff2", "font/woff2"),
    ("ttf", "font/ttf"),
    ("wasm", "application/wasm"),
    ("webmanifest", "application/manifest+json"),
    ("pdf", "application/pdf"),
];

/// The whole site, files sorted by path.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SiteFiles {
    /// The files, sorted by path.
    pub files: Vec<SiteFile>,
}

/// Why a site directory cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiteError {
    /// The directory does not exist or cannot be listed.
    #[error("cannot read `{dir}`: {reason}")]
    Unreadable {
        /// The directory (or file) that failed.
        dir: String,
        /// The operating system's reason.
        reason: String,
    },
    /// No files at all.
    #[error(
        "`{dir}` holds no files: build the site first (e.g. `npm run build`) and point `source_dir` at its output"
    )]
    Empty {
        /// The directory.
        dir: String,
    },
    /// More files than a deployment may hold.
    #[error("`{dir}` holds {count} files; a deployment holds at most {MAX_FILES}")]
    TooMany {
        /// The directory.
        dir: String,
        /// How many it holds.
        count: usize,
    },
    /// One file over the size limit.
    #[error("`{path}` is {bytes} bytes; a deployed file may be at most 25 MiB")]
    TooLarge {
        /// The file's path relative to the site's root.
        path: String,
        /// Its size.
        bytes: u64,
    },
}

impl SiteFiles {
    /// Reads every regular file under `dir` (following no symlinks out of it, skipping
    /// dot-directories such as `.git` and `node_modules`).
    pub fn read(dir: &Path) -> Result<Self, SiteError> {
        let mut files = Vec::new();
        walk(dir, dir, &mut files)?;
        let shown = dir.display().to_string();
        if files.is_empty() {
            return Err(SiteError::Empty { dir: shown });
        }
        if files.len() > MAX_FILES {
            return Err(SiteError::TooMany {
                dir: shown,
                count: files.len(),
            });
        }
        Ok(Self::from_files(files))
    }

    /// A site from files in any order.
    pub fn from_files(mut files: Vec<SiteFile>) -> Self {
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files.dedup_by(|a, b| a.path == b.path);
        Self { files }
    }

    /// `sha256:<hex>` over the sorted `(path, content hash)` list.
    pub fn digest(&self) -> String {
        let mut hasher = Sha256::new();
        for f in &self.files {
            hasher.update(f.path.as_bytes());
            hasher.update([0]);
            hasher.update(f.sha256.as_bytes());
            hasher.update([b'\n']);
        }
        format!("sha256:{}", hex(&hasher.finalize()))
    }

    /// Number of files.
    pub fn count(&self) -> usize {
        self.files.len()
    }

    /// Total size in bytes.
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(SiteFile::size).sum()
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<SiteFile>) -> Result<(), SiteError> {
    let unreadable = |p: &Path, e: std::io::Error| SiteError::Unreadable {
        dir: p.display().to_string(),
        reason: e.to_string(),
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| unreadable(dir, e))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let meta = std::fs::symlink_metadata(&path).map_err(|e| unreadable(&path, e))?;
        if meta.is_dir() {
            if name.starts_with('.') || name == "node_modules" {
                continue;
            }
            walk(root, &path, out)?;
        } else if meta.is_file() {
            let relative = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            if meta.len() > MAX_FILE_BYTES {
                return Err(SiteError::TooLarge {
                    path: relative,
                    bytes: meta.len(),
                });
            }
            let bytes = std::fs::read(&path).map_err(|e| unreadable(&path, e))?;
            out.push(SiteFile::new(relative, bytes));
        }
    }
    Ok(())
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempdir::Dir {
        let dir = tempdir::Dir::new();
        for (path, content) in files {
            let full = dir.path().join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, content).unwrap();
        }
        dir
    }

    /// A throwaway directory removed on drop (no extra crate for one test).
    mod tempdir {
        use std::path::{Path, PathBuf};
        use std::sync::atomic::{AtomicUsize, Ordering};

        static NEXT: AtomicUsize = AtomicUsize::new(0);

        pub struct Dir(PathBuf);
        impl Dir {
            pub fn new() -> Self {
                let n = NEXT.fetch_add(1, Ordering::SeqCst);
                let p = std::env::temp_dir()
                    .join(format!("platform-site-test-{}-{n}", std::process::id()));
                let _ = std::fs::remove_dir_all(&p);
                std::fs::create_dir_all(&p).unwrap();
                Self(p)
            }
            pub fn path(&self) -> &Path {
                &self.0
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[test]
    fn reads_files_sorted_with_relative_paths_and_skips_dot_directories() {
        let dir = tree(&[
            ("index.html", "<h1>hi</h1>"),
            ("assets/app.js", "console.log(1)"),
            (".git/HEAD", "ref"),
            ("node_modules/x/index.js", "x"),
        ]);
        let site = SiteFiles::read(dir.path()).unwrap();
        let paths: Vec<_> = site.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["assets/app.js", "index.html"]);
        assert_eq!(site.count(), 2);
        assert_eq!(site.total_bytes(), 11 + 14);
        assert_eq!(site.files[0].content_type(), "application/javascript");
        assert_eq!(site.files[1].content_type(), "text/html");
    }

    #[test]
    fn the_digest_changes_with_content_and_names_only() {
        let a = SiteFiles::from_files(vec![
            SiteFile::new("a.html", b"1".to_vec()),
            SiteFile::new("b.css", b"2".to_vec()),
        ]);
        let reordered = SiteFiles::from_files(vec![
            SiteFile::new("b.css", b"2".to_vec()),
            SiteFile::new("a.html", b"1".to_vec()),
        ]);
        let edited = SiteFiles::from_files(vec![
            SiteFile::new("a.html", b"1!".to_vec()),
            SiteFile::new("b.css", b"2".to_vec()),
        ]);
        let renamed = SiteFiles::from_files(vec![
            SiteFile::new("a2.html", b"1".to_vec()),
            SiteFile::new("b.css", b"2".to_vec()),
        ]);
        assert_eq!(a.digest(), reordered.digest());
        assert_ne!(a.digest(), edited.digest());
        assert_ne!(a.digest(), renamed.digest());
        assert!(a.digest().starts_with("sha256:") && a.digest().len() == 7 + 64);
    }

    #[test]
    fn an_empty_or_missing_directory_is_an_error_that_says_what_to_do() {
        let dir = tree(&[]);
        let empty = SiteFiles::read(dir.path()).unwrap_err();
        assert!(
            empty.to_string().contains("build the site first"),
            "{empty}"
        );
        let missing = SiteFiles::read(&dir.path().join("nope")).unwrap_err();
        assert!(matches!(missing, SiteError::Unreadable { .. }), "{missing}");
    }

    #[test]
    fn extensions_ignore_dotfiles_and_directories() {
        assert_eq!(SiteFile::new("a/b.min.js", vec![]).extension(), "js");
        assert_eq!(SiteFile::new(".well-known/x", vec![]).extension(), "");
        assert_eq!(SiteFile::new("_headers", vec![]).extension(), "");
        assert_eq!(SiteFile::new(".nojekyll", vec![]).extension(), "");
    }
}
