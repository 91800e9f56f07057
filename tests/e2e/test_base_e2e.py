"""基地学时申报 end to end in the real jxjy TUI, in tmux, on the real daemon and PostgreSQL:
a training base's administrator creates a class (its form's own fields, every mistake
beside its field at once), imports a GB18030 roster file with one bad row, reads the error
(line, ID number, name, reason), fixes the row and reports the class; the unit
administrator approves the record; the staff member sees it in 申报进度查询 (基地学时申报,
with the base and the class) and its hours in 年度完成情况.  Also: rows pasted as copied
from Excel (tab-separated), a draft deleted after a confirmation.

Every test types keys into a private tmux server (tmux -L NAME) and reads the screen; what
was stored is checked in the database."""

import re
import subprocess

import pytest

from conftest import SSH_OPTIONS, module_daemon
from helpers import NO_AGENT, NOW, logged_in
from tui_helpers import World, tui  # noqa: F401 (tui: the fixture)

UNIT, UNIT_NAME = "E2BS", "基地端测单位"
BASE, BASE_NAME = "E2B01", "端测医学培训中心"
ADMIN_NAME = "基地端测审核员"

FORMS_TEXT = """learning_forms = (
	{
		code = "e2e_base_course";
		name = "端测基地培训班"; name_en = "E2E base course";
		category = "professional";
		counts = "hours";
		attachment = "optional";
		fields = (
			{ key = "organiser"; label = "主办单位"; label_en = "Organiser"; type = "text"; required = true; }
		);
	}
);"""


@pytest.fixture(scope="module")
def bdaemon(postgres, migrated_template, tmp_path_factory):
    yield from module_daemon(postgres, migrated_template, tmp_path_factory, "jxjyd-base-e2e",
                             None, FORMS_TEXT)


@pytest.fixture(scope="module")
def world(bdaemon, postgres):
    w = World(postgres, bdaemon.dbname)
    w.depts = w.add_unit(UNIT, UNIT_NAME, ("护理部",))
    w.admin_id, w.admin = w.add_admin(UNIT, ADMIN_NAME)
    w.add_base(BASE, BASE_NAME, forms=("e2e_base_course",))
    return w


def login(t, daemon, idn):
    t.start(daemon)
    t.login(idn, then="功能列表")


def new_class(t, name):
    """On the base's classes: n, the form filled in (name, form, organiser, dates, year,
    hours) and saved; waits for the roster that opens then."""
    t.keys("n")
    t.wait("新建班次", "班次名称")
    t.type(name)
    t.keys("Tab", "Enter")                # 学习形式: the menu of the base's forms
    t.wait("端测基地培训班")
    t.keys("Enter")
    t.wait("主办单位")
    t.keys("Tab")
    t.type("省护理学会")
    t.keys("Tab")
    t.type(f"{NOW}-01-10")
    t.keys("Tab")
    t.type(f"{NOW}-01-11")
    t.keys("Tab", "Tab")                  # 计入年度: this year, chosen already
    t.type("8")
    t.keys("Tab", "Tab", "Enter")         # no class document; 保存
    t.wait("班次名单", name)


def classes(world):
    return world.rows("SELECT name, state FROM base_classes WHERE base_code = "
                      f"'{BASE}' AND state <> 'deleted' ORDER BY id")


