"""Records that continuing-education bases report for their classes (基地学时申报, issue 15),
on the real daemon over SSH: reporting a class (both review modes), the refusals of a class
with bad rows, no rows, a form the base may not report, another base's class; the claim of
unclaimed rows when a registration is approved (name matching or not); corrections before
and after a unit's decision; what the person may not do with a base record; the unit
administrator's queue and per-class decision; and the records in the completion figures.

Bases, classes and rosters are made with SQL here (their own methods are another part of
the issue); the base administrators come from the config's base_admins and log in by key.
"""

import itertools
from decimal import Decimal

import pytest

from conftest import Daemon
from helpers import (CONFLICT, INVALID_INPUT, NOT_FOUND, NOT_PERMITTED, NOW, PLAIN, CREDITS,
                     Accounts, admins_block, base_admins_block, expect_error, forms_text, id_number,
                     key_rpc, logged_in, make_key, pages)


D = Decimal
_serial = itertools.count(1)


@pytest.fixture(scope="module")
def bdaemon(postgres, migrated_template, tmp_path_factory):
    db = postgres.new_database(template=migrated_template)
    d = Daemon(tmp_path_factory.mktemp("jxjyd-base-reports"), postgres, db, None,
               forms_text([PLAIN, CREDITS]))
    d.start()
    yield d
    d.stop()


@pytest.fixture(scope="module")
def world(bdaemon, postgres, tmp_path_factory):
    acc = Accounts(postgres, bdaemon.dbname, "BR")
    a = acc.add_unit("BRA", "基地测试甲单位", departments=("护理部",))
    acc.add_unit("BRB", "基地测试乙单位")
    w = {"acc": acc, "dept": a["护理部"]}
    w["admin_a"] = acc.add_admin("BRA", "甲单位管理员")
    w["admin_b"] = acc.add_admin("BRB", "乙单位管理员")
    # The learning forms are synced on first use.
    with logged_in(bdaemon, w["admin_a"][1]) as s:
        s.result("forms.list")
    for code, name in (("BASE1", "省医学继续教育中心"), ("BASE2", "市护理培训中心")):
        acc.sql(f"INSERT INTO bases (code, name, region, forms) VALUES ('{code}', '{name}', "
                f"(SELECT min(code) FROM regions), '{{t_plain,t_credits}}')")
    # Their administrators, from the config (a reload keeps them, as it would disable
    # base administrators the config does not name).
    keys = tmp_path_factory.mktemp("base-keys")
    entries = []
    for key, base, name in (("base_admin", "BASE1", "基地管理员"),
                            ("base_admin2", "BASE2", "另一基地管理员")):
        path, pub = make_key(keys, key)
        entries.append({"id_number": id_number(), "name": name, "base": base, "keys": [pub]})
        w[key + "_key"] = (entries[-1]["id_number"], path)
    # The units' administrators too: a reload disables those the config does not name.
    units = []
    for key, unit, name in (("admin_a", "BRA", "甲单位管理员"), ("admin_b", "BRB", "乙单位管理员")):
        units.append({"id_number": w[key][1], "name": name, "unit": unit,
                      "keys": [make_key(keys, key)[1]]})
    bdaemon.extra_config = (forms_text([PLAIN, CREDITS]) + base_admins_block(entries) +
                            admins_block(units)[0])
    bdaemon.write_config()
    bdaemon.reload()
    for key in ("base_admin", "base_admin2"):
        w[key] = int(acc.value(f"SELECT id FROM accounts WHERE id_number = "
                               f"'{w[key + '_key'][0]}' AND role = 'base_admin'"))
    return w


def base_session(d, w, which="base_admin"):
    """An RPC session of a base administrator, logged in by their key."""
    idn, key = w[which + "_key"]
    return key_rpc(d, idn, key)


def form_id(acc, code):
    return int(acc.value(f"SELECT id FROM learning_forms WHERE code = '{code}' AND active"))


