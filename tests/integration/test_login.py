"""Login, the verification code, throttling, the password, and the
applicant's own status and withdrawal — the real jxjyd on a real PostgreSQL over SSH.

Accounts: one applicant is registered through account.register (so its Argon2id hash is
made by the daemon); the other test accounts are inserted with SQL carrying that same hash,
in whatever state a test needs.  The verification code is read through the test-only
method debug.captcha_answer (served only because the test config sets debug_methods)."""

import itertools
import re
import time

import pytest

from conftest import module_daemon
from helpers import (CONFLICT, INVALID_INPUT, INVALID_PARAMS, LOGIN_FAILED, NOT_FOUND,
                     NOT_PERMITTED, check_char)

UNIT = "U410100901"
UNIT_NAME = "登录测试单位"
PASSWORD = "lantern-Quokka-87"          # the password behind every SQL-inserted account
PHONE = "13912345678"

# The seed's words (operation-guide.zh.txt, 常见登录错误信息).
SEED_BAD_CREDENTIALS = "账户或密码错误"
SEED_BAD_CAPTCHA = "验证码错误"
SEED_NOT_REVIEWED = "此账号还未被审核"

_serial = itertools.count(1)


def new_id(male=True, ending=None):
    """A valid, unused ID number of a person born 1985-03-12 in Zhengzhou (410105)."""
    while True:
        n = next(_serial)
        seq = f"{n % 100:02d}{(2 * (n // 100) + (1 if male else 0)) % 10}"
        first17 = f"41010519850312{seq}"
        idn = first17 + check_char(first17)
        if ending is None or idn.endswith(ending):
            return idn


def err(reply):
    assert "error" in reply, f"expected an error, got {reply}"
    return reply["error"]


def sql_text(s):
    return "NULL" if s is None else "'" + s.replace("'", "''") + "'"


class Site:
    """A daemon's database with the test unit and helpers to make accounts in it."""

    def __init__(self, daemon, postgres):
        self.d, self.pg = daemon, postgres
        db = daemon.dbname
        postgres.psql(db, f"INSERT INTO units (code, name, region) VALUES "
                          f"('{UNIT}', '{UNIT_NAME}', '410100') ON CONFLICT DO NOTHING")
        self.department = int(postgres.psql(
            db, f"INSERT INTO departments (unit_code, name) VALUES ('{UNIT}', '测试科') "
                f"RETURNING id").split()[0])
        # One real registration: its hash, made by the daemon, serves every other account.
        self.registered = new_id()
        with daemon.rpc() as c:
            r = c.result("account.register", self.register_params(self.registered, PASSWORD))
            assert r["state"] == "pending"
        self.hash = self.sql(f"SELECT password_hash FROM accounts "
                             f"WHERE id_number = '{self.registered}'")
        assert self.hash.startswith("$argon2id$"), self.hash

    def sql(self, text):
        return self.pg.psql(self.d.dbname, text).strip()

    def register_params(self, idn, password):
        male = int(idn[16]) % 2 == 1
        return {"id_number": idn, "password": password, "password_confirm": password,
                "phone": PHONE, "email": "tester@example.com", "unit": UNIT,
                "department_id": self.department, "name": "测试人员",
                "sex": "male" if male else "female",
                "birth_date": f"{idn[6:10]}-{idn[10:12]}-{idn[12:14]}", "ethnicity": "01"}

    def account(self, state="active", role="staff", reject_reason=None, name="张三",
                ending=None, phone=PHONE):
        """Insert an account whose password is PASSWORD; return its ID number."""
        idn = new_id(ending=ending)
        self.sql(
            "INSERT INTO accounts (id_number, role, state, password_hash, phone, email, "
            "unit_code, department_id, name, sex, birth_date, ethnicity, reject_reason, "
            "decided_at) VALUES "
            f"('{idn}', '{role}', '{state}', {sql_text(self.hash)}, {sql_text(phone)}, "
            f"'t@example.com', '{UNIT}', {self.department}, {sql_text(name)}, 1, "
            f"'1985-03-12', '01', {sql_text(reject_reason)}, "
            f"{'now()' if state in ('active', 'rejected') else 'NULL'})")
        return idn

    def column(self, idn, expr):
        return self.sql(f"SELECT {expr} FROM accounts WHERE id_number = '{idn}'")

    def failures(self, idn):
        """The live count of failed passwords on an ID number (login_throttle), as text."""
        return self.sql(f"SELECT coalesce((SELECT failures FROM login_throttle "
                        f"WHERE id_number = '{idn}'), 0)")

    def audit_actions(self, idn):
        return self.sql(f"SELECT string_agg(action, ',' ORDER BY id) FROM account_audit "
                        f"WHERE account_id = (SELECT id FROM accounts "
                        f"WHERE id_number = '{idn}')").split(",")


