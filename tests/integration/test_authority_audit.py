"""The authority's audit search (audit.search, issue 16) on the real daemon over SSH: every
kind of decision in scope (registrations, title changes, declarations, base reports, base
changes), each filter (kind, who by ID number or name prefix as subject or actor, unit,
base, from/to inclusive, outcome), another city's rows and units never shown, and keyset
paging that neither repeats nor skips a row while rows are added.

The audit rows are written with SQL at chosen times, so that every filter's edge is exact.
"""

import base64
import json

import pytest

from helpers import (INVALID_PARAMS, ISO, NOT_FOUND, Accounts, expect_error, logged_in, pages)

DAY = "2026-03-0{}"


def at(day, clock="10:00:00"):
    return f"'{DAY.format(day)} {clock}+08'"


@pytest.fixture(scope="module")
def daemon(ddaemon):
    """The declarations' daemon: its learning forms name the declaration audited here."""
    return ddaemon


@pytest.fixture(scope="module")
def site(daemon, postgres):
    acc = Accounts(postgres, daemon.dbname, "AA")
    acc.add_unit("AAZ1", "郑州审核甲单位", region="410100")
    acc.add_unit("AAZ2", "郑州审核乙单位", region="410100")
    acc.add_unit("AAL", "洛阳审核单位", region="410300")
    w = {"acc": acc, "rows": {}}
    w["wang"] = acc.add_staff("AAZ1", "王建国")
    w["wangfang"] = acc.add_staff("AAZ2", "王芳")
    w["luoyang"] = acc.add_staff("AAL", "王洛阳")
    w["admin"] = acc.add_admin("AAZ1", "张管理")
    w["province"] = acc.add_authority("省人社厅审核", scope="410000")
    w["city"] = acc.add_authority("郑州市人社局审核", scope="410100")
    w["ly_authority"] = acc.add_authority("洛阳市人社局审核", scope="410300")
    acc.add_base("AAB", "郑州审核基地", region="410100")
    acc.add_base("AALB", "洛阳审核基地", region="410300")
    w["base_admin"] = acc.add_base_admin("AAB", "基地管理员")
    with logged_in(daemon, w["admin"][1]) as s:    # the learning forms, synced on first use
        s.result("forms.list")
    form = acc.value("SELECT id FROM learning_forms WHERE active ORDER BY id LIMIT 1")
    w["form_name"] = acc.value(f"SELECT definition->>'name' FROM learning_forms WHERE id = {form}")

    def row(key, sql):
        w["rows"][key] = int(acc.value(sql + " RETURNING id"))

    wang, fang, ly, admin = w["wang"][0], w["wangfang"][0], w["luoyang"][0], w["admin"][0]
    for key, who, day in (("reg_wang", wang, 1), ("reg_fang", fang, 1), ("reg_ly", ly, 1)):
        row(key, "INSERT INTO account_audit (account_id, actor_id, action, from_state, "
            f"to_state, at) VALUES ({who}, {who}, 'register', NULL, 'pending', {at(day)})")
    row("approve_wang", "INSERT INTO account_audit (account_id, actor_id, action, from_state, "
        f"to_state, at) VALUES ({wang}, {admin}, 'approve', 'pending', 'active', "
        f"{at(2, '23:59:59.999')})")
    row("reject_ly", "INSERT INTO account_audit (account_id, actor_id, action, from_state, "
        f"to_state, reason, at) VALUES ({ly}, NULL, 'reject', 'pending', 'rejected', "
        f"'材料不全', {at(3)})")
    # Not a registration decision: never shown.
    acc.sql("INSERT INTO account_audit (account_id, actor_id, action, reason, at) VALUES "
            f"({wang}, {wang}, 'key_add', 'SHA256:x', {at(2)})")
    # A declaration of 王建国 (its audit rows name it) and one of 王洛阳.
    decl = acc.insert("declarations", account_id=wang, unit_code="AAZ1", form_id=int(form),
                      form_code=acc.value(f"SELECT code FROM learning_forms WHERE id = {form}"),
                      year=2026, amount=2, hours=2, category="professional")
    w["decl"] = decl
    row("submit_wang", "INSERT INTO declaration_audit (declaration_id, account_id, actor_id, "
        f"action, from_state, to_state, at) VALUES ({decl}, {wang}, {wang}, 'submit', "
        f"'draft', 'pending', {at(3, '00:00:00')})")
    row("reject_wang", "INSERT INTO declaration_audit (declaration_id, account_id, actor_id, "
        f"action, from_state, to_state, reason, step, at) VALUES ({decl}, {wang}, {admin}, "
        f"'reject', 'pending', 'rejected', '证书不清晰', 'unit', {at(4)})")
    row("submit_ly", "INSERT INTO declaration_audit (declaration_id, account_id, actor_id, "
        f"action, from_state, to_state, at) VALUES (424242, {ly}, {ly}, 'submit', 'draft', "
        f"'pending', {at(4)})")
    # Title changes: 王建国's approved on day 5, 王芳's pending since day 5.
    row("title_wang", "INSERT INTO profile_changes (account_id, unit_code, field, old_value, "
        "new_value, kind, state, decided_by, changed_at, decided_at) VALUES "
        f"({wang}, 'AAZ1', 'title', '助理工程师', '工程师', 'reviewed', 'approved', {admin}, "
        f"{at(4)}, {at(5)})")
    row("title_fang", "INSERT INTO profile_changes (account_id, unit_code, field, old_value, "
        "new_value, kind, state, changed_at) VALUES "
        f"({fang}, 'AAZ2', 'title', NULL, '主治医师', 'reviewed', 'pending', {at(5)})")
    # A direct change is no decision: never shown.
    acc.sql("INSERT INTO profile_changes (account_id, unit_code, field, old_value, new_value, "
            f"kind, changed_at) VALUES ({wang}, 'AAZ1', 'phone', '1', '2', 'direct', {at(5)})")
    # Base reports and a base's suspension, the last three at one time with a registration.
    for key, base in (("class_zz", "AAB"), ("class_ly", "AALB")):
        w[key] = acc.value(
            "INSERT INTO base_classes (base_code, name, form_id, form_code, start_date, "
            f"end_date, year, amount, state, created_by, reported_by, reported_at) VALUES "
            f"('{base}', '{base}审核测试班', {form}, (SELECT code FROM learning_forms WHERE "
            f"id = {form}), '2026-02-01', '2026-02-02', 2026, 2, 'reported', "
            f"{w['base_admin'][0]}, {w['base_admin'][0]}, now()) RETURNING id")
        row(key, "INSERT INTO base_class_audit (class_id, actor_id, action, detail, at) "
            f"VALUES ({w[key]}, {w['base_admin'][0]}, 'report', '{{\"records\": 3}}', "
            f"{at(6)})")
    row("suspend_zz", "INSERT INTO base_audit (base_code, actor_id, action, reason, before, "
        f"after, at) VALUES ('AAB', {w['city'][0]}, 'suspend', '年检', '{{}}', '{{}}', {at(6)})")
    row("resubmit_fang", "INSERT INTO account_audit (account_id, actor_id, action, at) "
        f"VALUES ({fang}, {fang}, 'resubmit', {at(6)})")
    return w


