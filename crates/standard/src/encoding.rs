//! CP932 (Windows-31J / MS932) in and out.
//!
//! encoding_rs' `SHIFT_JIS` is the WHATWG Shift_JIS, which is the Windows-31J mapping: NEC and IBM
//! extensions (①, ㈱, 髙, 﨑) decode and encode. Its encoder writes `&#NNNN;` for characters it
//! cannot map, so every encode here is checked, and normalises the usual JIS/Unicode pairs first.

use encoding_rs::{DecoderResult, SHIFT_JIS};
use serde::{Deserialize, Serialize};

/// How a file's bytes were decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceEncoding {
    Cp932,
    /// Some vendors write UTF-8; read with a warning.
    Utf8,
    Utf8Bom,
}

/// A byte sequence that is not CP932.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedByte {
    /// Byte offset in the file, from 0.
    pub offset: usize,
    /// Physical line (1-based) the byte sits on.
    pub line: u64,
}

/// Decodes a file: a UTF-8 BOM or a valid non-ASCII UTF-8 text is taken as UTF-8 (warned about by
/// the caller); anything else must be strict CP932.
pub fn decode(bytes: &[u8]) -> Result<(String, SourceEncoding), MalformedByte> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF")
        && let Ok(s) = std::str::from_utf8(rest)
    {
        return Ok((s.to_string(), SourceEncoding::Utf8Bom));
    }
    // Japanese in UTF-8 is made of 3-byte sequences (U+0800 and up); a CP932 text is practically
    // never valid UTF-8 with such a sequence. Half-width kana pairs, though, can form valid 2-byte
    // UTF-8 (ﾊｱ = CA B1 = U+02B1), so a text whose only non-ASCII is 2-byte UTF-8 is CP932 when it
    // decodes as CP932.
    if !bytes.is_ascii()
        && let Ok(s) = std::str::from_utf8(bytes)
    {
        if s.chars().any(|c| u32::from(c) >= 0x800) {
            return Ok((s.to_string(), SourceEncoding::Utf8));
        }
        return match decode_cp932(bytes) {
            Ok(t) => Ok((t, SourceEncoding::Cp932)),
            Err(_) => Ok((s.to_string(), SourceEncoding::Utf8)),
        };
    }
    decode_cp932(bytes).map(|s| (s, SourceEncoding::Cp932))
}

/// Strict CP932 decoding that names the first malformed byte.
pub fn decode_cp932(bytes: &[u8]) -> Result<String, MalformedByte> {
    let mut decoder = SHIFT_JIS.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(bytes.len() * 3 / 2 + 16);
    let mut read_total = 0usize;
    loop {
        let (result, read) =
            decoder.decode_to_string_without_replacement(&bytes[read_total..], &mut out, true);
        read_total += read;
        match result {
            DecoderResult::InputEmpty => break,
            DecoderResult::OutputFull => {
                out.reserve(bytes.len() - read_total + 16);
            }
            DecoderResult::Malformed(bad, extra) => {
                // The malformed sequence ends `extra` bytes before the read position.
                let end = read_total.saturating_sub(usize::from(extra));
                let offset = end.saturating_sub(usize::from(bad));
                let line = 1 + bytes[..offset].iter().filter(|b| **b == b'\n').count() as u64;
                return Err(MalformedByte { offset, line });
            }
        }
    }
    // WHATWG Shift_JIS maps the user-defined area (F040–F9FC, 外字) to the Private Use Area; the
    // standard forbids 外字, which the checker reports per field. Decoding itself succeeds.
    Ok(out)
}

