"""The annual completion (年度完成情况) and the unit's completion report (完成情况统计), on
the real daemon over SSH.

Figures are followed through every transition of a declaration; the learning forms' yearly
caps, the credit-to-hour conversion and the 公需/专业 split are checked against numbers
worked out here; the requirement's year fallback and a reload of the config change the
figures at once (and `report YEAR` over `ssh host COMMAND` agrees); the report is walked page
by page in every order and filter; its CSV is read back with Python's csv module and
compared; one unit's administrator cannot read another's.  A property test runs a few
hundred random operations through RPC and then compares every figure with a model kept
here and with a recomputation in SQL from the declarations themselves.
"""

import base64
import csv
import io
import json
import random
import re
from contextlib import ExitStack
from decimal import ROUND_HALF_UP, Decimal

import pytest

from conftest import Daemon
from helpers import (CONFLICT, INVALID_INPUT, INVALID_PARAMS, ISO, NOT_FOUND, NOT_PERMITTED,
                     NOW, Accounts, expect_error, id_number, key_rpc, libconfig, logged_in,
                     make_key, pages, reload_forms, ssh_exec)


D = Decimal


def form(code, name, category, cap=None, **more):
    f = {"code": code, "name": name, "name_en": f"Form {code}", "category": category,
         "attachment": "none",
         "fields": [{"key": "name", "label": "名称", "label_en": "Name", "type": "text",
                     "required": True}]}
    if cap is not None:
        f["yearly_cap"] = cap
    f.update(more)
    return f


PUB = form("c_pub", "公需课程", "public")
PUB_CAP = form("c_pubcap", "公需讲座", "public", cap=10)
PRO = form("c_pro", "专业培训", "professional")
PRO_CAP = form("c_procap", "学术交流", "professional", cap=20)
CRED = form("c_cred", "学分课程", "professional", counts="credits", credit_hours=2.5)
FORMS = [PUB, PUB_CAP, PRO, PRO_CAP, CRED]
CAPS = {f["code"]: D(str(f["yearly_cap"])) if f.get("yearly_cap") else None for f in FORMS}
CATEGORY = {f["code"]: f["category"] for f in FORMS}
CREDIT = {f["code"]: D(str(f.get("credit_hours", 1))) for f in FORMS}


def requirements_text(entries):
    if entries is None:
        return ""
    return "requirements = (\n" + ",\n".join(libconfig(e) for e in entries) + "\n);\n"


class CompletionDaemon(Daemon):
    """A daemon with the test forms, a requirements list and optionally an admin's key."""

    def configure(self, forms=FORMS, requirements=None, admin=None):
        body = ",\n".join(libconfig(f) for f in forms)
        text = f"learning_forms = (\n{body}\n);\n" + requirements_text(requirements)
        if admin:
            text += (f'unit_admins = ( {{ id_number = "{admin["id"]}"; name = "{admin["name"]}"; '
                     f'unit = "{admin["unit"]}"; keys = [ "{admin["pub"]}" ]; }} );\n')
        self.extra_config = text
        self.write_config()


@pytest.fixture(scope="module")
def cdaemon(postgres, migrated_template, tmp_path_factory):
    """The module's daemon: the test forms, no requirements (the built-in one), 3 years."""
    db = postgres.new_database(template=migrated_template)
    d = CompletionDaemon(tmp_path_factory.mktemp("jxjyd-completion"), postgres, db,
                         {"declarations": {"years_back": 2}})
    d.configure()
    d.start()
    yield d
    d.stop()


@pytest.fixture(scope="module")
def world(cdaemon, postgres):
    acc = Accounts(postgres, cdaemon.dbname, "CP")
    a = acc.add_unit("CPA", "完成情况甲单位", departments=("内科", "外科"))
    acc.add_unit("CPB", "完成情况乙单位")
    w = {"acc": acc, "dept": a}
    w["admin"] = acc.add_admin("CPA", "甲单位统计员")
    w["admin_b"] = acc.add_admin("CPB", "乙单位统计员")
    w["staff_b"] = acc.add_staff("CPB", "乙单位人员")
    return w


@pytest.fixture(scope="module")
def admin(cdaemon, world):
    with logged_in(cdaemon, world["admin"][1]) as s:
        yield s


# --- helpers -------------------------------------------------------------------------------

def submit(s, code, amount, year=NOW):
    r = s.result("declaration.submit", {"form": code, "year": year, "amount": str(amount),
                                        "fields": {"name": f"{code} {amount}"}})
    assert r["state"] == "pending"
    return r["id"]


def decide(adm, ids, reject=False):
    if reject:
        r = adm.result("review.reject_declarations", {"ids": ids, "reason": "材料不全"})
    else:
        r = adm.result("review.approve_declarations", {"ids": ids})
    assert all(x["ok"] for x in r["results"]), r
    return r


def year_row(s, year=NOW):
    r = s.result("completion.mine")
    assert r["current_year"] == NOW
    rows = [y for y in r["years"] if y["year"] == year]
    assert len(rows) == 1, r
    return rows[0]


def figures(row):
    return tuple(D(row[k]) for k in ("public", "professional", "total", "pending"))


def report_all(adm, year=NOW, limit=200, **params):
    """Every row of the report (all pages), and the last page's result."""
    items = []
    for last in pages(adm, "completion.report", dict(params, year=year, limit=limit)):
        items += last["items"]
    return items, last


def report_row(adm, aid, year=NOW):
    items, _ = report_all(adm, year)
    rows = [i for i in items if i["account_id"] == aid]
    assert len(rows) == 1, (aid, items)
    return rows[0]


