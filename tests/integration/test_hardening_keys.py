"""Issue 12, points 7 and 8 (and the key login of point 10): the unit administrator's
password reset, SSH keys as credentials, and a key login while the database is down --
on the real daemon over real OpenSSH, with keys made by ssh-keygen.
"""

import re
import time

import pytest

from conftest import Daemon
from helpers import (CONFLICT, DEMO_HASH, DEMO_PASSWORD, INVALID_INPUT, INVALID_PARAMS,
                     LOGIN_FAILED, NEW_PASSWORD, NOT_FOUND, NOT_PERMITTED, UNAVAILABLE,
                     Accounts, expect_error, id_number, key_rpc, logged_in, make_key, sex_code,
                     ssh_exec)

CODE = re.compile(r"[2-9A-HJKMNP-Z]{4}(-[2-9A-HJKMNP-Z]{4}){3}")


# --- the world ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def site(postgres, migrated_template, tmp_path_factory):
    """A daemon, two units, an administrator of each (added after the start, so that no
    unit_admins sync disables them), and a place for keys."""
    db = postgres.new_database(template=migrated_template)
    acc = Accounts(postgres, db, "HK")
    depts = acc.add_unit("HKA", "重置测试单位", departments=("办公室",))
    acc.add_unit("HKB", "另一个重置测试单位", departments=("办公室",))
    d = Daemon(tmp_path_factory.mktemp("jxjyd-keys"), postgres, db,
               config={"security": {"reset_code_minutes": 60}})
    d.start()
    admin_id, admin = acc.add_admin("HKA", "重置管理员甲")
    _, other_admin = acc.add_admin("HKB", "重置管理员乙")
    w = {"d": d, "acc": acc, "db": db, "dept": depts["办公室"], "admin": admin,
         "admin_id": admin_id, "other_admin": other_admin,
         "keydir": tmp_path_factory.mktemp("keys")}
    yield w
    d.stop()


def add_staff(site, name, unit="HKA"):
    """An active staff account with DEMO_PASSWORD; returns (account id, ID number)."""
    idn = id_number()
    return site["acc"].add_staff(unit, name, idn=idn, sex=sex_code(idn))


def add_key(site, idn, name):
    """A new key registered by idn through keys.add; returns (key path, public line, id)."""
    key, pub = make_key(site["keydir"], name)
    with logged_in(site["d"], idn) as s:
        kid = s.result("keys.add", {"key": pub, "password": DEMO_PASSWORD})["id"]
    return key, pub, kid


def whoami_by_key(site, idn, key):
    """session.whoami over `ssh -i key idn@host -s jxjy-rpc`: the reply."""
    with key_rpc(site["d"], idn, key) as s:
        return s.call("session.whoami")


def logs_in_by_key(site, idn, key):
    reply = whoami_by_key(site, idn, key)
    if "result" in reply:
        assert reply["result"]["account"]["id_number"] == idn
        return True
    assert reply["error"]["data"]["reason"] == "login_required", reply
    return False


def keys_of(site, aid):
    """{fingerprint: confirmed} of an account's keys."""
    return {fp: c == "t" for fp, c in site["acc"].rows(
        f"SELECT fingerprint, confirmed FROM account_keys WHERE account_id = {aid}")}


def reset(site, idn, admin=None):
    """review.reset_password of idn's account by admin (the unit's by default)."""
    aid = site["acc"].account(idn)["id"]
    with logged_in(site["d"], admin or site["admin"]) as s:
        return s.call("review.reset_password", {"account_id": int(aid)})


def login(s, idn, password):
    return s.call("session.login", {"id_number": idn, "password": password})


def change(s, new=NEW_PASSWORD, **extra):
    return s.call("account.change_password", {"new_password": new,
                                              "new_password_confirm": new, **extra})


# --- point 8: adding a key takes the current password ------------------------------------

