"""The authority's screens (人社 / 主管部门, issue 16) in the real jxjy TUI, in tmux, on the
real daemon and PostgreSQL.

One module daemon with learning forms of its own (端测专业研修 records go through the chain
["unit", "authority"]) and a small requirement; units whose staff declare and whose
administrators approve over RPC, so that the maintained figures (schema 016) and the
authority's queue (schema 017) hold what each test checks: the review test's in 郑州市
(410100) and 开封市 (410200), the statistics test's in 洛阳市 (410300) and 平顶山市 (410400),
so that neither counts the other's people.

- 继续教育完成情况统计: the province by city with the right figures, drilled down to a unit,
  its departments and its people and back up (cursor kept), the trend's bars measured
  against the rates, the level exported as CSV by the client; a city's administrator sees
  only their city.
- 审核: the province's queue names each record's unit; one approved from its detail, one
  rejected with a reason; a city's administrator sees only their city's records.
"""

import re

import pytest

from conftest import JXJY, module_daemon
from helpers import NOW, logged_in
from tui_helpers import World, tui  # noqa: F401 (tui: the fixture)

ZZ, ZZ_NAME = "E2AZ1", "郑州端测医院"          # 410100
ZZ2, ZZ2_NAME = "E2AZ2", "郑州端测学校"        # 410100
KF, KF_NAME = "E2AK1", "开封端测研究所"         # 410200

# 20 hours in all, 12 专业 and 4 公需 meet the requirement.  专业 records go on to the authority.
CONFIG_TEXT = """learning_forms = (
	{
		code = "e2a_pub";
		name = "端测公需课"; name_en = "E2E public course";
		category = "public";
		attachment = "none";
		fields = ( { key = "name"; label = "课程名称"; label_en = "Course"; type = "text"; required = true; } );
	},
	{
		code = "e2a_prox";
		name = "端测专业课"; name_en = "E2E professional lecture";
		category = "professional";
		attachment = "none";
		fields = ( { key = "name"; label = "课程名称"; label_en = "Course"; type = "text"; required = true; } );
	},
	{
		code = "e2a_pro";
		name = "端测专业研修"; name_en = "E2E professional course";
		category = "professional";
		attachment = "none";
		review = [ "unit", "authority" ];
		fields = ( { key = "name"; label = "课程名称"; label_en = "Course"; type = "text"; required = true; } );
	}
);
requirements = ( { year = 2000; total = 20; professional = 12; public = 4; } );"""


@pytest.fixture(scope="module")
def adaemon(postgres, migrated_template, tmp_path_factory):
    yield from module_daemon(postgres, migrated_template, tmp_path_factory,
                             "jxjyd-authority-e2e", extra_config=CONFIG_TEXT)


@pytest.fixture(scope="module")
def world(adaemon, postgres):
    w = World(postgres, adaemon.dbname)
    w.depts = {ZZ: w.add_unit(ZZ, ZZ_NAME, ("端测内科", "端测外科")),
               ZZ2: w.add_unit(ZZ2, ZZ2_NAME, ("端测教务处",)),
               KF: w.add_unit(KF, KF_NAME, ("端测研究室",), region="410200")}
    w.admins = {u: w.add_admin(u, f"{u}管理员")[1] for u in (ZZ, ZZ2, KF)}
    w.province = w.add_authority("省端测审核员", scope="410000")[1]
    w.kaifeng = w.add_authority("汴端测审核员", scope="410200")[1]
    return w


def submit(s, code, hours, title):
    r = s.result("declaration.submit", {"form": code, "year": NOW, "amount": str(hours),
                                        "fields": {"name": title}})
    assert r["state"] == "pending"
    return r["id"]


def unit_approves(daemon, world, unit, ids):
    with logged_in(daemon, world.admins[unit], logout=True) as adm:
        r = adm.result("review.approve_declarations", {"ids": ids})
    assert all(x["ok"] for x in r["results"]), r


def login(t, daemon, idn):
    t.start(daemon)
    t.login(idn, then="功能列表")


def state(world, did):
    return world.row(f"SELECT state, coalesce(reject_reason, '') FROM declarations "
                     f"WHERE id = {did}")


