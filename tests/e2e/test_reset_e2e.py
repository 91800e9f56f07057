"""A forgotten password in the real jxjy TUI, in tmux, on the real daemon (issue 12, point
7): the unit administrator resets it from 本单位人员 (the confirmation has "No" focused),
reads the one-time code off the screen, and the person logs in with it, is taken straight
to the password change -- which lists their SSH key with Remove/Keep -- and then reaches
the home screen."""

import re
import subprocess

import pytest

from helpers import DEMO_PASSWORD, NEW_PASSWORD
from tui_helpers import World, tui  # noqa: F401 (tui: the fixture)

UNIT, UNIT_NAME = "E2RS", "重置端测医院"
CODE = re.compile(r"[2-9A-HJKMNP-Z]{4}(?:-[2-9A-HJKMNP-Z]{4}){3}")


@pytest.fixture(scope="module")
def world(daemon, postgres):
    w = World(postgres, daemon.dbname)
    w.depts = w.add_unit(UNIT, UNIT_NAME, ("内科",))
    w.admin_id, w.admin = w.add_admin(UNIT, "重管理")
    return w


def test_admin_resets_and_the_person_sets_a_new_password(daemon, world, tui, tmp_path):
    aid, idn = world.add_staff(UNIT, world.depts["内科"], "重置甲")
    key = tmp_path / "laptop"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "laptop", "-f",
                    str(key)], check=True, timeout=30)
    with daemon.rpc() as s:
        s.result("session.login", {"id_number": idn, "password": DEMO_PASSWORD})
        kid = s.result("keys.add", {"key": (tmp_path / "laptop.pub").read_text(),
                                    "password": DEMO_PASSWORD})["id"]
    hash_before = world.value(f"SELECT password_hash FROM accounts WHERE id = {aid}")

    admin = tui()
    admin.start(daemon)
    admin.login(world.admin, DEMO_PASSWORD, then="功能列表")
    admin.keys("Down", "Down", "Enter")
    admin.wait("本单位人员", "重置甲", "r：重置密码")
    admin.filter("重置甲")
    admin.wait("共 1 人")
    admin.keys("Enter")
    # r asks first, with "No" focused: Enter alone changes nothing.
    admin.keys("r")
    admin.wait("要重置 重置甲", "[ 否 ]")
    admin.keys("Enter")
    admin.wait("本单位人员", absent=("要重置",))
    assert world.value(f"SELECT password_hash FROM accounts WHERE id = {aid}") == hash_before
    admin.keys("r")
    admin.wait("要重置 重置甲")
    admin.keys("Left", "Enter")
    text = admin.wait("一次性验证码", "只显示这一次")
    code = CODE.search(text).group(0)
    admin.keys("Enter")
    admin.wait("密码已重置", absent=(code,))
    assert world.value(f"SELECT must_change_password FROM accounts WHERE id = {aid}") == "t"

    person = tui()
    person.start(daemon)
    # The code as read aloud: small letters, the groups apart.
    person.login(idn, code.lower().replace("-", " "), then="单位管理员已重置您的密码")
    text = person.wait("新密码", "SSH 密钥", "laptop", "删除", "保留")
    assert "原密码" not in text, text
    person.type(NEW_PASSWORD)
    person.keys("Tab")
    person.type(NEW_PASSWORD)
    person.keys("Tab", "Right", "Tab", "Enter")  # the key: Keep; then OK
    person.wait("密码已修改")
    person.keys("Enter")
    person.wait("功能列表", "用户资料管理")
    assert world.value(f"SELECT must_change_password FROM accounts WHERE id = {aid}") == "f"
    assert world.value(f"SELECT id FROM account_keys WHERE account_id = {aid}") == str(kid)
    person.quit()
    admin.quit()
    with daemon.rpc() as s:
        s.result("session.login", {"id_number": idn, "password": NEW_PASSWORD})