def make_class(w, rows, base="BASE1", form=PLAIN["code"], amount=8, year=NOW,
               end="current_date - 1", name=None):
    """A draft class of base with roster rows: each (person or None, name, amount, problem)
    where person is an (account id, ID number) or an ID number alone (unclaimed).  Returns
    {id, rows: [row ids]}."""
    acc = w["acc"]
    creator = w["base_admin"] if base == "BASE1" else w["base_admin2"]
    name = name or f"第{next(_serial)}期护理培训班"
    cid = acc.insert("base_classes", base_code=base, name=name, form_id=form_id(acc, form),
                     form_code=form, fields=f'{{"name": "{name}"}}',
                     start_date=_sql(f"{end} - 1"), end_date=_sql(end), year=year,
                     amount=amount, created_by=creator)
    ids = []
    for i, (person, pname, ramount, problem) in enumerate(rows, start=2):
        if isinstance(person, tuple):
            account, idn = person
        else:
            account, idn = None, person
        ids.append(acc.insert("base_roster", class_id=cid, line=i, id_number=idn, name=pname,
                              amount=ramount, problem=problem, account_id=account))
    return {"id": cid, "rows": ids, "name": name}


def _sql(expr):
    from helpers import Sql
    return Sql(expr)


def report(s, w, c, version=1):
    return s.call("class.report", {"id": c["id"], "version": version})


def record_of(acc, row_id):
    return acc.row("SELECT d.id, d.state, trim_scale(d.amount), trim_scale(d.hours), d.source, "
                   "d.unit_code FROM base_roster r JOIN declarations d ON d.id = r.declaration_id "
                   f"WHERE r.id = {row_id}")


def totals(acc, account, form=PLAIN["code"], year=NOW):
    row = acc.row("SELECT trim_scale(pending_hours), trim_scale(approved_hours) FROM "
                  f"declaration_totals WHERE account_id = {account} AND year = {year} "
                  f"AND form_code = '{form}'")
    return (D(row[0]), D(row[1])) if row else (D(0), D(0))


# --- configuration -------------------------------------------------------------------------

def test_check_config_knows_base_reports_review(bdaemon):
    """"unit", "authority" (issue 16) and "none" are taken; anything else is refused with
    the allowed values."""
    path = bdaemon.dir / "review.conf"
    for value in ("unit", "none", "authority"):
        path.write_text(f'base_reports: {{ review = "{value}"; }};\n', encoding="utf-8")
        r = bdaemon.run("-f", str(path), "check-config")
        assert r.returncode == 0, r.stdout + r.stderr
    path.write_text('base_reports: { review = "everyone"; };\n', encoding="utf-8")
    r = bdaemon.run("-f", str(path), "check-config")
    assert r.returncode == 1
    assert ('base_reports.review: must be "unit", "authority" or "none", got "everyone"'
            in r.stdout + r.stderr)


# --- reporting -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def people(world):
    acc = w = world
    acc = w["acc"]
    return {name: acc.add_staff("BRA" if i < 3 else "BRB", name, w["dept"] if i < 3 else None)
            for i, name in enumerate(("孙明", "周红", "吴刚", "郑乙"))}


def test_report_makes_one_pending_record_per_claimed_row(bdaemon, world, people):
    """Under "unit": a record per good claimed row (the row's own hours or the class's),
    pending, in the person's unit, audited 'report', in the totals; the unclaimed row stays
    unclaimed; the class is reported and audited; the person hears of it."""
    acc = world["acc"]
    sun, zhou, zheng = people["孙明"], people["周红"], people["郑乙"]
    stranger = id_number()
    c = make_class(world, [(sun, "孙明", None, None), (zhou, "周红", 6, None),
                           (zheng, "郑乙", None, None), (stranger, "未注册", None, None)])
    before = totals(acc, sun[0])
    with logged_in(bdaemon, sun[1]) as s, base_session(bdaemon, world) as base:
        r = report(base, world, c)
        assert r["result"] == {"id": c["id"], "state": "reported", "version": 2,
                               "records": 3, "unclaimed": 1, "record_state": "pending"}, r
        rec = record_of(acc, c["rows"][0])
        assert rec[1:] == ["pending", "8", "8", "base", "BRA"]
        # Told as a base's record (kind "base"), not as a declaration the person submitted.
        assert s.next_change() == {"kind": "base", "id": int(rec[0]), "state": "pending",
                                   "message": f"继续教育基地为您报送了《{c['name']}》，等待审核"}
    assert record_of(acc, c["rows"][1])[1:4] == ["pending", "6", "6"]
    assert record_of(acc, c["rows"][2])[5] == "BRB"
    assert record_of(acc, c["rows"][3]) is None
    assert acc.value(f"SELECT account_id IS NULL FROM base_roster WHERE id = {c['rows'][3]}") == "t"
    assert totals(acc, sun[0]) == (before[0] + 8, before[1])
    assert acc.rows(f"SELECT action, coalesce(from_state::text, '-'), to_state, actor_id "
                    f"FROM declaration_audit WHERE declaration_id = {rec[0]}") == [
        ["report", "-", "pending", str(world["base_admin"])]]
    assert acc.row(f"SELECT state, reported_by IS NOT NULL FROM base_classes "
                   f"WHERE id = {c['id']}") == ["reported", "t"]
    assert acc.value(f"SELECT detail->>'records' || '/' || (detail->>'unclaimed') FROM "
                     f"base_class_audit WHERE class_id = {c['id']} AND action = 'report'") == "3/1"
    # Reported once: again is a conflict naming the state, and changes nothing.
    with base_session(bdaemon, world) as base:
        r = report(base, world, c, version=2)
        expect_error(r, CONFLICT, "state_changed", "id")
        assert r["error"]["message"] == "这个班次现在是「已报送」，不能进行这项操作"
    assert acc.value(f"SELECT count(*) FROM declarations WHERE class_id = {c['id']}") == "3"