/// Substitutes for characters that have no CP932 code but a standard CP932 look-alike.
pub fn substitute(c: char) -> Option<char> {
    Some(match c {
        '\u{301C}' => '\u{FF5E}', // 〜 WAVE DASH → ～
        '\u{2212}' => '\u{FF0D}', // − MINUS SIGN → －
        '\u{2016}' => '\u{2225}', // ‖ → ∥
        '\u{00A2}' => '\u{FFE0}', // ¢ → ￠
        '\u{00A3}' => '\u{FFE1}', // £ → ￡
        '\u{00AC}' => '\u{FFE2}', // ¬ → ￢
        '\u{2014}' => '\u{2015}', // — EM DASH → ―
        '\u{00A5}' => '\u{FFE5}', // ¥ → ￥ (0x5C would read back as a backslash)
        '\u{203E}' => '\u{FFE3}', // ‾ → ￣
        _ => return None,
    })
}

/// True for the Private Use Area, where decoded 外字 land.
pub fn is_user_defined(c: char) -> bool {
    ('\u{E000}'..='\u{F8FF}').contains(&c)
}

/// Applies [`substitute`] to every character; borrows when nothing changes.
pub fn normalise(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(|c| substitute(c).is_some()) {
        std::borrow::Cow::Owned(s.chars().map(|c| substitute(c).unwrap_or(c)).collect())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Encodes text that is already normalised. Returns the first character that does not survive
/// CP932 → and back (unmappable, 外字, or a character CP932 would silently change).
pub fn encode_cp932(s: &str) -> Result<Vec<u8>, char> {
    if let Some(c) = s.chars().find(|c| is_user_defined(*c)) {
        return Err(c);
    }
    let (bytes, _, unmappable) = SHIFT_JIS.encode(s);
    if !unmappable {
        let (back, _, bad) = SHIFT_JIS.decode(&bytes);
        if !bad && back == s {
            return Ok(bytes.into_owned());
        }
    }
    // Slow path only on failure: find the offending character.
    let mut buf = [0u8; 4];
    for c in s.chars() {
        let one = c.encode_utf8(&mut buf);
        let (b, _, unmappable) = SHIFT_JIS.encode(one);
        if unmappable || SHIFT_JIS.decode(&b).0 != *one {
            return Err(c);
        }
    }
    // Unreachable in practice: every character round-trips alone, so the whole does too.
    Err('\u{FFFD}')
}

/// True when every character of CP932 `bytes` is in the form [`encode_cp932`] writes.
///
/// Only characters under lead bytes 0x87 (NEC row 13), 0xED/0xEE (NEC-selected IBM extensions)
/// and 0xFA–0xFC (IBM extensions) can have a second code (髙 = 0xEEE0 and 0xFBFC; ≒ = 0x81E0 and
/// 0x8790); Shift_JIS is stateless and every other code is unique, so only those characters are
/// decoded and encoded again. Only lead bytes are looked at: trail bytes take the same values.
pub fn dual_codes_are_canonical(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        // Standard files are mostly ASCII (codes, dates, commas): skip runs of it at once.
        match bytes[i..].iter().position(|b| *b >= 0x80) {
            Some(p) => i += p,
            None => return true,
        }
        let b = bytes[i];
        if !matches!(b, 0x81..=0x9F | 0xE0..=0xFC) {
            i += 1;
            continue;
        }
        if matches!(b, 0x87 | 0xED | 0xEE | 0xFA..=0xFC) {
            let Some(pair) = bytes.get(i..i + 2) else {
                return false;
            };
            let (text, _, malformed) = SHIFT_JIS.decode(pair);
            let (again, _, unmappable) = SHIFT_JIS.encode(&text);
            if malformed || unmappable || again.as_ref() != pair {
                return false;
            }
        }
        i += 2;
    }
    true
}

/// Whether a character can be written to a standard file, after substitution.
pub fn is_cp932_writable(c: char) -> bool {
    let c = substitute(c).unwrap_or(c);
    let mut buf = [0u8; 4];
    encode_cp932(c.encode_utf8(&mut buf)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nec_and_ibm_extensions_round_trip() {
        for s in [
            "①",
            "Ⅰ",
            "㈱",
            "髙",
            "﨑",
            "ｱｲｳ",
            "～",
            "∥",
            "－",
            "￠",
            "￡",
            "￢",
            "―",
            "纊",
            "ⅰ",
        ] {
            let b = encode_cp932(s).unwrap_or_else(|c| panic!("{s}: {c}"));
            assert_eq!(decode_cp932(&b).unwrap(), s);
        }
        // 髙 has an NEC-selected (0xEEE0) and an IBM (0xFBFC) code; both read, the IBM one is
        // written, as Windows does.
        assert_eq!(encode_cp932("髙").unwrap(), vec![0xFB, 0xFC]);
        assert_eq!(decode_cp932(&[0xEE, 0xE0]).unwrap(), "髙");
    }

    #[test]
    fn substitutes_for_jis_unicode_pairs() {
        assert_eq!(
            normalise("10時〜12時 −5 ¥100 — ‖"),
            "10時～12時 －5 ￥100 ― ∥"
        );
        for c in ['〜', '−', '‖', '¢', '£', '¬', '—', '¥'] {
            assert!(
                encode_cp932(&c.to_string()).is_err(),
                "{c} must not be encoded raw"
            );
            assert!(is_cp932_writable(c));
        }
    }

    #[test]
    fn unmappable_characters_are_named() {
        assert_eq!(encode_cp932("吉田𠮷"), Err('𠮷'));
        assert_eq!(encode_cp932("ok😀"), Err('😀'));
        assert_eq!(encode_cp932("\u{E000}"), Err('\u{E000}'));
    }

    #[test]
    fn malformed_cp932_names_offset_and_line() {
        // 0x82 0xA0 is "あ"; 0x82 followed by a newline is a broken lead byte.
        let bytes = b"ab\r\ncd\x82\xA0\r\nef\x82\n";
        let err = decode_cp932(bytes).unwrap_err();
        assert_eq!(err.line, 3);
        assert_eq!(err.offset, 12);
        let err = decode_cp932(b"\xA0\xFD").unwrap_err();
        assert_eq!(err.line, 1);
        assert_eq!(err.offset, 0);
    }

    #[test]
    fn dual_codes_are_checked_where_a_character_has_two() {
        let canonical = encode_cp932("山田太郎ｱ,～髙﨑①Ⅰⅰ≒∵").unwrap();
        assert!(dual_codes_are_canonical(&canonical));
        assert!(!dual_codes_are_canonical(&[0xEE, 0xE0])); // 髙 in its NEC-selected code
        assert!(!dual_codes_are_canonical(&[0x87, 0x90])); // ≒ in NEC row 13 (canonical 0x81E0)
        assert!(dual_codes_are_canonical(&[0x88, 0xED, 0x41])); // 0xED as a trail byte
        assert!(!dual_codes_are_canonical(&[0xFB])); // truncated
    }

    #[test]
    fn utf8_is_detected() {
        assert_eq!(decode("あ".as_bytes()).unwrap().1, SourceEncoding::Utf8);
        assert_eq!(
            decode("\u{FEFF}abc".as_bytes()).unwrap().1,
            SourceEncoding::Utf8Bom
        );
        assert_eq!(decode(b"abc").unwrap().1, SourceEncoding::Cp932);
        let kana = encode_cp932("ﾊｱ,ﾀｶﾊｼ").unwrap();
        assert_eq!(
            decode(&kana).unwrap(),
            ("ﾊｱ,ﾀｶﾊｼ".to_string(), SourceEncoding::Cp932)
        );
        assert_eq!(decode("à".as_bytes()).unwrap().1, SourceEncoding::Utf8);
        assert_eq!(decode("é".as_bytes()).unwrap().1, SourceEncoding::Cp932); // ﾃｩ
        let sjis = encode_cp932("山田太郎").unwrap();
        assert_eq!(
            decode(&sjis).unwrap(),
            ("山田太郎".to_string(), SourceEncoding::Cp932)
        );
    }
}
