#!/usr/bin/env python3
"""Connection flood against a real hub (issue 6, item 4; docs/reliability.md "Connection limits").

Starts `tsunagu hub` on a temporary SQLite database on 127.0.0.1 (port chosen by the hub), then:
  1. baseline: an honest client asks GET /healthz every 100 ms, alone;
  2. flood: N idle connections (reopened by the attacker as soon as the hub closes them), plus
     optional slowloris clients (a header line every 5 s), trickling uploads (1 byte/s) and
     huge headers (64 KiB), for --seconds; the honest client keeps asking meanwhile;
  3. after: the attackers stop; the hub's descriptors, threads and memory are read again.
Prints honest-client latency (fresh connection per request, and one kept-alive connection), the
hub's open descriptors, threads, VmRSS and VmHWM (from /proc), and the hub's limit warnings.

Loopback only; standard library only (Python 3.11).
"""

import argparse
import asyncio
import multiprocessing
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def hub_numbers(pid):
    st = proc_status(pid)
    return {
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
        "threads": int(st["Threads"]),
        "rss_mb": int(st["VmRSS"].split()[0]) / 1024,
        "hwm_mb": int(st["VmHWM"].split()[0]) / 1024,
    }


def listen_counters():
    """The kernel's listen-queue counters (whole machine): overflows of the accept queue, and SYN
    cookies that failed to validate (such a client is reset)."""
    with open("/proc/net/netstat") as f:
        rows = [line.split() for line in f if line.startswith("TcpExt:")]
    d = dict(zip(rows[0][1:], (int(x) for x in rows[1][1:])))
    return {k: d.get(k, 0) for k in ("ListenOverflows", "SyncookiesSent", "SyncookiesFailed")}


class Honest:
    """GET /healthz every 100 ms; records latency and failures."""

    def __init__(self, host, port, keep_alive):
        self.host, self.port, self.keep_alive = host, port, keep_alive
        self.lat = []
        self.failures = 0
        self.errors = {}
        self.conn = None

    async def _read_answer(self, reader):
        head = await reader.readuntil(b"\r\n\r\n")
        m = re.search(rb"content-length:\s*(\d+)", head, re.I)
        if m:
            await reader.readexactly(int(m.group(1)))
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(head[:40])

    async def once(self):
        req = f"GET /healthz HTTP/1.1\r\nHost: hub\r\n{'' if self.keep_alive else 'Connection: close'}\r\n\r\n".encode()
        t = time.monotonic()
        try:
            async with asyncio.timeout(30):
                for attempt in range(2):
                    if self.conn is None:
                        self.conn = await asyncio.open_connection(self.host, self.port)
                    reader, writer = self.conn
                    try:
                        writer.write(req)
                        await writer.drain()
                        await self._read_answer(reader)
                        break
                    except (ConnectionError, asyncio.IncompleteReadError):
                        # A kept-alive connection closed by the hub between requests: reconnect
                        # once, as HTTP clients do.
                        self._close()
                        if attempt == 1 or not self.keep_alive:
                            raise
            self.lat.append(time.monotonic() - t)
        except Exception as e:
            self.failures += 1
            name = type(e).__name__
            self.errors[name] = self.errors.get(name, 0) + 1
            self._close()
        if not self.keep_alive:
            self._close()

    def _close(self):
        if self.conn is not None:
            self.conn[1].close()
            self.conn = None

    async def run(self, stop):
        while not stop.is_set():
            await self.once()
            await asyncio.sleep(0.1)
        self._close()

    def summary(self):
        failed = f"{self.failures} failed {self.errors}" if self.failures else "0 failed"
        if not self.lat:
            return f"0 answered, {failed}"
        v = sorted(self.lat)
        q = lambda p: v[min(len(v) - 1, int(len(v) * p))] * 1000
        return (
            f"{len(v)} answered, {failed}; p50 {q(0.5):.1f} ms, p95 {q(0.95):.1f} ms, "
            f"p99 {q(0.99):.1f} ms, max {v[-1] * 1000:.0f} ms"
        )


