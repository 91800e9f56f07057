"""Continuing-education bases (继续教育基地, issue 15): their administrators from jxjyd.conf
(base_admins, at start and SIGHUP), the base_admin role and its refusals both ways, on the
real daemon over SSH.

A base administrator belongs to a base, not to a unit: every staff and unit method refuses
them, and every base method refuses staff and unit administrators.
"""

import signal

import pytest

from helpers import (CONFLICT, INVALID_INPUT, NOT_FOUND, NOT_PERMITTED, NOW, Accounts,
                     base_admins_block, expect_error, id_number, key_rpc, logged_in, make_key,
                     ssh_key)


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
    ("completion.mine", {}), ("inbox.attach", {"name": "x.pdf"}), ("review.registrations", {}),
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


# --- the bases themselves: `jxjyd import bases FILE.csv` and base_kinds ---------------------

BASE_KINDS = ('base_kinds = (\n'
              '\t{ kind = "medical"; forms = [ "training", "conference" ]; },\n'
              '\t{ kind = "online"; forms = [ "online_course" ]; }\n);\n')


def _bases_daemon(make_daemon, extra=BASE_KINDS):
    from helpers import forms_text
    d = make_daemon(start=False)
    d.extra_config = forms_text([], with_sample=True).replace(",\n\n);", "\n);") + "\n" + extra
    d.write_config()
    return d


def test_import_bases_checks_every_line_and_is_idempotent(make_daemon, tmp_path):
    d = _bases_daemon(make_daemon)
    assert d.run("check-config").returncode == 0, d.run("check-config").stderr
    acc = Accounts(d.pg, d.dbname, "BI")
    bad = tmp_path / "bad-bases.csv"
    bad.write_text(
        "code,name,region,kind,forms\n"
        "BI1,省医学继续教育中心,410100,medical,\n"         # 2: good (the kind's forms)
        "BI 2,坏代码,410100,,training\n"                    # 3: bad code
        "BI3,省医学继续教育中心,410100,,training\n"         # 4: the name of line 2
        "BI4,无处,999999,,training\n"                      # 5: no such region
        "BI5,未知种类,410100,nosuch,\n"                    # 6: unknown kind
        "BI6,未知形式,410100,,training;nosuch;training\n"  # 7: unknown form, repeated form
        "BI7,什么都没有,410100,,\n"                        # 8: no forms, no kind
        "BI1,重复,410100,medical,\n",                      # 9: code repeats line 2
        encoding="utf-8")
    r = d.run("import", "bases", str(bad))
    assert r.returncode == 1, r
    for where, what in [
            (3, "code: a unit code is 1 to 32 letters and digits"),
            (4, "name: \"省医学继续教育中心\" repeats line 2"),
            (5, "region: region 999999 does not exist"),
            (6, "kind: \"nosuch\" is not a base kind"),
            (7, "forms: \"nosuch\" is not a learning form"),
            (7, "forms: \"training\" is listed twice"),
            (8, "forms: empty, and no kind to take the forms from"),
            (9, "code \"BI1\" repeats line 2")]:
        assert f"{bad}:{where}: {what}" in r.stderr, r.stderr
    assert acc.value("SELECT count(*) FROM bases") == "0"

    good = tmp_path / "bases.csv"
    good.write_text("code,name,region,kind,forms\n"
                    "BI1,省医学继续教育中心,410100,medical,\n"
                    "BI2,省网络学院,410100,online,online_course; training\n", encoding="utf-8")
    r = d.run("import", "bases", str(good))
    assert r.returncode == 0, r.stderr
    assert "bases: " in r.stdout and "2 rows: 2 inserted, 0 updated" in r.stdout, r.stdout
    assert acc.rows("SELECT code, kind, forms, active FROM bases ORDER BY code") == [
        ["BI1", "medical", "{}", "t"], ["BI2", "online", "{online_course,training}", "t"]]
    # Again: nothing changes.  Without BI2: deactivated, not deleted.
    r = d.run("import", "bases", str(good))
    assert "2 rows: 0 inserted, 0 updated, 2 unchanged, 0 deactivated" in r.stdout, r.stdout
    good.write_text("code,name,region,kind,forms\nBI1,省医学继续教育中心,410100,medical,\n",
                    encoding="utf-8")
    r = d.run("import", "bases", str(good))
    assert "1 deactivated" in r.stdout, r.stdout
    assert acc.value("SELECT active FROM bases WHERE code = 'BI2'") == "f"


