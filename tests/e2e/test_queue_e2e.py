"""The queue widget (tui/queue.c) behind the unit administrator's queues, in the real jxjy
TUI, in tmux, on the real daemon and PostgreSQL: paging with PgDn past the first page, the
filter line, the cursor kept after a detail and after a decision (本单位人员), tagging with
Space and a batch approval with its report (职务变更审核), and labels that are not cut in
English (完成情况统计).

Every test types keys into a private tmux server (tmux -L NAME) and reads the screen; what
was stored is checked in the database."""

import re

import pytest

from helpers import DEMO_PASSWORD, born_of, id_number
from tui_helpers import World, tui  # noqa: F401 (tui: the fixture)

UNIT, UNIT_NAME = "E2QU", "队列端测医院"


@pytest.fixture(scope="module")
def world(daemon, postgres):
    """A unit with a department and its administrator (captcha "off"), and the titles."""
    w = World(postgres, daemon.dbname)
    w.depts = w.add_unit(UNIT, UNIT_NAME, ("队列科",))
    w.admin_id, w.admin = w.add_admin(UNIT, "队管理")
    w.titles = {name: int(w.value(f"SELECT id FROM titles WHERE series = '工程' AND "
                                  f"name = '{name}'"))
                for name in ("助理工程师", "工程师")}
    return w


def add_people(world, unit, dept, prefix, n):
    """n active staff members of unit named prefix00…, each with a phone number of its own
    (13900003000 + i) and 助理工程师; returns their ID numbers."""
    rows, idns = [], []
    for i in range(n):
        idn = id_number("male")
        idns.append(idn)
        rows.append(f"('{idn}', 'active', '{prefix}{i:02d}', '{unit}', {dept}, 1, "
                    f"'{born_of(idn)}', '01', '{13900003000 + i}', "
                    f"{world.titles['助理工程师']})")
    world.sql("INSERT INTO accounts (id_number, state, name, unit_code, department_id, sex, "
              "birth_date, ethnicity, phone, title_id) VALUES " + ", ".join(rows))
    return idns


def login_admin(t, daemon, admin):
    t.start(daemon)
    t.login(admin, DEMO_PASSWORD, then="功能列表")


def test_staff_queue_pages_filters_and_keeps_the_cursor(daemon, world, tui):
    depts = world.add_unit("E2QP", "队列分页医院", ("分页科",))
    _, admin = world.add_admin("E2QP", "页队管理")
    add_people(world, "E2QP", depts["分页科"], "队页", 55)
    t = tui()
    login_admin(t, daemon, admin)
    t.open_function("本单位人员")
    text = t.wait("共 55 人", "队页00", "已显示 50 条", "PgDn 加载更多")
    assert "队页50" not in text, text

    # PgDn past the last row of the first page reads the next one.
    for _ in range(3):
        t.keys("NPage")
    t.wait("队页54", "已显示 55 条", absent=("PgDn 加载更多",))

    # The cursor stays where it was after a detail: Enter twice shows the same person.
    t.keys("Home", "Down", "Down", "Down", "Enter")
    t.wait("13900003003", "变更记录")
    t.keys("Escape")
    t.wait("本单位人员", absent=("13900003003",))
    t.keys("Down", "Enter")
    text = t.wait("13900003004", "变更记录")
    assert "13900003003" not in text, text
    t.keys("Escape")

    # The filter line: what is typed narrows the list as it is typed; Esc clears it.
    t.filter("队页1")
    text = t.wait("共 10 人", "队页19", "已显示 10 条", absent=("队页00", "队页20"))
    t.keys("Enter")		# done typing: the keys go to the list again
    t.keys("End", "Enter")
    t.wait("13900003019", "变更记录")
    t.keys("Escape")
    t.keys("/", "Escape")
    t.wait("共 55 人", "队页00", "已显示 50 条")

    # A filter that matches nobody says so.
    t.filter("无此人")
    t.wait("共 0 人")
    assert "已显示 0 条" in t.text()
    t.keys("Escape")
    t.wait("队页00")
    t.keys("Escape")
    t.wait("功能列表")
    t.quit()