def test_import_fix_report_approve_and_the_person_sees_it(bdaemon, world, tui, tmp_path):
    aid, idn = world.add_staff(UNIT, world.depts["护理部"], "孙端测")
    _, other_idn = world.add_staff(UNIT, world.depts["护理部"], "钱端测")
    _, base_admin = world.add_base_admin(BASE, "李培训")
    t = tui(80, 24)                       # the base's screens fit the smallest terminal
    login(t, bdaemon, base_admin)
    assert BASE_NAME in t.text() and "继续教育基地管理员" in t.text()
    t.open_function("基地班次管理")
    t.wait("还没有班次", BASE_NAME)

    # A class with mistakes first: every one beside its field at once, nothing lost.
    t.keys("n")
    t.wait("新建班次", "班次名称")
    t.type("护理新进展培训班")
    t.keys("Tab", "Enter")
    t.wait("端测基地培训班")
    t.keys("Enter")
    t.wait("主办单位")
    t.keys("Tab", "Tab")
    t.type(f"{NOW}-01-11")
    t.keys("Tab")
    t.type(f"{NOW}-01-10")                # before the start
    t.keys("Tab", "Tab", "Tab", "Tab", "Enter")  # no hours, no document; 保存
    t.wait("请填写主办单位")
    assert "护理新进展培训班" in t.line_with("班次名称")
    assert "应大于 0" in t.line_with("每人学时")
    assert classes(world) == []
    # Put right, from the first field marked.
    t.type("省护理学会")
    t.keys("Tab")
    for _ in range(10):
        t.keys("BSpace")
    t.type(f"{NOW}-01-10")
    t.keys("Tab")
    for _ in range(10):
        t.keys("BSpace")
    t.type(f"{NOW}-01-11")
    t.keys("Tab", "Tab")
    t.type("8")
    # The class document, a PDF of this computer, uploaded when the class is saved.
    notice = tmp_path / "培训通知.pdf"
    notice.write_bytes(b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")
    t.keys("Tab")
    t.type(str(notice))
    t.keys("Tab", "Enter")
    t.wait("班次名单", "护理新进展培训班", "名单为空")
    assert classes(world) == [["护理新进展培训班", "draft"]]
    assert world.value("SELECT name || ' ' || mime FROM base_class_attachments") == \
        "培训通知.pdf application/pdf"

    # The roster from a CSV file as Chinese Excel saves it: GB18030, a heading, one bad
    # row (the name is not the one registered with the ID number).
    roster = tmp_path / "名单.csv"
    roster.write_bytes(("身份证号,姓名,学时\n"
                        f"{idn},孙端测,8\n"
                        f"{other_idn},钱错名,6\n").encode("gb18030"))
    t.keys("i")
    t.wait("导入 CSV 文件")
    t.type(str(roster))
    t.keys("Enter")
    text = t.wait("文件编码", "GB18030", "有误的行")
    assert "第 3 行" in text and other_idn in text and "钱错名" in text
    assert "姓名与这个身份证号注册的姓名不一致" in text
    t.keys("Escape")
    t.wait("草稿 · 2 人 · 1 行有误", "钱错名")
    assert "!" in t.line_with("钱错名")

    # The report is refused while the bad row remains, and says why.
    t.keys("r")
    t.wait("报送“护理新进展培训班”")
    t.keys("y")
    t.wait("第 3 行", "钱错名")
    t.keys("Enter")
    assert classes(world) == [["护理新进展培训班", "draft"]]

    # Fix the row: c, the row typed again.
    t.keys("End")
    t.keys("c")
    t.wait("修改名单行")
    t.type(f"{other_idn},钱端测,6")
    t.keys("Enter")
    t.wait("草稿 · 2 人", absent=("· 1 行有误",))
    assert "!" not in t.line_with("钱端测")

    # Report it.
    t.keys("r")
    t.wait("报送“护理新进展培训班”")
    t.keys("y")
    t.wait("已报送：生成 2 条记录")
    assert classes(world) == [["护理新进展培训班", "reported"]]
    # Each row has its record now, waiting for the unit.
    t.wait("已报送 · 2 人 (待审核 2)")
    assert "待审核" in t.line_with("孙端测") and "待审核" in t.line_with("钱端测")
    t.keys("Escape")
    t.wait("基地班次管理", "护理新进展培训班")
    # The list counts the report's records the units approved, of all: none yet.
    assert t.line_with("护理新进展培训班").rstrip().endswith("0/2")
    # g: the class document back, byte for byte.
    t.keys("g")
    t.wait("下载")
    back = tmp_path / "back.pdf"
    t.type(str(back))
    t.keys("Enter")
    t.wait("已保存")
    t.keys("Enter")
    assert back.read_bytes() == notice.read_bytes()

    # The unit administrator approves 孙端测's record.
    admin = tui()
    login(admin, bdaemon, world.admin)
    admin.open_function("学时审核")
    admin.wait("孙端测", "端测基地培训班")
    admin.filter("孙端测")
    admin.keys("Enter")                   # the filter typed; the list has 孙端测 alone
    admin.wait("孙端测", absent=("钱端测",))
    admin.keys("a")
    admin.wait("审核通过")
    admin.keys("y")
    admin.wait("1 份中的 1 份已通过")
    admin.keys("Enter")
    state = world.value(f"SELECT state FROM declarations WHERE account_id = {aid}")
    assert state == "approved"

    # The base's list, read again, counts the approval; then the roster again: the row
    # approved, the other still waiting.
    t.keys("F5")
    t.term.wait_for(lambda text: re.search(r"护理新进展培训班.*\b1/2 *$", text, re.M),
                    what="1/2 approved on the class's line")
    t.keys("Enter")
    t.wait("班次名单", "已报送 · 2 人", "审核通过")
    assert "审核通过" in t.line_with("孙端测") and "待审核" in t.line_with("钱端测")

    # The person: 申报进度查询 shows the base's record, 年度完成情况 its hours.
    s = tui()
    login(s, bdaemon, idn)
    s.open_function("申报进度查询")
    text = s.wait("基地学时申报")
    s.keys("Enter")
    text = s.wait(BASE_NAME, "护理新进展培训班")
    s.keys("Escape")
    s.keys("Escape")
    s.wait("功能列表")
    s.open_function("年度完成情况")
    text = s.wait(str(NOW))
    assert "8" in s.line_with(str(NOW))


def test_rows_pasted_from_excel_and_a_draft_deleted(bdaemon, world, tui):
    _, idn = world.add_staff(UNIT, world.depts["护理部"], "周粘贴")
    _, base_admin = world.add_base_admin(BASE, "王培训")
    t = tui(80, 24)
    login(t, bdaemon, base_admin)
    t.open_function("基地班次管理")
    t.wait(BASE_NAME)
    new_class(t, "粘贴名单培训班")
    # Two rows as copied from Excel: cells by tabs, one without hours, one bad ID number.
    t.keys("a")
    t.wait("添加名单")
    t.type(f"{idn}\t周粘贴")
    t.keys("Enter")
    t.type("110101199001011234\t无效号\t4")
    t.keys("Enter", "Enter")
    text = t.wait("有误的行", "身份证号无效")
    assert "无效号" in text
    t.keys("Escape")
    t.wait("草稿 · 2 人 · 1 行有误", "周粘贴")
    # The row without hours has the class's 8.
    assert "8" in t.line_with("周粘贴")
    # The bad row removed with x.
    t.keys("End", "x")
    t.wait("删除 1 行")
    t.keys("y")
    t.wait("草稿 · 1 人", absent=("· 1 行有误",))
    assert "无效号" not in t.text()
    t.keys("Escape")
    t.wait("粘贴名单培训班", "草稿")

    # e changes the draft: its values in the form, the name changed and saved.
    t.keys("e")
    t.wait("修改班次", "省护理学会", f"{NOW}-01-10")
    assert "粘贴名单培训班" in t.line_with("班次名称")
    t.type("二期")
    t.keys("Up", "Up", "Enter")         # from the first field: [返回], [保存]
    t.wait("班次已保存", "粘贴名单培训班二期")
    assert ["粘贴名单培训班二期", "draft"] in classes(world)

    # d deletes the draft after a confirmation.
    t.keys("d")
    t.wait("删除后不能恢复")
    t.keys("n")                           # not confirmed: kept
    t.wait("粘贴名单培训班二期")
    assert ["粘贴名单培训班二期", "draft"] in classes(world)
    t.keys("d")
    t.wait("删除后不能恢复")
    t.keys("y")
    t.wait("班次已删除")
    assert ["粘贴名单培训班二期", "draft"] not in classes(world)



def scp_to_inbox(text, path, port):
    """Run the inbox's scp command shown in text (a screen) for the file path, as the
    person would on their own computer."""
    m = re.search(r"scp -P (\d+) FILE (inbox-[A-Z0-9]{10})@([0-9.]+):", text)
    assert m and int(m.group(1)) == port, text
    port, token, host = m.groups()
    r = subprocess.run(["scp", *SSH_OPTIONS, *NO_AGENT, "-P", port, str(path),
                        f"{token}@{host}:"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


SSH_TUI = ("ssh -tt -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
           "-o LogLevel=ERROR -o IdentityAgent=none -o IdentitiesOnly=yes -p {port} localhost; "
           "echo EXITED=$?")


def test_served_tui_imports_from_the_inbox(bdaemon, world, tui, tmp_path):
    """The TUI served over ssh -t cannot read the person's file: it shows the inbox's scp
    command; the file sent with it, r lists it, 1 imports it."""
    _, idn = world.add_staff(UNIT, world.depts["护理部"], "吴远程")
    _, base_admin = world.add_base_admin(BASE, "郑培训")
    with logged_in(bdaemon, base_admin, logout=True) as s:
        s.result("class.save", {"name": "远程导入培训班", "form": "e2e_base_course",
                                "fields": {"organiser": "省护理学会"},
                                "start_date": f"{NOW}-01-10", "end_date": f"{NOW}-01-11",
                                "year": NOW, "amount": 8})
    t = tui(80, 24)
    t.term.send_line(SSH_TUI.format(port=bdaemon.port))
    t.login(base_admin, then="功能列表")
    t.keys("Enter")
    t.wait("基地班次管理", "远程导入培训班")
    t.keys("Enter")
    t.wait("班次名单", "名单为空")
    t.keys("i")
    text = t.wait("scp -P", "收件箱", "r 刷新")
    # Sent as it says, from "their computer": a GB18030 file as Excel saves it.
    roster = tmp_path / "名单.csv"
    roster.write_bytes(f"身份证号,姓名\n{idn},吴远程\n".encode("gb18030"))
    scp_to_inbox(text, roster, bdaemon.port)
    t.keys("r")
    t.wait("1. 名单.csv", "1-5 导入该文件")
    t.keys("1")
    t.wait("文件编码", "GB18030")
    t.keys("Escape")
    t.wait("草稿 · 1 人", "吴远程")
    t.quit()


def withdraw_row(t, where, then):
    """x on the roster's row at where (Home, End), agreed to; wait for then."""
    t.keys(where, "x")
    t.wait("从报送中撤回 1 行")
    t.keys("y")
    t.wait(then)


def test_corrections_before_and_after_a_decision(bdaemon, world, tui):
    """A reported class: c changes a row's hours while nothing is decided; once the unit
    decided one record, neither it nor the whole report can be taken back (the refusals
    name why), but a row still waiting can (x)."""
    aid, a = world.add_staff(UNIT, world.depts["护理部"], "冯更正")
    bid, b = world.add_staff(UNIT, world.depts["护理部"], "陈更正")
    _, base_admin = world.add_base_admin(BASE, "褚培训")
    with logged_in(bdaemon, base_admin, logout=True) as s:
        cid = s.result("class.save", {"name": "更正测试培训班", "form": "e2e_base_course",
                                      "fields": {"organiser": "省护理学会"},
                                      "start_date": f"{NOW}-01-10", "end_date": f"{NOW}-01-11",
                                      "year": NOW, "amount": 8})["id"]
        s.result("roster.add", {"class_id": cid, "rows": [{"id_number": a, "name": "冯更正"},
                                                          {"id_number": b, "name": "陈更正"}]})
        version = s.result("class.get", {"id": cid})["version"]
        s.result("class.report", {"id": cid, "version": version})
    t = tui(80, 24)
    login(t, bdaemon, base_admin)
    t.keys("Enter")
    t.wait("基地班次管理", "更正测试培训班")
    t.keys("Enter")
    t.wait("班次名单", "已报送 · 2 人", "c:修改学时")

    # c: 冯更正's hours, 8 -> 5, in the record too.
    t.keys("Home", "c")
    t.wait("修改学时", "冯更正")
    t.type("5")
    t.keys("Enter")
    t.wait("冯更正 的学时已改为 5")
    assert "5.00" in t.line_with("冯更正")
    assert world.value(f"SELECT trim_scale(amount) FROM declarations WHERE account_id = {aid}") == "5"

    # The unit approves 冯更正's record.
    with logged_in(bdaemon, world.admin, logout=True) as s:
        did = int(world.value(f"SELECT id FROM declarations WHERE account_id = {aid}"))
        s.result("review.approve_declarations", {"ids": [did]})
    t.keys("F5")
    t.wait("审核通过")
    # The head line counts the records by state.
    t.wait("已报送 · 2 人 (待审核 1 · 审核通过 1)")

    # The decided row cannot be withdrawn, nor the whole report; each refusal says why.
    withdraw_row(t, "Home", "冯更正 的记录已审核")     # on the message line
    t.keys("w")
    t.wait("撤回“更正测试培训班”")
    t.keys("y")
    t.wait("不能整体撤回")
    t.keys("Enter")
    assert world.value(f"SELECT state FROM base_classes WHERE id = {cid}") == "reported"

    # The row still waiting can.
    withdraw_row(t, "End", "已撤回 1 行，收回 1 条记录")
    assert "已撤回" in t.line_with("陈更正")
    assert world.value(f"SELECT count(*) FROM declarations WHERE account_id = {bid}") == "0"
    t.quit()