def test_report_refuses_bad_rows_all_at_once(bdaemon, world, people):
    acc = world["acc"]
    c = make_class(world, [(people["孙明"], "孙明", None, None),
                           ("11010519491231002X", "王某", None, "id_number_invalid"),
                           (id_number(), "李某", None, "name_mismatch")])
    with base_session(bdaemon, world) as base:
        r = report(base, world, c)
    expect_error(r, INVALID_INPUT, "report_bad_row", "roster")
    errors = r["error"]["data"]["errors"]
    assert [e["message"] for e in errors][0].startswith("第 3 行（王某）：")
    assert errors[1]["message"].startswith("第 4 行（李某）：")
    assert r["error"]["data"]["bad_rows"] == 2
    assert acc.value(f"SELECT state FROM base_classes WHERE id = {c['id']}") == "draft"
    assert acc.value(f"SELECT count(*) FROM declarations WHERE class_id = {c['id']}") == "0"


def test_report_refuses_what_cannot_be_reported(bdaemon, world, people):
    """No rows; a form the base may not report; a class not over yet; a year out of the
    window; a stale version; another base's class (not found, as a class that is not); a
    base administrator no longer active."""
    acc = world["acc"]
    with base_session(bdaemon, world) as base:
        empty = make_class(world, [])
        expect_error(report(base, world, empty), INVALID_INPUT, "report_roster_empty", "roster")
        c = make_class(world, [(people["孙明"], "孙明", None, None)], end="current_date + 3",
                       year=NOW - 5)
        acc.sql("UPDATE bases SET forms = '{t_credits}' WHERE code = 'BASE1'")
        try:
            r = report(base, world, c)
        finally:
            acc.sql("UPDATE bases SET forms = '{t_plain,t_credits}' WHERE code = 'BASE1'")
        expect_error(r, INVALID_INPUT, "report_form_not_allowed", "form")
        assert [e["reason"] for e in r["error"]["data"]["errors"]] == [
            "report_form_not_allowed", "report_end_future", "year_invalid"]
        assert r["error"]["data"]["errors"][0]["message"] == "本基地不能报送「测试无附件」"
        ok = make_class(world, [(people["孙明"], "孙明", None, None)])
        expect_error(report(base, world, ok, version=7), CONFLICT, "stale_version", "version")
    with base_session(bdaemon, world, "base_admin2") as other:
        expect_error(report(other, world, ok), NOT_FOUND, "not_found", "id")
    # A class the base deleted is not found either.
    gone = make_class(world, [(people["孙明"], "孙明", None, None)])
    acc.sql(f"UPDATE base_classes SET state = 'deleted' WHERE id = {gone['id']}")
    with base_session(bdaemon, world) as base:
        expect_error(report(base, world, gone), NOT_FOUND, "not_found", "id")
    with logged_in(bdaemon, world["admin_a"][1]) as admin:
        r = admin.call("class.report", {"id": ok["id"], "version": 1})
        assert r["error"]["code"] == NOT_PERMITTED, r
    # An administrator disabled since the session began is refused by the dispatcher.
    with base_session(bdaemon, world) as base:
        acc.sql(f"UPDATE accounts SET state = 'disabled' WHERE id = {world['base_admin']}")
        try:
            r = report(base, world, ok)
        finally:
            acc.sql(f"UPDATE accounts SET state = 'active' WHERE id = {world['base_admin']}")
        assert r["error"]["code"] == NOT_PERMITTED, r
    assert acc.value(f"SELECT count(*) FROM declarations WHERE class_id IN "
                     f"({empty['id']}, {c['id']}, {ok['id']})") == "0"


