//! Minisign signatures of bundle manifests: Ed25519, in the format Debian's `minisign -V` checks.
//! The secret key comes from a file given on the command line (its password, when it has one, from
//! `OSSERVATORIO_SIGN_PASSWORD`), never from the project's YAML.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use minisign::{PublicKey, SecretKey, SecretKeyBox, SignatureBox};

/// The signature file beside the manifest.
pub const SIGNATURE: &str = "MANIFEST.json.minisig";
/// Where the password of an encrypted secret key is read from.
pub const PASSWORD_VARIABLE: &str = "OSSERVATORIO_SIGN_PASSWORD";

#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error(
        "{path}: cannot read the secret key: {source}; give the path of a minisign secret key (minisign -G writes one)"
    )]
    ReadKey {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}: not a minisign secret key ({source}); give the file minisign -G wrote (its first line is `untrusted comment: ...`)"
    )]
    BadKey {
        path: String,
        #[source]
        source: KeyFault,
    },
    #[error("{path}: the secret key is protected by a password; set {PASSWORD_VARIABLE} to it")]
    NeedsPassword { path: String },
    #[error("{path}: the password in {PASSWORD_VARIABLE} does not open this secret key ({source})")]
    WrongPassword {
        path: String,
        #[source]
        source: minisign::PError,
    },
    #[error("{path}: cannot sign: {source}")]
    Sign {
        path: String,
        #[source]
        source: minisign::PError,
    },
}

/// What is wrong with a file given as a secret key.
#[derive(Debug, thiserror::Error)]
pub enum KeyFault {
    #[error("it has fewer than two lines")]
    TooShort,
    /// The minisign crate's reading of it.
    #[error("{0}")]
    Unreadable(#[source] minisign::PError),
}

/// A loaded secret key and the id minisign shows for it.
pub struct SigningKey {
    key: SecretKey,
    pub key_id: String,
    pub path: PathBuf,
}

/// The 16-hex-digit key id minisign prints (`minisign public key XXXX`).
pub fn key_id(keynum: &[u8]) -> String {
    let mut bytes = [0u8; 8];
    for (b, k) in bytes.iter_mut().zip(keynum) {
        *b = *k;
    }
    format!("{:016X}", u64::from_le_bytes(bytes))
}

/// Reads a minisign secret key; an encrypted one is opened with `OSSERVATORIO_SIGN_PASSWORD`.
pub fn load_secret_key(path: &Path) -> Result<SigningKey, SigningError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| SigningError::ReadKey {
        path: shown.clone(),
        source,
    })?;
    let bad = |e: minisign::PError| SigningError::BadKey {
        path: shown.clone(),
        source: KeyFault::Unreadable(e),
    };
    if text.lines().count() < 2 {
        return Err(SigningError::BadKey {
            path: shown,
            source: KeyFault::TooShort,
        });
    }
    let boxed = SecretKeyBox::from_string(&text).map_err(bad)?;
    let key = if is_encrypted(&text) {
        // Never `None`: the crate would ask for the password on the terminal.
        let password = std::env::var(PASSWORD_VARIABLE)
            .ok()
            .filter(|p| !p.is_empty())
            .ok_or_else(|| SigningError::NeedsPassword {
                path: shown.clone(),
            })?;
        SecretKey::from_box(boxed, Some(password)).map_err(|source| {
            SigningError::WrongPassword {
                path: shown.clone(),
                source,
            }
        })?
    } else {
        match SecretKey::from_unencrypted_box(boxed) {
            Ok(k) => k,
            Err(e) => zero_checksum_key(&text).ok_or_else(|| bad(e))?,
        }
    };
    Ok(SigningKey {
        key_id: key_id(key.keynum()),
        key,
        path: path.to_path_buf(),
    })
}

/// The key's own bytes, as minisign lays them out: sig_alg, kdf_alg, chk_alg, salt (32),
/// opslimit (8), memlimit (8), keynum (8), sk (64), chk (32).
fn key_bytes(text: &str) -> Option<Vec<u8>> {
    use ct_codecs::{Base64, Decoder};
    let line = text.lines().nth(1)?.trim();
    Base64::decode_to_vec(line, None).ok()
}

