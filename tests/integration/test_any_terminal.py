"""Any terminal: the TUI served to plain OpenSSH, login by SSH key, the API for scripts,
`ssh host COMMAND`, uploads by scp into a session's inbox, and connection limits under a
flood -- all on the real daemon, driven by the real OpenSSH client.

Keys are made here with ssh-keygen; ssh never consults an agent or the user's own keys
(IdentitiesOnly, IdentityAgent=none), so what logs in is exactly the key a test names.
"""

import csv
import hashlib
import io
import os
import re
import select
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import JXJY, SSH_OPTIONS, Daemon, RpcSession, _die_with_parent, require_binary
from helpers import (CONFLICT, DEMO_PASSWORD, INVALID_INPUT, NOT_FOUND, NOT_PERMITTED,
                     NO_AGENT, Accounts, Sql, expect_error, id_number, key_rpc, logged_in,
                     make_key, on_duty, pty_ssh, sex_code, ssh_exec)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "e2e"))
from tmux import Tmux  # noqa: E402

NOTES = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


# --- keys and ssh ---------------------------------------------------------------------

def openssh_fingerprint(pub_line, tmp_path):
    """The fingerprint ssh-keygen -l prints for a public key line."""
    f = Path(tmp_path) / f"fp-{hashlib.md5(pub_line.encode()).hexdigest()}.pub"
    f.write_text(pub_line + "\n")
    out = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", str(f)],
                         capture_output=True, text=True, check=True, timeout=30).stdout
    return out.split()[1]


# --- the world ----------------------------------------------------------------------------

ADMIN_ID = id_number(born=None)


@pytest.fixture(scope="module")
def keydir(tmp_path_factory):
    return tmp_path_factory.mktemp("keys")


@pytest.fixture(scope="module")
def site(postgres, migrated_template, tmp_path_factory, keydir):
    """A daemon whose config provisions one unit administrator with a key, and its world."""
    db = postgres.new_database(template=migrated_template)
    acc = Accounts(postgres, db, "AT")
    depts = acc.add_unit("ATU", "任意终端测试单位", departments=("信息中心", "财务科"))
    acc.add_unit("ATV", "另一个测试单位", departments=("办公室",))
    admin_key, admin_pub = make_key(keydir, "admin")
    d = Daemon(tmp_path_factory.mktemp("jxjyd-any"), postgres, db, config={
        "declarations": {"max_attachment": 1048576},
    })
    # unit_admins is a list of groups, which render_config cannot write: appended by hand.
    with open(d.conf, "a", encoding="utf-8") as f:
        f.write(f'unit_admins = ( {{ id_number = "{ADMIN_ID}"; name = "任意终端管理员"; '
                f'unit = "ATU"; keys = [ "{admin_pub}" ]; }} );\n')
    d.start()
    w = {"d": d, "acc": acc, "db": db, "dept": depts["信息中心"], "dept2": depts["财务科"],
         "admin_key": admin_key, "admin_pub": admin_pub, "keydir": keydir}
    yield w
    d.stop()


def add_staff(site, name="王小明", unit="ATU", dept=None, **cols):
    """An active staff account with DEMO_PASSWORD; returns (account id, ID number)."""
    idn = id_number()
    return site["acc"].add_staff(unit, name, dept or site["dept"], idn=idn,
                                 sex=sex_code(idn), **cols)


def add_pending(site, name, unit="ATU", minutes_ago=0):
    idn = id_number()
    site["acc"].insert("accounts", id_number=idn, name=name, unit_code=unit,
                       department_id=site["dept"], sex=sex_code(idn),
                       submitted_at=Sql(f"now() - interval '{minutes_ago} minutes'"))
    return idn


@pytest.fixture(scope="module")
def staff(site):
    """A staff member who registered a key through keys.add after a password login."""
    key, pub = make_key(site["keydir"], "staff")
    aid, idn = add_staff(site, "李建华")
    with logged_in(site["d"], idn) as s:
        item = s.result("keys.add", {"key": pub, "password": DEMO_PASSWORD})
    return {"id": aid, "idn": idn, "key": key, "pub": pub, "item": item}


# --- the served TUI -------------------------------------------------------------------------

def tui_ssh_command(port, *extra):
    opts = " ".join(["-F /dev/null", "-o StrictHostKeyChecking=no",
                     "-o UserKnownHostsFile=/dev/null", "-o LogLevel=ERROR",
                     "-o IdentityAgent=none", "-o IdentitiesOnly=yes", *extra])
    return f"ssh -tt {opts} -p {port} localhost; echo EXITED=$?"


