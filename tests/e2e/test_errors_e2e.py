"""Every error of a form at once, and nothing typed lost to a stray key (issue 14, rules 1,
2 and 10), in the real jxjy TUI in tmux on the real daemon and PostgreSQL.

The empty registration form is submitted: every required field is marked at once, in
people's words, the cursor on the first; half filled, the rest are marked; a corrected
field loses its error as soon as it is changed.  Every way out of a filled form (Esc,
[返回], F10) asks first with the safe answer focused, so Enter alone stays.  The password
change names an empty old password (请输入原密码), and staff are not shown the
administrators' hint."""

from datetime import date

import pytest

from helpers import DEMO_PASSWORD, PASSWORD, id_number
from tui_helpers import World, exit_status, tui  # noqa: F401 (tui: the fixture)

UNIT, UNIT_NAME = "E2EE", "端到端错误医院"

REQUIRED = [("身份证号", "请填写身份证号"), ("确认密码", "请再次输入密码"),
            ("手机号码", "请填写手机号码"), ("电子邮箱", "请填写电子邮箱"),
            ("所在单位", "请选择所在单位"), ("所属工作部门", "请选择所属工作部门"),
            ("姓名", "请填写姓名"), ("性别", "请选择性别"), ("出生日期", "请填写出生日期"),
            ("民族", "请选择民族")]

ADMIN_HINT = "尚未设置密码的管理员"


@pytest.fixture(scope="module")
def world(daemon, postgres):
    w = World(postgres, daemon.dbname)
    w.depts = w.add_unit(UNIT, UNIT_NAME, ("办公室",))
    w.admin_id, w.admin = w.add_admin(UNIT, "错误管理")
    return w


def field_line(t, label):
    """The screen line of the field labelled label (its label, a blank, its box)."""
    for line in t.lines():
        if f" {label} " in line and ("[" in line or "( )" in line or "(*)" in line):
            return line
    raise AssertionError(f"no field {label!r}:\n{t.text()}")


def beside(t, label, sentence):
    """sentence (at least its start) stands after the box of the field labelled label."""
    line = field_line(t, label)
    after = line.split("]", 1)[1] if "]" in line else line.split(label, 1)[1]
    return sentence[:4] in after


def open_register(t, daemon):
    t.start(daemon)
    t.wait("注册进度查询")
    t.keys("BTab", "BTab", "Enter")
    t.wait("账户信息", "[ 注册 ]")


def tabs(t, n):
    for _ in range(n):
        t.keys("Tab")


def test_empty_registration_marks_every_field_at_once(daemon, world, tui):
    t = tui(110, 40)
    open_register(t, daemon)
    # The fields in order, then [ 注册 ] and [ 返回 ]: 17 Tabs from 身份证号 to [ 注册 ].
    tabs(t, 17)
    t.keys("Enter")
    t.wait(*[s for _, s in REQUIRED])
    text = t.text()
    for label, sentence in REQUIRED:
        assert beside(t, label, sentence), f"{sentence} not beside {label}:\n{text}"
    assert "缺少参数" not in text and "请输入密码" in text
    # The cursor is on the first field: what is typed goes into 身份证号, and its error
    # goes at once while the others stay.
    idn = id_number("female", born=date(1991, 3, 8))
    t.type(idn)
    t.wait(idn)
    assert idn in field_line(t, "身份证号")
    t.wait("请再次输入密码", absent=("请填写身份证号",))

    # Half filled: the account block; the ID number filled sex and birth date.  The next
    # submit names the rest, and only them.
    t.keys("Tab")
    t.type(PASSWORD)
    t.keys("Tab")
    t.type(PASSWORD)
    t.keys("Tab")
    t.type("13812345678")
    t.keys("Tab")
    t.type("half@example.com")
    tabs(t, 13)	# 电子邮箱 → [ 注册 ]
    t.keys("Enter")
    rest = [("所在单位", "请选择所在单位"), ("所属工作部门", "请选择所属工作部门"),
            ("姓名", "请填写姓名"), ("民族", "请选择民族")]
    text = t.wait(*[s for _, s in rest], absent=("请填写身份证号", "请再次输入密码",
                                                  "请填写手机号码", "请填写电子邮箱",
                                                  "请选择性别", "请填写出生日期"))
    for label, sentence in rest:
        assert beside(t, label, sentence), text
    assert world.account(idn) is None

    # Every way out of the filled form asks first; Enter alone (否 focused) stays.
    # [ 返回 ]: the cursor is on 所在单位, the first field marked; 12 Tabs to it.
    for way, answer in ((["Escape"], "Enter"), (["F10"], "n"), (["Tab"] * 12 + ["Enter"], "n")):
        t.keys(*way)
        t.wait("放弃注册")
        t.keys(answer)
        t.wait("账户信息", absent=("放弃注册",))
        assert exit_status(t.text()) is None
    leave(t, "放弃注册", "注册进度查询")
    t.quit()


