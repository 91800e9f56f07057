"""jxjyd through what a database failover looks like from its side, without a cluster:
its PostgreSQL backends killed under running requests (pg_terminate_backend, as when the
primary dies and HAProxy sends new connections to the promoted standby), and the
database turned read-only (default_transaction_read_only, as a demoted primary is).

The dispatcher runs a request once more when nothing of it can have been committed (a
read, a write refused before it was done); any other request cut off gets the clear
"service_interrupted" reply, and the record it may have written is there at most once.
Reads go on while writes are refused as "database_read_only"; the first write after the
primary is writable again succeeds.  The listening connection comes back, and a password
changed on another daemon still ends a session after the kill, and an account disabled
while it was away has its sessions ended when it is back.
"""

import os
import subprocess
import threading
import time
from contextlib import contextmanager

import pytest

from conftest import Daemon, module_daemon, two_daemons
from helpers import (NOW, PLAIN, UNAVAILABLE, Accounts, add_pending, DEMO_PASSWORD, assert_ended_elsewhere,
                     change_password, expect_error, forms_text, logged_in, TEST_FORMS,
                     wait_listening, wait_until)


@pytest.fixture
def pair(postgres, migrated_template, tmp_path):
    """Two daemons on one database with the tests' learning forms: (d1, d2)."""
    yield from two_daemons(postgres, migrated_template, tmp_path, lambda i, db: {})


@pytest.fixture
def daemon1(postgres, migrated_template, tmp_path_factory):
    """A daemon of its own for each test (its database is made read-only, its
    connections are killed), with the tests' learning forms."""
    yield from module_daemon(postgres, migrated_template, tmp_path_factory, "jxjyd-failover",
                             extra_config=forms_text(TEST_FORMS))


@pytest.fixture
def world(daemon1, postgres):
    acc = Accounts(postgres, daemon1.dbname, "FO")
    depts = acc.add_unit("FOA", "切换测试单位")
    return {"acc": acc, "dept": depts["办公室"], "staff": acc.add_staff("FOA", "切换者"),
            "staff2": acc.add_staff("FOA", "旁观者"), "admin": acc.add_admin("FOA", "审核者")}


def submit(s, name):
    return s.call("declaration.submit", {"form": PLAIN["code"], "year": NOW, "amount": 2,
                                         "fields": {"name": name}})


def named(acc, name):
    return int(acc.value(f"SELECT count(*) FROM declarations WHERE fields->>'name' "
                         f"= '{name}'"))


class Locker:
    """A psql session holding the lock that sql takes (in a transaction) until release()."""

    def __init__(self, postgres, dbname, sql):
        self.p = subprocess.Popen(
            [postgres.psql_bin, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", postgres.host,
             "-p", postgres.port, "-U", postgres.user, "-d", dbname],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.p.stdin.write("SET application_name = 'failover locker';\n"
                           f"BEGIN; {sql}; SELECT 'locked';\n")
        self.p.stdin.flush()
        # The lock's own row (empty for a function returning void) comes first.
        for line in self.p.stdout:
            if line.strip() == "locked":
                break
        else:
            raise AssertionError("the locker's psql ended")

    def release(self):
        self.p.stdin.write("ROLLBACK;\n\\q\n")
        self.p.stdin.flush()
        self.p.wait(timeout=30)


def kill_backends(postgres, dbname):
    """Terminate the daemons' connections to dbname (the listener's too), and wait until
    their backends have exited (else the daemon may still use one for a moment)."""
    return postgres.psql("postgres", "SELECT count(pg_terminate_backend(pid, 10000)) "
                         f"FROM pg_stat_activity WHERE datname = '{dbname}' "
                         "AND pid <> pg_backend_pid() AND application_name <> 'failover locker'")


def wait_waiting(postgres, dbname):
    """Wait until a daemon's statement waits for the locker's lock."""
    wait_until("a statement waits for the lock", lambda: postgres.psql(
        dbname, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                f"AND datname = '{dbname}'").strip() != "0", timeout=15)


@contextmanager
def demoted(postgres, dbname):
    """As a demoted primary: every connection made meanwhile is read-only (the daemons'
    open ones are killed first); writable again at the end, for new connections."""
    postgres.psql(dbname, f'ALTER DATABASE "{dbname}" SET default_transaction_read_only = on')
    try:
        kill_backends(postgres, dbname)
        yield
    finally:
        postgres.psql("postgres",
                      f'ALTER DATABASE "{dbname}" RESET default_transaction_read_only')


def in_thread(fn):
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("reply", fn()))
    t.start()
    return t, out


def test_a_read_cut_off_is_run_again(daemon1, world, postgres):
    acc = world["acc"]
    with logged_in(daemon1, world["staff"][1]) as s:
        assert "result" in submit(s, "读前")
        s.result("declaration.list", {})    # prepared: what waits is the statement itself
        locker = Locker(postgres, daemon1.dbname,
                        "LOCK TABLE declarations IN ACCESS EXCLUSIVE MODE")
        t, out = in_thread(lambda: s.call("declaration.list", {}))
        wait_waiting(postgres, daemon1.dbname)
        kill_backends(postgres, daemon1.dbname)
        time.sleep(0.5)
        locker.release()
        t.join(timeout=30)
        reply = out["reply"]
        assert "result" in reply, reply
        assert [i["title"] for i in reply["result"]["items"]] == ["读前"]
        assert "running it once more" in daemon1.stderr_text()
        # The next requests are served as usual.
        assert "result" in submit(s, "读后")
        assert named(acc, "读后") == 1


