//! Query-string encoding and decoding, against the behaviour of `encodeURIComponent` and of
//! `form_urlencoded::parse` (the server's former parser).

use token_wire::query::{decode_component, decode_pairs, encode_component};

fn encoded(value: &str) -> String {
    let mut out = String::new();
    encode_component(value, &mut out);
    out
}

#[test]
fn encoding_keeps_what_encode_uri_component_keeps() {
    assert_eq!(encoded("AZaz09-_.!~*'()"), "AZaz09-_.!~*'()");
    assert_eq!(
        encoded("a b&c=d/e?f#g+h%i"),
        "a%20b%26c%3Dd%2Fe%3Ff%23g%2Bh%25i"
    );
    assert_eq!(encoded("é☃"), "%C3%A9%E2%98%83");
    assert_eq!(encoded("\0\n"), "%00%0A");
}

#[test]
fn decoding_follows_form_urlencoded() {
    let cases = [
        ("a+b", "a b"),
        ("a%2Bb", "a+b"),
        ("%41%6a", "Aj"),
        ("%", "%"),
        ("%4", "%4"),
        ("%zz", "%zz"),
        ("%%41", "%A"),
        ("100%", "100%"),
        ("%C3%A9", "é"),
        ("%FF", "\u{FFFD}"),
        ("%C3", "\u{FFFD}"),
        ("☃", "☃"),
    ];
    for (raw, want) in cases {
        assert_eq!(decode_component(raw), want, "{raw}");
    }
}

#[test]
fn pairs_split_on_ampersands_and_the_first_equals_sign() {
    let pairs: Vec<(String, String)> = decode_pairs("a=1&&b&c=x=y&=z&;d=2&").collect();
    let want = [("a", "1"), ("b", ""), ("c", "x=y"), ("", "z"), (";d", "2")];
    assert_eq!(pairs, want.map(|(n, v)| (n.to_string(), v.to_string())));
    assert_eq!(decode_pairs("").count(), 0);
}

#[test]
fn what_is_encoded_decodes_back() {
    for value in ["", "plain", "a b+c", "50% ☃ é\u{1F600}", "&=?#/\\"] {
        assert_eq!(decode_component(&encoded(value)), value);
    }
}