def test_keys_add_needs_the_current_password(site):
    aid, idn = add_staff(site, "钱一")
    _, pub = make_key(site["keydir"], "needs-password")
    with logged_in(site["d"], idn) as s:
        expect_error(s.call("keys.add", {"key": pub}), INVALID_INPUT, "required",
                     "password")
        err = expect_error(s.call("keys.add", {"key": pub, "password": "Wrong-Password-9"}),
                           INVALID_INPUT, "password_wrong", "password")
        assert err["message"].startswith("密码: ")
        assert s.result("keys.list")["items"] == []
        item = s.result("keys.add", {"key": pub, "password": DEMO_PASSWORD})
        assert item["confirmed"] is False and item["source"] == "user"
    assert [a[0] for a in site["acc"].audit(aid)] == ["key_add"]


# --- point 8: a key is confirmed by a signature, and blocks nobody before ---------------

def test_a_key_is_confirmed_by_its_first_ssh_login(site):
    aid, idn = add_staff(site, "孙二")
    key, pub, kid = add_key(site, idn, "confirm-me")
    assert list(keys_of(site, aid).values()) == [False]
    assert logs_in_by_key(site, idn, key)
    assert list(keys_of(site, aid).values()) == [True]
    assert "key_confirm" in [a[0] for a in site["acc"].audit(aid)]
    with key_rpc(site["d"], idn, key) as s:
        assert s.result("keys.list")["items"][0]["confirmed"] is True
    # Confirmed by one account: nobody else may add it any more.
    _, other = add_staff(site, "李三")
    with logged_in(site["d"], other) as s:
        err = expect_error(s.call("keys.add", {"key": pub, "password": DEMO_PASSWORD}),
                           CONFLICT, "key_taken", "key")
        assert err["data"]["own"] is False


def test_a_squatted_public_key_keeps_nobody_out(site):
    # A staff member registers the administrator's public key before the administrator.
    admin_key, admin_pub = make_key(site["keydir"], "admin-squatted")
    squatter_id, squatter = add_staff(site, "周四")
    with logged_in(site["d"], squatter) as s:
        s.result("keys.add", {"key": admin_pub, "password": DEMO_PASSWORD})
    # The squatter cannot use it (no private half), and it does not stop the owner.
    with logged_in(site["d"], site["admin"]) as s:
        item = s.result("keys.add", {"key": admin_pub, "password": DEMO_PASSWORD})
        assert item["confirmed"] is False
    assert logs_in_by_key(site, site["admin"], admin_key)
    assert keys_of(site, site["admin_id"]) == {item["fingerprint"]: True}
    assert keys_of(site, squatter_id) == {item["fingerprint"]: False}
    reply = whoami_by_key(site, site["admin"], admin_key)
    assert reply["result"]["account"]["role"] == "unit_admin"


def test_a_squatted_key_does_not_stop_the_configured_administrator(make_daemon, tmp_path):
    d = make_daemon()
    acc = Accounts(d.pg, d.dbname, "HC")
    acc.add_unit("HKC", "配置密钥测试单位")
    key, pub = make_key(tmp_path, "future-admin")
    squatter_id, squatter = add_staff({"acc": acc}, "吴五", unit="HKC")
    with logged_in(d, squatter) as s:
        s.result("keys.add", {"key": pub, "password": DEMO_PASSWORD})
    # Then the system administrator names the key in jxjyd.conf, and reloads.
    admin = id_number()
    with open(d.conf, "a", encoding="utf-8") as f:
        f.write(f'unit_admins = ( {{ id_number = "{admin}"; name = "配置管理员"; '
                f'unit = "HKC"; keys = [ "{pub}" ]; }} );\n')
    mark = d.stderr_text().count("unit_admins: 1 configured")
    d.reload()
    deadline = time.monotonic() + 15
    while d.stderr_text().count("unit_admins: 1 configured") <= mark:
        assert time.monotonic() < deadline, d.stderr_text()
        time.sleep(0.05)
    with key_rpc(d, admin, key) as s:
        assert s.result("session.whoami")["account"]["role"] == "unit_admin"
    assert acc.rows(f"SELECT source, confirmed FROM account_keys a JOIN accounts c "
                    f"ON c.id = a.account_id WHERE c.id_number = '{admin}'") == [["config", "t"]]
    assert acc.rows(f"SELECT confirmed FROM account_keys WHERE account_id = {squatter_id}") \
        == [["f"]]


# --- point 8: a password change removes the keys, unless kept ---------------------------

