"""Registration (account.register) and the reference pickers (ref.*), on the real daemon.

Every rule of the registration form is tried with a value that breaks it and the reply's
reason and field are checked, as is that nothing was stored.  Valid ID numbers are made
here by computing the GB 11643 check character, so each test has people of its own.

The helpers it uses (id_number, application, Accounts) are in tests/helpers.py.
"""

import threading
from datetime import date, timedelta

import pytest

from helpers import (DEMO_PASSWORD, INVALID_INPUT, INVALID_PARAMS, PASSWORD, Accounts,
                     application, check_char, expect_error, id_number, make_world, pages)


# --- fixtures ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def world(daemon, postgres):
    return make_world(postgres, daemon.dbname, "RG")


@pytest.fixture
def rpc(daemon):
    with daemon.rpc() as s:
        yield s


# --- reference pickers -------------------------------------------------------------------

def test_regions_top_level_are_henan_cities(rpc):
    items = rpc.result("ref.regions")["items"]
    codes = [i["code"] for i in items]
    assert codes == sorted(codes)
    assert {"code": "410100", "name": "郑州市"} in items
    assert "410000" not in codes
    assert all(c.startswith("41") and c != "410000" for c in codes)
    assert rpc.result("ref.regions", {"parent": "410100"})["items"] == []


def test_region_of_inactive_is_hidden(daemon, postgres, rpc):
    acc = Accounts(postgres, daemon.dbname, "")
    acc.sql("UPDATE regions SET active = false WHERE code = '411700'")
    try:
        codes = [i["code"] for i in rpc.result("ref.regions")["items"]]
        assert "411700" not in codes and "411600" in codes
    finally:
        acc.sql("UPDATE regions SET active = true WHERE code = '411700'")


def test_units_filter_and_keyset_paging(daemon, postgres, rpc, world):
    acc = world["acc"]
    names = ["信阳测试一厂", "信阳测试二厂", "信阳测试三院", "信阳测试四院", "信阳测试五校",
             "信阳测试六校", "信阳测试七所"]
    for i, name in enumerate(names):
        acc.add_unit(f"XY{i:03d}", name, region="411500")
    acc.add_unit("XYOFF", "信阳测试停用", region="411500", active=False)

    seen, n = [], 0
    for page in pages(rpc, "ref.units", {"region": "411500", "limit": 3}):
        n += 1
        assert len(page["items"]) <= 3
        seen += page["items"]
        assert page["next"] is None or isinstance(page["next"], str)
    assert n == 3
    codes = [u["code"] for u in seen]
    assert len(codes) == len(set(codes)) == 7
    assert "XYOFF" not in codes
    # By pinyin (test_lists.py checks the collation itself).
    expected = acc.rows("SELECT name FROM units WHERE region = '411500' AND active "
                        "ORDER BY name COLLATE zh_pinyin, code")
    assert [u["name"] for u in seen] == [r[0] for r in expected]

    # A page exactly full: next is null when nothing follows.
    page = rpc.result("ref.units", {"region": "411500", "limit": 7})
    assert len(page["items"]) == 7 and page["next"] is None

    page = rpc.result("ref.units", {"region": "411500", "filter": "院"})
    assert sorted(u["name"] for u in page["items"]) == sorted(["信阳测试三院", "信阳测试四院"])
    page = rpc.result("ref.units", {"region": "411500", "filter": "xy00"})
    assert sorted(u["code"] for u in page["items"]) == [f"XY00{i}" for i in range(7)]
    assert rpc.result("ref.units", {"region": "419999"}) == {"items": [], "next": None}


def test_units_bad_cursor_limit_filter(rpc):
    expect_error(rpc.call("ref.units", {"region": "411500", "after": "not a cursor"}),
                 INVALID_PARAMS, "cursor_invalid", "after")
    expect_error(rpc.call("ref.units", {"region": "411500", "after": "WyJhIl0"}),  # ["a"]
                 INVALID_PARAMS, "cursor_invalid", "after")
    for limit in (0, 201, -1):
        expect_error(rpc.call("ref.units", {"region": "411500", "limit": limit}),
                     INVALID_PARAMS, "limit_invalid", "limit")
    expect_error(rpc.call("ref.units", {"region": "411500", "filter": "a\u0007b"}),
                 INVALID_PARAMS, "filter_invalid", "filter")
    expect_error(rpc.call("ref.units", {}), INVALID_PARAMS, "required", "region")
    expect_error(rpc.call("ref.units", {"region": 410100}), INVALID_PARAMS, "param_type",
                 "region")


