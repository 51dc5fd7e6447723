//! File writing that never leaves a user's file half-written: write to a
//! temporary file beside the target, then rename over it.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically (temporary file in the same folder, then rename).
///
/// # Errors
///
/// The folder cannot be created or the file cannot be written or renamed;
/// the temporary file is then removed and `path` is untouched.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = parent_dir(path);
    fs::create_dir_all(&dir)?;
    let tmp = temp_sibling(path);
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A hidden temporary path beside `path`, unique to this process.
pub fn temp_sibling(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    parent_dir(path).join(format!(".{name}.tmp-{}", std::process::id()))
}

/// Replaces directory `target` with the fully written directory `staged`.
///
/// The old `target` (if any) is moved aside first and removed only after the
/// new one is in place, so a failure leaves `target` exactly as it was.
///
/// # Errors
///
/// A rename fails (`target` is then restored), or the old copy moved aside
/// cannot be removed (the new `target` is then already in place).
pub fn replace_dir(staged: &Path, target: &Path) -> io::Result<()> {
    if target.exists() {
        let aside = temp_sibling(&target.with_extension("old"));
        fs::rename(target, &aside)?;
        if let Err(e) = fs::rename(staged, target) {
            let _ = fs::rename(&aside, target);
            return Err(e);
        }
        fs::remove_dir_all(&aside)
    } else {
        fs::rename(staged, target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_content_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn replace_dir_swaps_directories() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("plan");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("old.txt"), "old").unwrap();
        let staged = dir.path().join("staged");
        fs::create_dir(&staged).unwrap();
        fs::write(staged.join("new.txt"), "new").unwrap();
        replace_dir(&staged, &target).unwrap();
        assert!(target.join("new.txt").exists());
        assert!(!target.join("old.txt").exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