def login(c, idn, password=PASSWORD, captcha=None):
    params = {"id_number": idn, "password": password}
    if captcha is not None:
        params["captcha"] = captcha
    return c.call("session.login", params)


def fresh_captcha(c):
    """Ask for a code; return (drawing, answer)."""
    drawing = c.result("captcha.new")
    answer = c.result("debug.captcha_answer")["answer"]
    return drawing, answer


# --- the module's daemon: no captcha, throttled after 3 (1 s at most), no source limit ----

@pytest.fixture(scope="module")
def d(postgres, migrated_template, tmp_path_factory):
    yield from module_daemon(postgres, migrated_template, tmp_path_factory, "jxjyd-login", {
        "security": {"captcha": "off", "throttle_after": 3, "throttle_max_delay": 1,
                     "source_failures_per_minute": 100000},
    })


@pytest.fixture(scope="module")
def site(d, postgres):
    return Site(d, postgres)


# --- login and its errors -------------------------------------------------------------

def test_login_staff_result_and_functions(d, site):
    idn = site.account(name="李四")
    with d.rpc() as c:
        r = c.result("session.login", {"id_number": idn, "password": PASSWORD})
        acct = r["account"]
        assert acct["id_number"] == idn and acct["name"] == "李四"
        assert acct["role"] == "staff"
        assert acct["unit"] == {"code": UNIT, "name": UNIT_NAME}
        assert isinstance(acct["id"], int) and acct["id"] > 0
        assert r["functions"] == [
            {"key": "profile", "label": "用户资料管理"},
            {"key": "declare", "label": "学时学分申报"},
            {"key": "progress", "label": "申报进度查询"},
            {"key": "completion", "label": "年度完成情况"},
        ]
        assert c.result("session.whoami") == r
        # A logged-in session is no guest: it cannot log in again, nor ask for a code.
        assert err(login(c, idn))["code"] == NOT_PERMITTED
        assert err(c.call("captcha.new"))["data"]["reason"] == "not_permitted"


def test_login_labels_follow_the_session_language(d, site):
    idn = site.account()
    with d.rpc() as c:
        c.result("system.hello", {"lang": "en"})
        r = c.result("session.login", {"id_number": idn, "password": PASSWORD})
        assert [f["label"] for f in r["functions"]] == [
            "Profile", "Declare hours and credits", "Declaration progress",
            "Annual completion"]
        c.result("session.logout")
        e = err(login(c, idn, "wrong-password-123"))
        assert e["message"] == "wrong account or password"


def test_lower_case_x_logs_in(d, site):
    idn = site.account(ending="X")
    with d.rpc() as c:
        r = c.result("session.login", {"id_number": idn.lower(), "password": PASSWORD})
        assert r["account"]["id_number"] == idn


def test_unit_admin_gets_the_review_function(d, site):
    idn = site.account(role="unit_admin")
    with d.rpc() as c:
        r = c.result("session.login", {"id_number": idn, "password": PASSWORD})
        assert r["account"]["role"] == "unit_admin"
        keys = [f["key"] for f in r["functions"]]
        assert keys[0] == "review_registrations" and r["functions"][0]["label"] == "注册审核"
        assert "review_titles" in keys and "staff" in keys
        assert not {"profile", "declare", "progress", "completion"} & set(keys)


def test_logout_and_whoami(d, site):
    idn = site.account()
    with d.rpc() as c:
        assert err(c.call("session.whoami"))["data"]["reason"] == "login_required"
        assert err(c.call("session.logout"))["data"]["reason"] == "login_required"
        c.result("session.login", {"id_number": idn, "password": PASSWORD})
        assert c.result("session.logout") == {}
        assert err(c.call("session.whoami"))["data"]["reason"] == "login_required"
        c.result("session.login", {"id_number": idn, "password": PASSWORD})


