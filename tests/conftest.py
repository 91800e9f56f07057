"""Fixtures shared by jxjy's test suite: a throwaway PostgreSQL, the real daemon, RPC clients.

One PostgreSQL serves the whole run.  scripts/test starts it and passes it in through
JXJY_TEST_PGHOST / JXJY_TEST_PGPORT / JXJY_TEST_PGUSER; when those are unset (plain
`pytest tests/...`) the session starts its own with scripts/pg.sh and stops it at the end.

Binaries come from JXJY_BUILD_DIR (default <repo>/build-test).  Every wait is bounded, so
a hang fails one test instead of stalling the run.

scripts/test runs the suite on pytest-xdist workers (-n 4 --dist loadfile): each worker is
a process of its own with its own session fixtures (its migrated template), and a file's
tests all run on one worker, in order, so a module fixture is made once.  What a test
makes must not collide with another worker's: databases from Postgres.new_database,
ports from free_port, tmux servers and cluster-wide names (roles) carrying os.getpid(),
files under tmp_path; nothing fixed in the tree or in /tmp.
"""

import atexit
import itertools
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("JXJY_BUILD_DIR") or REPO / "build-test").resolve()
JXJYD = BUILD / "daemon" / "jxjyd"
JXJY = BUILD / "tui" / "jxjy"
SCHEMA_DIR = REPO / "schema"

# What a sanitizer prints when it finds something; a daemon's stderr must hold none.
SANITIZER_MARKS = (
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "AddressSanitizer:DEADLYSIGNAL",
    "SUMMARY: AddressSanitizer",
    "SUMMARY: UndefinedBehaviorSanitizer",
    "runtime error:",
)

_notes = []
_names = itertools.count(1)


def sanitizer_report(text):
    """Return the first sanitizer line found in text, or None."""
    for line in text.splitlines():
        if any(mark in line for mark in SANITIZER_MARKS):
            return line
    return None


def unit_binaries():
    """The unit test executables of the build, sorted by name."""
    unit_dir = BUILD / "tests" / "unit"
    if not unit_dir.is_dir():
        return []
    return sorted(p for p in unit_dir.glob("test-*")
                  if p.is_file() and os.access(p, os.X_OK))


def _configure_sanitizers():
    """Set ASAN/UBSAN options for every program we start, unless the caller chose.

    Leak detection needs ptrace-free LeakSanitizer; where it cannot run (some sandboxes
    and debuggers), turn it off with a note rather than failing every test."""
    os.environ.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    # What leaks inside a library, not ours (each line of tests/lsan.supp says why).
    os.environ.setdefault("LSAN_OPTIONS", "suppressions=%s:print_suppressions=0"
                          % (REPO / "tests" / "lsan.supp"))
    if "ASAN_OPTIONS" in os.environ:
        return
    leaks = 1
    probe = unit_binaries()[:1]
    if probe:
        try:
            r = subprocess.run([str(probe[0])], capture_output=True, text=True, timeout=60,
                               env=dict(os.environ, ASAN_OPTIONS="detect_leaks=1"))
            out = r.stdout + r.stderr
            if ("LeakSanitizer has encountered a fatal error" in out
                    or "does not work under ptrace" in out):
                leaks = 0
                _notes.append("LeakSanitizer cannot run here: leak detection is off")
        except (OSError, subprocess.TimeoutExpired):
            pass
    os.environ["ASAN_OPTIONS"] = f"detect_leaks={leaks}:abort_on_error=0"


def _sigterm_to_interrupt(signum, frame):
    # scripts/test stops a run with SIGTERM; as KeyboardInterrupt it still runs the
    # fixtures' teardown, so no daemon, PostgreSQL or tmux server is left behind.
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config):
    signal.signal(signal.SIGTERM, _sigterm_to_interrupt)
    os.environ.setdefault("LANG", "C.UTF-8")
    os.environ.pop("JXJY_LANG", None)
    _configure_sanitizers()


def pytest_report_header(config):
    lines = [f"jxjy build: {BUILD}"]
    lines += [f"jxjy note: {n}" for n in _notes]
    return lines


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_accepts(port, host="127.0.0.1"):
    """True when a TCP connection to host:port succeeds."""
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def require_binary(path):
    if not path.exists():
        pytest.fail(f"{path} is not built (run scripts/test, or ninja -C {BUILD})",
                    pytrace=False)


