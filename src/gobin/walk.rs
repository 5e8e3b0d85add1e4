//! Walks files and directories one file at a time, streaming one
//! [`ScanItem`] per file so a caller can show progress and keep memory flat
//! on a node's `/usr` or an unpacked image.
//!
//! - Paths named by the caller are followed even when they are symbolic
//!   links (`/usr/bin/kubectl` is often one); inside directories, symbolic
//!   links are reported as skipped unless `follow_symlinks` is set, and
//!   directories already visited are not entered twice (no loops).
//! - Only regular files are opened: FIFOs, sockets and devices are skipped
//!   without being read.
//! - Each directory's entries are handled in name order: its files first,
//!   then its subdirectories, depth first.

use super::buildinfo;
use super::GoBinary;
use serde::Serialize;
use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Why a file was not analysed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    /// Not an executable, or an executable without Go build info.
    NotGo,
    /// A symbolic link, not followed.
    Symlink,
    /// A symbolic link whose target does not exist.
    BrokenSymlink,
    /// Not a regular file (FIFO, socket, device).
    Special,
}

/// A file that could not be analysed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct FileError {
    /// The file or directory.
    pub path: String,
    /// What went wrong.
    pub error: String,
}

/// The outcome for one file.
#[derive(Debug, Clone, PartialEq)]
pub enum ScanItem {
    /// A Go binary.
    Binary(Box<GoBinary>),
    /// A file that is not a Go binary, or was not opened.
    Skipped {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: SkipReason,
    },
    /// A file or directory that could not be read, or an executable that is
    /// truncated or malformed.
    Error {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        error: String,
    },
}

impl ScanItem {
    /// The file this item is about.
    pub fn path(&self) -> &Path {
        match self {
            ScanItem::Binary(r) => Path::new(&r.path),
            ScanItem::Skipped { path, .. } | ScanItem::Error { path, .. } => path,
        }
    }
}

/// Files seen, by outcome.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct Counts {
    /// Go binaries reported.
    pub go_binaries: u64,
    /// Files skipped (not Go, symbolic links not followed, special files).
    pub skipped: u64,
    /// Files or directories that could not be analysed.
    pub errors: u64,
}

impl Counts {
    /// Counts one item.
    pub fn add(&mut self, item: &ScanItem) {
        match item {
            ScanItem::Binary(_) => self.go_binaries += 1,
            ScanItem::Skipped { .. } => self.skipped += 1,
            ScanItem::Error { .. } => self.errors += 1,
        }
    }

    /// Files seen in total.
    pub fn total(&self) -> u64 {
        self.go_binaries + self.skipped + self.errors
    }
}

/// Analyses one regular file.
pub fn inspect_file(path: &Path) -> ScanItem {
    match buildinfo::read_file(path) {
        Ok(Some(info)) => ScanItem::Binary(Box::new(GoBinary::new(path, &info))),
        Ok(None) => ScanItem::Skipped {
            path: path.to_path_buf(),
            reason: SkipReason::NotGo,
        },
        Err(e) => ScanItem::Error {
            path: path.to_path_buf(),
            error: e.to_string(),
        },
    }
}

/// Walks `paths` (files or directories, recursively) and calls `on_item`
/// once per file, as soon as that file is analysed. Returns the counts.
pub fn scan<P: AsRef<Path>>(
    paths: &[P],
    follow_symlinks: bool,
    mut on_item: impl FnMut(ScanItem),
) -> Counts {
    let mut counts = Counts::default();
    let mut emit = |item: ScanItem| {
        counts.add(&item);
        on_item(item);
    };
    let mut visited: HashSet<PathBuf> = HashSet::new();
    for root in paths {
        let root = root.as_ref();
        match fs::metadata(root) {
            Err(e) => emit(ScanItem::Error {
                path: root.to_path_buf(),
                error: e.to_string(),
            }),
            Ok(m) if m.is_dir() => walk_dir(root, follow_symlinks, &mut visited, &mut emit),
            Ok(m) if m.is_file() => emit(inspect_file(root)),
            Ok(_) => emit(ScanItem::Skipped {
                path: root.to_path_buf(),
                reason: SkipReason::Special,
            }),
        }
    }
    counts
}

fn walk_dir(
    root: &Path,
    follow: bool,
    visited: &mut HashSet<PathBuf>,
    emit: &mut impl FnMut(ScanItem),
) {
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        // Loops are possible only through followed links.
        if follow {
            if let Ok(real) = fs::canonicalize(&dir) {
                if !visited.insert(real) {
                    continue;
                }
            }
        }
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) => {
                emit(ScanItem::Error {
                    path: dir,
                    error: e.to_string(),
                });
                continue;
            }
        };
        let mut listed = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => listed.push(entry),
                Err(e) => emit(ScanItem::Error {
                    path: dir.clone(),
                    error: e.to_string(),
                }),
            }
        }
        listed.sort_by_key(|e| e.file_name());
        let mut subdirs = Vec::new();
        for entry in listed {
            let path = entry.path();
            let file_type = match entry.file_type() {
                Ok(t) => t,
                Err(e) => {
                    emit(ScanItem::Error {
                        path,
                        error: e.to_string(),
                    });
                    continue;
                }
            };
            if file_type.is_symlink() {
                if !follow {
                    emit(ScanItem::Skipped {
                        path,
                        reason: SkipReason::Symlink,
                    });
                    continue;
                }
                match fs::metadata(&path) {
                    Ok(m) if m.is_dir() => subdirs.push(path),
                    Ok(m) if m.is_file() => emit(inspect_file(&path)),
                    Ok(_) => emit(ScanItem::Skipped {
                        path,
                        reason: SkipReason::Special,
                    }),
                    Err(_) => emit(ScanItem::Skipped {
                        path,
                        reason: SkipReason::BrokenSymlink,
                    }),
                }
            } else if file_type.is_dir() {
                subdirs.push(path);
            } else if file_type.is_file() {
                emit(inspect_file(&path));
            } else {
                emit(ScanItem::Skipped {
                    path,
                    reason: SkipReason::Special,
                });
            }
        }
        stack.extend(subdirs.into_iter().rev());
    }
}