def test_served_tui_login_keys_resize_quit(site, tmp_path):
    require_binary(JXJY)
    term = Tmux(tmp_path, 100, 30)
    try:
        term.send_line(tui_ssh_command(site["d"].port))
        screen = term.wait_for(lambda s: "身份证号" in s and "密码" in s,
                               what="the Chinese login screen")
        assert "登录" in screen and "注册" in screen
        # Keys reach the TUI: the ID number typed shows in its field.
        term.send_keys("-l", "41010519")
        term.wait_for("41010519", what="the typed ID number")
        # A resize reaches it: the frame is redrawn for the new size, and the form moves
        # with it.  Judged on one snapshot: the TUI may be caught between two redraws.
        before = term.screen()
        old_row = next(i for i, line in enumerate(before) if "身份证号" in line)
        old_place = (old_row, before[old_row].index("身份证号"))

        def label_place(text):
            rows = text.split("\n")
            for i, line in enumerate(rows):
                if "身份证号" in line:
                    return (i, line.index("身份证号"))
            return None

        term.resize(120, 40)
        term.wait_for(lambda s: len(s.split("\n")) >= 40 and "41010519" in s
                      and label_place(s) not in (None, old_place),
                      what="the login form redrawn at 120x40 in a new place")
        # F10 quits: the TUI ends, and so does the SSH session, with status 0.
        term.send_keys("F10")
        text = term.wait_for(lambda s: re.search(r"^EXITED=\d+$", s, re.M), what="ssh to exit")
        assert re.search(r"^EXITED=0$", text, re.M), text
    finally:
        term.kill()


def test_served_tui_in_english_by_sendenv(site, tmp_path):
    term = Tmux(tmp_path, 100, 30, env={"JXJY_LANG": "en"})
    try:
        term.send_line(tui_ssh_command(site["d"].port, "-o SendEnv=JXJY_LANG"))
        term.wait_for(lambda s: re.search(r"Password", s) is not None,
                      what="the English login screen")
        term.send_keys("F10")
        term.wait_for(lambda s: re.search(r"^EXITED=0$", s, re.M), what="ssh to exit 0")
    finally:
        term.kill()


def test_served_tui_logs_in_by_key(site, staff, tmp_path):
    """A key registered for an ID number skips the login screen of the served TUI."""
    term = Tmux(tmp_path, 100, 30)
    try:
        term.send_line(tui_ssh_command(site["d"].port, f"-i {staff['key']}")
                       .replace("localhost", f"{staff['idn']}@localhost"))
        screen = term.wait_for(lambda s: "用户资料管理" in s, what="the staff home screen")
        assert "验证码" not in screen
        term.send_keys("F10")
        term.wait_for(lambda s: re.search(r"^EXITED=0$", s, re.M), what="ssh to exit 0")
    finally:
        term.kill()


class PtySsh:
    """`ssh -tt` to the daemon on a pty of its own, as a person's terminal is."""

    def __init__(self, port):
        self.master, self.proc = pty_ssh(port, "xterm-256color", (100, 30))
        self.buf = bytearray()

    def wait_for(self, needle, timeout=30):
        deadline = time.monotonic() + timeout
        while needle not in self.buf:
            left = deadline - time.monotonic()
            assert left > 0, f"{needle!r} never came: {bytes(self.buf[-300:])!r}"
            r, _, _ = select.select([self.master], [], [], left)
            if r:
                try:
                    self.buf += os.read(self.master, 65536)
                except OSError:
                    break

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        os.close(self.master)


def terminals_of(pid):
    """The pty devices (slaves and /dev/ptmx masters) among pid's descriptors."""
    found = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("/dev/pts/") or target == "/dev/ptmx":
            found.append((int(fd), target))
    return sorted(found)


def test_served_sessions_opened_together_each_end_with_their_tui(make_daemon):
    # Sessions started at the same moment fork their TUIs at the same moment.  Each TUI
    # must hold its own terminal only: jxjyd once used forkpty, whose descriptors a fork
    # in another session thread could pass on to that session's TUI, which then kept the
    # first session open after its own TUI had quit.  The race is narrow, so many
    # sessions start together, twice.
    d = make_daemon(config={"security": {"captcha": "always"}})
    for _ in range(2):
        terms = [PtySsh(d.port) for _ in range(16)]
        try:
            for t in terms:
                t.wait_for("身份证号".encode())
            kids = subprocess.run(["pgrep", "-P", str(d.proc.pid)], capture_output=True,
                                  text=True, timeout=10).stdout.split()
            assert len(kids) == len(terms), kids
            for kid in kids:
                held = terminals_of(kid)
                assert [fd for fd, _ in held] == [0, 1, 2], f"jxjy {kid} holds {held}"
            # F10 in each, in turn: each ssh exits with its TUI, whatever the others do.
            for i, t in enumerate(terms):
                os.write(t.master, b"\x1b[21~")
                try:
                    assert t.proc.wait(timeout=15) == 0
                except subprocess.TimeoutExpired:
                    pytest.fail(f"session {i + 1} of {len(terms)} outlived its TUI")
        finally:
            for t in terms:
                t.close()
    d.stop()


def test_shell_without_pty_is_refused(site):
    r = subprocess.run(["ssh", *SSH_OPTIONS, *NO_AGENT, "-T", "-p", str(site["d"].port),
                        "localhost"], input=b"", capture_output=True, timeout=30)
    assert r.returncode != 0