# Every row of the site, newest first, as (kind, key); ties at day 6 in kind order, descending.
ALL = [("registration", "resubmit_fang"), ("base_report", "class_ly"),
       ("base_report", "class_zz"), ("base", "suspend_zz"), ("title", "title_fang"),
       ("title", "title_wang"), ("declaration", "submit_ly"), ("declaration", "reject_wang"),
       ("registration", "reject_ly"), ("declaration", "submit_wang"),
       ("registration", "approve_wang"), ("registration", "reg_ly"),
       ("registration", "reg_fang"), ("registration", "reg_wang")]
LUOYANG = {"class_ly", "submit_ly", "reject_ly", "reg_ly"}


def keys(site, items):
    """The items as (kind, key) by the ids the site gave its rows."""
    by_id = {(k, site["rows"][key]): key for k, key in ALL}
    return [(i["kind"], by_id.get((i["kind"], i["id"]), f"new {i['id']}")) for i in items]


def search(s, site, **params):
    return keys(site, [i for p in pages(s, "audit.search", params) for i in p["items"]])


def test_each_authority_sees_its_scope_newest_first(daemon, site):
    with logged_in(daemon, site["province"][1]) as s:
        assert search(s, site) == ALL
    with logged_in(daemon, site["city"][1]) as s:
        assert search(s, site) == [r for r in ALL if r[1] not in LUOYANG]
        # Another city's unit or base: not found, as one that does not exist.
        for param, code in (("unit", "AAL"), ("unit", "NOSUCH"), ("base", "AALB")):
            expect_error(s.call("audit.search", {param: code}), NOT_FOUND, "not_found", param)
    with logged_in(daemon, site["ly_authority"][1]) as s:
        assert search(s, site) == [r for r in ALL if r[1] in LUOYANG]


