"""Profile management (profile.*) and the unit administrator's review of title changes
(review.title_changes, review.approve/reject_title_changes, review.staff*), on the real
daemon over SSH.

The unit, name and ID number (and sex and birth date) cannot be changed whatever the
request says; every other field obeys the registration's rules; a title change waits for
an administrator of the person's own unit; a form read before another save is refused;
every change is in the person's history.
"""

import threading

import pytest

from helpers import (CONFLICT, DEMO_PASSWORD, INVALID_INPUT, INVALID_PARAMS, ISO, NOT_FOUND,
                     NOT_PERMITTED, Accounts, born_of, expect_error, id_number, logged_in,
                     pages, race_decisions, sex_code, sex_of)


def title_id(acc, series, name):
    return int(acc.value(f"SELECT id FROM titles WHERE series = '{series}' AND name = '{name}'"))


@pytest.fixture(scope="module")
def world(daemon, postgres):
    acc = Accounts(postgres, daemon.dbname, "PF")
    a = acc.add_unit("PFA", "资料测试甲单位", departments=("办公室", "技术部"))
    b = acc.add_unit("PFB", "资料测试乙单位", departments=("财务部",))
    acc.sql("INSERT INTO departments (unit_code, name, active) VALUES ('PFA', '已撤销科', false)")
    w = {
        "acc": acc,
        "dept_a": a["办公室"], "dept_a2": a["技术部"], "dept_b": b["财务部"],
        "dept_a_old": int(acc.value("SELECT id FROM departments WHERE name = '已撤销科'")),
        "assistant": title_id(acc, "工程", "助理工程师"),
        "engineer": title_id(acc, "工程", "工程师"),
        "senior": title_id(acc, "工程", "高级工程师"),
        "lecturer": title_id(acc, "高等学校教师", "讲师"),
    }
    w["a1"] = acc.add_admin("PFA", "甲单位管理员一")
    w["a2"] = acc.add_admin("PFA", "甲单位管理员二")
    w["b1"] = acc.add_admin("PFB", "乙单位管理员")
    return w


def add_staff(world, name, unit="PFA", dept=None, title="assistant", state="active"):
    """An active staff account with every registration field, by SQL; (id, ID number)."""
    idn = id_number()
    return world["acc"].add_staff(
        unit, name, dept or (world["dept_a"] if unit == "PFA" else world["dept_b"]), state,
        idn=idn, sex=sex_code(idn), birth_date=born_of(idn), ethnicity="01",
        phone="13800000000", email="old@example.com", native_place="河南郑州",
        school="郑州大学", major_code="080901", title_id=world[title] if title else None,
        education_level="21")


def history(s):
    """Every history item of the own profile, page by page."""
    items = []
    for page in pages(s, "profile.history", {"after": None, "limit": 3}):
        items += page["items"]
    return items


def account_row(acc, aid):
    keys = ("version", "phone", "email", "department_id", "title_id", "school")
    row = acc.rows("SELECT version, phone, email, department_id, coalesce(title_id::text, ''), "
                   f"coalesce(school, '') FROM accounts WHERE id = {aid}")[0]
    return dict(zip(keys, row))


def change_rows(acc, aid):
    return int(acc.value(f"SELECT count(*) FROM profile_changes WHERE account_id = {aid}"))


# --- roles ---------------------------------------------------------------------------------

STAFF_METHODS = [
    ("profile.get", None),
    ("profile.update", {"version": 1}),
    ("profile.cancel_title_change", {"id": 1}),
    ("profile.history", {}),
]
ADMIN_METHODS = [
    ("review.title_changes", {}),
    ("review.approve_title_changes", {"ids": [1]}),
    ("review.reject_title_changes", {"ids": [1], "reason": "x"}),
    ("review.staff", {}),
    ("review.staff_profile", {"account_id": 1}),
]


def test_roles(daemon, world):
    with daemon.rpc() as guest:
        for method, params in STAFF_METHODS + ADMIN_METHODS:
            expect_error(guest.call(method, params), NOT_PERMITTED, "login_required")
    _, idn = add_staff(world, "角色测试")
    with logged_in(daemon, idn) as s:
        for method, params in ADMIN_METHODS:
            expect_error(s.call(method, params), NOT_PERMITTED, "not_permitted")
    with logged_in(daemon, world["a1"][1]) as s:
        for method, params in STAFF_METHODS:
            expect_error(s.call(method, params), NOT_PERMITTED, "not_permitted")