def leave(t, question, then):
    """Esc, the question asked, yes: then (a needle) shows."""
    t.keys("Escape")
    t.wait(question)
    t.keys("y")
    t.wait(then, absent=(question,))


def test_password_change_names_the_empty_old_password(daemon, world, tui):
    _, idn = world.add_staff(UNIT, world.depts["办公室"], "空原密码")
    t = tui()
    t.start(daemon)
    t.login(idn, DEMO_PASSWORD, then="功能列表")
    t.keys("F2")
    t.wait("修改密码", "退出登录")
    t.keys("Enter")
    text = t.wait("原密码", "确认新密码")
    # Staff always have a password: no hint for administrators without one.
    assert ADMIN_HINT not in text
    # Nothing typed: every field named at once.
    t.keys("Tab", "Tab", "Tab")	# old, new, confirm → the key choices or [ 确定 ]
    t.keys("Enter")
    text = t.wait("请输入原密码", "请输入新密码", "请再次输入新密码")
    assert "缺少参数" not in text
    assert "请输入原密码" in field_line(t, "原密码").split("]", 1)[1]
    # Typed, then Esc: asked first (否 focused: Enter stays); 是 leaves.
    t.type("something")
    t.keys("Escape")
    t.wait("不修改密码就离开吗")
    t.keys("Enter")
    t.wait("确认新密码", absent=("不修改密码就离开吗",))
    leave(t, "不修改密码就离开吗", "功能列表")
    t.quit()


def test_administrator_sees_the_hint(daemon, world, tui):
    t = tui()
    t.start(daemon)
    t.login(world.admin, DEMO_PASSWORD, then="功能列表")
    t.keys("F2")
    t.wait("修改密码", "退出登录")
    t.keys("Enter")
    t.wait("原密码", "确认新密码", ADMIN_HINT)
    t.keys("Escape")
    t.wait("功能列表")
    t.quit()


def test_session_end_keeps_the_registration(make_daemon, tui):
    d = make_daemon(config={"sessions": {"idle_timeout": 4}})
    t = tui(110, 40)
    open_register(t, d)
    idn = id_number("male", born=date(1985, 7, 1))
    t.type(idn)
    t.keys("Tab")
    t.type(PASSWORD)
    t.keys("Tab", "Tab")
    t.type("13812345678")
    t.wait("13812345678")
    # The server ends the idle session: told, then a new connection's login screen.
    t.wait("会话已结束", timeout=20)
    d.settings["sessions"]["idle_timeout"] = 1800
    d.write_config()
    d.reload()
    t.keys("Enter")
    t.wait("身份证号", "注册进度查询", absent=("会话已结束",))
    # The form comes back as it was left, but for the password, typed again.
    t.keys("BTab", "BTab", "Enter")
    text = t.wait("账户信息", "已恢复会话结束时填写的内容")
    assert idn in field_line(t, "身份证号") and "13812345678" in field_line(t, "手机号码")
    assert field_line(t, "密码").split("[", 1)[1].split("]", 1)[0].strip() == "", text
    # Still input to lose: leaving asks.
    leave(t, "放弃注册", "注册进度查询")
    # Left on purpose: nothing is kept any more.
    t.keys("BTab", "BTab", "Enter")
    t.wait("账户信息")
    assert idn not in t.text()
    t.keys("Escape")
    t.wait("注册进度查询", absent=("账户信息",))
    t.quit()


