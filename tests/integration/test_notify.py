"""record.changed: the daemon tells a person's sessions when their registration, title
change or declaration changes state (docs/protocol.md), on the real daemon over SSH.

The sessions of the person hear it, on this daemon and on another one sharing the
database, in their own language and naming the record; other people's sessions hear
nothing; a guest that looked at its application's status hears its decision; and a
session whose client does not read keeps a few changes, one per record, not all of them.
"""

import os
import signal
import time

import pytest

from conftest import RpcSession, two_daemons
from helpers import (DEMO_PASSWORD, NOW, PASSWORD, PLAIN, Accounts, applicant, logged_in,
                     wait_listening)


def submit(s, name):
    r = s.result("declaration.submit", {"form": PLAIN["code"], "year": NOW, "amount": 2,
                                        "fields": {"name": name}})
    assert r["state"] == "pending"
    return r["id"]


def change_of(s, kind, rid, state, timeout=10):
    """The next record.changed of s for (kind, rid) in state; earlier ones are skipped."""
    deadline = time.monotonic() + timeout
    while True:
        c = s.next_change(max(0.1, deadline - time.monotonic()))
        if (c["kind"], c["id"], c["state"]) == (kind, rid, state):
            return c


@pytest.fixture(scope="module")
def world(ddaemon, postgres):
    acc = Accounts(postgres, ddaemon.dbname, "NF")
    acc.add_unit("NFA", "通知甲单位", departments=("科研处",))
    return {"acc": acc, "admin": acc.add_admin("NFA", "通知管理员"),
            "staff": acc.add_staff("NFA", "周通知"), "other": acc.add_staff("NFA", "吴旁人")}


def test_a_decision_reaches_every_session_of_the_person(ddaemon, world):
    with logged_in(ddaemon, world["staff"][1]) as mine, \
            logged_in(ddaemon, world["staff"][1], lang="en") as mine_en, \
            logged_in(ddaemon, world["other"][1]) as other, \
            logged_in(ddaemon, world["admin"][1]) as admin:
        did = submit(mine, "心电图读图班")
        # The person's own submission is heard by their other session (after COMMIT), not
        # by the one that made it.
        c = change_of(mine_en, "declaration", did, "pending")
        assert c["message"] == 'your declaration "心电图读图班" was submitted for review'
        assert admin.result("review.approve_declarations", {"ids": [did]}) == {
            "results": [{"id": did, "ok": True}]}
        c = mine.next_change()
        assert c == {"kind": "declaration", "id": did, "state": "approved",
                     "message": "您的申报《心电图读图班》已审核通过"}
        c = change_of(mine_en, "declaration", did, "approved")
        assert c["message"] == 'your declaration "心电图读图班" was approved'
        # A call made after it still gets its own reply.
        assert mine.result("declaration.get", {"id": did})["state"] == "approved"

        did2 = submit(mine, "急救培训")
        admin.result("review.reject_declarations", {"ids": [did2], "reason": "证明不清楚"})
        assert change_of(mine, "declaration", did2, "rejected")["message"] == \
            "您的申报《急救培训》未通过审核"
        mine.result("declaration.revise", {"id": did2})
        assert change_of(mine_en, "declaration", did2, "draft")["message"] == \
            'your declaration "急救培训" is a draft again'
        mine.expect_silence(0.3)
        assert [(c["params"]["id"], c["params"]["state"]) for c in mine.changes] == [], \
            mine.changes

        # Nobody else hears of it, the administrator neither.
        other.expect_silence(0.5, changes_too=True)
        admin.expect_silence(0.1, changes_too=True)


def test_a_title_change_decision_is_heard(ddaemon, world):
    acc = world["acc"]
    title = int(acc.value("SELECT id FROM titles WHERE active AND name = '工程师' LIMIT 1"))
    with logged_in(ddaemon, world["staff"][1]) as mine, \
            logged_in(ddaemon, world["admin"][1]) as admin:
        v = mine.result("profile.get")["version"]
        mine.result("profile.update", {"version": v, "title_id": title})
        change = admin.result("review.title_changes")["items"][0]
        admin.result("review.approve_title_changes", {"ids": [change["id"]]})
        c = change_of(mine, "title", change["id"], "approved")
        assert c["message"].startswith("您的职务变更（") and "工程师" in c["message"] and \
            c["message"].endswith("）已审核通过"), c


