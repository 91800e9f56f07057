"""The unit administrator's review of registrations (review.*), and unit administrators
provisioned from jxjyd.conf (admins_sync), on the real daemon over SSH.

An administrator may see and decide only their own unit's applications; the queue pages
by keyset without gaps or repeats; two administrators deciding one application at the
same moment get exactly one decision between them, and the loser is told who won.
"""

import base64
import json
import re
import signal

import pytest

from helpers import (DEMO_HASH, INVALID_INPUT, INVALID_PARAMS, ISO, NOT_FOUND, NOT_PERMITTED,
                     PASSWORD, Accounts, add_pending, application, born_of, decision_rows,
                     expect_error, id_number, logged_in, queue_ids, race_decisions, sex_of,
                     ssh_key, write_admins)


@pytest.fixture(scope="module")
def world(daemon, postgres):
    acc = Accounts(postgres, daemon.dbname, "RV")
    a = acc.add_unit("RVA", "审核测试甲单位", departments=("人事处", "科研处"))
    b = acc.add_unit("RVB", "审核测试乙单位", departments=("办公室",))
    p = acc.add_unit("RVP", "审核测试分页单位", departments=("综合部",))
    w = {
        "acc": acc,
        "unit_a": "RVA", "dept_a": a["人事处"], "dept_a2": a["科研处"],
        "unit_b": "RVB", "dept_b": b["办公室"],
        "unit_p": "RVP", "dept_p": p["综合部"],
        "major": acc.value("SELECT min(code) FROM majors WHERE active"),
        "title": int(acc.value("SELECT min(id) FROM titles WHERE active")),
    }
    w["a1"] = acc.add_admin("RVA", "甲单位管理员一")
    w["a2"] = acc.add_admin("RVA", "甲单位管理员二")
    w["b1"] = acc.add_admin("RVB", "乙单位管理员")
    w["p1"] = acc.add_admin("RVP", "分页单位管理员")
    return w


def register(daemon, world, unit="a", **changes):
    """Register a new applicant of unit a or b through the RPC; return (account id, idn)."""
    params = application(world, unit=world[f"unit_{unit}"],
                         department_id=world[f"dept_{unit}"], **changes)
    with daemon.rpc() as s:
        s.result("account.register", params)
    return int(world["acc"].account(params["id_number"])["id"]), params["id_number"]


# --- roles -------------------------------------------------------------------------------

METHODS = [
    ("review.registrations", {}),
    ("review.registration", {"account_id": 1}),
    ("review.approve_registrations", {"account_ids": [1]}),
    ("review.reject_registrations", {"account_ids": [1], "reason": "x"}),
]


def test_review_is_for_unit_admins_only(daemon, world):
    with daemon.rpc() as guest:
        for method, params in METHODS:
            expect_error(guest.call(method, params), NOT_PERMITTED, "login_required")
    idn = id_number()
    world["acc"].sql("INSERT INTO accounts (id_number, state, password_hash, name, unit_code) "
                     f"VALUES ('{idn}', 'active', '{DEMO_HASH}', '普通职工', 'RVA')")
    with logged_in(daemon, idn) as staff:
        for method, params in METHODS:
            expect_error(staff.call(method, params), NOT_PERMITTED, "not_permitted")


def test_disabled_admin_is_refused_at_once(daemon, world):
    acc = world["acc"]
    aid, idn = acc.add_admin("RVA", "将被停用的管理员")
    with logged_in(daemon, idn) as s:
        s.result("review.registrations")
        acc.sql(f"UPDATE accounts SET state = 'disabled' WHERE id = {aid}")
        for method, params in METHODS:
            expect_error(s.call(method, params), NOT_PERMITTED, "not_permitted")


# --- the queue ---------------------------------------------------------------------------