def test_review_queue(adaemon, world, tui):
    """审核: records the units approved wait at the authority's step; the province's
    administrator approves one from its detail and rejects another with a reason; 开封市's
    administrator sees only 开封's."""
    _, zz_idn = world.add_staff(ZZ, world.depts[ZZ]["端测内科"], "链审甲")
    _, kf_idn = world.add_staff(KF, world.depts[KF]["端测研究室"], "链审乙")
    with logged_in(adaemon, zz_idn, logout=True) as s:
        ok_id = submit(s, "e2a_pro", 6, "端测链式研修")
        no_id = submit(s, "e2a_pro", 5, "端测驳回研修")
    with logged_in(adaemon, kf_idn, logout=True) as s:
        kf_id = submit(s, "e2a_pro", 7, "开封链式研修")
    unit_approves(adaemon, world, ZZ, [ok_id, no_id])
    unit_approves(adaemon, world, KF, [kf_id])
    assert state(world, ok_id)[0] == "pending"

    t = tui()
    login(t, adaemon, world.province)
    assert "河南省" in t.text()
    t.open_function("审核")
    t.wait("3 条申报等待您审核", "链审甲", "链审乙")
    assert KF_NAME in t.line_with("链审乙")
    assert ZZ_NAME in t.line_with("链审甲")

    # u: one unit of the scope, its city chosen first; u again: every unit.
    t.keys("u")
    t.wait("城市", "开封市")
    t.type("开封")
    t.keys("Enter")
    t.wait("筛选", KF_NAME)
    t.keys("Enter")
    t.wait(f"单位（u）：{KF_NAME}", "链审乙", absent=("链审甲",))
    t.keys("u")
    t.wait("3 条申报等待您审核", "链审甲", "单位（u）：全部")

    # The newest first: 开封's, then 驳回, then 链式.  Enter on 链式研修: its detail.
    t.keys("End")
    t.keys("Enter")
    t.wait("端测链式研修", "a 通过")
    t.keys("a")
    t.wait("审核通过")
    t.keys("y")
    t.wait("1 份中的 1 份已通过")
    t.keys("Enter")
    t.wait("2 条申报等待您审核", absent=("端测链式研修",))
    assert state(world, ok_id)[0] == "approved"

    # 驳回研修 (链审甲's other record) is now the last row: rejected with a reason.
    t.keys("End")
    t.keys("r")
    t.wait("原因")
    t.type("证明材料不清晰")
    t.keys("Enter")
    t.wait("1 份中的 1 份未通过")
    t.keys("Enter")
    t.wait("1 条申报等待您审核", "链审乙", absent=("链审甲",))
    assert state(world, no_id) == ["rejected", "证明材料不清晰"]
    t.quit()

    # 开封市's administrator: 开封's record, and nothing of 郑州's.
    k = tui(80, 24)
    login(k, adaemon, world.kaifeng)
    assert "开封市" in k.text()
    k.open_function("审核")
    k.wait("1 条申报等待您审核", "链审乙")
    k.quit()


# ---- 继续教育完成情况统计 ------------------------------------------------------------------

LY1, LY1_NAME = "E2AL1", "洛阳端测医院"        # 410300
LY2, LY2_NAME = "E2AL2", "洛阳端测学校"        # 410300
PD, PD_NAME = "E2AP1", "平顶山端测研究所"      # 410400

# Who declares what (公需 approved, 专业 approved, 专业 left pending) in the current year.
PEOPLE = (
    (LY1, "端测内科", "统计甲", 4, 16, 0),       # 20: met
    (LY1, "端测内科", "统计乙", 4, 6, 3),        # 10: not met, 3 pending
    (LY1, "端测外科", "统计丙", 0, 0, 0),        # nothing: not met
    (LY2, "端测教务处", "统计丁", 4, 16, 0),     # 20: met
    (PD, "端测研究室", "统计戊", 4, 16, 0),      # met
    (PD, "端测研究室", "统计己", 2, 0, 0),       # not met
    (PD, "端测研究室", "统计庚", 4, 12, 0),      # 16: not met
)