def test_a_write_cut_off_before_its_commit_is_run_again(daemon1, world, postgres):
    """An approval waits inside its transaction (for the ID number's lock) when its
    connection is killed: nothing was committed, so it runs again, and approves once."""
    acc = world["acc"]
    aid, first = add_pending(acc, "FOA", world["dept"], 2)
    idn = acc.value(f"SELECT id_number FROM accounts WHERE id = {aid}").strip()
    with logged_in(daemon1, world["admin"][1]) as s:
        s.result("review.approve_registrations", {"account_ids": [first]})   # prepared
        locker = Locker(postgres, daemon1.dbname,
                        f"SELECT pg_advisory_xact_lock(hashtext('jxjy id_number ' || '{idn}'))")
        t, out = in_thread(lambda: s.call("review.approve_registrations",
                                          {"account_ids": [aid]}))
        wait_waiting(postgres, daemon1.dbname)
        kill_backends(postgres, daemon1.dbname)
        time.sleep(0.5)
        locker.release()
        t.join(timeout=30)
        assert out["reply"].get("result") == {"results": [{"account_id": aid, "ok": True}]}, out
    assert "running it once more" in daemon1.stderr_text()
    assert acc.value(f"SELECT state FROM accounts WHERE id = {aid}").strip() == "active"
    assert acc.value(f"SELECT count(*) FROM account_audit WHERE account_id = {aid} "
                     "AND action = 'approve'").strip() == "1"


def test_a_write_cut_off_is_refused_clearly_and_written_at_most_once(daemon1, world, postgres):
    acc = world["acc"]
    with logged_in(daemon1, world["staff"][1]) as s:
        assert "result" in submit(s, "写前")    # prepared: what waits is the statement
        # Its one statement is sent, and the connection dies before it is answered: it
        # may have committed, so it is not run again.
        locker = Locker(postgres, daemon1.dbname, "LOCK TABLE declarations IN EXCLUSIVE MODE")
        t, out = in_thread(lambda: submit(s, "写中"))
        wait_waiting(postgres, daemon1.dbname)
        kill_backends(postgres, daemon1.dbname)
        time.sleep(0.5)
        locker.release()
        t.join(timeout=30)
        err = expect_error(out["reply"], UNAVAILABLE, "service_interrupted")
        assert "刷新" in err["message"]
        assert named(acc, "写中") <= 1
        assert "result" in submit(s, "写后")
        assert named(acc, "写后") == 1


def test_read_only_database_refuses_writes_and_serves_reads(daemon1, world, postgres):
    acc, db = world["acc"], daemon1.dbname
    with logged_in(daemon1, world["staff"][1]) as s:
        assert "result" in submit(s, "只读前")
        with demoted(postgres, db):
            err = expect_error(submit(s, "只读中"), UNAVAILABLE, "database_read_only")
            assert "只能查看" in err["message"]
            assert named(acc, "只读中") == 0
            titles = [i["title"] for i in s.result("declaration.list", {})["items"]]
            assert "只读前" in titles
        # The connections open are still read-only ones; the first write drops them and
        # is run again on a new connection, to the writable server.
        r = submit(s, "只读后")
        assert "result" in r, r
        assert named(acc, "只读后") == 1


def test_a_write_refused_as_read_only_runs_again_after_a_pause(daemon1, world, postgres):
    """The server is read-only for a moment (a demoted primary the balancer still sends
    connections to): a write refused then runs again a second later, and is saved."""
    acc, db = world["acc"], daemon1.dbname
    with logged_in(daemon1, world["staff"][1]) as s:
        assert "result" in submit(s, "片刻前")
        with demoted(postgres, db):
            t, out = in_thread(lambda: submit(s, "片刻中"))
            wait_until("the write refused once", lambda: "running it once more" in
                       daemon1.stderr_text(), timeout=15, interval=0.02)
        t.join(timeout=30)
        assert "result" in out["reply"], out
        assert named(acc, "片刻中") == 1


def test_a_request_waits_out_a_short_outage(daemon1, world, postgres):
    """No connection can be made for a second and a half (a failover's gap): a request
    that comes then waits, trying again, and is answered."""
    db = daemon1.dbname
    with logged_in(daemon1, world["staff"][1]) as s:
        assert "result" in submit(s, "断前")
        postgres.psql("postgres", f'ALTER DATABASE "{db}" ALLOW_CONNECTIONS false')
        try:
            kill_backends(postgres, db)
            t, out = in_thread(lambda: s.call("declaration.list", {}))
            time.sleep(1.5)
        finally:
            postgres.psql("postgres", f'ALTER DATABASE "{db}" ALLOW_CONNECTIONS true')
        t.join(timeout=30)
        reply = out["reply"]
        assert "result" in reply, reply
        assert [i["title"] for i in reply["result"]["items"]] == ["断前"]
        assert "database: connected again" in daemon1.stderr_text()