def new_person(world, name, dept=None):
    aid, idn = world["acc"].add_staff("CPA", name, dept)
    return aid, idn


# --- who may do what -----------------------------------------------------------------------

def test_functions_and_roles(cdaemon, world, admin):
    aid, idn = new_person(world, "角色测试")
    with logged_in(cdaemon, idn) as s:
        keys = [(f["key"], f["label"]) for f in s.result("session.whoami")["functions"]]
        assert ("completion", "年度完成情况") in keys
        for method, params in (("completion.report", {"year": NOW}),
                               ("completion.report_csv", {"year": NOW}),
                               ("completion.person", {"account_id": aid})):
            expect_error(s.call(method, params), NOT_PERMITTED, "not_permitted")
    keys = [(f["key"], f["label"]) for f in admin.result("session.whoami")["functions"]]
    assert ("completion_report", "完成情况统计") in keys
    for method, params in (("completion.mine", None), ("completion.year", {"year": NOW})):
        expect_error(admin.call(method, params), NOT_PERMITTED, "not_permitted")
    with cdaemon.rpc() as guest:
        expect_error(guest.call("completion.mine"), NOT_PERMITTED, "login_required")


# --- the figures through every transition ---------------------------------------------------

def test_totals_through_every_transition(cdaemon, world, admin):
    aid, idn = new_person(world, "过程测试", world["dept"]["内科"])
    with logged_in(cdaemon, idn) as s:
        r = s.result("completion.mine")
        assert [y["year"] for y in r["years"]] == [NOW], "only the current year, no records"
        row = r["years"][0]
        assert figures(row) == (0, 0, 0, 0) and row["met"] is False
        assert row["met_label"] == "未达标" and row["progress"] == 0
        assert row["requirement"] == {"total": "90", "professional": "60", "public": "24"}

        # Submitted: pending only.
        a = submit(s, "c_pro", 30)
        assert figures(year_row(s)) == (0, 0, 0, 30)
        # Approved: counted.
        decide(admin, [a])
        assert figures(year_row(s)) == (0, 30, 30, 0)
        # An approved record cannot be withdrawn; nothing changes.
        expect_error(s.call("declaration.withdraw", {"id": a}), CONFLICT, "state_changed")
        assert figures(year_row(s)) == (0, 30, 30, 0)

        # Rejected: neither pending nor counted; revised (a draft): still nothing;
        # resubmitted: pending; approved: counted.
        b = submit(s, "c_pub", "12.5")
        assert figures(year_row(s)) == (0, 30, 30, D("12.5"))
        decide(admin, [b], reject=True)
        assert figures(year_row(s)) == (0, 30, 30, 0)
        s.result("declaration.revise", {"id": b})
        assert figures(year_row(s)) == (0, 30, 30, 0)
        assert s.result("declaration.submit", {"id": b})["state"] == "pending"
        assert figures(year_row(s)) == (0, 30, 30, D("12.5"))
        decide(admin, [b])
        assert figures(year_row(s)) == (D("12.5"), 30, D("42.5"), 0)

        # Withdrawn (back to a draft), then deleted: pending goes, nothing else moves.
        c = submit(s, "c_pro", 7)
        assert figures(year_row(s)) == (D("12.5"), 30, D("42.5"), 7)
        s.result("declaration.withdraw", {"id": c})
        assert figures(year_row(s)) == (D("12.5"), 30, D("42.5"), 0)
        s.result("declaration.delete", {"id": c})
        assert figures(year_row(s)) == (D("12.5"), 30, D("42.5"), 0)
        # Approving what is approved already changes nothing either.
        r = admin.result("review.approve_declarations", {"ids": [a]})
        assert r["results"][0]["reason"] == "already_decided"
        assert figures(year_row(s)) == (D("12.5"), 30, D("42.5"), 0)

        # Another year gets its own row, newest first.
        d = submit(s, "c_pro", 40, year=NOW - 1)
        decide(admin, [d])
        e = submit(s, "c_pub", 3)
        r = s.result("completion.mine")
        assert [y["year"] for y in r["years"]] == [NOW, NOW - 1]
        assert figures(r["years"][1]) == (0, 40, 40, 0)
        mine = r["years"][0]
        assert figures(mine) == (D("12.5"), 30, D("42.5"), 3)
        assert mine["progress"] == pytest.approx(0.4722)

        # The administrator's report and the person's page agree.
        row = report_row(admin, aid)
        assert (row["public"], row["professional"], row["total"], row["pending"]) == \
            ("12.5", "30", "42.5", "3")
        assert row["met"] is False and row["met_label"] == "未达标"
        assert row["name"] == "过程测试" and row["id_number"] == idn
        assert row["department"] == "内科"
        assert report_row(admin, aid, NOW - 1)["total"] == "40"
        person = admin.result("completion.person", {"account_id": aid})
        assert person["account"] == {"account_id": aid, "name": "过程测试", "id_number": idn,
                                     "department": "内科"}
        assert person["years"] == r["years"] and person["current_year"] == NOW

        # The records behind the year: approved first, the pending one flagged.
        y = s.result("completion.year", {"year": NOW})
        assert y["year"] == NOW and y["summary"] == mine and y["truncated"] is False
        assert [(i["id"], i["state"]) for i in y["items"]] == [(b, "approved"),
                                                               (a, "approved"),
                                                               (e, "pending")]
        first = y["items"][0]
        assert first["form"] == {"code": "c_pub", "name": "公需课程"}
        assert first["category"] == "public" and first["category_label"] == "公需科目"
        assert first["hours"] == "12.5" and first["title"] == "c_pub 12.5"
        assert ISO.match(first["approved_at"]) and ISO.match(first["submitted_at"])
        assert y["items"][2]["approved_at"] is None and y["items"][2]["state_label"] == "待审核"
        assert [(f["code"], f["approved"], f["counted"], f["pending"], f["cap"], f["capped"])
                for f in y["forms"]] == [("c_pub", "12.5", "12.5", "3", None, False),
                                         ("c_pro", "30", "30", "0", None, False)]
        # Full detail of a record is declaration.get's.
        assert s.result("declaration.get", {"id": b})["state"] == "approved"
        # A year without records is all zeros.
        empty = s.result("completion.year", {"year": NOW - 2})
        assert figures(empty["summary"]) == (0, 0, 0, 0) and empty["items"] == []


