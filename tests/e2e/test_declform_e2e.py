"""The declaration form (学时学分申报) as a person meets it, in the real jxjy TUI in tmux, on
the real daemon with the learning forms shipped in etc/jxjyd.conf: every problem of an empty
form marked at once in people's words, choice fields that look like choices (a ▾, how to
open them), Space choosing on a radio group and opening a choice, every way out of a filled
form asking first with the safe answer focused, and the forms in English with -l en."""

import pytest

from conftest import module_daemon
from helpers import DEMO_PASSWORD, NOW, sample_forms_text
from tui_helpers import World, tui  # noqa: F401 (tui: the fixture)

UNIT, UNIT_NAME = "E2DF", "表单端测单位"


@pytest.fixture(scope="module")
def ddaemon(postgres, migrated_template, tmp_path_factory):
    forms = "learning_forms = (\n" + sample_forms_text() + ");"
    yield from module_daemon(postgres, migrated_template, tmp_path_factory, "jxjyd-declform-e2e",
                             {"declarations": {"max_attachment": 1024 * 1024}}, forms)


@pytest.fixture(scope="module")
def world(ddaemon, postgres):
    w = World(postgres, ddaemon.dbname)
    w.depts = w.add_unit(UNIT, UNIT_NAME, ("办公室",))
    return w


def count_declarations(world, aid):
    return int(world.value(f"SELECT count(*) FROM declarations WHERE account_id = {aid}"))


def open_paper(t, daemon, idn):
    """Log in and open 学时学分申报 on the form 论文 (focus on its first field)."""
    t.start(daemon)
    t.login(idn, then="功能列表")
    t.open_function("学时学分申报")
    t.wait("学术会议", "论文")
    t.type("论文")
    t.keys("Enter")
    t.wait("论文题目", "计入年度")


def test_every_problem_at_once_and_choices_look_like_choices(ddaemon, world, tui):
    aid, idn = world.add_staff(UNIT, world.depts["办公室"], "表单甲")
    t = tui()
    open_paper(t, ddaemon, idn)

    # A choice field says it is one: a ▾ at its box's end and how to open it.
    line = t.line_with("刊物级别")
    assert "▾" in line and "按 Enter 选择" in line, line
    assert "▾" not in t.line_with("论文题目")
    # A ranking says its range.
    assert "[1-3" in t.line_with("作者排名")
    t.keys("Down", "Down", "Down")          # 发表刊物, 刊号, 刊物级别
    t.wait("Enter 或空格 打开选项")

    # Submit the empty form: every problem beside its field, at once, one round trip.
    for _ in range(6):                       # 发表日期, 作者排名, 计入年度, 学时, 附件, 提交
        t.keys("Down")
    t.keys("Enter")
    text = t.wait("请更正标出的")
    assert "请填写论文题目" in t.line_with("论文题目"), text
    assert "请填写发表刊物" in t.line_with("发表刊物"), text
    assert "请选择刊物级别" in t.line_with("刊物级别"), text
    assert "请填写发表日期" in t.line_with("发表日期"), text
    assert "请填写作者排名" in t.line_with("作者排名"), text
    assert "请填写学时" in t.line_with("* 学时"), text
    # The sentence is cut at the box's border, with "…" (read whole on the message line
    # when the field has the focus).
    assert "这种学习" in t.line_with("附件文件"), text
    assert "缺少参数" not in text and "刊号" in text and "请填写刊号" not in text
    assert count_declarations(world, aid) == 0

    # The focus is on the first field at fault: typing there corrects it, and its error
    # goes at once; the others stay.
    t.type("基层卫生")
    t.wait("基层卫生", absent=("请填写论文题目",))
    assert "请填写发表刊物" in t.line_with("发表刊物")

    # Space on a choice opens it; the choice is made from the list.
    t.keys("Down", "Down", "Down")
    t.keys("Space")
    t.wait("国家级核心")
    t.keys("Down", "Enter")
    t.wait("[国家级核心")
    assert "请选择刊物级别" not in t.line_with("刊物级别")

    # A rank as people write it, full-width digits for the hours; a date in the future.
    t.keys("Down")
    t.type(f"{NOW + 1}-01-01")
    t.keys("Down")
    t.type("第二")
    t.keys("Down")                           # 计入年度: Right moves, Space keeps it
    t.keys("Right")
    t.wait(f"(*) {NOW - 1}")
    t.keys("Space")
    t.wait(f"(*) {NOW - 1}")
    assert f"( ) {NOW}" in t.line_with("计入年度")
    t.keys("Left")
    t.wait(f"(*) {NOW}")
    t.keys("Down")
    t.type("８")
    for _ in range(3):                       # 附件, 提交, 保存暂不提交
        t.keys("Down")
    t.keys("Enter")
    t.wait("不能晚于今天")
    assert "不能晚于今天" in t.line_with("发表日期")
    assert "请填写发表刊物" in t.line_with("发表刊物")
    assert count_declarations(world, aid) == 0


