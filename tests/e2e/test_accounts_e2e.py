"""The accounts screens of the real jxjy TUI, in tmux, on the real daemon and PostgreSQL:
registering through the form and its pickers, a unit administrator approving in the
review queue, the new person logging in to the function list; the login errors, the
verification code, the application status, the password, the SSH key login, and what the
TUI does when the server ends the session.

Every test types keys into a private tmux server (tmux -L NAME) and reads the screen; what
was stored is checked in the database."""

import os
import re
import signal
import subprocess
import time
from datetime import date

import pytest

from helpers import DEMO_PASSWORD, PASSWORD, born_of, id_number
from tui_helpers import World, exit_status, tui  # noqa: F401 (tui: the fixture)

UNIT, UNIT_NAME = "E2EA", "端到端测试医院"
OTHER_UNIT, OTHER_UNIT_NAME = "E2EB", "端到端测试研究院"
STAFF_FUNCTIONS = ["用户资料管理", "学时学分申报", "申报进度查询", "年度完成情况"]
PICTURE_ROW = re.compile(r"^[ │|]*[│|] .*##.*[│|]", re.M)


@pytest.fixture(scope="module")
def world(daemon, postgres):
    """Two units with departments and an administrator of each (captcha "off")."""
    w = World(postgres, daemon.dbname)
    w.depts = w.add_unit(UNIT, UNIT_NAME, ("办公室", "技术部"))
    w.other_depts = w.add_unit(OTHER_UNIT, OTHER_UNIT_NAME, ("综合处",))
    w.admin_id, w.admin = w.add_admin(UNIT, "端管理")
    w.admin2_id, w.admin2 = w.add_admin(UNIT, "另一管理")
    return w


def pick(t, field_label, filter_text, expect):
    """Open the picker of the focused field, filter, choose the first item with Enter, and
    wait for the choice to show on the field's line."""
    t.keys("Enter")
    t.wait("筛选", "Enter 选定")
    t.type(filter_text)
    t.wait(expect)
    t.keys("Enter")
    t.wait(expect, absent=("Enter 选定",))
    assert expect in t.line_with(field_label), t.text()


def picture(t):
    """The rows of the verification code's picture on the screen (captcha.c inks it
    with any of #@%&$*, two cells wide at least)."""
    return [line for line in t.lines() if re.search(r"[#@%&$*]{2}", line)]


# --- the whole way: register, approve, log in -------------------------------------------

