"""The bases of an authority's scope (issue 16): bases.list / .get / .accredit / .suspend /
.reinstate / .set_forms on the real daemon over SSH; a suspended or unaccredited base's
report refused and allowed again, its records kept; every change in base_audit and in
audit.search; another city's base not found; `jxjyd import bases` bringing a new base in
unaccredited and never undoing the authority's decisions.
"""

import itertools

import pytest

from conftest import Daemon
from helpers import (CONFLICT, CREDITS, INVALID_INPUT, INVALID_PARAMS, ISO, NOT_FOUND, NOW,
                     PLAIN, Accounts, Sql, expect_error, forms_text, logged_in, pages)

_serial = itertools.count(1)
KINDS = 'base_kinds = (\n\t{ kind = "medical"; forms = [ "t_credits" ]; }\n);\n'


@pytest.fixture(scope="module")
def adaemon(postgres, migrated_template, tmp_path_factory):
    db = postgres.new_database(template=migrated_template)
    d = Daemon(tmp_path_factory.mktemp("jxjyd-authority-bases"), postgres, db, None,
               forms_text([PLAIN, CREDITS]) + KINDS)
    d.start()
    yield d
    d.stop()


@pytest.fixture(scope="module")
def world(adaemon, postgres):
    acc = Accounts(postgres, adaemon.dbname, "AB")
    acc.add_unit("ABU", "基地认定测试单位", region="410100")
    w = {"acc": acc}
    w["staff"] = acc.add_staff("ABU", "孙认定")
    w["province"] = acc.add_authority("省人社厅", scope="410000")
    w["city"] = acc.add_authority("郑州市人社局", scope="410100")
    w["luoyang"] = acc.add_authority("洛阳市人社局", scope="410300")
    with logged_in(adaemon, w["city"][1]) as s:    # the forms are synced on first use
        s.result("session.whoami")
    acc.add_base("ABZ", "郑州认定测试基地", region="410100", forms=("t_plain", "t_credits"))
    acc.add_base("ABY", "洛阳认定测试基地", region="410300", kind="medical")
    w["base_admin"], w["base_idn"] = acc.add_base_admin("ABZ", "郑州基地管理员")
    return w


def make_class(w, base="ABZ"):
    """A draft class of base, ended yesterday, with one good roster row for the staff."""
    acc = w["acc"]
    name = f"第{next(_serial)}期认定测试班"
    form_id = int(acc.value("SELECT id FROM learning_forms WHERE code = 't_plain' AND active"))
    cid = acc.insert("base_classes", base_code=base, name=name, form_id=form_id,
                     form_code="t_plain", fields=f'{{"name": "{name}"}}',
                     start_date=Sql("current_date - 2"), end_date=Sql("current_date - 1"),
                     year=NOW, amount=4, created_by=w["base_admin"])
    acc.insert("base_roster", class_id=cid, line=2, id_number=w["staff"][1], name="孙认定",
               account_id=w["staff"][0])
    return cid


def report(d, w, cid):
    with logged_in(d, w["base_idn"]) as s:
        return s.call("class.report", {"id": cid, "version": 1})


def base_audit(acc, code):
    return acc.rows("SELECT action, coalesce(reason, ''), before->>'suspended', "
                    "after->>'suspended', before->>'accredited', after->>'accredited' "
                    f"FROM base_audit WHERE base_code = '{code}' ORDER BY id")


def test_list_and_get_keep_to_the_scope(adaemon, world):
    with logged_in(adaemon, world["city"][1]) as s:
        codes = [b["code"] for p in pages(s, "bases.list", {"limit": 1}) for b in p["items"]]
        assert "ABZ" in codes and "ABY" not in codes
        b = s.result("bases.get", {"code": "ABZ"})
        assert b["region"] == {"code": "410100", "name": "郑州市"}
        assert b["forms"] == ["t_plain", "t_credits"] and b["forms_own"] is True
        assert (b["listed"], b["accredited"], b["suspended"], b["can_report"]) == \
            (True, True, False, True)
        assert (b["state"], b["state_label"]) == ("active", "正常")
        assert b["history"] == [] and b["kind_forms"] == []
        # Another city's base: not found, as one that does not exist; no change made.
        for method, params in (("bases.get", {}), ("bases.accredit", {}),
                               ("bases.suspend", {"reason": "越权"}), ("bases.reinstate", {}),
                               ("bases.set_forms", {"forms": []})):
            for code in ("ABY", "NOSUCH"):
                expect_error(s.call(method, dict(params, code=code)), NOT_FOUND, "not_found",
                             "code")
        expect_error(s.call("bases.list", {"region": "410300"}), NOT_FOUND, "not_found",
                     "region")
        expect_error(s.call("bases.list", {"state": "sleepy"}), INVALID_PARAMS,
                     "base_state_invalid", "state")
        expect_error(s.call("bases.list", {"limit": 101}), INVALID_PARAMS, "limit_invalid",
                     "limit")
    assert base_audit(world["acc"], "ABY") == []
    with logged_in(adaemon, world["province"][1]) as s:
        codes = [b["code"] for p in pages(s, "bases.list", {}) for b in p["items"]]
        assert {"ABZ", "ABY"} <= set(codes) and codes == sorted(codes)
        ly = s.result("bases.list", {"region": "410300"})["items"]
        assert [b["code"] for b in ly] == ["ABY"]
        assert ly[0]["forms"] == ["t_credits"] and ly[0]["forms_own"] is False