def _pg_bindir():
    dirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                  key=lambda p: [int(x) if x.isdigit() else 0
                                 for x in p.parent.name.split(".")])
    return dirs[-1] if dirs else None


class Postgres:
    """A PostgreSQL reachable through a Unix socket directory, as a superuser."""

    def __init__(self, host, port, user, own_dir=None):
        self.host, self.port, self.user = host, str(port), user
        self.own_dir = own_dir
        bindir = _pg_bindir()
        self.psql_bin = str(bindir / "psql") if bindir else "psql"

    def conninfo(self, dbname):
        return f"host={self.host} port={self.port} dbname={dbname} user={self.user}"

    def psql(self, dbname, sql, check=True):
        """Run sql in dbname; return psql's unaligned, tuples-only output."""
        r = subprocess.run(
            [self.psql_bin, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
             "-h", self.host, "-p", self.port, "-U", self.user, "-d", dbname, "-c", sql],
            capture_output=True, text=True, timeout=60)
        if check and r.returncode != 0:
            raise AssertionError(f"psql failed ({r.returncode}) on {sql!r}:\n{r.stderr}")
        return r.stdout

    def new_database(self, template=None):
        """Create an empty database (or a copy of template); return its name."""
        name = f"jxjy_t{os.getpid()}_{next(_names)}"
        sql = f'CREATE DATABASE "{name}"'
        if template:
            sql += f' TEMPLATE "{template}"'
        self.psql("postgres", sql)
        return name


def _start_own_postgres():
    out = subprocess.run(["bash", str(REPO / "scripts" / "pg.sh"), "start", "test"],
                         capture_output=True, text=True, timeout=180)
    if out.returncode != 0:
        pytest.exit(f"cannot start PostgreSQL:\n{out.stderr}", returncode=1)
    env = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    pg_dir = env["JXJY_PG_DIR"]

    def stop():
        subprocess.run(["bash", str(REPO / "scripts" / "pg.sh"), "stop", pg_dir],
                       timeout=120)
    atexit.register(stop)
    return Postgres(env["PGHOST"], env["PGPORT"], env["PGUSER"], own_dir=pg_dir), stop


@pytest.fixture(scope="session")
def postgres():
    """The run's PostgreSQL: scripts/test's, or one started here."""
    host = os.environ.get("JXJY_TEST_PGHOST")
    if host:
        yield Postgres(host, os.environ.get("JXJY_TEST_PGPORT", "5432"),
                       os.environ.get("JXJY_TEST_PGUSER", "postgres"))
        return
    pg, stop = _start_own_postgres()
    try:
        yield pg
    finally:
        stop()
        atexit.unregister(stop)


@pytest.fixture(scope="session")
def migrated_template(postgres, tmp_path_factory):
    """A database with every migration applied, to copy for each test module."""
    require_binary(JXJYD)
    name = postgres.new_database()
    d = Daemon(tmp_path_factory.mktemp("template"), postgres, name)
    d.migrate()
    return name


def _merge(base, extra):
    out = dict(base)
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _libconfig_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "[ " + ", ".join(_libconfig_value(x) for x in v) + " ]"
    s = str(v).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{s}"'


def render_config(settings, indent=""):
    """settings (nested dicts) as libconfig text."""
    lines = []
    for key, value in settings.items():
        if isinstance(value, dict):
            lines.append(f"{indent}{key}: {{")
            lines.append(render_config(value, indent + "\t"))
            lines.append(f"{indent}}};")
        else:
            lines.append(f"{indent}{key} = {_libconfig_value(value)};")
    return "\n".join(lines)


# Every daemon `serve` started in this run, for the check after each test (_daemons_exit_cleanly).
_started = []