def test_queue_lists_own_unit_newest_first(daemon, world):
    mine = [register(daemon, world, "a", name=n) for n in ("刘洋", "陈静", "杨帆")]
    theirs = register(daemon, world, "b", name="黄磊")
    with logged_in(daemon, world["a1"][1]) as s:
        page = s.result("review.registrations")
        ids = [i["account_id"] for i in page["items"]]
        assert ids[:3] == [m[0] for m in reversed(mine)]
        assert theirs[0] not in ids
        assert page["pending_total"] == int(world["acc"].value(
            "SELECT count(*) FROM accounts WHERE unit_code = 'RVA' AND state = 'pending'"))
        item = page["items"][0]
        assert set(item) == {"account_id", "id_number", "name", "sex", "birth_date",
                             "department", "submitted_at", "conflicts", "actions"}
        assert item["conflicts"] == []
        assert item["id_number"] == mine[2][1] and item["name"] == "杨帆"
        assert item["sex"] == sex_of(mine[2][1]) and item["birth_date"] == born_of(mine[2][1])
        assert item["department"] == "人事处"
        assert ISO.match(item["submitted_at"]), item
    with logged_in(daemon, world["b1"][1]) as s:
        ids = [i["account_id"] for i in s.result("review.registrations")["items"]]
        assert theirs[0] in ids and not set(m[0] for m in mine) & set(ids)


def test_other_unit_cannot_read_or_decide(daemon, world):
    acc = world["acc"]
    target, _ = register(daemon, world, "a", name="周杰")
    missing = int(acc.value("SELECT max(id) FROM accounts")) + 1000
    with logged_in(daemon, world["b1"][1]) as s:
        for aid in (target, missing):
            expect_error(s.call("review.registration", {"account_id": aid}), NOT_FOUND,
                         "not_found")
            r = s.result("review.approve_registrations", {"account_ids": [aid]})
            assert r == {"results": [{"account_id": aid, "ok": False, "reason": "not_found"}]}
            r = s.result("review.reject_registrations", {"account_ids": [aid],
                                                          "reason": "不是本单位"})
            assert r == {"results": [{"account_id": aid, "ok": False, "reason": "not_found"}]}
        ids, _ = queue_ids(s)
        assert target not in ids
        # The filter finds nothing of unit A either.
        assert s.result("review.registrations", {"filter": "周杰"})["items"] == []
    assert acc.rows(f"SELECT state FROM accounts WHERE id = {target}") == [["pending"]]
    assert decision_rows(acc, [target]) == {}
    # An administrator cannot read another administrator's account of the own unit.
    with logged_in(daemon, world["a1"][1]) as s:
        expect_error(s.call("review.registration", {"account_id": world["a2"][0]}),
                     NOT_FOUND, "not_found")


def test_keyset_paging_without_gaps_or_repeats(daemon, world):
    acc = world["acc"]
    ids = add_pending(acc, "RVP", world["dept_p"], 120, same_time=3, minutes_ago=10)
    expected = [int(r[0]) for r in acc.rows(
        "SELECT id FROM accounts WHERE unit_code = 'RVP' AND state = 'pending' "
        "ORDER BY submitted_at DESC, id DESC")]
    assert sorted(expected) == sorted(ids)
    with logged_in(daemon, world["p1"][1]) as s:
        got, pages = queue_ids(s, limit=50)
        assert got == expected and pages == 3
        got, pages = queue_ids(s, limit=7)
        assert got == expected and pages == 18
        page = s.result("review.registrations", {"limit": 200})
        assert [i["account_id"] for i in page["items"]] == expected and page["next"] is None
        assert page["pending_total"] == 120
        page = s.result("review.registrations", {"limit": 120})
        assert page["next"] is None

        # Changes between pages: a new application (newest) is not on later pages, one
        # decided meanwhile is not shown, nothing repeats and nothing else is skipped.
        first = s.result("review.registrations", {"limit": 50})
        newer = add_pending(acc, "RVP", world["dept_p"], 1, name="新来的")[0]
        gone = expected[75]
        acc.sql(f"UPDATE accounts SET state = 'active' WHERE id = {gone}")
        rest, _ = queue_ids(s, limit=50, after=first["next"])
        seen = [i["account_id"] for i in first["items"]] + rest
        assert newer not in seen and gone not in seen
        assert seen == [i for i in expected if i != gone]

        expect_error(s.call("review.registrations", {"after": "garbage!"}), INVALID_PARAMS,
                     "cursor_invalid", "after")
        forged = base64.urlsafe_b64encode(json.dumps(
            ["2026-13-45 99:99:99+08", "1"]).encode()).decode().rstrip("=")
        expect_error(s.call("review.registrations", {"after": forged}), INVALID_PARAMS,
                     "cursor_invalid", "after")
        for limit in (0, 201):
            expect_error(s.call("review.registrations", {"limit": limit}), INVALID_PARAMS,
                         "limit_invalid", "limit")


