"""What the listener missed, on the screen: a person's 申报进度查询 is open in the real jxjy
TUI (tmux) while the daemon's listening connection is kept out of the database; the unit
administrator approves the declaration meanwhile, and its notice reaches nobody, so the
screen still says 待审核.  When the listener is back, the daemon tells every session to
re-read (record.changed kind "all"), and the open screen shows 审核通过 and says why,
nobody having pressed a key there."""

import os

from helpers import NOW, PLAIN, forms_text, logged_in, wait_listening
from listener_apart import ListenerApart
from tui_helpers import World, tui  # noqa: F401 (tui: the fixture)


def test_a_change_made_while_the_listener_was_away_shows_on_an_open_screen(
        postgres, migrated_template, tmp_path, tui):
    db = postgres.new_database(template=migrated_template)
    apart = ListenerApart(postgres, db, tmp_path, f"jxjy_e2e_listener_{os.getpid()}",
                          forms_text([PLAIN]))
    try:
        apart.d.start()
        wait_listening(apart.d)
        w = World(postgres, db)
        depts = w.add_unit("E2LS", "监听端测医院", ("内科",))
        _, admin = w.add_admin("E2LS", "监听管理员")
        _, idn = w.add_staff("E2LS", depts["内科"], "监听甲")
        with logged_in(apart.d, idn) as s:
            did = s.result("declaration.submit", {"form": PLAIN["code"], "year": NOW,
                                                  "amount": 2, "fields": {"name": "离线审核班"}})["id"]
        t = tui()
        t.start(apart.d)
        t.login(idn, then="功能列表")
        t.open_function("申报进度查询")
        t.wait(PLAIN["name"], "待审核")

        apart.keep_out()
        with logged_in(apart.d, admin) as a:
            r = a.result("review.approve_declarations", {"ids": [did]})
            assert all(x["ok"] for x in r["results"]), r
        assert w.value(f"SELECT state FROM declarations WHERE id = {did}") == "approved"
        # Nobody heard it: the screen still says 待审核.
        t.wait(PLAIN["name"], "待审核")
        assert "审核通过" not in t.line_with(PLAIN["name"])

        apart.let_in()
        text = t.wait("期间的变更可能未通知到", timeout=15)
        line = t.line_with(PLAIN["name"])
        assert "审核通过" in line and "待审核" not in line, text
        t.quit()
    finally:
        apart.remove()