# --- corrections ---------------------------------------------------------------------------

def call_base(base, world, method, **params):
    return base.call(method, params)


def test_corrections_before_any_decision(bdaemon, world, people):
    """Hours changed (the record, the totals, audited 'change'), a row withdrawn (its record
    gone, audited 'unreport', off the totals), then the whole report withdrawn."""
    acc = world["acc"]
    sun, zhou, wu = people["孙明"], people["周红"], people["吴刚"]
    c = make_class(world, [(sun, "孙明", None, None), (zhou, "周红", None, None),
                           (wu, "吴刚", None, None)])
    t_sun, t_zhou, t_wu = totals(acc, sun[0]), totals(acc, zhou[0]), totals(acc, wu[0])
    with base_session(bdaemon, world) as base:
        assert report(base, world, c)["result"]["records"] == 3
        sun_rec, zhou_rec = record_of(acc, c["rows"][0])[0], record_of(acc, c["rows"][1])[0]
        r = call_base(base, world, "roster.change", row_id=c["rows"][0], amount="5.5")
        assert r["result"] == {"row_id": c["rows"][0], "amount": "5.5",
                               "declaration_id": int(sun_rec)}, r
        assert record_of(acc, c["rows"][0])[1:4] == ["pending", "5.5", "5.5"]
        assert totals(acc, sun[0]) == (t_sun[0] + D("5.5"), t_sun[1])
        assert acc.row(f"SELECT action, reason FROM declaration_audit WHERE declaration_id = "
                       f"{sun_rec} ORDER BY id DESC LIMIT 1") == ["change", "8 → 5.5"]
        expect_error(call_base(base, world, "roster.change", row_id=c["rows"][0], amount=0),
                     INVALID_INPUT, "amount_invalid", "amount")

        r = call_base(base, world, "roster.withdraw", class_id=c["id"], row_ids=[c["rows"][1]])
        assert r["result"] == {"class_id": c["id"], "withdrawn": 1, "records": 1}, r
        assert acc.value(f"SELECT count(*) FROM declarations WHERE id = {zhou_rec}") == "0"
        assert acc.row(f"SELECT action, from_state, to_state IS NULL FROM declaration_audit "
                       f"WHERE declaration_id = {zhou_rec} ORDER BY id DESC LIMIT 1") == \
            ["unreport", "pending", "t"]
        assert totals(acc, zhou[0]) == t_zhou
        r = call_base(base, world, "roster.withdraw", class_id=c["id"],
                      row_ids=[c["rows"][1], 999999])
        expect_error(r, INVALID_INPUT, "report_row_unknown", "row_ids")
        assert len(r["error"]["data"]["errors"]) == 2

        r = call_base(base, world, "class.withdraw", id=c["id"])
        assert r["result"] == {"id": c["id"], "state": "withdrawn", "version": 3,
                               "records": 2}, r
    assert acc.value(f"SELECT count(*) FROM declarations WHERE class_id = {c['id']}") == "0"
    assert (totals(acc, sun[0]), totals(acc, wu[0])) == (t_sun, t_wu)
    assert acc.value(f"SELECT count(*) FROM declaration_audit WHERE declaration_id = {sun_rec}"
                     " AND action = 'unreport'") == "1"
    assert acc.value(f"SELECT string_agg(action, ',' ORDER BY id) FROM base_class_audit "
                     f"WHERE class_id = {c['id']}") == "report,change_row,withdraw_row,withdraw"


