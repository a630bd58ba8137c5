//! A CPU quota for one child process, through a cgroup of its own (`--hub-cpus`).
//!
//! On one 2-core machine a second hub process cannot be faster than the first: one hub already
//! uses every core, so the second only adds contention. With each hub held to a fixed share of a
//! core, the run shows instead what adding hub *machines* does: whether throughput grows with
//! hubs or stops at something they share (the database, the audit chain's lock). Needs root and
//! the cgroup `cpu` controller (v1 `/sys/fs/cgroup/cpu`, or v2 with `cpu` enabled).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

const PERIOD_US: u64 = 100_000;

/// A cgroup with a CPU quota; removed when dropped (once its processes have ended).
pub struct CpuLimit {
    dir: PathBuf,
}

impl CpuLimit {
    /// Creates cgroup `name` limited to `cpus` cores (e.g. 0.5).
    pub fn create(name: &str, cpus: f64) -> anyhow::Result<Self> {
        if !(cpus > 0.0 && cpus.is_finite()) {
            bail!("--hub-cpus must be a positive number of cores");
        }
        let quota_us = ((cpus * PERIOD_US as f64).round() as u64).max(1_000);
        let v1 = Path::new("/sys/fs/cgroup/cpu");
        let v2 = Path::new("/sys/fs/cgroup");
        if v1.join("cpu.cfs_quota_us").exists() {
            let dir = v1.join(name);
            make_dir(&dir)?;
            let limit = Self { dir };
            limit.write("cpu.cfs_period_us", &PERIOD_US.to_string())?;
            limit.write("cpu.cfs_quota_us", &quota_us.to_string())?;
            Ok(limit)
        } else if v2.join("cgroup.controllers").exists() {
            let controllers = std::fs::read_to_string(v2.join("cgroup.controllers"))?;
            if !controllers.split_whitespace().any(|c| c == "cpu") {
                bail!("the cgroup v2 cpu controller is not available here (cgroup.controllers)");
            }
            // Children only get the controller when the parent hands it down.
            let _ = std::fs::write(v2.join("cgroup.subtree_control"), "+cpu");
            let dir = v2.join(name);
            make_dir(&dir)?;
            let limit = Self { dir };
            limit.write("cpu.max", &format!("{quota_us} {PERIOD_US}"))?;
            Ok(limit)
        } else {
            bail!("no cgroup cpu controller found under /sys/fs/cgroup; --hub-cpus needs one");
        }
    }

    /// Moves process `pid` (all its threads) into the cgroup.
    pub fn add(&self, pid: u32) -> anyhow::Result<()> {
        self.write("cgroup.procs", &pid.to_string())
    }

    fn write(&self, file: &str, value: &str) -> anyhow::Result<()> {
        let path = self.dir.join(file);
        std::fs::write(&path, value)
            .with_context(|| format!("writing {value} to {}", path.display()))
    }
}

fn make_dir(dir: &Path) -> anyhow::Result<()> {
    match std::fs::create_dir(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e)
            .with_context(|| format!("creating cgroup {} (--hub-cpus needs root)", dir.display())),
    }
}

impl Drop for CpuLimit {
    fn drop(&mut self) {
        // rmdir of a cgroup works once it has no processes; the hub has been stopped by now.
        let _ = std::fs::remove_dir(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A child moved into the cgroup is listed there, and the quota is the one asked for.
    #[test]
    fn a_child_gets_the_quota() {
        let name = format!("tsunagu-bench-test-{}", std::process::id());
        let limit = match CpuLimit::create(&name, 0.25) {
            Ok(l) => l,
            Err(e) => {
                println!("notice: no cgroup cpu controller to write to ({e:#}); skipping");
                return;
            }
        };
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        limit.add(child.id()).unwrap();
        let procs = std::fs::read_to_string(limit.dir.join("cgroup.procs")).unwrap();
        assert!(
            procs.lines().any(|l| l.trim() == child.id().to_string()),
            "{procs}"
        );
        let quota = std::fs::read_to_string(limit.dir.join("cpu.cfs_quota_us"))
            .or_else(|_| std::fs::read_to_string(limit.dir.join("cpu.max")))
            .unwrap();
        assert!(quota.starts_with("25000"), "{quota}");
        child.kill().unwrap();
        child.wait().unwrap();
        let dir = limit.dir.clone();
        drop(limit);
        assert!(!dir.exists(), "the empty cgroup is removed");
        assert!(CpuLimit::create(&name, 0.0).is_err());
    }
}