def test_admin_home_lists_the_new_functions(daemon, world):
    with daemon.rpc() as s:
        r = s.result("session.login", {"id_number": world["a1"][1], "password": DEMO_PASSWORD})
        keys = {f["key"]: f["label"] for f in r["functions"]}
        assert keys["review_titles"] == "职务变更审核" and keys["staff"] == "本单位人员"


def test_disabled_staff_cannot_edit(daemon, world):
    aid, idn = add_staff(world, "停用测试")
    with logged_in(daemon, idn) as s:
        v = s.result("profile.get")["version"]
        world["acc"].sql(f"UPDATE accounts SET state = 'disabled' WHERE id = {aid}")
        expect_error(s.call("profile.update", {"version": v, "phone": "13900000001"}),
                     NOT_PERMITTED, "not_permitted")
    assert account_row(world["acc"], aid)["phone"] == "13800000000"


# --- reading ---------------------------------------------------------------------------------

def test_get_shows_every_registration_field(daemon, world):
    aid, idn = add_staff(world, "全字段")
    with logged_in(daemon, idn) as s:
        p = s.result("profile.get")
    assert p["account_id"] == aid and p["id_number"] == idn and p["name"] == "全字段"
    assert p["sex"] == sex_of(idn) and p["birth_date"] == born_of(idn)
    assert p["phone"] == "13800000000" and p["email"] == "old@example.com"
    assert p["unit"] == {"code": "PFA", "name": "资料测试甲单位"}
    assert p["department"] == {"id": world["dept_a"], "name": "办公室"}
    assert p["ethnicity"] == {"code": "01", "name": "汉族"}
    assert p["native_place"] == "河南郑州" and p["school"] == "郑州大学"
    assert p["major"] == {"code": "080901", "name": "计算机科学与技术"}
    assert p["title"] == {"id": world["assistant"], "series": "工程", "level": "助理级",
                          "name": "助理工程师"}
    assert p["education_level"] == {"code": "21", "name": "大学本科"}
    assert p["fixed"] == ["unit", "name", "id_number", "sex", "birth_date"]
    assert p["version"] == int(account_row(world["acc"], aid)["version"])
    assert p["pending_title"] is None and p["state"] == "active"


# --- fixed fields ------------------------------------------------------------------------------

def test_fixed_fields_are_refused_by_the_server(daemon, world):
    aid, idn = add_staff(world, "不可改")
    other = id_number()
    attempts = {
        "unit": "PFB", "name": "改名字", "id_number": other, "sex": "female",
        "birth_date": "1990-01-01",
    }
    before = account_row(world["acc"], aid)
    with logged_in(daemon, idn) as s:
        p = s.result("profile.get")
        for field, value in attempts.items():
            e = expect_error(s.call("profile.update", {"version": p["version"], field: value,
                                                       "phone": "13911112222"}),
                             INVALID_INPUT, "field_fixed", field)
            assert "注册后不能修改" in e["message"]
        # Even the value it already has, and even with nothing else.
        for field, value in (("name", "不可改"), ("id_number", idn), ("unit", "PFA"),
                             ("unit", None), ("name", 5)):
            expect_error(s.call("profile.update", {"version": p["version"], field: value}),
                         INVALID_INPUT, "field_fixed", field)
        e = expect_error(s.call("profile.update", {"version": p["version"], "name": "x"}),
                         INVALID_INPUT, "field_fixed", "name")
        assert e["message"] == "姓名: 注册后不能修改"
        s.result("system.hello", {"lang": "en"})
        e = expect_error(s.call("profile.update", {"version": p["version"], "unit": "PFB"}),
                         INVALID_INPUT, "field_fixed", "unit")
        assert "cannot be changed" in e["message"]
        assert s.result("profile.get")["name"] == "不可改"
    assert account_row(world["acc"], aid) == before
    assert world["acc"].rows(f"SELECT name, unit_code, id_number FROM accounts "
                             f"WHERE id = {aid}") == [["不可改", "PFA", idn]]
    assert change_rows(world["acc"], aid) == 0


# --- validation ---------------------------------------------------------------------------------