def test_queue_filter(daemon, world):
    acc = world["acc"]
    a, idn_a = register(daemon, world, "a", name="欧阳明月")
    b, idn_b = register(daemon, world, "a", name="司马明")
    with logged_in(daemon, world["a1"][1]) as s:
        page = s.result("review.registrations", {"filter": "明"})
        names = {i["name"] for i in page["items"]}
        assert {"欧阳明月", "司马明"} <= names and all("明" in n for n in names)
        assert page["pending_total"] == len(page["items"])
        page = s.result("review.registrations", {"filter": idn_a[:14]})
        assert [i["account_id"] for i in page["items"]] == [a]
        page = s.result("review.registrations", {"filter": idn_b.lower()})
        assert [i["account_id"] for i in page["items"]] == [b]
        page = s.result("review.registrations", {"filter": "没有这个人"})
        assert page == {"items": [], "next": None, "pending_total": 0}
        expect_error(s.call("review.registrations", {"filter": "a\u0007"}),
                     INVALID_PARAMS, "filter_invalid", "filter")
    assert acc.rows(f"SELECT count(*) FROM accounts WHERE id IN ({a}, {b}) "
                    "AND state = 'pending'") == [["2"]]


# --- reading one application ---------------------------------------------------------------

def test_registration_detail_and_history(daemon, world):
    aid, idn = register(daemon, world, "a", name="孙丽", phone="18637100001",
                        email="sunli@example.cn", native_place="河南洛阳", school="河南大学")
    with logged_in(daemon, world["a1"][1]) as s:
        d = s.result("review.registration", {"account_id": aid})
        assert d["account_id"] == aid and d["id_number"] == idn and d["name"] == "孙丽"
        assert d["state"] == "pending" and d["reject_reason"] is None
        assert d["phone"] == "18637100001" and d["email"] == "sunli@example.cn"
        assert d["sex"] == sex_of(idn) and d["birth_date"] == born_of(idn)
        assert d["unit"] == {"code": "RVA", "name": "审核测试甲单位"}
        assert d["department"] == {"id": world["dept_a"], "name": "人事处"}
        assert d["ethnicity"] == {"code": "01", "name": "汉族"}
        assert d["native_place"] == "河南洛阳" and d["school"] == "河南大学"
        assert d["major"]["code"] == world["major"] and d["major"]["name"]
        assert d["title"]["id"] == world["title"] and d["title"]["series"]
        assert d["education_level"] == {"code": "21", "name": "大学本科"}
        assert d["decided_at"] is None and d["decided_by"] is None
        assert ISO.match(d["submitted_at"]) and ISO.match(d["created_at"])
        assert "password_hash" not in json.dumps(d)
        assert [(h["action"], h["from_state"], h["to_state"]) for h in d["history"]] == [
            ("register", None, "pending")]
        assert d["history"][0]["actor"] == {"name": "孙丽"}

        s.result("review.approve_registrations", {"account_ids": [aid]})
        d = s.result("review.registration", {"account_id": aid})
        assert d["state"] == "active" and d["decided_by"] == {"name": "甲单位管理员一"}
        assert ISO.match(d["decided_at"])
        assert d["history"][-1]["action"] == "approve"
        assert d["history"][-1]["actor"] == {"name": "甲单位管理员一"}


# --- decisions -----------------------------------------------------------------------------

