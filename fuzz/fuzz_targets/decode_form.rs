//! Form decoding (`decode_form`): one pair per non-empty piece, and
//! decode → encode → decode gives the same pairs.
#![no_main]

use jira_oauth::signature::{decode_form, form_encode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let params = decode_form(data);
    let pieces = data.split(|&b| b == b'&').filter(|p| !p.is_empty()).count();
    assert_eq!(params.len(), pieces);

    let encoded = form_encode(&params);
    assert_eq!(decode_form(encoded.as_bytes()), params, "{encoded:?}");
    // Encoded text is a fixed point.
    assert_eq!(form_encode(&decode_form(encoded.as_bytes())), encoded);
});