def test_each_rule_of_registration_names_its_field(daemon, world):
    aid, idn = add_staff(world, "校验")
    bad = [
        ({"phone": "12345"}, "phone_invalid", "phone"),
        ({"phone": "1381234567a"}, "phone_invalid", "phone"),
        ({"email": "not-an-address"}, "email_invalid", "email"),
        ({"department_id": world["dept_b"]}, "department_unknown", "department_id"),
        ({"department_id": world["dept_a_old"]}, "department_unknown", "department_id"),
        ({"department_id": 0}, "department_unknown", "department_id"),
        ({"department_id": -3}, "department_unknown", "department_id"),
        ({"ethnicity": "99"}, "ethnicity_unknown", "ethnicity"),
        ({"ethnicity": "1"}, "ethnicity_unknown", "ethnicity"),
        ({"ethnicity": ""}, "required", "ethnicity"),
        ({"native_place": "长" * 101}, "text_invalid", "native_place"),
        ({"native_place": "河南\u0007"}, "text_invalid", "native_place"),
        ({"school": "学校\n名"}, "text_invalid", "school"),
        ({"major": "999999"}, "major_unknown", "major"),
        ({"title_id": 999999}, "title_unknown", "title_id"),
        ({"title_id": 2 ** 40}, "title_unknown", "title_id"),
        ({"education_level": "99"}, "education_unknown", "education_level"),
        ({"education_level": "21 "}, "education_unknown", "education_level"),
        # Two broken rules: the first in the order of the form is the reply.
        ({"school": "\u0001", "phone": "1"}, "phone_invalid", "phone"),
        ({"education_level": "00", "department_id": 0}, "department_unknown",
         "department_id"),
    ]
    before = account_row(world["acc"], aid)
    with logged_in(daemon, idn) as s:
        v = s.result("profile.get")["version"]
        for params, reason, field in bad:
            e = expect_error(s.call("profile.update", {"version": v, **params}),
                             INVALID_INPUT, reason, field)
            assert e["message"].startswith(("手机号码", "电子邮箱", "所属工作部门", "民族",
                                            "籍贯", "毕业院校", "所学专业", "专业技术职务",
                                            "学历")), e
        # Types are the dispatcher's.
        expect_error(s.call("profile.update", {"version": v, "phone": None}),
                     INVALID_PARAMS, "param_type", "phone")
        expect_error(s.call("profile.update", {"version": v, "department_id": "1"}),
                     INVALID_PARAMS, "param_type", "department_id")
        expect_error(s.call("profile.update", {"phone": "13900000000"}),
                     INVALID_PARAMS, "required", "version")
        expect_error(s.call("profile.update", {"version": v, "password": "x"}),
                     INVALID_PARAMS, "param_unknown", "password")
    assert account_row(world["acc"], aid) == before
    assert change_rows(world["acc"], aid) == 0


# --- direct changes ------------------------------------------------------------------------------

def test_direct_fields_save_at_once_with_history(daemon, world):
    aid, idn = add_staff(world, "直接修改")
    acc = world["acc"]
    with logged_in(daemon, idn) as s:
        p = s.result("profile.get")
        r = s.result("profile.update", {
            "version": p["version"], "phone": "13912345678", "email": "new@example.org",
            "department_id": world["dept_a2"], "ethnicity": "03",
            "native_place": "\u3000河南开封 ", "school": None, "major": "080902",
            "education_level": "14",
            # unchanged ones may be sent too: they are not changes
            "title_id": world["assistant"]})
        assert r["changed"] == ["phone", "email", "department", "ethnicity", "native_place",
                                "school", "major", "education_level"]
        assert r["version"] == p["version"] + 1 and r["title_pending"] is False
        assert r["message"] == "已保存"
        q = s.result("profile.get")
        assert q["version"] == r["version"]
        assert q["phone"] == "13912345678" and q["email"] == "new@example.org"
        assert q["department"] == {"id": world["dept_a2"], "name": "技术部"}
        assert q["ethnicity"]["code"] == "03" and q["native_place"] == "河南开封"
        assert q["school"] is None and q["major"]["code"] == "080902"
        assert q["education_level"] == {"code": "14", "name": "硕士研究生"}
        items = s.result("profile.history")["items"]
    by_field = {i["field"]: i for i in items}
    assert set(by_field) == set(r["changed"])
    dep = by_field["department"]
    assert (dep["old_value"], dep["new_value"]) == ("办公室", "技术部")
    assert (dep["old_raw"], dep["new_raw"]) == (str(world["dept_a"]), str(world["dept_a2"]))
    assert dep["label"] == "所属工作部门" and dep["kind"] == "direct" and dep["state"] is None
    assert ISO.match(dep["changed_at"]) and dep["decided_by"] is None
    assert (by_field["phone"]["old_value"], by_field["phone"]["new_value"]) == \
        ("13800000000", "13912345678")
    assert (by_field["ethnicity"]["old_value"], by_field["ethnicity"]["new_value"]) == \
        ("汉族", "回族")
    assert (by_field["school"]["old_value"], by_field["school"]["new_value"]) == ("郑州大学", None)
    assert by_field["education_level"]["new_value"] == "硕士研究生"
    assert acc.rows(f"SELECT phone, school IS NULL FROM accounts WHERE id = {aid}") == \
        [["13912345678", "t"]]