def test_register_approve_then_log_in(daemon, world, tui, postgres):
    idn = id_number("male", born=date(1990, 5, 17))
    major = world.value("SELECT code FROM majors WHERE active AND name LIKE '%计算机%' "
                        "ORDER BY code LIMIT 1")
    title = world.value("SELECT id FROM titles WHERE series = '工程' AND name LIKE '%助理%'")
    staff = tui()
    staff.start(daemon)
    text = staff.wait("身份证号", "密码", "登录", "注册", "注册进度查询")
    # security.captcha = "off": no field, no picture.
    assert "验证码" not in text and not picture(staff), text

    # 注册: the last-but-one button, reached backwards from the ID number.
    staff.keys("BTab", "BTab", "Enter")
    staff.wait("账户信息", "个人信息", "用人单位所属区域")
    staff.type(idn)
    staff.keys("Tab")
    staff.type(PASSWORD)
    staff.keys("Tab")
    staff.type(PASSWORD)
    staff.keys("Tab")
    staff.type("13912345678")
    staff.keys("Tab")
    staff.type("duanmu@example.com")
    staff.keys("Tab")
    pick(staff, "用人单位所属区域", "郑州", "郑州市")
    staff.keys("Tab")
    pick(staff, "所在单位", "端到端测试医", UNIT_NAME)  # 研究院 sorts first (pinyin)
    staff.keys("Tab")
    pick(staff, "所属工作部门", "技术", "技术部")
    staff.keys("Tab")
    staff.type("端木测试")
    staff.keys("Tab")
    # Sex and birth date came from the ID number.
    text = staff.wait("1990-05-17", "(*) 男")
    assert "( ) 女" in text
    staff.keys("Tab", "Tab")
    pick(staff, "民族", "汉", "汉族")
    staff.keys("Tab")
    staff.type("河南省郑州市")
    staff.keys("Tab")
    staff.type("郑州大学")
    staff.keys("Tab")
    pick(staff, "所学专业", "计算机", "计算机")
    staff.keys("Tab", "Enter")
    staff.wait("筛选", "高等学校教师")	# the series first
    staff.type("工程")
    staff.keys("Enter")
    staff.wait("工程 · 助理工程师")	# then a title of that series
    staff.type("助理")
    staff.keys("Enter")
    staff.wait("工程 · 助理工程师", absent=("Enter 选定",))
    staff.keys("Tab")
    pick(staff, "学历", "本科", "大学本科")
    staff.keys("Tab", "Enter")
    staff.wait("注册信息已经提交审核")
    staff.keys("Enter")
    staff.wait("身份证号", "注册进度查询", absent=("账户信息",))

    acc = world.account(idn)
    assert acc is not None, "the registration was not stored"
    assert acc["state"] == "pending"
    assert acc["name"] == "端木测试"
    assert acc["unit_code"] == UNIT
    assert int(acc["department_id"]) == world.depts["技术部"]
    assert acc["sex"] == "1" and acc["birth_date"] == "1990-05-17"
    assert acc["ethnicity"] == "01"
    assert acc["native_place"] == "河南省郑州市" and acc["school"] == "郑州大学"
    assert acc["major_code"] == major and acc["title_id"] == title
    assert acc["education_level"] == "21"
    assert acc["phone"] == "13912345678" and acc["email"] == "duanmu@example.com"

    # Not reviewed yet: the seed's sentence.
    staff.login(idn, PASSWORD)
    staff.wait("此账号还未被审核")

    # The unit administrator approves it in the review queue.
    admin = tui()
    admin.start(daemon)
    admin.login(world.admin, DEMO_PASSWORD)
    admin.wait("端管理", UNIT_NAME, "注册审核")
    admin.keys("Enter")
    text = admin.wait("端木测试", idn)
    row = admin.line_with(idn)
    assert "端木测试" in row and "男" in row and "技术部" in row, text
    # Newest first: the one registered just now is the first row of the list.
    rows = [line for line in admin.lines() if re.search(r"\[[ x]\] ", line)]
    assert idn in rows[0], text
    # Enter: every field and the history.
    admin.keys("Enter")
    text = admin.wait("变更记录", "助理工程师", "计算机", "duanmu@example.com")
    assert "待审核" in text
    admin.keys("Escape")
    admin.wait("端木测试", absent=("变更记录",))
    admin.keys("a")
    admin.wait("通过 端木测试")
    admin.keys("y")
    admin.wait("审核结果", "已通过")
    admin.keys("Enter")
    admin.wait("待审核", absent=("端木测试", "审核结果"))
    acc = world.account(idn)
    assert acc["state"] == "active" and int(acc["decided_by"]) == world.admin_id
    admin.keys("Escape")
    admin.wait("注册审核", "功能列表")
    admin.quit()

    # Now the new staff member logs in and sees the function list.
    staff.keys("BTab", "C-u")	# what was typed is still there: type it again
    staff.type(idn)
    staff.keys("Tab", "C-u")
    staff.type(PASSWORD)
    staff.keys("Enter")
    text = staff.wait(*STAFF_FUNCTIONS, "端木测试", UNIT_NAME)
    assert "注册审核" not in text
    # 学时学分申报 where no learning form is configured: said, and back home.
    staff.keys("Down", "Enter")
    staff.wait("目前没有可申报的学习形式")
    staff.keys("Enter")
    # 退出登录 from the user menu: back to the login screen.
    staff.keys("F2")
    staff.wait("修改密码", "退出登录")
    staff.keys("Down", "Enter")
    staff.wait("身份证号", "注册进度查询", absent=("功能列表",))
    staff.quit()


# --- login errors -----------------------------------------------------------------------

def test_login_errors_are_the_servers(daemon, world, tui):
    _, rejected = world.add_staff(UNIT, world.depts["办公室"], "被退回", state="rejected",
                                  reject_reason="部门选择有误，请重新注册")
    t = tui()
    t.start(daemon)
    t.login(world.admin, "Not-The-Password-1")
    t.wait("账户或密码错误")
    # The password is gone and the cursor waits in it for another try.
    assert "*" not in t.line_with("密码 "), t.text()
    t.type(DEMO_PASSWORD)
    t.keys("Enter")
    t.wait("功能列表", "注册审核")
    t.keys("F2")
    t.wait("退出登录")
    t.keys("Down", "Enter")
    t.wait("注册进度查询")
    t.login(rejected, DEMO_PASSWORD)
    t.wait("部门选择有误，请重新注册")
    t.quit()