def test_title_queue_tags_and_approves_in_a_batch(daemon, world, tui):
    idns = add_people(world, UNIT, world.depts["队列科"], "批审", 3)
    # A title change waiting for each, the newest for 批审00.
    world.sql("INSERT INTO profile_changes (account_id, unit_code, field, old_value, new_value, "
              "old_raw, new_raw, changed_at, kind, state) SELECT id, unit_code, 'title', "
              "'工程 / 助理级 / 助理工程师', '工程 / 中级 / 工程师', title_id::text, "
              f"'{world.titles['工程师']}', now() - substr(name, 3)::int * interval '1 minute', "
              f"'reviewed', 'pending' FROM accounts WHERE unit_code = '{UNIT}' "
              "AND name LIKE '批审%'")
    t = tui()
    login_admin(t, daemon, world.admin)
    t.open_function("职务变更审核")
    t.wait("待审核 3 人", "批审00", "批审01", "批审02", "已显示 3 条，已选 0 条")

    # Space tags the row and moves down: tag 批审00 and 批审02, not 批审01.
    t.keys("Home", "Space", "Down", "Space")
    t.wait("[x] 批审00", "[ ] 批审01", "[x] 批审02", "已选 2 条")
    t.keys("a")
    t.wait("通过所选的 2 条职务变更申请")
    t.keys("y")
    text = t.wait("审核结果", "批审00", "批审02")
    assert f"批审00（{idns[0]}）：已通过" in text, text
    assert f"批审02（{idns[2]}）：已通过" in text, text
    assert "批审01（" not in text, text
    t.keys("Enter")
    text = t.wait("2 条职务变更申请中的 2 条已通过", "待审核 1 人", "批审01",
                  absent=("审核结果",))
    assert "批审00" not in text and "批审02" not in text, text
    states = dict(line.split("|") for line in world.sql(
        "SELECT a.name, c.state FROM profile_changes c JOIN accounts a ON a.id = c.account_id "
        "WHERE a.name LIKE '批审%'").splitlines() if line)
    assert states == {"批审00": "approved", "批审01": "pending", "批审02": "approved"}, states

    # With nothing tagged, a decision goes to the row under the cursor; r asks for a reason.
    t.keys("r")
    t.wait("原因")
    t.type("证书未上传")
    t.keys("Enter")
    t.wait("审核结果", "批审01", "未通过")
    t.keys("Enter")
    t.wait("没有待审核的职务变更", absent=("批审01",))
    t.keys("Escape")
    t.wait("功能列表")
    t.quit()


def test_report_labels_are_whole_in_english(daemon, world, tui):
    add_people(world, UNIT, world.depts["队列科"], "英文", 1)
    t = tui(width=100)
    t.start(daemon, "-l", "en")
    t.wait("ID number", "Password")
    t.type(world.admin)
    t.keys("Tab")
    t.type(DEMO_PASSWORD)
    t.keys("Enter")
    t.wait("Function list")
    lines = t.lines()
    top = next(i for i, line in enumerate(lines) if "Function list" in line)
    row = next(i for i, line in enumerate(lines) if i > top and "Completion report" in line)
    for _ in range(row - top - 1):
        t.keys("Down")
    t.keys("Enter")
    t.wait("英文00")
    heading = t.line_with("ID number")
    # Each column as wide as its heading in English: nothing cut, no "…".
    for label in ("Name", "ID number", "Public", "Professional", "Total", "State"):
        assert re.search(rf"(^|\s){label}(\s|$)", heading), heading
    assert "…" not in heading, heading
    t.keys("Escape")
    t.wait("Function list")
    t.quit()


def test_an_empty_queue_paints_cleanly(daemon, world, tui):
    """A queue with nothing in it says so, and nothing but the TUI writes to the terminal (a
    sanitizer's report would land on the screen and leave the home screen's box behind)."""
    t = tui(width=80, height=24)
    login_admin(t, daemon, world.admin)
    home = t.text()
    assert "│" in home, home	# the home screen's box, which the queue must paint over
    t.open_function("学时审核")
    text = t.wait("没有等待审核的申报", "已显示 0 条，已选 0 条")
    assert "runtime error" not in text, text
    assert not any(line.startswith("│") or line.endswith("│") for line in t.lines()), text
    t.keys("Escape")
    t.wait("功能列表")
    t.quit()