def test_saving_nothing_changed_writes_nothing(daemon, world):
    aid, idn = add_staff(world, "没改")
    acc = world["acc"]
    before = account_row(acc, aid)
    with logged_in(daemon, idn) as s:
        p = s.result("profile.get")
        form = {"version": p["version"], "phone": p["phone"], "email": p["email"],
                "department_id": p["department"]["id"], "ethnicity": "01",
                "native_place": " 河南郑州 ", "school": "郑州大学", "major": "080901",
                "title_id": world["assistant"], "education_level": "21"}
        for params in (form, {"version": p["version"]}):
            r = s.result("profile.update", params)
            assert r["changed"] == [] and r["message"] == "没有修改任何内容"
            assert r["version"] == p["version"] and r["title_pending"] is False
    assert account_row(acc, aid) == before
    assert change_rows(acc, aid) == 0


# --- title changes ---------------------------------------------------------------------------------

def ask_title(s, title):
    v = s.result("profile.get")["version"]
    return s.result("profile.update", {"version": v, "title_id": title})


def ask_title_change(s, title):
    """Ask for title; the id of the pending change that makes."""
    ask_title(s, title)
    return s.result("profile.get")["pending_title"]["id"]


def queue(s, **params):
    items = []
    for page in pages(s, "review.title_changes", {**params, "after": None, "limit": 2}):
        items += page["items"]
    return items


def test_title_change_waits_then_approval_applies_it(daemon, world):
    aid, idn = add_staff(world, "待批准")
    acc = world["acc"]
    with logged_in(daemon, idn) as s:
        r = ask_title(s, world["engineer"])
        assert r["message"] == "信息已经提交审核" and r["title_pending"] is True
        assert r["changed"] == ["title"]
        p = s.result("profile.get")
        assert p["title"]["id"] == world["assistant"]       # not applied
        pending = p["pending_title"]
        assert pending["title"] == {"id": world["engineer"], "series": "工程",
                                    "level": "中级", "name": "工程师"}
        assert ISO.match(pending["asked_at"])
    assert account_row(acc, aid)["title_id"] == str(world["assistant"])

    with logged_in(daemon, world["a1"][1]) as s:
        item = next(i for i in queue(s) if i["account_id"] == aid)
        assert item["id"] == pending["id"] and item["name"] == "待批准"
        assert item["id_number"] == idn and item["department"] == "办公室"
        assert item["old"] == {"id": world["assistant"], "name": "工程 · 助理工程师"}
        assert item["new"] == {"id": world["engineer"], "name": "工程 · 工程师"}
        assert item["asked_at"] == pending["asked_at"]
        r = s.result("review.approve_title_changes", {"ids": [pending["id"]]})
        assert r == {"results": [{"id": pending["id"], "ok": True}]}
        assert all(i["id"] != pending["id"] for i in queue(s))

    assert account_row(acc, aid)["title_id"] == str(world["engineer"])
    with logged_in(daemon, idn) as s:
        p2 = s.result("profile.get")
        assert p2["title"]["name"] == "工程师" and p2["pending_title"] is None
        assert p2["version"] > p["version"]
        h = s.result("profile.history")["items"][0]
    assert h["id"] == pending["id"] and h["field"] == "title" and h["kind"] == "reviewed"
    assert h["state"] == "approved" and h["decided_by"] == {"name": "甲单位管理员一"}
    assert h["old_value"] == "工程 · 助理工程师" and h["new_value"] == "工程 · 工程师"
    assert ISO.match(h["decided_at"]) and h["label"] == "专业技术职务"