def test_departments_of_a_unit(rpc, world):
    items = rpc.result("ref.departments", {"unit": world["unit_a"]})["items"]
    assert sorted(items, key=lambda d: d["id"]) == [
        {"id": world["dept_a"], "name": "办公室"}, {"id": world["dept_a2"], "name": "技术部"}]
    world["acc"].sql(f"UPDATE departments SET active = false WHERE id = {world['dept_a2']}")
    try:
        items = rpc.result("ref.departments", {"unit": world["unit_a"]})["items"]
        assert [d["id"] for d in items] == [world["dept_a"]]
    finally:
        world["acc"].sql(f"UPDATE departments SET active = true WHERE id = {world['dept_a2']}")
    assert rpc.result("ref.departments", {"unit": "NOSUCH"})["items"] == []


def test_majors_paging_and_filter(rpc, world):
    total = int(world["acc"].value("SELECT count(*) FROM majors WHERE active"))
    seen = []
    for page in pages(rpc, "ref.majors", {"limit": 40}):
        seen += page["items"]
    codes = [m["code"] for m in seen]
    assert len(codes) == len(set(codes)) == total
    assert codes == sorted(codes)
    assert all(set(m) == {"code", "name", "discipline"} for m in seen)
    computing = rpc.result("ref.majors", {"filter": "计算机"})["items"]
    assert computing and all("计算机" in m["name"] for m in computing)
    assert all(m["discipline"] == "工学" for m in computing if m["code"].startswith("08"))
    by_code = rpc.result("ref.majors", {"filter": "0809"})["items"]
    assert by_code and all(m["code"].startswith("0809") for m in by_code)


def test_ethnicities_titles_education(rpc):
    eth = rpc.result("ref.ethnicities")["items"]
    assert len(eth) == 56
    assert eth[0] == {"code": "01", "name": "汉族"}
    assert [e["code"] for e in eth] == sorted(e["code"] for e in eth)

    series = rpc.result("ref.title_series")["items"]
    assert series and all(isinstance(s, str) for s in series)
    titles = rpc.result("ref.titles")["items"]
    assert {t["series"] for t in titles} <= set(series)
    assert all(set(t) == {"id", "series", "level", "name"} for t in titles)
    one = rpc.result("ref.titles", {"series": series[0]})["items"]
    assert one and all(t["series"] == series[0] for t in one)
    assert rpc.result("ref.titles", {"series": "没有的系列"})["items"] == []

    edu = rpc.result("ref.education_levels")["items"]
    assert {"code": "21", "name": "大学本科"} in edu
    assert edu[0]["name"] == "博士研究生"


def test_pickers_for_logged_in_users_too(daemon, rpc, world):
    aid, idn = world["acc"].add_admin(world["unit_a"], "管理员甲")
    rpc.result("session.login", {"id_number": idn, "password": DEMO_PASSWORD})
    assert len(rpc.result("ref.ethnicities")["items"]) == 56


# --- registration: success ---------------------------------------------------------------