/// Whether the key is sealed with a password: its key derivation is scrypt (`Sc`), where an
/// unencrypted key has none (two zero bytes). Read from the key, not from the crate's message
/// (minisign reports a missing password as an I/O error).
fn is_encrypted(text: &str) -> bool {
    key_bytes(text).is_some_and(|b| b.get(2..4) == Some(b"Sc".as_slice()))
}

/// An unencrypted key written by `minisign -G -W` (0.11), which leaves the key's checksum empty:
/// taken when it signs what its own public half verifies, so a damaged key is still refused.
fn zero_checksum_key(text: &str) -> Option<SecretKey> {
    let bytes = key_bytes(text)?;
    if bytes.len() != 158 || bytes[2..4] != [0, 0] || bytes[126..].iter().any(|b| *b != 0) {
        return None;
    }
    let key = SecretKey::from_bytes(&bytes).ok()?;
    let public = PublicKey::from_secret_key(&key).ok()?;
    let probe = b"osservatorio key check";
    let sig = minisign::sign(Some(&public), &key, Cursor::new(probe), None, None).ok()?;
    minisign::verify(&public, &sig, Cursor::new(probe), true, false, false).ok()?;
    Some(key)
}

/// Signs `data` (the manifest's bytes); the trusted comment, which minisign prints on
/// verification, names the bundle.
pub fn sign(key: &SigningKey, data: &[u8], trusted_comment: &str) -> Result<String, SigningError> {
    let sig = minisign::sign(
        None,
        &key.key,
        Cursor::new(data),
        Some(trusted_comment),
        Some("signature from osservatorio secret key"),
    )
    .map_err(|source| SigningError::Sign {
        path: key.path.display().to_string(),
        source,
    })?;
    Ok(sig.into_string())
}

pub use crate::values::keys::parse_public_key;

/// What the signature check of a bundle found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureCheck {
    /// Signed by this key (id and file), and the signature holds; the trusted comment.
    Valid {
        key_id: String,
        key: String,
        comment: String,
    },
    /// Not signed, and no key was expected.
    Unsigned,
    /// Signed, but no key was given to check it with.
    Unchecked { key_id: String },
    /// Keys are configured (or given) but the bundle has no signature.
    Missing,
    /// Signed by a key that is none of those given.
    UnknownKey { key_id: String, known: Vec<String> },
    /// The signature does not match the manifest (or is not a signature).
    Bad { key_id: String, message: String },
}

impl SignatureCheck {
    pub fn ok(&self) -> bool {
        matches!(
            self,
            SignatureCheck::Valid { .. }
                | SignatureCheck::Unsigned
                | SignatureCheck::Unchecked { .. }
        )
    }
}

impl std::fmt::Display for SignatureCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignatureCheck::Valid {
                key_id,
                key,
                comment,
            } => write!(
                f,
                "{SIGNATURE}: good signature by key {key_id} ({key}); trusted comment: {comment}"
            ),
            SignatureCheck::Unsigned => write!(f, "{SIGNATURE}: none (the bundle is not signed)"),
            SignatureCheck::Unchecked { key_id } => write!(
                f,
                "{SIGNATURE}: signed by key {key_id}, not checked: pass --public-key FILE or list the key under publication.public_keys"
            ),
            SignatureCheck::Missing => write!(
                f,
                "{SIGNATURE}: missing signature: public keys are configured, but the bundle was published without --sign"
            ),
            SignatureCheck::UnknownKey { key_id, known } => write!(
                f,
                "{SIGNATURE}: unknown key: signed by key {key_id}, which is none of the keys given ({}); add its .pub file to publication.public_keys or pass it with --public-key",
                known.join(", ")
            ),
            SignatureCheck::Bad { key_id, message } => write!(
                f,
                "{SIGNATURE}: bad signature (key {key_id}): {message}; MANIFEST.json was changed after it was signed, or the signature is damaged"
            ),
        }
    }
}

/// A public key file read for verification.
pub struct KnownKey {
    pub path: String,
    pub key: PublicKey,
}