def test_caps_and_credits(cdaemon, world, admin):
    aid, idn = new_person(world, "上限测试")
    with logged_in(cdaemon, idn) as s:
        ids = [submit(s, "c_pubcap", 6), submit(s, "c_pubcap", 7),
               submit(s, "c_procap", 15), submit(s, "c_procap", 15),
               submit(s, "c_cred", 4), submit(s, "c_pub", "0.25")]
        decide(admin, ids)
        submit(s, "c_procap", 5)          # pending hours are never capped
        # 公需: min(13, 10) + 0.25; 专业: min(30, 20) + 4 credits × 2.5.
        assert figures(year_row(s)) == (D("10.25"), 30, D("40.25"), 5)
        y = s.result("completion.year", {"year": NOW})
        forms = {f["code"]: f for f in y["forms"]}
        assert (forms["c_pubcap"]["approved"], forms["c_pubcap"]["counted"],
                forms["c_pubcap"]["cap"], forms["c_pubcap"]["capped"]) == ("13", "10", "10", True)
        assert (forms["c_procap"]["approved"], forms["c_procap"]["counted"],
                forms["c_procap"]["pending"]) == ("30", "20", "5")
        assert forms["c_cred"]["counted"] == "10" and forms["c_cred"]["capped"] is False
        assert [f["code"] for f in y["forms"]] == ["c_pub", "c_pubcap", "c_cred", "c_procap"]
        capped = {i["id"]: i["capped"] for i in y["items"]}
        assert capped[ids[0]] and capped[ids[1]] and capped[ids[2]] and not capped[ids[4]]
        assert next(i for i in y["items"] if i["id"] == ids[4])["hours"] == "10"
        row = report_row(admin, aid)
        assert (row["public"], row["professional"], row["total"], row["pending"]) == \
            ("10.25", "30", "40.25", "5")


def test_public_professional_split_decides_met(cdaemon, world, admin):
    # 90 in all, but only 20 公需 (24 needed): not met, though the bar is full.
    aid, idn = new_person(world, "达标测试")
    aid2, idn2 = new_person(world, "专业不足")
    with logged_in(cdaemon, idn) as s, logged_in(cdaemon, idn2) as s2:
        decide(admin, [submit(s, "c_pro", 70), submit(s, "c_pub", 20)])
        row = year_row(s)
        assert figures(row) == (20, 70, 90, 0)
        assert row["met"] is False and row["progress"] == 1
        decide(admin, [submit(s, "c_pub", 4)])
        row = year_row(s)
        assert row["met"] is True and row["met_label"] == "达标"
        assert report_row(admin, aid)["met"] is True
        # 专业 short: 40 公需 + 50 专业 = 90, but 50 < 60.
        decide(admin, [submit(s2, "c_pub", 40), submit(s2, "c_pro", 50)])
        row = year_row(s2)
        assert figures(row)[2] == 90 and row["met"] is False
        # Exactly the floor is enough.
        decide(admin, [submit(s2, "c_pro", 10)])
        assert year_row(s2)["met"] is True
    with logged_in(cdaemon, idn, lang="en") as s:
        assert year_row(s)["met_label"] == "met"


def test_parameters_are_checked(cdaemon, world, admin):
    aid, idn = new_person(world, "参数测试")
    with logged_in(cdaemon, idn) as s:
        err = expect_error(s.call("completion.year", {"year": 1989}), INVALID_INPUT,
                           "year_invalid", "year")
        assert err["message"] == "年度: 应为 1990 和 2200 之间的年份"
        assert err["data"]["min"] == 1990 and err["data"]["max"] == 2200
        expect_error(s.call("completion.year", {}), INVALID_PARAMS, "required", "year")
        expect_error(s.call("completion.year", {"year": "2025"}), INVALID_PARAMS, "param_type")
    for params, code, reason, field in (
            ({"year": 2201}, INVALID_INPUT, "year_invalid", "year"),
            ({"year": NOW, "limit": 0}, INVALID_PARAMS, "limit_invalid", "limit"),
            ({"year": NOW, "limit": 201}, INVALID_PARAMS, "limit_invalid", "limit"),
            ({"year": NOW, "sort": "age"}, INVALID_PARAMS, "sort_invalid", "sort"),
            ({"year": NOW, "after": "not-a-cursor"}, INVALID_PARAMS, "cursor_invalid", "after"),
            ({"year": NOW, "department_id": 0}, INVALID_INPUT, "department_unknown",
             "department_id"),
            ({"year": NOW, "colour": 1}, INVALID_PARAMS, "param_unknown", "colour")):
        expect_error(admin.call("completion.report", params), code, reason, field)
    err = expect_error(admin.call("completion.report", {"year": NOW, "sort": "age"}),
                       INVALID_PARAMS, "sort_invalid")
    assert err["message"] == "排序: 应为 department、name、total、public 或 professional"
    # A cursor of one order is not one of another; a forged key is caught too.
    page = admin.result("completion.report", {"year": NOW, "sort": "total", "limit": 1})
    assert page["next"]
    for params in ({"sort": "name"}, {"sort": "total", "desc": True}):
        expect_error(admin.call("completion.report", dict(params, year=NOW,
                                                          after=page["next"])),
                     INVALID_PARAMS, "cursor_invalid", "after")
    forged = base64.urlsafe_b64encode(json.dumps(["total", "asc", "x1", "a", "1"]).encode())
    expect_error(admin.call("completion.report", {"year": NOW, "sort": "total",
                                                   "after": forged.decode().rstrip("=")}),
                 INVALID_PARAMS, "cursor_invalid", "after")