def test_an_item_names_who_did_what_to_whom(daemon, site):
    with logged_in(daemon, site["city"][1]) as s:
        items = s.result("audit.search", {"kind": "declaration", "outcome": "reject"})["items"]
    assert len(items) == 1
    item = items[0]
    assert ISO.match(item["at"]) and item["at"].startswith("2026-03-04T10:00:00")
    assert {k: item[k] for k in ("kind", "id", "action", "outcome", "from_state", "to_state",
                                 "reason", "base", "detail")} == {
        "kind": "declaration", "id": site["rows"]["reject_wang"], "action": "reject",
        "outcome": "审核不通过", "from_state": "pending", "to_state": "rejected",
        "reason": "证书不清晰", "base": None, "detail": {"step": "unit"}}
    assert item["actor"] == {"id": site["admin"][0], "name": "张管理", "role": "unit_admin"}
    assert item["subject"] == {"id": site["wang"][0], "name": "王建国",
                               "id_number": site["wang"][1]}
    assert item["unit"] == {"code": "AAZ1", "name": "郑州审核甲单位"}
    assert item["record"] == {"id": site["decl"], "name": site["form_name"]}
    with logged_in(daemon, site["province"][1]) as s:
        title = s.result("audit.search", {"kind": "title", "unit": "AAZ1"})["items"]
        assert [(t["action"], t["from_state"], t["to_state"], t["record"]["name"],
                 t["detail"]) for t in title] == [
            ("approve", "pending", "approved", "工程师", {"old": "助理工程师", "new": "工程师"})]
        base = s.result("audit.search", {"kind": "base_report", "base": "AALB"})["items"]
        assert [(b["record"]["name"], b["base"]["code"], b["subject"], b["unit"], b["detail"])
                for b in base] == [("AALB审核测试班", "AALB", None, None, {"records": 3})]


