"""用户资料管理 and the title-change review in the real jxjy TUI, in tmux, on the real
daemon and PostgreSQL: a staff member edits the phone number and the professional title
(the title waits for review), the unit administrator approves it in 职务变更审核 in a
second tmux server, and the staff member sees the new title and the 变更记录; the fixed
fields, a save with nothing changed, a stale form, errors beside their fields, withdrawing
a title change, a rejection with its reason, the administrator's read-only view of the
unit's staff, and the SSH keys of the profile.

Every test types keys into a private tmux server (tmux -L NAME) and reads the screen; what
was stored is checked in the database."""

import re
import subprocess

import pytest

from helpers import DEMO_PASSWORD, born_of, id_number
from tui_helpers import World, tui  # noqa: F401 (tui: the fixture)

UNIT, UNIT_NAME = "E2PF", "资料端测医院"
ADMIN_NAME = "资管理"
FIXED = "（不可修改）"


@pytest.fixture(scope="module")
def world(daemon, postgres):
    """A unit with two departments and its administrator (captcha "off")."""
    w = World(postgres, daemon.dbname)
    w.depts = w.add_unit(UNIT, UNIT_NAME, ("内科", "外科"))
    w.admin_id, w.admin = w.add_admin(UNIT, ADMIN_NAME)
    w.titles = {name: int(w.value(f"SELECT id FROM titles WHERE series = '工程' AND "
                                  f"name = '{name}'"))
                for name in ("助理工程师", "工程师", "高级工程师")}
    return w


def add_person(world, name, title="助理工程师"):
    """An active staff member of UNIT with a title, native place and school; (id, ID no.)."""
    aid, idn = world.add_staff(UNIT, world.depts["内科"], name)
    world.sql(f"UPDATE accounts SET title_id = {world.titles[title]}, native_place = '河南郑州', "
              f"school = '郑州大学' WHERE id = {aid}")
    return aid, idn


def person(world, aid):
    keys = ("version", "name", "phone", "email", "title_id", "department_id")
    row = world.row(f"SELECT {', '.join(keys)} FROM accounts WHERE id = {aid}")
    return dict(zip(keys, row))


def changes(world, aid):
    """(field, state, reason) of the person's history rows, oldest first."""
    out = world.sql("SELECT field, coalesce(state::text, ''), coalesce(reason, '') "
                    f"FROM profile_changes WHERE account_id = {aid} ORDER BY id")
    return [tuple(line.split("|")) for line in out.splitlines() if line]


def open_profile(t, daemon, idn, name):
    """Start the TUI, log in as a staff member and open 用户资料管理 (the first function)."""
    t.start(daemon)
    t.login(idn, then="功能列表")
    t.wait("用户资料管理")
    t.keys("Enter")
    return t.wait("用户资料", FIXED, idn, name, "[ 保存 ]")


def focus_stops(n):
    return ["Tab"] * n


# Focus stops of the profile form, from the phone number (where the focus starts):
# phone, email, department, ethnicity, native place, school, major, title, education,
# then the buttons 保存, (撤销变更 while a change waits), 变更记录, SSH 密钥, 返回.
TO_TITLE = 7
TO_SAVE = 9


def choose_title(t, filter_text, expect):
    """On the title field: the series 工程, then the title filtered by filter_text."""
    t.keys("Enter")
    t.wait("筛选", "高等学校教师")
    t.type("工程")
    t.keys("Enter")
    t.wait("工程 · 助理工程师", "工程 · 高级工程师")
    t.type(filter_text)
    t.wait(expect)
    t.keys("Enter")
    t.wait(expect, absent=("Enter 选定",))
    assert expect in t.line_with("专业技术职务"), t.text()


# --- the whole way: edit, approve, see -----------------------------------------------------