class Daemon:
    """One jxjyd with its own config, host key and logs in workdir.

    A daemon that exits must exit cleanly: status 0 and no sanitizer report.  stop()
    asserts it; one that ends some other way (it died mid-test, or a test sent SIGTERM and
    only read the status) is checked after the test that saw it end.  A test that kills
    one on purpose says so with kill()."""

    def __init__(self, workdir, pg, dbname, config=None, extra_config=""):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.pg, self.dbname = pg, dbname
        self.port = free_port()
        self.conf = self.dir / "jxjyd.conf"
        self.host_key = self.dir / "ssh_host_ed25519_key"
        self.stderr_path = self.dir / "jxjyd.stderr"
        self.proc = None
        self.exit_checked = False   # its exit was judged (or it was killed on purpose)
        # Config text after the settings: what render_config cannot write, such as lists
        # of groups (learning_forms, unit_admins).
        self.extra_config = extra_config
        self.settings = _merge({
            "listen_address": "127.0.0.1",
            "port": self.port,
            "host_key": str(self.host_key),
            "schema_dir": str(SCHEMA_DIR),
            "debug_methods": True,
            # Each daemon its own control socket: the default /run/jxjy/jxjyd.sock is shared.
            "control_socket": str(self.dir / "jxjyd.sock"),
            "database": {"conninfo": pg.conninfo(dbname), "pool_size": 4},
            # flush_ms 0: each line written at once (the daemon's default gathers them for
            # 20 ms), since tests read stderr right after replies; test_log_buffer.py tests
            # the buffered log with daemons of its own.
            "log": {"level": "debug", "flush_ms": 0},
            "security": {"captcha": "off"},
            "certificates": {"signing_key": str(self.dir / "certificate_ed25519_key")},
        }, config or {})
        self.write_config()

    def write_config(self):
        text = render_config(self.settings) + "\n"
        if self.extra_config:
            text += self.extra_config + "\n"
        self.conf.write_text(text, encoding="utf-8")

    def run(self, *args, timeout=60):
        """Run `jxjyd -f CONF ARGS...` to completion; return the CompletedProcess."""
        require_binary(JXJYD)
        return subprocess.run([str(JXJYD), "-f", str(self.conf), *args],
                              capture_output=True, text=True, timeout=timeout)

    def migrate(self):
        r = self.run("migrate")
        assert r.returncode == 0, f"jxjyd migrate exited {r.returncode}:\n{r.stdout}{r.stderr}"
        assert not sanitizer_report(r.stderr), r.stderr
        return r

    def stderr_text(self):
        try:
            return self.stderr_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def start(self, timeout=30):
        """Start `jxjyd serve` and wait until it listens."""
        require_binary(JXJYD)
        err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen([str(JXJYD), "-f", str(self.conf), "serve"],
                                     stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                     preexec_fn=_die_with_parent)
        err.close()
        self.exit_checked = False
        _started.append(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "listening on" in self.stderr_text():
                return self
            if self.proc.poll() is not None:
                pytest.fail(f"jxjyd exited {self.proc.returncode} before listening:\n"
                            f"{self.stderr_text()}", pytrace=False)
            time.sleep(0.05)
        self.kill()
        pytest.fail(f"jxjyd did not log 'listening on' within {timeout}s:\n"
                    f"{self.stderr_text()}", pytrace=False)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait_log(self, pattern, after=0, timeout=15):
        """Wait until the daemon's stderr, from offset after, matches the regex pattern;
        return the match (fails the test on timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.stderr_text()[after:])
            if m:
                return m
            assert time.monotonic() < deadline, \
                f"jxjyd did not log {pattern!r} within {timeout}s:\n{self.stderr_text()}"
            time.sleep(0.05)

    def reload(self, timeout=15):
        """SIGHUP, and wait until jxjyd has logged that it read the config again."""
        n = self.stderr_text().count("reload: ")
        self.signal(signal.SIGHUP)
        deadline = time.monotonic() + timeout
        while self.stderr_text().count("reload: ") <= n:
            assert time.monotonic() < deadline, self.stderr_text()
            time.sleep(0.05)

    def wait(self, timeout=30):
        """Wait for the daemon to exit; return its status (fails the test on timeout)."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"jxjyd did not exit within {timeout}s:\n{self.stderr_text()}",
                        pytrace=False)

    def kill(self):
        """SIGKILL, on purpose: its exit is not judged."""
        self.exit_checked = True
        if self.running():
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self, timeout=30):
        """SIGTERM, then assert a clean exit: status 0 and no sanitizer report."""
        if self.proc is None or self.exit_checked:
            return
        if self.running():
            self.proc.send_signal(signal.SIGTERM)
        rc = self.wait(timeout)
        self.assert_clean_exit(rc)

    def assert_clean_exit(self, rc):
        self.exit_checked = True
        text = self.stderr_text()
        bad = sanitizer_report(text)
        assert not bad, f"sanitizer report in jxjyd's stderr: {bad}\n{text}"
        assert rc == 0, f"jxjyd exited {rc}:\n{text}"

    def rpc(self, **kw):
        """A JSON-RPC session through OpenSSH's `ssh -s`."""
        return RpcSession(openssh_rpc_argv(self.port), **kw)

    def rpc_libssh(self, known_hosts, **kw):
        """A JSON-RPC session through jxjy --rpc (the client's libssh code)."""
        require_binary(JXJY)
        return RpcSession([str(JXJY), "--rpc", "--accept-new", "-k", str(known_hosts),
                           "-p", str(self.port), "localhost"], **kw)