def test_base_kinds_name_learning_forms(make_daemon):
    d = _bases_daemon(make_daemon, 'base_kinds = (\n'
                      '\t{ kind = "medical"; forms = [ "training", "no_such_form" ]; },\n'
                      '\t{ kind = "medical"; forms = [ "training" ]; },\n'
                      '\t{ kind = "Bad Kind"; forms = [ ]; color = 1; }\n);\n')
    r = d.run("check-config")
    assert r.returncode == 1
    for what in ["base_kinds: medical: no learning form no_such_form in learning_forms",
                 "base_kinds[1].kind: kind medical repeats line",
                 "base_kinds[2].kind: must be 1 to 32 of a-z",
                 "base_kinds[2].forms: needs at least one learning form code",
                 "base_kinds[2].color: unknown key (expected kind and forms)"]:
        assert what in r.stderr, r.stderr


# --- classes (class.*) ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bdaemon(postgres, migrated_template, tmp_path_factory):
    """A daemon with the shipped learning forms and two base kinds."""
    from conftest import module_daemon
    from helpers import forms_text
    yield from module_daemon(
        postgres, migrated_template, tmp_path_factory, "jxjyd-bases", None,
        forms_text([], with_sample=True).replace(",\n\n);", "\n);") + "\n" + BASE_KINDS)


@pytest.fixture(scope="module")
def bsite(bdaemon, postgres):
    acc = Accounts(postgres, bdaemon.dbname, "BK")
    acc.add_unit("BKU", "班次测试单位")
    acc.add_base("BKA", "甲医学基地", kind="medical")          # the kind's forms
    acc.add_base("BKB", "乙网络基地", forms=("online_course",))  # its own
    return {"acc": acc, "staff": acc.add_staff("BKU", "班次学员"),
            "unit_admin": acc.add_admin("BKU", "班次单位管理员"),
            "a": acc.add_base_admin("BKA", "甲基地管理员"),
            "b": acc.add_base_admin("BKB", "乙基地管理员")}


def training_fields():
    return {"name": "护理新技术培训班", "kind": "培训班", "organiser": "省医学会",
            "dates": {"from": f"{NOW - 1}-03-01", "to": f"{NOW - 1}-03-02"}}


def new_class(s, **changes):
    params = {"name": "护理新技术培训班", "form": "training", "fields": training_fields(),
              "start_date": f"{NOW - 1}-03-01", "end_date": f"{NOW - 1}-03-02",
              "year": NOW - 1, "amount": 16}
    params.update(changes)
    return s.result("class.save", params)


def test_class_forms_are_the_bases_own(bdaemon, bsite):
    with logged_in(bdaemon, bsite["a"][1]) as s:
        forms = s.result("class.forms")
        assert [f["code"] for f in forms["forms"]] == ["training", "conference"]
        assert forms["years"] == [NOW, NOW - 1]
    with logged_in(bdaemon, bsite["b"][1]) as s:
        assert [f["code"] for f in s.result("class.forms")["forms"]] == ["online_course"]


def test_class_save_names_every_mistake_at_once(bdaemon, bsite):
    with logged_in(bdaemon, bsite["a"][1]) as s:
        err = expect_error(s.call("class.save", {
            "name": "", "form": "online_course", "start_date": f"{NOW - 1}-03-05",
            "end_date": f"{NOW - 1}-03-01", "year": NOW - 5, "amount": 0}),
            INVALID_INPUT, "field_required")
        got = {(e["field"], e["reason"]) for e in err["data"]["errors"]}
        assert got == {("name", "field_required"), ("form", "class_form_not_allowed"),
                       ("end_date", "field_range_order"), ("year", "year_invalid"),
                       ("amount", "amount_invalid")}, got
        # The form's own fields are checked as a declaration's are; an end in the future.
        err = expect_error(s.call("class.save", {
            "name": "未来班", "form": "training", "fields": {"kind": "不存在的类型"},
            "start_date": f"{NOW - 1}-03-05", "end_date": f"{NOW + 1}-01-01",
            "year": NOW, "amount": "1001"}), INVALID_INPUT, "field_future")
        got = {(e["field"], e["reason"]) for e in err["data"]["errors"]}
        assert ("end_date", "field_future") in got
        assert ("amount", "amount_invalid") in got
        assert ("fields.kind", "field_choice") in got
        assert ("fields.name", "field_required") in got, got
        assert ("fields.organiser", "field_required") in got, got


