//! Address normalisation for matching offices to 町丁目: the same place written as
//! 「鳥取県米子市西町一丁目２番地３」, 「米子市 西町1丁目2-3」 and 「西町１－２－３」 ends up as
//! `西町1丁目2-3` (or `西町1-2-3`, whose 丁目 the matcher infers).

use unicode_normalization::UnicodeNormalization;

/// The 47 prefectures, to strip a leading one when the caller gives no hint.
pub const PREFECTURES: [&str; 47] = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
];

const KANJI_DIGITS: [char; 10] = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

fn is_kanji_numeral(c: char) -> bool {
    KANJI_DIGITS.contains(&c) || matches!(c, '十' | '百' | '千' | '零')
}

fn is_dash(c: char) -> bool {
    matches!(
        c,
        '-' | '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' | '﹣' | '⁃' | '─' | '━'
    )
}

/// 「二十三」→ 23, 「一〇」→ 10, 「百二」→ 102. None for an empty or odd string.
pub fn kanji_number(s: &str) -> Option<u32> {
    if s.is_empty() || !s.chars().all(is_kanji_numeral) {
        return None;
    }
    let digit = |c: char| {
        if c == '零' {
            Some(0)
        } else {
            KANJI_DIGITS.iter().position(|&d| d == c).map(|d| d as u32)
        }
    };
    if !s.contains(['十', '百', '千']) {
        // Digit by digit: 「一〇」 = 10.
        return s
            .chars()
            .try_fold(0u32, |acc, c| acc.checked_mul(10)?.checked_add(digit(c)?));
    }
    let (mut total, mut current) = (0u32, 0u32);
    for c in s.chars() {
        let unit = match c {
            '十' => 10,
            '百' => 100,
            '千' => 1000,
            c => {
                current = digit(c)?;
                continue;
            }
        };
        total += if current == 0 { 1 } else { current } * unit;
        current = 0;
    }
    Some(total + current)
}

/// Canonical form of an address: NFKC (全角英数字 → 半角, 半角カナ → 全角), no spaces, one kind of
/// dash, kanji numerals before 丁目/番/号 as digits, 「N丁目」 kept, 「N番地M」「N番M号」「NのM」
/// as `N-M`, 大字 dropped, a leading 字 dropped.
pub fn normalize(s: &str) -> String {
    // Each step can expose work for an earlier one (「字字」, 「1号ー2」); a few passes reach a
    // fixed point, so normalising twice changes nothing.
    let mut cur = normalize_once(s);
    for _ in 0..4 {
        let next = normalize_once(&cur);
        if next == cur {
            break;
        }
        cur = next;
    }
    cur
}

fn normalize_once(s: &str) -> String {
    let nfkc: Vec<char> = s.nfkc().filter(|c| !c.is_whitespace()).collect();

    // Dashes, and the long-vowel mark or の between digits.
    let mut chars: Vec<char> = Vec::with_capacity(nfkc.len());
    for (i, &c) in nfkc.iter().enumerate() {
        let prev_digit = chars.last().is_some_and(|p: &char| p.is_ascii_digit());
        let next_digit = nfkc
            .get(i + 1)
            .is_some_and(|n| n.is_ascii_digit() || is_kanji_numeral(*n));
        let c = if is_dash(c) || (matches!(c, 'ー' | 'ｰ' | 'の' | 'ノ') && prev_digit && next_digit)
        {
            '-'
        } else {
            c
        };
        chars.push(c);
    }

    // Kanji numerals directly before 丁目, 番 (not 番町, a town-name ending) or 号.
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if is_kanji_numeral(chars[i]) {
            let start = i;
            while i < chars.len() && is_kanji_numeral(chars[i]) {
                i += 1;
            }
            let run: String = chars[start..i].iter().collect();
            let next: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let numeric_suffix = next.starts_with("丁目")
                || next.starts_with('号')
                || (next.starts_with('番') && next != "番町");
            match kanji_number(&run) {
                Some(n) if numeric_suffix => out.push_str(&n.to_string()),
                _ => out.push_str(&run),
            }
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }

    let mut out = out.replace("大字", "");
    if let Some(rest) = out.strip_prefix('字') {
        out = rest.to_string();
    }
    // 「2番地3」「2番3号」「2番」→ 2-3 / 2; 「丁目-」→ 丁目.
    let chars: Vec<char> = out.chars().collect();
    let mut result = String::with_capacity(out.len());
    let mut i = 0;
    while i < chars.len() {
        let prev_digit = result.chars().last().is_some_and(|c| c.is_ascii_digit());
        let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
        if prev_digit && rest == "番地" {
            i += 2;
            if chars.get(i).is_some_and(char::is_ascii_digit) {
                result.push('-');
            }
            continue;
        }
        if prev_digit && chars[i] == '番' && chars.get(i + 1) != Some(&'町') {
            i += 1;
            if chars.get(i).is_some_and(char::is_ascii_digit) {
                result.push('-');
            }
            continue;
        }
        if prev_digit && chars[i] == '号' {
            i += 1;
            continue;
        }
        if result.ends_with("丁目") && chars[i] == '-' {
            i += 1;
            continue;
        }
        result.push(chars[i]);
        i += 1;
    }
    // Dropping 番/号 can bring a long-vowel mark or の between digits («1号ー2»).
    let chars: Vec<char> = result.chars().collect();
    (0..chars.len())
        .map(|i| {
            let between = i > 0
                && chars[i - 1].is_ascii_digit()
                && chars.get(i + 1).is_some_and(char::is_ascii_digit);
            if between && matches!(chars[i], 'ー' | 'の' | 'ノ') {
                '-'
            } else {
                chars[i]
            }
        })
        .collect()
}