def test_another_unit_is_not_found(cdaemon, world, admin):
    aid, idn = new_person(world, "本单位人员")
    other = world["staff_b"][0]
    expect_error(admin.call("completion.person", {"account_id": other}), NOT_FOUND,
                 "not_found", "account_id")
    expect_error(admin.call("completion.person", {"account_id": 99999999}), NOT_FOUND,
                 "not_found", "account_id")
    # Another unit's department is no filter of ours.
    dept_b = int(world["acc"].value("SELECT id FROM departments WHERE unit_code = 'CPB'"))
    expect_error(admin.call("completion.report", {"year": NOW, "department_id": dept_b}),
                 INVALID_INPUT, "department_unknown", "department_id")
    items, _ = report_all(admin)
    assert other not in [i["account_id"] for i in items]
    with logged_in(cdaemon, world["admin_b"][1]) as b:
        expect_error(b.call("completion.person", {"account_id": aid}), NOT_FOUND, "not_found")
        items, last = report_all(b)
        assert [i["account_id"] for i in items] == [other]
        assert last["summary"]["staff"] == 1
        out = b.result("completion.report_csv", {"year": NOW})
        assert "本单位人员" not in out["csv"] and "乙单位人员" in out["csv"]
        # An administrator disabled since logging in is refused at once.
        world["acc"].sql(f"UPDATE accounts SET state = 'disabled' WHERE id = "
                         f"{world['admin_b'][0]}")
        try:
            for method, params in (("completion.report", {"year": NOW}),
                                   ("completion.report_csv", {"year": NOW}),
                                   ("completion.person", {"account_id": other})):
                expect_error(b.call(method, params), NOT_PERMITTED, "not_permitted")
        finally:
            world["acc"].sql(f"UPDATE accounts SET state = 'active' WHERE id = "
                             f"{world['admin_b'][0]}")


# --- the report: orders, filters, pages, CSV -------------------------------------------------

def seed_unit(acc, unit, people, year=NOW):
    """Staff of unit with approved declarations made in SQL (as if approved through RPC),
    totals summed from them.  people: [(name, department id or None, {form: [hours...]})].
    Returns [(account id, name, ID number, department id)]."""
    forms = {code: int(fid) for code, fid in acc.rows(
        "SELECT code, id FROM learning_forms WHERE active")}
    out = []
    for n, (name, dept, records) in enumerate(people):
        idn = f"1101052000{n:07d}X"
        aid = int(acc.value(
            "INSERT INTO accounts (id_number, state, name, unit_code, department_id) VALUES "
            f"('{idn}', 'active', '{name}', '{unit}', {dept or 'NULL'}) RETURNING id"))
        values = [f"({aid}, '{unit}', {forms[code]}, '{code}', {year}, {h}, {h}, "
                  f"'{CATEGORY[code]}', '{{\"name\": \"x\"}}', 'approved', now(), now())"
                  for code, hours in records.items() for h in hours]
        if values:
            acc.sql("INSERT INTO declarations (account_id, unit_code, form_id, form_code, year, "
                    "amount, hours, category, fields, state, submitted_at, decided_at) VALUES "
                    + ", ".join(values))
        out.append((aid, name, idn, dept))
    acc.sql("INSERT INTO declaration_totals (account_id, year, form_code, category, "
            "approved_hours, pending_hours) SELECT account_id, year, form_code, min(category), "
            "coalesce(sum(hours) FILTER (WHERE state = 'approved'), 0), "
            "coalesce(sum(hours) FILTER (WHERE state = 'pending'), 0) FROM declarations "
            f"WHERE unit_code = '{unit}' GROUP BY account_id, year, form_code "
            "ON CONFLICT (account_id, year, form_code) DO UPDATE SET "
            "approved_hours = EXCLUDED.approved_hours, pending_hours = EXCLUDED.pending_hours")
    return out


def expected(records, req=(90, 60, 24)):
    """(public, professional, total, met) of {form: [hours...]} with the caps."""
    sums = {"public": D(0), "professional": D(0)}
    for code, hours in records.items():
        s = sum((D(str(h)) for h in hours), D(0))
        if CAPS[code] is not None:
            s = min(s, CAPS[code])
        sums[CATEGORY[code]] += s
    pub, pro = sums["public"], sums["professional"]
    return pub, pro, pub + pro, pub + pro >= req[0] and pro >= req[1] and pub >= req[2]


