//! The workspace folder and the one rule of every path the server touches:
//! it stays inside the workspace, through no symbolic link.

use std::io;
use std::path::{Component, Path, PathBuf};

use super::error::ApiError;
use crate::hub::LoadedScenario;

/// The workspace: a canonical folder holding `models/*.toml`, the data they
/// name, `uploads/` and `.hubplan/` (runs and the distance cache).
#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
}

impl Workspace {
    /// Opens (and canonicalises) an existing folder.
    pub fn open(dir: &Path) -> io::Result<Self> {
        let root = dir.canonicalize()?;
        if !root.is_dir() {
            return Err(io::Error::new(io::ErrorKind::NotADirectory, "not a folder"));
        }
        Ok(Workspace { root })
    }

    /// The canonical folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where runs are kept: `.hubplan/runs`.
    pub fn runs_dir(&self) -> PathBuf {
        self.root.join(".hubplan").join("runs")
    }

    /// The distance cache: `.hubplan/cache`.
    pub fn cache_dir(&self) -> PathBuf {
        self.root.join(".hubplan").join("cache")
    }

    /// Uploaded data sets: `uploads/<id>/`.
    pub fn uploads_dir(&self) -> PathBuf {
        self.root.join("uploads")
    }

    /// A path for people: relative to the workspace when inside it.
    pub fn shown(&self, p: &Path) -> String {
        let mut plain = PathBuf::new();
        for c in p.components() {
            match c {
                Component::ParentDir if plain.file_name().is_some() => {
                    plain.pop();
                }
                Component::CurDir => {}
                other => plain.push(other.as_os_str()),
            }
        }
        plain.strip_prefix(&self.root).unwrap_or(&plain).to_string_lossy().into_owned()
    }

    /// A path given in a request, relative to the workspace: refused (400)
    /// when empty, absolute, with a `..` component or passing through a
    /// symbolic link. It need not exist.
    pub fn relative(&self, rel: &str) -> Result<PathBuf, ApiError> {
        if rel.is_empty() {
            return Err(ApiError::bad_request("empty path"));
        }
        let p = Path::new(rel);
        let mut out = self.root.clone();
        for c in p.components() {
            match c {
                Component::Normal(n) => out.push(n),
                Component::CurDir => {}
                Component::ParentDir => {
                    return Err(ApiError::outside(format!("`{rel}`: `..` is not allowed in a workspace path")));
                }
                Component::RootDir | Component::Prefix(_) => {
                    return Err(ApiError::outside(format!("`{rel}`: absolute paths are not allowed")));
                }
            }
        }
        self.no_links(&out, rel)?;
        Ok(out)
    }

    /// A path the workspace's own files name (a scenario's data), resolved
    /// lexically: `..` is followed but may not climb out of the workspace;
    /// absolute paths and symbolic links are refused (400).
    pub fn inside(&self, p: &Path, named_as: &str) -> Result<PathBuf, ApiError> {
        let mut out = PathBuf::new();
        for c in p.components() {
            match c {
                Component::ParentDir => {
                    if !out.pop() {
                        return Err(ApiError::outside(format!("`{named_as}` leads outside the workspace")));
                    }
                }
                Component::CurDir => {}
                other => out.push(other.as_os_str()),
            }
        }
        if !out.starts_with(&self.root) {
            return Err(ApiError::outside(format!("`{named_as}` leads outside the workspace")));
        }
        self.no_links(&out, named_as)?;
        Ok(out)
    }

    /// Refuses a path any of whose parts below the root is a symbolic link.
    fn no_links(&self, p: &Path, named_as: &str) -> Result<(), ApiError> {
        let Ok(rest) = p.strip_prefix(&self.root) else {
            return Err(ApiError::outside(format!("`{named_as}` leads outside the workspace")));
        };
        let mut at = self.root.clone();
        for c in rest.components() {
            at.push(c);
            if let Ok(m) = std::fs::symlink_metadata(&at)
                && m.file_type().is_symlink()
            {
                return Err(ApiError::outside(format!("`{named_as}`: symbolic links are not followed")));
            }
        }
        Ok(())
    }