def test_wrong_verification_code(make_daemon, tui):
    d = make_daemon(config={"security": {"captcha": "always"}})
    t = tui()
    t.start(d)
    text = t.wait("验证码", "刷新验证码", "F5")
    first = picture(t)
    assert len(first) >= 5, f"no picture of the code:\n{text}"
    # The picture never gives the characters away as text.
    inside = "".join(line.strip(" │") for line in first)
    assert not re.search(r"[A-Za-z0-9]", inside), text

    t.keys("F5")
    t.term.wait_for(lambda s: picture(t) != first, what="a new picture after F5")
    second = picture(t)

    t.type(id_number())
    t.keys("Tab")
    t.type(PASSWORD)
    t.keys("Tab")
    t.type("ZZZZ")
    t.keys("Enter")
    t.wait("验证码错误")
    assert "验证码错误" in t.line_with("验证码 "), t.text()
    # A code is good for one try: a new one is shown at once.
    t.term.wait_for(lambda s: picture(t) != second and len(picture(t)) >= 5,
                    what="a new picture after the failed login")
    t.quit()


# --- the registration form ----------------------------------------------------------------

def register_error(daemon, params):
    """The message account.register answers params with (it must refuse them)."""
    with daemon.rpc() as rpc:
        reply = rpc.call("account.register", params)
    assert "error" in reply, reply
    return reply["error"]["message"]


def assert_beside(t, label, message):
    """The server's message ("label: sentence") stands on the line of the field labelled
    label, its sentence after its box (as much of it as fits), and whole on the message
    line."""
    line = t.line_with(label + " ")
    beside = line.split("]", 1)[1].strip(" │")
    sentence = message.split(": ", 1)[-1]
    assert beside and sentence.startswith(beside[:6]), f"{message!r} not beside {label}:\n" \
        + t.text()
    assert message in t.text(), t.text()


def test_registration_errors_beside_their_fields(daemon, world, tui):
    idn = id_number("female", born=date(1988, 2, 29))
    account = {"id_number": idn, "password": PASSWORD, "password_confirm": PASSWORD,
               "phone": "12345", "email": "x@example.com"}
    bad_phone = register_error(daemon, dict(
        account, unit=UNIT, department_id=world.depts["办公室"], name="错号码",
        sex="female", birth_date="1988-02-29", ethnicity="01"))

    t = tui(80, 24)
    t.start(daemon)
    t.wait("注册进度查询")
    t.keys("BTab", "BTab", "Enter")
    t.wait("账户信息")
    # 80x24: the form is taller than the screen and scrolls.
    assert "学历" not in t.text()
    t.type(idn)
    t.keys("Tab")
    t.type(PASSWORD)
    t.keys("Tab")
    t.type(PASSWORD)
    t.keys("Tab")
    t.type("12345")	# no mobile number
    t.keys("Tab")
    t.type("x@example.com")
    for _ in range(13):
        t.keys("Tab")
    t.wait("学历", "[ 注册 ]")
    # The too-small notice, then the form as it was.
    t.term.resize(70, 20)
    t.wait(re.compile("太小"))
    t.term.resize(80, 24)
    t.wait("学历", "[ 注册 ]", absent=("太小",))

    # Nothing chosen: every problem at once, each beside its field, in people's words.
    t.keys("Enter")
    t.wait("请选择所在单位", "请选择所属工作部门", "请填写姓名", "请选择民族")
    assert_beside(t, "所在单位", "请选择所在单位")
    assert t.line_with("手机号码 ").split("]", 1)[1].strip(" │").startswith("应为以 1")
    assert "缺少参数" not in t.text()
    assert world.account(idn) is None

    # The cursor is on the first, 手机号码; choose what is missing, the phone stays wrong.
    t.keys("Tab", "Tab")
    pick(t, "用人单位所属区域", "郑州", "郑州市")
    t.keys("Tab")
    pick(t, "所在单位", "端到端测试医", UNIT_NAME)
    t.keys("Tab")
    pick(t, "所属工作部门", "办公", "办公室")
    t.keys("Tab")
    t.type("错号码")
    t.keys("Tab", "Tab", "Tab")
    pick(t, "民族", "01", "汉族")	# a code works as a filter too
    for _ in range(6):
        t.keys("Tab")
    t.wait("[ 注册 ]")
    t.keys("Enter")
    t.wait(bad_phone, "手机号码")
    assert_beside(t, "手机号码", bad_phone)
    assert "请选择所在单位" not in t.text()	# the earlier error is gone
    assert world.account(idn) is None

    t.keys("Escape")
    t.wait("放弃注册")
    t.keys("y")
    t.wait("注册进度查询", absent=("账户信息",))
    t.quit()