def test_a_suspended_base_cannot_report_until_reinstated(adaemon, world):
    acc = world["acc"]
    first = make_class(world)
    assert "result" in report(adaemon, world, first)
    with logged_in(adaemon, world["city"][1]) as s:
        expect_error(s.call("bases.suspend", {"code": "ABZ"}), INVALID_PARAMS, "required",
                     "reason")
        expect_error(s.call("bases.suspend", {"code": "ABZ", "reason": ""}), INVALID_PARAMS,
                     "required", "reason")
        b = s.result("bases.suspend", {"code": "ABZ", "reason": "年检不合格"})
        assert (b["suspended"], b["suspend_reason"], b["state"], b["can_report"]) == \
            (True, "年检不合格", "suspended", False)
        assert ISO.match(b["suspended_at"])
        assert (b["classes_reported"], b["records"]) == (1, 1)
        expect_error(s.call("bases.suspend", {"code": "ABZ", "reason": "再次"}), CONFLICT,
                     "base_already_suspended", "code")
        assert [x["code"] for x in s.result("bases.list", {"state": "suspended"})["items"]] \
            == ["ABZ"]
    second = make_class(world)
    r = report(adaemon, world, second)
    expect_error(r, INVALID_INPUT, "report_base_inactive")
    # Its reported record stays, as it was.
    assert acc.value(f"SELECT state FROM declarations WHERE class_id = {first}") == "pending"
    assert acc.value(f"SELECT count(*) FROM declarations WHERE class_id = {second}") == "0"
    with logged_in(adaemon, world["city"][1]) as s:
        b = s.result("bases.reinstate", {"code": "ABZ", "reason": "整改完成"})
        assert (b["suspended"], b["suspend_reason"], b["can_report"]) == (False, None, True)
        expect_error(s.call("bases.reinstate", {"code": "ABZ"}), CONFLICT,
                     "base_not_suspended", "code")
        history = s.result("bases.get", {"code": "ABZ"})["history"]
        assert [(h["action"], h["reason"]) for h in history[:2]] == [
            ("reinstate", "整改完成"), ("suspend", "年检不合格")]
        assert history[0]["actor"] == {"id": world["city"][0], "name": "郑州市人社局",
                                       "role": "authority"}
        assert history[1]["before"]["suspended"] is False
        assert history[1]["after"]["suspended"] is True
    assert "result" in report(adaemon, world, second)
    assert base_audit(acc, "ABZ")[-2:] == [
        ["suspend", "年检不合格", "false", "true", "true", "true"],
        ["reinstate", "整改完成", "true", "false", "true", "true"]]
    # audit.search shows them as kind "base", to this city and to the province, not Luoyang.
    for who in ("city", "province"):
        with logged_in(adaemon, world[who][1]) as s:
            items = s.result("audit.search", {"kind": "base", "base": "ABZ"})["items"]
            assert [i["action"] for i in items[:2]] == ["reinstate", "suspend"]
            assert items[1]["base"] == {"code": "ABZ", "name": "郑州认定测试基地"}
            assert items[1]["detail"]["after"]["suspend_reason"] == "年检不合格"
            assert items[1]["outcome"] == "暂停报送" and items[1]["subject"] is None
    with logged_in(adaemon, world["luoyang"][1]) as s:
        assert s.result("audit.search", {"kind": "base"})["items"] == []
        expect_error(s.call("audit.search", {"base": "ABZ"}), NOT_FOUND, "not_found", "base")