class Attack:
    def __init__(self, host, port, stop):
        self.host, self.port, self.stop = host, port, stop
        self.open = 0
        self.opened = 0
        self.closed_by_hub = 0
        self.connect_failures = 0
        self.answers = {}

    async def _connect(self):
        try:
            async with asyncio.timeout(10):
                return await asyncio.open_connection(self.host, self.port)
        except Exception:
            self.connect_failures += 1
            await asyncio.sleep(1)
            return None

    async def loop(self, behaviour):
        while not self.stop.is_set():
            conn = await self._connect()
            if conn is None:
                continue
            reader, writer = conn
            self.open += 1
            self.opened += 1
            try:
                status = await behaviour(reader, writer)
                if status:
                    self.answers[status] = self.answers.get(status, 0) + 1
                self.closed_by_hub += 1
            except asyncio.CancelledError:
                raise
            except Exception:
                self.closed_by_hub += 1
            finally:
                self.open -= 1
                writer.close()

    async def _until_closed(self, reader):
        data = b""
        while not self.stop.is_set():
            try:
                async with asyncio.timeout(1):
                    chunk = await reader.read(65536)
            except TimeoutError:
                continue
            if not chunk:
                break
            data += chunk
        return data[:12].decode("latin-1") if data else None

    async def idle(self, reader, writer):
        return await self._until_closed(reader)

    async def slowloris(self, reader, writer):
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: hub\r\n")
        n = 0
        while not self.stop.is_set():
            try:
                async with asyncio.timeout(5):
                    chunk = await reader.read(65536)
                if not chunk:
                    return None
                return chunk[:12].decode("latin-1")
            except TimeoutError:
                writer.write(f"X-Slow-{n}: 1\r\n".encode())
                n += 1
        return None

    async def trickle(self, reader, writer):
        writer.write(
            b"POST /api/v1/devices/register HTTP/1.1\r\nHost: hub\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
        )
        while not self.stop.is_set():
            try:
                async with asyncio.timeout(1):
                    chunk = await reader.read(65536)
                if not chunk:
                    return None
                return chunk[:12].decode("latin-1")
            except TimeoutError:
                writer.write(b" ")
        return None

    async def huge(self, reader, writer):
        try:
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: hub\r\nX-Big: " + b"a" * 65536 + b"\r\n\r\n")
            await writer.drain()
        except ConnectionError:
            return "reset"
        status = await self._until_closed(reader)
        await asyncio.sleep(0.5)
        return status or "closed"


def honest_process(host, port, seconds, conn):
    """Runs both honest clients in a process of their own: the flooder's busy event loop must not
    add its own delays to the honest latency."""

    async def run():
        stop = asyncio.Event()
        fresh = Honest(host, port, keep_alive=False)
        kept = Honest(host, port, keep_alive=True)
        tasks = [asyncio.create_task(fresh.run(stop)), asyncio.create_task(kept.run(stop))]
        await asyncio.sleep(seconds)
        stop.set()
        await asyncio.gather(*tasks)
        return fresh.summary(), kept.summary(), fresh.failures + kept.failures, len(fresh.lat) + len(kept.lat)

    conn.send(asyncio.run(run()))
    conn.close()


async def start_hub(args, data_dir):
    env = dict(os.environ)
    env.update(
        TSUNAGU_DATA_DIR=data_dir,
        TSUNAGU_HUB_LISTEN="127.0.0.1:0",
        TSUNAGU_RETENTION_INTERVAL_MINUTES="0",
        RUST_LOG="warn,tsunagu_hub=info",
    )
    if args.max_connections:
        env["TSUNAGU_MAX_CONNECTIONS"] = str(args.max_connections)
    log = open(os.path.join(data_dir, "hub.log"), "w")
    proc = await asyncio.create_subprocess_exec(
        args.hub, "hub", stdout=asyncio.subprocess.PIPE, stderr=log, env=env
    )
    line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
    m = re.search(r"http://([\d.]+):(\d+)", line)
    if not m:
        raise SystemExit(f"hub did not start: {line!r}")
    return proc, m.group(1), int(m.group(2)), log.name