# --- 注册进度查询 ------------------------------------------------------------------------

def test_application_status_and_withdraw(daemon, world, tui):
    _, idn = world.add_staff(OTHER_UNIT, world.other_depts["综合处"], "查进度", state="pending")
    t = tui()
    t.start(daemon)
    t.wait("注册进度查询")
    t.keys("BTab", "Enter")
    t.wait("查询", "返回")
    t.type(idn)
    t.keys("Tab")
    t.type(DEMO_PASSWORD)
    t.keys("Enter")
    text = t.wait("待审核", OTHER_UNIT_NAME, "查进度", "撤回申请")
    assert "提交时间" in text
    t.keys("Tab", "Tab", "Enter")	# 查询, then 撤回申请
    t.wait("撤回此注册申请")
    t.keys("y")
    t.wait("已撤回", "注册申请已撤回")
    assert "[ 撤回申请 ]" not in t.text()
    assert world.account(idn)["state"] == "withdrawn"
    t.keys("Escape")
    t.wait("身份证号", "注册进度查询", absent=("[ 查询 ]",))
    t.quit()


# --- the review queue ---------------------------------------------------------------------

def test_review_reject_filter_and_lost_race(daemon, world, tui):
    dept = world.depts["办公室"]
    a_id, a_idn = world.add_staff(UNIT, dept, "竞审甲", state="pending", minutes_ago=1)
    b_id, b_idn = world.add_staff(UNIT, dept, "竞审乙", state="pending", minutes_ago=2)
    c_id, c_idn = world.add_staff(UNIT, dept, "退回丙", state="pending", minutes_ago=3)
    _, elsewhere = world.add_staff(OTHER_UNIT, world.other_depts["综合处"], "别单位丁",
                                   state="pending")
    t = tui()
    t.start(daemon)
    t.login(world.admin, DEMO_PASSWORD)
    t.wait("注册审核")
    t.keys("Enter")
    text = t.wait("竞审甲", "竞审乙", "退回丙")
    assert "别单位丁" not in text and elsewhere not in text

    # The filter: a name typed after '/'.
    t.filter("退回")
    t.wait("退回丙", absent=("竞审甲", "竞审乙"))
    t.keys("Enter")
    t.keys("r")
    t.wait("原因")
    t.type("请选择正确的部门")
    t.keys("Enter")
    t.wait("审核结果", "未通过")
    t.keys("Enter")
    acc = world.account(c_idn)
    assert acc["state"] == "rejected" and acc["reject_reason"] == "请选择正确的部门"
    t.keys("/")
    t.keys("Escape")	# clears the filter
    t.wait("竞审甲", "竞审乙", absent=("退回丙",))

    # Another administrator approves 竞审甲 meanwhile; ours then selects both.
    with daemon.rpc() as other:
        other.result("session.login", {"id_number": world.admin2, "password": DEMO_PASSWORD})
        other.result("review.approve_registrations", {"account_ids": [a_id]})
    t.keys("Home", "Space", "Space")
    t.wait("[x] 竞审甲", "[x] 竞审乙")
    t.keys("a")
    t.wait("通过所选的 2 份注册申请")
    t.keys("y")
    text = t.wait("审核结果", "已被 另一管理 于")
    assert f"竞审乙（{b_idn}）：已通过" in text, text
    assert f"竞审甲（{a_idn}）：已被 另一管理 于" in text, text
    # A time of today says 今天 instead of the date (common/format.c); the box may wrap it.
    flat = " ".join(line.strip(" │") for line in text.splitlines())
    assert re.search(r"(今天|\d{4}-\d\d-\d\d) \d\d:\d\d 审核（审核通过）", flat), text
    t.keys("Enter")
    t.wait("待审核", absent=("竞审甲", "竞审乙", "审核结果"))
    assert world.account(b_idn)["state"] == "active"
    assert int(world.account(a_idn)["decided_by"]) == world.admin2_id
    t.keys("Escape")
    t.wait("功能列表")
    t.quit()


