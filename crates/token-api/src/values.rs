//! Token values: `atp_` + 30 base62 random characters + a 6-character CRC32 checksum.
//!
//! 30 base62 characters carry 178 bits from the OS CSPRNG. The checksum (CRC32 of the random
//! part, base62, zero-padded) lets secret scanners and this server reject typos offline,
//! before any lookup. Only the SHA-256 of a value is ever stored.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The fixed, recognisable prefix of every API token value.
pub const PREFIX: &str = token_wire::API_TOKEN_PREFIX;
const BODY_LEN: usize = 30;
const CHECKSUM_LEN: usize = 6;
/// Length of a well-formed value.
pub const VALUE_LEN: usize = PREFIX.len() + BODY_LEN + CHECKSUM_LEN;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A new random token value.
pub fn generate() -> String {
    let mut body = String::with_capacity(BODY_LEN);
    let mut buf = [0u8; 64];
    while body.len() < BODY_LEN {
        getrandom::fill(&mut buf).expect("the OS random source failed");
        // Rejection sampling keeps every character uniform: 248 = 4 × 62.
        for b in buf.iter().filter(|b| **b < 248) {
            if body.len() == BODY_LEN {
                break;
            }
            body.push(ALPHABET[(*b % 62) as usize] as char);
        }
    }
    let checksum = checksum(&body);
    format!("{PREFIX}{body}{checksum}")
}

fn checksum(body: &str) -> String {
    let mut n = crc32fast::hash(body.as_bytes()) as u64;
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out.to_vec()).expect("ASCII")
}

/// Whether `value` is well formed (prefix, length, alphabet, checksum); no lookup involved.
pub fn is_well_formed(value: &str) -> bool {
    let Some(rest) = value.strip_prefix(PREFIX) else {
        return false;
    };
    if rest.len() != BODY_LEN + CHECKSUM_LEN || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let (body, sum) = rest.split_at(BODY_LEN);
    checksum(body).as_bytes().ct_eq(sum.as_bytes()).into()
}

/// The stored form of a value: lowercase hex SHA-256.
pub fn hash(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Constant-time equality of two stored hashes.
pub fn hashes_equal(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A random opaque identifier (22 base62 characters, ~131 bits).
pub fn new_id() -> String {
    let mut out = String::with_capacity(22);
    let mut buf = [0u8; 32];
    while out.len() < 22 {
        getrandom::fill(&mut buf).expect("the OS random source failed");
        for b in buf.iter().filter(|b| **b < 248) {
            if out.len() == 22 {
                break;
            }
            out.push(ALPHABET[(*b % 62) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_values_are_well_formed_and_distinct() {
        let a = generate();
        let b = generate();
        assert_ne!(a, b);
        assert_eq!(a.len(), VALUE_LEN);
        assert!(a.starts_with("atp_"));
        assert!(is_well_formed(&a));
    }

    #[test]
    fn typos_fail_the_checksum() {
        let v = generate();
        let mut bytes = v.clone().into_bytes();
        let i = PREFIX.len() + 5;
        bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
        assert!(!is_well_formed(std::str::from_utf8(&bytes).unwrap()));
        assert!(!is_well_formed(&v[..v.len() - 1]));
        assert!(!is_well_formed(&format!("xyz_{}", &v[4..])));
        assert!(!is_well_formed(""));
        assert!(!is_well_formed("atp_ééééééééééééééééééé"));
    }

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(hashes_equal(&hash("x"), &hash("x")));
        assert!(!hashes_equal(&hash("x"), &hash("y")));
    }
}