def test_approve_several_at_once(daemon, world):
    acc = world["acc"]
    apps = [register(daemon, world, "a", name=n) for n in ("郑凯", "冯雪", "韩梅")]
    ids = [a for a, _ in apps]
    with logged_in(daemon, world["a1"][1]) as s:
        r = s.result("review.approve_registrations", {"account_ids": ids})
        assert r == {"results": [{"account_id": i, "ok": True} for i in ids]}
        queue, _ = queue_ids(s)
        assert not set(ids) & set(queue)
    a1 = world["a1"][0]
    for aid, idn in apps:
        row = acc.account(idn)
        assert row["state"] == "active" and row["decided_by"] == str(a1)
        assert acc.audit(aid)[-1] == ("approve", "pending", "active", str(a1), "")
    assert decision_rows(acc, ids) == {i: 1 for i in ids}
    # Approved people may log in now.
    with logged_in(daemon, apps[0][1], PASSWORD) as s:
        assert s.result("session.whoami")["account"]["role"] == "staff"


def test_reject_needs_a_reason(daemon, world):
    acc = world["acc"]
    apps = [register(daemon, world, "a", name=n) for n in ("谢娜", "唐亮")]
    ids = [a for a, _ in apps]
    with logged_in(daemon, world["a1"][1]) as s:
        expect_error(s.call("review.reject_registrations", {"account_ids": ids}),
                     INVALID_PARAMS, "required", "reason")
        for blank in ("", "  \t "):
            expect_error(s.call("review.reject_registrations",
                                {"account_ids": ids, "reason": blank}),
                         INVALID_INPUT, "reason_required", "reason")
        for bad in ("x" * 201, "部门\n选错", "\u001b[2J清屏"):
            expect_error(s.call("review.reject_registrations",
                                {"account_ids": ids, "reason": bad}),
                         INVALID_INPUT, "reason_invalid", "reason")
        assert decision_rows(acc, ids) == {}

        r = s.result("review.reject_registrations",
                     {"account_ids": ids, "reason": " 所选部门不对，请改为科研处 "})
        assert r == {"results": [{"account_id": i, "ok": True} for i in ids]}
    for aid, idn in apps:
        row = acc.account(idn)
        assert row["state"] == "rejected" and row["reject_reason"] == "所选部门不对，请改为科研处"
        assert acc.audit(aid)[-1][:3] == ("reject", "pending", "rejected")
        assert acc.audit(aid)[-1][4] == "所选部门不对，请改为科研处"
    with daemon.rpc() as s:
        err = expect_error(s.call("session.login", {"id_number": apps[0][1],
                                                    "password": PASSWORD}),
                           -32005, "rejected")
        assert "所选部门不对" in err["message"]

    # 200 characters exactly are accepted.
    aid, _ = register(daemon, world, "a")
    with logged_in(daemon, world["a1"][1]) as s:
        r = s.result("review.reject_registrations", {"account_ids": [aid], "reason": "理" * 200})
        assert r["results"][0]["ok"] is True


def test_account_ids_are_checked(daemon, world):
    with logged_in(daemon, world["a1"][1]) as s:
        for ids in ([], ["1"], [0], [-3], [1.5], [None], list(range(1, 202))):
            for method, extra in (("review.approve_registrations", {}),
                                  ("review.reject_registrations", {"reason": "原因"})):
                expect_error(s.call(method, {"account_ids": ids, **extra}), INVALID_PARAMS,
                             "account_ids_invalid", "account_ids")
        expect_error(s.call("review.approve_registrations", {"account_ids": 5}),
                     INVALID_PARAMS, "param_type", "account_ids")


def test_decided_application_names_who_decided(daemon, world):
    acc = world["acc"]
    done, _ = register(daemon, world, "a", name="蒋文")
    open_, _ = register(daemon, world, "a", name="沈冰")
    missing = int(acc.value("SELECT max(id) FROM accounts")) + 1000
    with logged_in(daemon, world["a1"][1]) as s:
        s.result("review.approve_registrations", {"account_ids": [done]})
    with logged_in(daemon, world["a2"][1]) as s:
        r = s.result("review.reject_registrations",
                     {"account_ids": [done, open_, missing], "reason": "信息不全"})
        lost, won, none = r["results"]
        assert lost["account_id"] == done and lost["ok"] is False
        assert lost["reason"] == "already_decided" and lost["state"] == "active"
        assert lost["decided_by"] == {"name": "甲单位管理员一"}
        assert ISO.match(lost["decided_at"])
        assert won == {"account_id": open_, "ok": True}
        assert none == {"account_id": missing, "ok": False, "reason": "not_found"}
    assert acc.rows(f"SELECT state FROM accounts WHERE id = {done}") == [["active"]]
    assert decision_rows(acc, [done, open_]) == {done: 1, open_: 1}


