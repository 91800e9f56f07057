"""The authority's statistics (继续教育完成情况统计, issue 16): stats.completion at every level
of the drill-down (province → city → unit → department → person), stats.csv, stats.trend,
requirements.list and `ssh AUTH@host stats YEAR`, on the real daemon over SSH.

Units in two cities (and one of the province itself) get staff and declarations through
the RPC (submitted, approved, rejected, left pending) over three years; then every level's
rows must equal the sums of the level below, and the person level (and so each department
and unit) the unit administrator's own completion.report.  A city's authority never sees
another city: a city, unit or department outside its scope is not_found, exactly as one
that does not exist.
"""

import csv
import io
import signal
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

import pytest

from conftest import Daemon
from helpers import (INVALID_PARAMS, NOT_FOUND, NOT_PERMITTED, NOW, Accounts,
                     authority_admins_block, expect_error, id_number, key_rpc, libconfig,
                     logged_in, make_key, pages, ssh_exec)

D = Decimal


def form(code, name, category, cap=None):
    f = {"code": code, "name": name, "name_en": f"Form {code}", "category": category,
         "attachment": "none",
         "fields": [{"key": "name", "label": "名称", "label_en": "Name", "type": "text",
                     "required": True}]}
    if cap is not None:
        f["yearly_cap"] = cap
    return f


FORMS = [form("s_pub", "公需课程", "public"), form("s_pro", "专业培训", "professional"),
         form("s_cap", "学术交流", "professional", cap=20)]
# The requirement of NOW - 2 on (the year before falls back to it too).
REQUIREMENT = {"year": NOW - 2, "total": 80, "professional": 50, "public": 20}
YEARS = (NOW - 2, NOW - 1, NOW)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    d = tmp_path_factory.mktemp("stats-keys")
    return {name: make_key(d, name) for name in ("province", "city", "admin", "staff")}


@pytest.fixture(scope="module")
def sdaemon(postgres, migrated_template, tmp_path_factory, keys):
    db = postgres.new_database(template=migrated_template)
    acc = Accounts(postgres, db, "ST")
    w = {"acc": acc}
    w["province_idn"], w["city_idn"], w["admin_idn"] = id_number(), id_number(), id_number()
    acc.add_unit("STZA", "统计郑州甲单位", region="410100", departments=("内科", "外科"))
    text = ("learning_forms = (\n" + ",\n".join(libconfig(f) for f in FORMS) + "\n);\n"
            "requirements = (\n" + libconfig(REQUIREMENT) + "\n);\n"
            f'unit_admins = ( {{ id_number = "{w["admin_idn"]}"; name = "统计甲单位管理员"; '
            f'unit = "STZA"; keys = [ "{keys["admin"][1]}" ]; }} );\n' +
            authority_admins_block([
                {"id_number": w["province_idn"], "name": "省人社厅统计员", "scope": "410000",
                 "keys": [keys["province"][1]]},
                {"id_number": w["city_idn"], "name": "郑州市人社局统计员", "scope": "410100",
                 "keys": [keys["city"][1]]}]))
    d = Daemon(tmp_path_factory.mktemp("jxjyd-stats"), postgres, db,
               {"declarations": {"years_back": 2}}, extra_config=text)
    d.start()
    w["daemon"] = d
    yield w
    d.stop()


def submit(s, code, amount, year):
    return s.result("declaration.submit", {"form": code, "year": year, "amount": str(amount),
                                           "fields": {"name": f"{code} {amount}"}})["id"]


# Each person's declarations: {year: [(form, hours, "approve" | "reject" | "pending")]}.
MET = [("s_pub", 30, "approve"), ("s_pro", 60, "approve")]
SHORT = [("s_pub", 10, "approve"), ("s_pro", 20, "approve"), ("s_pro", 8, "pending")]
CAPPED = [("s_pub", 24, "approve"), ("s_cap", 35, "approve"), ("s_pro", 40, "approve")]
REJECTED = [("s_pro", 90, "reject"), ("s_pub", 5, "pending")]

