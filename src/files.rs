//! Writing files safely: atomically (a temporary file in the same folder, renamed into place), with
//! secrets created 0600, and with a backup of anything replaced.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Writes `contents` to `path` atomically, creating parent folders. `private` files (those that
/// hold secrets) are created 0600; others keep the mode of the file they replace, or 0644.
pub fn write_atomic(path: &Path, contents: &[u8], private: bool) -> std::io::Result<()> {
    stage(path, contents, private)?
        .persist(path)
        .map_err(|e| e.error)?;
    Ok(())
}

/// Writes `contents` to a temporary file beside `path` (creating parent folders), with the mode
/// `write_atomic` gives, ready to be renamed over `path` with `persist`. Dropped, it is removed.
pub fn stage(
    path: &Path,
    contents: &[u8],
    private: bool,
) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let mode = if private {
        0o600
    } else {
        std::fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0o644)
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".cruddur-obs-")
        .tempfile_in(dir)?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))?;
    tmp.write_all(contents)?;
    tmp.as_file().sync_all()?;
    Ok(tmp)
}

/// Makes a file readable and writable by its owner only.
pub fn make_private(path: &Path) -> std::io::Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

/// Copies `path` to the first free `path.bak`, `path.bak.1`, ... and returns where it went.
pub fn backup(path: &Path) -> std::io::Result<PathBuf> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut target = path.with_file_name(format!("{name}.bak"));
    let mut n = 1;
    while target.exists() {
        target = path.with_file_name(format!("{name}.bak.{n}"));
        n += 1;
    }
    std::fs::copy(path, &target)?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_private_files_0600_and_keeps_backups() {
        let dir = tempfile::tempdir().unwrap();
        let env = dir.path().join("sub/.env");
        write_atomic(&env, b"A=1\n", true).unwrap();
        assert_eq!(
            std::fs::metadata(&env).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(backup(&env).unwrap(), dir.path().join("sub/.env.bak"));
        assert_eq!(backup(&env).unwrap(), dir.path().join("sub/.env.bak.1"));
        write_atomic(&env, b"A=2\n", false).unwrap();
        assert_eq!(std::fs::read_to_string(&env).unwrap(), "A=2\n");
        assert_eq!(
            std::fs::metadata(&env).unwrap().permissions().mode() & 0o777,
            0o600,
            "mode kept"
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".cruddur-obs-")
            })
            .collect();
        assert!(leftovers.is_empty());
    }
}
