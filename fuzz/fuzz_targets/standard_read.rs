//! Any bytes, under the name of any kind of standard file: reading and checking never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tsunagu_standard::FileKind;
use tsunagu_standard::check::check_all;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else { return };
    let kind = FileKind::ALL[usize::from(selector) % FileKind::ALL.len()];
    let month = if kind.has_month() { "_202504" } else { "" };
    let (sk, rk) = if selector & 0x80 == 0 { ("_43", "_11") } else { ("", "") };
    let ext = if kind.is_image() { "_0001.jpg" } else { ".CSV" };
    let name = format!("{}{month}_3100000001{sk}_3100000101{rk}_20250401090000{ext}", kind.prefix());
    // Two files of one unit exercise the send-unit checks too.
    let half = body.len() / 2;
    let other = format!("UPHOSOKU{month}_3100000001{sk}_3100000101{rk}_20250401090000.CSV");
    let _ = check_all(&[(name.as_str(), &body[..half]), (other.as_str(), &body[half..])]);
});