def test_rejection_keeps_the_old_title_and_shows_the_reason(daemon, world):
    aid, idn = add_staff(world, "被驳回")
    with logged_in(daemon, idn) as s:
        change = ask_title(s, world["senior"])
        cid = s.result("profile.get")["pending_title"]["id"]
    with logged_in(daemon, world["a2"][1]) as s:
        for reason, why in (("", "reason_required"), ("  \u3000 ", "reason_required"),
                            ("x" * 201, "reason_invalid"), ("a\nb", "reason_invalid")):
            expect_error(s.call("review.reject_title_changes", {"ids": [cid], "reason": reason}),
                         INVALID_INPUT, why, "reason")
        r = s.result("review.reject_title_changes", {"ids": [cid], "reason": " 未取得任职资格 "})
        assert r == {"results": [{"id": cid, "ok": True}]}
    assert change["title_pending"] is True
    assert account_row(world["acc"], aid)["title_id"] == str(world["assistant"])
    with logged_in(daemon, idn) as s:
        p = s.result("profile.get")
        assert p["title"]["id"] == world["assistant"] and p["pending_title"] is None
        h = s.result("profile.history")["items"][0]
    assert h["id"] == cid and h["state"] == "rejected" and h["reason"] == "未取得任职资格"
    assert h["decided_by"] == {"name": "甲单位管理员二"}


def test_cancel_a_pending_change(daemon, world):
    aid, idn = add_staff(world, "撤销")
    other_aid, other_idn = add_staff(world, "别人")
    with logged_in(daemon, other_idn) as s:
        other_cid = ask_title_change(s, world["lecturer"])
    with logged_in(daemon, idn) as s:
        ask_title(s, world["engineer"])
        p = s.result("profile.get")
        cid = p["pending_title"]["id"]
        # Another person's change is not found, whatever its id.
        e = expect_error(s.call("profile.cancel_title_change", {"id": other_cid}),
                         NOT_FOUND, "not_found", "id")
        assert e["message"] == "没有找到这条变更申请"
        r = s.result("profile.cancel_title_change", {"id": cid})
        assert r["id"] == cid and r["state"] == "cancelled"
        assert r["version"] == p["version"] + 1
        q = s.result("profile.get")
        assert q["pending_title"] is None and q["title"]["id"] == world["assistant"]
        assert q["version"] == r["version"]
        e = expect_error(s.call("profile.cancel_title_change", {"id": cid}), CONFLICT,
                         "state_changed")
        assert e["data"]["state"] == "cancelled" and e["data"]["decided_by"] == {"name": "撤销"}
        h = s.result("profile.history")["items"][0]
        assert h["id"] == cid and h["state"] == "cancelled" and h["reason"] is None
    with logged_in(daemon, world["a1"][1]) as s:
        r = s.result("review.approve_title_changes", {"ids": [cid, other_cid]})
        first, second = r["results"]
        assert first["ok"] is False and first["reason"] == "already_decided"
        assert first["state"] == "cancelled" and first["decided_by"] == {"name": "撤销"}
        assert second == {"id": other_cid, "ok": True}
    assert account_row(world["acc"], aid)["title_id"] == str(world["assistant"])
    assert account_row(world["acc"], other_aid)["title_id"] == str(world["lecturer"])


def test_a_second_change_replaces_the_pending_one(daemon, world):
    aid, idn = add_staff(world, "再次修改")
    acc = world["acc"]
    with logged_in(daemon, idn) as s:
        first = ask_title_change(s, world["engineer"])
        r = ask_title(s, world["senior"])
        assert r["title_pending"] is True and r["message"] == "信息已经提交审核"
        p = s.result("profile.get")
        second = p["pending_title"]["id"]
        assert second != first and p["pending_title"]["title"]["id"] == world["senior"]
        # The pending title again: nothing changes.
        r = s.result("profile.update", {"version": p["version"], "title_id": world["senior"]})
        assert r["changed"] == [] and r["title_pending"] is True
        # Together with a direct change.
        r = s.result("profile.update", {"version": p["version"], "title_id": world["lecturer"],
                                        "phone": "13700000001"})
        assert r["changed"] == ["phone", "title"]
        assert r["message"] == "已保存；信息已经提交审核"
        third = s.result("profile.get")["pending_title"]["id"]
        # Back to the title one has: the pending change is cancelled, nothing asked.
        r = s.result("profile.update", {"version": r["version"], "title_id": world["assistant"]})
        assert r["changed"] == ["title"] and r["title_pending"] is False
        assert r["message"] == "专业技术职务的变更申请已撤销"
        assert s.result("profile.get")["pending_title"] is None
    states = acc.rows("SELECT id, state, coalesce(reason, '') FROM profile_changes "
                      f"WHERE account_id = {aid} AND field = 'title' ORDER BY id")
    assert states == [[str(first), "cancelled", "replaced"], [str(second), "cancelled", "replaced"],
                      [str(third), "cancelled", ""]]
    with logged_in(daemon, world["a1"][1]) as s:
        assert all(i["account_id"] != aid for i in queue(s))
        r = s.result("review.approve_title_changes", {"ids": [first]})
        assert r["results"][0]["reason"] == "already_decided"
    assert account_row(acc, aid)["title_id"] == str(world["assistant"])
    # Clearing the title is a change to review too.
    with logged_in(daemon, idn) as s:
        r = ask_title(s, None)
        assert r["title_pending"] is True
        p = s.result("profile.get")
        assert p["pending_title"]["title"] is None and p["title"] is not None
    with logged_in(daemon, world["a1"][1]) as s:
        item = next(i for i in queue(s) if i["account_id"] == aid)
        assert item["new"] is None
        assert s.result("review.approve_title_changes", {"ids": [item["id"]]})["results"][0]["ok"]
    assert account_row(acc, aid)["title_id"] == ""