@pytest.fixture(scope="module")
def figures(adaemon, world):
    """The statistics test's people and records: 洛阳市 2 of 4 met (50 %) this year and 1 of
    4 last year (统计甲 alone), 平顶山市 1 of 3."""
    depts = {LY1: world.add_unit(LY1, LY1_NAME, ("端测内科", "端测外科"), region="410300"),
             LY2: world.add_unit(LY2, LY2_NAME, ("端测教务处",), region="410300"),
             PD: world.add_unit(PD, PD_NAME, ("端测研究室",), region="410400")}
    admins = {u: world.add_admin(u, f"{u}管理员")[1] for u in depts}
    approve = {u: [] for u in depts}
    for unit, dept, name, pub, pro, pending in PEOPLE:
        _, idn = world.add_staff(unit, depts[unit][dept], name)
        with logged_in(adaemon, idn, logout=True) as s:
            if pub:
                approve[unit].append(submit(s, "e2a_pub", pub, f"{name}公需"))
            if pro:
                approve[unit].append(submit(s, "e2a_prox", pro, f"{name}专业"))
            if pending:
                submit(s, "e2a_prox", pending, f"{name}待审")
            if name == "统计甲":
                r = s.result("declaration.submit", {"form": "e2a_prox", "year": NOW - 1,
                                                    "amount": "20", "fields": {"name": "去年"}})
                approve[unit].append(r["id"])
                r = s.result("declaration.submit", {"form": "e2a_pub", "year": NOW - 1,
                                                    "amount": "4", "fields": {"name": "去年"}})
                approve[unit].append(r["id"])
    for unit, ids in approve.items():
        with logged_in(adaemon, admins[unit], logout=True) as adm:
            r = adm.result("review.approve_declarations", {"ids": ids})
        assert all(x["ok"] for x in r["results"]), r
    world.luoyang = world.add_authority("洛端测统计员", scope="410300")[1]
    return depts


def cells(line):
    """The words of a table row on the screen (the bar of a selected row is no word)."""
    return [w for w in line.split() if w not in ("│", "|")]


def select(t, needle):
    """Put the cursor of the list on the row with needle: Home, then Down to it."""
    lines = t.lines()
    head = next(i for i, line in enumerate(lines) if "应统计人数" in line)
    row = next(i for i, line in enumerate(lines) if i > head and needle in line)
    t.keys("Home")
    for _ in range(row - head - 1):
        t.keys("Down")


EIGHTHS = " ▏▎▍▌▋▊▉"


def bar_eighths(line):
    """The length of a trend line's bar in eighths of a column: █ is 8, ▏ 1 ... ▉ 7."""
    return sum(8 if ch == "█" else EIGHTHS.index(ch) for ch in line if ch == "█" or
               (ch in EIGHTHS and ch != " "))


TREND_LINE = re.compile(r"(\d{4})  ([█▏▎▍▌▋▊▉#]*) *(\d+\.\d%)  \((\d+)/(\d+)\)")


def trend_rows(t):
    """{year: (bar eighths, "50.0%")} of the trend chart on the screen."""
    out = {}
    for line in t.lines():
        m = TREND_LINE.search(line)
        if m:
            out[int(m.group(1))] = (bar_eighths(m.group(2)), m.group(3))
    return out