# (unit, region, departments, [(name, department or None, {year: records})])
UNITS = [
    ("STZA", "410100", ("内科", "外科"), [
        ("张伟", "内科", {NOW: MET, NOW - 1: MET, NOW - 2: SHORT}),
        ("李娜", "内科", {NOW: SHORT, NOW - 1: MET}),
        ("王芳", "外科", {NOW: CAPPED, NOW - 2: MET}),
        ("=SUM(A1)", "外科", {NOW: REJECTED}),
        ("马,\"小\"龙", None, {NOW: MET, NOW - 1: SHORT}),
        ("刘洋", None, {}),
    ]),
    ("STZB", "410100", ("办公室",), [
        ("陈静", "办公室", {NOW: MET, NOW - 1: MET, NOW - 2: MET}),
        ("杨帆", "办公室", {NOW: SHORT}),
        ("赵磊", None, {NOW: MET}),
    ]),
    ("STKA", "410200", ("一科", "二科"), [
        ("黄敏", "一科", {NOW: MET, NOW - 2: MET}),
        ("周杰", "二科", {NOW: SHORT, NOW - 1: SHORT}),
        ("吴昊", "二科", {NOW: CAPPED}),
        ("孙丽", "一科", {}),
    ]),
    ("STSZ", "410000", ("处室",), [
        ("省直人员", "处室", {NOW: MET}),
    ]),
]


@pytest.fixture(scope="module")
def world(sdaemon):
    """The units, their staff and administrators, the declarations decided through RPC."""
    d, acc = sdaemon["daemon"], sdaemon["acc"]
    w = dict(sdaemon, units={}, admins={})
    for unit, region, depts, people in UNITS:
        if unit == "STZA":
            ids = {n: int(acc.value(f"SELECT id FROM departments WHERE unit_code = 'STZA' "
                                    f"AND name = '{n}'")) for n in depts}
        else:
            ids = acc.add_unit(unit, f"统计单位{unit}", region=region, departments=depts)
        admin = acc.add_admin(unit, f"{unit}管理员")
        w["admins"][unit] = admin
        w["units"][unit] = {"region": region, "departments": ids, "people": []}
        decisions = {"approve": [], "reject": []}
        for name, dept, years in people:
            aid, idn = acc.add_staff(unit, name, ids[dept] if dept else None)
            w["units"][unit]["people"].append((aid, idn, name))
            if not years:
                continue
            with logged_in(d, idn) as s:
                for year, records in years.items():
                    for code, hours, what in records:
                        did = submit(s, code, hours, year)
                        if what != "pending":
                            decisions[what].append(did)
        with logged_in(d, admin[1]) as a:
            if decisions["approve"]:
                r = a.result("review.approve_declarations", {"ids": decisions["approve"]})
                assert all(x["ok"] for x in r["results"]), r
            if decisions["reject"]:
                r = a.result("review.reject_declarations", {"ids": decisions["reject"],
                                                            "reason": "材料不全"})
                assert all(x["ok"] for x in r["results"]), r
    # Not counted: a disabled member of staff with approved hours, an administrator.
    aid, idn = acc.add_staff("STZB", "停用人员")
    with logged_in(d, idn) as s:
        did = submit(s, "s_pro", 70, NOW)
    with logged_in(d, w["admins"]["STZB"][1]) as a:
        a.result("review.approve_declarations", {"ids": [did]})
    acc.sql(f"UPDATE accounts SET state = 'disabled' WHERE id = {aid}")
    return w


@pytest.fixture(scope="module")
def province(world, keys):
    """The province's authority, logged in by its key (authority_admins has no password)."""
    with key_rpc(world["daemon"], world["province_idn"], keys["province"][0], timeout=30) as s:
        yield s


@pytest.fixture(scope="module")
def city(world, keys):
    with key_rpc(world["daemon"], world["city_idn"], keys["city"][0], timeout=30) as s:
        yield s