def test_edit_phone_and_title_approve_then_history(daemon, world, tui):
    aid, idn = add_person(world, "资料甲")
    before = person(world, aid)
    staff = tui()
    text = open_profile(staff, daemon, idn, "资料甲")

    # The fixed fields are shown, dimmed and marked; they are no fields of the form.
    for label, value in (("身份证号", idn), ("姓名", "资料甲"), ("工作单位", UNIT_NAME)):
        line = staff.line_with(label + " ")
        assert value in line and FIXED in line, text
    assert "[" not in staff.line_with("姓名 ") and "[" not in staff.line_with("工作单位 ")
    # The editable ones are boxes with what was registered.
    assert "13900001111" in staff.line_with("手机号码"), text
    assert "内科" in staff.line_with("所属工作部门"), text
    assert "工程 · 助理工程师" in staff.line_with("专业技术职务"), text
    assert "待审核" not in text and "[ 撤销变更 ]" not in text

    # Typing where the focus lands from the first field (Up wraps to 返回) changes nothing,
    # and saving an untouched form says so and writes nothing.
    staff.keys("Up")
    staff.type("改个名字")
    staff.keys("Down")
    staff.keys(*focus_stops(TO_SAVE))
    staff.keys("Enter")
    staff.wait("没有修改任何内容")
    assert "改个名字" not in staff.text()
    assert person(world, aid) == before and changes(world, aid) == []

    # The phone number (applied at once) and the title (waits for review).
    staff.keys(*focus_stops(4))	# 保存 → 变更记录 → SSH 密钥 → 返回 → the phone number
    staff.keys("C-u")
    staff.type("13700001234")
    staff.keys(*focus_stops(TO_TITLE))
    choose_title(staff, "· 工程师", "工程 · 工程师")
    staff.keys(*focus_stops(TO_SAVE - TO_TITLE))
    staff.keys("Enter")
    staff.wait("已保存；信息已经提交审核")
    staff.keys("Enter")
    text = staff.wait("[ 撤销变更 ]", absent=("[ 确定 ]",))
    title_line = staff.line_with("专业技术职务")
    assert "工程 · 工程师" in title_line and "待审核" in title_line, text
    assert "变更待审核，原为：工程 · 助理工程师" in text, text
    assert "13700001234" in staff.line_with("手机号码")
    now = person(world, aid)
    assert now["phone"] == "13700001234"
    assert int(now["title_id"]) == world.titles["助理工程师"]	# not applied yet
    assert changes(world, aid) == [("phone", "", ""), ("title", "pending", "")]

    # The unit administrator approves it in 职务变更审核 (a second tmux server).
    admin = tui()
    admin.start(daemon)
    admin.login(world.admin, then="功能列表")
    admin.wait("注册审核", "职务变更审核", "本单位人员")
    admin.keys("Down", "Enter")
    text = admin.wait("待审核 1 人", "资料甲", idn)
    row = admin.line_with(idn)
    assert "工程 · 助理工程师" in row and "工程 · 工程师" in row, text
    admin.keys("a")
    admin.wait("通过 资料甲")
    admin.keys("y")
    admin.wait("审核结果", "已通过")
    admin.keys("Enter")
    admin.wait("没有待审核的职务变更申请", absent=("审核结果",))
    assert int(person(world, aid)["title_id"]) == world.titles["工程师"]
    assert changes(world, aid)[1][:2] == ("title", "approved")
    admin.keys("Escape")
    admin.wait("功能列表")
    admin.quit()

    # The staff member reads the profile again: the new title, nothing waiting.
    staff.keys("F5")
    text = staff.wait("资料已重新载入", absent=("[ 撤销变更 ]",))
    title_line = staff.line_with("专业技术职务")
    assert "工程 · 工程师" in title_line and "待审核" not in title_line, text

    # 变更记录: the title change approved by the administrator, the phone change applied.
    staff.keys("Tab", "Enter")	# 保存 → 变更记录
    text = staff.wait("变更记录", "时间", "原值", "新值", "审核通过")
    title_row = staff.line_with("专业技术职务")
    assert "助理工程师" in title_row and f"审核通过 · {ADMIN_NAME}" in title_row, text
    phone_row = staff.line_with("手机号码")
    assert "13900001111" in phone_row and "13700001234" in phone_row and "已生效" in phone_row
    # Enter shows the entry under the cursor whole.
    staff.keys("Enter")
    text = staff.wait("原值", "新值", "状态")
    staff.keys("Enter")
    staff.keys("Escape")
    staff.wait("[ 保存 ]", absent=("原值",))
    staff.quit()


# --- a stale form, errors beside their fields -----------------------------------------------