@pytest.fixture(scope="module")
def big_unit(cdaemon, world, admin):
    """A unit of 60 people: duplicate names, three departments and none, every shape of
    hours; and people who must not appear (pending, disabled, an administrator)."""
    acc = world["acc"]
    depts = acc.add_unit("CPR", "报表测试单位", departments=("儿科", "急诊科", "药剂科",
                                                         "空科室"))
    rnd = random.Random(20260101)
    names = ["王芳", "李娜", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴昊",
             "Alice", "=SUM(A1)", "马,\"小\"龙"]
    people = []
    for n in range(60):
        dept = [depts["儿科"], depts["急诊科"], depts["药剂科"], None][n % 4]
        records = {}
        for code in rnd.sample([f["code"] for f in FORMS], rnd.randint(0, 4)):
            records[code] = [rnd.choice([1, 2.5, 4, 8, 12.75, 16, 24, 30])
                             for _ in range(rnd.randint(1, 3))]
        if n % 7 == 0:
            records = {"c_pub": [30], "c_pro": [70]}     # met
        people.append((names[n % len(names)], dept, records))
    rows = seed_unit(acc, "CPR", people)
    acc.sql("INSERT INTO accounts (id_number, state, name, unit_code) VALUES "
            "('11010520009999901X', 'pending', '待审人员', 'CPR'), "
            "('11010520009999902X', 'disabled', '停用人员', 'CPR')")
    acc.add_admin("CPR", "报表测试管理员")
    admin_r = acc.add_admin("CPR", "报表管理员")
    dept_name = {v: k for k, v in depts.items()}
    want = {}
    for (aid, name, idn, dept), (_, _, records) in zip(rows, people):
        pub, pro, total, met = expected(records)
        want[aid] = {"account_id": aid, "name": name, "id_number": idn,
                     "department": dept_name.get(dept), "public": pub, "professional": pro,
                     "total": total, "met": met, "dept_id": dept}
    with logged_in(cdaemon, admin_r[1]) as s:
        ranks = pinyin_ranks(acc, [w["name"] for w in want.values()] +
                             ["1"] + ["0" + d for d in depts])
        yield {"admin": s, "want": want, "depts": depts, "ranks": ranks}


def pinyin_ranks(acc, texts):
    """{text: its place} in PostgreSQL's pinyin order (COLLATE zh_pinyin, schema 008),
    which tests/integration/test_lists.py checks against known names."""
    texts = sorted(set(texts))
    array = ", ".join("'" + t.replace("'", "''") + "'" for t in texts)
    rows = acc.rows(f"SELECT t, dense_rank() OVER (ORDER BY t COLLATE zh_pinyin) FROM "
                    f"unnest(ARRAY[{array}]::text[]) t")
    return {t: int(r) for t, r in rows}


def sort_key(sort, desc, ranks):
    def key(w):
        name = ranks[w["name"]]
        if sort == "department":
            k = ranks["1" if w["department"] is None else "0" + w["department"]]
        elif sort == "name":
            k = name
        else:
            k = w[{"total": "total", "public": "public", "professional": "professional"}[sort]]
        return (k, name, w["account_id"])
    return key


@pytest.mark.parametrize("sort", ["department", "name", "total", "public", "professional"])
@pytest.mark.parametrize("desc", [False, True])
def test_report_orders_and_pages(big_unit, sort, desc):
    s, want = big_unit["admin"], big_unit["want"]
    items, last = report_all(s, limit=7, sort=sort, desc=desc)
    order = sorted(want.values(), key=sort_key(sort, desc, big_unit["ranks"]), reverse=desc)
    assert [i["account_id"] for i in items] == [w["account_id"] for w in order]
    for i in items:
        w = want[i["account_id"]]
        assert (i["name"], i["id_number"], i["department"]) == (w["name"], w["id_number"],
                                                                w["department"])
        assert (D(i["public"]), D(i["professional"]), D(i["total"]), i["met"]) == \
            (w["public"], w["professional"], w["total"], w["met"])
        assert D(i["pending"]) == 0
    met = sum(1 for w in want.values() if w["met"])
    assert last["summary"] == {"staff": 60, "met": met, "not_met": 60 - met,
                               "requirement": {"total": "90", "professional": "60",
                                               "public": "24"}}
    assert last["sort"] == sort and last["desc"] is desc
    assert len(items) == 60 and not {"待审人员", "停用人员", "报表测试管理员"} & \
        {i["name"] for i in items}


def test_report_filters(big_unit):
    s, want, depts = big_unit["admin"], big_unit["want"], big_unit["depts"]
    items, last = report_all(s, limit=5, not_met_only=True, sort="total", desc=True)
    not_met = [w for w in want.values() if not w["met"]]
    assert sorted(i["account_id"] for i in items) == sorted(w["account_id"] for w in not_met)
    assert all(i["met"] is False for i in items)
    assert last["summary"]["not_met"] == len(not_met) and last["summary"]["staff"] == 60
    d = depts["急诊科"]
    items, last = report_all(s, limit=4, department_id=d)
    mine = [w for w in want.values() if w["dept_id"] == d]
    assert [i["account_id"] for i in items] == \
        [w["account_id"] for w in sorted(mine, key=sort_key("department", False,
                                                             big_unit["ranks"]))]
    assert last["summary"]["staff"] == len(mine)
    assert last["summary"]["met"] == sum(1 for w in mine if w["met"])
    items, last = report_all(s, department_id=d, not_met_only=True)
    assert {i["account_id"] for i in items} == {w["account_id"] for w in mine if not w["met"]}
    # A year without records: everyone there, nobody met.
    r = s.result("completion.report", {"year": NOW - 2, "department_id": d})
    assert r["summary"]["staff"] == len(mine) and r["summary"]["met"] == 0
    assert len(r["items"]) == len(mine) and {i["total"] for i in r["items"]} == {"0"}
    # Nothing matches: an empty page, the summary still there.
    r = s.result("completion.report", {"year": NOW, "department_id": depts["空科室"]})
    assert r["items"] == [] and r["next"] is None
    assert r["summary"] == {"staff": 0, "met": 0, "not_met": 0, "requirement": {
        "total": "90", "professional": "60", "public": "24"}}
    met = [w for w in want.values() if w["met"]]
    r = s.result("completion.report", {"year": NOW, "not_met_only": True, "limit": 200})
    assert len(r["items"]) == 60 - len(met) and r["summary"]["met"] == len(met) > 0