def test_a_burst_of_changes_leaves_none_behind(ddaemon, world):
    """The listener reads notices in batches (daemon/core/notify.c, NOTIFY_GATHER_MS):
    after a burst of submits, each a notice, the person's other session hears the last
    one (a session keeps the newest few, sessions.h), none is left waiting unread in the
    listener's connection, and the session that made them hears none."""
    _, idn = world["acc"].add_staff("NFA", "冯成批")
    with logged_in(ddaemon, idn) as maker, logged_in(ddaemon, idn) as here:
        ids = [submit(maker, f"成批课程{i}") for i in range(40)]
        heard = []
        deadline = time.monotonic() + 15
        while ids[-1] not in heard:
            c = here.next_change(max(0.1, deadline - time.monotonic()))
            assert (c["kind"], c["state"]) == ("declaration", "pending"), c
            heard.append(c["id"])
        assert set(heard) <= set(ids), heard
        # The maker's own submits are not told back to it.
        maker.expect_silence(0.2, changes_too=True)
        assert maker.changes == [], maker.changes


@pytest.fixture
def two(postgres, migrated_template, tmp_path):
    """Two daemons on one database: (d1, d2)."""
    yield from two_daemons(postgres, migrated_template, tmp_path, lambda i, db: {
        "sessions": {"output_backlog": 4096, "stall_timeout": 600}})


def test_across_daemons_and_to_a_guest_that_asked(two, postgres):
    d1, d2 = two
    wait_listening(d1)
    wait_listening(d2)
    admin_idn, params, aid = applicant(d1, postgres, "NX", "秦审核")
    creds = {"id_number": params["id_number"], "password": PASSWORD}
    with d2.rpc() as guest, d2.rpc() as stranger, d1.rpc() as guest1:
        assert guest.result("application.status", creds)["state"] == "pending"
        assert guest1.result("application.status", creds)["state"] == "pending"
        with logged_in(d1, admin_idn) as admin:
            admin.result("review.approve_registrations", {"account_ids": [aid]})
        for s in (guest, guest1):
            c = change_of(s, "registration", aid, "active")
            assert c["message"] == "您的注册申请已审核通过"
        stranger.expect_silence(0.3, changes_too=True)
        # A guest that watches is not logged in, and is not ended by a password change.
        assert guest.call("session.whoami")["error"]


def test_a_session_that_does_not_read_keeps_a_few(two, postgres):
    """The client stops reading (SIGSTOP): the daemon's output queue fills to
    sessions.output_backlog (4 KiB here), then further changes wait coalesced, one per
    record; when the client reads again it hears the last state of each record."""
    d1, d2 = two
    wait_listening(d2)
    acc = Accounts(postgres, d1.dbname, "NB")
    acc.add_unit("NBA", "有界单位")
    me, idn = acc.add_staff("NBA", "郑不读")
    # Rows of accounts stand in for records: each UPDATE of one is a registration change.
    s = d2.rpc()
    try:
        s.result("session.login", {"id_number": idn, "password": DEMO_PASSWORD})
        os.kill(s.proc.pid, signal.SIGSTOP)
        # 25000 changes, each its own transaction: some 4 MB of notifications, more
        # than the SSH window (2 MB) and the daemon's queue take.
        acc.sql("DO $$ BEGIN FOR i IN 1..25000 LOOP UPDATE accounts SET state = "
                "CASE WHEN i % 2 = 1 THEN 'disabled' ELSE 'active' END::account_state "
                f"WHERE id = {me}; COMMIT; END LOOP; END $$")
        os.kill(s.proc.pid, signal.SIGCONT)
        # The reply comes after the backlog the client has yet to read (its window's
        # worth): on a loaded machine that takes more than the default 10 s.
        assert s.result("session.whoami", timeout=40)["account"]["id_number"] == idn
        s.expect_silence(1.0)
        got = [c["params"]["state"] for c in s.changes]
        assert got and got[-1] == "active", got[-10:]
        assert len(got) < 20000, f"{len(got)} notifications: not coalesced"
    finally:
        os.kill(s.proc.pid, signal.SIGCONT)
        s.kill()
