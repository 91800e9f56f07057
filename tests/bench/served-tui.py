#!/usr/bin/python3
"""served-tui.py - the measuring half of tests/bench/bench-served-tui.

Starts jxjyd on the PostgreSQL named by PGHOST/PGPORT/PGUSER (database jxjy), opens N
served TUI sessions the way people do -- OpenSSH `ssh -tt` on a pseudo-terminal of its
own, a pty and a shell request -- waits for each login screen, and measures:

  * memory: jxjyd's RSS growth and the jxjy children's PSS, per open session;
  * CPU: jxjyd's and the children's CPU time to open a session, and per idle session
    over a quiet interval;
  * keystroke-to-screen latency: a digit typed into the ID-number field, timed from the
    write on the client's pty until the digit arrives back on it (escape sequences
    stripped, so a '7' in a cursor address does not count); then a backspace.  Once
    spread over the N sessions (one keystroke each) and once on a single session.

Writes a Markdown report (--out) and prints it.  Exits 1 when the median latency misses
the target or a step fails.
"""

import fcntl
import os
import platform
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import termios
import time

from benchlib import (SSH_OPTS, arguments, children, jxjyd_run, jxjyd_serve, percentile, proc_kib,
                      proc_stat, write_config)

ESCAPES = re.compile(rb"\x1b(?:\[[0-9;?<=>!]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|"
                     rb"[()*+][0-9A-Za-z]|[@-Z\\-_])")
LOGIN_MARK = "身份证号".encode()


class Term:
    """One `ssh -tt` on a pty of its own: what a person's terminal would be."""

    def __init__(self, port, cols=100, rows=30):
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8")
        env.pop("JXJY_LANG", None)
        self.proc = subprocess.Popen(["ssh", "-tt", *SSH_OPTS, "-p", str(port), "localhost"],
                                     stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True)
        os.close(slave)
        os.set_blocking(self.master, False)
        self.buf = bytearray()

    def pump(self, timeout):
        """Read what has arrived within timeout seconds; False at end of output."""
        r, _, _ = select.select([self.master], [], [], timeout)
        if not r:
            return True
        try:
            data = os.read(self.master, 65536)
        except BlockingIOError:
            return True
        except OSError:
            return False
        if not data:
            return False
        self.buf += data
        return True

    def wait(self, pred, timeout):
        deadline = time.monotonic() + timeout
        while not pred(bytes(self.buf)):
            left = deadline - time.monotonic()
            if left <= 0 or not self.pump(min(left, 0.5)):
                return False
        return True

    def drain(self, quiet=0.05):
        """Read until nothing arrives for quiet seconds; forget it."""
        while True:
            before = len(self.buf)
            self.pump(quiet)
            if len(self.buf) == before:
                break
        self.buf.clear()

    def keystroke(self, key, expect, timeout=5):
        """Seconds from writing key until expect shows in the (unescaped) output."""
        self.drain(0.01)
        t0 = time.perf_counter()
        os.write(self.master, key)
        while True:
            r, _, _ = select.select([self.master], [], [], timeout)
            if not r:
                return None
            try:
                self.buf += os.read(self.master, 65536)
            except BlockingIOError:
                continue
            if expect in ESCAPES.sub(b"", bytes(self.buf)):
                return time.perf_counter() - t0

    def close(self):
        try:
            os.write(self.master, b"\x1b[21~")	# F10
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


def cpu_of(pids):
    return sum((proc_stat(p) or (0, 0))[0] for p in pids)