def test_stale_form_is_refused_and_read_again(daemon, world, tui):
    aid, idn = add_person(world, "资料乙")
    t = tui()
    open_profile(t, daemon, idn, "资料乙")

    # The same person saves from another session meanwhile.
    with daemon.rpc() as other:
        other.result("session.login", {"id_number": idn, "password": DEMO_PASSWORD})
        version = other.result("profile.get")["version"]
        other.result("profile.update", {"version": version, "email": "other@example.com"})

    t.keys("C-u")
    t.type("13711112222")
    t.keys(*focus_stops(TO_SAVE))
    t.keys("Enter")
    t.wait("资料已在其他地方修改")
    t.keys("Enter")
    text = t.wait("资料已重新载入，请重新修改", "other@example.com")
    # The form shows what is stored now: the phone number typed is gone, nothing written.
    assert "13900001111" in t.line_with("手机号码"), text
    assert person(world, aid)["phone"] == "13900001111"
    assert [c[0] for c in changes(world, aid)] == ["email"]
    t.quit()


def test_errors_stand_beside_their_fields(daemon, world, tui):
    aid, idn = add_person(world, "资料丙")
    t = tui()
    open_profile(t, daemon, idn, "资料丙")
    t.keys("C-u")
    t.type("12345")
    t.keys(*focus_stops(TO_SAVE))
    t.keys("Enter")
    t.wait("手机号码: ")	# the message line: "label: sentence"; the sentence beside
    line = t.line_with("手机号码 ")
    assert "12345" in line and "应为以 1" in line.split("]", 1)[1], t.text()
    # The e-mail: the first rule broken after the phone number is fixed.
    t.keys("C-u")	# the focus went to the phone number
    t.type("13722223333")
    t.keys("Tab", "C-u")
    t.type("not-an-address")
    t.keys(*focus_stops(TO_SAVE - 1))
    t.keys("Enter")
    t.wait("电子邮箱: ")
    assert "格式不正确" in t.line_with("电子邮箱 ").split("]", 1)[1], t.text()
    assert "手机号码: " not in t.text() and "应为以 1" not in t.text()
    assert person(world, aid)["phone"] == "13900001111" and changes(world, aid) == []
    # Leaving with changes not saved asks first.
    t.keys("Escape")
    t.wait("不保存就离开吗")
    t.keys("y")
    t.wait("功能列表", absent=("[ 保存 ]",))
    t.quit()


# --- withdrawing a title change; a rejection and its reason ---------------------------------

def test_withdraw_then_rejection_with_reason(daemon, world, tui):
    aid, idn = add_person(world, "资料丁")
    t = tui()
    open_profile(t, daemon, idn, "资料丁")
    t.keys(*focus_stops(TO_TITLE))
    choose_title(t, "· 高级", "工程 · 高级工程师")
    t.keys(*focus_stops(TO_SAVE - TO_TITLE), "Enter")
    t.wait("信息已经提交审核")
    t.keys("Enter")
    t.wait("[ 撤销变更 ]")
    assert "待审核" in t.line_with("专业技术职务")

    # 撤销变更: asked, then gone; the field shows the title in force again.
    t.keys("Tab", "Enter")	# 保存 → 撤销变更
    t.wait("撤销专业技术职务的变更申请吗")
    t.keys("y")
    text = t.wait("专业技术职务的变更申请已撤销", absent=("[ 撤销变更 ]",))
    assert "工程 · 助理工程师" in t.line_with("专业技术职务"), text
    assert changes(world, aid) == [("title", "cancelled", "")]

    # Asked again; the administrator rejects it, with a reason, from the filtered queue.
    t.keys("Escape")
    t.wait("功能列表", absent=("[ 保存 ]",))
    t.keys("Enter")
    t.wait("[ 保存 ]", "工程 · 助理工程师")
    t.keys(*focus_stops(TO_TITLE))
    choose_title(t, "· 高级", "工程 · 高级工程师")
    t.keys(*focus_stops(TO_SAVE - TO_TITLE), "Enter")
    t.wait("信息已经提交审核")
    t.keys("Enter")
    t.wait("[ 撤销变更 ]")

    admin = tui()
    admin.start(daemon)
    admin.login(world.admin, then="功能列表")
    admin.keys("Down", "Enter")
    admin.wait("职务变更审核", "资料丁")
    admin.filter("资料丁")
    admin.wait("待审核 1 人")
    admin.keys("Enter", "r")
    admin.wait("原因")
    admin.type("任职年限不足")
    admin.keys("Enter")
    admin.wait("审核结果", "未通过")
    admin.keys("Enter")
    admin.wait("没有符合筛选条件的职务变更申请")
    admin.quit()

    assert int(person(world, aid)["title_id"]) == world.titles["助理工程师"]
    t.keys("F5")
    t.wait("资料已重新载入", absent=("[ 撤销变更 ]",))
    assert "待审核" not in t.line_with("专业技术职务")
    t.keys("Tab", "Enter")
    text = t.wait("变更记录", f"审核不通过 · {ADMIN_NAME} · 任职年限不足", "已撤销")
    rows = [line for line in t.lines() if "专业技术职务" in line]
    assert len(rows) == 2 and "高级工程师" in rows[0] and "助理工程师" in rows[0], text
    # Enter: the newest entry whole, with who decided and why.
    t.keys("Enter")
    text = t.wait("审核人", "原因", "任职年限不足", "工程 · 高级工程师")
    t.keys("Enter")
    t.keys("Escape")
    t.wait("[ 保存 ]")
    t.quit()