# --- history -----------------------------------------------------------------------------------

def test_history_is_complete_and_ordered(daemon, world):
    aid, idn = add_staff(world, "历史")
    acc = world["acc"]
    with logged_in(daemon, idn) as s:
        v = s.result("profile.get")["version"]
        for i in range(4):
            v = s.result("profile.update", {"version": v, "phone": f"1390000000{i}",
                                            "school": f"学校{i}"})["version"]
        ask_title(s, world["engineer"])
        items = history(s)
        page = s.result("profile.history")
    expected = [int(r[0]) for r in acc.rows(
        f"SELECT id FROM profile_changes WHERE account_id = {aid} "
        "ORDER BY changed_at DESC, id DESC")]
    assert [i["id"] for i in items] == expected and len(expected) == 9
    assert [i["id"] for i in page["items"]] == expected and page["next"] is None
    assert items[0]["field"] == "title" and items[0]["state"] == "pending"
    phones = [i for i in items if i["field"] == "phone"]
    assert [(p["old_value"], p["new_value"]) for p in phones] == [
        ("13900000002", "13900000003"), ("13900000001", "13900000002"),
        ("13900000000", "13900000001"), ("13800000000", "13900000000")]
    stamps = [i["changed_at"] for i in items]
    assert stamps == sorted(stamps, reverse=True)
    with logged_in(daemon, idn) as s:
        expect_error(s.call("profile.history", {"after": "nonsense"}), INVALID_PARAMS,
                     "cursor_invalid", "after")
        expect_error(s.call("profile.history", {"limit": 0}), INVALID_PARAMS,
                     "limit_invalid", "limit")


# --- concurrent edits --------------------------------------------------------------------------

def test_a_stale_form_is_refused(daemon, world):
    aid, idn = add_staff(world, "两处编辑")
    acc = world["acc"]
    with logged_in(daemon, idn) as one, logged_in(daemon, idn) as two:
        form1 = one.result("profile.get")
        form2 = two.result("profile.get")
        assert form1["version"] == form2["version"]
        one.result("profile.update", {"version": form1["version"], "phone": "13600000001"})
        for params in ({"phone": "13600000002"}, {"email": "b@example.com"},
                       {"title_id": world["engineer"]}, {"phone": form2["phone"]}):
            e = expect_error(two.call("profile.update", {"version": form2["version"], **params}),
                             CONFLICT, "stale_version")
            assert "重新载入" in e["message"]
        assert account_row(acc, aid)["phone"] == "13600000001"
        assert account_row(acc, aid)["email"] == "old@example.com"
        # Reloaded, the second session saves.
        form2 = two.result("profile.get")
        assert form2["phone"] == "13600000001"
        r = two.result("profile.update", {"version": form2["version"], "email": "b@example.com"})
        assert r["changed"] == ["email"]
        # A decision on a pending change makes forms read before it stale too.
        form1 = one.result("profile.get")
        ask = one.result("profile.update", {"version": form1["version"],
                                            "title_id": world["engineer"]})
        cid = one.result("profile.get")["pending_title"]["id"]
        with logged_in(daemon, world["a1"][1]) as admin:
            admin.result("review.reject_title_changes", {"ids": [cid], "reason": "材料不全"})
        expect_error(one.call("profile.update", {"version": ask["version"],
                                                 "title_id": world["engineer"]}),
                     CONFLICT, "stale_version")
    assert change_rows(acc, aid) == 3


