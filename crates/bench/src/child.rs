//! Child processes (hub, axum baseline, nginx): start, learn the address, read memory, stop.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// A running child process, killed when dropped.
pub struct ChildProc {
    child: Child,
    pub name: String,
}

impl ChildProc {
    /// Starts `cmd` with stderr into `log` and waits (up to `timeout`) for a stdout line from
    /// which `find_url` extracts the base URL.
    pub fn spawn_reading_url(
        name: &str,
        mut cmd: Command,
        log: &Path,
        timeout: Duration,
        find_url: fn(&str) -> Option<String>,
    ) -> anyhow::Result<(ChildProc, String)> {
        let err =
            std::fs::File::create(log).with_context(|| format!("create {}", log.display()))?;
        cmd.stdout(Stdio::piped()).stderr(err).stdin(Stdio::null());
        let mut child = cmd.spawn().with_context(|| format!("start {name}"))?;
        let stdout = child.stdout.take().context("child stdout is piped")?;
        let (tx, rx) = mpsc::channel::<String>();
        // Reads every line for the child's whole life, so it never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            while matches!(reader.read_line(&mut line), Ok(n) if n > 0) {
                let _ = tx.send(std::mem::take(&mut line));
            }
        });
        let proc = ChildProc {
            child,
            name: name.to_string(),
        };
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(url) = find_url(line.trim()) {
                        return Ok((proc, url));
                    }
                }
                Err(_) => bail!(
                    "{name} did not print its address within {timeout:?}; see {}",
                    log.display()
                ),
            }
        }
    }

    /// Starts `cmd` (stdout and stderr into `log`) and waits until `port` accepts connections.
    pub fn spawn_waiting_port(
        name: &str,
        mut cmd: Command,
        log: &Path,
        port: u16,
        timeout: Duration,
    ) -> anyhow::Result<ChildProc> {
        let out =
            std::fs::File::create(log).with_context(|| format!("create {}", log.display()))?;
        let err = out.try_clone()?;
        cmd.stdout(out).stderr(err).stdin(Stdio::null());
        let child = cmd.spawn().with_context(|| format!("start {name}"))?;
        let mut proc = ChildProc {
            child,
            name: name.to_string(),
        };
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(proc);
            }
            if let Ok(Some(status)) = proc.child.try_wait() {
                bail!("{name} exited ({status}); see {}", log.display());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!("{name} did not listen on port {port} within {timeout:?}")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Memory of the process and its direct children (nginx workers), from /proc.
    pub fn memory(&self) -> Memory {
        let mut total = Memory::default();
        let pid = self.pid();
        let mut pids = vec![pid];
        if let Ok(children) = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")) {
            pids.extend(
                children
                    .split_whitespace()
                    .filter_map(|p| p.parse::<u32>().ok()),
            );
        }
        for p in pids {
            let m = Memory::of(p);
            total.rss_kb += m.rss_kb;
            total.hwm_kb += m.hwm_kb;
        }
        total
    }

    /// SIGKILL at once (`kill -9`): no shutdown code of the child runs.
    pub fn kill_hard(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then SIGKILL after 5 s.
    pub fn stop(mut self) {
        let pid = self.pid().to_string();
        let _ = Command::new("kill")
            .args(["-TERM", &pid])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("notice: {} did not stop on SIGTERM; killing it", self.name);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ChildProc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Resident memory (VmRSS) and its peak (VmHWM), in KiB.
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    pub rss_kb: u64,
    pub hwm_kb: u64,
}

impl Memory {
    pub fn of(pid: u32) -> Memory {
        let mut m = Memory::default();
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            for line in status.lines() {
                let value = |l: &str| {
                    l.split_whitespace()
                        .nth(1)
                        .and_then(|v| v.parse::<u64>().ok())
                        .unwrap_or(0)
                };
                if line.starts_with("VmRSS:") {
                    m.rss_kb = value(line);
                } else if line.starts_with("VmHWM:") {
                    m.hwm_kb = value(line);
                }
            }
        }
        m
    }

    pub fn hwm_mb(&self) -> f64 {
        self.hwm_kb as f64 / 1024.0
    }

    pub fn rss_mb(&self) -> f64 {
        self.rss_kb as f64 / 1024.0
    }
}

/// A loopback port that was free a moment ago (for programs that cannot report port 0).
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// The machine's 1-minute load average, as /proc/loadavg says.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| {
            let parts: Vec<&str> = s.split_whitespace().take(3).collect();
            (parts.len() == 3).then(|| parts.join(" "))
        })
        .unwrap_or_else(|| "unknown".to_string())
}