def test_every_way_out_of_a_filled_form_asks(ddaemon, world, tui):
    aid, idn = world.add_staff(UNIT, world.depts["办公室"], "表单乙")
    t = tui()
    open_paper(t, ddaemon, idn)
    # Untouched: Esc leaves at once.
    t.keys("Escape")
    t.wait("功能列表")
    t.open_function("学时学分申报")
    t.wait("学术会议")
    t.type("论文")
    t.keys("Enter")
    t.wait("论文题目")
    t.type("不该丢失的题目")

    # Esc asks; Enter alone answers the focused, safe 否: the input is still there.
    t.keys("Escape")
    t.wait("不保存就离开吗")
    t.keys("Enter")
    t.wait("不该丢失的题目", absent=("不保存就离开吗",))

    # [返回] asks the same.
    for _ in range(9):                       # down to 提交, then right to 返回
        t.keys("Down")
    t.keys("Right", "Right")
    t.keys("Enter")
    t.wait("不保存就离开吗")
    t.keys("Enter")
    t.wait("不该丢失的题目", absent=("不保存就离开吗",))

    # F10 asks too.
    t.keys("F10")
    t.wait("不保存就退出吗")
    t.keys("Enter")
    t.wait("不该丢失的题目", absent=("不保存就退出吗",))

    # Saying yes leaves; nothing was stored.
    t.keys("Escape")
    t.wait("不保存就离开吗")
    t.keys("y")
    t.wait("功能列表")
    assert count_declarations(world, aid) == 0


def test_english_form_names(ddaemon, world, tui):
    aid, idn = world.add_staff(UNIT, world.depts["办公室"], "表单丙")
    t = tui()
    t.start(ddaemon, "-l", "en")
    t.wait("ID number")
    t.type(idn)
    t.keys("Tab")
    t.type(DEMO_PASSWORD)
    t.keys("Enter")
    lines = t.wait("Function list") and t.lines()
    top = next(i for i, line in enumerate(lines) if "Function list" in line)
    row = next(i for i, line in enumerate(lines) if i > top and "Declare hours" in line)
    for _ in range(row - top - 1):
        t.keys("Down")
    t.keys("Enter")
    text = t.wait("Academic conference", "Paper", "Patent")
    assert "论文" not in text and "学术会议" not in text
    t.type("Paper")
    t.keys("Enter")
    text = t.wait("Paper title", "Journal", "Journal level", "Author rank")
    assert "论文题目" not in text and "发表刊物" not in text
    for ch in "（）：，。":
        assert ch not in text, (ch, text)

    # The choices in English; every problem in English.
    t.keys("Down", "Down", "Down")
    t.keys("Enter")
    t.wait("National core", "International")
    t.keys("Escape")
    for _ in range(6):
        t.keys("Down")
    t.keys("Enter")
    text = t.wait("fill in Paper title", "choose Journal level")
    assert "fill in hours" in text
    for ch in "（）：，。":
        assert ch not in text, (ch, text)
    assert count_declarations(world, aid) == 0


def test_a_session_ending_keeps_the_input(ddaemon, world, tui):
    aid, idn = world.add_staff(UNIT, world.depts["办公室"], "表单丁")
    t = tui()
    open_paper(t, ddaemon, idn)
    t.type("会话结束前的题目")
    t.keys("Down")
    t.type("某某学报")

    # The password changed elsewhere: this session ends under the form.
    new = "Declform-New-Pass-7"
    with ddaemon.rpc() as other:
        other.result("session.login", {"id_number": idn, "password": DEMO_PASSWORD})
        other.result("account.change_password", {"old_password": DEMO_PASSWORD,
                                                 "new_password": new,
                                                 "new_password_confirm": new})
    t.wait("会话已结束")
    t.keys("Enter")
    t.login(idn, new, then="功能列表")

    # The next declaration screen offers the input back, as it was.
    t.open_function("学时学分申报")
    t.wait("要继续填写吗")
    t.keys("y")
    t.wait("会话结束前的题目", "某某学报", "[论文")
    # Still unsaved: leaving asks.
    t.keys("Escape")
    t.wait("不保存就离开吗")
    t.keys("y")
    t.wait("功能列表")
    # Offered once: the next time starts with the choice of a form.
    t.open_function("学时学分申报")
    t.wait("学术会议", absent=("要继续填写吗",))
    assert count_declarations(world, aid) == 0