def all_rows(s, method="stats.completion", **params):
    rows, last = [], None
    for last in pages(s, method, dict(params, limit=params.pop("limit", 200))):
        rows += last["rows"]
    return rows, last


def report(world, unit, year=NOW):
    """The unit administrator's completion.report of the year: every item, and the summary."""
    with logged_in(world["daemon"], world["admins"][unit][1]) as a:
        items = []
        for last in pages(a, "completion.report", {"year": year, "limit": 200}):
            items += last["items"]
        return items, last["summary"]


FIGURES = ("staff", "met", "not_met")
HOURS = ("avg_total", "avg_public", "avg_professional")


def sums(rows):
    """The sums of rows of a level: staff, met, hours (pending, and the averages' numerators
    recovered from average × staff are not exact: compared to the reported sums instead)."""
    return {k: sum(r[k] for r in rows) for k in FIGURES} | {
        "pending": sum(D(r["pending"]) for r in rows)}


def person_sums(rows):
    return {"staff": len(rows), "met": sum(r["met"] for r in rows),
            "not_met": sum(not r["met"] for r in rows),
            "pending": sum(D(r["pending"]) for r in rows),
            "public": sum(D(r["public"]) for r in rows),
            "professional": sum(D(r["professional"]) for r in rows)}


def plain(d):
    """A decimal as the daemon writes hours: no exponent, no trailing zeros."""
    text = format(d, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def average(total, staff):
    return plain((D(total) / staff).quantize(D("0.01"), rounding=ROUND_HALF_UP)) if staff \
        else "0"


def rate(met, staff):
    return None if staff == 0 else round(met / staff, 4)


def check_row(row, expect):
    """A level's row against the persons below it (person_sums)."""
    assert {k: row[k] for k in FIGURES} == {k: expect[k] for k in FIGURES}, (row, expect)
    assert D(row["pending"]) == expect["pending"], (row, expect)
    assert row["rate"] == rate(expect["met"], expect["staff"])
    assert row["avg_public"] == average(expect["public"], expect["staff"])
    assert row["avg_professional"] == average(expect["professional"], expect["staff"])
    assert row["avg_total"] == average(expect["public"] + expect["professional"],
                                       expect["staff"])


# --- the figures at every level ---------------------------------------------------------------

def test_every_level_sums_the_one_below_and_matches_the_unit_report(world, province):
    year_rows = {}
    cities, top = all_rows(province, year=NOW, by="city")
    assert top["scope"] == {"code": "410000", "name": "河南省"}
    assert top["requirement"] == {"total": "80", "professional": "50", "public": "20"}
    by_key = {r["key"]: r for r in cities}
    # Every city of the province is listed (18), and the province's own units (省直).
    assert len(cities) == 19 and by_key["410000"]["name"] == "河南省"
    assert by_key["410300"]["staff"] == 0 and by_key["410300"]["rate"] is None
    for code in ("410100", "410200", "410000"):
        units, page = all_rows(province, year=NOW, by="unit", city=code)
        assert page["at"]["city"]["code"] == code
        mine = [u for u in units if u["key"].startswith("ST")]
        check_total = {"public": D(0), "professional": D(0)}
        for u in mine:
            depts, dpage = all_rows(province, year=NOW, by="department", unit=u["key"])
            assert dpage["at"]["unit"] == {"code": u["key"], "name": u["name"]}
            people, ppage = all_rows(province, year=NOW, by="person", unit=u["key"])
            items, summary = report(world, u["key"])
            # (b) the person level is the unit administrator's report, row for row.
            assert [(p["key"], p["name"], p["id_number"], p["department"], p["public"],
                     p["professional"], p["total"], p["pending"], p["met"]) for p in people] == \
                [(i["account_id"], i["name"], i["id_number"], i["department"], i["public"],
                  i["professional"], i["total"], i["pending"], i["met"]) for i in items]
            assert (ppage["summary"]["staff"], ppage["summary"]["met"]) == \
                (summary["staff"], summary["met"])
            expect = person_sums(people)
            check_row(u, expect)
            check_row(ppage["summary"], expect)
            check_row(dpage["summary"], expect)
            for k in check_total:
                check_total[k] += expect[k]
            # (a) each department is the sum of its people.
            for dept in depts:
                dp, page = all_rows(province, year=NOW, by="person", unit=u["key"],
                                    department_id=dept["key"])
                check_row(dept, person_sums(dp))
                assert page["at"]["department"]["id"] == dept["key"]
                if dept["key"] == 0:
                    assert dept["name"] == "（无部门）" and all(p["department"] is None
                                                             for p in dp)
                else:
                    assert {p["department"] for p in dp} <= {dept["name"]}
            assert sums(depts) == sums([u])
        year_rows[code] = mine
        # (a) each city is the sum of its units.
        assert sums(mine) == sums([by_key[code]])
        assert sum((D(u["avg_total"]) * u["staff"] for u in mine), D(0)) <= \
            check_total["public"] + check_total["professional"] + len(mine)
    assert sums(cities) == sums([top["summary"]])
    zza = next(u for u in year_rows["410100"] if u["key"] == "STZA")
    # 张伟, 马,"小"龙 met; 李娜 short; 王芳 24 + min(35, 20) + 40 = 84 ≥ 80: met.
    assert (zza["staff"], zza["met"], zza["not_met"], zza["rate"]) == (6, 3, 3, 0.5)


def test_a_city_authority_sees_its_city_only(world, city):
    cities, top = all_rows(city, year=NOW, by="city")
    assert [c["key"] for c in cities] == ["410100"] and top["scope"]["code"] == "410100"
    units, page = all_rows(city, year=NOW, by="unit")
    assert page["at"]["city"]["code"] == "410100"
    assert {u["key"] for u in units} >= {"STZA", "STZB"} and "STKA" not in \
        {u["key"] for u in units}
    dept_ka = world["units"]["STKA"]["departments"]["一科"]
    for params, field in (({"by": "unit", "city": "410200"}, "city"),
                          ({"by": "unit", "city": "419900"}, "city"),
                          ({"by": "unit", "city": "410000"}, "city"),
                          ({"by": "department", "unit": "STKA"}, "unit"),
                          ({"by": "department", "unit": "STSZ"}, "unit"),
                          ({"by": "department", "unit": "NOSUCH"}, "unit"),
                          ({"by": "person", "unit": "STKA"}, "unit"),
                          ({"by": "person", "unit": "STZA", "department_id": dept_ka},
                           "department_id"),
                          ({"by": "person", "unit": "STZA", "department_id": 999999},
                           "department_id")):
        for method in ("stats.completion", "stats.csv"):
            expect_error(city.call(method, dict(params, year=NOW)), NOT_FOUND, "not_found",
                         field)
    for level, code in (("city", "410200"), ("unit", "STKA"), ("unit", "NOSUCH"),
                        ("city", "419900")):
        expect_error(city.call("stats.trend", {"level": level, "code": code}), NOT_FOUND,
                     "not_found", "code")


def test_parameters_and_roles(world, province):
    for params, reason, field in (({"year": 1989}, "year_invalid", "year"),
                                  ({"year": NOW, "by": "street"}, "stats_by_invalid", "by"),
                                  ({"year": NOW, "sort": "total"}, "stats_sort_invalid", "sort"),
                                  ({"year": NOW, "by": "person", "unit": "STZA",
                                    "sort": "rate"}, "sort_invalid", "sort"),
                                  ({"year": NOW, "below": 0}, "below_invalid", "below"),
                                  ({"year": NOW, "below": 1.5}, "below_invalid", "below"),
                                  ({"year": NOW, "by": "person"}, "required", "unit")):
        r = province.call("stats.completion", params)
        assert r["error"]["data"]["reason"] == reason, (params, r)
        assert r["error"]["data"].get("field") == field
    with logged_in(world["daemon"], world["admins"]["STZA"][1]) as a:
        for method, params in (("stats.completion", {"year": NOW}), ("stats.csv", {"year": NOW}),
                               ("stats.trend", {"level": "province"}),
                               ("requirements.list", {})):
            expect_error(a.call(method, params), NOT_PERMITTED, "not_permitted")
    aid, idn = world["units"]["STZA"]["people"][0][:2]
    with logged_in(world["daemon"], idn) as s:
        expect_error(s.call("stats.completion", {"year": NOW}), NOT_PERMITTED, "not_permitted")


# --- filter, order, pages -------------------------------------------------------------------

def test_below_sort_and_pages(world, province):
    units, _ = all_rows(province, year=NOW, by="unit")
    assert {"STZA", "STZB", "STKA", "STSZ"} <= {u["key"] for u in units}
    short, _ = all_rows(province, year=NOW, by="unit", below=1)
    assert {u["key"] for u in short} == {u["key"] for u in units
                                         if u["staff"] and u["met"] < u["staff"]}
    assert "STSZ" not in {u["key"] for u in short}     # everyone met
    low, _ = all_rows(province, year=NOW, by="unit", below=0.6)
    assert {u["key"] for u in low} == {u["key"] for u in units
                                       if u["staff"] and u["met"] < 0.6 * u["staff"]}
    assert "STZA" in {u["key"] for u in low}           # 0.5
    for sort, key in (("staff", lambda u: u["staff"]), ("met", lambda u: u["met"]),
                      ("rate", lambda u: -1 if u["rate"] is None else u["rate"]),
                      ("avg_total", lambda u: D(u["avg_total"])),
                      ("pending", lambda u: D(u["pending"]))):
        for desc in (False, True):
            rows, _ = all_rows(province, year=NOW, by="unit", sort=sort, desc=desc, limit=2)
            got = [(key(u), u["key"]) for u in rows]
            assert got == sorted(got, reverse=desc), (sort, desc)
            assert len(rows) == len(units)
    # A cursor is of its order only.
    page = province.result("stats.completion", {"year": NOW, "by": "unit", "sort": "staff",
                                                "limit": 1})
    expect_error(province.call("stats.completion", {"year": NOW, "by": "unit", "sort": "met",
                                                    "after": page["next"]}),
                 INVALID_PARAMS, "cursor_invalid", "after")
    # The person level pages and filters as the unit's report does.
    people, _ = all_rows(province, year=NOW, by="person", unit="STZA", sort="total", desc=True,
                         limit=2)
    assert [D(p["total"]) for p in people] == sorted((D(p["total"]) for p in people),
                                                     reverse=True)
    assert len(people) == 6
    not_met, _ = all_rows(province, year=NOW, by="person", unit="STZA", below=1)
    assert {p["name"] for p in not_met} == {"李娜", "=SUM(A1)", "刘洋"}
    none, page = all_rows(province, year=NOW, by="person", unit="STZA", department_id=0,
                          limit=1)
    assert sorted(p["name"] for p in none) == sorted(["马,\"小\"龙", "刘洋"])
    assert page["summary"]["staff"] == 2 and page["summary"]["met"] == 1


# --- CSV ----------------------------------------------------------------------------------------

def read_csv(s, **params):
    text, pieces = "", 0
    for r in pages(s, "stats.csv", params):
        text += r["csv"]
        pieces += 1
    return text.encode("utf-8"), pieces


def test_csv_of_each_level(world, province):
    data, pieces = read_csv(province, year=NOW, by="unit", city="410100", sort="name")
    assert pieces == 1 and data.startswith(b"\xef\xbb\xbf")
    body = data[3:].decode()
    assert body.endswith("\r\n") and "\n" not in body.replace("\r\n", "")
    table = list(csv.reader(io.StringIO(body, newline="")))
    assert table[0] == ["单位代码", "单位", "应统计人数", "达标人数", "未达标人数", "达标率", "人均学时",
                        "人均公需学时", "人均专业学时", "待审核学时"]
    units, _ = all_rows(province, year=NOW, by="unit", city="410100", sort="name")
    assert [r[0] for r in table[1:]] == [u["key"] for u in units]
    za = next(r for r in table if r[0] == "STZA")
    assert za[2:6] == ["6", "3", "3", "0.5"]
    data, _ = read_csv(province, year=NOW, by="unit", city="410100", bom=False)
    assert not data.startswith(b"\xef\xbb\xbf") and data.startswith("单位代码".encode())
    # The person level as completion.report_csv: a formula defused, quotes and commas kept.
    data, _ = read_csv(province, year=NOW, by="person", unit="STZA", sort="name")
    table = list(csv.reader(io.StringIO(data[3:].decode(), newline="")))
    assert table[0] == ["姓名", "身份证号", "部门", "公需学时", "专业学时", "总学时", "待审核学时",
                        "要求总学时", "是否达标"]
    assert any(r[0] == "'=SUM(A1)" for r in table[1:])
    assert any(r[0] == '马,"小"龙' for r in table[1:])
    zhang = next(r for r in table if r[0] == "张伟")
    assert zhang[2:] == ["内科", "30", "60", "90", "0", "80", "达标"]
    with logged_in(world["daemon"], world["admins"]["STZA"][1]) as a:
        text = "".join(r["csv"] for r in pages(a, "completion.report_csv",
                                               {"year": NOW, "sort": "name"}))
    assert text.encode() == data


def test_csv_in_pieces(world, province):
    """A unit larger than one piece: the pieces join into one file, no row twice."""
    acc = world["acc"]
    acc.add_unit("STBIG", "统计大单位", region="410200")
    acc.sql("INSERT INTO accounts (id_number, state, name, unit_code) SELECT "
            "'3201052001' || lpad(g::text, 7, '0') || 'X', 'active', '人员' || g, 'STBIG' "
            "FROM generate_series(1, 2100) g")
    data, pieces = read_csv(province, year=NOW, by="person", unit="STBIG", sort="name")
    assert pieces == 2 and data.count(b"\xef\xbb\xbf") == 1 and data.count("姓名".encode()) == 1
    table = list(csv.reader(io.StringIO(data[3:].decode(), newline="")))
    assert len(table) == 2101 and len({r[1] for r in table[1:]}) == 2100
    page = province.result("stats.completion", {"year": NOW, "by": "unit", "city": "410200",
                                                "sort": "staff", "desc": True, "limit": 1})
    assert page["rows"][0]["key"] == "STBIG" and page["rows"][0]["staff"] == 2100
    data, pieces = read_csv(province, year=NOW, by="department", unit="STBIG")
    table = list(csv.reader(io.StringIO(data[3:].decode(), newline="")))
    assert pieces == 1 and table[1][:4] == ["0", "（无部门）", "2100", "0"]


# --- the trend and the requirements -----------------------------------------------------------

def test_trend_over_the_years(world, province, city):
    def units_rate(rows, year):
        met = staff = 0
        for u in rows:
            staff += u["staff"]
            met += u["met"]
        return staff, met

    for s, level, code, units in ((province, "unit", "STZA", ["STZA"]),
                                  (province, "city", "410100", ["STZA", "STZB"]),
                                  (city, "province", None, None),
                                  (province, "province", None, None)):
        params = {"level": level} if code is None else {"level": level, "code": code}
        rows = s.result("stats.trend", params)["rows"]
        assert [r["year"] for r in rows] == list(YEARS)
        for r in rows:
            if level == "unit":
                level_rows, _ = all_rows(s, year=r["year"], by="unit", city="410100")
                level_rows = [u for u in level_rows if u["key"] in units]
            elif level == "city":
                level_rows = [c for c in all_rows(s, year=r["year"], by="city")[0]
                              if c["key"] == code]
            else:
                level_rows = [all_rows(s, year=r["year"], by="city")[1]["summary"]]
            staff, met = units_rate(level_rows, r["year"])
            assert (r["staff"], r["met"], r["rate"]) == (staff, met, rate(met, staff)), \
                (level, r)
    za = province.result("stats.trend", {"level": "unit", "code": "STZA"})["rows"]
    # 张伟 and 王芳 met in NOW - 2... no: 王芳 (MET) alone; NOW - 1: 张伟, 李娜.
    assert [(r["met"], r["staff"]) for r in za] == [(1, 6), (2, 6), (3, 6)]
    expect_error(province.call("stats.trend", {"level": "street"}), INVALID_PARAMS,
                 "stats_level_invalid", "level")


def test_requirements_list(world, province):
    r = province.result("requirements.list")
    assert r["current_year"] == NOW
    assert r["years"] == [{"year": y, "total": "80", "professional": "50", "public": "20"}
                          for y in YEARS]


# --- ssh AUTH@host stats YEAR ---------------------------------------------------------------------

def test_ssh_stats_table_and_csv(world, keys):
    d = world["daemon"]
    rc, out, err = ssh_exec(d, world["province_idn"], keys["province"][0], f"stats {NOW}")
    assert rc == 0, (out, err)
    text = out.decode()
    assert "郑州市" in text and "开封市" in text and "达标率" in text
    # Aligned for a terminal, CJK two columns wide: the last column (numbers) is right-
    # aligned, so every row ends at the same column; a summary line follows the table.
    lines = text.splitlines()
    widths = {sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)
              for line in lines[1:-1]}
    assert len(lines) == 2 + 19 and len(widths) == 1, text
    assert lines[-1].startswith(f"河南省 {NOW} 年度：应统计 "), lines[-1]
    rc, out, err = ssh_exec(d, world["province_idn"], keys["province"][0],
                            f"stats {NOW} --by unit --city 410100 --csv")
    assert rc == 0, err
    table = list(csv.reader(io.StringIO(out.decode(), newline="")))
    assert table[0][:2] == ["单位代码", "单位"]
    assert next(r for r in table if r[0] == "STZA")[2:6] == ["6", "3", "3", "0.5"]
    rc, out, err = ssh_exec(d, world["province_idn"], keys["province"][0],
                            f"stats {NOW} --by person --unit STZA --department 0")
    assert rc == 0 and "刘洋" in out.decode() and "张伟" not in out.decode(), err
    rc, out, err = ssh_exec(d, world["city_idn"], keys["city"][0],
                            f"stats {NOW} --by unit --city 410200")
    assert rc == 1 and "城市: 没有找到这条记录" in err, (out, err)
    rc, out, err = ssh_exec(d, world["city_idn"], keys["city"][0], f"stats {NOW} --by street")
    assert rc == 1 and "city、unit、department 或 person" in err, (out, err)
    rc, out, err = ssh_exec(d, world["city_idn"], keys["city"][0], "stats 20x5")
    assert rc == 1 and "年度应为四位数字" in err, (out, err)
    rc, out, err = ssh_exec(d, world["admin_idn"], keys["admin"][0], f"stats {NOW}")
    assert rc == 1 and "人社" in out.decode() + err, (out, err)


def test_an_authority_disabled_by_sighup_is_refused_at_its_next_call(make_daemon, tmp_path):
    d = make_daemon(start=False)
    key, pub = make_key(tmp_path, "gone")
    idn = id_number()
    d.write_config()
    d.conf.write_text(d.conf.read_text(encoding="utf-8") + authority_admins_block(
        [{"id_number": idn, "name": "将停用的统计员", "scope": "410000", "keys": [pub]}]),
        encoding="utf-8")
    d.start()
    with key_rpc(d, idn, key) as s:
        assert s.result("stats.completion", {"year": NOW})["scope"]["code"] == "410000"
        s.result("requirements.list")
        d.write_config()
        mark = len(d.stderr_text())
        d.signal(signal.SIGHUP)
        d.wait_log(r"authority_admins: 0 configured: .* 1 disabled", after=mark)
        for method, params in (("stats.completion", {"year": NOW}),
                               ("stats.trend", {"level": "province"}),
                               ("requirements.list", {})):
            r = s.call(method, params)
            assert r["error"]["code"] in (NOT_PERMITTED,), r
