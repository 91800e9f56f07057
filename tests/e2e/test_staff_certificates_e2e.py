"""打印学时证明 for several people from 本单位人员 in the real TUI, in tmux (issue 18): the
unit administrator selects people (Space, * for all shown), presses p and gives the year;
the jxjy client saves one PDF with a page each to the path typed (each page's text holds
its person's name; a payload each); in the TUI served over SSH the screen gives the scp
command that fetches the PDF through the session's inbox, which the test runs."""

import re
import subprocess

from conftest import BUILD, SSH_OPTIONS
from helpers import NO_AGENT, NOW, logged_in
from test_certificate_e2e import SSH_TUI
from test_completion_e2e import (UNIT, approve, cdaemon, submit,  # noqa: F401 (fixtures)
                                 world)
from tui_helpers import tui  # noqa: F401 (tui: the fixture)

RENDER = BUILD / "tests" / "unit" / "render-certificate"


def staff(daemon, world, names):
    for name in names:
        _, idn = world.add_staff(UNIT, world.depts["医务科"], name)
        with logged_in(daemon, idn, logout=True) as s:
            ids = [submit(s, "e2c_pub", 4, f"{name}的讲座")]
        approve(daemon, world, ids)


def check_pdf(path, names):
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True, timeout=60).stdout
    pages = [page for page in text.split("\f") if page.strip()]
    assert len(pages) == len(names), text
    for page in pages:      # a page each, in the unit's order (by name's pinyin)
        assert "继续教育学时证明" in page, page
        assert sum(name in page for name in names) == 1, page
    assert all(any(name in page for page in pages) for name in names), text
    payloads = subprocess.run([str(RENDER), "--payload", str(path)], capture_output=True,
                              text=True, check=True, timeout=60).stdout.split()
    assert len([p for p in payloads if p]) == len(names), payloads


def select_all_and_print(t, prefix, n):
    t.open_function("本单位人员")
    t.wait("本单位人员")
    t.filter(prefix)
    t.wait(f"共 {n} 人")
    t.keys("Enter")
    t.type("*")
    t.wait(f"已选 {n} 条")
    t.type("p")
    t.wait(f"为 {n} 人开具学时证明", "不填：上一年度")
    t.type(str(NOW))
    t.keys("Enter")


def test_jxjy_client_saves_the_units_pdf(cdaemon, world, tui, tmp_path):
    names = ["批证甲", "批证乙"]
    staff(cdaemon, world, names)
    out = tmp_path / "本单位证明.pdf"
    t = tui()
    t.start(cdaemon)
    t.login(world.admin, then="功能列表")
    select_all_and_print(t, "批证", 2)
    t.wait("保存", f"学时证明-{UNIT}-{NOW}.pdf", "2 人")
    t.type(str(out))
    t.keys("Enter")
    t.wait("已保存", "人的学时证明，每人单独起页")
    check_pdf(out, names)
    t.keys("Enter")
    t.wait("本单位人员")
    t.quit()


def test_served_tui_gives_the_scp_command(cdaemon, world, tui, tmp_path):
    """In the TUI served over SSH the certificates are made on the server and the screen
    gives the scp command that fetches them through the session's inbox; run as given, it
    brings the PDF with a page each."""
    names = ["远证甲", "远证乙", "远证丙"]
    staff(cdaemon, world, names)
    t = tui()
    t.term.send_line(SSH_TUI.format(port=cdaemon.port))
    t.login(world.admin, then="功能列表")
    select_all_and_print(t, "远证", 3)
    text = t.wait("scp -P", "本次会话结束前均可下载")
    m = re.search(r"scp -P (\d+) (inbox-[A-Z0-9]{10})@([0-9.]+):(\S+) \.", text)
    assert m, text
    port, token, host, name = m.groups()
    out = tmp_path / "unit.pdf"
    r = subprocess.run(["scp", *SSH_OPTIONS, *NO_AGENT, "-P", port, f"{token}@{host}:{name}",
                        str(out)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    check_pdf(out, names)
    t.keys("Enter")
    t.wait("本单位人员", absent=("scp -P",))
    t.quit()