def test_corrections_after_a_decision(bdaemon, world, people):
    """Once a unit decided a record: the report cannot be withdrawn whole nor hours changed;
    a decided row cannot be withdrawn (named), a pending one can."""
    acc = world["acc"]
    sun, zhou = people["孙明"], people["周红"]
    c = make_class(world, [(sun, "孙明", None, None), (zhou, "周红", None, None)])
    with base_session(bdaemon, world) as base, logged_in(bdaemon, world["admin_a"][1]) as admin:
        report(base, world, c)
        sun_rec = int(record_of(acc, c["rows"][0])[0])
        admin.result("review.approve_declarations", {"ids": [sun_rec]})
        expect_error(call_base(base, world, "class.withdraw", id=c["id"]), CONFLICT,
                     "report_class_decided", "id")
        expect_error(call_base(base, world, "roster.change", row_id=c["rows"][1], amount=3),
                     CONFLICT, "report_class_decided", "row_id")
        r = call_base(base, world, "roster.withdraw", class_id=c["id"], row_ids=c["rows"])
        expect_error(r, INVALID_INPUT, "report_row_decided", "row_ids")
        assert r["error"]["data"]["errors"][0]["message"] == "孙明 的记录已审核（审核通过），不能撤回"
        assert acc.value(f"SELECT count(*) FROM declarations WHERE class_id = {c['id']}") == "2"
        r = call_base(base, world, "roster.withdraw", class_id=c["id"], row_ids=[c["rows"][1]])
        assert r["result"]["records"] == 1
    assert acc.value(f"SELECT string_agg(state::text, ',') FROM declarations "
                     f"WHERE class_id = {c['id']}") == "approved"


# --- the person's and the unit's views -----------------------------------------------------

def test_the_person_sees_a_base_record_and_cannot_change_it(bdaemon, world, people):
    acc = world["acc"]
    sun = people["孙明"]
    c = make_class(world, [(sun, "孙明", None, None)], name="心肺复苏规范化培训班")
    with base_session(bdaemon, world) as base:
        report(base, world, c)
    rid = int(record_of(acc, c["rows"][0])[0])
    with logged_in(bdaemon, sun[1]) as s:
        items = [i for i in s.result("declaration.list", {"limit": 200})["items"]
                 if i["id"] == rid]
        assert len(items) == 1
        item = items[0]
        assert item["source"] == "base" and item["actions"] == []
        assert item["base"] == {"code": "BASE1", "name": "省医学继续教育中心"}
        assert item["class"]["id"] == c["id"] and item["class"]["name"] == "心肺复苏规范化培训班"
        assert set(item["class"]) == {"id", "name", "start_date", "end_date"}
        got = s.result("declaration.get", {"id": rid})
        assert got["base"] == item["base"] and got["class"] == item["class"]
        assert got["actions"] == [] and got["history"][0]["action"] == "report"
        for method, params in (("declaration.withdraw", {}), ("declaration.delete", {}),
                               ("declaration.revise", {}), ("declaration.submit", {}),
                               ("declaration.save", {"version": 1, "form": PLAIN["code"],
                                                     "year": NOW, "amount": 1,
                                                     "fields": {"name": "改"}})):
            r = s.call(method, dict(params, id=rid))
            expect_error(r, NOT_PERMITTED, "base_record", "id")
            assert "由继续教育基地报送，不能修改" in r["error"]["message"], (method, r)
        # The person's own records say they are not a base's.
        own = s.result("declaration.submit", {"form": PLAIN["code"], "year": NOW,
                                              "amount": 1, "fields": {"name": "自己的"}})
        got = s.result("declaration.get", {"id": own["id"]})
        assert got["source"] == "person" and got["base"] is None and got["class"] is None
        s.result("declaration.withdraw", {"id": own["id"]})
        s.result("declaration.delete", {"id": own["id"]})
    assert acc.value(f"SELECT state FROM declarations WHERE id = {rid}") == "pending"


