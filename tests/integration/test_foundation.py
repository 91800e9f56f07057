"""The foundation: the real jxjyd on a real PostgreSQL, spoken to over real SSH.

Covers the daemon's command line (migrate, check-config, serve's refusals), the SSH
subsystem through both clients (OpenSSH's `ssh -s` and jxjy's libssh code), JSON-RPC error
handling on a live session, notifications, and draining on SIGTERM."""

import re
import signal
import stat
import subprocess
import time

import pytest

from conftest import (JXJYD, REPO, SCHEMA_DIR, SSH_OPTIONS, openssh_rpc_argv, port_accepts,
                      require_binary, sanitizer_report)

CJK = re.compile(r"[\u4e00-\u9fff]")


def project_version():
    text = (REPO / "meson.build").read_text(encoding="utf-8")
    return re.search(r"version\s*:\s*'([^']+)'", text).group(1)


def schema_files(schema_dir):
    return sorted(p.name for p in schema_dir.glob("[0-9][0-9][0-9]-*.sql"))


# --- the command line ------------------------------------------------------------------

def test_version():
    require_binary(JXJYD)
    r = subprocess.run([str(JXJYD), "--version"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"jxjyd {project_version()} (protocol 1)"


def test_check_config_accepts_generated_config(make_daemon):
    d = make_daemon(start=False)
    r = d.run("check-config")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip() == f"{d.conf}: ok"


def test_check_config_reports_every_mistake_with_file_and_line(make_daemon):
    d = make_daemon(start=False)
    good = d.conf.read_text(encoding="utf-8").splitlines()
    # Line numbers are 1-based; the mistakes sit after the valid lines.
    bad = good + ['no_such_key = 1;', 'sessions: { max_line = "long"; };']
    d.conf.write_text("\n".join(bad) + "\n", encoding="utf-8")
    r = d.run("check-config")
    assert r.returncode == 1, r.stdout + r.stderr
    unknown_line, type_line = len(good) + 1, len(good) + 2
    assert f"{d.conf}:{unknown_line}:" in r.stderr, r.stderr
    assert "no_such_key" in r.stderr, r.stderr
    assert f"{d.conf}:{type_line}:" in r.stderr, r.stderr
    assert "max_line" in r.stderr, r.stderr
    assert not sanitizer_report(r.stderr), r.stderr


def test_check_config_reports_syntax_error_line(make_daemon):
    d = make_daemon(start=False)
    d.conf.write_text('port = 2222;\nlisten_address = "127.0.0.1"\nport = ;\n',
                      encoding="utf-8")
    r = d.run("check-config")
    assert r.returncode == 1, r.stdout + r.stderr
    assert re.search(rf"{re.escape(str(d.conf))}:[23]:", r.stderr), r.stderr


def test_check_config_unreadable_file(tmp_path):
    require_binary(JXJYD)
    missing = tmp_path / "nope.conf"
    r = subprocess.run([str(JXJYD), "-f", str(missing), "check-config"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert str(missing) in r.stderr


def test_migrations_applied_twice_are_a_no_op(make_daemon, postgres):
    d = make_daemon(migrated=False, start=False)
    files = schema_files(SCHEMA_DIR)
    assert "001-reference.sql" in files

    first = d.migrate()
    for name in files:
        assert name in first.stdout, f"{name} not reported as applied:\n{first.stdout}"
    before = postgres.psql(d.dbname, "SELECT * FROM schema_migrations ORDER BY 1")
    assert len(before.splitlines()) == len(files)

    second = d.migrate()
    for name in files:
        assert name not in second.stdout, f"{name} applied again:\n{second.stdout}"
    after = postgres.psql(d.dbname, "SELECT * FROM schema_migrations ORDER BY 1")
    assert after == before

    # The reference data arrived with the first run, once.
    assert postgres.psql(d.dbname, "SELECT count(*) FROM ethnicities").strip() == "56"
    assert postgres.psql(d.dbname, "SELECT name FROM regions WHERE code = '410100'"
                         ).strip() == "郑州市"


def test_tampered_migration_is_refused(make_daemon, copy_schema):
    d = make_daemon(migrated=False, start=False, config={"schema_dir": str(copy_schema)})
    d.migrate()
    target = copy_schema / schema_files(copy_schema)[0]
    target.write_text(target.read_text(encoding="utf-8") + "\n-- changed afterwards\n",
                      encoding="utf-8")

    r = d.run("migrate")
    assert r.returncode == 3, f"migrate exited {r.returncode}:\n{r.stdout}{r.stderr}"
    assert target.name in r.stdout + r.stderr

    r = d.run("serve", timeout=30)
    assert r.returncode == 3, f"serve exited {r.returncode}:\n{r.stdout}{r.stderr}"
    assert target.name in r.stdout + r.stderr
    assert not port_accepts(d.port)


def test_unmigrated_database_is_refused_by_serve(make_daemon):
    d = make_daemon(migrated=False, start=False)
    r = d.run("serve", timeout=30)
    assert r.returncode == 3, f"serve exited {r.returncode}:\n{r.stdout}{r.stderr}"
    assert "database is not migrated" in r.stderr, r.stderr
    assert f"jxjyd -f {d.conf} migrate" in r.stderr, r.stderr


def test_unreachable_database(make_daemon, tmp_path):
    d = make_daemon(start=False, config={
        "database": {"conninfo": f"host={tmp_path} port=1 dbname=none user=nobody"}})
    r = d.run("migrate", timeout=60)
    assert r.returncode == 2, f"migrate exited {r.returncode}:\n{r.stdout}{r.stderr}"


def test_host_key_is_created_with_mode_0600(daemon):
    assert daemon.host_key.exists()
    mode = stat.S_IMODE(daemon.host_key.stat().st_mode)
    assert mode == 0o600, oct(mode)
    # It is an ed25519 key, and the one the daemon presents.
    pub = subprocess.run(["ssh-keygen", "-y", "-f", str(daemon.host_key)],
                         capture_output=True, text=True, timeout=30)
    assert pub.returncode == 0, pub.stderr
    assert pub.stdout.startswith("ssh-ed25519 "), pub.stdout
    scan = subprocess.run(["ssh-keyscan", "-t", "ed25519", "-p", str(daemon.port),
                           "127.0.0.1"], capture_output=True, text=True, timeout=30)
    assert pub.stdout.split()[1] in scan.stdout, scan.stdout + scan.stderr


# --- RPC over both SSH clients ---------------------------------------------------------

def check_hello(session, lang):
    result = session.result("system.hello", {"client": "pytest 0", "lang": lang})
    assert result == {"server": "jxjyd", "version": project_version(), "protocol": 1,
                      "lang": lang}


def test_hello_through_openssh(daemon):
    with daemon.rpc() as s:
        check_hello(s, "en")
        assert s.result("system.ping") == {"pong": True}
        assert s.close() == 0, s.stderr()


def test_hello_through_libssh_client(daemon, tmp_path):
    known_hosts = tmp_path / "known_hosts"
    with daemon.rpc_libssh(known_hosts) as s:
        check_hello(s, "zh")
        assert s.result("system.ping") == {"pong": True}
        assert s.close() == 0, s.stderr()
    # --accept-new recorded the host key; a second run connects with it.
    assert known_hosts.exists() and known_hosts.stat().st_size > 0
    with daemon.rpc_libssh(known_hosts) as s:
        assert s.result("system.ping") == {"pong": True}
        assert s.close() == 0, s.stderr()


def test_libssh_client_refuses_a_changed_host_key(daemon, tmp_path):
    known_hosts = tmp_path / "known_hosts"
    other = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)],
                   check=True, timeout=30)
    pub = (tmp_path / "other_key.pub").read_text().split()
    known_hosts.write_text(f"[localhost]:{daemon.port} {pub[0]} {pub[1]}\n"
                           f"[127.0.0.1]:{daemon.port} {pub[0]} {pub[1]}\n"
                           f"[::1]:{daemon.port} {pub[0]} {pub[1]}\n")
    with daemon.rpc_libssh(known_hosts) as s:
        assert s.close(timeout=30) == 3, s.stderr()
        assert s.lines.get(timeout=5) is None, "output despite a refused host key"


def test_ping_without_hello_defaults_to_chinese(daemon):
    with daemon.rpc() as s:
        assert s.result("system.ping") == {"pong": True}
        reply = s.call("no.such.method")
        assert reply["error"]["code"] == -32601
        assert CJK.search(reply["error"]["message"]), reply


def test_pipelined_requests_all_answered_in_order(daemon):
    with daemon.rpc() as s:
        for i in range(1, 51):
            s.send({"jsonrpc": "2.0", "id": i, "method": "system.ping"})
        ids = [s.read()["id"] for _ in range(50)]
        assert sorted(ids) == list(range(1, 51))


# --- malformed input: an error reply, and the session goes on ----------------------------

MALFORMED = [
    # (name, raw bytes sent, expected code, reason, acceptable ids, expected data.field)
    # JSON-RPC lets a server answer null when it could not tell the request's id.  The
    # reasons are those of docs/protocol.md.
    ("garbage", b"this is not json\n", -32700, "parse_error", (None,), None),
    ("truncated_json", b'{"jsonrpc": "2.0", "id": 9, "method": \n', -32700, "parse_error",
     (None,), None),
    ("invalid_utf8",
     b'{"jsonrpc":"2.0","id":5,"method":"system.hello","params":{"client":"\xff\xfe"}}\n',
     -32700, "invalid_utf8", (None, 5), None),
    ("unknown_method", b'{"jsonrpc":"2.0","id":6,"method":"no.such"}\n',
     -32601, "method_not_found", (6,), None),
    ("wrong_param_type",
     b'{"jsonrpc":"2.0","id":7,"method":"system.hello","params":{"client":42}}\n',
     -32602, "param_type", (7,), "client"),
    ("wrong_lang_type",
     b'{"jsonrpc":"2.0","id":8,"method":"system.hello","params":{"lang":["zh"]}}\n',
     -32602, "param_type", (8,), "lang"),
    ("unknown_param",
     b'{"jsonrpc":"2.0","id":9,"method":"system.ping","params":{"bogus":1}}\n',
     -32602, "param_unknown", (9,), "bogus"),
    ("missing_param", b'{"jsonrpc":"2.0","id":14,"method":"debug.sleep","params":{}}\n',
     -32602, "required", (14,), "ms"),
    ("params_not_object", b'{"jsonrpc":"2.0","id":15,"method":"system.hello","params":7}\n',
     -32600, "invalid_request", (15, None), None),
    ("missing_jsonrpc", b'{"id":10,"method":"system.ping"}\n',
     -32600, "invalid_request", (10, None), None),
    ("wrong_jsonrpc", b'{"jsonrpc":"1.0","id":11,"method":"system.ping"}\n',
     -32600, "invalid_request", (11, None), None),
    ("method_not_string", b'{"jsonrpc":"2.0","id":12,"method":5}\n',
     -32600, "invalid_request", (12, None), None),
    ("batch", b'[{"jsonrpc":"2.0","id":13,"method":"system.ping"}]\n',
     -32600, "invalid_request", (None,), None),
    # Valid JSON but no request object: JSON-RPC 2.0's own example answers "1" with -32600.
    ("scalar", b'42\n', -32600, "invalid_request", (None,), None),
]


@pytest.mark.parametrize("raw,code,reason,want_ids,field",
                         [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed_request_gets_error_and_session_survives(daemon, raw, code, reason,
                                                           want_ids, field):
    with daemon.rpc() as s:
        check_hello(s, "en")
        s.send_raw(raw)
        reply = s.read()
        assert "result" not in reply, reply
        err = reply["error"]
        assert err["code"] == code, reply
        assert err["data"]["reason"] == reason, reply
        assert reply["id"] in want_ids, reply
        if field is not None:
            assert err["data"].get("field") == field, reply
        # The session asked for English.
        assert isinstance(err["message"], str) and err["message"], reply
        assert not CJK.search(err["message"]), reply
        assert s.result("system.ping") == {"pong": True}
        assert s.close() == 0, s.stderr()


def test_line_over_max_line_is_refused_and_session_survives(make_daemon):
    d = make_daemon(config={"sessions": {"max_line": 4096}})
    with d.rpc() as s:
        pad = "x" * 6000
        s.send_raw(b'{"jsonrpc":"2.0","id":1,"method":"system.hello","params":{"client":"'
                   + pad.encode() + b'"}}\n')
        reply = s.read()
        assert reply["id"] is None, reply
        assert reply["error"]["code"] == -32006, reply
        assert reply["error"]["data"]["reason"] == "line_too_long", reply
        # A line just under the limit still goes through.
        ok = s.result("system.hello", {"client": "y" * 3000})
        assert ok["server"] == "jxjyd"
        assert s.result("system.ping") == {"pong": True}
        assert s.close() == 0, s.stderr()


def test_notification_gets_no_reply(daemon):
    with daemon.rpc() as s:
        s.notify("system.ping")
        s.notify("no.such.method")
        s.send({"jsonrpc": "2.0", "id": 77, "method": "system.ping"})
        reply = s.read()
        assert reply["id"] == 77 and reply["result"] == {"pong": True}, reply
        s.expect_silence(0.5)


def test_debug_sleep(daemon):
    with daemon.rpc() as s:
        t0 = time.monotonic()
        assert s.result("debug.sleep", {"ms": 300}) == {"slept": 300}
        assert time.monotonic() - t0 >= 0.3


def test_debug_methods_off_by_default(make_daemon):
    d = make_daemon(config={"debug_methods": False})
    with d.rpc() as s:
        reply = s.call("debug.sleep", {"ms": 10})
        assert reply["error"]["code"] == -32601, reply


# --- other channel requests --------------------------------------------------------------

def test_shell_commands_and_unknown_subsystems_are_refused(daemon, tmp_path):
    # An exec request is never handed to a shell: the file must not appear.
    target = tmp_path / "created-by-exec"
    base = ["ssh", *SSH_OPTIONS, "-p", str(daemon.port)]
    for argv in (base + ["localhost", f"touch {target}"],
                 base + ["localhost", "sh", "-c", f"'echo x > {target}'"],
                 base + ["-s", "localhost", "jxjy-rpc-nope"],
                 base + ["-s", "localhost", "no-such-subsystem"]):
        r = subprocess.run(argv, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
        assert r.returncode != 0, f"{argv} was accepted: {r.stdout!r}"
        assert not target.exists(), f"{argv} ran a shell command"
    with daemon.rpc() as s:
        assert s.result("system.ping") == {"pong": True}


def test_many_sessions_at_once(daemon):
    sessions = [daemon.rpc() for _ in range(12)]
    try:
        for s in sessions:
            s.send({"jsonrpc": "2.0", "id": 1, "method": "system.ping"})
        for s in sessions:
            assert s.read()["result"] == {"pong": True}
    finally:
        for s in sessions:
            s.kill()


# --- draining ----------------------------------------------------------------------------

def wait_for_sleeping_query(postgres, dbname, timeout=10):
    """Wait until a pg_sleep runs in dbname: the request is then truly in flight."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = postgres.psql(dbname, "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                          f"'{dbname}' AND state = 'active' AND query LIKE '%pg_sleep%' "
                          "AND pid <> pg_backend_pid()")
        if int(n) > 0:
            return
        time.sleep(0.05)
    raise AssertionError("debug.sleep never reached the database")


def test_sigterm_drains_requests_in_flight(make_daemon, postgres):
    d = make_daemon()
    with d.rpc() as s:
        check_hello(s, "en")
        s.send({"jsonrpc": "2.0", "id": 1, "method": "debug.sleep", "params": {"ms": 1500}})
        wait_for_sleeping_query(postgres, d.dbname)
        mark = len(d.stderr_text())
        d.signal(signal.SIGTERM)
        d.wait_log(r"signal \d+: stopping", after=mark)
        # No new session while draining.
        late = subprocess.run(openssh_rpc_argv(d.port), input=b'{"jsonrpc":"2.0","id":1,'
                              b'"method":"system.ping"}\n', capture_output=True, timeout=30)
        assert b'"pong"' not in late.stdout, late.stdout
        reply = s.read(timeout=15)
        assert reply["id"] == 1 and reply.get("result") == {"slept": 1500}, reply
    rc = d.wait(timeout=30)
    d.assert_clean_exit(rc)
    assert not port_accepts(d.port)
