"""Every screen of the real jxjy TUI fits: a staff member's and a unit administrator's
screens walked at 80×24 and at 160×40, in Chinese and in English, over long data (a long
unit name, long department names, long rejection reasons).

At every step the screen check (Tui.check_screen) runs with a redraw: nothing over a box's
side, boxes inside each other or apart, cut text ending in "…", and Ctrl-L (a repaint
from scratch) changing nothing, so that no half of a wide character is left standing at a
popup's edge.  F1 opens every screen's key help, which is checked too; the status bar
shows only whole hints.  Also: an attachment's rejection reason is shown whole."""

import os
import re

import pytest

from helpers import DEMO_PASSWORD, PLAIN, content, logged_in
from tui_helpers import World, tui  # noqa: F401 (tui: the fixture)

UNIT = "E2FT"
UNIT_NAME = "河南省郑州市第一人民医院继续医学教育与科研管理中心附属第二分院"
DEPTS = ("心血管内科与介入治疗中心第三病区护理组", "检验科")
LONG_REASON = ("证明材料不清晰：请上传加盖单位公章的培训结业证书扫描件，并附培训通知与"
               "学时证明；证书上的姓名须与身份证一致，日期须在申报年度之内。") * 2
LONG_NAME = "基于多中心随机对照试验的急性心肌梗死患者院前急救与介入治疗衔接流程优化研究"

SIZES = [(80, 24), (160, 40)]
LANGS = ["zh", "en"]

HELP = re.compile(r"Keys|按键说明")
HOME = re.compile(r"Function list|功能列表")


@pytest.fixture(scope="module")
def world(ddaemon, postgres):
    """A unit with a long name; a staff member with declarations in every state (the
    rejected one with a long reason, one with a long title); pending registrations in
    long-named departments; a rejected registration with a long reason."""
    w = World(postgres, ddaemon.dbname)
    w.depts = w.add_unit(UNIT, UNIT_NAME, DEPTS)
    w.admin_id, w.admin = w.add_admin(UNIT, "适配管理员")
    w.staff_id, w.staff = w.add_staff(UNIT, w.depts[DEPTS[0]], "欧阳适配")
    for i in range(3):
        w.add_staff(UNIT, w.depts[DEPTS[0]], f"待审适配{i}", state="pending", minutes_ago=i)
    w.rejected_id, w.rejected = w.add_staff(UNIT, w.depts[DEPTS[0]], "驳回适配",
                                            state="rejected", reject_reason=LONG_REASON)
    with logged_in(ddaemon, w.staff, logout=True) as s:
        forms = {f["code"]: f for f in s.result("forms.list")["forms"]}
        plain = forms[PLAIN["code"]]
        ids = [s.result("declaration.submit", content(plain, fields={"name": LONG_NAME}))["id"]
               for _ in range(3)]
        s.result("declaration.save", content(plain))
    with logged_in(ddaemon, w.admin, logout=True) as adm:
        adm.result("review.reject_declarations", {"ids": [ids[0]], "reason": LONG_REASON})
        adm.result("review.approve_declarations", {"ids": [ids[1]]})
    return w


def start(t, daemon, lang):
    t.start(daemon, *(["-l", "en"] if lang == "en" else []))


def login(t, idn):
    t.wait(re.compile(r"ID number|身份证号"))
    t.type(idn)
    t.keys("Tab")
    t.type(DEMO_PASSWORD)
    t.keys("Enter")
    t.wait(HOME)


def step(t, needle, help=True):
    """Wait for needle, check the screen with a redraw; then F1's key help, checked too,
    and back."""
    t.wait(needle)
    t.check_screen(redraw=True)
    if os.environ.get("JXJY_SCREEN_DUMP"):
        print("\n".join(t.lines()))
    if help:
        t.keys("F1")
        t.wait(HELP)
        # A long table scrolls: its last keys (F10 among them) are a page or two down.
        t.keys("NPage", "NPage", "NPage")
        t.wait(HELP, "F10")
        t.check_screen(redraw=True)
        t.keys("Escape")
        t.wait(needle, absent=("按键说明", " Keys "))


def status_bar_whole(t):
    """The status bar's last hint is F1's, whole."""
    last = t.lines()[t.height - 1].rstrip()
    assert last.endswith("F1: help") or last.endswith("F1 帮助"), last