try:
    import ctypes
    _libc = ctypes.CDLL(None, use_errno=True)
except OSError:
    _libc = None


def _die_with_parent():
    # Runs in the child between fork and exec.  A daemon or client must not outlive a
    # killed test run: ask for SIGKILL when pytest dies (PR_SET_PDEATHSIG).
    if _libc is not None:
        _libc.prctl(1, signal.SIGKILL)


SSH_OPTIONS = ["-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
               "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
               "-o", "ConnectTimeout=10"]


def openssh_rpc_argv(port):
    return ["ssh", *SSH_OPTIONS, "-p", str(port), "-s", "localhost", "jxjy-rpc"]


class RpcSession:
    """A JSON-RPC client over a child process's stdin/stdout (one object per line)."""

    def __init__(self, argv, timeout=15):
        self.argv = argv
        self.timeout = timeout
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, preexec_fn=_die_with_parent)
        self.lines = queue.Queue()
        self.err = []
        self.ids = itertools.count(1)
        # record.changed notifications read while waiting for a reply, oldest first.
        self.changes = []
        threading.Thread(target=self._read_out, daemon=True).start()
        self._err_reader = threading.Thread(target=self._read_err, daemon=True)
        self._err_reader.start()

    def _read_out(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _read_err(self):
        for line in self.proc.stderr:
            self.err.append(line.decode("utf-8", "replace"))

    def stderr(self):
        return "".join(self.err)

    def send_raw(self, data):
        """Write bytes as they are (a trailing newline is not added)."""
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise AssertionError(f"{self.argv[0]} closed its input:\n{self.stderr()}")

    def send(self, obj):
        self.send_raw(json.dumps(obj, ensure_ascii=False).encode("utf-8") + b"\n")

    def read(self, timeout=None):
        """The next reply as a dict; fails on timeout, end of stream or a non-JSON line.

        A record.changed notification (docs/protocol.md) may come between any two
        replies: it is set aside in self.changes (see next_change), never returned."""
        timeout = timeout or self.timeout
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_line(max(0.01, deadline - time.monotonic()))
            if "id" not in reply and reply.get("method") == "record.changed":
                self.changes.append(reply)
                continue
            return reply

    def next_change(self, timeout=None):
        """The next record.changed notification's params; fails when none comes in time."""
        timeout = timeout or self.timeout
        deadline = time.monotonic() + timeout
        while not self.changes:
            reply = self._read_line(max(0.01, deadline - time.monotonic()))
            assert "id" not in reply and reply.get("method") == "record.changed", \
                f"waiting for record.changed, got {reply}"
            self.changes.append(reply)
        return self.changes.pop(0)["params"]

    def _read_line(self, timeout):
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no reply within {timeout}s; client stderr:\n"
                                 f"{self.stderr()}") from None
        if line is None:
            self.lines.put(None)
            time.sleep(0.1)
            raise AssertionError(f"connection closed (client exit {self.proc.poll()}); "
                                 f"client stderr:\n{self.stderr()}")
        try:
            reply = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise AssertionError(f"reply is not a JSON line ({e}): {line!r}") from None
        assert isinstance(reply, dict), f"reply is not an object: {line!r}"
        assert reply.get("jsonrpc") == "2.0", f"reply lacks jsonrpc 2.0: {reply}"
        return reply

    def call(self, method, params=None, timeout=None):
        """Send a request; return the reply dict (with "result" or "error")."""
        rid = next(self.ids)
        req = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            req["params"] = params
        self.send(req)
        reply = self.read(timeout)
        assert reply.get("id") == rid, f"reply to {method} has id {reply.get('id')}, " \
                                       f"want {rid}: {reply}"
        return reply

    def result(self, method, params=None, timeout=None):
        """Send a request that must succeed; return its result."""
        reply = self.call(method, params, timeout)
        assert "error" not in reply, f"{method} failed: {reply}"
        assert "result" in reply, f"{method}: reply without result: {reply}"
        return reply["result"]

    def notify(self, method, params=None):
        req = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            req["params"] = params
        self.send(req)

    def expect_silence(self, seconds, changes_too=False):
        """Fail if any line arrives within seconds (record.changed is set aside unless
        changes_too)."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                line = self.lines.get(timeout=max(0, deadline - time.monotonic()))
            except queue.Empty:
                return
            try:
                note = json.loads(line.decode("utf-8")) if line is not None else None
            except (UnicodeDecodeError, json.JSONDecodeError):
                note = None
            if not changes_too and isinstance(note, dict) and "id" not in note and \
                    note.get("method") == "record.changed":
                self.changes.append(note)
                continue
            self.lines.put(line)
            raise AssertionError(f"unexpected output: {line!r}")

    def close(self, timeout=None):
        """Close our end and wait for the client to exit; return its status."""
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            rc = self.proc.wait(timeout=timeout or self.timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"{self.argv[0]} did not exit after its input closed")
        self._err_reader.join(timeout=5)
        bad = sanitizer_report(self.stderr())
        assert not bad, f"sanitizer report from {self.argv[0]}: {bad}\n{self.stderr()}"
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()


def module_daemon(postgres, migrated_template, tmp_path_factory, name="jxjyd", config=None,
                  extra_config=""):
    """A daemon on a fresh migrated database, started, and stopped (cleanly) when the
    generator ends: a module's daemon fixture is `yield from module_daemon(...)`."""
    db = postgres.new_database(template=migrated_template)
    d = Daemon(tmp_path_factory.mktemp(name), postgres, db, config, extra_config)
    d.start()
    yield d
    d.stop()


