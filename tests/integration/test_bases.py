"""Continuing-education bases (继续教育基地, issue 15): their administrators from jxjyd.conf
(base_admins, at start and SIGHUP), the base_admin role and its refusals both ways, on the
real daemon over SSH.

A base administrator belongs to a base, not to a unit: every staff and unit method refuses
them, and every base method refuses staff and unit administrators.
"""

import signal

import pytest

from helpers import (DEMO_PASSWORD, NOT_PERMITTED, Accounts, base_admins_block,
                     expect_error, id_number, key_rpc, logged_in, ssh_key, make_key)


@pytest.fixture(scope="module")
def site(daemon, postgres):
    acc = Accounts(postgres, daemon.dbname, "BS")
    acc.add_unit("BSU", "基地测试单位")
    acc.add_base("BSA", "省医学继续教育基地", kind="medical", forms=("training",))
    acc.add_base("BSB", "省建设继续教育基地", kind="", forms=("training",))
    w = {"acc": acc}
    w["staff"] = acc.add_staff("BSU", "基地学员")
    w["unit_admin"] = acc.add_admin("BSU", "基地测试单位管理员")
    w["base_a"] = acc.add_base_admin("BSA", "甲基地管理员")
    w["base_b"] = acc.add_base_admin("BSB", "乙基地管理员")
    return w


def test_base_admin_logs_in_by_password_and_whoami_names_the_base(daemon, site):
    with logged_in(daemon, site["base_a"][1]) as s:
        me = s.result("session.whoami")
        assert me["account"]["role"] == "base_admin"
        assert me["account"]["base"] == {"code": "BSA", "name": "省医学继续教育基地"}
        assert "unit" not in me["account"]
        assert [f["key"] for f in me["functions"]] == ["base_classes"]
        # Their own keys and password are theirs to manage.
        s.result("keys.list")
        s.result("session.logout")


# Staff's and units' methods, each with parameters that would pass its checks.
STAFF_AND_UNIT_METHODS = [
    ("profile.get", {}), ("declaration.list", {}), ("forms.list", {}),
    ("completion.mine", {}), ("inbox.open", {}), ("review.registrations", {}),
    ("review.declarations", {}), ("review.staff", {}), ("completion.report", {"year": 2025}),
    ("certificate.issue", {"year": 2025}),
]


def test_a_base_admin_calling_staff_or_unit_methods_is_refused(daemon, site):
    with logged_in(daemon, site["base_a"][1]) as s:
        for method, params in STAFF_AND_UNIT_METHODS:
            expect_error(s.call(method, params), NOT_PERMITTED, "not_permitted")


def _base_admins_config(d, entries):
    d.write_config()
    d.conf.write_text(d.conf.read_text(encoding="utf-8") + base_admins_block(entries),
                      encoding="utf-8")


def test_base_admins_from_the_config_at_start_and_sighup(make_daemon, tmp_path):
    d = make_daemon(start=False)
    acc = Accounts(d.pg, d.dbname, "BC")
    acc.add_base("BCA", "配置甲基地", forms=("training",))
    acc.add_base("BCB", "配置乙基地", forms=("training",))
    key, pub = make_key(tmp_path, "base-admin")
    first, ghost = id_number(), id_number()
    _base_admins_config(d, [
        {"id_number": first, "name": "配置基地管理员", "base": "BCA", "keys": [pub]},
        {"id_number": ghost, "name": "没有基地的", "base": "NOSUCH", "keys": [pub]},
    ])
    assert d.run("check-config").returncode == 0, d.run("check-config").stderr
    d.start()
    d.wait_log(r"base_admins: 2 configured: 1 created, 0 enabled, 1 skipped")
    assert "base_admins: 没有基地的: base NOSUCH does not exist" in d.stderr_text()
    row = acc.account(first)
    assert (row["role"], row["state"], row["unit_code"]) == ("base_admin", "active", "")
    assert acc.value(f"SELECT base_code FROM accounts WHERE id = {row['id']}") == "BCA"
    assert acc.account(ghost) is None

    # The key logs them in, as a base administrator of BCA.
    with key_rpc(d, first, key) as s:
        me = s.result("session.whoami")["account"]
        assert (me["role"], me["base"]["code"]) == ("base_admin", "BCA")

    # SIGHUP: moved to the other base, renamed.
    _base_admins_config(d, [
        {"id_number": first, "name": "改名基地管理员", "base": "BCB", "keys": [pub]},
    ])
    mark = len(d.stderr_text())
    d.signal(signal.SIGHUP)
    d.wait_log(r"base_admins: 1 configured", after=mark)
    assert acc.value(f"SELECT base_code || ' ' || name FROM accounts "
                     f"WHERE id = {row['id']}") == "BCB 改名基地管理员"

    # SIGHUP without them: disabled, audited; the key no longer logs them in.
    d.write_config()
    mark = len(d.stderr_text())
    d.signal(signal.SIGHUP)
    d.wait_log(r"base_admins: 0 configured: .* 1 disabled", after=mark)
    assert acc.account(first)["state"] == "disabled"
    assert acc.audit(row["id"])[-1][:3] == ("disable", "active", "disabled")
    with key_rpc(d, first, key) as s:
        expect_error(s.call("session.whoami"), NOT_PERMITTED, "login_required")


def test_a_staff_account_is_not_taken_over_by_base_admins(make_daemon, tmp_path):
    d = make_daemon(start=False)
    acc = Accounts(d.pg, d.dbname, "BT")
    acc.add_unit("BTU", "接管测试单位")
    acc.add_base("BTA", "接管测试基地", forms=("training",))
    staff_id, staff = acc.add_staff("BTU", "在职人员")
    _, pub = make_key(tmp_path, "taken")
    _base_admins_config(d, [{"id_number": staff, "name": "在职人员", "base": "BTA",
                             "keys": [pub]}])
    d.start()
    d.wait_log(r"base_admins: 1 configured: 0 created, 0 enabled, 1 skipped")
    assert "the ID number has an active staff account" in d.stderr_text()
    assert acc.account(staff)["role"] == "staff"


def test_one_person_is_not_both_a_unit_and_a_base_admin(make_daemon):
    d = make_daemon(start=False)
    both = id_number()
    key, _ = ssh_key(d.dir, "both")
    d.write_config()
    d.conf.write_text(
        d.conf.read_text(encoding="utf-8") +
        f'unit_admins = ( {{ id_number = "{both}"; name = "两头管"; unit = "U1"; '
        f'keys = [ "{key}" ]; }} );\n' +
        base_admins_block([{"id_number": both, "name": "两头管", "base": "B1",
                            "keys": [key]}]), encoding="utf-8")
    r = d.run("check-config")
    assert r.returncode != 0
    assert "base_admins: 两头管: same ID number as unit_admins" in r.stderr, r.stderr
    # And a base_admins entry names a base, not a unit.
    d.write_config()
    d.conf.write_text(
        d.conf.read_text(encoding="utf-8") +
        f'base_admins = ( {{ id_number = "{both}"; name = "错键"; unit = "U1"; '
        f'keys = [ "{key}" ]; }} );\n', encoding="utf-8")
    r = d.run("check-config")
    assert r.returncode != 0
    assert 'base_admins[0]: missing required key "base"' in r.stderr, r.stderr
    assert "base_admins[0].unit: unknown key (expected id_number, name, base and keys)" \
        in r.stderr, r.stderr