def test_statistics_drill_down_trend_export(adaemon, world, figures, tui, tmp_path):
    """The province by city with the right figures; 洛阳市 → 洛阳端测医院 → 端测内科 → its
    people and back up, the cursor kept; the trend's bars as long as the rates say; the
    level saved as CSV by the client."""
    t = tui()
    login(t, adaemon, world.province)
    t.open_function("继续教育完成情况统计")
    t.wait("继续教育完成情况统计", "洛阳市", "平顶山市", f"年度（←/→）：{NOW}")
    # 城市 应统计人数 达标 未达标 达标率 人均学时 公需 专业 待审核
    assert cells(t.line_with("洛阳市"))[:9] == ["洛阳市", "4", "2", "2", "50.0%", "12.5",
                                               "3", "9.5", "3"], t.line_with("洛阳市")
    assert cells(t.line_with("平顶山市"))[:5] == ["平顶山市", "3", "1", "2", "33.3%"]
    assert "要求：20（专业 12，公需 4）" in t.text()

    # Down to 洛阳市's units, its hospital's departments, the 内科's people.
    select(t, "洛阳市")
    t.keys("Enter")
    t.wait("河南省 › 洛阳市", LY1_NAME, LY2_NAME, absent=("平顶山",))
    assert "应统计 4 人，达标 2 人，未达标 2 人，达标率 50.0%" in t.text()
    assert cells(t.line_with(LY1_NAME))[:5] == [LY1_NAME, "3", "1", "2", "33.3%"]
    assert cells(t.line_with(LY2_NAME))[:9] == [LY2_NAME, "1", "1", "0", "100.0%", "20",
                                               "4", "16", "0"]
    select(t, LY1_NAME)
    t.keys("Enter")
    t.wait(f"河南省 › 洛阳市 › {LY1_NAME}", "端测内科", "端测外科")
    assert cells(t.line_with("端测内科"))[:9] == ["端测内科", "2", "1", "1", "50.0%", "15",
                                              "4", "11", "3"]
    assert cells(t.line_with("端测外科"))[:5] == ["端测外科", "1", "0", "1", "0.0%"]
    select(t, "端测内科")
    t.keys("Enter")
    t.wait(f"{LY1_NAME} › 端测内科", "统计甲", "统计乙", absent=("统计丙",))
    jia, yi = cells(t.line_with("统计甲")), cells(t.line_with("统计乙"))
    assert jia[-5:] == ["4", "16", "20", "0", "达标"], jia
    assert yi[-5:] == ["4", "6", "10", "3", "未达标"], yi

    # Back up with Esc and Backspace: each level as it was, its cursor on the row opened.
    t.keys("Escape")
    t.wait(f"河南省 › 洛阳市 › {LY1_NAME}", "端测外科", absent=("统计甲",))
    t.keys("BSpace")
    t.wait("河南省 › 洛阳市", LY2_NAME, absent=("端测外科",))
    t.keys("Escape")
    t.wait("平顶山市", absent=("河南省 ›",))
    t.keys("Enter")                     # the cursor stayed on 洛阳市
    t.wait("河南省 › 洛阳市", LY1_NAME)
    t.keys("Escape")
    t.wait("平顶山市", absent=("河南省 ›",))

    # The trend of 洛阳市 (t on its row): last year 1 of 4, this year 2 of 4; bars of 40
    # columns at 100 %, in eighths.
    t.keys("t")
    t.wait("历年达标率 · 洛阳市", f"{NOW - 1}", f"{NOW}")
    rows = trend_rows(t)
    assert rows[NOW - 1] == (round(0.25 * 40 * 8), "25.0%"), rows
    assert rows[NOW] == (round(0.5 * 40 * 8), "50.0%"), rows
    t.keys("Escape")
    t.wait("平顶山市", absent=("历年达标率",))
    select(t, "平顶山市")
    t.keys("t")
    t.wait("历年达标率 · 平顶山市")
    rows = trend_rows(t)
    assert rows[NOW] == (round(40 * 8 / 3), "33.3%"), rows   # 13 columns and ▍
    assert "▍" in t.line_with("(1/3)")
    t.keys("Escape")
    t.wait("平顶山市", absent=("历年达标率",))

    # Export the province by city to a file typed in the prompt.
    rows = t.export_csv(tmp_path / "stats.csv", f"完成情况统计-{NOW}-410000.csv")
    assert "城市" in rows[0] and "应统计人数" in rows[0], rows[0]
    head = rows[0]
    luoyang = next(r for r in rows[1:] if "洛阳市" in r)
    assert luoyang[head.index("应统计人数")] == "4" and luoyang[head.index("达标人数")] == "2"
    t.quit()


def test_city_administrator_sees_only_their_city(adaemon, world, figures, tui):
    """洛阳市's administrator starts at 洛阳's units, at 80x24, never sees 平顶山's; the trend
    in a terminal without UTF-8 is drawn with #."""
    t = tui(80, 24)
    t.term.send_line(f"LC_ALL=C LANG=C {JXJY} --accept-new -k {t.dir}/known_hosts "
                     f"-p {adaemon.port} localhost; echo EXITED=$?")
    t.login(world.luoyang, then="功能列表")
    assert "洛阳市" in t.text()
    t.open_function("继续教育完成情况统计")
    t.wait(LY1_NAME, LY2_NAME, absent=("平顶山",))
    assert "河南省" not in t.text()
    assert cells(t.line_with(LY1_NAME))[:5] == [LY1_NAME, "3", "1", "2", "33.3%"]

    # Only the units below 50 % met; every unit again.
    t.keys("f")
    t.wait("百分比")
    t.type("50")
    t.keys("Enter")
    t.wait("达标率低于（f）：50%", LY1_NAME, absent=(LY2_NAME,))
    t.keys("f")
    t.wait("百分比")
    t.keys("Enter")
    t.wait("达标率低于（f）：全部", LY1_NAME, LY2_NAME)
    # The order by rate, reversed; last year (1 of 3 met in the hospital, nobody in the
    # school), and back.
    t.keys("s")
    t.wait("排序（s/r）：达标率 ↑")
    t.keys("r")
    t.wait("排序（s/r）：达标率 ↓")
    t.keys("Left")
    t.wait(f"年度（←/→）：{NOW - 1}")
    assert cells(t.line_with(LY1_NAME))[:5] == [LY1_NAME, "3", "1", "2", "33.3%"]
    assert cells(t.line_with(LY2_NAME))[:5] == [LY2_NAME, "1", "0", "1", "0.0%"]
    t.keys("Right")
    t.wait(f"年度（←/→）：{NOW}")
    select(t, LY1_NAME)
    t.keys("t")
    t.wait(f"历年达标率 · {LY1_NAME}")
    line = t.line_with(f"{NOW} ")
    assert line.count("#") == round(40 / 3) and "█" not in line, line
    t.keys("Escape")
    # Nothing above the city: Esc goes home.
    t.keys("Escape")
    t.wait("功能列表")
    t.quit()