def read_csv(s, **params):
    """Every piece of completion.report_csv joined, as bytes, and the number of pieces."""
    text, pieces = "", 0
    for r in pages(s, "completion.report_csv", params):
        text += r["csv"]
        pieces += 1
    return text.encode("utf-8"), pieces


def test_csv_export_reads_back(big_unit):
    s, want = big_unit["admin"], big_unit["want"]
    data, pieces = read_csv(s, year=NOW, sort="name")
    assert pieces == 1 and data.startswith(b"\xef\xbb\xbf")
    body = data[3:].decode("utf-8")
    assert body.endswith("\r\n") and "\n" not in body.replace("\r\n", "")
    table = list(csv.reader(io.StringIO(body, newline="")))
    assert table[0] == ["姓名", "身份证号", "部门", "公需学时", "专业学时", "总学时", "待审核学时",
                        "要求总学时", "是否达标"]
    items, _ = report_all(s, sort="name")
    assert len(table) == 1 + len(items) == 61
    for row, i in zip(table[1:], items):
        name = row[0][1:] if row[0].startswith("'") else row[0]
        assert name == i["name"]
        assert row[1:] == [i["id_number"], i["department"] or "", i["public"],
                           i["professional"], i["total"], i["pending"], "90",
                           "达标" if i["met"] else "未达标"]
        assert not re.search(r"\.\d*0$", row[3]) and not row[3].endswith(".")
    # A name a spreadsheet would run as a formula is defused; quotes and commas survive.
    assert any(r[0] == "'=SUM(A1)" for r in table[1:])
    assert any(r[0] == '马,"小"龙' for r in table[1:])
    assert b'"\xe9\xa9\xac,""\xe5\xb0\x8f""\xe9\xbe\x99"' in data  # 马,""小""龙 quoted
    # Filtered the same way as the report.
    data, _ = read_csv(s, year=NOW, not_met_only=True)
    rows = list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))[1:]
    assert len(rows) == sum(1 for w in want.values() if not w["met"])
    assert {r[-1] for r in rows} == {"未达标"}


def test_csv_in_pieces(cdaemon, world):
    """A unit larger than one piece: the pieces join into one file, no row twice."""
    acc = world["acc"]
    acc.add_unit("CPL", "大单位", departments=("一部",))
    acc.sql("INSERT INTO accounts (id_number, state, name, unit_code) SELECT "
            "'2201052001' || lpad(g::text, 7, '0') || 'X', 'active', '人员' || g, 'CPL' "
            "FROM generate_series(1, 2100) g")
    aid = int(acc.value("SELECT id FROM accounts WHERE name = '人员7' AND unit_code = 'CPL'"))
    acc.sql("INSERT INTO declaration_totals (account_id, year, form_code, category, "
            f"approved_hours) VALUES ({aid}, {NOW}, 'c_pubcap', 'public', 15)")
    _, adm = acc.add_admin("CPL", "大单位管理员")
    with logged_in(cdaemon, adm) as s:
        data, pieces = read_csv(s, year=NOW, sort="total", desc=True)
        assert pieces == 2
        assert data.count(b"\xef\xbb\xbf") == 1 and data.count("姓名".encode()) == 1
        table = list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))
        assert len(table) == 2101 and len({r[1] for r in table[1:]}) == 2100
        assert table[1][0] == "人员7" and table[1][3:6] == ["10", "0", "10"]
        items, last = report_all(s, sort="total", desc=True)
        assert [r[1] for r in table[1:]] == [i["id_number"] for i in items]
        assert last["summary"]["staff"] == 2100


# --- requirements from the config: the year fallback, a reload, `report YEAR` ---------------