/// Removes a leading prefecture and municipality from a normalised address. `cities` are the
/// municipality names to strip literally (e.g. 「米子市」, 「西伯郡伯耆町」); without a match, a
/// generic 〜郡〜町/村 or 〜市(〜区) prefix is cut only after a prefecture name.
pub fn strip_municipality<'a>(
    normalized: &'a str,
    prefecture: Option<&str>,
    cities: &[&str],
) -> &'a str {
    let mut s = normalized;
    let mut had_prefecture = false;
    if let Some(p) = prefecture.map(normalize).filter(|p| !p.is_empty())
        && let Some(rest) = s.strip_prefix(p.as_str())
    {
        s = rest;
        had_prefecture = true;
    }
    if !had_prefecture {
        for p in PREFECTURES {
            if let Some(rest) = s.strip_prefix(p) {
                s = rest;
                had_prefecture = true;
                break;
            }
        }
    }
    for city in cities {
        let c = normalize(city);
        if !c.is_empty()
            && let Some(rest) = s.strip_prefix(c.as_str())
        {
            return rest;
        }
    }
    if !had_prefecture {
        return s;
    }
    let head: Vec<(usize, char)> = s.char_indices().take(8).collect();
    if let Some(&(g, _)) = head.iter().find(|(_, c)| *c == '郡') {
        let after = &s[g + '郡'.len_utf8()..];
        if let Some((t, c)) = after
            .char_indices()
            .take(6)
            .find(|(_, c)| matches!(c, '町' | '村'))
        {
            return &after[t + c.len_utf8()..];
        }
    }
    if let Some(&(m, _)) = head.iter().find(|(_, c)| *c == '市') {
        let after = &s[m + '市'.len_utf8()..];
        if let Some((k, _)) = after.char_indices().take(5).find(|(_, c)| *c == '区') {
            return &after[k + '区'.len_utf8()..];
        }
        return after;
    }
    if let Some(&(k, c)) = head.iter().find(|(_, c)| matches!(c, '区' | '町' | '村')) {
        return &s[k + c.len_utf8()..];
    }
    s
}

/// The part of an address that names the place inside the municipality, normalised.
pub fn town_part(address: &str, prefecture: Option<&str>, cities: &[&str]) -> String {
    let n = normalize(address);
    strip_municipality(&n, prefecture, cities).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kanji_numbers() {
        for (s, n) in [
            ("一", 1),
            ("十", 10),
            ("十二", 12),
            ("二十三", 23),
            ("百二", 102),
            ("一〇", 10),
            ("三千", 3000),
        ] {
            assert_eq!(kanji_number(s), Some(n), "{s}");
        }
        assert_eq!(kanji_number(""), None);
        assert_eq!(kanji_number("一a"), None);
    }

    /// The normalisation table: every form on the left becomes the right.
    #[test]
    fn normalisation_table() {
        let table = [
            ("西町1丁目2-3", "西町1丁目2-3"),
            ("西町１丁目２－３", "西町1丁目2-3"),
            ("西町一丁目2番地3", "西町1丁目2-3"),
            ("西町 一丁目 ２番３号", "西町1丁目2-3"),
            ("西町十二丁目5", "西町12丁目5"),
            ("西町１－２－３", "西町1-2-3"),
            ("西町1ー2ー3", "西町1-2-3"),
            ("西町1の2", "西町1-2"),
            ("西町1丁目-2", "西町1丁目2"),
            ("大字安倍123番地", "安倍123"),
            ("字上ノ段5", "上ノ段5"),
            ("ＡＢＣビル２Ｆ", "ABCビル2F"),
            ("ｶﾅﾏﾁ3", "カナマチ3"),
            ("三番町5番", "三番町5"),
            ("四日市町2", "四日市町2"),
        ];
        for (input, want) in table {
            assert_eq!(normalize(input), want, "{input}");
        }
    }

    #[test]
    fn strips_prefecture_and_city() {
        let t = |a: &str, p: Option<&str>, c: &[&str]| town_part(a, p, c);
        assert_eq!(
            t("鳥取県米子市西町1丁目", Some("鳥取県"), &["米子市"]),
            "西町1丁目"
        );
        assert_eq!(t("米子市西町1丁目", None, &["米子市"]), "西町1丁目");
        assert_eq!(t("西町1丁目", None, &["米子市"]), "西町1丁目");
        // Generic cut only after a prefecture.
        assert_eq!(t("鳥取県米子市西町1丁目", None, &[]), "西町1丁目");
        assert_eq!(t("鳥取県西伯郡伯耆町大殿1", None, &[]), "大殿1");
        assert_eq!(t("広島県広島市中区基町1", None, &[]), "基町1");
        assert_eq!(t("十日市町1丁目", None, &[]), "十日市町1丁目");
    }
}