# ---- 审核记录查询 ---------------------------------------------------------------------------

def test_audit_search(adaemon, world, figures, tui):
    """A search whose two dates are wrong names both beside their fields, what was typed
    kept; corrected, it lists 统计乙's approvals, one in full; back at the form the search is
    as it was.  洛阳市's administrator never finds 平顶山's people."""
    t = tui()
    login(t, adaemon, world.province)
    t.open_function("审核记录查询")
    t.wait("查询辖区内的审核记录", "姓名或身份证号", "起始日期")
    t.keys("Tab")                       # 姓名或身份证号
    t.type("统计乙")
    t.keys("Tab", "Tab")                # 起始日期
    t.type(f"{NOW}-13-01")
    t.keys("Tab")
    t.type("昨天")
    t.keys("Tab", "Tab", "Enter")       # 结果, 查询
    text = t.wait("应为有效日期")
    assert text.count("应为有效日期") == 2, text
    assert f"{NOW}-13-01" in text and "昨天" in text and "统计乙" in text

    t.keys("C-u", "C-k")                # 起始日期, focused as the first wrong
    t.type(f"{NOW}-01-01")
    t.keys("Tab", "C-u", "C-k")
    t.type(f"{NOW}-12-31")
    t.keys("Tab", "Enter")              # 结果: the menu
    t.wait("全部结果", "审核不通过")
    t.keys("Down", "Enter")             # 审核通过
    t.keys("Tab", "Enter")              # 查询
    t.wait("已显示 2 条", "统计乙", "洛阳端测医院", absent=("应为有效日期",))
    rows = [cells(line) for line in t.lines() if "统计乙" in line and "学时申报" in line]
    assert len(rows) == 2 and all("审核通过" in r for r in rows), t.text()
    t.keys("Enter")
    text = t.wait("审核记录", f"{LY1_NAME}（{LY1}）", "待审核 → 审核通过")
    t.keys("Escape")
    t.wait("已显示 2 条")
    t.keys("Escape")
    t.wait("查询辖区内的审核记录", "统计乙", f"{NOW}-01-01", f"{NOW}-12-31", "审核通过")
    t.keys("Escape")
    t.wait("功能列表")
    t.quit()

    c = tui(80, 24)
    login(c, adaemon, world.luoyang)
    c.open_function("审核记录查询")
    c.wait("查询辖区内的审核记录")
    c.keys("Tab")
    c.type("统计戊")
    c.keys("Tab", "Tab", "Tab", "Tab", "Tab", "Enter")     # 查询
    c.wait("没有符合条件的记录")
    c.keys("Escape")
    c.keys("Escape")
    c.wait("功能列表")
    c.quit()


# ---- 继续教育基地管理 ----------------------------------------------------------------------

def base_state(world, code):
    return world.row(f"SELECT accredited, coalesce(suspend_reason, ''), "
                     f"array_to_string(forms, ' ') FROM bases WHERE code = '{code}'")