@pytest.mark.parametrize("params, expected", [
    ({"kind": "registration"}, ["resubmit_fang", "approve_wang", "reg_fang", "reg_wang"]),
    ({"kind": "title"}, ["title_fang", "title_wang"]),
    ({"kind": "declaration"}, ["reject_wang", "submit_wang"]),
    ({"kind": "base_report"}, ["class_zz"]),
    ({"kind": "base"}, ["suspend_zz"]),
    ({"unit": "AAZ2"}, ["resubmit_fang", "title_fang", "reg_fang"]),
    ({"base": "AAB"}, ["class_zz", "suspend_zz"]),
    ({"outcome": "approve"}, ["title_wang", "approve_wang"]),
    ({"outcome": "submit"}, ["title_fang", "submit_wang"]),
    # from and to are inclusive days of Asia/Shanghai: 23:59:59.999 is in, 00:00 the next not.
    ({"from": "2026-03-02", "to": "2026-03-02"}, ["approve_wang"]),
    ({"from": "2026-03-03", "to": "2026-03-04"}, ["reject_wang", "submit_wang"]),
    ({"from": "2026-03-06"}, ["resubmit_fang", "class_zz", "suspend_zz"]),
    ({"to": "2026-03-01"}, ["reg_fang", "reg_wang"]),
    # who: an ID number exactly, a name prefix; as the subject or as the actor.
    ({"who": "王建"}, ["title_wang", "reject_wang", "submit_wang", "approve_wang", "reg_wang"]),
    ({"who": "王"}, ["resubmit_fang", "title_fang", "title_wang", "reject_wang", "submit_wang",
                     "approve_wang", "reg_fang", "reg_wang"]),
    ({"who": "张管理"}, ["title_wang", "reject_wang", "approve_wang"]),
    ({"who": "郑州市人社局"}, ["suspend_zz"]),
    ({"who": "基地"}, ["class_zz"]),
    ({"who": "nobody%"}, []),
    ({"who": "王", "kind": "registration", "to": "2026-03-01"}, ["reg_fang", "reg_wang"]),
    ({"unit": "AAZ1", "outcome": "reject"}, ["reject_wang"]),
])
def test_each_filter(daemon, site, params, expected):
    with logged_in(daemon, site["city"][1]) as s:
        assert [k for _, k in search(s, site, **params)] == expected


def test_who_by_id_number_is_exact(daemon, site):
    with logged_in(daemon, site["city"][1]) as s:
        got = [k for _, k in search(s, site, who=site["wangfang"][1])]
        assert got == ["resubmit_fang", "title_fang", "reg_fang"]
        assert search(s, site, who=site["wangfang"][1][:17]) == []
        # Another city's person: nothing, not even that they exist.
        assert search(s, site, who=site["luoyang"][1]) == []


def test_mistakes_are_named(daemon, site):
    with logged_in(daemon, site["city"][1]) as s:
        r = s.call("audit.search", {"kind": "everything", "outcome": "bless",
                                    "from": "2026-02-30", "to": "yesterday"})
        expect_error(r, INVALID_PARAMS, "audit_kind_invalid", "kind")
        assert [(e["field"], e["reason"]) for e in r["error"]["data"]["errors"]] == [
            ("kind", "audit_kind_invalid"), ("outcome", "audit_outcome_invalid"),
            ("from", "field_date"), ("to", "field_date")]
        r = s.call("audit.search", {"from": "2026-03-05", "to": "2026-03-04"})
        expect_error(r, INVALID_PARAMS, "field_range_order", "to")
        expect_error(s.call("audit.search", {"who": "王\u0007"}), INVALID_PARAMS,
                     "audit_who_invalid", "who")
        expect_error(s.call("audit.search", {"limit": 101}), INVALID_PARAMS, "limit_invalid",
                     "limit")
        for key in ({}, ["x"], ["2026-03-01 10:00:00+08", "nosuch", "1"],
                    ["2026-03-01 10:00:00+08", "title", "x1"]):
            bad = base64.urlsafe_b64encode(json.dumps(key).encode()).rstrip(b"=").decode()
            expect_error(s.call("audit.search", {"after": bad}), INVALID_PARAMS,
                         "cursor_invalid", "after")


def test_paging_neither_repeats_nor_skips_while_rows_are_added(daemon, site):
    acc, wang = site["acc"], site["wang"][0]
    seen = []
    with logged_in(daemon, site["province"][1]) as s:
        page = s.result("audit.search", {"limit": 3})
        while True:
            seen += page["items"]
            # A decision made meanwhile (now: newer than every row paged).
            acc.sql("INSERT INTO account_audit (account_id, actor_id, action, at) VALUES "
                    f"({wang}, {wang}, 'resubmit', now())")
            if page["next"] is None:
                break
            page = s.result("audit.search", {"limit": 3, "after": page["next"]})
    assert keys(site, seen) == ALL
    assert len({(i["kind"], i["id"]) for i in seen}) == len(seen)
    acc.sql(f"DELETE FROM account_audit WHERE account_id = {wang} AND action = 'resubmit'")
