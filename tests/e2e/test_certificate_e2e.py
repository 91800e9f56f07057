"""打印学时证明 from 年度完成情况 in the real TUI, in tmux (issue 18): in the TUI served over
SSH (no disk of the user's) the screen shows the scp command that fetches the PDF through
the session's inbox, which the test runs as the person would; with the jxjy client the PDF
is saved to the path typed.  Either way pdftotext finds the person's name and figures."""

import re
import subprocess

from conftest import SSH_OPTIONS
from helpers import NO_AGENT, NOW, logged_in
from test_completion_e2e import (UNIT, approve, cdaemon, submit,  # noqa: F401 (fixtures)
                                 world)
from tui_helpers import tui  # noqa: F401 (tui: the fixture)

SSH_TUI = ("ssh -tt -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
           "-o LogLevel=ERROR -o IdentityAgent=none -o IdentitiesOnly=yes -p {port} localhost; "
           "echo EXITED=$?")


def person(daemon, world, name):
    """A staff member with 4 + 16.5 approved hours this year."""
    _, idn = world.add_staff(UNIT, world.depts["检验科"], name)
    with logged_in(daemon, idn, logout=True) as s:
        ids = [submit(s, "e2c_pub", 4, "证明端测讲座"), submit(s, "e2c_pro", "16.5", "证明端测研修")]
    approve(daemon, world, ids)
    return idn


def pdf_text(path):
    r = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    return re.sub(r"[ \t]+", " ", r.stdout.decode("utf-8"))


def check_pdf(path, name):
    text = pdf_text(path)
    assert "继续教育学时证明" in text and name in text, text
    assert "证明端测讲座" in text and "证明端测研修" in text and "20.5" in text, text


def print_from_completion(t):
    """年度完成情况 → p → Enter (the year shown)."""
    t.open_function("年度完成情况")
    t.wait("年度完成情况", "[ p: 打印学时证明 ]")
    t.type("p")
    t.wait("证明哪些年度", f"直接回车：{NOW} 年度")
    t.keys("Enter")


def test_served_tui_shows_the_scp_command(cdaemon, world, tui, tmp_path):
    idn = person(cdaemon, world, "证明甲")
    t = tui()
    t.term.send_line(SSH_TUI.format(port=cdaemon.port))
    t.login(idn, then="功能列表")
    print_from_completion(t)
    text = t.wait("scp -P", "sftp -P", "验证码")
    m = re.search(r"scp -P (\d+) (inbox-[A-Z0-9]{10})@([0-9.]+):(\S+) \.", text)
    assert m, text
    port, token, host, name = m.groups()
    assert int(port) == cdaemon.port and name == f"学时证明-{NOW}.pdf", m.groups()
    assert f"sftp -P {port} {token}@{host}:{name}" in text
    # Run it as the person would, in a directory of their own.
    r = subprocess.run(["scp", *SSH_OPTIONS, *NO_AGENT, "-P", port, f"{token}@{host}:{name}",
                        "."], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    check_pdf(tmp_path / name, "证明甲")
    t.keys("Enter")
    t.wait("[ p: 打印学时证明 ]", absent=("scp -P",))
    # A range the server refuses: said on the message line.
    t.type("p")
    t.wait("证明哪些年度")
    t.type(f"{NOW - 5}-{NOW}")
    t.keys("Enter")
    t.wait("最多包含 5 个年度")
    t.quit()


def test_jxjy_client_saves_to_the_path_typed(cdaemon, world, tui, tmp_path):
    idn = person(cdaemon, world, "证明乙")
    out = tmp_path / "我的证明.pdf"
    t = tui()
    t.start(cdaemon)
    t.login(idn, then="功能列表")
    print_from_completion(t)
    t.wait("保存", f"学时证明-{NOW}.pdf")
    t.type(str(out))
    t.keys("Enter")
    t.wait("已保存", "验证码")
    check_pdf(out, "证明乙")
    t.keys("Enter")
    t.wait("[ p: 打印学时证明 ]")
    t.quit()