def test_the_unit_decides_a_class_at_once(bdaemon, world, people):
    """The queue marks base records and filters by class; review.decide_class decides the
    class's pending records of the administrator's unit only; a rejection's reason reaches
    the person and the base's roster states."""
    acc = world["acc"]
    sun, zhou, wu, zheng = (people[n] for n in ("孙明", "周红", "吴刚", "郑乙"))
    c = make_class(world, [(sun, "孙明", None, None), (zhou, "周红", None, None),
                           (wu, "吴刚", None, None), (zheng, "郑乙", None, None)])
    other = make_class(world, [(sun, "孙明", 2, None)])
    with base_session(bdaemon, world) as base:
        report(base, world, c)
        report(base, world, other)
    with logged_in(bdaemon, world["admin_a"][1]) as admin, \
            logged_in(bdaemon, world["admin_b"][1]) as admin_b:
        q = admin.result("review.declarations", {"class_id": c["id"]})
        assert q["pending_total"] == 3
        assert {i["person"]["name"] for i in q["items"]} == {"孙明", "周红", "吴刚"}
        assert all(i["source"] == "base" and i["class"]["id"] == c["id"] for i in q["items"])
        assert admin.result("review.declarations", {"class_id": c["id"], "person": "周"}
                            )["pending_total"] == 1
        # A page at a time, by the cursor: the same three, newest first, once each.
        paged = [i["id"] for p in pages(admin, "review.declarations",
                                        {"class_id": c["id"], "limit": 1}) for i in p["items"]]
        assert paged == [i["id"] for i in q["items"]]
        one = admin.result("review.declaration", {"id": q["items"][0]["id"]})
        assert one["class"]["name"] == c["name"] and one["base"]["code"] == "BASE1"

        r = admin.result("review.decide_class", {"class_id": c["id"], "decision": "reject",
                                                 "reason": "签到表缺页"})
        assert r["class_id"] == c["id"] and r["more"] is False
        assert len(r["results"]) == 3 and all(x["ok"] for x in r["results"])
        # Only unit A's: 郑乙 of unit B is still pending, for B's administrator.
        assert record_of(acc, c["rows"][3])[1] == "pending"
        expect_error(admin.call("review.decide_class", {"class_id": c["id"],
                                                       "decision": "approve"}),
                     NOT_FOUND, "class_nothing_pending", "class_id")
        expect_error(admin.call("review.decide_class", {"class_id": c["id"],
                                                       "decision": "maybe"}),
                     -32602, "class_review_invalid", "decision")
        expect_error(admin_b.call("review.decide_class", {"class_id": c["id"],
                                                         "decision": "reject"}),
                     INVALID_INPUT, "reason_required", "reason")
        assert admin_b.result("review.decide_class", {"class_id": c["id"],
                                                      "decision": "approve"})["results"] == [
            {"id": int(record_of(acc, c["rows"][3])[0]), "ok": True}]
    with logged_in(bdaemon, sun[1]) as s:
        got = s.result("declaration.get", {"id": int(record_of(acc, c["rows"][0])[0])})
        assert (got["state"], got["reject_reason"]) == ("rejected", "签到表缺页")
        assert got["actions"] == []
    # The base sees each row's record: state and the unit's reason.
    with base_session(bdaemon, world) as base:
        rows = {r["id"]: r["record"] for r in base.result("roster.list", {
            "class_id": c["id"], "limit": 200})["items"]}
    assert rows[c["rows"][0]] == {"id": int(record_of(acc, c["rows"][0])[0]),
                                  "state": "rejected", "state_label": "审核不通过",
                                  "reject_reason": "签到表缺页"}
    assert rows[c["rows"][3]]["state"] == "approved"
    assert record_of(acc, other["rows"][0])[1] == "pending"


# --- claims at approval --------------------------------------------------------------------