def test_requirements_fallback_reload_and_exec(postgres, migrated_template, tmp_path):
    db = postgres.new_database(template=migrated_template)
    acc = Accounts(postgres, db, "RQ")
    acc.add_unit("RQA", "要求测试单位", departments=("科室",))
    key, pub = make_key(tmp_path, "admin")
    admin = {"id": id_number(), "name": "要求测试管理员", "unit": "RQA", "pub": pub}
    d = CompletionDaemon(tmp_path / "jxjyd", postgres, db, {"declarations": {"years_back": 2}})
    d.configure(requirements=[
        {"year": NOW - 1, "total": 30, "professional": 20, "public": 5},
        {"year": NOW + 1, "total": 60, "professional": 40, "public": 10}], admin=admin)
    d.start()
    try:
        aid, idn = acc.add_staff("RQA", "要求测试")
        with logged_in(d, idn) as s, key_rpc(d, admin["id"], key, timeout=30) as a:
            for year in (NOW - 2, NOW - 1, NOW):
                decide(a, [submit(s, "c_pro", 20, year), submit(s, "c_pub", 6, year),
                           submit(s, "c_procap", 25, year)])
            rows = {y["year"]: y for y in s.result("completion.mine")["years"]}
            assert sorted(rows) == [NOW - 2, NOW - 1, NOW]
            for year in rows:
                # NOW - 2 is before every entry: the earliest; NOW: the latest before it.
                assert rows[year]["requirement"] == {"total": "30", "professional": "20",
                                                     "public": "5"}
                assert figures(rows[year]) == (6, 40, 46, 0) and rows[year]["met"] is True
            assert a.result("completion.report", {"year": NOW})["summary"]["requirement"] == \
                {"total": "30", "professional": "20", "public": "5"}

            # A new entry for NOW, the default two thirds; NOW - 2 now has its own.  The cap
            # of c_procap drops to 5 and c_pub becomes professional: all at once.
            forms = [f for f in FORMS if f["code"] not in ("c_procap", "c_pub")] + [
                dict(PRO_CAP, yearly_cap=5), dict(PUB, category="professional")]
            d.configure(forms=forms, admin=admin, requirements=[
                {"year": NOW - 1, "total": 30, "professional": 20, "public": 5},
                {"year": NOW - 2, "total": 12, "professional": 8, "public": 2},
                {"year": NOW, "total": 100, "public": 10}])
            reload_forms(d, idn, "applied: learning_forms, requirements")
        with logged_in(d, idn) as s, key_rpc(d, admin["id"], key, timeout=30) as a:
            rows = {y["year"]: y for y in s.result("completion.mine")["years"]}
            assert rows[NOW - 2]["requirement"] == {"total": "12", "professional": "8",
                                                    "public": "2"}
            assert rows[NOW - 1]["requirement"]["total"] == "30"
            assert rows[NOW]["requirement"] == {"total": "100", "professional": "66.67",
                                                "public": "10"}
            for year in rows:
                # 20 + 6 (now 专业) + min(25, 5); no 公需 any more.
                assert figures(rows[year]) == (0, 31, 31, 0)
            assert rows[NOW - 2]["met"] is False        # 公需 0 < 2
            row = report_row(a, aid)
            assert (row["public"], row["professional"], row["met"]) == ("0", "31", False)
            summary = a.result("completion.report", {"year": NOW})["summary"]
            assert summary["requirement"]["total"] == "100"

            # `report YEAR` reads the same figures and requirement.
            rc, out, err = ssh_exec(d, admin["id"], key, f"report {NOW} --csv")
            assert rc == 0, err
            table = list(csv.reader(io.StringIO(out.decode())))
            mine = next(r for r in table if r[0] == idn)
            assert mine[3:] == ["0", "31", "31", "100", "0", "否"]
            rc, out, err = ssh_exec(d, admin["id"], key, f"report {NOW}")
            assert rc == 0 and "合计不少于 100 学时，其中专业科目不少于 66.67、公需科目不少于 10" \
                in out.decode(), out.decode()
    finally:
        d.stop()


def test_default_requirement_with_explicit_entry_is_the_same(cdaemon, world, admin):
    """No requirements in the module's config: 90 / 60 / 24 for every year."""
    r = admin.result("completion.report", {"year": 1995, "limit": 1})
    assert r["summary"]["requirement"] == {"total": "90", "professional": "60", "public": "24"}


# --- the property test ---------------------------------------------------------------------

class Model:
    """What the declarations should be, kept from the replies of the operations."""

    def __init__(self):
        self.decl = {}      # id -> {person, form, year, hours, state}

    def add(self, did, person, code, year, amount, state):
        hours = (D(str(amount)) * CREDIT[code]).quantize(D("0.01"), rounding=ROUND_HALF_UP)
        self.decl[did] = {"person": person, "form": code, "year": year, "hours": hours,
                          "state": state}

    def figures(self, person, year):
        approved, pending = {}, D(0)
        for d in self.decl.values():
            if d["person"] != person or d["year"] != year:
                continue
            if d["state"] == "approved":
                approved[d["form"]] = approved.get(d["form"], D(0)) + d["hours"]
            elif d["state"] == "pending":
                pending += d["hours"]
        sums = {"public": D(0), "professional": D(0)}
        for code, h in approved.items():
            sums[CATEGORY[code]] += min(h, CAPS[code]) if CAPS[code] is not None else h
        return sums["public"], sums["professional"], sums["public"] + sums["professional"], \
            pending

    def ids(self, state, person=None):
        return [i for i, d in self.decl.items()
                if d["state"] == state and (person is None or d["person"] == person)]


RECOMPUTE = """
WITH f AS (SELECT DISTINCT ON (code) code, definition->>'category' AS category,
               NULLIF((definition->>'yearly_cap')::numeric, 0) AS cap
           FROM learning_forms ORDER BY code, active DESC, version DESC),
     per_form AS (SELECT d.account_id, d.year, d.form_code,
               coalesce(sum(d.hours) FILTER (WHERE d.state = 'approved'), 0) AS approved,
               coalesce(sum(d.hours) FILTER (WHERE d.state = 'pending'), 0) AS pending
           FROM declarations d WHERE d.unit_code = 'CPQ'
           GROUP BY d.account_id, d.year, d.form_code)
SELECT p.account_id, p.year,
       sum(least(p.approved, coalesce(f.cap, p.approved))) FILTER (WHERE f.category = 'public'),
       sum(least(p.approved, coalesce(f.cap, p.approved)))
           FILTER (WHERE f.category = 'professional'),
       sum(p.pending)
FROM per_form p JOIN f ON f.code = p.form_code GROUP BY p.account_id, p.year
"""