def test_pending_account_is_not_reviewed(d, site):
    with d.rpc() as c:
        # The registered applicant, with the password it registered with.
        e = err(login(c, site.registered))
        assert e["code"] == LOGIN_FAILED
        assert e["data"]["reason"] == "not_reviewed"
        assert e["message"] == SEED_NOT_REVIEWED
        # Pending with a wrong password says nothing about the account.
        e = err(login(c, site.registered, "not-the-password-9"))
        assert e["data"]["reason"] == "bad_credentials"


def test_rejected_account_shows_the_reason(d, site):
    why = "所在单位选择错误，请重新选择"
    idn = site.account(state="rejected", reject_reason=why)
    with d.rpc() as c:
        e = err(login(c, idn))
        assert e["code"] == LOGIN_FAILED
        assert e["data"]["reason"] == "rejected"
        assert e["data"]["reject_reason"] == why
        assert why in e["message"]


def test_disabled_and_withdrawn_accounts(d, site):
    disabled = site.account(state="disabled")
    withdrawn = site.account(state="withdrawn")
    with d.rpc() as c:
        e = err(login(c, disabled))
        assert (e["data"]["reason"], e["message"]) == ("disabled", "此账号已被停用")
        e = err(login(c, withdrawn))
        assert (e["data"]["reason"], e["message"]) == ("bad_credentials", SEED_BAD_CREDENTIALS)


def test_unknown_id_and_wrong_password_answer_alike(d, site):
    known = site.account()
    unknown = new_id()
    with d.rpc() as c:
        wrong_known = err(login(c, known, "Wrong-Password-1"))
        wrong_unknown = err(login(c, unknown, "Wrong-Password-1"))
        malformed = err(login(c, "not-an-id-number", "Wrong-Password-1"))
    assert wrong_known == wrong_unknown == malformed
    assert wrong_known["code"] == LOGIN_FAILED
    assert wrong_known["data"] == {"reason": "bad_credentials"}
    assert wrong_known["message"] == SEED_BAD_CREDENTIALS


def test_login_params_are_checked(d, site):
    with d.rpc() as c:
        e = err(c.call("session.login", {"id_number": new_id()}))
        assert (e["code"], e["data"]["reason"], e["data"]["field"]) == \
            (INVALID_PARAMS, "required", "password")
        e = err(c.call("session.login", {"id_number": 1, "password": "x"}))
        assert (e["data"]["reason"], e["data"]["field"]) == ("param_type", "id_number")


# --- throttling, not lockout (test_hardening_identity.py has the rest) --------------------

def test_failures_slow_but_never_lock(d, site):
    idn = site.account()
    with d.rpc() as c:
        for _ in range(5):
            e = err(login(c, idn, "Wrong-Password-1"))
            assert e["data"]["reason"] == "bad_credentials"      # never "locked"
        assert site.failures(idn) == "5"
        assert c.result("session.login", {"id_number": idn, "password": PASSWORD})
    # Nothing was locked or audited as a lockout; the owner's login ended the series.
    assert site.column(idn, "locked_until IS NULL") == "t"
    assert "lockout" not in site.audit_actions(idn)
    assert site.failures(idn) == "0"
    assert "s delay" in d.stderr_text()


def test_success_resets_the_count(d, site):
    idn = site.account()
    with d.rpc() as c:
        err(login(c, idn, "Wrong-Password-1"))
        err(login(c, idn, "Wrong-Password-2"))
        assert site.failures(idn) == "2"
        c.result("session.login", {"id_number": idn, "password": PASSWORD})
    assert site.failures(idn) == "0"


# --- the applicant's own status and withdrawal ------------------------------------------

def test_application_status(d, site):
    why = "请上传正确的材料"
    rejected = site.account(state="rejected", reject_reason=why, name="王五")
    with d.rpc() as c:
        r = c.result("application.status", {"id_number": site.registered,
                                            "password": PASSWORD})
        assert r["state"] == "pending"
        assert r["name"] == "测试人员"
        assert r["unit"] == {"code": UNIT, "name": UNIT_NAME}
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", r["submitted_at"])
        assert "decided_at" not in r and "reject_reason" not in r

        r = c.result("application.status", {"id_number": rejected, "password": PASSWORD})
        assert (r["state"], r["name"], r["reject_reason"]) == ("rejected", "王五", why)
        assert "decided_at" in r

        e = err(c.call("application.status", {"id_number": rejected,
                                              "password": "Wrong-Password-1"}))
        assert (e["code"], e["data"]["reason"]) == (LOGIN_FAILED, "bad_credentials")
        # Guests only.
        c.result("session.login", {"id_number": site.account(), "password": PASSWORD})
        e = err(c.call("application.status", {"id_number": rejected, "password": PASSWORD}))
        assert e["data"]["reason"] == "not_permitted"