# --- the password, and sessions the server ends ------------------------------------------

def test_password_change_logs_out_the_other_session(daemon, world, tui):
    _, idn = world.add_staff(UNIT, world.depts["办公室"], "改密码")
    new = "Qing-He-Lu-2027"
    first, second = tui(), tui()
    first.start(daemon)
    second.start(daemon)
    first.login(idn, DEMO_PASSWORD)
    second.login(idn, DEMO_PASSWORD)
    first.wait(*STAFF_FUNCTIONS)
    second.wait(*STAFF_FUNCTIONS)

    first.keys("F2")
    first.wait("修改密码")
    first.keys("Enter")
    first.wait("原密码", "确认新密码")
    first.type("Wrong-Old-Password-9")
    first.keys("Tab")
    first.type(new)
    first.keys("Tab")
    first.type(new)
    first.keys("Enter")
    first.wait("原密码错误")
    assert "原密码错误" in first.line_with("原密码 ")
    # The cursor is back in the (emptied) old password; the new one is still there.
    first.type(DEMO_PASSWORD)
    first.keys("Enter", "Enter", "Enter")
    first.wait("密码已修改", "1 个会话已退出")
    first.keys("Enter")
    first.wait(*STAFF_FUNCTIONS)

    # The other session, idle, is told at once: the daemon's sentence, then the login
    # screen of a new connection.
    second.wait("会话已结束")
    second.keys("Enter")
    second.login(idn, new)
    second.wait(*STAFF_FUNCTIONS)
    assert exit_status(second.text()) is None
    second.quit()
    first.quit()


def test_idle_timeout_starts_over_at_login(make_daemon, tui):
    d = make_daemon(config={"sessions": {"idle_timeout": 2}})
    t = tui()
    t.start(d)
    t.wait("注册进度查询")
    text = t.wait("会话已结束", timeout=15)
    assert "登录" in text
    # Make the next session last, then go on: a new connection, the login screen again.
    d.settings["sessions"]["idle_timeout"] = 1800
    d.write_config()
    d.reload()
    t.keys("Enter")
    t.wait("身份证号", "注册进度查询", absent=("会话已结束",))
    # The screen may be redrawn a moment before the new session's log line is written.
    deadline = time.monotonic() + 10
    while d.stderr_text().count(": started") < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert d.stderr_text().count(": started") >= 2, d.stderr_text()
    assert exit_status(t.text()) is None
    t.quit()


def test_server_shutting_down_exits_2(make_daemon, tui):
    d = make_daemon()
    t = tui()
    t.start(d)
    t.wait("注册进度查询")
    d.signal(signal.SIGTERM)
    assert d.wait() == 0
    t.wait(re.compile("会话已结束|连接已断开"))
    t.keys("Enter")
    text = t.term.wait_for(lambda s: exit_status(s) is not None, what="jxjy to exit")
    assert exit_status(text) == 2, text


def test_connection_drop_exits_2(make_daemon, tui):
    d = make_daemon()
    t = tui()
    t.start(d)
    t.wait("注册进度查询")
    d.kill()	# no goodbye: the TUI notices while idle
    t.wait("连接已断开", "与服务器的连接已断开")
    t.keys("Enter")
    text = t.term.wait_for(lambda s: exit_status(s) is not None, what="jxjy to exit")
    assert exit_status(text) == 2, text


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_signal_to_the_idle_tui_ends_it(make_daemon, tui, sig):
    # The idle TUI sleeps in poll() with no timeout; the signal must still end it, with
    # the terminal given back and the signal as its exit status, as a shell expects.
    d = make_daemon()
    t = tui()
    t.start(d)
    t.wait("注册进度查询")
    found = subprocess.run(["pgrep", "-f", "--", f"-k {t.dir}/known_hosts"], capture_output=True,
                           text=True, timeout=10).stdout.split()
    assert len(found) == 1, found
    time.sleep(0.5)	# well into its sleep
    os.kill(int(found[0]), sig)
    text = t.term.wait_for(lambda s: exit_status(s) is not None, timeout=10,
                           what="jxjy to exit")
    assert exit_status(text) == 128 + sig, text
    assert "注册进度查询" not in text	# the screen was given back