# --- keys.* ---------------------------------------------------------------------------------

def test_keys_add_lists_fingerprint_as_openssh(site, staff, tmp_path):
    item = staff["item"]
    assert item["type"] == "ssh-ed25519"
    assert item["fingerprint"] == openssh_fingerprint(staff["pub"], tmp_path)
    assert item["comment"] == "staff@test"
    assert item["source"] == "user" and item["removable"] is True
    with logged_in(site["d"], staff["idn"]) as s:
        items = s.result("keys.list")["items"]
    assert [i["fingerprint"] for i in items] == [item["fingerprint"]]
    # The audit trail names the key.
    actions = site["acc"].rows(f"SELECT action, reason FROM account_audit "
                               f"WHERE account_id = {staff['id']} AND action LIKE 'key_%'")
    assert ["key_add", item["fingerprint"]] in actions


BAD_KEYS = [
    ("", "required"),                  # nothing pasted: said what to do
    ("ssh-ed25519", "key_invalid"),
    ("ssh-ed25519 AAAA!!notbase64", "key_invalid"),
    ("hello world", "key_invalid"),
    ("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "key_type_unsupported"),
    ("ssh-ed25519-cert-v01@openssh.com AAAA", "key_type_unsupported"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n", "key_private"),
    ("ssh-ed25519 " + "A" * 9000, "key_too_long"),
]


@pytest.mark.parametrize("line,reason", BAD_KEYS)
def test_keys_add_refuses_what_is_no_public_key(site, line, reason):
    _, idn = add_staff(site, "赵六")
    with logged_in(site["d"], idn) as s:
        expect_error(s.call("keys.add", {"key": line}), INVALID_INPUT, reason, "key")
        assert s.result("keys.list")["items"] == []


def test_keys_add_checks_the_blob_type_and_rsa_size(site, tmp_path):
    _, idn = add_staff(site, "钱七")
    _, pub = make_key(tmp_path, "typed")
    blob = pub.split()[1]
    with logged_in(site["d"], idn) as s:
        # The line says RSA, the blob is ed25519.
        expect_error(s.call("keys.add", {"key": f"ssh-rsa {blob} x"}), INVALID_INPUT,
                     "key_type_mismatch", "key")
        # A truncated blob is no key.
        expect_error(s.call("keys.add", {"key": f"ssh-ed25519 {blob[:40]}"}), INVALID_INPUT,
                     "key_invalid", "key")
        small = tmp_path / "rsa1024"
        subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "1024", "-N", "", "-f",
                        str(small)], check=True, timeout=60)
        expect_error(s.call("keys.add", {"key": (tmp_path / "rsa1024.pub").read_text()}),
                     INVALID_INPUT, "key_too_short", "key")
        # Blanks and a trailing newline around a pasted line are fine.
        ok = s.result("keys.add", {"key": f"  {pub}\n", "password": DEMO_PASSWORD})
        assert ok["fingerprint"] == openssh_fingerprint(pub, tmp_path)


def test_key_taken_by_anyone_is_a_conflict(site, staff):
    # Confirmed by its first login with it (until then another account's copy blocks
    # nobody: test_hardening_keys.py), the key is taken for everyone else.
    with key_rpc(site["d"], staff["idn"], staff["key"]) as s:
        s.result("session.whoami")
    _, other = add_staff(site, "孙八")
    with logged_in(site["d"], other) as s:
        err = expect_error(s.call("keys.add", {"key": staff["pub"], "password": DEMO_PASSWORD}),
                           CONFLICT, "key_taken", "key")
        assert err["data"]["own"] is False
        # The administrator's config key is taken too.
        expect_error(s.call("keys.add", {"key": site["admin_pub"], "password": DEMO_PASSWORD}),
                     CONFLICT, "key_taken")
    with logged_in(site["d"], staff["idn"]) as s:
        err = expect_error(s.call("keys.add", {"key": staff["pub"], "password": DEMO_PASSWORD}),
                           CONFLICT, "key_taken")
        assert err["data"]["own"] is True


def test_keys_remove_own_only(site, tmp_path):
    _, a = add_staff(site, "周九")
    _, b = add_staff(site, "吴十")
    _, pub = make_key(tmp_path, "removable")
    with logged_in(site["d"], a) as s:
        kid = s.result("keys.add", {"key": pub, "password": DEMO_PASSWORD})["id"]
    with logged_in(site["d"], b) as s:
        expect_error(s.call("keys.remove", {"id": kid}), NOT_FOUND, "key_not_found")
    with logged_in(site["d"], a) as s:
        assert s.result("keys.remove", {"id": kid}) == {"removed": kid}
        assert s.result("keys.list")["items"] == []
        expect_error(s.call("keys.remove", {"id": kid}), NOT_FOUND, "key_not_found")
    # Once removed it may be registered again, by anyone.
    with logged_in(site["d"], b) as s:
        s.result("keys.add", {"key": pub, "password": DEMO_PASSWORD})