def test_a_class_is_saved_changed_listed_and_deleted_with_its_audit(bdaemon, bsite):
    acc = bsite["acc"]
    with logged_in(bdaemon, bsite["a"][1]) as s:
        made = new_class(s)
        got = s.result("class.get", {"id": made["id"]})
        assert (got["state"], got["form"]["code"], got["amount"], got["year"]) == \
            ("draft", "training", "16.00", NOW - 1)
        assert got["roster"] == {"rows": 0, "bad": 0, "unclaimed": 0}
        # A change needs the version it was read at.
        changed = new_class(s, id=made["id"], version=made["version"], name="改名培训班",
                            amount="12.5")
        assert changed["version"] == made["version"] + 1
        expect_error(s.call("class.save", dict(name="再改", form="training",
                                               fields=training_fields(),
                                               start_date=f"{NOW - 1}-03-01",
                                               end_date=f"{NOW - 1}-03-02", year=NOW - 1,
                                               amount=1, id=made["id"],
                                               version=made["version"])),
                     CONFLICT, "stale_version")
        second = new_class(s, name="第二个班")
        page = s.result("class.list", {"limit": 1})
        assert [c["id"] for c in page["items"]] == [second["id"]]
        assert page["counts"]["draft"] >= 2
        page2 = s.result("class.list", {"limit": 1, "after": page["next"]})
        assert [c["id"] for c in page2["items"]] == [made["id"]]
        assert page2["items"][0]["name"] == "改名培训班"

        s.result("class.delete", {"id": second["id"]})
        expect_error(s.call("class.get", {"id": second["id"]}), NOT_FOUND, "not_found")
        assert second["id"] not in [c["id"] for c in
                                    s.result("class.list", {"limit": 200})["items"]]
    assert [r[0] for r in acc.rows(f"SELECT action FROM base_class_audit WHERE class_id = "
                                   f"{made['id']} ORDER BY id")] == ["create", "update"]
    assert [r[0] for r in acc.rows(f"SELECT action FROM base_class_audit WHERE class_id = "
                                   f"{second['id']} ORDER BY id")] == ["create", "delete"]


def test_a_reported_class_is_no_draft_to_change(bdaemon, bsite):
    acc = bsite["acc"]
    with logged_in(bdaemon, bsite["a"][1]) as s:
        made = new_class(s, name="已申报的班")
        acc.sql(f"UPDATE base_classes SET state = 'reported', reported_at = now() "
                f"WHERE id = {made['id']}")
        err = expect_error(s.call("class.save", {
            "id": made["id"], "version": made["version"], "name": "不能改", "form": "training",
            "fields": training_fields(), "start_date": f"{NOW - 1}-03-01",
            "end_date": f"{NOW - 1}-03-02", "year": NOW - 1, "amount": 1}),
            CONFLICT, "state_changed")
        assert err["data"]["state"] == "reported"
        expect_error(s.call("class.delete", {"id": made["id"]}), CONFLICT, "state_changed")


def test_another_bases_class_is_not_found(bdaemon, bsite):
    with logged_in(bdaemon, bsite["a"][1]) as s:
        theirs = new_class(s, name="甲基地的班")
    with logged_in(bdaemon, bsite["b"][1]) as s:
        for method, params in [("class.get", {"id": theirs["id"]}),
                               ("class.delete", {"id": theirs["id"]}),
                               ("roster.list", {"class_id": theirs["id"]}),
                               ("roster.add", {"class_id": theirs["id"],
                                               "rows": [{"id_number": id_number(),
                                                         "name": "某人"}]})]:
            err = expect_error(s.call(method, params), NOT_FOUND, "not_found")
        err = expect_error(s.call("class.save", {
            "id": theirs["id"], "version": theirs["version"], "name": "抢", "form":
            "online_course", "fields": {"course": "课", "platform": "平台",
                                        "finished": f"{NOW - 1}-01-01"},
            "start_date": f"{NOW - 1}-01-01", "end_date": f"{NOW - 1}-01-01",
            "year": NOW - 1, "amount": 1}), NOT_FOUND, "not_found")
        assert [c["id"] for c in s.result("class.list")["items"]] == []