def test_property_random_operations(cdaemon, world, postgres):
    seed = random.randrange(1 << 30)
    rnd = random.Random(seed)
    acc = world["acc"]
    acc.add_unit("CPQ", "随机测试单位")
    _, adm_idn = acc.add_admin("CPQ", "随机测试管理员")
    people = [acc.add_staff("CPQ", f"随机{i}") for i in range(3)]
    codes = [f["code"] for f in FORMS]
    model = Model()
    ops = 0
    with ExitStack() as stack:
        a = stack.enter_context(logged_in(cdaemon, adm_idn))
        sessions = {aid: stack.enter_context(logged_in(cdaemon, idn)) for aid, idn in people}
        for step in range(450):
            aid = rnd.choice(people)[0]
            s = sessions[aid]
            op = rnd.choices(["submit", "draft", "submit_draft", "withdraw", "approve",
                              "reject", "revise", "delete", "refused"],
                             [30, 6, 8, 8, 25, 8, 6, 4, 5])[0]
            ops += 1
            if op in ("submit", "draft"):
                code = rnd.choice(codes)
                year = rnd.choice([NOW, NOW - 1])
                amount = D(rnd.randint(25, 2500)) / 100
                r = s.result("declaration.submit" if op == "submit" else "declaration.save",
                             {"form": code, "year": year, "amount": str(amount),
                              "fields": {"name": f"随机 {step}"}})
                model.add(r["id"], aid, code, year, amount,
                          "pending" if op == "submit" else "draft")
            elif op == "submit_draft" and model.ids("draft", aid):
                did = rnd.choice(model.ids("draft", aid))
                assert s.result("declaration.submit", {"id": did})["state"] == "pending"
                model.decl[did]["state"] = "pending"
            elif op == "withdraw" and model.ids("pending", aid):
                did = rnd.choice(model.ids("pending", aid))
                s.result("declaration.withdraw", {"id": did})
                model.decl[did]["state"] = "draft"
            elif op in ("approve", "reject") and model.ids("pending"):
                ids = rnd.sample(model.ids("pending"), min(len(model.ids("pending")),
                                                           rnd.randint(1, 4)))
                decide(a, ids, reject=op == "reject")
                for did in ids:
                    model.decl[did]["state"] = "approved" if op == "approve" else "rejected"
            elif op == "revise" and model.ids("rejected", aid):
                did = rnd.choice(model.ids("rejected", aid))
                s.result("declaration.revise", {"id": did})
                model.decl[did]["state"] = "draft"
            elif op == "delete" and model.ids("draft", aid):
                did = rnd.choice(model.ids("draft", aid))
                s.result("declaration.delete", {"id": did})
                del model.decl[did]
            elif op == "refused" and model.ids("approved", aid):
                did = rnd.choice(model.ids("approved", aid))
                expect_error(s.call("declaration.withdraw", {"id": did}), CONFLICT,
                             "state_changed")
                r = a.result("review.reject_declarations", {"ids": [did], "reason": "x"})
                assert r["results"][0]["reason"] == "already_decided"
            if step % 150 == 149:
                for p, ps in sessions.items():
                    assert figures(year_row(ps)) == model.figures(p, NOW), (seed, step)

        # Every figure equals the model's, through every reader.
        report = {NOW: {i["account_id"]: i for i in report_all(a, NOW)[0]},
                  NOW - 1: {i["account_id"]: i for i in report_all(a, NOW - 1)[0]}}
        for p, ps in sessions.items():
            rows = {y["year"]: y for y in ps.result("completion.mine")["years"]}
            for year in (NOW, NOW - 1):
                want = model.figures(p, year)
                if year in rows:
                    assert figures(rows[year]) == want, (seed, p, year)
                else:
                    assert want == (0, 0, 0, 0), (seed, p, year)
                assert figures(report[year][p]) == want, (seed, p, year)
                detail = ps.result("completion.year", {"year": year})
                assert figures(detail["summary"]) == want
                approved = sum((D(i["hours"]) for i in detail["items"]
                                if i["state"] == "approved"), D(0))
                assert approved == sum((d["hours"] for d in model.decl.values()
                                        if d["person"] == p and d["year"] == year
                                        and d["state"] == "approved"), D(0))
        # declaration_totals is exactly the sums of the declarations by state...
        got = {(int(r[0]), int(r[1]), r[2]): (D(r[3]), D(r[4])) for r in acc.rows(
            "SELECT account_id, year, form_code, approved_hours, pending_hours "
            "FROM declaration_totals t JOIN accounts x ON x.id = t.account_id "
            "WHERE x.unit_code = 'CPQ'")}
        want = {(int(r[0]), int(r[1]), r[2]): (D(r[3]), D(r[4])) for r in acc.rows(
            "SELECT account_id, year, form_code, "
            "coalesce(sum(hours) FILTER (WHERE state = 'approved'), 0), "
            "coalesce(sum(hours) FILTER (WHERE state = 'pending'), 0) FROM declarations "
            "WHERE unit_code = 'CPQ' GROUP BY account_id, year, form_code")}
        for k in set(got) | set(want):
            assert got.get(k, (0, 0)) == want.get(k, (0, 0)), (seed, k)
        # ...and the figures equal a recomputation from the declarations alone.
        for r in acc.rows(RECOMPUTE):
            p, year = int(r[0]), int(r[1])
            pub, pro, pending = (D(x or 0) for x in r[2:5])
            assert model.figures(p, year) == (pub, pro, pub + pro, pending), (seed, p, year)
    assert ops == 450
