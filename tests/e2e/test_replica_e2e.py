"""How fresh a replica's figures are, on the screen: the unit administrator's 完成情况统计
read from a streaming replica (database.replica_conninfo) ends its summary line in
数据截至 HH:MM:SS（只读副本）, whole and inside the screen also on a narrow terminal, and a
CSV export says the same after 已保存; the authority's 继续教育完成情况统计 too; a daemon
without a replica shows no such line.
"""

import re

import pytest

from conftest import Daemon
from helpers import NOW, logged_in
from replica import replica  # noqa: F401 (the module-scoped fixture)
from tui_helpers import World, tui  # noqa: F401 (tui: the fixture)

UNIT = "E2RP"
FRESH = re.compile(r"数据截至 \d\d:\d\d:\d\d（只读副本）")
CONFIG_TEXT = """learning_forms = ( {
	code = "e2r_pro"; name = "副本端测课"; name_en = "Replica E2E course";
	category = "professional"; attachment = "none";
	fields = ( { key = "name"; label = "课程名称"; label_en = "Course"; type = "text"; required = true; } );
} );"""


@pytest.fixture(scope="module")
def site(postgres, migrated_template, replica, tmp_path_factory):
    """Two daemons on one database, one reading reports from the replica."""
    db = postgres.new_database(template=migrated_template)
    w = World(postgres, db)
    w.depts = w.add_unit(UNIT, "副本端测单位", ("医务科",))
    base = tmp_path_factory.mktemp("jxjyd-replica-e2e")
    with_replica = Daemon(base / "r", postgres, db, {"database": {
        "replica_conninfo": replica.conninfo(db), "replica_max_lag_ms": 60000}}, CONFIG_TEXT)
    without = Daemon(base / "p", postgres, db, None, CONFIG_TEXT)
    with_replica.start()
    without.start()
    w.admin_id, w.admin = w.add_admin(UNIT, "副本统计员")
    w.authority = w.add_authority("副本省统计员", scope="410000")[1]
    _, w.staff = w.add_staff(UNIT, w.depts["医务科"], "副本甲")
    try:
        yield {"r": with_replica, "p": without, "w": w}
    finally:
        with_replica.stop()
        without.stop()


def open_report(t, daemon, world):
    t.start(daemon)
    t.login(world.admin, then="功能列表")
    t.open_function("完成情况统计")
    return t.wait("完成情况统计", "副本甲")


def served_by_replica(t):
    """F5 until the report says the replica served it (its first check may find it not yet
    known fresh: the primary serves that read)."""
    for _ in range(10):
        try:
            return t.wait(FRESH, timeout=3)
        except AssertionError:
            t.keys("F5")
    return t.wait(FRESH, timeout=3)


@pytest.mark.parametrize("width", [100, 80])
def test_report_from_the_replica_says_how_fresh(site, tui, tmp_path, width):
    d, w = site["r"], site["w"]
    with logged_in(d, w.admin) as adm:      # the replica has served a report once
        adm.result("completion.report", {"year": NOW})
    t = tui(width=width)
    open_report(t, d, w)
    text = served_by_replica(t)
    line = next(l for l in t.lines() if FRESH.search(l))
    # On the summary line, whole, inside the screen (t.wait checked the borders).
    assert "共 1 人" in line or "共 1 人" in text, text
    assert FRESH.search(line).end() <= len(line.rstrip())
    if width == 100:
        # The export's confirmation says it too (the summary line above still does).
        t.type("e")
        t.wait("导出", "完成情况-")
        t.type(str(tmp_path / "r.csv"))
        t.keys("Enter")
        text = t.wait("已保存")
        assert text.count("只读副本") >= 2, text
        t.keys("Enter")
        assert "副本甲" in (tmp_path / "r.csv").read_text(encoding="utf-8-sig")
    t.quit()


def test_report_from_the_primary_says_nothing_of_it(site, tui):
    t = tui()
    text = open_report(t, site["p"], site["w"])
    assert "数据截至" not in text and "只读副本" not in text, text
    t.quit()


def test_authority_statistics_from_the_replica_say_how_fresh(site, tui):
    d, w = site["r"], site["w"]
    t = tui(width=80)
    t.start(d)
    t.login(w.authority, then="功能列表")
    t.open_function("继续教育完成情况统计")
    t.wait("继续教育完成情况统计", "郑州市")
    served_by_replica(t)
    line = next(l for l in t.lines() if FRESH.search(l))
    assert "人" in line, line       # the summary line: N counted, met, not met, rate
    t.quit()