def test_bases(adaemon, world, figures, tui):
    """The province's bases: one suspended (a reason is required, then given), reinstated
    from its detail, its forms set; an unaccredited one accredited.  洛阳市's administrator
    sees only 洛阳's."""
    world.add_base("E2AB1", "洛阳端测基地", region="410300", forms=("e2a_pub",))
    world.add_base("E2AB2", "洛阳待认定基地", region="410300")
    world.sql("UPDATE bases SET accredited = false WHERE code = 'E2AB2'")
    world.add_base("E2AB3", "平顶山端测基地", region="410400")

    t = tui()
    login(t, adaemon, world.province)
    t.open_function("继续教育基地管理")
    t.wait("继续教育基地管理", "洛阳端测基地", "洛阳待认定基地", "平顶山端测基地")
    assert "未认定" in t.line_with("洛阳待认定基地")

    # x on 洛阳端测基地: no reason is refused, then one is given.
    t.keys("Home")
    t.keys("x")
    t.wait("暂停 洛阳端测基地 的报送")
    t.keys("Enter")
    t.wait("须填写原因")
    t.keys("Enter")
    t.wait("暂停 洛阳端测基地 的报送")
    t.type("材料不全")
    t.keys("Enter")
    t.wait("洛阳端测基地（E2AB1）：已暂停")
    assert base_state(world, "E2AB1")[:2] == ["t", "材料不全"]

    # Its detail says why; u there reinstates it.
    t.keys("Enter")
    t.wait("暂停原因", "材料不全", "变更记录")
    t.keys("u")
    t.wait("恢复 洛阳端测基地 的报送")
    t.keys("Enter")
    t.wait("洛阳端测基地（E2AB1）：正常")
    assert base_state(world, "E2AB1")[:2] == ["t", ""]

    # f: its forms.
    t.keys("f")
    t.wait("可报送的学习形式代码")
    t.type("e2a_pub e2a_prox")
    t.keys("Enter")
    t.wait("原因（可留空")
    t.keys("Enter")
    t.wait("洛阳端测基地（E2AB1）：正常")
    assert base_state(world, "E2AB1")[2] == "e2a_pub e2a_prox"

    # a on the unaccredited one.
    select_line(t, "洛阳待认定基地")
    t.keys("a")
    t.wait("认定 洛阳待认定基地")
    t.keys("Enter")
    t.wait("洛阳待认定基地（E2AB2）：正常")
    assert base_state(world, "E2AB2")[0] == "t"
    # v: the bases in a state; none is left unaccredited.
    t.keys("v")
    t.wait("状态（v）：正常", "洛阳待认定基地")
    t.keys("v")
    t.wait("状态（v）：未认定", "辖区内没有继续教育基地", absent=("洛阳待认定基地",))
    t.quit()

    c = tui(80, 24)
    login(c, adaemon, world.luoyang)
    c.open_function("继续教育基地管理")
    c.wait("洛阳端测基地", "洛阳待认定基地", absent=("平顶山端测基地",))
    c.quit()


def select_line(t, needle):
    """Home, then Down until the selected row is the one with needle (the list's heading is
    the line above its first row)."""
    lines = t.lines()
    head = next(i for i, line in enumerate(lines) if "代码" in line and "状态" in line)
    row = next(i for i, line in enumerate(lines) if i > head and needle in line)
    t.keys("Home")
    for _ in range(row - head - 1):
        t.keys("Down")


# ---- 年度学时要求 ----------------------------------------------------------------------------

def test_requirements(adaemon, world, figures, tui):
    """The requirement of each year, this year first; Enter on it: the cities with people
    short of it, then a city's units short of it (below 100 %)."""
    t = tui()
    login(t, adaemon, world.province)
    t.open_function("年度学时要求")
    t.wait("年度学时要求", f"{NOW}（本年度）", f"{NOW - 1}")
    assert cells(t.line_with(f"{NOW}（本年度）"))[1:4] == ["20", "12", "4"]
    t.keys("Enter")
    t.wait("达标率低于（f）：100%", "洛阳市", "平顶山市")
    select(t, "洛阳市")
    t.keys("Enter")
    t.wait("河南省 › 洛阳市", LY1_NAME, absent=(LY2_NAME,))     # LY2 met: 100 %
    t.keys("Escape")
    t.keys("Escape")
    t.wait("年度学时要求")
    t.keys("Escape")
    t.wait("功能列表")
    t.quit()


def test_served_export_says_the_ssh_command(adaemon, world, figures, tui):
    """The TUI served over ssh -t has no disk of the person's: e says which ssh command
    prints the level (洛阳市 by unit) as CSV."""
    from test_base_e2e import SSH_TUI
    t = tui(80, 24)
    t.term.send_line(SSH_TUI.format(port=adaemon.port))
    t.login(world.province, then="功能列表")
    t.open_function("继续教育完成情况统计")
    t.wait("洛阳市")
    select(t, "洛阳市")
    t.keys("Enter")
    t.wait("河南省 › 洛阳市", LY1_NAME)
    t.keys("e")
    text = t.wait("--csv")
    lines = [line.strip(" │") for line in text.splitlines()]
    assert [f"ssh -p PORT {world.province}@HOST \\",
            f"stats {NOW} --by unit --city 410300 --csv \\",
            f"> 完成情况统计-{NOW}-410300.csv"] == [line for line in lines if "PORT" in line or
                                                 "--csv" in line or "> 完成" in line], text
    t.keys("Escape")
    t.wait(LY1_NAME, absent=("--csv",))
    t.quit()
