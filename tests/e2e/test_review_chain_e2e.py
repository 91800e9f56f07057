"""The review chain in the staff member's 申报进度查询 详细 (issue 16), in the real jxjy TUI in
tmux: a record the unit approved says "当前审核环节  人社部门审核" and the unit's approval; once
the authority rejects it, the detail says which step rejected it, who, and why.

The decisions are made over the RPC (the reviewers' screens are tested elsewhere); the
person's screen is read as it is drawn."""

import pytest

from conftest import module_daemon
from helpers import NOW, logged_in
from tui_helpers import World, tui  # noqa: F401 (tui: the fixture)

UNIT, UNIT_NAME = "E2CH", "链审端测单位"

FORMS_TEXT = """learning_forms = (
	{
		code = "e2e_chain";
		name = "端测两级审核"; name_en = "E2E two steps";
		category = "public";
		attachment = "none";
		review = [ "unit", "authority" ];
		fields = (
			{ key = "course"; label = "课程名称"; label_en = "Course"; type = "text"; required = true; }
		);
	}
);"""


@pytest.fixture(scope="module")
def cdaemon(postgres, migrated_template, tmp_path_factory):
    yield from module_daemon(postgres, migrated_template, tmp_path_factory, "jxjyd-chain-e2e",
                             None, FORMS_TEXT)


@pytest.fixture(scope="module")
def world(cdaemon, postgres):
    w = World(postgres, cdaemon.dbname)
    w.depts = w.add_unit(UNIT, UNIT_NAME, ("科研处",))
    w.admin = w.add_admin(UNIT, "链审端测管理员")[1]
    w.authority = w.add_authority("郑州市人社局端测", scope="410100")[1]
    return w


def test_the_detail_names_the_step_and_who_rejected_at_which(cdaemon, world, tui):
    _, idn = world.add_staff(UNIT, world.depts["科研处"], "链审端测人")
    with logged_in(cdaemon, idn) as s:
        rid = s.result("declaration.submit", {"form": "e2e_chain", "year": NOW, "amount": 3,
                                              "fields": {"course": "两级审核课"}})["id"]
    with logged_in(cdaemon, world.admin) as a:
        assert a.result("review.approve_declarations", {"ids": [rid]})["results"][0]["ok"]

    t = tui()
    t.start(cdaemon)
    t.login(idn, then="功能列表")
    t.open_function("申报进度查询")
    t.wait("两级审核课", "待审核")
    t.keys("Enter")
    t.wait("当前审核环节", "人社部门审核")
    assert "人社部门审核" in t.line_with("当前审核环节")
    line = t.line_with("单位审核")
    assert "审核通过" in line and "链审端测管理员" in line
    t.keys("Escape")
    t.wait("两级审核课")

    with logged_in(cdaemon, world.authority) as au:
        r = au.result("authority.reject_declarations", {"ids": [rid], "reason": "超出年度上限"})
        assert r["results"][0]["ok"]
    t.keys("Enter")
    t.wait("人社部门审核", "超出年度上限", absent=("当前审核环节",))
    line = t.line_with("超出年度上限")
    assert "人社部门审核" in line and "审核不通过" in line and "郑州市人社局端测" in line
    assert "审核通过" in t.line_with("单位审核")