def test_unclaimed_rows_are_claimed_when_the_registration_is_approved(bdaemon, world):
    """The row of a person not registered yet becomes their record when their registration
    is approved, in that transaction (audited 'claim' by the system, in the totals); a row
    whose name is not the account's stays unclaimed with the problem the base sees."""
    from helpers import add_pending
    acc = world["acc"]
    ok_id, other_id = add_pending(acc, "BRA", world["dept"], 2, name="新注册")
    ok_idn, ok_name = acc.row(f"SELECT id_number, name FROM accounts WHERE id = {ok_id}")
    other_idn = acc.value(f"SELECT id_number FROM accounts WHERE id = {other_id}")
    c = make_class(world, [(ok_idn, ok_name, 3, None), (other_idn, "别的名字", None, None)])
    with base_session(bdaemon, world) as base:
        assert report(base, world, c)["result"]["unclaimed"] == 2
    assert record_of(acc, c["rows"][0]) is None
    with logged_in(bdaemon, world["admin_a"][1]) as admin:
        r = admin.result("review.approve_registrations", {"account_ids": [ok_id, other_id]})
        assert all(x["ok"] for x in r["results"]), r
        rec = record_of(acc, c["rows"][0])
        assert rec[1:] == ["pending", "3", "3", "base", "BRA"]
        q = admin.result("review.declarations", {"class_id": c["id"]})
        assert [i["id"] for i in q["items"]] == [int(rec[0])]
    assert acc.row(f"SELECT account_id, problem IS NULL FROM base_roster "
                   f"WHERE id = {c['rows'][0]}") == [str(ok_id), "t"]
    assert acc.rows(f"SELECT action, coalesce(actor_id::text, 'system'), to_state FROM "
                    f"declaration_audit WHERE declaration_id = {rec[0]}") == [
        ["claim", "system", "pending"]]
    assert totals(acc, ok_id) == (D(3), D(0))
    assert acc.row(f"SELECT account_id IS NULL, problem FROM base_roster "
                   f"WHERE id = {c['rows'][1]}") == ["t", "claim_name_mismatch"]
    assert record_of(acc, c["rows"][1]) is None
    assert acc.value(f"SELECT string_agg(detail->>'claimed', ',' ORDER BY id) FROM "
                     f"base_class_audit WHERE class_id = {c['id']} AND action = 'claim'") == \
        "true,false"


# --- review "none", and the completion figures ---------------------------------------------

def set_review(d, value):
    d.settings["base_reports"] = {"review": value}
    d.write_config()
    d.reload()


def test_approved_base_records_count_in_the_completion_figures(bdaemon, world):
    """A credits class decided by the unit, and under review "none" an hours class approved
    when reported: both count in 年度完成情况 under their form's category, converted like the
    person's own; a record pending before the reload stays pending."""
    acc = world["acc"]
    qian = acc.add_staff("BRA", "钱进", world["dept"])
    credits = make_class(world, [(qian, "钱进", None, None)], form=CREDITS["code"], amount=4)
    pending = make_class(world, [(qian, "钱进", 1, None)])
    with base_session(bdaemon, world) as base:
        report(base, world, credits)
        report(base, world, pending)
    with logged_in(bdaemon, world["admin_a"][1]) as admin:
        admin.result("review.decide_class", {"class_id": credits["id"], "decision": "approve"})
    set_review(bdaemon, "none")
    try:
        hours = make_class(world, [(qian, "钱进", 6, None)])
        with base_session(bdaemon, world) as base:
            r = report(base, world, hours)["result"]
        assert r["record_state"] == "approved" and r["records"] == 1
        rec = record_of(acc, hours["rows"][0])
        assert rec[1] == "approved"
        assert acc.row(f"SELECT to_state, actor_id FROM declaration_audit "
                       f"WHERE declaration_id = {rec[0]}") == ["approved", str(world["base_admin"])]
        assert record_of(acc, pending["rows"][0])[1] == "pending"
        with logged_in(bdaemon, qian[1]) as s:
            y = s.result("completion.year", {"year": NOW})
    finally:
        set_review(bdaemon, "unit")
    forms = {f["code"]: f for f in y["forms"]}
    assert (forms["t_credits"]["category"], forms["t_credits"]["approved"]) == ("public", "2")
    assert (forms["t_plain"]["category"], forms["t_plain"]["approved"],
            forms["t_plain"]["pending"]) == ("professional", "6", "1")
    assert {i["id"] for i in y["items"] if i["state"] == "approved"} == {
        int(rec[0]), int(record_of(acc, credits["rows"][0])[0])}
    assert totals(acc, qian[0]) == (D(1), D(6))
    assert totals(acc, qian[0], CREDITS["code"]) == (D(0), D(2))
    # Taken back under "none": the approved hours go too.
    with base_session(bdaemon, world) as base:
        assert call_base(base, world, "class.withdraw", id=hours["id"])["result"]["records"] == 1
    assert totals(acc, qian[0]) == (D(1), D(0))