def test_password_change_removes_keys_unless_kept(site):
    aid, idn = add_staff(site, "郑六")
    key, _, _ = add_key(site, idn, "removed")
    assert logs_in_by_key(site, idn, key)
    with logged_in(site["d"], idn) as s:
        r = s.result("account.change_password", {
            "old_password": DEMO_PASSWORD, "new_password": NEW_PASSWORD,
            "new_password_confirm": NEW_PASSWORD})
        assert r["removed_keys"] == 1
    assert keys_of(site, aid) == {}
    assert not logs_in_by_key(site, idn, key)
    assert ("key_remove", "", "", str(aid)) in [a[:4] for a in site["acc"].audit(aid)]

    aid, idn = add_staff(site, "王七")
    kept, _, kept_id = add_key(site, idn, "kept")
    dropped, _, _ = add_key(site, idn, "dropped")
    with logged_in(site["d"], idn) as s:
        expect_error(change(s, old_password=DEMO_PASSWORD, keep_keys=["x"]), INVALID_PARAMS,
                     "param_type", "keep_keys")
        r = s.result("account.change_password", {
            "old_password": DEMO_PASSWORD, "new_password": NEW_PASSWORD,
            "new_password_confirm": NEW_PASSWORD, "keep_keys": [kept_id]})
        assert r["removed_keys"] == 1
    assert logs_in_by_key(site, idn, kept)
    assert not logs_in_by_key(site, idn, dropped)


# --- point 7: the unit administrator's reset -----------------------------------------------

def test_reset_is_for_the_own_units_active_staff(site):
    _, idn = add_staff(site, "冯八")
    _, elsewhere = add_staff(site, "陈九", unit="HKB")
    expect_error(reset(site, idn, admin=site["other_admin"]), NOT_FOUND, "not_found",
                 "account_id")
    expect_error(reset(site, elsewhere), NOT_FOUND, "not_found", "account_id")
    expect_error(reset(site, site["admin"]), NOT_FOUND, "not_found", "account_id")
    with logged_in(site["d"], idn) as s:
        expect_error(s.call("review.reset_password", {"account_id": 1}), NOT_PERMITTED,
                     "not_permitted")
    with site["d"].rpc() as s:
        expect_error(s.call("review.reset_password", {"account_id": 1}), NOT_PERMITTED,
                     "login_required")
    # Nothing was reset.
    assert site["acc"].account(idn)["password_hash"] == DEMO_HASH


def test_reset_gives_a_one_time_code_and_forces_a_new_password(site):
    aid, idn = add_staff(site, "褚十")
    d, acc = site["d"], site["acc"]
    with logged_in(d, idn) as before:
        r = reset(site, idn)["result"]
        # The person's open session is ended at once.
        note = before.read(timeout=10)
        assert note["method"] == "session.closing", note
        assert note["params"]["reason"] == "logged_out_elsewhere"
    assert r["ended_sessions"] == 1 and r["valid_minutes"] == 60
    code = r["code"]
    assert CODE.fullmatch(code), code
    # Shown once: stored only as an Argon2id hash, never logged.
    row = acc.account(idn)
    assert row["password_hash"].startswith("$argon2id$") and row["password_hash"] != DEMO_HASH
    assert code not in d.stderr_text() and code.replace("-", "") not in d.stderr_text()
    action, _, _, actor, reason = acc.audit(aid)[-1]
    assert (action, actor) == ("password_reset", str(site["admin_id"]))
    assert reason.startswith("one-time code valid until ")

    with d.rpc() as s:
        # The old password no longer works.
        expect_error(login(s, idn, DEMO_PASSWORD), LOGIN_FAILED, "bad_credentials")
        # The code does, typed as read aloud (any case, groups apart or not).
        me = s.result("session.login", {"id_number": idn,
                                        "password": code.lower().replace("-", " ")})
        assert me["must_change_password"] is True
        assert me["account"]["role"] == "staff"
        # Until the new password is set, nothing but whoami, logout, keys.list and it.
        assert s.result("session.whoami")["must_change_password"] is True
        s.result("keys.list")
        for method, params in [("profile.get", None), ("declaration.list", None),
                               ("keys.add", {"key": "x"}), ("completion.mine", None)]:
            expect_error(s.call(method, params), NOT_PERMITTED, "password_change_required")
        # The forced change asks for no old password.
        r = change(s)["result"]
        assert r["ended_sessions"] == 0
        who = s.result("session.whoami")
        assert who["must_change_password"] is False
        s.result("profile.get")
    with d.rpc() as s:
        expect_error(login(s, idn, code), LOGIN_FAILED, "bad_credentials")
        me = s.result("session.login", {"id_number": idn, "password": NEW_PASSWORD})
        assert me["must_change_password"] is False
    assert acc.value(f"SELECT must_change_password FROM accounts WHERE id = {aid}") == "f"