def test_application_withdraw(d, site):
    pending = site.account(state="pending")
    active = site.account()
    with d.rpc() as c:
        e = err(c.call("application.withdraw", {"id_number": pending,
                                                "password": "Wrong-Password-1"}))
        assert e["data"]["reason"] == "bad_credentials"
        assert site.column(pending, "state") == "pending"

        r = c.result("application.withdraw", {"id_number": pending, "password": PASSWORD})
        assert r == {"state": "withdrawn"}
        assert site.column(pending, "state") == "withdrawn"
        assert site.audit_actions(pending) == ["withdraw"]
        assert site.sql(f"SELECT from_state || '>' || to_state || ':' || "
                        f"(actor_id = account_id) FROM account_audit WHERE account_id = "
                        f"(SELECT id FROM accounts WHERE id_number = '{pending}')") == \
            "pending>withdrawn:true"

        e = err(c.call("application.withdraw", {"id_number": pending, "password": PASSWORD}))
        assert (e["code"], e["data"]["reason"], e["data"]["state"]) == \
            (CONFLICT, "state_changed", "withdrawn")
        e = err(c.call("application.withdraw", {"id_number": active, "password": PASSWORD}))
        assert (e["code"], e["data"]["state"]) == (CONFLICT, "active")
        assert site.column(active, "state") == "active"
        # Withdrawn: the account no longer logs in.
        assert err(login(c, pending))["data"]["reason"] == "bad_credentials"


# --- the password ----------------------------------------------------------------------

def change(c, new, old=PASSWORD, confirm=None):
    params = {"new_password": new, "new_password_confirm": new if confirm is None else confirm}
    if old is not None:
        params["old_password"] = old
    return c.call("account.change_password", params)


def test_change_password_requires_the_old_one(d, site):
    idn = site.account()
    with d.rpc() as c:
        assert err(change(c, "Fresh-Tulip-42"))["data"]["reason"] == "login_required"
        c.result("session.login", {"id_number": idn, "password": PASSWORD})
        e = err(change(c, "Fresh-Tulip-42", old=None))
        assert (e["code"], e["data"]["reason"], e["data"]["field"]) == \
            (INVALID_INPUT, "required", "old_password")
        e = err(change(c, "Fresh-Tulip-42", old="Wrong-Password-1"))
        assert (e["code"], e["data"]["reason"], e["data"]["field"]) == \
            (INVALID_INPUT, "old_password_wrong", "old_password")
        assert e["message"] == "原密码错误"
        e = err(change(c, "Fresh-Tulip-42", confirm="Fresh-Tulip-43"))
        assert (e["data"]["reason"], e["data"]["field"]) == \
            ("password_mismatch", "new_password_confirm")
        # Nothing changed so far.
        assert site.column(idn, "password_hash") == site.hash


@pytest.mark.parametrize("password, reason", [
    ("password1", "password_weak"),             # a dictionary word
    ("sunshine", "password_weak"),
    ("aaaaaaaa", "password_weak"),
    ("Qm7#vR2", "password_length"),             # 7 characters
    ("七个汉字的密码", "password_length"),        # 7 code points (21 bytes)
    ("Qm7#vR2k" * 16 + "z", "password_length"),  # 129
    ("pw{id}", "password_contains_id"),
    ("pw{id_lower}", "password_contains_id"),    # case-insensitive (ID ends in X)
    ("my{phone}!", "password_contains_phone"),
])
def test_password_rules_refuse(d, site, password, reason):
    idn = site.account(ending="X")
    password = password.format(id=idn, id_lower=idn.lower(), phone=PHONE)
    with d.rpc() as c:
        c.result("session.login", {"id_number": idn, "password": PASSWORD})
        e = err(change(c, password))
        assert (e["code"], e["data"]["reason"], e["data"]["field"]) == \
            (INVALID_INPUT, reason, "new_password")
        assert e["message"].startswith("新密码: ")
    assert site.column(idn, "password_hash") == site.hash