def test_config_keys_are_listed_not_removable(site, tmp_path):
    with key_rpc(site["d"], ADMIN_ID, site["admin_key"]) as s:
        items = s.result("keys.list")["items"]
        assert len(items) == 1
        k = items[0]
        assert k["source"] == "config" and k["removable"] is False
        assert k["fingerprint"] == openssh_fingerprint(site["admin_pub"], tmp_path)
        expect_error(s.call("keys.remove", {"id": k["id"]}), NOT_PERMITTED, "key_from_config")
        # An administrator may add a key of their own beside it.
        _, pub = make_key(tmp_path, "admin-own")
        assert s.result("keys.add", {"key": pub})["source"] == "user"  # no password to ask


def test_keys_need_a_login(site):
    with site["d"].rpc() as s:
        for method, params in [("keys.list", {}), ("keys.add", {"key": "x"}),
                               ("keys.remove", {"id": 1}), ("inbox.open", {})]:
            expect_error(s.call(method, params), NOT_PERMITTED, "login_required")


# --- login by key --------------------------------------------------------------------------

def test_staff_key_logs_in_without_password_or_captcha(site, staff):
    with key_rpc(site["d"], staff["idn"], staff["key"]) as s:
        who = s.result("session.whoami")
        assert who["account"]["id_number"] == staff["idn"]
        assert who["account"]["role"] == "staff"
        s.result("keys.list")
    log = site["d"].stderr_text()
    assert f"account {staff['id']} logged in by SSH key" in log


def test_staff_key_logs_in_through_the_jxjy_client(site, staff, tmp_path):
    require_binary(JXJY)
    argv = [str(JXJY), "--rpc", "--accept-new", "-k", str(tmp_path / "known_hosts"),
            "-p", str(site["d"].port), "-i", str(staff["key"]), "-u", staff["idn"],
            "localhost"]
    with RpcSession(argv) as s:
        assert s.result("session.whoami")["account"]["id_number"] == staff["idn"]
        assert s.close() == 0


def test_admin_from_config_logs_in_by_key(site):
    add_pending(site, "待审核甲")
    with key_rpc(site["d"], ADMIN_ID, site["admin_key"]) as s:
        who = s.result("session.whoami")
        assert who["account"]["role"] == "unit_admin"
        assert who["account"]["unit"]["code"] == "ATU"
        assert s.result("review.registrations")["pending_total"] >= 1


def test_unregistered_key_falls_back_to_a_guest(site, staff, tmp_path):
    other, _ = make_key(tmp_path, "stranger")
    with key_rpc(site["d"], staff["idn"], other) as s:
        expect_error(s.call("session.whoami"), NOT_PERMITTED, "login_required")
        # ... who may still log in the normal way.
        s.result("session.login", {"id_number": staff["idn"], "password": DEMO_PASSWORD})
        assert s.result("session.whoami")["account"]["id_number"] == staff["idn"]


def test_key_of_a_with_the_id_number_of_b_is_a_guest(site, staff, tmp_path):
    # B with keys of their own: A's key is tried, refused, and B is a guest.
    _, b_pub = make_key(tmp_path, "b")
    _, b = add_staff(site, "郑十一")
    with logged_in(site["d"], b) as s:
        s.result("keys.add", {"key": b_pub, "password": DEMO_PASSWORD})
    with key_rpc(site["d"], b, staff["key"]) as s:
        expect_error(s.call("session.whoami"), NOT_PERMITTED, "login_required")
        expect_error(s.call("keys.list"), NOT_PERMITTED, "login_required")
    # B without keys: nothing asks for a key at all; still a guest.
    _, c = add_staff(site, "冯十二")
    with key_rpc(site["d"], c, staff["key"]) as s:
        expect_error(s.call("session.whoami"), NOT_PERMITTED, "login_required")
    # The administrator's key with a staff member's ID number: a guest too.
    with key_rpc(site["d"], staff["idn"], site["admin_key"]) as s:
        expect_error(s.call("session.whoami"), NOT_PERMITTED, "login_required")


def test_key_of_a_disabled_account_does_not_log_in(site, tmp_path):
    key, pub = make_key(tmp_path, "disabled")
    aid, idn = add_staff(site, "陈十三")
    with logged_in(site["d"], idn) as s:
        s.result("keys.add", {"key": pub, "password": DEMO_PASSWORD})
    site["acc"].sql(f"UPDATE accounts SET state = 'disabled' WHERE id = {aid}")
    with key_rpc(site["d"], idn, key) as s:
        expect_error(s.call("session.whoami"), NOT_PERMITTED, "login_required")


def test_guest_may_call_only_login_and_registration(site):
    with site["d"].rpc() as s:
        for method in ("session.whoami", "review.registrations", "keys.list", "inbox.list",
                       "account.change_password"):
            expect_error(s.call(method), NOT_PERMITTED, "login_required")
        s.result("system.ping")
        s.result("captcha.new")
        assert s.result("ref.regions")["items"]


# --- ssh host COMMAND --------------------------------------------------------------------