def test_profile_errors_at_once_and_leaving_asks(daemon, world, tui):
    _, idn = world.add_staff(UNIT, world.depts["办公室"], "资料错误")
    t = tui(110, 40)
    t.start(daemon)
    t.login(idn, then="功能列表")
    t.keys("Enter")	# 用户资料管理, the first function
    t.wait("用户资料", "[ 保存 ]")
    # The focus starts on 手机号码; 电子邮箱 follows; 保存 is 8 stops further.
    t.keys("C-u")
    t.type("12345")
    t.keys("Tab", "C-u")
    t.type("not-an-address")
    tabs(t, 8)
    t.keys("Enter")
    text = t.wait("有 2 处需要修改")
    assert beside(t, "手机号码", "应为以 1 开头"), text
    assert beside(t, "电子邮箱", "格式不正确"), text
    # The cursor went to the first: correcting it takes its error away, the other stays.
    t.keys("C-u")
    t.type("13712345678")
    t.wait("13712345678", absent=("应为以 1",))
    assert beside(t, "电子邮箱", "格式不正确"), t.text()
    # Unsaved changes: F10 and 返回 ask first, 否 focused.
    t.keys("F10")
    t.wait("不保存就离开吗")
    t.keys("Enter")
    t.wait("[ 保存 ]", absent=("不保存就离开吗",))
    assert exit_status(t.text()) is None
    tabs(t, 12)	# 手机号码 → 返回
    t.keys("Enter")
    t.wait("不保存就离开吗")
    t.keys("n")
    t.wait("[ 保存 ]", absent=("不保存就离开吗",))
    leave(t, "不保存就离开吗", "功能列表")
    t.quit()


def test_empty_login_names_both_fields(daemon, world, tui):
    t = tui()
    t.start(daemon)
    t.wait("身份证号", "注册进度查询")
    t.keys("Tab", "Enter")	# nothing typed; Enter in the password submits
    text = t.wait("请填写身份证号", "请输入密码")
    assert beside(t, "身份证号", "请填写身份证号") and beside(t, "密码", "请输入密码"), text
    assert "缺少参数" not in text and "账户或密码错误" not in text
    # The cursor is on the ID number, the first: typing there clears its error alone.
    t.type(world.admin)
    t.wait(world.admin, absent=("请填写身份证号",))
    assert beside(t, "密码", "请输入密码"), t.text()
    t.keys("Tab")
    t.type(DEMO_PASSWORD)
    t.keys("Enter")
    t.wait("功能列表")
    t.quit()


def test_login_keeps_the_id_number_across_a_jump(daemon, world, tui):
    """The ID number typed on the login screen is there again after a look at 注册 or
    注册进度查询 (the password is not kept)."""
    _, idn = world.add_staff(UNIT, world.depts["办公室"], "跳转回来")
    t = tui(100, 30)
    t.start(daemon)
    t.wait("注册进度查询")
    t.type(idn)
    t.keys("Tab")
    t.type("not-the-password")
    t.keys("BTab", "BTab", "Enter")     # from the password: the ID number, then 注册进度查询
    t.wait("· 注册进度查询")
    t.keys("Escape")
    t.wait("[ 登录 ]")
    assert idn in field_line(t, "身份证号"), t.text()
    assert "*" not in field_line(t, "密码").split("[", 1)[1].split("]", 1)[0], t.text()
    # The cursor is on the password: typing it logs in.
    t.type(DEMO_PASSWORD)
    t.keys("Enter")
    t.wait("功能列表")
    t.quit()
