"""The authority (人社 / 主管部门, issue 16): its administrators from jxjyd.conf
(authority_admins, each with a scope: the province or one city, at start and SIGHUP), the
authority role and its refusals, on the real daemon over SSH.

An authority administrator belongs to no unit and no base: every staff, unit and base
method refuses them; what they read and decide lies in their scope.
"""

import signal

import pytest

from helpers import (NOT_PERMITTED, Accounts, authority_admins_block, expect_error,
                     id_number, key_rpc, logged_in, make_key, ssh_key)


@pytest.fixture(scope="module")
def asite(daemon, postgres):
    acc = Accounts(postgres, daemon.dbname, "AU")
    acc.add_unit("AUU", "人社测试单位")
    w = {"acc": acc}
    w["province"] = acc.add_authority("省人社厅管理员", scope="410000")
    w["city"] = acc.add_authority("郑州市人社局管理员", scope="410100")
    return w


def test_an_authority_logs_in_and_whoami_names_its_scope(daemon, asite):
    with logged_in(daemon, asite["city"][1]) as s:
        me = s.result("session.whoami")
        assert me["account"]["role"] == "authority"
        assert me["account"]["scope"] == {"code": "410100", "name": "郑州市",
                                          "province": False}
        assert "unit" not in me["account"] and "base" not in me["account"]
        assert [f["key"] for f in me["functions"]][0] == "authority_stats"
        s.result("keys.list")   # their own keys are theirs to manage
    with logged_in(daemon, asite["province"][1]) as s:
        scope = s.result("session.whoami")["account"]["scope"]
        assert scope == {"code": "410000", "name": "河南省", "province": True}


# Staff's, units' and bases' methods, each with parameters that would pass its checks.
OTHER_ROLES_METHODS = [
    ("profile.get", {}), ("declaration.list", {}), ("forms.list", {}),
    ("completion.mine", {}), ("inbox.attach", {"name": "x.pdf"}), ("review.registrations", {}),
    ("review.declarations", {}), ("review.staff", {}), ("completion.report", {"year": 2025}),
    ("certificate.issue", {"year": 2025}), ("class.list", {}), ("class.forms", {}),
]


def test_an_authority_calling_staff_unit_or_base_methods_is_refused(daemon, asite):
    with logged_in(daemon, asite["province"][1]) as s:
        for method, params in OTHER_ROLES_METHODS:
            expect_error(s.call(method, params), NOT_PERMITTED, "not_permitted")


def _authority_config(d, entries):
    d.write_config()
    d.conf.write_text(d.conf.read_text(encoding="utf-8") + authority_admins_block(entries),
                      encoding="utf-8")


def test_authority_admins_from_the_config_at_start_and_sighup(make_daemon, tmp_path):
    d = make_daemon(start=False)
    acc = Accounts(d.pg, d.dbname, "AC")
    acc.add_unit("ACU", "人社配置单位")
    key, pub = make_key(tmp_path, "authority")
    first, county, staff = id_number(), id_number(), None
    staff_id, staff = acc.add_staff("ACU", "在职人员")
    _authority_config(d, [
        {"id_number": first, "name": "市人社局", "scope": "410100", "keys": [pub]},
        {"id_number": county, "name": "不存在的地区", "scope": "419900", "keys": [pub]},
        {"id_number": staff, "name": "在职人员", "scope": "410000", "keys": [pub]},
    ])
    assert d.run("check-config").returncode == 0, d.run("check-config").stderr
    d.start()
    d.wait_log(r"authority_admins: 3 configured: 1 created, 0 enabled, 2 skipped")
    assert "authority_admins: 不存在的地区: region 419900 does not exist" in d.stderr_text()
    assert "authority_admins: 在职人员: the ID number has an active staff account" \
        in d.stderr_text()
    assert acc.account(staff)["role"] == "staff"
    row = acc.account(first)
    assert (row["role"], row["state"], row["unit_code"]) == ("authority", "active", "")
    assert acc.value(f"SELECT scope_region FROM accounts WHERE id = {row['id']}") == "410100"

    with key_rpc(d, first, key) as s:
        me = s.result("session.whoami")["account"]
        assert (me["role"], me["scope"]["code"]) == ("authority", "410100")

    # SIGHUP: the whole province now, renamed.
    _authority_config(d, [
        {"id_number": first, "name": "省人社厅", "scope": "410000", "keys": [pub]},
    ])
    mark = len(d.stderr_text())
    d.signal(signal.SIGHUP)
    d.wait_log(r"authority_admins: 1 configured", after=mark)
    assert acc.value(f"SELECT scope_region || ' ' || name FROM accounts "
                     f"WHERE id = {row['id']}") == "410000 省人社厅"

    # SIGHUP without them: disabled, audited; the key no longer logs them in.
    d.write_config()
    mark = len(d.stderr_text())
    d.signal(signal.SIGHUP)
    d.wait_log(r"authority_admins: 0 configured: .* 1 disabled", after=mark)
    assert acc.account(first)["state"] == "disabled"
    assert acc.audit(row["id"])[-1][:3] == ("disable", "active", "disabled")
    with key_rpc(d, first, key) as s:
        expect_error(s.call("session.whoami"), NOT_PERMITTED, "login_required")


def test_an_authority_entry_names_a_region_and_one_person_holds_one_list(make_daemon):
    d = make_daemon(start=False)
    both = id_number()
    key, _ = ssh_key(d.dir, "both")
    d.write_config()
    d.conf.write_text(
        d.conf.read_text(encoding="utf-8") +
        f'unit_admins = ( {{ id_number = "{both}"; name = "两头管"; unit = "U1"; '
        f'keys = [ "{key}" ]; }} );\n' +
        authority_admins_block([{"id_number": both, "name": "两头管", "scope": "410000",
                                 "keys": [key]}]), encoding="utf-8")
    r = d.run("check-config")
    assert r.returncode != 0
    assert "authority_admins: 两头管: same ID number as unit_admins" in r.stderr, r.stderr
    d.write_config()
    d.conf.write_text(
        d.conf.read_text(encoding="utf-8") +
        authority_admins_block([{"id_number": both, "name": "错码", "scope": "郑州",
                                 "keys": [key]}]), encoding="utf-8")
    r = d.run("check-config")
    assert r.returncode != 0
    assert 'authority_admins[0].scope: expected a region code of six digits' in r.stderr, \
        r.stderr