def test_an_unaccredited_base_reports_once_accredited(adaemon, world):
    acc = world["acc"]
    acc.sql("UPDATE bases SET accredited = false WHERE code = 'ABZ'")
    cid = make_class(world)
    expect_error(report(adaemon, world, cid), INVALID_INPUT, "report_base_unaccredited")
    with logged_in(adaemon, world["city"][1]) as s:
        assert [b["code"] for b in s.result("bases.list", {"state": "unaccredited"})["items"]] \
            == ["ABZ"]
        assert s.result("bases.get", {"code": "ABZ"})["state"] == "unaccredited"
        b = s.result("bases.accredit", {"code": "ABZ"})
        assert (b["accredited"], b["can_report"]) == (True, True)
        expect_error(s.call("bases.accredit", {"code": "ABZ"}), CONFLICT,
                     "base_already_accredited", "code")
    assert "result" in report(adaemon, world, cid)
    assert base_audit(acc, "ABZ")[-1] == ["accredit", "", "false", "false", "false", "true"]


def test_set_forms(adaemon, world):
    acc = world["acc"]
    with logged_in(adaemon, world["province"][1]) as s:
        r = s.call("bases.set_forms", {"code": "ABY", "forms": ["t_plain", "nosuch"]})
        expect_error(r, INVALID_PARAMS, "base_form_unknown", "forms")
        assert "nosuch" in r["error"]["message"]
        expect_error(s.call("bases.set_forms", {"code": "ABY", "forms": [3]}), INVALID_PARAMS,
                     "base_forms_invalid", "forms")
        expect_error(s.call("bases.set_forms", {"code": "ABY", "forms": ["t_plain"] * 33}),
                     INVALID_PARAMS, "base_forms_invalid", "forms")
        b = s.result("bases.set_forms", {"code": "ABY", "forms": ["t_plain", "t_plain"],
                                         "reason": "只许面授"})
        assert (b["forms"], b["forms_own"], b["forms_decided"]) == (["t_plain"], True, True)
        b = s.result("bases.set_forms", {"code": "ABY", "forms": []})
        assert (b["forms"], b["forms_own"], b["forms_decided"]) == (["t_credits"], False, True)
    assert acc.rows("SELECT action, coalesce(reason, ''), before->>'forms', after->>'forms' "
                    "FROM base_audit WHERE base_code = 'ABY' ORDER BY id") == [
        ["set_forms", "只许面授", "[]", '["t_plain"]'], ["set_forms", "", '["t_plain"]', "[]"]]


def test_import_brings_new_bases_in_unaccredited_and_keeps_the_authoritys_decisions(
        make_daemon, tmp_path):
    d = make_daemon(start=False)
    d.extra_config = forms_text([], with_sample=True).replace(",\n\n);", "\n);") + "\n" + \
        'base_kinds = (\n\t{ kind = "medical"; forms = [ "training", "conference" ]; }\n);\n'
    d.write_config()
    acc = Accounts(d.pg, d.dbname, "IM")
    acc.add_base("IMOLD", "导入前已有基地", forms=("training",))
    f = tmp_path / "bases.csv"
    f.write_text("code,name,region,kind,forms\n"
                 "IMOLD,导入前已有基地,410100,,training\n"
                 "IMNEW,新导入基地,410100,medical,\n", encoding="utf-8")
    r = d.run("import", "bases", str(f))
    assert r.returncode == 0, r.stderr
    assert acc.rows("SELECT code, accredited FROM bases ORDER BY code") == [
        ["IMNEW", "f"], ["IMOLD", "t"]]
    # The authority's decisions, then the same file again and one that changes the forms.
    acc.sql("UPDATE bases SET accredited = true, suspended_at = now(), suspend_reason = '停业整顿',"
            " forms = '{conference}', forms_decided = true WHERE code = 'IMNEW'")
    f.write_text("code,name,region,kind,forms\n"
                 "IMOLD,导入前已有基地,410100,,training;conference\n"
                 "IMNEW,新导入基地（更名）,410100,medical,training\n", encoding="utf-8")
    r = d.run("import", "bases", str(f))
    assert r.returncode == 0, r.stderr
    assert acc.rows("SELECT code, name, accredited, suspend_reason, forms, active FROM bases "
                    "ORDER BY code") == [
        ["IMNEW", "新导入基地（更名）", "t", "停业整顿", "{conference}", "t"],
        ["IMOLD", "导入前已有基地", "t", "", "{training,conference}", "t"]]