def open_nth(t, n):
    """Open the home list's function n (0: the first)."""
    t.keys("Home")
    for _ in range(n):
        t.keys("Down")
    t.keys("Enter")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_staff_screens_fit(ddaemon, world, tui, lang, size):
    t = tui(*size)
    start(t, ddaemon, lang)
    step(t, re.compile(r"User login|用户登录"))
    status_bar_whole(t)

    # 注册进度查询 of the rejected registration: the long reason.
    t.keys("Up")
    t.keys("Enter")
    step(t, re.compile(r"Application status|注册进度查询"))
    t.type(world.rejected)
    t.keys("Tab")
    t.type(DEMO_PASSWORD)
    t.keys("Enter")
    step(t, "证明材料不清晰")
    t.keys("Escape")

    # 注册: a picker over the form, then every error of an empty form beside its field.
    t.wait(re.compile(r"User login|用户登录"))
    t.keys("Up", "Up")
    t.keys("Enter")
    step(t, re.compile(r"Personal registration|个人注册"))
    for _ in range(5):
        t.keys("Down")
    t.keys("Enter")
    step(t, re.compile(r"Filter|筛选"))
    t.keys("Escape")
    t.wait(re.compile(r"Personal registration|个人注册"), absent=("筛选",))
    for _ in range(5):
        t.keys("Up")        # back to the first field; two more: [注册], under [返回]
    t.keys("Up", "Up", "Enter")
    # The errors (their words are the daemon's): beside the fields, up to the border.
    t.term.wait_for(lambda _: t.lines()[t.height - 2].strip() not in ("", "Submitting...",
                                                                     "正在提交……"),
                    what="the errors")
    t.check_screen(redraw=True)
    t.keys("Escape")
    if t.wait(re.compile(r"User login|用户登录|Leave|放弃")) and \
            not re.search(r"User login|用户登录", t.text()):
        t.keys("y")
    login(t, world.staff)

    step(t, HOME)
    status_bar_whole(t)
    assert UNIT_NAME[:10] in t.text()
    t.keys("F2")
    t.wait(re.compile(r"Change password|修改密码"))
    t.check_screen(redraw=True)
    t.keys("Enter")
    step(t, re.compile(r"Old password|原密码"))
    t.keys("Escape")
    t.wait(HOME)

    open_nth(t, 0)          # 用户资料管理
    step(t, re.compile(r"· (Profile|用户资料管理)"))
    t.keys("Up", "Up", "Enter")     # from the first field: [返回], [SSH 密钥]
    step(t, re.compile(r"· (SSH keys|SSH 密钥)"))
    t.keys("Escape")
    t.wait(re.compile(r"· (Profile|用户资料管理)"))
    t.keys("Up", "Enter")           # [变更记录]
    step(t, re.compile(r"· (Change history|变更记录)"))
    t.keys("Escape")
    t.wait(re.compile(r"· (Profile|用户资料管理)"))
    t.keys("Escape")
    t.wait(HOME)

    open_nth(t, 1)          # 学时学分申报: the form picker, then the form
    step(t, re.compile(r"Filter|筛选"))
    t.type("t_plain")
    t.keys("Enter")
    step(t, re.compile(r"Declaration|申报"))
    t.keys("Escape")
    t.wait(HOME)

    open_nth(t, 2)          # 申报进度查询, its rejected tab, the long reason
    step(t, re.compile(r"· (Declaration progress|申报进度查询)"))
    t.keys("5")
    # The tab has switched once no row of another state is listed (the title was there
    # before the key, so waiting for it alone can judge the screen half-way).
    other = re.compile(r"(学时|hours?)\s+(待提交|待审核|审核通过|Draft|Pending|Approved)\s*$",
                       re.M)
    t.term.wait_for(lambda s: ("申报进度查询" in s or "Declaration progress" in s)
                    and not other.search(s), timeout=20, what="the rejected tab alone")
    t.check_screen(redraw=True)
    t.keys("Enter")
    step(t, "证明材料不清晰", help=False)
    t.keys("Escape")
    t.keys("Escape")
    t.wait(HOME)

    open_nth(t, 3)          # 年度完成情况 and its records
    step(t, re.compile(r"· (Annual completion|年度完成情况)"))
    t.keys("Enter")
    step(t, re.compile(r"Records of|年度继续历程明细"))
    t.keys("Escape")
    t.wait(re.compile(r"· (Annual completion|年度完成情况)"))
    t.keys("Escape")
    t.wait(HOME)
    t.quit()


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_admin_screens_fit(ddaemon, world, tui, lang, size):
    t = tui(*size)
    start(t, ddaemon, lang)
    login(t, world.admin)
    step(t, HOME)
    screens = [re.compile(r"· (Registration review|注册审核)"),
               re.compile(r"· (Title change review|职务变更审核)"),
               re.compile(r"· (Staff of the unit|本单位人员)"),
               re.compile(r"· (Review declarations|学时审核)"),
               re.compile(r"· (Completion report|完成情况统计)")]
    for n, header in enumerate(screens):
        open_nth(t, n)
        step(t, header)
        t.keys("Escape")
        t.wait(HOME)
    t.quit()


def cursor_row(t):
    return int(t.term.run("display-message", "-p", "-t", "main", "#{cursor_y}").strip())


@pytest.mark.parametrize("lang", LANGS)
def test_attachment_reason_whole(ddaemon, world, tui, lang):
    """A file the server refuses (text where an image, a PDF or a ZIP is wanted): its reason
    whole on the message line (beside the field at 80 columns there is no room for it),
    never cut at "只能是"."""
    t = tui(80, 24)
    (t.dir / "notes.jpg").write_text("not an image at all\n" * 20)
    start(t, ddaemon, lang)
    login(t, world.staff)
    open_nth(t, 1)
    t.wait(re.compile(r"Filter|筛选"))
    t.type("t_cred")
    t.keys("Enter")
    label = re.compile(r"Attachment file|附件文件")
    t.wait(label)
    t.type("课程")
    row = next(i for i, line in enumerate(t.lines()) if label.search(line))
    for _ in range(12):
        was = cursor_row(t)
        if was == row:
            break
        t.keys("Down")
        t.term.wait_for(lambda _: cursor_row(t) != was, timeout=5, what="the cursor to move")
    assert cursor_row(t) == row, t.text()
    t.type("notes.jpg")
    t.keys("Down")          # 提交: the file is uploaded first
    t.keys("Enter")
    if lang == "en":
        # Longer than the message line: a dialog carries it, wrapped.
        t.wait("The attachment was not uploaded: upload: must be a JPEG",
               "or PNG image, a PDF file or a ZIP archive")
        t.check_screen(redraw=True)
        t.keys("Enter")
        t.wait("upload: must be a JPEG or PNG image, a PDF file or a ZIP archive",
               absent=("[ OK ]",))
    else:
        t.wait("上传: 只能是 JPEG 或 PNG 图片、PDF 文件或 ZIP 压缩包")
    t.check_screen(redraw=True)