def test_load_through_kills(daemon1, world, postgres):
    """Clients submit and read while the backends are killed again and again: every
    acknowledged write is there once, every refusal is the clear one, none is lost."""
    acc = world["acc"]
    replies, stop = [], threading.Event()

    def client(k):
        with logged_in(daemon1, world["staff" if k % 2 else "staff2"][1]) as s:
            i = 0
            while not stop.is_set():
                name = f"负载{k}-{i}"
                replies.append((name, submit(s, name)))
                replies.append((None, s.call("declaration.list", {})))
                i += 1

    threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for _ in range(6):
        time.sleep(0.4)
        kill_backends(postgres, daemon1.dbname)
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    assert len(replies) > 20
    # Every name's count in one query (a psql per reply took most of the test's minute).
    counts = {title: int(n) for title, n in acc.rows(
        "SELECT fields->>'name', count(*) FROM declarations GROUP BY 1")}
    for name, r in replies:
        if "result" in r:
            if name is not None:
                assert counts.get(name, 0) == 1, name
            continue
        reason = r["error"]["data"]["reason"]
        assert r["error"]["code"] == UNAVAILABLE, r
        assert reason in ("service_interrupted", "database_unavailable"), r
        if name is not None:
            assert counts.get(name, 0) <= (1 if reason == "service_interrupted" else 0), r
    dup = acc.value("SELECT count(*) FROM (SELECT fields->>'name' FROM declarations "
                    "GROUP BY 1 HAVING count(*) > 1) d")
    assert int(dup) == 0
    bad = acc.value("SELECT count(*) FROM (SELECT account_id, year, form_code, "
                    "sum(hours) FILTER (WHERE state = 'pending') AS p FROM declarations "
                    "GROUP BY 1, 2, 3) d JOIN declaration_totals t USING (account_id, year, "
                    "form_code) WHERE coalesce(d.p, 0) <> t.pending_hours")
    assert int(bad) == 0


def test_listener_comes_back_after_the_kill(pair, postgres):
    d1, d2 = pair
    acc = Accounts(postgres, d1.dbname, "FL")
    acc.add_unit("FLA", "切换监听单位")
    _, idn = acc.add_admin("FLA", "改密者")
    for d in pair:
        wait_listening(d)
    # Every connection of both daemons is cut, the listeners' too: they listen again.
    kill_backends(postgres, d1.dbname)
    for d in pair:
        wait_listening(d, 2, timeout=30)
    new = "Harbour-Violet-63"
    with d1.rpc() as a, d2.rpc() as b:
        a.result("session.login", {"id_number": idn, "password": DEMO_PASSWORD})
        b.result("session.login", {"id_number": idn, "password": DEMO_PASSWORD})
        assert change_password(b, DEMO_PASSWORD, new)["ended_sessions"] == 0
        assert_ended_elsewhere(a)


def test_an_account_disabled_while_the_listener_was_away_ends_its_sessions(
        postgres, migrated_template, tmp_path):
    db = postgres.new_database(template=migrated_template)
    role = f"jxjy_fo_listener_{os.getpid()}"
    postgres.psql(db, f'CREATE ROLE "{role}" LOGIN; GRANT SELECT ON accounts TO "{role}"')
    # The daemon listens as a role of its own, so that its listener alone can be kept out.
    d = Daemon(tmp_path / "d", postgres, db, {"database": {
        "listen_conninfo": postgres.conninfo(db).replace(f"user={postgres.user}",
                                                         f"user={role}")}})
    try:
        d.start()
        wait_listening(d)
        acc = Accounts(postgres, db, "FD")
        acc.add_unit("FDA", "停用测试单位")
        staff, idn = acc.add_staff("FDA", "被停用者")
        _, other = acc.add_staff("FDA", "旁观者")
        with logged_in(d, idn) as s, logged_in(d, other) as o:
            postgres.psql(db, f'ALTER ROLE "{role}" NOLOGIN')
            postgres.psql(db, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              f"WHERE usename = '{role}'")
            wait_until("the listener kept out",
                       lambda: "is not permitted to log in" in d.stderr_text(), timeout=30)
            # Disabled meanwhile (as when another application for the ID number is
            # approved): the notice, if any, reaches no one here.
            acc.sql(f"UPDATE accounts SET state = 'disabled' WHERE id = {staff}")
            postgres.psql(db, f'ALTER ROLE "{role}" LOGIN')
            wait_listening(d, 2, timeout=30)
            assert_ended_elsewhere(s)
            assert "stopped being active while this jxjyd was not listening" in \
                d.stderr_text()
            assert o.result("session.whoami")["account"]["id_number"] == other
    finally:
        if d.running():
            d.stop()
        postgres.psql("postgres", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)', check=False)
        postgres.psql("postgres", f'DROP ROLE IF EXISTS "{role}"', check=False)
