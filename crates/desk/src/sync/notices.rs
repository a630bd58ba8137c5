//! Notices for the page: new arrivals, sent units, receipts, held units and failures. Kept in
//! memory (the last few dozen); the durable record is the store and the evidence report.

use std::collections::VecDeque;

const KEEP: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

impl Level {
    pub fn css(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Notice {
    pub id: u64,
    pub at: i64,
    pub level: Level,
    pub text: String,
    /// A page of the UI about it.
    pub link: Option<String>,
}

#[derive(Debug, Default)]
pub struct Notices {
    next: u64,
    items: VecDeque<Notice>,
}

impl Notices {
    pub fn push(&mut self, level: Level, text: impl Into<String>, link: Option<String>) {
        self.next += 1;
        self.items.push_front(Notice {
            id: self.next,
            at: crate::now_unix(),
            level,
            text: text.into(),
            link,
        });
        self.items.truncate(KEEP);
    }

    /// Newest first.
    pub fn latest(&self, n: usize) -> Vec<Notice> {
        self.items.iter().take(n).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_first_and_bounded() {
        let mut n = Notices::default();
        for i in 0..60 {
            n.push(Level::Info, format!("{i}"), None);
        }
        let l = n.latest(3);
        assert_eq!(l[0].text, "59");
        assert_eq!(l[2].text, "57");
        assert_eq!(n.latest(100).len(), KEEP);
    }
}
