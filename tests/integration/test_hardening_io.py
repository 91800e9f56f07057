"""Hardening of the session I/O (issue 12, points 1-3), on the real daemon over real SSH.

A client that sends without reading must not make jxjyd hold more and more of it: the
session's output backlog is bounded, its input is left unread while the backlog is full,
and a session whose client stays behind for sessions.stall_timeout is closed with a log
line.  A served TUI (`ssh -tt`) whose client neither reads nor stays must end with its
client, its jxjy child killed, and must not hold up a daemon's SIGTERM.  Connections that
have not yet passed SSH authentication are bounded by sessions.max_startups on their own,
so that they never fill sessions.max; guests have sessions.max_guests.

No timing is asserted beyond generous bounds that turn a hang into a failure.
"""

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time

from conftest import JXJY, _die_with_parent, openssh_rpc_argv, require_binary
from helpers import DEMO_PASSWORD, Accounts, on_duty, pty_ssh, request_line, wait_until

STALL_LINE = re.compile(r"session (\d+): .*: the client left (\d+) bytes of output unread "
                        r"for (\d+) s; closing")


# --- helpers ------------------------------------------------------------------------------

def rss_kib(pid):
    """Resident memory of pid in KiB (VmRSS of /proc/PID/status)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def status_text(d):
    r = d.run("status", timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


def figures(d):
    """Open sessions and connections not yet authenticated (None when status does not
    say), from `jxjyd status`."""
    text = status_text(d)
    m = re.search(r"sessions: (\d+) open", text)
    c = re.search(r"connections: (\d+) authenticating", text)
    assert m, text
    return int(m.group(1)), int(c.group(1)) if c else None


def wait_open(d, n, timeout=20):
    return wait_until(f"{n} open sessions", lambda: figures(d)[0] == n, timeout)


def children(pid):
    r = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, timeout=10)
    return [int(x) for x in r.stdout.split()]


class Pinger:
    """A second client that keeps calling system.ping; records each round trip."""

    def __init__(self, d):
        self.rpc = d.rpc(timeout=30)
        self.times, self.failure = [], None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            while not self.stop.is_set():
                t0 = time.monotonic()
                self.rpc.result("system.ping", timeout=30)
                self.times.append(time.monotonic() - t0)
                time.sleep(0.05)
        except AssertionError as e:
            self.failure = e

    def finish(self):
        self.stop.set()
        self.thread.join(timeout=60)
        self.rpc.close()
        assert self.failure is None, f"the other client was not served: {self.failure}"
        assert self.times, "the other client never got a reply"
        return sorted(self.times)


# --- 1. a client that never reads ---------------------------------------------------------

FLOOD_SMALL = 3000          # ref.ethnicities: a ~50-byte request, a ~2.5 KB reply
FLOOD_LONG = 160            # then lines of ~1 MB each
LONG_LINE = 1_000_000


def hostile_rpc(port):
    """`ssh -s jxjy-rpc` whose output nobody reads (a pipe left full)."""
    return subprocess.Popen(openssh_rpc_argv(port), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            preexec_fn=_die_with_parent)


def flood(proc, sent):
    """Write requests into proc as fast as it takes them; stop when it goes."""
    try:
        for i in range(FLOOD_SMALL):
            proc.stdin.write(request_line(i + 1, "ref.ethnicities"))
        pad = "x" * LONG_LINE
        for i in range(FLOOD_LONG):
            proc.stdin.write(request_line(FLOOD_SMALL + i + 1, "system.ping", {"pad": pad}))
            sent.append(i)
        proc.stdin.flush()
    except (BrokenPipeError, OSError, ValueError):
        pass


def small_quarantine(monkeypatch):
    # AddressSanitizer keeps freed memory in a quarantine of 256 MiB by default, which
    # the requests' own churn fills: the daemon's RSS would say nothing about what its
    # sessions hold.  A small quarantine keeps the sanitizer and lets RSS mean it.
    opts = os.environ.get("ASAN_OPTIONS", "")
    monkeypatch.setenv("ASAN_OPTIONS", (opts + ":" if opts else "") +
                       "quarantine_size_mb=4:thread_local_quarantine_size_kb=64")


def test_client_that_never_reads_is_bounded_and_closed(make_daemon, monkeypatch):
    small_quarantine(monkeypatch)
    d = make_daemon(config={"sessions": {"output_backlog": 65536, "max_memory": 1048576,
                                         "stall_timeout": 4}})
    pid = d.proc.pid
    base = rss_kib(pid)
    pinger = Pinger(d)
    hostile = [hostile_rpc(d.port) for _ in range(2)]
    sent = [[] for _ in hostile]
    writers = [threading.Thread(target=flood, args=(p, s), daemon=True)
               for p, s in zip(hostile, sent)]
    for w in writers:
        w.start()
    peak = base
    deadline = time.monotonic() + 60
    try:
        # Until both sessions are closed for not reading (or, on a daemon without
        # back-pressure, until the time is up), watching jxjyd's memory.
        while time.monotonic() < deadline:
            peak = max(peak, rss_kib(pid))
            if len(STALL_LINE.findall(d.stderr_text())) >= len(hostile):
                break
            time.sleep(0.1)
        grown_mib = (peak - base) / 1024
        stalls = STALL_LINE.findall(d.stderr_text())
        # The sessions were not allowed to take in the ~160 MB each client had to send.
        assert grown_mib < 120, f"jxjyd grew by {grown_mib:.0f} MiB under two clients " \
                                f"that do not read"
        assert len(stalls) == len(hostile), \
            f"sessions not closed for not reading: {stalls}\n{d.stderr_text()[-3000:]}"
        for _, held, seconds in stalls:
            assert int(seconds) == 4
            # What it held when closed: bounded by the backlog plus one reply.
            assert 65536 < int(held) < 65536 + 64 * 1024, held
        for s in sent:
            assert len(s) < FLOOD_LONG, "a client that does not read sent everything"
        # The other client was served all along and still is.
        wait_open(d, 1)
        times = pinger.finish()
        assert times[-1] < 10, f"a ping took {times[-1]:.1f} s"
    finally:
        for p in hostile:
            p.kill()
            p.wait(timeout=10)
    with d.rpc() as s:
        s.result("system.ping")
        s.close()
    assert "closed for not reading" in status_text(d)
    assert re.search(r"2 closed for not reading", status_text(d)), status_text(d)


def test_slow_reader_gets_every_reply(make_daemon):
    # Back-pressure must not lose or reorder anything: a client that reads only after
    # sending everything still gets every reply, in order, once it reads.
    d = make_daemon(config={"sessions": {"output_backlog": 16384, "max_memory": 262144}})
    n = 400
    p = subprocess.Popen(openssh_rpc_argv(d.port), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         preexec_fn=_die_with_parent)
    data = b"".join(request_line(i + 1, "ref.ethnicities") for i in range(n))
    out, err = p.communicate(data, timeout=120)
    assert p.returncode == 0, err
    ids = [json.loads(line)["id"] for line in out.splitlines()]
    assert ids == list(range(1, n + 1))


# --- 2. a served TUI that never reads -----------------------------------------------------

KEYS = 85 * 1024


class DeafTerminal:
    """`ssh -tt` on a pty of its own whose output is never read, typing KEYS keys."""

    def __init__(self, port):
        self.master, self.proc = pty_ssh(port, "xterm")
        os.set_blocking(self.master, False)

    def type_without_reading(self, seconds=10):
        """Write keys until KEYS are written or nothing more goes in for a while."""
        written, idle_since = 0, time.monotonic()
        keys = b"a1\t" * (KEYS // 3 + 1)
        while written < KEYS and time.monotonic() - idle_since < seconds:
            try:
                written += os.write(self.master, keys[written:written + 4096])
                idle_since = time.monotonic()
            except BlockingIOError:
                time.sleep(0.05)
        return written

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def close(self):
        self.kill()
        os.close(self.master)


def deaf_tui(make_daemon):
    """A daemon (stall_timeout 600 s) serving one TUI to a DeafTerminal, and the TUI's jxjy
    child: (daemon, terminal, child pid).  The caller closes the terminal."""
    require_binary(JXJY)
    d = make_daemon(config={"sessions": {"stall_timeout": 600}})
    term = DeafTerminal(d.port)
    try:
        wait_open(d, 1)
        wait_until("the jxjy child", lambda: children(d.proc.pid), 20)
    except BaseException:
        term.close()
        raise
    return d, term, children(d.proc.pid)[0]


def test_served_tui_that_never_reads_ends_with_its_client(make_daemon):
    d, term, kid = deaf_tui(make_daemon)
    try:
        written = term.type_without_reading(seconds=5)
        assert written > 0
        # The client dies; its session, and the TUI with it, must go.
        term.kill()
        wait_open(d, 0, timeout=20)
        wait_until("the jxjy child to be gone",
                   lambda: not os.path.exists(f"/proc/{kid}") or
                   open(f"/proc/{kid}/stat").read().split()[2] == "Z", 20)
    finally:
        term.close()
    with d.rpc() as s:
        s.result("system.ping")
        s.close()


def test_sigterm_is_not_held_up_by_a_tui_that_never_reads(make_daemon):
    d, term, _ = deaf_tui(make_daemon)
    try:
        term.type_without_reading(seconds=5)
        # Its client is alive but reads nothing: SIGTERM must still end the daemon
        # soon, not after its 30 s of grace, and cleanly.
        t0 = time.monotonic()
        d.signal(signal.SIGTERM)
        rc = d.wait(timeout=25)
        assert time.monotonic() - t0 < 20
        d.assert_clean_exit(rc)
    finally:
        term.close()


# --- 3. connections before authentication -------------------------------------------------

class Silent:
    """A TCP connection that never speaks SSH; .kind is 'ssh' or 'refused'."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        data = b""
        while b"\n" not in data:
            chunk = self.sock.recv(256)
            if not chunk:
                break
            data += chunk
        self.kind = "refused" if b"too many connections" in data else \
            "ssh" if data.startswith(b"SSH-") else f"other: {data!r}"

    def close(self):
        self.sock.close()


