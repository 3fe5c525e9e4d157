//! Minisign public keys as `.pub` files write them: read when the configuration names them and
//! when a bundle's signature is checked.

use minisign::{PublicKey, PublicKeyBox};

/// A public key from the text of a `.pub` file (as minisign -G writes it) or its base64 line.
pub fn parse_public_key(text: &str) -> Result<PublicKey, String> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let parsed = match lines.as_slice() {
        [one] => PublicKey::from_base64(one),
        [_, _] => PublicKeyBox::from_string(text).and_then(PublicKeyBox::into_public_key),
        _ => {
            return Err(
                "not a minisign public key: expected an `untrusted comment:` line and the key's base64 line"
                    .to_string(),
            );
        }
    };
    parsed.map_err(|e| {
        format!("not a minisign public key ({e}); give the .pub file minisign -G wrote")
    })
}
