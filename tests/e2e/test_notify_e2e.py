"""Screens that show the truth without F5 (record.changed), in the real jxjy TUI, in tmux,
on the real daemon and PostgreSQL: a unit administrator approves a declaration in 学时审核
and a title change in 职务变更审核 in one TUI, and the person's other TUIs — 申报进度查询
and 用户资料管理 open, untouched — show the new state and say what changed, without a key
pressed; an applicant's 注册进度查询 shows its approval the same way; and a change that
comes while a dialog is open waits for it to close."""

import time

import pytest

from conftest import module_daemon
from helpers import NOW, PASSWORD, PLAIN, applicant, forms_text, logged_in
from tui_helpers import World, tui  # noqa: F401 (tui: the fixture)

UNIT, UNIT_NAME = "E2NT", "通知端测医院"
ADMIN_NAME = "通知管理员"


@pytest.fixture(scope="module")
def ndaemon(postgres, migrated_template, tmp_path_factory):
    yield from module_daemon(postgres, migrated_template, tmp_path_factory, "jxjyd-notify-e2e",
                             None, forms_text([PLAIN]))


@pytest.fixture(scope="module")
def world(ndaemon, postgres):
    w = World(postgres, ndaemon.dbname)
    w.depts = w.add_unit(UNIT, UNIT_NAME, ("内科",))
    w.admin_id, w.admin = w.add_admin(UNIT, ADMIN_NAME)
    w.titles = {name: int(w.value(f"SELECT id FROM titles WHERE series = '工程' AND "
                                  f"name = '{name}'"))
                for name in ("助理工程师", "工程师")}
    return w


def start(t, daemon, idn, function, *needles):
    t.start(daemon)
    t.login(idn, then="功能列表")
    t.open_function(function)
    return t.wait(*needles)


def test_a_decision_shows_in_the_persons_other_tuis(ndaemon, world, tui):
    aid, idn = world.add_staff(UNIT, world.depts["内科"], "通知甲")
    world.sql(f"UPDATE accounts SET title_id = {world.titles['助理工程师']} WHERE id = {aid}")
    with logged_in(ndaemon, idn) as s:
        did = s.result("declaration.submit", {"form": PLAIN["code"], "year": NOW, "amount": 2,
                                              "fields": {"name": "心电图读图班"}})["id"]
        v = s.result("profile.get")["version"]
        s.result("profile.update", {"version": v, "title_id": world.titles["工程师"]})

    progress = tui()
    start(progress, ndaemon, idn, "申报进度查询", PLAIN["name"], "待审核")
    profile = tui()
    start(profile, ndaemon, idn, "用户资料管理", "职务变更待审核", "[ 撤销变更 ]")

    # The administrator approves the declaration in 学时审核 ...
    admin = tui()
    start(admin, ndaemon, world.admin, "学时审核", "通知甲")
    admin.keys("a")
    admin.wait("审核通过")
    admin.keys("y")
    admin.wait("1 份中的 1 份已通过")
    admin.keys("Enter")
    assert world.value(f"SELECT state FROM declarations WHERE id = {did}") == "approved"
    # ... and the person's progress screen shows it, nobody having pressed a key there.
    text = progress.wait("您的申报《心电图读图班》已审核通过", timeout=10)
    line = progress.line_with(PLAIN["name"])
    assert "审核通过" in line and "待审核" not in line, text

    # The title change, approved in 职务变更审核: the profile drops its 待审核 by itself.
    admin.keys("Escape")
    admin.wait("功能列表")
    admin.open_function("职务变更审核")
    admin.wait("通知甲")
    admin.keys("a")
    admin.wait("通过 通知甲")
    admin.keys("y")
    admin.wait("审核结果", "已通过")
    admin.keys("Enter")
    text = profile.wait("已审核通过", absent=("职务变更待审核", "[ 撤销变更 ]"), timeout=10)
    line = profile.line_with("专业技术职务")
    assert "工程师" in line and "待审核" not in line, text
    assert "您的职务变更（" in text, text
    admin.quit()


def test_an_applicant_sees_its_approval(ndaemon, postgres, tui):
    admin_idn, params, aid = applicant(ndaemon, postgres, "NE", "申请乙")

    t = tui()
    t.start(ndaemon)
    t.wait("注册进度查询")
    t.keys("BTab", "Enter")
    t.wait("查询")
    t.type(params["id_number"])
    t.keys("Tab")
    t.type(PASSWORD)
    t.keys("Enter")
    t.wait("待审核", "申请乙")
    with logged_in(ndaemon, admin_idn) as admin:
        admin.result("review.approve_registrations", {"account_ids": [aid]})
    text = t.wait("您的注册申请已审核通过", timeout=10)
    assert "待审核" not in t.line_with("状态"), text


def test_a_change_waits_for_the_open_dialog(ndaemon, world, tui):
    """A decision that comes while a declaration's detail is open leaves it open; the
    list behind shows the decision once it is closed."""
    aid, idn = world.add_staff(UNIT, world.depts["内科"], "通知丙")
    with logged_in(ndaemon, idn) as s:
        did = s.result("declaration.submit", {"form": PLAIN["code"], "year": NOW, "amount": 3,
                                              "fields": {"name": "急救复训"}})["id"]
    t = tui()
    start(t, ndaemon, idn, "申报进度查询", PLAIN["name"], "待审核")
    t.keys("Enter")
    t.wait("急救复训", "历史记录")
    with logged_in(ndaemon, world.admin) as admin:
        admin.result("review.reject_declarations", {"ids": [did], "reason": "证明不全"})
    # The detail stays open, as it was, until the person closes it.
    time.sleep(1)
    assert "历史记录" in t.text() and "未通过审核" not in t.text(), t.text()
    t.keys("Escape")
    text = t.wait("您的申报《急救复训》未通过审核", absent=("历史记录",), timeout=10)
    assert "审核不通过" in t.line_with(PLAIN["name"]), text


def test_a_change_keeps_what_is_being_typed(ndaemon, world, tui):
    """The profile being edited is not read again under the person's fingers: the status
    line says what changed and that F5 reads it again; F5 (confirmed) then shows it."""
    aid, idn = world.add_staff(UNIT, world.depts["内科"], "通知丁")
    world.sql(f"UPDATE accounts SET title_id = {world.titles['助理工程师']} WHERE id = {aid}")
    with logged_in(ndaemon, idn) as s:
        v = s.result("profile.get")["version"]
        s.result("profile.update", {"version": v, "title_id": world.titles["工程师"]})
    t = tui()
    start(t, ndaemon, idn, "用户资料管理", "职务变更待审核")
    t.keys("End", "BSpace")
    t.type("8")
    t.wait("13900001118")
    with logged_in(ndaemon, world.admin) as admin:
        change = admin.result("review.title_changes")["items"][0]
        admin.result("review.approve_title_changes", {"ids": [change["id"]]})
    text = t.wait("已审核通过（按 F5 重新读取资料）", timeout=10)
    assert "13900001118" in text and "职务变更待审核" in text, text
    t.keys("F5")
    t.wait("重新读取")
    t.keys("y")
    t.wait("资料已重新载入", absent=("职务变更待审核", "13900001118"))