def exec_admin(site, command, **kw):
    return ssh_exec(site["d"], ADMIN_ID, site["admin_key"], command, **kw)


def text_columns(line):
    """Display columns where each field of an aligned text line starts."""
    cols, col, prev_blank = [], 0, 2
    for ch in line:
        if ch != " " and prev_blank >= 2:
            cols.append(col)
        prev_blank = prev_blank + 1 if ch == " " else 0
        col += 2 if ord(ch) > 0x2e80 else 1
    return cols


def test_exec_help_and_whoami(site):
    rc, out, err = exec_admin(site, "help")
    text = out.decode()
    assert rc == 0, err
    for cmd in ("whoami", "queue [--csv]", "queue titles", "queue declarations",
                "staff [--csv]", "report YEAR [--csv]"):
        assert cmd in text
    assert "\r" not in text
    rc, out, _ = exec_admin(site, "whoami")
    assert rc == 0
    assert ADMIN_ID in out.decode() and "任意终端管理员" in out.decode()


def test_exec_queue_text_is_aligned_and_csv_is_rfc4180(site):
    names = ["欧阳娜娜", "Li, \"Jr\"", "=HYPERLINK(1)"]
    idns = [add_pending(site, n, minutes_ago=100 + i) for i, n in enumerate(names)]
    add_pending(site, "别的单位的人", unit="ATV")
    rc, out, err = exec_admin(site, "queue")
    assert rc == 0, err
    lines = out.decode().rstrip("\n").split("\n")
    assert lines[0].split() == ["提交时间", "身份证号", "姓名", "性别", "部门"]
    rows = [ln for ln in lines if any(i in ln for i in idns)]
    assert len(rows) == 3
    # Every row's columns start where the heading's do (CJK counted double).
    heads = text_columns(lines[0])
    for ln in rows:
        assert text_columns(ln)[:3] == heads[:3], f"{lines[0]!r}\n{ln!r}"
    assert "别的单位的人" not in out.decode()
    assert re.search(r"共 \d+ 条", lines[-1])

    rc, out, _ = exec_admin(site, "queue --csv")
    assert rc == 0
    raw = out.decode("utf-8")
    assert not raw.startswith("\ufeff") and "\r" not in raw
    table = list(csv.reader(io.StringIO(raw)))
    assert table[0] == ["提交时间", "身份证号", "姓名", "性别", "部门"]
    by_idn = {r[1]: r for r in table[1:]}
    assert by_idn[idns[0]][2] == "欧阳娜娜"
    assert by_idn[idns[1]][2] == 'Li, "Jr"'
    assert by_idn[idns[2]][2] == "'=HYPERLINK(1)"        # never a formula
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$", by_idn[idns[0]][0])
    assert by_idn[idns[0]][4] == "信息中心"

    rc, out, _ = exec_admin(site, "queue --csv --bom")
    assert rc == 0 and out.startswith(b"\xef\xbb\xbf")


def test_exec_staff_and_english(site):
    add_staff(site, "蒋十四", phone="13900001111")
    rc, out, _ = exec_admin(site, "staff --csv")
    assert rc == 0
    table = list(csv.reader(io.StringIO(out.decode())))
    assert table[0][:4] == ["身份证号", "姓名", "性别", "部门"]
    row = next(r for r in table if r[1] == "蒋十四")
    assert row[5] == "13900001111"
    assert all(r[1] != "任意终端管理员" for r in table)
    rc, out, _ = exec_admin(site, "staff", env={"JXJY_LANG": "en"})
    assert rc == 0 and out.decode().split("\n")[0].split()[:2] == ["id_number", "name"]


def test_exec_queue_titles_and_declarations(site):
    for command in ("queue titles", "queue declarations"):
        rc, out, err = exec_admin(site, command)
        text = out.decode()
        # Either the table (schema 003/004 present) or "not available", never a crash.
        assert (rc == 0 and re.search(r"共 \d+ 条", text)) or \
            (rc == 1 and "尚未启用" in text), (command, rc, text, err)


def test_exec_report_year(site):
    aid, idn = add_staff(site, "韩十五")
    acc = site["acc"]
    have = acc.value("SELECT to_regclass('declaration_totals') IS NOT NULL") == "t"
    if have:
        acc.sql("INSERT INTO declaration_totals (account_id, year, form_code, category, "
                f"approved_hours, pending_hours) VALUES ({aid}, 2025, 'training', "
                f"'professional', 64, 0), ({aid}, 2025, 'public_course', 'public', 30, 4)")
    rc, out, err = exec_admin(site, "report 2025 --csv")
    if not have:
        assert rc == 1 and "尚未启用" in out.decode()
        return
    assert rc == 0, err
    table = list(csv.reader(io.StringIO(out.decode())))
    assert table[0] == ["身份证号", "姓名", "部门", "公需学时", "专业学时", "合计学时",
                        "要求学时", "待审学时", "是否完成"]
    row = next(r for r in table if r[0] == idn)
    assert row[3:] == ["30", "64", "94", "90", "4", "是"]
    rc, out, _ = exec_admin(site, "report 2025")
    assert rc == 0 and "已完成" in out.decode()
    rc, out, _ = exec_admin(site, "report 25")
    assert rc == 1 and "四位数字" in out.decode()