    /// A scenario named in a request: `models/x.toml`, or `x` for
    /// `models/x.toml`. Must be a `.toml` file inside the workspace.
    pub fn scenario_file(&self, name: &str) -> Result<PathBuf, ApiError> {
        let rel =
            if !name.contains('/') && !name.ends_with(".toml") { format!("models/{name}.toml") } else { name.into() };
        if !rel.ends_with(".toml") {
            return Err(ApiError::bad_request(format!("`{name}` is not a scenario file (.toml)")));
        }
        let p = self.relative(&rel)?;
        if !p.is_file() {
            return Err(ApiError::not_found(format!("no scenario `{rel}` in the workspace")));
        }
        Ok(p)
    }

    /// Checks that every data file a loaded scenario names lies inside the workspace.
    pub fn check_data_paths(&self, loaded: &LoadedScenario) -> Result<(), ApiError> {
        let d = &loaded.scenario.data;
        let named = [
            ("data.schools", Some(&d.schools)),
            ("data.roads", d.roads.as_ref()),
            ("data.districts", d.districts.as_ref()),
            ("data.existing_hubs", d.existing_hubs.as_ref()),
            ("data.equipped_schools", d.equipped_schools.as_ref()),
        ];
        for (key, path) in named {
            let Some(path) = path else { continue };
            if path.is_absolute() {
                return Err(ApiError::outside(format!(
                    "`{key}` = `{}`: absolute paths are not allowed",
                    path.display()
                )));
            }
            self.inside(&loaded.resolve(path), &format!("{key} = {}", path.display()))?;
        }
        Ok(())
    }

    /// Every scenario of the workspace: `models/*.toml` and `uploads/*/scenario.toml`, sorted.
    pub fn scenarios(&self) -> Vec<String> {
        let mut out = Vec::new();
        let list = |dir: &Path| -> Vec<PathBuf> {
            std::fs::read_dir(dir).map(|r| r.filter_map(|e| e.ok()).map(|e| e.path()).collect()).unwrap_or_default()
        };
        for p in list(&self.root.join("models")) {
            if p.extension().is_some_and(|e| e == "toml") && is_plain_file(&p) {
                out.push(self.shown(&p));
            }
        }
        let mut uploads = Vec::new();
        for d in list(&self.uploads_dir()) {
            let p = d.join("scenario.toml");
            if is_plain_dir(&d) && is_plain_file(&p) {
                uploads.push(self.shown(&p));
            }
        }
        out.sort();
        uploads.sort();
        out.extend(uploads);
        out
    }
}

fn is_plain_file(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_file())
}

fn is_plain_dir(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths_stay_inside_and_never_follow_links() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("models")).unwrap();
        std::fs::write(dir.path().join("models/a.toml"), "").unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        assert_eq!(ws.scenario_file("a").unwrap(), ws.root().join("models/a.toml"));
        assert_eq!(ws.scenario_file("models/a.toml").unwrap(), ws.root().join("models/a.toml"));
        for bad in ["../a.toml", "models/../../a.toml", "/etc/passwd.toml"] {
            let e = ws.scenario_file(bad).unwrap_err();
            assert_eq!((e.status, e.body.code.as_str()), (400, "path-outside-workspace"), "{bad}");
        }
        assert_eq!(ws.scenario_file("models/b.toml").unwrap_err().status, 404);
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("models"), dir.path().join("linked")).unwrap();
            let e = ws.scenario_file("linked/a.toml").unwrap_err();
            assert_eq!(e.body.code, "path-outside-workspace");
            assert!(e.body.message.contains("symbolic"), "{}", e.body.message);
        }
        // Data paths may climb with `..` but not out of the workspace.
        assert!(ws.inside(&ws.root().join("models/../datasets/x.csv"), "x").is_ok());
        assert!(ws.inside(&ws.root().join("models/../../x.csv"), "x").is_err());
    }
}
