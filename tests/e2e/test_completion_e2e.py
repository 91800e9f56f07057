"""年度完成情况 and 完成情况统计 in the real jxjy TUI, in tmux, on the real daemon and
PostgreSQL, with learning forms and a requirement of the test's own.

A staff member's approved hours are below the requirement: the page says 未达标 with the
pending hours apart; the unit administrator approves more over RPC and, after F5, the page
says 达标; 继续历程明细 lists the records (the pending one flagged) and opens one in full.
The administrator's 完成情况统计 shows the person with 达标 and the summary line, the
not-met filter (n) hides them, Enter shows their years, and e exports the report to a local
CSV file that Python's csv module reads back with the Chinese heading and the person's row.
"""

import re

import pytest

from conftest import module_daemon
from helpers import NOW, logged_in
from tui_helpers import World, tui  # noqa: F401 (tui: the fixture)

UNIT, UNIT_NAME = "E2CP", "完成端测单位"

# A small requirement, so that a few records meet it: 20 in all, 12 专业, 4 公需.
CONFIG_TEXT = """learning_forms = (
	{
		code = "e2c_pub";
		name = "端测公需课"; name_en = "E2E public course";
		category = "public";
		attachment = "none";
		fields = ( { key = "name"; label = "课程名称"; label_en = "Course"; type = "text"; required = true; } );
	},
	{
		code = "e2c_pro";
		name = "端测专业课"; name_en = "E2E professional course";
		category = "professional";
		attachment = "none";
		fields = ( { key = "name"; label = "课程名称"; label_en = "Course"; type = "text"; required = true; } );
	}
);
requirements = ( { year = 2000; total = 20; professional = 12; public = 4; } );"""


@pytest.fixture(scope="module")
def cdaemon(postgres, migrated_template, tmp_path_factory):
    yield from module_daemon(postgres, migrated_template, tmp_path_factory,
                             "jxjyd-completion-e2e", extra_config=CONFIG_TEXT)


@pytest.fixture(scope="module")
def world(cdaemon, postgres):
    w = World(postgres, cdaemon.dbname)
    w.depts = w.add_unit(UNIT, UNIT_NAME, ("医务科", "检验科"))
    w.admin_id, w.admin = w.add_admin(UNIT, "完成统计员")
    return w


def submit(s, code, hours, title):
    r = s.result("declaration.submit", {"form": code, "year": NOW, "amount": str(hours),
                                        "fields": {"name": title}})
    assert r["state"] == "pending"
    return r["id"]


def approve(daemon, world, ids):
    with logged_in(daemon, world.admin, logout=True) as adm:
        r = adm.result("review.approve_declarations", {"ids": ids})
    assert all(x["ok"] for x in r["results"]), r


def login(t, daemon, idn):
    t.start(daemon)
    t.login(idn, then="功能列表")


def year_line(t):
    """The screen line of the current year's row (it starts with the year)."""
    for line in t.lines():
        if line.strip().startswith(str(NOW)):
            return line
    raise AssertionError(f"no row for {NOW}:\n{t.text()}")


def test_staff_page_then_admin_report_and_csv(cdaemon, world, tui, tmp_path):
    aid, idn = world.add_staff(UNIT, world.depts["检验科"], "完成甲")
    world.add_staff(UNIT, world.depts["医务科"], "完成乙")      # no records: 未达标

    with logged_in(cdaemon, idn, logout=True) as s:
        first = [submit(s, "e2c_pub", 4, "端测公需讲座"), submit(s, "e2c_pro", 6, "端测专业研修")]
        more = submit(s, "e2c_pro", 10, "端测进阶研修")
        submit(s, "e2c_pro", 3, "端测待审课程")
    approve(cdaemon, world, first)

    # The staff page: 10 of 20 approved, 13 pending, not met.
    t = tui()
    login(t, cdaemon, idn)
    t.open_function("年度完成情况")
    t.wait("年度完成情况", "公需", "专业", "合计", "要求", "待审核", "未达标")
    row = year_line(t).split()
    assert row[:6] == [str(NOW), "4", "6", "10", "20", "13"], row
    assert row[6] == "未达标", row
    assert " 50%" in year_line(t)
    assert "要求：20（专业 12，公需 4）" in t.text()

    # More approved meanwhile: F5 shows 达标.
    approve(cdaemon, world, [more])
    t.keys("F5")
    t.wait("达标", absent=("未达标",))
    row = year_line(t).split()
    assert row[:7] == [str(NOW), "4", "16", "20", "20", "3", "达标"], row
    assert "100%" in year_line(t)

    # 继续历程明细: the forms, then the records; the pending one flagged.
    t.keys("Enter")
    text = t.wait("继续历程明细", "端测进阶研修", "端测待审课程")
    assert "端测公需讲座" in text and "端测专业研修" in text
    pend = t.line_with("端测待审课程")
    assert "待审核" in pend and "尚未计入" in pend and "3" in pend.split()
    done = t.line_with("端测进阶研修")
    # Decided today: the time says 今天 instead of the date (common/format.c).
    assert re.search(rf"(今天|{NOW}-\d\d-\d\d) \d\d:\d\d", done), done
    assert "专业科目" in done and "10" in done.split()
    form_row = t.line_with("端测公需课")
    assert "公需科目" in form_row
    # The newest decision first: Enter opens it in full.
    t.keys("Enter")
    text = t.wait("课程名称", "审核通过", "端测进阶研修")
    t.keys("Escape")
    t.wait("继续历程明细")
    t.keys("Escape")
    t.wait("年度完成情况")
    t.keys("Escape")
    t.wait("功能列表")
    t.quit()

    # The administrator's report.
    a = tui()
    login(a, cdaemon, world.admin)
    a.open_function("完成情况统计")
    a.wait("完成情况统计", "完成甲", "完成乙")
    assert "共 2 人，达标 1 人，未达标 1 人" in a.text()
    assert "达标" in a.line_with("完成甲").split()
    assert "未达标" in a.line_with("完成乙").split()
    assert idn in a.line_with("完成甲") and "检验科" in a.line_with("完成甲")

    # Not met only: the person who met is gone, the summary stays the whole report's.
    a.type("n")
    a.wait("只看未达标（n）：是", "完成乙", absent=("完成甲",))
    assert "共 2 人，达标 1 人" in a.text()
    a.type("n")
    a.wait("完成甲", "完成乙")

    # Enter on the person: their years.
    sel = next(i for i, line in enumerate(a.lines()) if "完成乙" in line or "完成甲" in line)
    if "完成甲" not in a.lines()[sel]:
        a.keys("Down")
    a.keys("Enter")
    text = a.wait("待审核", str(NOW))
    # The row in the pager's box (the screen's heading under it names the year too).
    row = next(line for line in a.lines() if f"{NOW} " in line and "│" in line)
    hist = [w for w in row.split() if w not in ("│", "|")]
    assert hist[:7] == [str(NOW), "4", "16", "20", "20", "3", "达标"], hist
    a.keys("Escape")

    # Export to CSV, to a path typed in the prompt.
    rows = a.export_csv(tmp_path / "report.csv", "完成情况-")
    assert rows[0][:3] == ["姓名", "身份证号", "部门"] and "是否达标" in rows[0]
    mine = [r for r in rows[1:] if r[0] == "完成甲"]
    assert len(mine) == 1 and mine[0][1] == idn and mine[0][-1] == "达标", rows
    assert mine[0][3:6] == ["4", "16", "20"], mine
    assert len(rows) == 3, rows
    a.quit()
