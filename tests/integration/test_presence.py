"""record.changed is sent only when some session could hear it (schema 020, presence.h).

PostgreSQL serialises the commits of every transaction that sent a NOTIFY, so a change
that no session could hear must send none: not when the person has no session, and not
when their only session is the one that made the change.  The daemon keeps, in
session_presence, the sessions that could hear: written before the reply of the request
that logged in (or made a guest watch its application), deleted at logout at once and
within a second or two of a session's end; the rows of a jxjyd not seen for five minutes
go.  Observed from a psql that LISTENs beside the daemon, as another jxjyd would.
"""

import subprocess
import time

import pytest

from conftest import Daemon
from helpers import (DEMO_PASSWORD, NOW, PASSWORD, PLAIN, Accounts, applicant, logged_in, wait_until)


@pytest.fixture(scope="module")
def world(ddaemon, postgres):
    acc = Accounts(postgres, ddaemon.dbname, "PR")
    acc.add_unit("PRA", "在场甲单位")
    return {"acc": acc, "admin": acc.add_admin("PRA", "在场管理员"),
            "alone": acc.add_staff("PRA", "孙独自"), "twice": acc.add_staff("PRA", "钱两处"),
            "away": acc.add_staff("PRA", "李不在")}


class Listener:
    """A psql that LISTENs on jxjy_sessions for `seconds`, then says what it heard."""

    def __init__(self, postgres, dbname, seconds=2.0):
        self.proc = subprocess.Popen(
            [postgres.psql_bin, "-X", "-q", "-A", "-t", "-h", postgres.host, "-p",
             postgres.port, "-U", postgres.user, "-d", dbname,
             "-c", "LISTEN jxjy_sessions", "-c", "SELECT 'listening'",
             "-c", f"SELECT pg_sleep({seconds})", "-c", "SELECT 'done'"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        # Wait until the LISTEN is in force (its second command answered).
        assert self.proc.stdout.readline().strip() == "listening"

    def heard(self):
        out, _ = self.proc.communicate(timeout=60)
        return [line for line in out.splitlines() if "Asynchronous notification" in line]


def submit(s, name):
    r = s.result("declaration.submit", {"form": PLAIN["code"], "year": NOW, "amount": 2,
                                        "fields": {"name": name}})
    assert r["state"] == "pending"
    return r["id"]


def rows_of(acc, account):
    return acc.rows(f"SELECT instance, serial FROM session_presence"
                    f" WHERE account_id = {account} ORDER BY serial")


def test_a_submission_its_own_session_made_sends_no_notice(ddaemon, postgres, world):
    """The person's only session made the change: nobody to tell, no NOTIFY (and so no
    wait on PostgreSQL's notify lock).  With a second session of theirs open, one."""
    acc, (me, idn) = world["acc"], world["alone"]
    with logged_in(ddaemon, idn) as mine:
        lst = Listener(postgres, ddaemon.dbname, 1.5)
        did = submit(mine, "独自提交")
        assert lst.heard() == []
        with logged_in(ddaemon, idn) as other:
            lst = Listener(postgres, ddaemon.dbname, 1.5)
            did2 = submit(mine, "两处之一")
            heard = lst.heard()
            assert len(heard) == 1 and f"changed {me} declaration {did2} pending" in heard[0], \
                heard
            c = other.next_change()
            assert (c["kind"], c["id"], c["state"]) == ("declaration", did2, "pending")
    assert did != did2


def test_a_change_to_somebody_with_no_session_sends_no_notice(ddaemon, postgres, world):
    acc, (person, idn) = world["acc"], world["away"]
    with logged_in(ddaemon, idn) as s:
        did = submit(s, "不在场")
    # Gone within the tick after the session ended.
    wait_until("the ended session's presence row to go", lambda: rows_of(acc, person) == [],
               timeout=10)
    with logged_in(ddaemon, world["admin"][1]) as admin:
        lst = Listener(postgres, ddaemon.dbname, 1.5)
        admin.result("review.approve_declarations", {"ids": [did]})
        assert lst.heard() == []
    # A change made outside jxjyd (no origin) is told when somebody is there to hear it.
    with logged_in(ddaemon, idn) as s:
        lst = Listener(postgres, ddaemon.dbname, 1.5)
        acc.sql(f"UPDATE declarations SET state = 'pending', decided_by = NULL,"
                f" decided_at = NULL WHERE id = {did}")
        heard = lst.heard()
        assert len(heard) == 1 and f"changed {person} declaration {did} pending -" in heard[0], \
            heard
        c = s.next_change()
        assert (c["id"], c["state"]) == (did, "pending")


def test_presence_rows_follow_login_logout_and_the_sessions_end(ddaemon, world):
    acc, (person, idn) = world["acc"], world["twice"]
    s = ddaemon.rpc()
    try:
        assert rows_of(acc, person) == []
        s.result("session.login", {"id_number": idn, "password": DEMO_PASSWORD})
        # Written before the login's reply: a change made from now on is heard.
        assert len(rows_of(acc, person)) == 1
        s.result("session.logout")
        assert rows_of(acc, person) == []
        s.result("session.login", {"id_number": idn, "password": DEMO_PASSWORD})
        (instance, serial), = rows_of(acc, person)
        assert len(instance) == 16 and int(serial) > 0
    finally:
        s.close()
    wait_until("the ended session's presence row to go", lambda: rows_of(acc, person) == [],
               timeout=10)


def test_a_guest_watching_its_application_is_present(ddaemon, postgres):
    admin_idn, params, aid = applicant(ddaemon, postgres, "PRG", "周申请")
    acc = Accounts(postgres, ddaemon.dbname)
    with ddaemon.rpc() as guest:
        guest.result("application.status", {"id_number": params["id_number"],
                                             "password": PASSWORD})
        assert len(rows_of(acc, aid)) == 1
        with logged_in(ddaemon, admin_idn) as admin:
            admin.result("review.approve_registrations", {"account_ids": [aid]})
        c = guest.next_change()
        assert (c["kind"], c["id"], c["state"]) == ("registration", aid, "active")


def test_rows_of_a_jxjyd_not_seen_for_five_minutes_go(tmp_path, postgres):
    """A jxjyd killed leaves its rows: the next one to start deletes those older than
    five minutes (and keeps a younger one: that jxjyd may only be slow)."""
    db = postgres.new_database()
    d = Daemon(tmp_path, postgres, db)
    d.migrate()
    acc = Accounts(postgres, db)
    acc.sql("INSERT INTO session_presence (instance, serial, account_id, made, seen_at)"
            " VALUES ('0123456789abcdef', 1, 1, 1, now() - interval '6 minutes'),"
            " ('0123456789abcdef', 2, 1, 1, now() - interval '4 minutes')")
    d.start()
    try:
        wait_until("the stale row to go", lambda: acc.value(
            "SELECT count(*) FROM session_presence WHERE serial = 1") == "0", timeout=15)
        assert acc.value("SELECT count(*) FROM session_presence WHERE serial = 2") == "1"
    finally:
        d.stop()