@pytest.mark.parametrize("password", [
    "Qm7#vR2k",                  # 8 characters: enough, no composition rule
    "中文密码测试一下",            # 8 code points
    "Qm7#vR2k" * 16,             # 128, hashed whole
])
def test_password_rules_accept(d, site, password):
    idn = site.account()
    with d.rpc() as c:
        c.result("session.login", {"id_number": idn, "password": PASSWORD})
        assert change(c, password)["result"] == {"ended_sessions": 0, "removed_keys": 0}
    with d.rpc() as c:
        c.result("session.login", {"id_number": idn, "password": password})
        if len(password) == 128:
            # Never truncated: the first 127 characters are not the password.
            c.result("session.logout")
            assert err(login(c, idn, password[:127]))["data"]["reason"] == "bad_credentials"


def test_change_password_ends_other_sessions(d, site):
    idn = site.account()
    new = "Harbour-Violet-63"
    with d.rpc() as a, d.rpc() as b, d.rpc() as guest:
        a.result("session.login", {"id_number": idn, "password": PASSWORD})
        b.result("session.login", {"id_number": idn, "password": PASSWORD})
        guest.result("system.ping")
        assert a.result("account.change_password", {
            "old_password": PASSWORD, "new_password": new,
            "new_password_confirm": new}) == {"ended_sessions": 1, "removed_keys": 0}
        assert "password_change" in site.audit_actions(idn)

        # b, idle, is told at once why, and its channel closes.
        note = b.read(timeout=10)
        assert "id" not in note
        assert note["method"] == "session.closing"
        assert note["params"]["reason"] == "logged_out_elsewhere"
        with pytest.raises(AssertionError, match="connection closed"):
            b.read(timeout=10)

        # a lives on; so does an unrelated session.
        assert a.result("session.whoami")["account"]["id_number"] == idn
        guest.result("system.ping")
    with d.rpc() as c:
        assert err(login(c, idn))["data"]["reason"] == "bad_credentials"
        c.result("session.login", {"id_number": idn, "password": new})


# --- the verification code -------------------------------------------------------------

def test_captcha_drawing(d, site):
    with d.rpc() as c:
        for _ in range(5):
            drawing, answer = fresh_captcha(c)
            assert re.fullmatch(r"[ACDEFHJKMNPRTUVWXY3479]{4}", answer)
            rows = drawing["rows"]
            assert drawing["height"] == len(rows) and len(rows) <= 9
            assert drawing["width"] <= 76
            assert all(len(row) == drawing["width"] for row in rows)
            assert drawing["expires_in"] > 0
            assert drawing["required"] is False          # captcha "off" here
            text = "".join(rows)
            # The characters appear nowhere, not even one of them.
            assert not re.search(r"[A-Za-z0-9]", text), rows
            # Four glyphs of strokes, each in an ink of its own (issue 12, point 9).
            assert sum(text.count(ink) for ink in "#@%&$*") >= 4 * 12, rows
            assert text.isascii()


def test_debug_captcha_answer_has_none_outstanding(d):
    with d.rpc() as c:
        e = err(c.call("debug.captcha_answer"))
        assert (e["code"], e["data"]["reason"]) == (NOT_FOUND, "captcha_none")


@pytest.fixture
def captcha_daemon(make_daemon, postgres):
    """A daemon that always asks for the verification code."""
    daemon = make_daemon(config={"security": {
        "captcha": "always", "source_failures_per_minute": 100000}})
    return daemon, Site(daemon, postgres)


def test_three_login_errors_are_distinct_in_the_seeds_words(captcha_daemon):
    daemon, site = captcha_daemon
    active = site.account()
    with daemon.rpc() as c:
        drawing, answer = fresh_captcha(c)
        assert drawing["required"] is True
        wrong = "".join("A" if ch != "A" else "C" for ch in answer)
        e1 = err(login(c, active, captcha=wrong))
        _, answer = fresh_captcha(c)
        e2 = err(login(c, active, "Wrong-Password-1", captcha=answer))
        _, answer = fresh_captcha(c)
        e3 = err(login(c, site.registered, captcha=answer))
    assert (e1["data"]["reason"], e1["message"], e1["data"]["field"]) == \
        ("bad_captcha", SEED_BAD_CAPTCHA, "captcha")
    assert (e2["data"]["reason"], e2["message"]) == ("bad_credentials", SEED_BAD_CREDENTIALS)
    assert (e3["data"]["reason"], e3["message"]) == ("not_reviewed", SEED_NOT_REVIEWED)
    assert {e1["code"], e2["code"], e3["code"]} == {LOGIN_FAILED}
    # A wrong code is not a password guess: the password was never tried.
    assert site.failures(active) == "1"