def test_two_saves_at_once_one_wins(daemon, world):
    aid, idn = add_staff(world, "同时保存")
    acc = world["acc"]
    rounds = 15
    barrier = threading.Barrier(2, timeout=30)
    outcomes = {0: [], 1: []}
    errors = []

    def run(k):
        try:
            with logged_in(daemon, idn) as s:
                for n in range(rounds):
                    v = s.result("profile.get")["version"]
                    barrier.wait()
                    reply = s.call("profile.update", {"version": v,
                                                      "phone": f"135{n:04d}{k}000"})
                    outcomes[k].append(reply)
                    barrier.wait()
        except Exception as e:  # reported below; a dead thread must not hang the other
            errors.append(repr(e))
            barrier.abort()

    threads = [threading.Thread(target=run, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    for a, b in zip(outcomes[0], outcomes[1]):
        oks = ["result" in a, "result" in b]
        # Both may read the same version (then exactly one wins) or one may read after the
        # other saved (then both win, one after the other); never a silent overwrite.
        if oks.count(True) == 1:
            loser = b if oks[0] else a
            assert loser["error"]["data"]["reason"] == "stale_version"
        else:
            assert a["result"]["version"] != b["result"]["version"]
    wins = sum("result" in r for r in outcomes[0] + outcomes[1])
    assert change_rows(acc, aid) == wins
    assert int(account_row(acc, aid)["version"]) == int(acc.value(
        f"SELECT 1 + count(*) FROM profile_changes WHERE account_id = {aid}"))


# --- the administrator's side ------------------------------------------------------------------

def test_other_unit_sees_and_decides_nothing(daemon, world):
    aid, idn = add_staff(world, "甲单位职工")
    acc = world["acc"]
    with logged_in(daemon, idn) as s:
        cid = ask_title_change(s, world["engineer"])
    missing = int(acc.value("SELECT max(id) FROM profile_changes")) + 1000
    with logged_in(daemon, world["b1"][1]) as s:
        expect_error(s.call("review.staff_profile", {"account_id": aid}), NOT_FOUND,
                     "not_found", "account_id")
        for method, extra in (("review.approve_title_changes", {}),
                              ("review.reject_title_changes", {"reason": "越权"})):
            r = s.result(method, {"ids": [cid, missing], **extra})
            assert r == {"results": [{"id": cid, "ok": False, "reason": "not_found"},
                                     {"id": missing, "ok": False, "reason": "not_found"}]}
        assert all(i["id"] != cid for i in queue(s))
        assert s.result("review.title_changes", {"filter": "甲单位职工"})["items"] == []
        assert all(i["account_id"] != aid for i in s.result("review.staff", {"limit": 200})["items"])
        assert s.result("review.staff", {"filter": idn})["items"] == []
    assert acc.rows(f"SELECT state FROM profile_changes WHERE id = {cid}") == [["pending"]]
    assert account_row(acc, aid)["title_id"] == str(world["assistant"])
    with logged_in(daemon, world["a1"][1]) as s:
        # Administrators are not staff: not readable as one.
        expect_error(s.call("review.staff_profile", {"account_id": world["a2"][0]}),
                     NOT_FOUND, "not_found")
        r = s.result("review.approve_title_changes", {"ids": [cid]})
        assert r["results"][0]["ok"] is True
        for ids in ([], [0], ["1"], list(range(1, 202))):
            e = expect_error(s.call("review.approve_title_changes", {"ids": ids}),
                             INVALID_PARAMS, "ids_invalid", "ids")
            assert e["message"] == "请选择 1 到 200 条变更申请"


def test_staff_list_and_read_only_profile(daemon, world):
    acc = world["acc"]
    mine = [add_staff(world, f"列表{i}") for i in range(5)]
    add_staff(world, "列表待审", state="pending")
    add_staff(world, "列表乙", unit="PFB")
    with logged_in(daemon, mine[0][1]) as s:
        ask_title(s, world["engineer"])
    with logged_in(daemon, world["a1"][1]) as s:
        items, n = [], 0
        for page in pages(s, "review.staff", {"filter": "列表", "after": None, "limit": 2}):
            items += page["items"]
            n += 1
        assert [i["name"] for i in items] == [f"列表{i}" for i in range(5)] and n == 3
        assert page["total"] == 5
        assert items[0]["title_pending"] is True and items[1]["title_pending"] is False
        assert items[0]["title"] == "工程 · 助理工程师"
        assert items[0]["department"] == "办公室" and items[0]["id_number"] == mine[0][1]
        expect_error(s.call("review.staff", {"after": "xx"}), INVALID_PARAMS,
                     "cursor_invalid", "after")

        r = s.result("review.staff_profile", {"account_id": mine[0][0]})
        p = r["profile"]
        assert p["account_id"] == mine[0][0] and p["name"] == "列表0"
        assert p["pending_title"]["title"]["id"] == world["engineer"]
        assert "version" not in p
        assert [h["field"] for h in r["history"]["items"]] == ["title"]
        assert r["history"]["next"] is None
        ids = {i["account_id"] for i in s.result("review.staff", {"limit": 200})["items"]}
        assert all(a not in ids for a, _ in [world["a1"], world["a2"]])
    assert acc.value(f"SELECT title_id FROM accounts WHERE id = {mine[0][0]}") == \
        str(world["assistant"])


def test_queue_paging_and_filter(daemon, world):
    people = [add_staff(world, f"队列{i}") for i in range(5)]
    asked = []
    for aid, idn in people:
        with logged_in(daemon, idn) as s:
            asked.append(ask_title_change(s, world["engineer"]))
    with logged_in(daemon, world["a2"][1]) as s:
        items = queue(s, filter="队列")
        assert [i["id"] for i in items] == list(reversed(asked))
        page = s.result("review.title_changes", {"filter": "队列", "limit": 2})
        assert page["pending_total"] == 5 and len(page["items"]) == 2
        only = s.result("review.title_changes", {"filter": people[2][1][:18]})
        assert [i["id"] for i in only["items"]] == [asked[2]]
        expect_error(s.call("review.title_changes", {"filter": "\u0007"}), INVALID_PARAMS,
                     "filter_invalid", "filter")
        # Several at once.
        r = s.result("review.approve_title_changes", {"ids": asked[:3]})
        assert [x["ok"] for x in r["results"]] == [True, True, True]
        r = s.result("review.reject_title_changes", {"ids": asked[2:], "reason": "复核"})
        assert [x["ok"] for x in r["results"]] == [False, True, True]
        assert r["results"][0]["state"] == "approved"
        assert r["results"][0]["decided_by"] == {"name": "甲单位管理员二"}
        assert queue(s, filter="队列") == []


def test_two_admins_racing_on_title_changes(daemon, world):
    acc = world["acc"]
    n = 30
    people = [add_staff(world, f"竞争{i:02d}") for i in range(n)]
    ids = []
    for aid, _ in people:
        ids.append(int(acc.value(
            "INSERT INTO profile_changes (account_id, unit_code, field, old_value, new_value, "
            "old_raw, new_raw, kind, state) VALUES "
            f"({aid}, 'PFA', 'title', '工程 / 助理级 / 助理工程师', '工程 / 中级 / 工程师', "
            f"'{world['assistant']}', '{world['engineer']}', 'reviewed', 'pending') "
            "RETURNING id")))
    names = {"approve": "甲单位管理员一", "reject": "甲单位管理员二"}
    with logged_in(daemon, world["a1"][1]) as a1, logged_in(daemon, world["a2"][1]) as a2:
        replies = race_decisions(a1, a2, ids, "review.approve_title_changes",
                                 "review.reject_title_changes", "ids", "竞争测试")
    states = dict((int(a), s) for a, s in acc.rows(
        f"SELECT id, state FROM profile_changes WHERE id IN ({','.join(map(str, ids))})"))
    titles = dict((int(a), t) for a, t in acc.rows(
        "SELECT id, title_id FROM accounts WHERE id IN "
        f"({','.join(str(a) for a, _ in people)})"))
    wins = {"approve": 0, "reject": 0}
    for (aid, _), cid, ra, rr in zip(people, ids, replies["approve"], replies["reject"]):
        assert ra["id"] == rr["id"] == cid
        assert [ra["ok"], rr["ok"]].count(True) == 1, (ra, rr)
        winner, loser = ("approve", rr) if ra["ok"] else ("reject", ra)
        wins[winner] += 1
        assert loser["reason"] == "already_decided" and loser["decided_by"] == {"name": names[winner]}
        assert loser["state"] == states[cid] == ("approved" if winner == "approve" else "rejected")
        want = world["engineer"] if winner == "approve" else world["assistant"]
        assert titles[aid] == str(want)
    print(f"race winners: {wins}")