@pytest.mark.parametrize("command", ["rm -rf /", "queue --delete", "report", "bash",
                                     "queue titles extra", "\x1b[31mred"])
def test_exec_refuses_anything_else_with_the_list(site, command):
    rc, out, _ = exec_admin(site, command)
    text = out.decode()
    assert rc == 1
    assert "不认识的命令" in text and "report YEAR [--csv]" in text
    assert "\x1b" not in text


def test_exec_needs_an_admin_key(site, staff, tmp_path):
    # A guest (no key), a staff member's key, an unregistered key: the list, exit 1.
    for user, key in [(None, None), (staff["idn"], staff["key"]),
                      (ADMIN_ID, make_key(tmp_path, "nobody")[0])]:
        rc, out, _ = ssh_exec(site["d"], user, key, "queue")
        assert rc == 1, (user, out)
        assert "单位管理员" in out.decode() and "queue [--csv]" in out.decode()


# --- the inbox: scp and sftp ----------------------------------------------------------------

def scp(site, token, *files, timeout=60):
    argv = ["scp", *SSH_OPTIONS, *NO_AGENT, "-P", str(site["d"].port),
            *[str(f) for f in files], f"{token}@localhost:"]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def inbox_owner(site):
    _, idn = add_staff(site, "卫十六")
    with logged_in(site["d"], idn) as s:
        yield s