async def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hub", default="target/release/tsunagu")
    ap.add_argument("--idle", type=int, default=5000)
    ap.add_argument("--slowloris", type=int, default=0)
    ap.add_argument("--trickle", type=int, default=0)
    ap.add_argument("--huge", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--max-connections", type=int, default=0, help="TSUNAGU_MAX_CONNECTIONS (default: the hub's)")
    args = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.idle + args.slowloris + args.trickle + args.huge + 256
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(need, soft)), hard))
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft < need:
        raise SystemExit(f"ulimit -n is {soft}; this run needs {need}")

    with tempfile.TemporaryDirectory(prefix="tsunagu-flood-") as data_dir:
        proc, host, port, log_path = await start_hub(args, data_dir)
        pid = proc.pid
        try:
            await asyncio.sleep(1)
            start = hub_numbers(pid)
            print(f"hub pid {pid} on {host}:{port}; at rest: {start}")

            stop = asyncio.Event()
            base = Honest(host, port, keep_alive=False)
            t = asyncio.create_task(base.run(stop))
            await asyncio.sleep(5)
            stop.set()
            await t
            print(f"baseline, fresh connection per request: {base.summary()}")

            stop = asyncio.Event()
            kernel_before = listen_counters()
            attack = Attack(host, port, stop)
            tasks = []
            kinds = [
                (args.idle, attack.idle),
                (args.slowloris, attack.slowloris),
                (args.trickle, attack.trickle),
                (args.huge, attack.huge),
            ]
            for count, behaviour in kinds:
                for _ in range(count):
                    tasks.append(asyncio.create_task(attack.loop(behaviour)))
            # Let the flood build up first, then measure the honest clients during it.
            await asyncio.sleep(2)
            # "spawn": a forked child would inherit this process's running event loop.
            mp = multiprocessing.get_context("spawn")
            parent, child = mp.Pipe()
            honest = mp.Process(
                target=honest_process, args=(host, port, args.seconds - 2, child)
            )
            honest.start()
            peak = dict(start)
            t0 = time.monotonic() - 2
            while time.monotonic() - t0 < args.seconds:
                await asyncio.sleep(1)
                now = hub_numbers(pid)
                for k in ("fds", "threads", "rss_mb", "hwm_mb"):
                    peak[k] = max(peak[k], now[k])
                print(
                    f"  t={time.monotonic() - t0:4.0f}s attacker open {attack.open:5d} "
                    f"(opened {attack.opened}, closed by hub {attack.closed_by_hub}, "
                    f"connect failures {attack.connect_failures}); hub fds {now['fds']}, "
                    f"threads {now['threads']}, RSS {now['rss_mb']:.0f} MB"
                )
            honest_result = await asyncio.to_thread(parent.recv)
            kernel_after = listen_counters()
            honest.join()
            stop.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

            # The hub closes its side within a header timeout (10 s by default).
            settle = time.monotonic()
            while time.monotonic() - settle < 20:
                after = hub_numbers(pid)
                if after["fds"] <= start["fds"] + 2:
                    break
                await asyncio.sleep(0.5)
            after = hub_numbers(pid)
            print(
                f"flood: {args.idle} idle, {args.slowloris} slowloris, {args.trickle} trickling, "
                f"{args.huge} huge-header clients for {args.seconds:.0f} s"
            )
            print(
                f"  attacker connections opened {attack.opened}, closed by the hub {attack.closed_by_hub}, "
                f"connect failures {attack.connect_failures}, answers {attack.answers}"
            )
            fresh_summary, kept_summary, failures, answered = honest_result
            print(f"  honest, fresh connection per request: {fresh_summary}")
            print(f"  honest, kept-alive connection:        {kept_summary}")
            print(
                f"  hub peak: fds {peak['fds']}, threads {peak['threads']}, RSS {peak['rss_mb']:.0f} MB, "
                f"VmHWM {peak['hwm_mb']:.0f} MB"
            )
            print(f"  hub after ({time.monotonic() - settle:.1f} s): {after}")
            print(
                "  kernel during the flood: "
                + ", ".join(f"{k} +{kernel_after[k] - kernel_before[k]}" for k in kernel_after)
            )
            with open(log_path) as f:
                warnings = [l for l in f if "connection limit reached" in l]
            print(f"  hub 'connection limit reached' log lines: {len(warnings)}")
            if warnings:
                print("   ", warnings[-1].strip()[:300])
            return 0 if failures == 0 and answered > 0 else 1
        finally:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
