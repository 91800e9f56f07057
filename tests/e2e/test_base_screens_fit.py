"""The training base's screens of the real jxjy TUI fit: its classes, the class form (with
every error of an empty one beside its field), the roster with bad rows whose reasons are
long, a row's detail, the box rows are pasted into, the import prompt, walked at 80×24 and
at 160×40, in Chinese and in English, over long data (a long base name, long class names).

At every step the screen check runs with a redraw (test_screens_fit.py's step), and F1's
key help is checked too."""

import re

import pytest

from helpers import NOW, id_number, logged_in
from test_screens_fit import LANGS, SIZES, login, start, status_bar_whole, step
from tui_helpers import World, tui  # noqa: F401 (tui: the fixture)

BASE = "E2FB"
BASE_NAME = "河南省医学继续教育培训中心暨河南省卫生健康委员会继续医学教育基地第二培训部"
LONG_CLASS = "基于多中心随机对照试验的急性心肌梗死患者院前急救与介入治疗衔接流程优化培训班"

CLASSES = re.compile(r"· (Training base classes|基地班次管理)")
ROSTER = re.compile(r"· (Class roster|班次名单)")


@pytest.fixture(scope="module")
def world(ddaemon, postgres):
    """A base with a long name, its administrator, a draft class with a long name and a
    roster of good and bad rows, and a second draft."""
    w = World(postgres, ddaemon.dbname)
    w.depts = w.add_unit("E2FU", "适配基地单位", ("内科",))
    w.add_base(BASE, BASE_NAME, forms=("training", "conference"))
    _, w.admin = w.add_base_admin(BASE, "适配基地管理员")
    _, staff = w.add_staff("E2FU", w.depts["内科"], "欧阳适配")
    fields = {"name": LONG_CLASS, "kind": "培训班", "organiser": BASE_NAME,
              "dates": {"from": f"{NOW}-01-05", "to": f"{NOW}-01-06"}}
    with logged_in(ddaemon, w.admin, logout=True) as s:
        for name in ("第二个班次", LONG_CLASS):
            cid = s.result("class.save", {"name": name, "form": "training", "fields": fields,
                                          "start_date": f"{NOW}-01-05",
                                          "end_date": f"{NOW}-01-06", "year": NOW,
                                          "amount": 8})["id"]
        s.result("roster.add", {"class_id": cid, "rows": [
            {"id_number": staff, "name": "欧阳适配"},
            {"id_number": staff, "name": "欧阳适配", "amount": "6"},       # a duplicate
            {"id_number": "41010519900101123", "name": "号码不全的人"},     # no ID number
            {"id_number": id_number(), "name": "尚未注册的人员姓名很长很长很长"},
            {"id_number": staff[:-1] + "0", "name": "欧阳", "amount": "99999"},
        ]})
    return w


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_base_screens_fit(ddaemon, world, tui, lang, size):
    t = tui(*size)
    start(t, ddaemon, lang)
    login(t, world.admin)
    assert BASE_NAME[:10] in t.text()
    t.keys("Enter")                     # the one function: the base's classes
    step(t, CLASSES)
    status_bar_whole(t)
    assert LONG_CLASS[:8] in t.text()

    # A new class: its form, then every error of an empty one.
    t.keys("n")
    step(t, re.compile(r"New class|新建班次"))
    t.keys("Up", "Up", "Enter")         # from the first field: [返回], [保存]
    # (Where an error does not fit beside its field, the message line shows it whole.)
    t.term.wait_for(lambda s: re.search(r"fill in|请填写", s) is not None, what="the errors")
    t.check_screen(redraw=True)
    t.keys("Escape")
    t.wait(CLASSES)

    # The long class's roster: bad rows with their reasons, a row's detail.
    t.keys("Home")
    step(t, CLASSES, help=False)
    t.keys("Enter")
    step(t, ROSTER)
    status_bar_whole(t)
    t.keys("End", "Enter")
    step(t, re.compile(r"Roster row|名单行"), help=False)
    t.keys("Escape")
    t.wait(ROSTER)
    t.keys("p")                         # the bad rows only
    step(t, re.compile(r"bad rows only \(p|只显示有误的行"), help=False)
    t.keys("p")
    # The box rows are pasted into, with a row typed.
    t.keys("a")
    step(t, re.compile(r"Add rows|添加名单"), help=False)
    t.type("410105199001011234\t姓名")
    t.wait("410105199001011234,姓名")
    t.check_screen(redraw=True)
    t.keys("Escape")
    t.wait(ROSTER)
    # The import prompt.
    t.keys("i")
    step(t, re.compile(r"Import a CSV file|导入 CSV 文件"), help=False)
    t.keys("Escape")
    t.wait(ROSTER)
    t.keys("Escape")
    t.wait(CLASSES)
    t.quit()