# --- the administrator's read-only view of the unit's staff ---------------------------------

def test_admin_reads_a_staff_members_profile(daemon, world, tui):
    aid, idn = add_person(world, "资料戊")
    with daemon.rpc() as s:
        s.result("session.login", {"id_number": idn, "password": DEMO_PASSWORD})
        version = s.result("profile.get")["version"]
        s.result("profile.update", {"version": version, "phone": "13755556666",
                                    "title_id": world.titles["工程师"]})
    admin = tui()
    admin.start(daemon)
    admin.login(world.admin, then="功能列表")
    admin.keys("Down", "Down", "Enter")
    text = admin.wait("本单位人员", "资料戊", idn)
    assert "（变更待审核）" in admin.line_with(idn), text
    admin.filter("资料戊")
    admin.wait("共 1 人")
    admin.keys("Enter", "Enter")
    # "变更记录" alone would match the hint bar before the dialog is drawn: wait for the
    # records themselves.
    text = admin.wait("13755556666", "工程 · 助理工程师（助理级）",
                      re.compile(r"手机号码  13900001111 → 13755556666  已生效"))
    assert "申请变更为" in text and "待审核" in text, text
    assert re.search(r"专业技术职务  .*助理工程师 → .*工程师  待审核", text), text
    # Read only: nothing of the form, and the stored profile is untouched by looking.
    assert "[ 保存 ]" not in text
    before = person(world, aid)
    # h: the whole history, as a list.
    admin.keys("h")
    admin.wait("资料戊 · 变更记录", "原值", "新值")
    admin.keys("Escape")
    admin.wait("13755556666", "变更记录")
    admin.keys("Escape")
    admin.wait("本单位人员", absent=("13755556666",))
    assert person(world, aid) == before
    admin.keys("Escape")
    admin.wait("功能列表")
    admin.quit()


# --- SSH keys ----------------------------------------------------------------------------------

def test_ssh_keys_of_the_profile(daemon, world, tui, tmp_path):
    aid, idn = add_person(world, "资料己")
    key = tmp_path / "staff_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "laptop",
                    "-f", str(key)], check=True, timeout=30)
    pub = (tmp_path / "staff_key.pub").read_text().strip()
    fingerprint = subprocess.run(["ssh-keygen", "-l", "-f", str(key) + ".pub"], check=True,
                                 capture_output=True, text=True).stdout.split()[1]
    t = tui()
    open_profile(t, daemon, idn, "资料己")
    t.keys("BTab", "BTab", "Enter")	# phone → 返回 → SSH 密钥
    t.wait("SSH 密钥", "还没有登记 SSH 密钥")
    t.keys("a")
    t.wait("添加 SSH 密钥", "公钥")
    t.type(pub)
    t.keys("Enter")
    # A key is a way in: the current password first.
    t.wait("添加密钥前，请输入您当前的密码", "当前密码")
    t.type(DEMO_PASSWORD)
    t.keys("Enter")
    text = t.wait("已添加密钥", "首次用它登录后生效", "ssh-ed25519", "laptop")
    assert fingerprint in text, text
    assert world.value(f"SELECT fingerprint FROM account_keys WHERE account_id = {aid}") \
        == fingerprint
    t.keys("d")
    t.wait("删除密钥")
    t.keys("y")
    t.wait("密钥已删除", "还没有登记 SSH 密钥")
    assert world.value(f"SELECT count(*) FROM account_keys WHERE account_id = {aid}") == "0"
    t.keys("Escape")
    t.wait("[ 保存 ]")
    t.quit()