def test_scp_into_the_inbox(site, inbox_owner, tmp_path):
    s = inbox_owner
    opened = s.result("inbox.open")
    token = opened["token"]
    assert re.fullmatch(r"inbox-[ACDEFHJKMNPRTUVWXY3479]{10}", token)
    assert opened["command"] == f"scp -P {site['d'].port} FILE {token}@127.0.0.1:"
    assert opened["sftp"] == f"sftp -P {site['d'].port} {token}@127.0.0.1"
    assert opened["limits"] == {"files": 5, "file_size": 1048576}
    assert "FILE" in opened["hint"]
    assert s.result("inbox.open")["token"] == token          # the same inbox again
    assert s.result("inbox.list")["files"] == []

    pdf = tmp_path / "证书扫描.pdf"
    pdf.write_bytes(b"%PDF-1.4\n" + os.urandom(300000))
    r = scp(site, token, pdf)
    assert r.returncode == 0, r.stderr
    files = s.result("inbox.list")["files"]
    assert files == [{"name": "证书扫描.pdf", "size": pdf.stat().st_size,
                      "sha256": hashlib.sha256(pdf.read_bytes()).hexdigest()}]

    # Again under the same name: replaced, not doubled.
    pdf.write_bytes(b"%PDF-1.5\n" + os.urandom(1000))
    assert scp(site, token, pdf).returncode == 0
    files = s.result("inbox.list")["files"]
    assert len(files) == 1 and files[0]["size"] == 1009
    assert files[0]["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()

    # Attached: the file becomes the session's finished upload and leaves the inbox.
    att = s.result("inbox.attach", {"name": "证书扫描.pdf"})
    assert re.fullmatch(r"[0-9a-f]{32}", att["attachment_token"])
    assert att["mime"] == "application/pdf" and att["size"] == 1009
    assert att["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert s.result("inbox.list")["files"] == []
    expect_error(s.call("inbox.attach", {"name": "nothing.pdf"}), NOT_FOUND,
                 "inbox_file_not_found")
    expect_error(s.call("inbox.remove", {"name": "证书扫描.pdf"}), NOT_FOUND,
                 "inbox_file_not_found")

    # What is not a scan, a PDF or a ZIP is refused by content, whatever its name.
    elf = tmp_path / "scan.jpg"
    elf.write_bytes(b"\x7fELF" + os.urandom(500))
    assert scp(site, token, elf).returncode == 0
    expect_error(s.call("inbox.attach", {"name": "scan.jpg"}), INVALID_INPUT,
                 "attachment_type")


def test_sftp_lists_and_removes_and_never_reads(site, inbox_owner, tmp_path):
    s = inbox_owner
    token = s.result("inbox.open")["token"]
    for name in ("a.png", "b.jpg"):
        (tmp_path / name).write_bytes(os.urandom(5000))
    batch = tmp_path / "batch"
    batch.write_text("put a.png\nput b.jpg\nls -1\nrm a.png\nls -1\n")
    r = subprocess.run(["sftp", *SSH_OPTIONS, *NO_AGENT, "-P", str(site["d"].port),
                        "-b", str(batch), f"{token}@localhost"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert [f["name"] for f in s.result("inbox.list")["files"]] == ["b.jpg"]
    # Reading is refused.
    r = subprocess.run(["sftp", *SSH_OPTIONS, *NO_AGENT, "-P", str(site["d"].port),
                        f"{token}@localhost:b.jpg", str(tmp_path / "back.jpg")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and not (tmp_path / "back.jpg").exists()


def test_inbox_limits(site, inbox_owner, tmp_path):
    s = inbox_owner
    token = s.result("inbox.open")["token"]
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF" + os.urandom(1048576))       # one byte over the limit
    r = scp(site, token, big)
    assert r.returncode != 0
    assert [f["name"] for f in s.result("inbox.list")["files"]] in ([], ["big.pdf"]) \
        and all(f["size"] <= 1048576 for f in s.result("inbox.list")["files"])
    s.call("inbox.remove", {"name": "big.pdf"})
    small = []
    for i in range(6):
        p = tmp_path / f"f{i}.jpg"
        p.write_bytes(os.urandom(100))
        small.append(p)
    assert scp(site, token, *small[:5]).returncode == 0
    r = scp(site, token, small[5])
    assert r.returncode != 0
    assert len(s.result("inbox.list")["files"]) == 5


def test_wrong_or_closed_token_is_denied(site, tmp_path):
    f = tmp_path / "x.pdf"
    f.write_bytes(b"%PDF-1.4 x")
    r = scp(site, "inbox-AAAAAAAAAA", f)
    assert r.returncode != 0
    assert "denied" in r.stderr.lower() or "failure" in r.stderr.lower(), r.stderr
    _, idn = add_staff(site, "蒋十七")
    with logged_in(site["d"], idn) as s:
        token = s.result("inbox.open")["token"]
        assert scp(site, token, f).returncode == 0
    # The session that opened it has ended: so has the inbox.
    deadline = time.monotonic() + 10
    while True:
        r = scp(site, token, f)
        if r.returncode != 0 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert r.returncode != 0


def test_attaching_from_the_inbox_is_for_staff(site):
    """An administrator opens an inbox (to fetch the files the daemon makes), but cannot make
    a file of it a declaration's attachment: that is the staff's."""
    with key_rpc(site["d"], ADMIN_ID, site["admin_key"]) as s:
        assert s.result("inbox.open")["token"].startswith("inbox-")
        expect_error(s.call("inbox.attach", {"name": "x.pdf"}), NOT_PERMITTED, "not_permitted")


# --- scripts from the protocol documentation ----------------------------------------------

def doc_scripts():
    """The ```sh blocks that start with "# test:": from docs/protocol.md once the examples
    are merged there, else from the notes they were written in."""
    for path in (Path(__file__).resolve().parents[2] / "docs" / "protocol.md", NOTES):
        if path.exists():
            text = path.read_text(encoding="utf-8")
            found = [m.group(1) for m in re.finditer(r"```sh\n(# test:.*?)```", text, re.S)]
            if found:
                return found
    return []


SCRIPTS = doc_scripts()


@pytest.fixture(scope="module")
def script_env(site, tmp_path_factory):
    """What a script's reader would set up: their host, port, ID number and key; and an
    ssh that trusts the test daemon's host key (a PATH wrapper: OpenSSH ignores $HOME)."""
    d = tmp_path_factory.mktemp("scripts")
    wrap = d / "bin"
    wrap.mkdir()
    opts = " ".join(f"'{o}'" for o in SSH_OPTIONS + NO_AGENT)
    for tool in ("ssh", "scp", "sftp"):
        (wrap / tool).write_text(f"#!/bin/sh\nexec /usr/bin/{tool} {opts} \"$@\"\n")
        (wrap / tool).chmod(0o755)
    env = dict(os.environ, PATH=f"{wrap}:{os.environ['PATH']}", JXJY_HOST="localhost",
               JXJY_PORT=str(site["d"].port), JXJY_ID=ADMIN_ID,
               JXJY_KEY=str(site["admin_key"]))
    return env, d


def test_protocol_scripts_exist():
    assert len(SCRIPTS) >= 6, f"the '# test:' examples are missing ({NOTES}, docs/protocol.md)"


@pytest.mark.parametrize("script", SCRIPTS,
                         ids=[s.splitlines()[0][len("# test: "):][:40] for s in SCRIPTS])
def test_protocol_scripts_run_as_written(site, script_env, script):
    add_pending(site, "脚本待审人")
    env, cwd = script_env
    r = subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=env, cwd=cwd,
                       capture_output=True, text=True, timeout=120)
    title = script.splitlines()[0]
    assert r.returncode == 0, f"{title}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    assert r.stdout.strip(), f"{title}: printed nothing"
    expect = re.search(r"^# expect: (.*)$", script, re.M)
    if expect:
        assert re.search(expect.group(1), r.stdout, re.M), f"{title}\n{r.stdout}"


# --- connection limits under a flood ----------------------------------------------------------

FLOOD = 500


def raw_connect(port, source, results, lock):
    """Connect and say nothing; record whether the server refused at once (its message)."""
    s = socket.socket()
    s.settimeout(10)
    try:
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        data = b""
        try:
            while b"\n" not in data:
                chunk = s.recv(256)
                if not chunk:
                    break
                data += chunk
        except socket.timeout:
            pass
        kind = "refused" if b"too many connections" in data else \
            "ssh" if data.startswith(b"SSH-") else "other"
    except OSError as e:
        kind = f"error:{e.errno}"
    finally:
        # Accepted ones stay open, silent, so that they hold their slot.
        with lock:
            results.append((kind, s))


def test_flood_is_refused_early_and_users_keep_working(make_daemon, postgres):
    # Silent connections are not yet authenticated: max_startups bounds them, and its
    # full (50) is what a flood can hold at most.  The grace time is longer than the
    # flood takes to arrive, also on a loaded machine (starting the 500 threads took more
    # than 3 s there, and slots freed by the grace time were taken again).
    d = make_daemon(config={"sessions": {"max": 50, "max_per_source": 20,
                                         "max_startups": "10:30:50",
                                         "login_grace_time": 10}})
    user, idn = on_duty(d, postgres, "FL", "FLU", "洪水测试单位")

    results, lock, pings, stop = [], threading.Lock(), [], threading.Event()

    def pinger():
        while not stop.is_set():
            t0 = time.monotonic()
            user.result("system.ping", timeout=10)
            pings.append(time.monotonic() - t0)
            time.sleep(0.02)

    ping_thread = threading.Thread(target=pinger)
    ping_thread.start()
    # 500 connections at once, from ten loopback addresses, and some real ssh clients.
    threads = [threading.Thread(target=raw_connect,
                                args=(d.port, f"127.0.0.{2 + i % 10}", results, lock))
               for i in range(FLOOD)]
    sshs = [subprocess.Popen(openssh_ping_argv(d.port), stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             preexec_fn=_die_with_parent) for _ in range(20)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    refused = [k for k, _ in results if k == "refused"]
    accepted = [k for k, _ in results if k == "ssh"]
    elapsed = time.monotonic() - t0
    for p in sshs:
        try:
            p.communicate(b'{"jsonrpc":"2.0","id":1,"method":"system.ping"}\n', timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
    # Silent connections are dropped after login_grace_time: the daemon closes each.
    for kind, s in results:
        if kind == "ssh":
            s.settimeout(30)
            while s.recv(4096):
                pass
    stop.set()
    ping_thread.join(timeout=30)
    for _, s in results:
        s.close()

    assert len(results) == FLOOD
    assert len(accepted) <= 50, \
        f"{len(accepted)} accepted past sessions.max (the flood took {elapsed:.1f}s)"
    assert len(refused) >= FLOOD - 50 - 5, \
        f"only {len(refused)} refused early: {sorted(set(k for k, _ in results))}"
    assert pings, "the logged-in session never answered"
    pings.sort()
    assert pings[-1] < 2.0, f"a ping took {pings[-1]:.3f}s during the flood"
    assert pings[len(pings) // 2] < 0.2
    # The logged-in session is still logged in; new sessions work again.
    assert user.result("session.whoami")["account"]["id_number"] == idn
    with d.rpc() as s:
        s.result("system.ping")
    with logged_in(d, idn) as s:
        s.result("review.registrations")
    user.close()
    log = d.stderr_text()
    assert "too many sessions" in log
    assert "no session within the login grace time" in log
    print(f"flood: {len(refused)} refused, {len(accepted)} accepted in {elapsed:.2f}s; "
          f"{len(pings)} pings, median {pings[len(pings) // 2] * 1000:.1f} ms, "
          f"max {pings[-1] * 1000:.1f} ms")


def openssh_ping_argv(port):
    return ["ssh", *SSH_OPTIONS, *NO_AGENT, "-p", str(port), "-s", "localhost", "jxjy-rpc"]


def test_exec_output_speaks_the_one_vocabulary(site):
    """`ssh host` output writes values as the TUI does (common/format.c): a title as
    "series · name", today's times as 今天 HH:MM, names by pinyin, counts that say what
    they count."""
    acc = site["acc"]
    series, name = acc.rows("SELECT series, name FROM titles WHERE active ORDER BY id "
                            "LIMIT 1")[0]
    title = int(acc.value(f"SELECT id FROM titles WHERE series = '{series}' "
                          f"AND name = '{name}'"))
    add_staff(site, "张词汇", dept=site["dept2"], title_id=title)
    add_staff(site, "安词汇", dept=site["dept2"])
    pending = add_pending(site, "今天申请")
    rc, out, err = exec_admin(site, "staff")
    text = out.decode()
    assert rc == 0, err
    assert f"{series} · {name}" in text and " / " not in text, text
    assert text.index("安词汇") < text.index("张词汇"), text
    assert re.search(r"共 \d+ 名人员$", text.strip().splitlines()[-1]), text
    rc, out, err = exec_admin(site, "queue")
    text = out.decode()
    assert rc == 0, err
    row = next(ln for ln in text.splitlines() if pending in ln)
    assert re.search(r"今天 \d\d:\d\d", row), row
    assert re.search(r"共 \d+ 条注册申请$", text.strip().splitlines()[-1]), text