def test_rows_of_people_registered_since_are_claimed_at_report(bdaemon, world):
    """A row left unclaimed while its person was not registered is theirs at the report
    when they are now (names agreeing); a row whose name differs is marked, stays marked,
    and keeps the class from being reported until the base corrects it."""
    acc = world["acc"]
    late = acc.add_staff("BRA", "迟到者", world["dept"])
    other = acc.add_staff("BRA", "真名", world["dept"])
    c = make_class(world, [(late[1], "迟到者", None, None)])
    bad = make_class(world, [(other[1], "假名", None, None)])
    with base_session(bdaemon, world) as base:
        assert report(base, world, c)["result"] | {"version": 0} == {
            "id": c["id"], "state": "reported", "version": 0, "records": 1, "unclaimed": 0,
            "record_state": "pending"}
        r = report(base, world, bad)
    assert record_of(acc, c["rows"][0])[1] == "pending"
    expect_error(r, INVALID_INPUT, "report_bad_row", "roster")
    assert r["error"]["data"]["errors"][0]["message"] == \
        "第 2 行（假名）：姓名与注册时填写的姓名不一致，未能认领"
    assert acc.row(f"SELECT account_id IS NULL, problem FROM base_roster "
                   f"WHERE id = {bad['rows'][0]}") == ["t", "claim_name_mismatch"]


def test_cross_role_refusals(bdaemon, world, people):
    """A base administrator may not call the units' or staff's declaration methods; staff and
    unit administrators may not call the base's."""
    c = make_class(world, [(people["孙明"], "孙明", None, None)])
    base_methods = (("class.report", {"id": c["id"], "version": 1}),
                    ("class.withdraw", {"id": c["id"]}),
                    ("roster.change", {"row_id": c["rows"][0], "amount": 1}),
                    ("roster.withdraw", {"class_id": c["id"], "row_ids": c["rows"]}))
    for idn in (people["孙明"][1], world["admin_a"][1]):
        with logged_in(bdaemon, idn) as s:
            for method, params in base_methods:
                assert s.call(method, params)["error"]["code"] == NOT_PERMITTED, method
    with base_session(bdaemon, world) as base:
        for method, params in (("review.declarations", {}),
                               ("review.decide_class", {"class_id": c["id"],
                                                        "decision": "approve"}),
                               ("review.approve_declarations", {"ids": [1]}),
                               ("declaration.list", {}), ("declaration.get", {"id": 1})):
            assert base.call(method, params)["error"]["code"] == NOT_PERMITTED, method
    assert world["acc"].value(f"SELECT state FROM base_classes WHERE id = {c['id']}") == "draft"


def test_the_unit_reads_the_class_document(bdaemon, world, people):
    """A unit administrator deciding a base's records sees the class's attachment (its
    approval document, an attendance sheet) and reads it with review.class_attachment; an
    administrator of a unit with no record of the class cannot, nor does the person see it."""
    import base64
    import hashlib
    acc = world["acc"]
    c = make_class(world, [(people["孙明"], "孙明", None, None)])
    data = b"%PDF-1.4\n" + bytes(range(256)) * 5
    acc.sql(f"INSERT INTO base_class_attachments (class_id, name, mime, size, sha256, data) "
            f"VALUES ({c['id']}, '签到表.pdf', 'application/pdf', {len(data)}, "
            f"'{hashlib.sha256(data).hexdigest()}', '\\x{data.hex()}')")
    with base_session(bdaemon, world) as base:
        report(base, world, c)
    rid = int(record_of(acc, c["rows"][0])[0])
    with logged_in(bdaemon, world["admin_a"][1]) as admin, \
            logged_in(bdaemon, world["admin_b"][1]) as admin_b:
        got = admin.result("review.declaration", {"id": rid})
        assert got["class"]["attachment"] == {"name": "签到表.pdf", "mime": "application/pdf",
                                              "size": len(data),
                                              "sha256": hashlib.sha256(data).hexdigest()}
        first = admin.result("review.class_attachment", {"class_id": c["id"], "length": 1000})
        rest = admin.result("review.class_attachment", {"class_id": c["id"], "offset": 1000})
        assert (first["eof"], rest["eof"]) == (False, True)
        assert base64.b64decode(first["data"]) + base64.b64decode(rest["data"]) == data
        expect_error(admin_b.call("review.class_attachment", {"class_id": c["id"]}),
                     NOT_FOUND, "not_found", "class_id")
    with logged_in(bdaemon, people["孙明"][1]) as s:
        assert "attachment" not in s.result("declaration.get", {"id": rid})["class"]