def test_withdrawn_application_cannot_be_decided(daemon, world):
    aid, idn = register(daemon, world, "a", name="韦小宝")
    with daemon.rpc() as s:
        s.result("application.withdraw", {"id_number": idn, "password": PASSWORD})
    with logged_in(daemon, world["a1"][1]) as s:
        r = s.result("review.approve_registrations", {"account_ids": [aid]})
        item = r["results"][0]
        assert item["ok"] is False and item["reason"] == "already_decided"
        assert item["state"] == "withdrawn" and item["decided_by"] == {"name": "韦小宝"}


def test_two_admins_racing_100_times(daemon, world):
    """Two sessions, two threads: one approves, the other rejects, at the same moment."""
    acc = world["acc"]
    ids = add_pending(acc, "RVA", world["dept_a2"], 100, name="竞争", minutes_ago=600)
    names = {"approve": "甲单位管理员一", "reject": "甲单位管理员二"}
    with logged_in(daemon, world["a1"][1]) as a1, logged_in(daemon, world["a2"][1]) as a2:
        replies = race_decisions(a1, a2, ids, "review.approve_registrations",
                                 "review.reject_registrations", "account_ids", "竞争测试")
    assert len(replies["approve"]) == len(replies["reject"]) == 100

    wins = {"approve": 0, "reject": 0}
    states = dict((int(a), s) for a, s in acc.rows(
        f"SELECT id, state FROM accounts WHERE id IN ({','.join(map(str, ids))})"))
    for aid, ra, rr in zip(ids, replies["approve"], replies["reject"]):
        assert ra["account_id"] == rr["account_id"] == aid
        assert [ra["ok"], rr["ok"]].count(True) == 1, (ra, rr)
        winner, loser = ("approve", rr) if ra["ok"] else ("reject", ra)
        wins[winner] += 1
        assert loser["reason"] == "already_decided", loser
        assert loser["decided_by"] == {"name": names[winner]}, loser
        assert loser["state"] == ("active" if winner == "approve" else "rejected")
        assert states[aid] == loser["state"]
    assert decision_rows(acc, ids) == {i: 1 for i in ids}
    print(f"race winners: {wins}")


# --- unit administrators from the config ----------------------------------------------------

