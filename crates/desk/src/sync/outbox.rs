//! Watching the outbox folder: which send units are complete (their files stopped changing for
//! the quiet period) and not yet handled in their current form.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use tsunagu_standard::OfficeId;
use tsunagu_standard::StandardFileName;
use tsunagu_standard::check::unit_label;

/// A unit that is not sent, and why. Shown on the 送信済 screen until its files change.
#[derive(Debug, Clone)]
pub struct HeldUnit {
    /// `送信単位 …` or the file name of a file that is not a standard file.
    pub label: String,
    pub recipient: Option<OfficeId>,
    pub file_names: Vec<String>,
    pub reasons: Vec<String>,
    pub why: HeldWhy,
    /// 被保険者 in the unit's files (for the invitation of a partner not on Tsunagu).
    pub users: std::collections::BTreeSet<String>,
    pub since: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldWhy {
    /// The standard check found errors: the care software must export again.
    Check,
    /// The partner is not on Tsunagu: send by fax, invite it.
    NotOnHub,
    /// The partner's key changed: confirm the fingerprint on 取引先.
    KeyChanged,
    /// Anything else (e.g. a changed unit under a ファイル連番 already sent).
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    len: u64,
    modified: Option<SystemTime>,
}

/// A group of outbox files forming one send unit (or one stray file).
#[derive(Debug, Clone)]
pub struct Group {
    pub label: String,
    pub files: Vec<(String, PathBuf)>,
}

#[derive(Debug, Clone)]
struct Handled {
    signature: Vec<(String, Seen)>,
    retry_at: Option<Instant>,
}

/// What the watcher remembers between scans.
#[derive(Debug, Default)]
pub struct Watch {
    files: HashMap<String, (Seen, Instant)>,
    handled: HashMap<String, Handled>,
}

fn group_label(name: &str) -> String {
    match StandardFileName::parse(name) {
        Ok(n) => unit_label(&n.unit_key()),
        Err(_) => name.to_string(),
    }
}

fn ignored(name: &str) -> bool {
    // Hidden files and the care software's temporary files are not (yet) part of a unit.
    let lower = name.to_ascii_lowercase();
    name.starts_with('.')
        || lower.ends_with(".tmp")
        || lower.ends_with(".part")
        || name.starts_with('~')
}

impl Watch {
    /// Lists the folder and returns the groups that are complete and need handling now.
    /// Labels of groups present in the folder are returned too (to drop held units whose files
    /// are gone).
    pub fn scan(
        &mut self,
        dir: &Path,
        quiet: Duration,
    ) -> std::io::Result<(Vec<Group>, Vec<String>)> {
        let now = Instant::now();
        let mut present: HashMap<String, Seen> = HashMap::new();
        let mut paths: HashMap<String, PathBuf> = HashMap::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let meta = match entry.metadata() {
                Ok(m) if m.is_file() => m,
                _ => continue,
            };
            let name = entry.file_name().to_string_lossy().into_owned();
            if ignored(&name) {
                continue;
            }
            present.insert(
                name.clone(),
                Seen {
                    len: meta.len(),
                    modified: meta.modified().ok(),
                },
            );
            paths.insert(name, entry.path());
        }
        self.files.retain(|n, _| present.contains_key(n));
        for (name, seen) in &present {
            match self.files.get(name) {
                Some((old, _)) if old == seen => {}
                _ => {
                    self.files.insert(name.clone(), (*seen, now));
                }
            }
        }
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for name in present.keys() {
            groups
                .entry(group_label(name))
                .or_default()
                .push(name.clone());
        }
        self.handled.retain(|label, _| groups.contains_key(label));
        let labels: Vec<String> = groups.keys().cloned().collect();
        let mut ready = Vec::new();
        for (label, mut names) in groups {
            names.sort();
            let stable = names.iter().all(|n| {
                self.files
                    .get(n)
                    .is_some_and(|(_, since)| now.duration_since(*since) >= quiet)
            });
            if !stable {
                continue;
            }
            let signature: Vec<(String, Seen)> =
                names.iter().map(|n| (n.clone(), present[n])).collect();
            if let Some(h) = self.handled.get(&label)
                && h.signature == signature
                && h.retry_at.is_none_or(|t| now < t)
            {
                continue;
            }
            ready.push(Group {
                label,
                files: names
                    .into_iter()
                    .filter_map(|n| paths.get(&n).map(|p| (n.clone(), p.clone())))
                    .collect(),
            });
        }
        Ok((ready, labels))
    }

    /// The group was handled in its current form: not again until a file changes (or, with
    /// `retry_after`, until then).
    pub fn handled(&mut self, group: &Group, retry_after: Option<Duration>) {
        let signature = group
            .files
            .iter()
            .filter_map(|(n, _)| self.files.get(n).map(|(s, _)| (n.clone(), *s)))
            .collect();
        self.handled.insert(
            group.label.clone(),
            Handled {
                signature,
                retry_at: retry_after.map(|d| Instant::now() + d),
            },
        );
    }

    /// Forget what was handled (a person asked to retry, or a key was confirmed).
    pub fn retry(&mut self, label: Option<&str>) {
        match label {
            Some(l) => {
                self.handled.remove(l);
            }
            None => self.handled.clear(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "UPPLAN_202504_3100000001_43_3100000101_11_20250325090000.CSV";
    const B: &str = "UPSIKYU_202504_3100000001_43_3100000101_11_20250325090000.CSV";

    #[test]
    fn groups_wait_for_quiet_and_are_handled_once_until_changed() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join(A), b"a").unwrap();
        std::fs::write(t.path().join(B), b"b").unwrap();
        std::fs::write(t.path().join("note.txt"), b"x").unwrap();
        std::fs::write(t.path().join("partial.tmp"), b"x").unwrap();
        let mut w = Watch::default();
        let quiet = Duration::from_millis(200);
        let (ready, labels) = w.scan(t.path(), quiet).unwrap();
        assert!(ready.is_empty(), "just seen: not quiet yet");
        assert_eq!(labels.len(), 2);
        std::thread::sleep(quiet);
        let (ready, _) = w.scan(t.path(), quiet).unwrap();
        assert_eq!(ready.len(), 2);
        let unit = ready
            .iter()
            .find(|g| g.label.starts_with("送信単位"))
            .unwrap();
        assert_eq!(unit.files.len(), 2);
        for g in &ready {
            w.handled(g, None);
        }
        let (ready, _) = w.scan(t.path(), quiet).unwrap();
        assert!(ready.is_empty(), "handled and unchanged");
        // A changed file makes its unit new again, after the quiet period.
        std::fs::write(t.path().join(A), b"aa").unwrap();
        assert!(w.scan(t.path(), quiet).unwrap().0.is_empty());
        std::thread::sleep(quiet);
        let (ready, _) = w.scan(t.path(), quiet).unwrap();
        assert_eq!(ready.len(), 1);
        assert!(ready[0].label.starts_with("送信単位"));
        // A retry request brings back a handled group.
        w.handled(&ready[0], None);
        w.retry(None);
        assert_eq!(w.scan(t.path(), quiet).unwrap().0.len(), 2);
    }
}
