//! The paths of a git index (`.git/index`, versions 2 to 4): the files git tracks, staged
//! ones included — what a commit made now would hold, and so what a workflow run checks out.
//! Only the paths are read; anything unexpected gives `None` and the caller walks the
//! working tree instead.

/// The paths listed in `index` (sorted, deduplicated), or `None` when it cannot be read.
/// `hash_len` is 20 for SHA-1 repositories, 32 for SHA-256 ones.
pub fn paths(index: &[u8], hash_len: usize) -> Option<Vec<String>> {
    if index.get(0..4)? != b"DIRC" {
        return None;
    }
    let word = |at: usize| -> Option<u32> {
        Some(u32::from_be_bytes(index.get(at..at + 4)?.try_into().ok()?))
    };
    let version = word(4)?;
    if !(2..=4).contains(&version) {
        return None;
    }
    let count = word(8)? as usize;
    // Refuse counts the file cannot hold (each entry is at least 62 bytes).
    if count > index.len() / 40 {
        return None;
    }
    let mut out: Vec<String> = Vec::with_capacity(count);
    let mut at = 12;
    let mut previous: Vec<u8> = Vec::new();
    for _ in 0..count {
        let start = at;
        // ctime, mtime, dev, ino, mode, uid, gid, size: 40 bytes; then the object id.
        let flags_at = start + 40 + hash_len;
        let flags = u16::from_be_bytes(index.get(flags_at..flags_at + 2)?.try_into().ok()?);
        let mut name_at = flags_at + 2;
        if version >= 3 && flags & 0x4000 != 0 {
            name_at += 2;
        }
        let path = if version == 4 {
            // The number of bytes to drop from the previous path, then the rest.
            let (strip, used) = varint(index.get(name_at..)?)?;
            let name_at = name_at + used;
            let end = name_at + index.get(name_at..)?.iter().position(|&b| b == 0)?;
            let keep = previous.len().checked_sub(strip)?;
            let mut p = previous[..keep].to_vec();
            p.extend_from_slice(index.get(name_at..end)?);
            at = end + 1;
            p
        } else {
            let end = name_at + index.get(name_at..)?.iter().position(|&b| b == 0)?;
            let p = index.get(name_at..end)?.to_vec();
            // The entry is padded with 1 to 8 NULs to a multiple of 8 bytes.
            let len = end - start;
            at = start + (len + 8) / 8 * 8;
            p
        };
        out.push(String::from_utf8(path.clone()).ok()?);
        previous = path;
    }
    out.sort();
    out.dedup();
    Some(out)
}

/// Git's offset varint (`decode_varint` in git's `varint.c`): the value and the bytes used.
fn varint(b: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    let mut c = *b.first()?;
    let mut val = (c & 127) as usize;
    while c & 128 != 0 {
        i += 1;
        c = *b.get(i)?;
        val = val.checked_add(1)?.checked_mul(128)? | (c & 127) as usize;
    }
    Some((val, i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, version: u32, prev: &str) -> Vec<u8> {
        let mut e = vec![0u8; 40 + 20];
        e.extend_from_slice(&(path.len() as u16).to_be_bytes());
        if version == 4 {
            let common = prev
                .bytes()
                .zip(path.bytes())
                .take_while(|(a, b)| a == b)
                .count();
            e.push((prev.len() - common) as u8);
            e.extend_from_slice(&path.as_bytes()[common..]);
            e.push(0);
        } else {
            e.extend_from_slice(path.as_bytes());
            let len = e.len();
            e.resize((len + 8) / 8 * 8, 0);
        }
        e
    }

    fn index(version: u32, paths: &[&str]) -> Vec<u8> {
        let mut b = b"DIRC".to_vec();
        b.extend_from_slice(&version.to_be_bytes());
        b.extend_from_slice(&(paths.len() as u32).to_be_bytes());
        let mut prev = "";
        for p in paths {
            b.extend(entry(p, version, prev));
            prev = p;
        }
        b.extend_from_slice(&[0; 20]);
        b
    }

    #[test]
    fn versions() {
        let files = [
            ".github/workflows/ci.yml",
            "Cargo.lock",
            "src/lib.rs",
            "src/main.rs",
        ];
        for v in [2, 3, 4] {
            assert_eq!(
                paths(&index(v, &files), 20),
                Some(files.iter().map(|s| s.to_string()).collect()),
                "version {v}"
            );
        }
        assert_eq!(paths(b"DIRC\0\0\0\x02\xff\xff\xff\xff", 20), None);
        assert_eq!(paths(b"nope", 20), None);
        let mut cut = index(2, &files);
        cut.truncate(80);
        assert_eq!(paths(&cut, 20), None);
    }
}