def test_an_expired_code_fails_like_a_wrong_password(site):
    aid, idn = add_staff(site, "卫十一")
    code = reset(site, idn)["result"]["code"]
    site["acc"].sql(f"UPDATE accounts SET reset_expires_at = now() - interval '1 minute' "
                    f"WHERE id = {aid}")
    with site["d"].rpc() as s:
        wrong = expect_error(login(s, idn, "Not-The-Code-1"), LOGIN_FAILED, "bad_credentials")
        expired = expect_error(login(s, idn, code), LOGIN_FAILED, "bad_credentials")
        assert expired["message"] == wrong["message"]
        expect_error(s.call("session.whoami"), NOT_PERMITTED, "login_required")
    # A new reset gives a new code that works.
    code = reset(site, idn)["result"]["code"]
    with site["d"].rpc() as s:
        assert login(s, idn, code)["result"]["must_change_password"] is True


def test_after_a_reset_keys_wait_for_the_forced_change(site):
    aid, idn = add_staff(site, "蒋十二")
    kept, _, kept_id = add_key(site, idn, "after-reset-kept")
    dropped, _, _ = add_key(site, idn, "after-reset-dropped")
    assert logs_in_by_key(site, idn, kept)
    code = reset(site, idn)["result"]["code"]
    # Key logins are refused until the new password is set ...
    assert not logs_in_by_key(site, idn, kept)
    with site["d"].rpc() as s:
        s.result("session.login", {"id_number": idn, "password": code})
        listed = {k["id"] for k in s.result("keys.list")["items"]}
        assert kept_id in listed and len(listed) == 2
        assert change(s, keep_keys=[kept_id])["result"]["removed_keys"] == 1
    # ... where the person chose which stay.
    assert logs_in_by_key(site, idn, kept)
    assert not logs_in_by_key(site, idn, dropped)


# --- point 10: a key login while the database is down is no silent guest ----------------

def test_key_login_during_a_database_outage_is_unavailable_not_a_guest(make_daemon,
                                                                      postgres, tmp_path):
    d = make_daemon()
    acc = Accounts(postgres, d.dbname, "HO")
    acc.add_unit("HKO", "停库测试单位")
    _, idn = add_staff({"acc": acc}, "沈十三", unit="HKO")
    key, pub = make_key(tmp_path, "outage")
    with logged_in(d, idn) as s:
        s.result("keys.add", {"key": pub, "password": DEMO_PASSWORD})
    with key_rpc(d, idn, key) as s:
        s.result("session.whoami")

    # The database refuses every connection, and the pooled ones are gone.
    postgres.psql("postgres", f'ALTER DATABASE "{d.dbname}" ALLOW_CONNECTIONS false')
    try:
        postgres.psql("postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  f"WHERE datname = '{d.dbname}'")
        with key_rpc(d, idn, key) as s:
            for method in ("session.whoami", "system.ping", "captcha.new"):
                err = expect_error(s.call(method), UNAVAILABLE, "auth_unavailable")
                assert "稍后重新连接" in err["message"]
        status, out, _ = ssh_exec(d, idn, key, "whoami")
        assert status == 1
        assert "稍后重新连接" in out.decode("utf-8"), out
        assert "cannot check the SSH login" in d.stderr_text()
        # A user name that is no ID number needs no database: a guest, as always.
        with d.rpc() as s:
            s.result("system.ping")
    finally:
        postgres.psql("postgres", f'ALTER DATABASE "{d.dbname}" ALLOW_CONNECTIONS true')
    # Back: the key logs in again.
    deadline = time.monotonic() + 20
    while True:
        reply = whoami_by_key({"d": d}, idn, key)
        if "result" in reply or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert reply["result"]["account"]["id_number"] == idn, reply