def two_daemons(postgres, migrated_template, tmp_path, settings):
    """Two daemons n1 and n2 on one fresh migrated database, each with its control socket
    and settings(i, db) (i = 1, 2; db the database's name) merged in; started, and stopped when the generator ends: a
    fixture is `yield from two_daemons(...)`, and yields [d1, d2]."""
    db = postgres.new_database(template=migrated_template)
    daemons = [Daemon(tmp_path / f"n{i}", postgres, db,
                      _merge({"control_socket": str(tmp_path / f"n{i}.sock")}, settings(i, db)))
               for i in (1, 2)]
    try:
        for d in daemons:
            d.start()
        yield daemons
    finally:
        for d in daemons:
            if d.running():
                d.stop()


@pytest.fixture(scope="module")
def daemon(postgres, migrated_template, tmp_path_factory):
    """A running daemon on a fresh migrated database, shared by a test module."""
    yield from module_daemon(postgres, migrated_template, tmp_path_factory)


@pytest.fixture(scope="module")
def ddaemon(postgres, migrated_template, tmp_path_factory):
    """A module's daemon for declarations: the learning forms shipped in etc/jxjyd.conf
    and the tests' own (helpers.TEST_FORMS), 1 MiB attachments."""
    import helpers    # here: helpers imports this module

    yield from module_daemon(
        postgres, migrated_template, tmp_path_factory, "jxjyd-decl",
        {"declarations": {"max_attachment": helpers.MAX_ATTACHMENT}},
        helpers.forms_text(helpers.TEST_FORMS, with_sample=True))


@pytest.fixture
def make_daemon(postgres, migrated_template, tmp_path):
    """A factory of daemons for one test: make_daemon(config={...}, migrated=True,
    start=True).  Each is stopped at the end and must exit cleanly."""
    made = []

    def make(config=None, migrated=True, start=True):
        db = postgres.new_database(template=migrated_template if migrated else None)
        d = Daemon(tmp_path / f"jxjyd{len(made) + 1}", postgres, db, config)
        made.append(d)
        if start:
            d.start()
        return d

    yield make
    for d in made:
        d.stop()


@pytest.fixture(autouse=True)
def _daemons_exit_cleanly():
    """After each test: every daemon that has ended since (stopped, signalled, or dead of a
    crash or a sanitizer's abort) exited with status 0 and no sanitizer report, unless the
    test killed it on purpose (Daemon.kill)."""
    yield
    for d in list(_started):
        if d.running():
            continue
        _started.remove(d)
        if not d.exit_checked:
            d.assert_clean_exit(d.proc.returncode)


@pytest.fixture
def copy_schema(tmp_path):
    """A copy of schema/ that a test may change."""
    dst = tmp_path / "schema"
    shutil.copytree(SCHEMA_DIR, dst)
    return dst