def main():
    a = arguments(sessions=200, keystrokes=200, idle_seconds=30, target_ms=20.0)

    conf, port = write_config(a.workdir, a.schema, '''\
sessions: { max = 5000; max_per_source = 5000; idle_timeout = 0; };
security: { captcha = "always"; };
''')
    jxjyd_run(a.jxjyd, conf, "migrate")
    daemon, _ = jxjyd_serve(a.jxjyd, conf, a.workdir)
    terms = []
    try:
        # One session first, so that the daemon's one-off costs (pool, statements,
        # libssh's first key exchange) are not charged to the 200.
        warm = Term(port)
        if not warm.wait(lambda b: LOGIN_MARK in b, 20):
            sys.exit("the first served session showed no login screen")
        warm.close()
        time.sleep(0.5)

        rss0 = proc_kib(daemon.pid, "VmRSS")
        cpu0 = cpu_of([daemon.pid])
        t0 = time.monotonic()
        batch = 20
        for i in range(0, a.sessions, batch):
            opened = [Term(port) for _ in range(min(batch, a.sessions - i))]
            for t in opened:
                if not t.wait(lambda b: LOGIN_MARK in b, 60):
                    sys.exit(f"session {len(terms) + 1} showed no login screen:\n"
                             f"{bytes(t.buf)[-500:]!r}")
            terms += opened
        open_seconds = time.monotonic() - t0
        kids = children(daemon.pid)
        open_cpu = cpu_of([daemon.pid]) - cpu0 + cpu_of(kids)
        for t in terms:
            t.drain()
        time.sleep(2)

        rss1 = proc_kib(daemon.pid, "VmRSS")
        pss = [proc_kib(k, "Pss", "smaps_rollup") for k in kids]
        rss_child = [proc_kib(k, "VmRSS") for k in kids]
        idle_cpu0 = cpu_of([daemon.pid])
        kids_cpu0 = cpu_of(kids)
        time.sleep(a.idle_seconds)
        idle_daemon = cpu_of([daemon.pid]) - idle_cpu0
        idle_kids = cpu_of(kids) - kids_cpu0

        # Keystrokes: one per session across all of them, then all on one.
        spread, single = [], []
        for i in range(a.keystrokes):
            t = terms[i % len(terms)]
            dt = t.keystroke(b"7", b"7")
            if dt is None:
                sys.exit(f"keystroke {i}: the digit never came back")
            spread.append(dt * 1000)
            t.keystroke(b"\x7f", b"")
        one = terms[0]
        for i in range(a.keystrokes):
            dt = one.keystroke(b"7", b"7")
            if dt is None:
                sys.exit(f"keystroke {i} on one session: the digit never came back")
            single.append(dt * 1000)
            one.keystroke(b"\x7f", b"")
    finally:
        for t in terms:
            t.close()
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            daemon.kill()

    n = len(terms)
    cpu_model = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo")
                      if ln.startswith("model name")), platform.processor())
    med_spread = statistics.median(spread)
    lines = [
        "# Served-TUI sessions: memory, CPU, keystroke latency",
        "",
        f"Measured by `tests/bench/bench-served-tui` on {os.cpu_count()} CPUs ({cpu_model}),",
        f"{time.strftime('%Y-%m-%d %H:%M')}: release build without sanitizers, jxjyd and",
        f"{n} OpenSSH `ssh -tt` clients on the same machine (loopback), each on a pty of",
        "its own at 100x30, every session left on the login screen (the captcha drawn).",
        "",
        "| figure | value |",
        "|---|---|",
        f"| sessions opened | {n} in {open_seconds:.1f} s, {a.sessions // batch} batches of "
        f"{batch} in parallel |",
        f"| jxjyd RSS growth per session | {(rss1 - rss0) / n:.0f} KiB "
        f"({rss0 / 1024:.1f} → {rss1 / 1024:.1f} MiB) |",
        f"| jxjy child per session, PSS | {statistics.mean(pss):.0f} KiB mean "
        f"(RSS {statistics.mean(rss_child):.0f} KiB; {len(kids)} children) |",
        f"| memory per session, jxjyd + child | "
        f"{((rss1 - rss0) + sum(pss)) / n / 1024:.2f} MiB |",
        f"| CPU to open a session (jxjyd + child) | {open_cpu / n * 1000:.1f} ms |",
        f"| CPU per idle session, jxjyd | {idle_daemon / n / a.idle_seconds * 60 * 1000:.2f} "
        f"ms per minute |",
        f"| CPU per idle session, jxjy child | "
        f"{idle_kids / n / a.idle_seconds * 60 * 1000:.2f} ms per minute |",
        f"| keystroke → screen, one per session over {len(spread)} sessions | median "
        f"{med_spread:.2f} ms, p90 {percentile(spread, 90):.2f}, max {max(spread):.2f} |",
        f"| keystroke → screen, {len(single)} on one session | median "
        f"{statistics.median(single):.2f} ms, p90 {percentile(single, 90):.2f}, "
        f"max {max(single):.2f} |",
        f"| target: median keystroke → screen ≤ {a.target_ms:g} ms | "
        f"{'met' if med_spread <= a.target_ms else 'MISSED'} |",
        "",
        "A keystroke's path: ssh (client pty) → TCP → jxjyd's session thread → the jxjy",
        "child's pty → ncurses redraw → pty → jxjyd → TCP → ssh → the client pty.  The idle",
        "CPU is measured over "
        f"{a.idle_seconds} s with all {n} sessions open and nobody typing.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(text)
    return 0 if med_spread <= a.target_ms else 1


if __name__ == "__main__":
    sys.exit(main())
