//! The URL encoding of account values in the web-call documents (`name="John%20Doe"`).
use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// Encodes a value the way the protocol's examples are written: every byte of its UTF-8 form that is
/// not an ASCII letter or digit becomes `%XX` (`johnd@xyz.net` → `johnd%40xyz%2Enet`).
pub fn url_encode(value: &str) -> String {
    utf8_percent_encode(value, NON_ALPHANUMERIC).to_string()
}

/// Decodes a value of an answer: `%XX` sequences become their bytes; anything else — including a `%`
/// not followed by two hex digits and `+` — is kept as it is. `+` stays a plus because receivers send
/// unencoded phone numbers (`+1 555 0100`) far more often than form-encoded spaces, and the protocol's
/// examples encode spaces as `%20`. Decoded bytes that are not UTF-8 (a receiver encoding Latin-1
/// text) are read as Latin-1 rather than refused.
pub fn url_decode(value: &str) -> String {
    if !value.contains('%') {
        return value.to_owned();
    }
    let bytes: Vec<u8> = percent_decode_str(value).collect();
    let mut decoded = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        decoded.push_str(chunk.valid());
        decoded.extend(chunk.invalid().iter().map(|b| char::from(*b)));
    }
    decoded
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn values_are_encoded_like_the_protocols_examples() {
        assert_eq!(url_encode("John Doe"), "John%20Doe");
        assert_eq!(url_encode("johnd@xyz.net"), "johnd%40xyz%2Enet");
        assert_eq!(url_encode("(555) 555-5555"), "%28555%29%20555%2D5555");
        assert_eq!(url_encode("123 Fake St."), "123%20Fake%20St%2E");
        assert_eq!(url_encode("Anything"), "Anything");
        assert_eq!(url_encode("Zoë"), "Zo%C3%AB");
    }

    #[test]
    fn answers_are_decoded_leniently() {
        assert_eq!(url_decode("John%20Doe"), "John Doe");
        assert_eq!(url_decode("johnd%40xyz%2enet"), "johnd@xyz.net");
        assert_eq!(url_decode("+1%20555"), "+1 555");
        assert_eq!(url_decode("100%"), "100%");
        assert_eq!(url_decode("%zz%4"), "%zz%4");
        assert_eq!(url_decode("Zo%C3%AB"), "Zoë");
        assert_eq!(url_decode("Zo%EB"), "Zoë", "Latin-1 bytes");
        assert_eq!(url_decode("Zoë %E2%80%9Dquoted%E2%80%9D"), "Zoë ”quoted”");
    }

    proptest! {
        #[test]
        fn decoding_what_was_encoded_gives_the_value_back(value in any::<String>()) {
            let encoded = url_encode(&value);
            prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'%'));
            prop_assert_eq!(url_decode(&encoded), value);
        }
    }
}