BASE_METHODS = [("class.forms", {}), ("class.list", {}), ("class.get", {"id": 1}),
                ("class.save", {"name": "x"}), ("class.delete", {"id": 1}),
                ("roster.list", {"class_id": 1}),
                ("roster.add", {"class_id": 1, "rows": [{"id_number": "1", "name": "x"}]}),
                ("roster.import", {"class_id": 1, "data": ""}),
                ("roster.remove", {"class_id": 1, "row_ids": [1]}),
                ("roster.update", {"row_id": 1})]


def test_staff_and_unit_admins_calling_base_methods_are_refused(bdaemon, bsite):
    for who in ("staff", "unit_admin"):
        with logged_in(bdaemon, bsite[who][1]) as s:
            for method, params in BASE_METHODS:
                expect_error(s.call(method, params), NOT_PERMITTED, "not_permitted")
    with bdaemon.rpc() as s:
        for method, params in BASE_METHODS:
            expect_error(s.call(method, params), NOT_PERMITTED, "login_required")


def test_a_disabled_base_admin_is_refused_at_once(bdaemon, bsite):
    acc = bsite["acc"]
    aid, idn = acc.add_base_admin("BKA", "将被停用的管理员")
    with logged_in(bdaemon, idn) as s:
        s.result("class.list")
        acc.sql(f"UPDATE accounts SET state = 'disabled' WHERE id = {aid}")
        expect_error(s.call("class.list"), NOT_PERMITTED, "not_permitted")


def test_a_class_keeps_one_attachment(bdaemon, bsite):
    import base64
    from helpers import jpeg, sha, upload
    data = jpeg(3000)
    with logged_in(bdaemon, bsite["a"][1]) as s:
        token = upload(s, data, name="签到表.jpg")["attachment_token"]
        made = new_class(s, name="有附件的班", attachment_token=token)
        got = s.result("class.get", {"id": made["id"]})
        assert got["attachment"] == {"name": "签到表.jpg", "size": len(data)}
        part = s.result("class.attachment", {"id": made["id"], "length": 1000})
        assert (part["sha256"], part["length"], part["eof"]) == (sha(data), 1000, False)
        assert base64.b64decode(part["data"]) == data[:1000]
        # A token is good once: the upload went with the class.
        err = expect_error(s.call("class.save", dict(
            name="再用一次", form="training", fields=training_fields(),
            start_date=f"{NOW - 1}-03-01", end_date=f"{NOW - 1}-03-02", year=NOW - 1,
            amount=1, attachment_token=token)), INVALID_INPUT, "attachment_token_invalid")
        changed = new_class(s, id=made["id"], version=made["version"], name="有附件的班",
                            remove_attachment=True)
        assert changed["version"] == made["version"] + 1
        assert s.result("class.get", {"id": made["id"]})["attachment"] is None
        expect_error(s.call("class.attachment", {"id": made["id"]}), NOT_FOUND, "not_found")
    with logged_in(bdaemon, bsite["b"][1]) as s:
        expect_error(s.call("class.attachment", {"id": made["id"]}), NOT_FOUND, "not_found")


def test_jxjyd_admins_lists_the_base_admins(make_daemon, tmp_path):
    import re
    d = make_daemon(start=False)
    acc = Accounts(d.pg, d.dbname, "BL")
    acc.add_base("BLA", "列表基地", forms=("training",))
    _, pub = make_key(tmp_path, "listed")
    listed, ghost = id_number(), id_number()
    _base_admins_config(d, [
        {"id_number": listed, "name": "列出的基地管理员", "base": "BLA", "keys": [pub]},
        {"id_number": ghost, "name": "无基地", "base": "NOPE", "keys": [pub]}])
    acc.add_base_admin("BLA", "旧基地管理员")
    d.start()
    out = d.run("admins").stdout
    assert f"base administrators named in {d.conf}: 2" in out, out
    assert re.search(rf"^  {listed}  BLA +active +1/1 +\d+ +列出的基地管理员$", out, re.M), out
    assert re.search(rf"^  {ghost}  NOPE +base does not exist ", out, re.M), out
    assert "base administrator accounts the file does not name: 1" in out, out
    assert re.search(r"^  \S+  BLA +disabled .*旧基地管理员$", out, re.M), out