def ping_once(port, timeout=30):
    """One `ssh -s jxjy-rpc` with one system.ping; its reply dict, or None."""
    r = subprocess.run(openssh_rpc_argv(port), input=request_line(1, "system.ping"),
                       capture_output=True, timeout=timeout)
    for line in r.stdout.splitlines():
        reply = json.loads(line)
        if reply.get("id") == 1:
            return reply
    return None


def test_unauthenticated_connections_never_fill_sessions_max(make_daemon, postgres):
    d = make_daemon(config={"sessions": {"max": 3, "max_per_source": 100,
                                         "max_startups": "5:100:5",
                                         "login_grace_time": 120}})
    user, idn = on_duty(d, postgres, "MS", "MSU", "握手测试单位")
    silent = []
    try:
        # Five silent connections are let in (start = full = 5); the next ones are
        # dropped at once, while five wait for their grace time to run out.
        silent = [Silent(d.port) for _ in range(8)]
        kinds = [c.kind for c in silent]
        assert kinds == ["ssh"] * 5 + ["refused"] * 3, kinds
        assert figures(d) == (1, 5)
        # The logged-in person is not disturbed.
        assert user.result("session.whoami")["account"]["id_number"] == idn
        # One silent connection goes: a real client gets its slot, authenticates and
        # is counted in sessions.max, which the silent ones never were.
        silent.pop(0).close()
        wait_until("a free startup slot", lambda: figures(d)[1] == 4, 10)
        with d.rpc() as b:
            b.result("system.ping")
            silent.pop(0).close()
            wait_until("a free startup slot", lambda: figures(d)[1] == 3, 10)
            with d.rpc() as c:
                c.result("system.ping")
                assert figures(d) == (3, 3)
                # sessions.max (3) is reached by authenticated sessions: the next one
                # is refused after authentication, and logged.
                assert ping_once(d.port) is None
                wait_until("the refusal in the log", lambda: re.search(
                    r"refused after authentication: too many sessions$",
                    d.stderr_text(), re.M), 10)
                c.close()
            b.close()
        user.result("system.ping")
        text = status_text(d)
        assert re.search(r"\b3 dropped early", text), text
        assert re.search(r"\b1 refused after authentication", text), text
    finally:
        for c in silent:
            c.close()
    user.close()


def test_guests_are_bounded_by_max_guests(make_daemon, postgres):
    d = make_daemon(config={"sessions": {"max_guests": 1}})
    acc = Accounts(postgres, d.dbname, "MG")
    acc.add_unit("MGU", "访客测试单位")
    _, idn = acc.add_admin("MGU", "值守管理员")
    with d.rpc() as a:
        a.result("system.ping")
        # One guest at most: another is refused ...
        assert ping_once(d.port) is None
        assert re.search(r"refused after authentication: too many guest sessions",
                         d.stderr_text())
        # ... until the first logs in, and is a guest no more.
        a.result("session.login", {"id_number": idn, "password": DEMO_PASSWORD})
        assert ping_once(d.port) is not None
        with d.rpc() as b:
            b.result("system.ping")
            b.close()
        a.close()