/// Checks `signature` (the text of MANIFEST.json.minisig, None when absent) over `manifest`.
pub fn check(manifest: &[u8], signature: Option<&str>, keys: &[KnownKey]) -> SignatureCheck {
    let Some(signature) = signature else {
        return if keys.is_empty() {
            SignatureCheck::Unsigned
        } else {
            SignatureCheck::Missing
        };
    };
    let sig = match SignatureBox::from_string(signature) {
        Ok(s) => s,
        Err(e) => {
            return SignatureCheck::Bad {
                key_id: "?".to_string(),
                message: format!("not a minisign signature: {e}"),
            };
        }
    };
    let signed_by = key_id(sig.keynum());
    if keys.is_empty() {
        return SignatureCheck::Unchecked { key_id: signed_by };
    }
    let Some(known) = keys.iter().find(|k| k.key.keynum() == sig.keynum()) else {
        return SignatureCheck::UnknownKey {
            key_id: signed_by,
            known: keys
                .iter()
                .map(|k| format!("{} {}", key_id(k.key.keynum()), k.path))
                .collect(),
        };
    };
    match minisign::verify(&known.key, &sig, Cursor::new(manifest), true, false, false) {
        Ok(()) => SignatureCheck::Valid {
            key_id: signed_by,
            key: known.path.clone(),
            comment: sig.trusted_comment().unwrap_or_default(),
        },
        Err(e) => SignatureCheck::Bad {
            key_id: signed_by,
            message: e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (SigningKey, KnownKey) {
        let kp = minisign::KeyPair::generate_unencrypted_keypair().expect("a key pair");
        let pk = parse_public_key(&kp.pk.to_box().expect("box").into_string()).expect("pub");
        (
            SigningKey {
                key_id: key_id(kp.sk.keynum()),
                key: kp.sk,
                path: PathBuf::from("test.key"),
            },
            KnownKey {
                path: "test.pub".to_string(),
                key: pk,
            },
        )
    }

    #[test]
    fn a_key_is_told_encrypted_by_its_key_derivation_not_by_an_error_message() {
        let plain = minisign::KeyPair::generate_unencrypted_keypair().expect("a key pair");
        let sealed =
            minisign::KeyPair::generate_encrypted_keypair(Some("parola".into())).expect("a pair");
        let text = |k: &SecretKey| k.to_box(None).expect("box").to_string();
        assert!(!is_encrypted(&text(&plain.sk)));
        assert!(is_encrypted(&text(&sealed.sk)));
        assert!(!is_encrypted("untrusted comment: x\nnot base64 at all\n"));
    }

    #[test]
    fn a_signature_holds_for_its_manifest_and_key_only() {
        let (sk, pk) = pair();
        let (_, other) = pair();
        let sig = sign(&sk, b"{\"a\":1}", "bundle x").expect("signed");
        assert!(matches!(
            check(b"{\"a\":1}", Some(&sig), std::slice::from_ref(&pk)),
            SignatureCheck::Valid { .. }
        ));
        assert!(matches!(
            check(b"{\"a\":2}", Some(&sig), std::slice::from_ref(&pk)),
            SignatureCheck::Bad { .. }
        ));
        assert!(matches!(
            check(b"{\"a\":1}", Some(&sig), &[other]),
            SignatureCheck::UnknownKey { .. }
        ));
        assert_eq!(check(b"x", None, &[pk]), SignatureCheck::Missing);
        assert_eq!(check(b"x", None, &[]), SignatureCheck::Unsigned);
    }

    #[test]
    fn a_file_that_is_no_key_is_named_with_the_reason_and_keeps_its_source() {
        use std::error::Error;
        let dir = tempfile::tempdir().expect("temp dir");
        let short = dir.path().join("short.key");
        std::fs::write(&short, "one line\n").expect("write");
        let e = load_secret_key(&short).err().expect("refused");
        assert_eq!(
            e.to_string(),
            format!(
                "{}: not a minisign secret key (it has fewer than two lines); give the file minisign -G wrote (its first line is `untrusted comment: ...`)",
                short.display()
            )
        );
        let garbage = dir.path().join("garbage.key");
        std::fs::write(&garbage, "untrusted comment: x\nnot base64 at all!\n").expect("write");
        let e = load_secret_key(&garbage).err().expect("refused");
        let fault = e.source().expect("the key fault");
        assert!(
            fault.source().is_some_and(|p| p.is::<minisign::PError>()),
            "{e}"
        );
        assert!(e.to_string().contains(&fault.to_string()), "{e}");
    }
}
