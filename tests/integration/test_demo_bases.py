"""The demo's training base (scripts/demo-bases.sql, scripts/demo-base-classes.sql) loads
on the current schema, after the demo's other data, as scripts/demo loads it, and twice
adds nothing: its administrator sees a class in each state, 孙明 a 基地学时申报 record of
the base's, and 王建国's review queue the base's records waiting for him."""

from conftest import REPO
from helpers import Accounts, logged_in

SUN_MING, WANG_JIANGUO, ZHAO_HUIMIN = "410104198503181573", "410105197205161357", \
    "41010519790823302X"


def load(world, *names):
    for name in names:
        world.sql((REPO / "scripts" / name).read_text(encoding="utf-8"))


def test_demo_base_loads_and_shows(ddaemon, postgres):
    w = Accounts(postgres, ddaemon.dbname)
    # As scripts/demo: the base before jxjyd starts (here: already running, its forms
    # synced), its classes after the declarations.
    load(w, "demo-data.sql", "demo-accounts.sql", "demo-bases.sql", "demo-declarations.sql",
         "demo-base-classes.sql")
    counted = ("SELECT (SELECT count(*) FROM base_classes) || ' ' || (SELECT count(*) FROM "
               "base_roster) || ' ' || (SELECT count(*) FROM declarations WHERE source = "
               "'base') || ' ' || (SELECT count(*) FROM base_class_audit)")
    before = w.value(counted)
    assert before.split()[:3] == ["4", "11", "5"], before
    load(w, "demo-bases.sql", "demo-base-classes.sql")
    assert w.value(counted) == before

    with logged_in(ddaemon, ZHAO_HUIMIN) as s:
        classes = s.result("class.list")
        assert classes["counts"] == {"draft": 1, "reported": 2, "withdrawn": 1, "all": 4}
        by_name = {c["name"]: c for c in classes["items"]}
        assert by_name["急诊急救技能培训班"]["roster"] == {"rows": 3, "bad": 2, "unclaimed": 0}
        assert by_name["普外科腔镜技术研修班"]["roster"]["unclaimed"] == 1
        rows = s.result("roster.list", {"class_id": by_name["心血管疾病诊疗新进展学术会议"]["id"]})
        states = {r["name"]: (r["record"]["state"], r["record"]["reject_reason"])
                  for r in rows["items"]}
        assert states["孙明"] == ("approved", None) and states["周静"][0] == "rejected"
        assert states["周静"][1]

    with logged_in(ddaemon, SUN_MING) as s:
        items = s.result("declaration.list", {"limit": 200})["items"]
        base = [i for i in items if i["source"] == "base"]
        assert {i["class"]["name"] for i in base} == {"普外科腔镜技术研修班",
                                                      "心血管疾病诊疗新进展学术会议"}
        assert all(i["base"]["name"] == "河南省医学继续教育培训中心" for i in base)

    with logged_in(ddaemon, WANG_JIANGUO) as s:
        queue = s.result("review.declarations", {"limit": 200})["items"]
        assert sorted(i["person"]["name"] for i in queue if i["source"] == "base") == \
            ["周静", "孙明"]


WANG_ZHENDONG, LIU_YAQIN = "410105197203150013", "410102198106070041"


def test_demo_authority_loads_and_logs_in(ddaemon, postgres):
    w = Accounts(postgres, ddaemon.dbname)
    load(w, "demo-data.sql", "demo-authority.sql")
    before = w.value("SELECT count(*) FROM accounts WHERE role = 'authority'")
    load(w, "demo-authority.sql")
    assert w.value("SELECT count(*) FROM accounts WHERE role = 'authority'") == before
    with logged_in(ddaemon, WANG_ZHENDONG) as s:
        assert s.result("session.whoami")["account"]["scope"] == \
            {"code": "410000", "name": "河南省", "province": True}
    with logged_in(ddaemon, LIU_YAQIN) as s:
        assert s.result("session.whoami")["account"]["scope"]["name"] == "郑州市"