def test_admins_from_config(make_daemon, postgres, tmp_path):
    d = make_daemon(start=False)
    acc = Accounts(postgres, d.dbname, "CF")
    acc.add_unit("CFA", "配置测试甲单位")
    acc.add_unit("CFB", "配置测试乙单位")
    key1, fp1 = ssh_key(tmp_path, "k1")
    key2, fp2 = ssh_key(tmp_path, "k2")
    key3, fp3 = ssh_key(tmp_path, "k3")
    user_key, user_fp = ssh_key(tmp_path, "user")
    first, second, ghost = id_number(), id_number(), id_number()
    promoted = id_number()
    # Before the start: a staff member who becomes an administrator, and an
    # administrator the config no longer names.
    acc.sql("INSERT INTO accounts (id_number, state, name, unit_code, password_hash) VALUES "
            f"('{promoted}', 'active', '原职工', 'CFB', '{DEMO_HASH}')")
    old_admin, old_idn = acc.add_admin("CFA", "前任管理员")
    acc.sql("INSERT INTO account_keys (account_id, key_type, key_base64, fingerprint, "
            f"source) VALUES ({old_admin}, 'ssh-ed25519', '{key3.split()[1]}', '{fp3}', "
            "'config')")

    lines = write_admins(d, [
        {"id_number": first, "name": "配置管理员一", "unit": "CFA", "keys": [key1, key2]},
        {"id_number": ghost, "name": "没有单位的", "unit": "NOSUCH", "keys": [key3]},
        {"id_number": promoted, "name": "新任管理员", "unit": "CFB", "keys": [key3]},
    ])
    assert d.run("check-config").returncode == 0, d.run("check-config").stderr
    d.start()
    assert "unit_admins:" in d.stderr_text(), d.stderr_text()

    row = acc.account(first)
    assert (row["role"], row["state"], row["name"], row["unit_code"]) == \
        ("unit_admin", "active", "配置管理员一", "CFA")
    assert row["password_hash"] == ""
    keys = acc.rows("SELECT key_type, fingerprint, comment, source FROM account_keys "
                    f"WHERE account_id = {row['id']} ORDER BY fingerprint")
    assert keys == sorted([["ssh-ed25519", fp1, "k1@test", "config"],
                           ["ssh-ed25519", fp2, "k2@test", "config"]], key=lambda k: k[1])
    assert acc.audit(row["id"]) == [("provision", "", "active", "", f"unit_admins in {d.conf}")]

    # The unknown unit: skipped, logged with the file and line; no account.
    assert acc.account(ghost) is None
    assert re.search(rf"{re.escape(str(d.conf))}:{lines[1]}: .*没有单位的.*NOSUCH",
                     d.stderr_text()), d.stderr_text()

    # The staff member is now the unit's administrator (password kept); key3 moved from
    # the removed administrator's config keys to the promoted one.
    row = acc.account(promoted)
    assert (row["role"], row["state"], row["name"]) == ("unit_admin", "active", "新任管理员")
    assert row["password_hash"] == DEMO_HASH
    assert acc.audit(row["id"])[-1][:3] == ("provision", "active", "active")

    # The administrator the config no longer names: disabled, audited, keys gone.
    old = acc.account(old_idn)
    assert old["state"] == "disabled"
    assert acc.audit(old_admin)[-1][:4] == ("disable", "active", "disabled", "")
    assert acc.rows(f"SELECT count(*) FROM account_keys WHERE account_id = {old_admin}") \
        == [["0"]]
    assert acc.rows(f"SELECT account_id FROM account_keys WHERE fingerprint = '{fp3}'") == \
        [[row["id"]]]

    # The promoted administrator logs in with the password kept, and sees the review.
    with logged_in(d, promoted) as s:
        assert s.result("session.whoami")["account"]["role"] == "unit_admin"
        s.result("review.registrations")

    # A key the administrator added to their own account survives every sync.
    first_id = acc.account(first)["id"]
    acc.sql("INSERT INTO account_keys (account_id, key_type, key_base64, fingerprint, "
            f"source) VALUES ({first_id}, 'ssh-ed25519', '{user_key.split()[1]}', "
            f"'{user_fp}', 'user')")

    # SIGHUP: key2 replaced by key3's successor, the promoted one removed.
    key4, fp4 = ssh_key(tmp_path, "k4")
    write_admins(d, [
        {"id_number": first, "name": "配置管理员一", "unit": "CFA", "keys": [key1, key4]},
    ])
    mark = len(d.stderr_text())
    d.signal(signal.SIGHUP)
    d.wait_log(r"reload: ", after=mark)
    d.wait_log(r"unit_admins: \d+ configured", after=mark)
    fps = [r[0] for r in acc.rows("SELECT fingerprint FROM account_keys "
                                  f"WHERE account_id = {first_id} ORDER BY fingerprint")]
    assert sorted(fps) == sorted([fp1, fp4, user_fp])
    assert acc.account(promoted)["state"] == "disabled"
    assert acc.audit(first_id) == [("provision", "", "active", "",
                                    f"unit_admins in {d.conf}")]  # unchanged: no new row

    # Named again: enabled again, audited.
    write_admins(d, [
        {"id_number": first, "name": "配置管理员一", "unit": "CFA", "keys": [key1]},
        {"id_number": promoted, "name": "新任管理员", "unit": "CFB", "keys": [key3]},
    ])
    mark = len(d.stderr_text())
    d.signal(signal.SIGHUP)
    d.wait_log(r"unit_admins: \d+ configured", after=mark)
    pid = acc.account(promoted)["id"]
    assert acc.account(promoted)["state"] == "active"
    assert acc.audit(pid)[-1][:3] == ("provision", "disabled", "active")
