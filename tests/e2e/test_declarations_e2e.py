"""学时学分申报, 申报进度查询 and 学时审核 in the real jxjy TUI, in tmux, on the real daemon
and PostgreSQL with learning forms of the tests' own: a staff member declares with a PNG
attachment typed as a path (Tab completes it), saves a draft, submits, withdraws, submits
again; the unit administrator approves it with `a` in a second tmux server; the person sees
审核通过 in the progress query and downloads the attachment back, byte for byte.  Also: a
draft deleted after a confirmation, a rejection whose reason the person sees and revises
into a new draft, errors beside their fields.

Every test types keys into a private tmux server (tmux -L NAME) and reads the screen; what
was stored is checked in the database."""

import hashlib
import struct
import zlib

import pytest

from conftest import module_daemon
from helpers import NOW
from tui_helpers import World, tui  # noqa: F401 (tui: the fixture)

UNIT, UNIT_NAME = "E2DC", "申报端测单位"
ADMIN_NAME = "学时管理员"

FORMS_TEXT = """learning_forms = (
	{
		code = "e2e_training";
		name = "端测培训班"; name_en = "E2E training";
		category = "professional";
		counts = "hours";
		attachment = "required";
		fields = (
			{ key = "name"; label = "培训名称"; label_en = "Training"; type = "text"; required = true; },
			{ key = "kind"; label = "类型"; label_en = "Kind"; type = "choice"; required = true;
			  choices = [ "培训班", "研修班" ];
			  choices_en = [ "Training course", "Seminar" ]; },
			{ key = "dates"; label = "培训时间"; label_en = "Dates"; type = "daterange"; required = true; }
		);
	},
	{
		code = "e2e_plain";
		name = "端测无附件"; name_en = "E2E plain";
		category = "public";
		attachment = "none";
		fields = (
			{ key = "course"; label = "课程名称"; label_en = "Course"; type = "text"; required = true; }
		);
	}
);"""


@pytest.fixture(scope="module")
def ddaemon(postgres, migrated_template, tmp_path_factory):
    yield from module_daemon(postgres, migrated_template, tmp_path_factory, "jxjyd-decl-e2e",
                             {"declarations": {"max_attachment": 1024 * 1024}}, FORMS_TEXT)


@pytest.fixture(scope="module")
def world(ddaemon, postgres):
    w = World(postgres, ddaemon.dbname)
    w.depts = w.add_unit(UNIT, UNIT_NAME, ("科研处",))
    w.admin_id, w.admin = w.add_admin(UNIT, ADMIN_NAME)
    return w


