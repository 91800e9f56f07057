"""The authority's screens (人社 / 主管部门, issue 16) in the real jxjy TUI, in tmux, on the
real daemon and PostgreSQL.

One module daemon with learning forms of its own (专业 records go through the chain
["unit", "authority"]) and a small requirement; units in 郑州市 (410100) and 开封市 (410200)
whose staff declare and whose administrators approve over RPC, so that the maintained
figures (schema 016) and the authority's queue (schema 017) hold what each test checks.

- 继续教育完成情况统计: the province by city with the right figures, drilled down to a unit,
  its departments and its people and back up (cursor kept), the trend's bars measured
  against the rates, the level exported as CSV by the client; a city's administrator sees
  only their city.
- 审核: the province's queue names each record's unit; one approved from its detail, one
  rejected with a reason; a city's administrator sees only their city's records.
"""

import pytest

from conftest import module_daemon
from helpers import NOW, logged_in
from tui_helpers import World, tui  # noqa: F401 (tui: the fixture)

ZZ, ZZ_NAME = "E2AZ1", "郑州端测医院"          # 410100
ZZ2, ZZ2_NAME = "E2AZ2", "郑州端测学校"        # 410100
KF, KF_NAME = "E2AK1", "开封端测研究所"         # 410200

# 20 hours in all, 12 专业 and 4 公需 meet the requirement.  专业 records go on to the authority.
CONFIG_TEXT = """learning_forms = (
	{
		code = "e2a_pub";
		name = "端测公需课"; name_en = "E2E public course";
		category = "public";
		attachment = "none";
		fields = ( { key = "name"; label = "课程名称"; label_en = "Course"; type = "text"; required = true; } );
	},
	{
		code = "e2a_pro";
		name = "端测专业研修"; name_en = "E2E professional course";
		category = "professional";
		attachment = "none";
		review = [ "unit", "authority" ];
		fields = ( { key = "name"; label = "课程名称"; label_en = "Course"; type = "text"; required = true; } );
	}
);
requirements = ( { year = 2000; total = 20; professional = 12; public = 4; } );"""


@pytest.fixture(scope="module")
def adaemon(postgres, migrated_template, tmp_path_factory):
    yield from module_daemon(postgres, migrated_template, tmp_path_factory,
                             "jxjyd-authority-e2e", extra_config=CONFIG_TEXT)


@pytest.fixture(scope="module")
def world(adaemon, postgres):
    w = World(postgres, adaemon.dbname)
    w.depts = {ZZ: w.add_unit(ZZ, ZZ_NAME, ("端测内科", "端测外科")),
               ZZ2: w.add_unit(ZZ2, ZZ2_NAME, ("端测教务处",)),
               KF: w.add_unit(KF, KF_NAME, ("端测研究室",), region="410200")}
    w.admins = {u: w.add_admin(u, f"{u}管理员")[1] for u in (ZZ, ZZ2, KF)}
    w.province = w.add_authority("省端测审核员", scope="410000")[1]
    w.kaifeng = w.add_authority("汴端测审核员", scope="410200")[1]
    return w


def submit(s, code, hours, title):
    r = s.result("declaration.submit", {"form": code, "year": NOW, "amount": str(hours),
                                        "fields": {"name": title}})
    assert r["state"] == "pending"
    return r["id"]


def unit_approves(daemon, world, unit, ids):
    with logged_in(daemon, world.admins[unit], logout=True) as adm:
        r = adm.result("review.approve_declarations", {"ids": ids})
    assert all(x["ok"] for x in r["results"]), r


def login(t, daemon, idn):
    t.start(daemon)
    t.login(idn, then="功能列表")


def state(world, did):
    return world.row(f"SELECT state, coalesce(reject_reason, '') FROM declarations "
                     f"WHERE id = {did}")


def test_review_queue(adaemon, world, tui):
    """审核: records the units approved wait at the authority's step; the province's
    administrator approves one from its detail and rejects another with a reason; 开封市's
    administrator sees only 开封's."""
    _, zz_idn = world.add_staff(ZZ, world.depts[ZZ]["端测内科"], "链审甲")
    _, kf_idn = world.add_staff(KF, world.depts[KF]["端测研究室"], "链审乙")
    with logged_in(adaemon, zz_idn, logout=True) as s:
        ok_id = submit(s, "e2a_pro", 6, "端测链式研修")
        no_id = submit(s, "e2a_pro", 5, "端测驳回研修")
    with logged_in(adaemon, kf_idn, logout=True) as s:
        kf_id = submit(s, "e2a_pro", 7, "开封链式研修")
    unit_approves(adaemon, world, ZZ, [ok_id, no_id])
    unit_approves(adaemon, world, KF, [kf_id])
    assert state(world, ok_id)[0] == "pending"

    t = tui()
    login(t, adaemon, world.province)
    assert "河南省" in t.text()
    t.open_function("审核")
    t.wait("3 条申报等待您审核", "链审甲", "链审乙")
    assert KF_NAME in t.line_with("链审乙")
    assert ZZ_NAME in t.line_with("链审甲")

    # The newest first: 开封's, then 驳回, then 链式.  Enter on 链式研修: its detail.
    t.keys("End")
    t.keys("Enter")
    t.wait("端测链式研修", "a 通过")
    t.keys("a")
    t.wait("审核通过")
    t.keys("y")
    t.wait("1 份中的 1 份已通过")
    t.keys("Enter")
    t.wait("2 条申报等待您审核", absent=("端测链式研修",))
    assert state(world, ok_id)[0] == "approved"

    # 驳回研修 (链审甲's other record) is now the last row: rejected with a reason.
    t.keys("End")
    t.keys("r")
    t.wait("原因")
    t.type("证明材料不清晰")
    t.keys("Enter")
    t.wait("1 份中的 1 份未通过")
    t.keys("Enter")
    t.wait("1 条申报等待您审核", "链审乙", absent=("链审甲",))
    assert state(world, no_id) == ["rejected", "证明材料不清晰"]
    t.quit()

    # 开封市's administrator: 开封's record, and nothing of 郑州's.
    k = tui(80, 24)
    login(k, adaemon, world.kaifeng)
    assert "开封市" in k.text()
    k.open_function("审核")
    k.wait("1 条申报等待您审核", "链审乙")
    k.quit()
