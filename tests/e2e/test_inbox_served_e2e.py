"""The served TUI's inbox (app_inbox_pick, shared by 学时学分申报's attachment and the
training base's roster import) for a staff member's declaration: the TUI served over
ssh -t shows the inbox's scp command, the file sent with it is listed after r, and 1
attaches it to the declaration, which is saved with it."""

from test_base_e2e import SSH_TUI, scp_to_inbox
from test_declarations_e2e import png_bytes
from tui_helpers import World, tui  # noqa: F401 (tui: the fixture)


def test_served_declaration_attaches_from_the_inbox(ddaemon, postgres, tui, tmp_path):
    w = World(postgres, ddaemon.dbname)
    depts = w.add_unit("E2IB", "收件箱端测单位", ("科研处",))
    aid, idn = w.add_staff("E2IB", depts["科研处"], "收件甲")
    t = tui(80, 24)
    t.term.send_line(SSH_TUI.format(port=ddaemon.port))
    t.login(idn, then="功能列表")
    t.open_function("学时学分申报")
    t.wait("筛选")
    t.type("t_credits")
    t.keys("Enter")
    t.wait("从收件箱选择文件")
    t.type("收件箱课程")
    for _ in range(5):                  # 成绩, 备注, 计入年度, 学分, the inbox's button
        t.keys("Down")
    t.keys("Enter")
    text = t.wait("scp -P", "r 刷新")
    scan = tmp_path / "证明.png"
    scan.write_bytes(png_bytes())
    scp_to_inbox(text, scan, ddaemon.port)
    t.keys("r")
    t.wait("1. 证明.png", "1-5 选用该文件")
    t.keys("1")
    t.wait("附件：证明.png")
    # 学分 is still empty: typed, then saved as a draft with its attachment.
    t.keys("Up")
    t.type("2")
    t.keys("Down", "Down", "Right", "Enter")   # the inbox's button, 提交, 保存暂不提交
    t.wait("已保存为草稿")
    assert w.value(f"SELECT a.name FROM attachments a JOIN declarations d ON "
                   f"d.id = a.declaration_id WHERE d.account_id = {aid}") == "证明.png"
    t.quit()