# --- paging: the queue, the staff list and a history follow the server's `next` cursor ------

def test_queue_staff_and_history_page_with_pgdn(daemon, world, tui):
    depts = world.add_unit("E2PQ", "资料分页医院", ("分页科",))
    _, admin = world.add_admin("E2PQ", "页管理")
    rows = []
    for i in range(55):
        idn = id_number("male")
        rows.append(f"('{idn}', 'active', '排页{i:02d}', 'E2PQ', {depts['分页科']}, 1, "
                    f"'{born_of(idn)}', '01', '13900002222', "
                    f"{world.titles['助理工程师']})")
    world.sql("INSERT INTO accounts (id_number, state, name, unit_code, department_id, sex, "
              "birth_date, ethnicity, phone, title_id) VALUES " + ", ".join(rows))
    # A title change waiting for each of them, the newest for 排页00.
    world.sql("INSERT INTO profile_changes (account_id, unit_code, field, old_value, new_value, "
              "old_raw, new_raw, changed_at, kind, state) SELECT id, unit_code, 'title', "
              "'工程 / 助理级 / 助理工程师', '工程 / 中级 / 工程师', title_id::text, "
              f"'{world.titles['工程师']}', now() - substr(name, 3)::int * interval '1 minute', "
              "'reviewed', 'pending' FROM accounts WHERE unit_code = 'E2PQ' AND role = 'staff'")
    # And 60 phone changes of 排页07 before it.
    world.sql("INSERT INTO profile_changes (account_id, unit_code, field, old_value, new_value, "
              "old_raw, new_raw, changed_at, kind) SELECT a.id, 'E2PQ', 'phone', "
              "'1390000' || lpad(g::text, 4, '0'), '1390000' || lpad((g + 1)::text, 4, '0'), "
              "'1390000' || lpad(g::text, 4, '0'), '1390000' || lpad((g + 1)::text, 4, '0'), "
              "now() - interval '1 day' - g * interval '1 minute', 'direct' "
              "FROM accounts a, generate_series(1, 60) g WHERE a.name = '排页07'")

    t = tui()
    t.start(daemon)
    t.login(admin, then="功能列表")
    t.keys("Down", "Enter")
    text = t.wait("待审核 55 人", "排页00", "已显示 50 条", "PgDn 加载更多")
    assert "排页54" not in text
    for _ in range(3):
        t.keys("NPage")
    t.wait("排页54", "已显示 55 条", absent=("PgDn 加载更多",))
    t.keys("Escape")
    t.wait("功能列表")

    t.keys("Down", "Down", "Enter")
    text = t.wait("共 55 人", "排页00", "已显示 50 条", "PgDn 加载更多")
    assert "排页54" not in text
    for _ in range(3):
        t.keys("NPage")
    t.wait("排页54", "已显示 55 条", absent=("PgDn 加载更多",))
    t.filter("排页07")
    t.wait("共 1 人")
    t.keys("Enter", "Enter")
    # The latest 20 changes (the title's and 19 phone numbers); h shows them all.
    t.wait("13900000001 → 13900000002", "h 全部变更记录")
    t.keys("End")
    text = t.wait("13900000019 → 13900000020", "按 h 查看全部变更记录")
    assert "13900000020 → " not in text, text
    t.keys("h")
    t.wait("排页07 · 变更记录", "已显示 50 条", "PgDn 加载更多")
    for _ in range(3):
        t.keys("NPage")
    text = t.wait("已显示 61 条", "13900000060", absent=("PgDn 加载更多",))
    # The oldest last.
    assert "13900000060" in [line for line in t.lines() if "手机号码" in line][-1], text
    t.keys("Escape")
    t.wait("h 全部变更记录")
    t.keys("Escape")
    t.wait("本单位人员")
    t.quit()