def test_captcha_is_single_use_and_case_insensitive(captcha_daemon):
    daemon, site = captcha_daemon
    idn = site.account()
    with daemon.rpc() as c:
        # Missing altogether.
        e = err(login(c, idn))
        assert e["data"]["reason"] == "bad_captcha"
        # Used once (by a wrong password), it is gone.
        _, answer = fresh_captcha(c)
        assert err(login(c, idn, "Wrong-Password-1", captcha=answer))["data"]["reason"] == \
            "bad_credentials"
        assert err(c.call("debug.captcha_answer"))["data"]["reason"] == "captcha_none"
        assert err(login(c, idn, captcha=answer))["data"]["reason"] == "bad_captcha"
        # A new code replaces the outstanding one.
        _, first = fresh_captcha(c)
        _, second = fresh_captcha(c)
        if first != second:
            assert err(login(c, idn, captcha=first))["data"]["reason"] == "bad_captcha"
            _, second = fresh_captcha(c)
        # Lower case, with stray spaces, is the same code.
        r = c.result("session.login", {"id_number": idn, "password": PASSWORD,
                                       "captcha": f" {second.lower()} "})
        assert r["account"]["id_number"] == idn
    # The code never reaches the log, nor does a password.
    log = daemon.stderr_text()
    for secret in (answer, first, second, PASSWORD, "Wrong-Password-1"):
        assert secret not in log


def test_captcha_expires(make_daemon, postgres):
    # The shortest lifetime, so that waiting it out is the test.
    daemon = make_daemon(config={"security": {"captcha": "always", "captcha_lifetime": 1}})
    site = Site(daemon, postgres)
    idn = site.account()
    with daemon.rpc() as c:
        drawing, answer = fresh_captcha(c)
        assert drawing["expires_in"] == 1
        time.sleep(1.5)
        e = err(login(c, idn, captcha=answer))
        assert e["data"]["reason"] == "bad_captcha"
        assert e["data"]["expired"] is True
        assert "过期" in e["message"]
        # Expiry consumed it, and the password was not tried.
        assert err(c.call("debug.captcha_answer"))["data"]["reason"] == "captcha_none"
        assert site.failures(idn) == "0"
        _, answer = fresh_captcha(c)
        c.result("session.login", {"id_number": idn, "password": PASSWORD,
                                   "captcha": answer})


def test_captcha_after_failures(make_daemon, postgres):
    daemon = make_daemon(config={"security": {"captcha": "after-failures"}})
    site = Site(daemon, postgres)
    idn = site.account()
    with daemon.rpc() as c:
        assert c.result("captcha.new")["required"] is False
        e = err(login(c, idn, "Wrong-Password-1"))
        assert e["data"]["reason"] == "bad_credentials"
        assert e["data"]["captcha_required"] is True
        assert err(login(c, idn))["data"]["reason"] == "bad_captcha"
    # The address failed: a new session from it needs a code too.
    with daemon.rpc() as c:
        drawing, answer = fresh_captcha(c)
        assert drawing["required"] is True
        assert err(login(c, idn))["data"]["reason"] == "bad_captcha"
        _, answer = fresh_captcha(c)
        c.result("session.login", {"id_number": idn, "password": PASSWORD,
                                   "captcha": answer})


# --- per-source throttling -------------------------------------------------------------

def test_source_throttle_slows_and_never_refuses(make_daemon, postgres):
    daemon = make_daemon(config={"security": {"source_failures_per_minute": 3,
                                              "throttle_max_delay": 1}})
    site = Site(daemon, postgres)
    idn = site.account()
    with daemon.rpc() as c:
        for _ in range(3):     # three different unknown ID numbers
            assert err(login(c, new_id(), "Wrong-Password-1"))["data"]["reason"] == \
                "bad_credentials"
    with daemon.rpc() as c:    # the address is past its limit: slowed, not refused
        r = c.result("application.status", {"id_number": site.registered,
                                            "password": PASSWORD})
        assert r["state"] == "pending"
        assert c.result("session.login", {"id_number": idn, "password": PASSWORD})
    assert "rate_limited" not in daemon.stderr_text()
    assert re.search(r"throttled \(\d+ failures on the ID number, [3-9] from 127\.0\.0\.1\)",
                     daemon.stderr_text())
    # The account itself was never counted against.
    assert site.failures(idn) == "0"