def test_register_stores_a_pending_application(rpc, world):
    params = application(world)
    result = rpc.result("account.register", params)
    assert result == {"state": "pending", "message": "注册信息已经提交审核, 请耐心等待"}

    acc = world["acc"]
    row = acc.account(params["id_number"])
    assert row["state"] == "pending" and row["role"] == "staff"
    assert row["name"] == "张伟" and row["unit_code"] == world["unit_a"]
    assert int(row["department_id"]) == world["dept_a"]
    assert row["sex"] == ("1" if params["sex"] == "male" else "0")
    assert row["birth_date"] == params["birth_date"]
    assert row["ethnicity"] == "01" and row["education_level"] == "21"
    assert row["major_code"] == world["major"] and int(row["title_id"]) == world["title"]
    assert row["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in row["password_hash"]
    assert acc.audit(row["id"]) == [("register", "", "pending", row["id"], "")]

    # Not reviewed yet: login says so.
    expect_error(rpc.call("session.login", {"id_number": params["id_number"],
                                            "password": PASSWORD}),
                 -32005, "not_reviewed")


def test_register_minimal_and_english(rpc, world):
    rpc.result("system.hello", {"lang": "en"})
    params = application(world, native_place=..., school=..., major=..., title_id=...,
                         education_level=...)
    result = rpc.result("account.register", params)
    assert result["state"] == "pending"
    assert result["message"] == "Registration submitted for review, please wait"
    row = world["acc"].account(params["id_number"])
    assert row["native_place"] == "" and row["major_code"] == "" and row["title_id"] == ""

    # Optional fields may also be null or blank.
    params = application(world, native_place=None, school="  ", major=None, title_id=None,
                         education_level="")
    rpc.result("account.register", params)
    row = world["acc"].account(params["id_number"])
    assert row["school"] == "" and row["education_level"] == ""

    err = expect_error(rpc.call("account.register", application(world, phone="123")),
                       INVALID_INPUT, "phone_invalid", "phone")
    assert "mobile phone" in err["message"]


def test_register_lower_case_x_is_normalised(rpc, world):
    for _ in range(200):
        idn = id_number()
        if idn.endswith("X"):
            break
    else:
        pytest.fail("no ID number with check character X in 200 tries")
    rpc.result("account.register", application(world, idn=idn.lower()))
    assert world["acc"].account(idn)["state"] == "pending"
    # The same ID number, upper case: a second application of that one ID number.
    rpc.result("account.register", application(world, idn=idn, name="王芳"))
    assert [a["name"] for a in world["acc"].accounts(idn)] == ["王芳", "张伟"]


def test_register_trims_blanks(rpc, world):
    params = application(world, name="\u3000 李娜 ", school=" 河南大学\t")
    rpc.result("account.register", params)
    row = world["acc"].account(params["id_number"])
    assert row["name"] == "李娜" and row["school"] == "河南大学"


# --- registration: every rule --------------------------------------------------------------

def _bad_cases(world):
    """(label, changes, reason, field): each breaks exactly one rule."""
    male = id_number("male", born=date(1985, 3, 12))
    future = "410105" + (date.today() + timedelta(days=400)).strftime("%Y%m%d") + "123"
    bad_region = "990105" + "19850312" + "123"
    bad_date = "410105" + "19850230" + "123"
    good = id_number()
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    return [
        ("id too short", {"idn": good[:17]}, "id_number_length", "id_number"),
        ("id too long", {"idn": good + "1"}, "id_number_length", "id_number"),
        ("id empty", {"idn": ""}, "required", "id_number"),
        ("id letters", {"idn": "41010519850A12123X"}, "id_number_chars", "id_number"),
        ("id wrong last", {"idn": good[:17] + "Y"}, "id_number_chars", "id_number"),
        ("id cjk", {"idn": "四一0105198503121234"[:18]}, "id_number_length", "id_number"),
        ("id region", {"idn": bad_region + check_char(bad_region)}, "id_number_region",
         "id_number"),
        ("id birthdate", {"idn": bad_date + check_char(bad_date)}, "id_number_birthdate",
         "id_number"),
        ("id future", {"idn": future + check_char(future)}, "id_number_future", "id_number"),
        ("id checksum", {"idn": wrong_check}, "id_number_checksum", "id_number"),
        ("password short", {"password": "Ab1!xyz", "password_confirm": "Ab1!xyz"},
         "password_length", "password"),
        ("password long", {"password": "密" * 129, "password_confirm": "密" * 129},
         "password_length", "password"),
        ("password weak", {"password": "aaaaaaaaaa", "password_confirm": "aaaaaaaaaa"},
         "password_weak", "password"),
        ("password has id", {"idn": male, "password": f"x{male.lower()}",
                             "password_confirm": f"x{male.lower()}"},
         "password_contains_id", "password"),
        ("password has phone", {"password": "pw13812345678!", "password_confirm":
                                "pw13812345678!"}, "password_contains_phone", "password"),
        ("confirm differs", {"password_confirm": PASSWORD + "x"}, "password_mismatch",
         "password_confirm"),
        ("phone short", {"phone": "1381234567"}, "phone_invalid", "phone"),
        ("phone prefix", {"phone": "12812345678"}, "phone_invalid", "phone"),
        ("phone letters", {"phone": "1381234567a"}, "phone_invalid", "phone"),
        ("email no at", {"email": "zhang.example.com"}, "email_invalid", "email"),
        ("email no tld", {"email": "a@b"}, "email_invalid", "email"),
        ("unit unknown", {"unit": "NOSUCHUNIT"}, "unit_unknown", "unit"),
        ("unit inactive", {"unit": world["unit_x"]}, "unit_unknown", "unit"),
        ("department of other unit", {"department_id": world["dept_b"]},
         "department_unknown", "department_id"),
        ("department missing", {"department_id": 987654321}, "department_unknown",
         "department_id"),
        ("department negative", {"department_id": -5}, "department_unknown",
         "department_id"),
        ("name empty", {"name": ""}, "required", "name"),
        ("name blank", {"name": " \u3000 "}, "required", "name"),
        ("name long", {"name": "张" * 51}, "name_invalid", "name"),
        ("name control", {"name": "张\u001b[31m三"}, "name_invalid", "name"),
        ("name newline", {"name": "张\n三"}, "name_invalid", "name"),
        ("sex word", {"sex": "男"}, "sex_invalid", "sex"),
        ("sex mismatch", {"idn": male, "sex": "female"}, "sex_mismatch", "sex"),
        ("birth not a date", {"birth_date": "1985-02-30"}, "birth_date_invalid",
         "birth_date"),
        ("birth shape", {"birth_date": "1985/03/12"}, "birth_date_invalid", "birth_date"),
        ("birth mismatch", {"idn": male, "birth_date": "1985-03-13"}, "birth_date_mismatch",
         "birth_date"),
        ("ethnicity unknown", {"ethnicity": "99"}, "ethnicity_unknown", "ethnicity"),
        ("ethnicity short", {"ethnicity": "1"}, "ethnicity_unknown", "ethnicity"),
        ("ethnicity padded", {"ethnicity": "01 "}, "ethnicity_unknown", "ethnicity"),
        ("native place control", {"native_place": "河南\u0007"}, "text_invalid",
         "native_place"),
        ("native place long", {"native_place": "豫" * 101}, "text_invalid", "native_place"),
        ("school control", {"school": "郑州\u0085大学"}, "text_invalid", "school"),
        ("school long", {"school": "x" * 101}, "text_invalid", "school"),
        ("major unknown", {"major": "999999"}, "major_unknown", "major"),
        ("title unknown", {"title_id": 99999999}, "title_unknown", "title_id"),
        ("title huge", {"title_id": 2 ** 40}, "title_unknown", "title_id"),
        ("title zero", {"title_id": 0}, "title_unknown", "title_id"),
        ("education unknown", {"education_level": "99"}, "education_unknown",
         "education_level"),
    ]


def test_register_refuses_each_broken_rule(rpc, world):
    failures = []
    for label, changes, reason, field in _bad_cases(world):
        changes = dict(changes)
        idn = changes.pop("idn", None)
        params = application(world, idn=idn, **changes)
        reply = rpc.call("account.register", params)
        err = reply.get("error") or {}
        got = (err.get("code"), err.get("data", {}).get("reason"),
               err.get("data", {}).get("field"))
        if got != (INVALID_INPUT, reason, field):
            failures.append(f"{label}: want {reason}/{field}, got {reply}")
            continue
        # The message names the rule in Chinese and the field's label.
        if not err["message"] or err["message"] == reason:
            failures.append(f"{label}: no sentence for {reason}: {err['message']!r}")
        if len(params["id_number"]) == 18:
            stored = world["acc"].value("SELECT count(*) FROM accounts WHERE "
                                        f"upper(id_number) = upper('{params['id_number']}')")
            if stored != "0":
                failures.append(f"{label}: an account was stored")
    assert not failures, "\n".join(failures)


def test_register_param_types(rpc, world):
    expect_error(rpc.call("account.register", application(world, department_id="1")),
                 INVALID_PARAMS, "param_type", "department_id")
    expect_error(rpc.call("account.register", application(world, name=...)),
                 INVALID_INPUT, "required", "name")
    expect_error(rpc.call("account.register", application(world, nickname="x")),
                 INVALID_PARAMS, "param_unknown", "nickname")


def test_register_is_for_guests_only(rpc, world):
    aid, idn = world["acc"].add_admin(world["unit_b"], "管理员乙")
    rpc.result("session.login", {"id_number": idn, "password": DEMO_PASSWORD})
    expect_error(rpc.call("account.register", application(world)), -32001, "not_permitted")


# --- several applications of one ID number, withdrawal, resubmission ---------------------

def test_second_application_is_a_claim_not_refused(rpc, world):
    acc = world["acc"]
    params = application(world)
    idn = params["id_number"]
    rpc.result("account.register", params)
    again = application(world, idn=idn, name="王芳", password="Wang-Fang-Ming-77",
                        password_confirm="Wang-Fang-Ming-77")
    assert rpc.result("account.register", again)["state"] == "pending"
    first, second = acc.accounts(idn)[1], acc.accounts(idn)[0]
    assert (first["name"], first["version"]) == ("张伟", "1")    # untouched
    assert (second["name"], second["state"]) == ("王芳", "pending")

    # Approved: a new registration is still a claim for the administrators.
    acc.sql(f"UPDATE accounts SET state = 'active' WHERE id = {first['id']}")
    acc.sql(f"UPDATE accounts SET state = 'rejected', reject_reason = 'x' "
            f"WHERE id = {second['id']}")
    third = application(world, idn=idn, name="赵敏", password="Zhao-Min-Qing-88",
                        password_confirm="Zhao-Min-Qing-88")
    assert rpc.result("account.register", third)["state"] == "pending"
    assert [a["state"] for a in acc.accounts(idn)] == ["pending", "rejected", "active"]


def test_pending_applications_per_id_number_are_bounded(make_daemon, postgres):
    d = make_daemon(config={"security": {"max_pending_applications": 2}})
    world = make_world(postgres, d.dbname, "PB")
    idn = id_number()
    with d.rpc() as s:
        for name in ("赵一", "钱二"):
            s.result("account.register", application(world, idn=idn, name=name))
        err = expect_error(s.call("account.register", application(world, idn=idn,
                                                                   name="孙三")),
                           INVALID_INPUT, "applications_limit", "id_number")
        assert "2" in err["message"]
        # A withdrawn one frees its place.
        s.result("application.withdraw", {"id_number": idn, "password": PASSWORD})
        s.result("account.register", application(world, idn=idn, name="孙三",
                                                 password="Sun-San-Lin-55",
                                                 password_confirm="Sun-San-Lin-55"))
    assert len(world["acc"].accounts(idn)) == 3


def test_concurrent_registrations_keep_the_limit(make_daemon, postgres):
    d = make_daemon(config={"security": {"max_pending_applications": 1}})
    world = make_world(postgres, d.dbname, "CR")
    idn = id_number()
    replies = [None, None]
    barrier = threading.Barrier(2)

    def register(i):
        with d.rpc() as s:
            s.result("system.ping")
            barrier.wait(timeout=10)
            replies[i] = s.call("account.register",
                                application(world, idn=idn, name=["赵一", "钱二"][i]))

    threads = [threading.Thread(target=register, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    ok = [r for r in replies if r and "result" in r]
    refused = [r for r in replies if r and "error" in r]
    assert len(ok) == 1 and len(refused) == 1, replies
    assert refused[0]["error"]["data"]["reason"] == "applications_limit"
    rows = world["acc"].accounts(idn)
    assert len(rows) == 1 and len(world["acc"].audit(rows[0]["id"])) == 1


def test_withdrawn_application_is_resubmitted(rpc, world):
    acc = world["acc"]
    params = application(world)
    idn = params["id_number"]
    rpc.result("account.register", params)
    rpc.result("application.withdraw", {"id_number": idn, "password": PASSWORD})
    row = acc.account(idn)
    assert row["state"] == "withdrawn"

    # Someone else (another password) does not take it over: theirs is a new application.
    other = application(world, idn=idn, password="Wu-Ming-Shi-77", password_confirm=
                        "Wu-Ming-Shi-77", name="冒名")
    rpc.result("account.register", other)
    assert [(a["name"], a["state"]) for a in acc.accounts(idn)] == [
        ("冒名", "pending"), ("张伟", "withdrawn")]

    # The applicant corrects the unit and resubmits.
    fixed = application(world, idn=idn, unit=world["unit_b"], department_id=world["dept_b"],
                        phone="15937112345", email="zw@example.org")
    assert rpc.result("account.register", fixed)["state"] == "pending"
    row = acc.account(idn)
    assert row["state"] == "pending" and row["unit_code"] == world["unit_b"]
    assert int(row["department_id"]) == world["dept_b"] and row["phone"] == "15937112345"
    assert row["version"] == "3"  # withdrawing and resubmitting each bump it
    assert [a[:3] for a in acc.audit(row["id"])] == [
        ("register", "", "pending"), ("withdraw", "pending", "withdrawn"),
        ("resubmit", "withdrawn", "pending")]

    status = rpc.result("application.status", {"id_number": idn, "password": PASSWORD})
    assert status["state"] == "pending" and status["unit"]["code"] == world["unit_b"]


def test_rejected_application_is_resubmitted(rpc, world):
    acc = world["acc"]
    admin_id, _ = acc.add_admin(world["unit_a"], "审核员丙")
    params = application(world)
    idn = params["id_number"]
    rpc.result("account.register", params)
    acc.sql(f"UPDATE accounts SET state = 'rejected', reject_reason = '部门选错', "
            f"decided_by = {admin_id}, decided_at = now() "
            f"WHERE id_number = '{idn}'")
    reply = rpc.call("session.login", {"id_number": idn, "password": PASSWORD})
    err = expect_error(reply, -32005, "rejected")
    assert "部门选错" in err["message"]

    fixed = application(world, idn=idn, department_id=world["dept_a2"], name="张伟")
    rpc.result("account.register", fixed)
    row = acc.account(idn)
    assert row["state"] == "pending" and row["reject_reason"] == ""
    assert row["decided_by"] == "" and int(row["department_id"]) == world["dept_a2"]
    assert acc.audit(row["id"])[-1][:3] == ("resubmit", "rejected", "pending")


def test_disabled_account_is_not_resubmitted(rpc, world):
    params = application(world)
    rpc.result("account.register", params)
    world["acc"].sql(f"UPDATE accounts SET state = 'disabled' "
                     f"WHERE id_number = '{params['id_number']}'")
    # Not taken over, even with its password: a new application goes to review.
    rpc.result("account.register", params)
    assert [a["state"] for a in world["acc"].accounts(params["id_number"])] == [
        "pending", "disabled"]


def test_guessed_passwords_never_take_an_application_over(make_daemon, postgres):
    d = make_daemon(config={"security": {"max_pending_applications": 2}})
    world = make_world(postgres, d.dbname, "TH")
    with d.rpc() as s:
        params = application(world)
        idn = params["id_number"]
        s.result("account.register", params)
        s.result("application.withdraw", {"id_number": idn, "password": PASSWORD})
        reasons = []
        for i in range(4):
            guess = f"Guess-Word-{i}-Zz"
            r = s.call("account.register", application(
                world, idn=idn, password=guess, password_confirm=guess, name="冒名"))
            reasons.append(r["error"]["data"]["reason"] if "error" in r else "stored")
        # Each guess is an application of its own, up to the limit, then none.
        assert reasons == ["stored", "stored", "applications_limit",
                           "applications_limit"], reasons
        withdrawn = [a for a in world["acc"].accounts(idn) if a["state"] == "withdrawn"]
        assert len(withdrawn) == 1 and withdrawn[0]["name"] == "张伟"
