"""申报进度查询 as a daily user meets it (issue 14, rules 5 and 6), in the real TUI in tmux on
the real daemon: each row names the record itself beside its learning form, rows are newest
first by the time they show, the keys offered are the record's actions from the daemon
(and a key not offered is refused without a round of state rules in the TUI), the count
line says what it counts, and the cursor stays on its record across a detail, a reload and
a later visit."""

import re

import pytest

from conftest import module_daemon
from helpers import DEMO_PASSWORD, NOW
from tui_helpers import World, tui  # noqa: F401 (tui: the fixture)

UNIT = "E2PG"

FORMS_TEXT = """learning_forms = (
	{
		code = "e2e_paper";
		name = "端测论文"; name_en = "E2E paper";
		category = "professional";
		attachment = "none";
		fields = (
			{ key = "title"; label = "论文题目"; label_en = "Paper title"; type = "text";
			  required = true; }
		);
	}
);"""


@pytest.fixture(scope="module")
def pdaemon(postgres, migrated_template, tmp_path_factory):
    yield from module_daemon(postgres, migrated_template, tmp_path_factory,
                             "jxjyd-progress-e2e", None, FORMS_TEXT)


@pytest.fixture(scope="module")
def world(pdaemon, postgres):
    w = World(postgres, pdaemon.dbname)
    w.depts = w.add_unit(UNIT, "进度端测单位", ("办公室",))
    return w


def declaration(world, aid, title, state, minutes_ago):
    """A declaration of aid in state, shown (submitted or created) minutes_ago."""
    form_id = world.value("SELECT id FROM learning_forms WHERE code = 'e2e_paper' AND active")
    at = f"now() - interval '{minutes_ago} minutes'"
    submitted = "NULL" if state == "draft" else at
    created = at if state == "draft" else f"{at} - interval '1 hour'"
    return int(world.value(
        "INSERT INTO declarations (account_id, unit_code, form_id, form_code, year, amount, "
        "hours, category, fields, state, created_at, submitted_at, reject_reason) VALUES "
        f"({aid}, '{UNIT}', {form_id}, 'e2e_paper', {NOW}, 3, 3, 'professional', "
        f"'{{\"title\": \"{title}\"}}', '{state}', {created}, {submitted}, "
        f"{'$$材料不全$$' if state == 'rejected' else 'NULL'}) RETURNING id"))


def status(t):
    """The status line: the last line with anything on it."""
    return [line for line in t.lines() if line.strip()][-1]


def test_rows_name_the_record_and_keys_follow_its_actions(pdaemon, world, tui):
    aid, idn = world.add_staff(UNIT, world.depts["办公室"], "进度甲")
    declaration(world, aid, "退回的论文", "rejected", 30)
    declaration(world, aid, "审核中的论文", "pending", 20)
    declaration(world, aid, "草稿论文", "draft", 10)
    t = tui()
    t.start(pdaemon)
    t.login(idn, then="功能列表")
    t.open_function("申报进度查询")
    text = t.wait("专业技术人员继续教育 · 申报进度查询", "名称", "共 3 条申报")
    rows = [line for line in t.lines() if "端测论文" in line]
    assert [re.search(r"(草稿论文|审核中的论文|退回的论文)", r).group(1) for r in rows] == \
        ["草稿论文", "审核中的论文", "退回的论文"], text

    # The draft (first row): edit, submit, delete; nothing else.
    t.wait("e 修改")
    line = status(t)
    assert "s 提交" in line and "d 删除" in line and "w 撤销" not in line
    t.keys("w")
    t.wait("这份申报现在不能这样操作")
    # The pending one: withdraw only.
    t.keys("Down")
    t.wait("w 撤销", absent=("e 修改",))
    t.keys("e")
    t.wait("这份申报现在不能这样操作")
    # The rejected one: revise only.
    t.keys("Down")
    t.wait("v 修改后重新申报", absent=("w 撤销", "e 修改"))

    # A detail and back: still on the rejected one.
    t.keys("Enter")
    t.wait("材料不全", "v 修改后重新申报")
    t.keys("Escape")
    t.wait("共 3 条申报", "v 修改后重新申报")
    # A reload (F5) and a later visit: still there.
    t.keys("F5")
    t.wait("共 3 条申报", "v 修改后重新申报")
    t.keys("Escape")
    t.wait("功能列表")
    t.open_function("申报进度查询")
    t.wait("共 3 条申报", "v 修改后重新申报")

    # Submitting the draft from the list moves it by the time it now shows: first still
    # (newest), its keys now withdraw only; the cursor follows it.
    t.keys("Up", "Up")
    t.wait("s 提交")
    t.keys("s")
    t.wait("已提交，等待审核", "w 撤销")
    assert world.value(f"SELECT state FROM declarations WHERE account_id = {aid} AND "
                       "fields->>'title' = '草稿论文'") == "pending"


def test_english_at_80_columns_keeps_labels_whole(pdaemon, world, tui):
    aid, idn = world.add_staff(UNIT, world.depts["办公室"], "进度乙")
    declaration(world, aid, "一篇很长很长很长很长很长很长的论文题目", "draft", 5)
    declaration(world, aid, "另一篇", "approved", 50)
    t = tui(80, 24)
    t.start(pdaemon, "-l", "en")
    t.wait("ID number", "Application status")     # Tui.login waits for the Chinese
    t.type(idn)
    t.keys("Tab")
    t.type(DEMO_PASSWORD)
    t.keys("Enter")
    t.wait("Function list")
    lines = t.lines()
    top = next(i for i, line in enumerate(lines) if "Function list" in line)
    row = next(i for i, line in enumerate(lines) if i > top and "Declaration progress" in line)
    t.keys(*["Down"] * (row - top - 1), "Enter")
    text = t.wait("Continuing Education · Declaration progress", "2 declarations")
    heading = next(line for line in t.lines() if "Declared" in line)
    for label in ("Declared", "Learning form", "Record name", "Year", "Hours/credits",
                  "State"):
        assert label in heading, heading
    assert "Today" in text
    row = next(line for line in t.lines() if "E2E paper" in line and "Approved" not in line)
    assert "…" in row, row                      # the long name is cut, and says so
    t.wait("e: edit", "s: submit", "d: delete")