# --- SSH key login ------------------------------------------------------------------------

def test_ssh_key_login_goes_straight_home(make_daemon, tui, tmp_path):
    key = tmp_path / "admin_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "e2e",
                    "-f", str(key)], check=True, timeout=30)
    pub = (tmp_path / "admin_key.pub").read_text().strip()
    idn = id_number()
    d = make_daemon(start=False)
    w = World(d.pg, d.dbname)
    w.add_unit("E2EK", "密钥登录测试单位", ("办公室",))
    with open(d.conf, "a", encoding="utf-8") as f:
        f.write(f'unit_admins = ( {{ id_number = "{idn}"; name = "钥管理"; unit = "E2EK"; '
                f'keys = [ "{pub}" ]; }} );\n')
    d.start()
    t = tui()
    t.start(d, "-i", str(key), "-u", idn)
    text = t.wait("钥管理", "密钥登录测试单位", "注册审核", "功能列表")
    assert "注册进度查询" not in text
    t.keys("Enter")
    t.wait("没有待审核的注册申请")
    t.keys("Escape")
    t.wait("功能列表")
    t.quit()


# --- paging: pickers and the queue follow the server's `next` cursor ---------------------

def test_unit_picker_pages_and_filters_on_the_server(daemon, world, tui):
    rows = ", ".join(f"('E2EP{i:02d}', '分页测试单位{i:02d}', '410300')" for i in range(60))
    world.sql(f"INSERT INTO units (code, name, region) VALUES {rows}")
    t = tui()
    t.start(daemon)
    t.wait("注册进度查询")
    t.keys("BTab", "BTab", "Enter")
    t.wait("账户信息")
    for _ in range(5):
        t.keys("Tab")
    pick(t, "用人单位所属区域", "洛阳", "洛阳市")
    t.keys("Tab", "Enter")
    # A page of 50, ordered by name; more to come.
    text = t.wait("分页测试单位00", "1/50+")
    assert "分页测试单位59" not in text
    for _ in range(4):
        t.keys("NPage")
    # Paging past the end fetched the next page with the cursor: all 60, no more.
    t.wait("分页测试单位59", "60/60", absent=("/50+", "60/60+"))
    # The filter goes to the server, which finds what was not loaded yet too.
    t.keys("C-u")
    t.type("单位3")
    t.wait("分页测试单位39", "1/10", absent=("分页测试单位40",))
    t.keys("Down", "Enter")
    t.wait("分页测试单位31", absent=("Enter 选定",))
    assert "分页测试单位31" in t.line_with("所在单位")
    t.keys("Escape")
    t.wait("放弃注册")
    t.keys("y")
    t.wait("注册进度查询", absent=("账户信息",))
    t.quit()


def test_review_queue_pages_with_pgdn(daemon, world, tui):
    depts = world.add_unit("E2EQ", "端到端分页医院", ("分页科",))
    _, admin = world.add_admin("E2EQ", "分页管理")
    rows = []
    for i in range(55):
        idn = id_number("male")
        rows.append(f"('{idn}', '排队{i:02d}', 'E2EQ', {depts['分页科']}, 1, "
                    f"'{born_of(idn)}', '01', '13900002222', "
                    f"now() - interval '{i} minutes')")
    world.sql("INSERT INTO accounts (id_number, name, unit_code, department_id, sex, "
              "birth_date, ethnicity, phone, submitted_at) VALUES " + ", ".join(rows))
    t = tui()
    t.start(daemon)
    t.login(admin, DEMO_PASSWORD)
    t.wait("注册审核")
    t.keys("Enter")
    text = t.wait("待审核 55 人", "排队00", "已显示 50 条", "PgDn 加载更多")
    assert "排队54" not in text
    for _ in range(3):
        t.keys("NPage")
    t.wait("排队54", "已显示 55 条", absent=("PgDn 加载更多",))
    t.keys("Escape")
    t.wait("功能列表")
    t.quit()
