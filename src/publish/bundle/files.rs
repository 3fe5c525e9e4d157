//! The files of a bundle: listing, hashing, copying them in and making them read-only.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::{BundleError, io};

pub(super) fn sha256_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let bytes = std::io::copy(&mut file, &mut hasher)?;
    Ok((hex::encode(hasher.finalize()), bytes))
}

/// Every file below `dir`, as paths relative to it with `/` separators, in order.
pub(crate) fn files_below(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let e = e?;
            let path = e.path();
            if e.file_type()?.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                let parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push(parts.join("/"));
            }
        }
    }
    out.sort();
    Ok(out)
}

pub(super) fn copy_tree(from: &Path, to: &Path) -> Result<(), BundleError> {
    std::fs::create_dir_all(to).map_err(|e| io(to, e))?;
    for rel in files_below(from).map_err(|e| io(from, e))? {
        let target = to.join(&rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        std::fs::copy(from.join(&rel), &target).map_err(|e| io(&target, e))?;
    }
    Ok(())
}

pub(super) fn make_read_only(dir: &Path) -> Result<(), BundleError> {
    for rel in files_below(dir).map_err(|e| io(dir, e))? {
        let path = dir.join(rel);
        let mut perms = std::fs::metadata(&path)
            .map_err(|e| io(&path, e))?
            .permissions();
        perms.set_readonly(true);
        std::fs::set_permissions(&path, perms).map_err(|e| io(&path, e))?;
    }
    Ok(())
}