def png_bytes(width=3, height=2):
    """A small, valid PNG image."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    raw = b"".join(b"\x00" + b"".join(bytes((x * 40, y * 90, 200)) for x in range(width))
                   for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def login(t, daemon, idn):
    t.start(daemon)
    t.login(idn, then="功能列表")


def decl(world, aid):
    """(id, state, form_code, year, amount, reject_reason, attachment size) of the person's
    declarations, newest first."""
    out = world.sql("SELECT d.id, d.state, d.form_code, d.year, trim_scale(d.amount), "
                    "coalesce(d.reject_reason, ''), coalesce(a.size, -1) "
                    "FROM declarations d LEFT JOIN attachments a ON a.declaration_id = d.id "
                    f"WHERE d.account_id = {aid} ORDER BY d.id DESC")
    return [line.split("|") for line in out.splitlines() if line]


def start_form(t, form_filter):
    """From the home screen: 学时学分申报, the form picked by a filter."""
    t.open_function("学时学分申报")
    t.wait("端测培训班", "端测无附件")
    t.type(form_filter)
    t.keys("Enter")
    t.wait("计入年度")


def test_declare_submit_withdraw_approve_download(ddaemon, world, tui, tmp_path):
    aid, idn = world.add_staff(UNIT, world.depts["科研处"], "申报甲")
    image = png_bytes()
    t = tui()
    # Beside the TUI's working directory: the path is typed relative to it.
    files = t.dir / "files"
    files.mkdir()
    (files / "scan_certificate.png").write_bytes(image)
    (files / "scan_notes.txt").write_text("not this one")
    login(t, ddaemon, idn)
    start_form(t, "端测培训")
    text = t.wait("培训名称", "类型", "培训时间", "学时", "附件")
    assert "保存暂不提交" in text and "提交" in text
    assert str(NOW) in t.line_with("计入年度")

    # Errors first: nothing filled in, saved -- the server's word beside its field.
    # (name, kind, from, to, year, amount, path, 提交: 8 Downs reach 保存暂不提交.)
    for _ in range(8):
        t.keys("Down")
    t.keys("Enter")
    t.wait("请更正")
    # Every problem at once, each beside its field, in people's words.
    assert "请填写培训名称" in t.line_with("培训名称")
    assert "请选择类型" in t.line_with("类型")
    assert "请填写培训时间" in t.line_with("培训时间")
    assert "请填写学时" in t.line_with("* 学时")
    assert decl(world, aid) == []

    # Fill it in, from the first field (the focus went to the first field at fault).
    t.type("端测结业培训")
    t.keys("Tab")
    t.keys("Enter")                       # the 类型 picker
    t.wait("研修班")
    t.keys("Down", "Enter")
    t.keys("Tab")
    t.type(f"{NOW}-03-01")
    t.keys("Tab")
    t.type(f"{NOW}-03-05")
    t.keys("Tab")                         # 计入年度 (current year already chosen)
    t.keys("Tab")
    t.type("12")
    t.keys("Tab")
    t.type("fi")
    t.keys("Tab")                         # a directory: completed with its '/'
    t.wait("[files/ ")
    t.type("sc")
    t.keys("Tab")                         # as far as the names agree
    t.wait("[files/scan_ ")
    t.keys("Tab")                         # a second Tab lists the candidates
    t.wait("候选", "scan_certificate.png", "scan_notes.txt")
    t.type("c")
    t.keys("Tab")                         # now the one name
    t.wait("[files/scan_certificate.png ")
    t.keys("Down")                        # 提交
    t.keys("Right")                       # 保存暂不提交
    t.keys("Enter")
    t.wait("已保存为草稿")
    rows = decl(world, aid)
    assert len(rows) == 1 and rows[0][1:5] == ["draft", "e2e_training", str(NOW), "12"]
    assert rows[0][6] == str(len(image))
    assert "研修班" in world.value(f"SELECT fields::text FROM declarations WHERE id = {rows[0][0]}")

    # Submit it now.
    t.keys("Left")
    t.keys("Enter")
    t.wait("已提交")
    t.keys("Enter")
    t.wait("功能列表")
    assert decl(world, aid)[0][1] == "pending"

    # 申报进度查询: 待审核, withdraw it (confirmed), it is 待提交 again.
    t.open_function("申报进度查询")
    t.wait("申报时间", "端测培训班", "待审核")
    t.keys("Enter")
    text = t.wait("培训名称", "端测结业培训", "scan_certificate.png", "历史记录")
    assert f"{NOW}-03-01 至 {NOW}-03-05" in text
    t.keys("w")
    t.wait("撤销")
    t.keys("y")
    t.wait("已撤销")
    assert decl(world, aid)[0][1] == "draft"
    t.wait("待提交")

    # Edit the draft and submit it again (its stored attachment stays).
    t.keys("e")
    t.wait("修改申报", "培训名称")
    assert "端测结业培训" in t.text()
    for _ in range(7):
        t.keys("Down")
    t.keys("Enter")
    t.wait("已提交")
    t.keys("Enter")
    t.wait("申报时间", "待审核")
    assert decl(world, aid)[0][1] == "pending"

    # The unit administrator approves it with `a` in a second tmux server.
    admin = tui()
    login(admin, ddaemon, world.admin)
    assert "学时审核" in admin.text()
    admin.open_function("学时审核")
    text = admin.wait("申报甲", "端测培训班", idn)
    assert "姓名" in text and "身份证号" in text and "提交时间" in text
    # The detail, every field and the attachment, downloaded to a local file.
    admin.keys("Enter")
    admin.wait("培训名称", "端测结业培训", "研修班", "scan_certificate.png")
    admin.keys("g")
    admin.wait("下载")
    admin_copy = tmp_path / "admin-copy.png"
    admin.type(str(admin_copy))
    admin.keys("Enter")
    admin.wait("已保存")
    admin.keys("Enter")
    admin.wait("a 通过")
    admin.keys("Escape")
    admin.wait("提交时间")
    assert admin_copy.read_bytes() == image
    admin.keys("a")
    admin.wait("审核通过")
    admin.keys("y")
    admin.wait("1 份中的 1 份已通过")
    admin.keys("Enter")
    admin.wait("没有等待审核的申报")
    assert decl(world, aid)[0][1] == "approved"

    # The person sees 审核通过 and downloads the attachment back.
    t.keys("4")
    t.wait("审核通过 (1)")
    line = t.line_with("端测培训班")
    assert "审核通过" in line and str(NOW) in line and "12" in line
    t.keys("Enter")
    t.wait(ADMIN_NAME)
    t.keys("g")
    t.wait("下载")
    out = tmp_path / "back.png"
    t.type(str(out))
    t.keys("Enter")
    t.wait("已保存")
    t.keys("Enter")
    assert out.read_bytes() == image
    assert hashlib.sha256(out.read_bytes()).hexdigest() == hashlib.sha256(image).hexdigest()


def test_draft_deleted_with_confirmation(ddaemon, world, tui):
    aid, idn = world.add_staff(UNIT, world.depts["科研处"], "申报乙")
    t = tui()
    login(t, ddaemon, idn)
    start_form(t, "端测无附件")
    t.wait("课程名称")
    assert "附件文件" not in t.text()
    t.type("公需课一")
    t.keys("Tab", "Tab")
    t.type("3.5")
    t.keys("Down")                        # 提交
    t.keys("Right", "Enter")              # 保存暂不提交
    t.wait("已保存为草稿")
    assert [r[1] for r in decl(world, aid)] == ["draft"]
    t.keys("Escape")
    t.wait("功能列表")

    t.open_function("申报进度查询")
    t.wait("端测无附件", "待提交")
    t.keys("d")
    t.wait("永久删除")
    t.keys("n")                           # not confirmed: kept
    t.wait("端测无附件")
    assert [r[1] for r in decl(world, aid)] == ["draft"]
    t.keys("d")
    t.wait("永久删除")
    t.keys("y")
    t.wait("草稿已删除")
    assert decl(world, aid) == []


def test_rejected_shows_reason_and_is_revised(ddaemon, world, tui):
    aid, idn = world.add_staff(UNIT, world.depts["科研处"], "申报丙")
    t = tui()
    login(t, ddaemon, idn)
    start_form(t, "端测无附件")
    t.type("公需课二")
    t.keys("Tab", "Tab")
    t.type("abc")                         # refused by the server, beside 学时
    t.keys("Down", "Enter")
    t.wait("请更正")
    assert "应大于 0" in t.line_with("abc")
    t.keys("BSpace", "BSpace", "BSpace")
    t.type("4")
    t.keys("Down", "Enter")
    t.wait("已提交")
    t.keys("Enter")
    t.wait("功能列表")

    admin = tui()
    login(admin, ddaemon, world.admin)
    admin.open_function("学时审核")
    admin.wait("申报丙")
    admin.keys("Enter")
    admin.wait("课程名称", "公需课二")
    admin.keys("r")
    admin.wait("原因")
    admin.keys("Enter")                   # an empty reason is not taken
    admin.wait("必须填写原因")
    admin.keys("Enter")
    admin.type("证明材料不清楚")
    admin.keys("Enter")
    admin.wait("1 份中的 1 份未通过")
    admin.keys("Enter")
    assert decl(world, aid)[0][1] == "rejected"

    t.open_function("申报进度查询")
    t.wait("审核不通过")
    t.keys("Enter")
    t.wait("证明材料不清楚", ADMIN_NAME)
    t.keys("v")
    t.wait("修改后重新申报")
    t.keys("y")
    t.wait("修改申报", "公需课二")
    t.keys("Home")
    t.type("改")
    t.keys("Down", "Down", "Down", "Enter")
    t.wait("已提交")
    rows = decl(world, aid)
    assert len(rows) == 1 and rows[0][1] == "pending" and rows[0][5] == ""
    assert "改公需课二" in world.value(f"SELECT fields::text FROM declarations "
                                   f"WHERE id = {rows[0][0]}")


def test_admin_filters_and_approves_several(ddaemon, world, tui):
    aid, idn = world.add_staff(UNIT, world.depts["科研处"], "申报丁")
    t = tui()
    login(t, ddaemon, idn)
    for course, amount in (("多选课一", "2"), ("多选课二", "3")):
        start_form(t, "端测无附件")
        t.type(course)
        t.keys("Tab", "Tab")
        t.type(amount)
        t.keys("Down", "Enter")
        t.wait("已提交")
        t.keys("Enter")
        t.wait("功能列表")
    assert sorted(r[1] for r in decl(world, aid)) == ["pending", "pending"]

    admin = tui()
    login(admin, ddaemon, world.admin)
    admin.open_function("学时审核")
    admin.wait("申报丁")
    # The person filter: a name that matches nobody, then this person.
    admin.filter("无此人")
    admin.wait("没有等待审核的申报")
    admin.keys("Escape")
    admin.filter("申报丁")
    admin.keys("Enter")
    admin.wait("待审核 2 份")
    assert sum("申报丁" in line and "端测无附件" in line for line in admin.lines()) == 2
    admin.keys("Space", "Space")
    admin.wait("已选 2 条")
    admin.keys("a")
    admin.wait("2 份申报")
    admin.keys("y")
    admin.wait("2 份中的 2 份已通过")
    admin.keys("Enter")
    assert [r[1] for r in decl(world, aid)] == ["approved", "approved"]
