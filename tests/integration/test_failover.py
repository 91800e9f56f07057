"""jxjyd through what a database failover looks like from its side, without a cluster:
its PostgreSQL backends killed under running requests (pg_terminate_backend, as when the
primary dies and HAProxy sends new connections to the promoted standby), and the
database turned read-only (default_transaction_read_only, as a demoted primary is).

The dispatcher runs a request once more when nothing of it can have been committed (a
read, a write refused before it was done); any other request cut off gets the clear
"service_interrupted" reply, and the record it may have written is there at most once.
Reads go on while writes are refused as "database_read_only"; the first write after the
primary is writable again succeeds.  The listening connection comes back, and a password
changed on another daemon still ends a session after the kill, an account disabled
while it was away has its sessions ended when it is back, and the sessions are told to
re-read (record.changed kind "all") what changed meanwhile unannounced.
"""

import os
import subprocess
import threading
import time
from contextlib import contextmanager

import pytest

from conftest import module_daemon, two_daemons
from listener_apart import ListenerApart
from helpers import (NOW, PLAIN, UNAVAILABLE, Accounts, add_pending, DEMO_PASSWORD, assert_ended_elsewhere,
                     change_password, expect_error, forms_text, logged_in, make_key, ssh_exec,
                     TEST_FORMS, wait_listening, wait_until)


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


def test_a_connection_killed_between_requests_is_replaced_before_use(daemon1, world, postgres):
    """The pool checks a connection once when it hands it out (db_acquire), not again
    before the request's first statement: one that died while free is still replaced then,
    before anything is sent on it (no "trying once more" on a new one)."""
    acc = world["acc"]
    with logged_in(daemon1, world["staff"][1]) as s:
        assert "result" in submit(s, "换前")
        mark = len(daemon1.stderr_text())
        kill_backends(postgres, daemon1.dbname)
        time.sleep(0.5)    # the backends' goodbyes are on the pooled sockets now
        assert "result" in submit(s, "换后")
        log = daemon1.stderr_text()[mark:]
        assert "a pooled connection was closed by the server" in log, log
        assert "trying once more" not in log and "running it once more" not in log, log
        assert named(acc, "换后") == 1


def key_admin(daemon, world, tmp_path):
    """The world's unit administrator with an SSH key of its own: (ID number, key path)."""
    key, pub = make_key(tmp_path, "admin")
    idn = world["admin"][1]
    with logged_in(daemon, idn) as a:
        a.result("keys.add", {"key": pub, "password": DEMO_PASSWORD})
    return idn, key


def test_an_exec_command_cut_off_is_run_again(daemon1, world, postgres, tmp_path):
    """`ssh host report YEAR` whose statement is cut off (the primary gone) runs once more
    on a new connection, as an RPC read does, and prints the report."""
    idn, key = key_admin(daemon1, world, tmp_path)
    # Once before: the statements are prepared, so what waits below is the report itself.
    rc, out, err = ssh_exec(daemon1, idn, key, f"report {NOW}")
    assert rc == 0 and "切换者" in out.decode(), out.decode() + err
    locker = Locker(postgres, daemon1.dbname, "LOCK TABLE person_year IN ACCESS EXCLUSIVE MODE")
    t, got = in_thread(lambda: ssh_exec(daemon1, idn, key, f"report {NOW}"))
    wait_waiting(postgres, daemon1.dbname)
    kill_backends(postgres, daemon1.dbname)
    time.sleep(0.5)
    locker.release()
    t.join(timeout=60)
    rc, out, err = got["reply"]
    assert rc == 0 and "切换者" in out.decode() and "旁观者" in out.decode(), \
        out.decode() + err
    assert "exec report YEAR [--csv]: the database went away under a command that " \
        "committed nothing; running it once more" in daemon1.stderr_text()


def test_an_exec_command_cut_off_twice_says_the_database_is_unavailable(
        daemon1, world, postgres, tmp_path):
    """Cut off on its second run too: a clear sentence, never a half-printed report."""
    idn, key = key_admin(daemon1, world, tmp_path)
    rc, out, err = ssh_exec(daemon1, idn, key, f"report {NOW}")
    assert rc == 0, out.decode() + err
    locker = Locker(postgres, daemon1.dbname, "LOCK TABLE person_year IN ACCESS EXCLUSIVE MODE")
    try:
        t, got = in_thread(lambda: ssh_exec(daemon1, idn, key, f"report {NOW}"))
        # Each time it waits for the lock, cut it off: its statement, then on the run
        # again the statement's PREPARE and the PREPARE's own retry on a new connection.
        for _ in range(5):
            wait_until("the report waits or ended", lambda: not t.is_alive() or postgres.psql(
                daemon1.dbname, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type "
                f"= 'Lock' AND datname = '{daemon1.dbname}'").strip() != "0", timeout=15)
            if not t.is_alive():
                break
            kill_backends(postgres, daemon1.dbname)
        t.join(timeout=60)
    finally:
        locker.release()
    rc, out, err = got["reply"]
    assert rc == 1 and out.decode().strip() == "数据库暂时不可用，请稍后再试", \
        out.decode() + err + daemon1.stderr_text()[-4000:]


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


def test_a_login_cut_off_after_its_hash_is_not_hashed_again(daemon1, world, postgres):
    """A login whose password matched and whose last statement (the end of the ID number's
    series of failures) was cut off is answered service_interrupted; logging in again on
    the same session takes the verification it did (same password, same stored hash)
    without a second Argon2id."""
    idn, db = world["staff2"][1], daemon1.dbname
    # The settling DELETE sleeps in a trigger until the connections are cut.
    postgres.psql(db, "CREATE FUNCTION fo_sleepy() RETURNS trigger LANGUAGE plpgsql AS "
                      "$$ BEGIN PERFORM pg_sleep(60); RETURN OLD; END $$; "
                      "CREATE TRIGGER fo_sleepy BEFORE DELETE ON login_throttle "
                      "FOR EACH ROW EXECUTE FUNCTION fo_sleepy()")
    try:
        with daemon1.rpc() as s:
            t, out = in_thread(lambda: s.call("session.login", {
                "id_number": idn, "password": DEMO_PASSWORD}, timeout=60))
            wait_until("the login settles in the trigger", lambda: postgres.psql(
                db, "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' "
                    f"AND datname = '{db}'").strip() != "0", timeout=30)
            kill_backends(postgres, db)     # before the statement timeout cancels it
            postgres.psql(db, "DROP TRIGGER fo_sleepy ON login_throttle")
            t.join(timeout=60)
            expect_error(out["reply"], UNAVAILABLE, "service_interrupted")
            assert "taken again without hashing" not in daemon1.stderr_text()
            s.result("session.login", {"id_number": idn, "password": DEMO_PASSWORD})
            assert s.result("session.whoami")["account"]["id_number"] == idn
            assert "the password this session proved before it was cut off is taken " \
                "again without hashing" in daemon1.stderr_text()
    finally:
        postgres.psql(db, "DROP TRIGGER IF EXISTS fo_sleepy ON login_throttle; "
                          "DROP FUNCTION IF EXISTS fo_sleepy()", check=False)


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


@pytest.fixture
def listener_apart(postgres, migrated_template, tmp_path):
    db = postgres.new_database(template=migrated_template)
    apart = ListenerApart(postgres, db, tmp_path, f"jxjy_fo_listener_{os.getpid()}",
                          forms_text(TEST_FORMS))
    try:
        apart.d.start()
        wait_listening(apart.d)
        apart.acc = Accounts(postgres, db, "FL")
        apart.acc.add_unit("FLU", "监听测试单位")
        yield apart
    finally:
        apart.remove()


def test_an_account_disabled_while_the_listener_was_away_ends_its_sessions(listener_apart):
    d, acc = listener_apart.d, listener_apart.acc
    staff, idn = acc.add_staff("FLU", "被停用者")
    _, other = acc.add_staff("FLU", "旁观者")
    with logged_in(d, idn) as s, logged_in(d, other) as o:
        listener_apart.keep_out()
        # Disabled meanwhile (as when another application for the ID number is
        # approved): the notice, if any, reaches no one here.
        acc.sql(f"UPDATE accounts SET state = 'disabled' WHERE id = {staff}")
        listener_apart.let_in()
        assert_ended_elsewhere(s)
        assert "stopped being active while this jxjyd was not listening" in \
            d.stderr_text()
        assert o.result("session.whoami")["account"]["id_number"] == other


def test_changes_made_while_the_listener_was_away_are_made_up_for(listener_apart):
    """A declaration approved while the listener is kept out sends a notice nobody here
    hears; when the listener is back, every session logged in on the daemon is told to
    read again (record.changed, kind "all"), the one whose record changed included."""
    d = listener_apart.d
    _, idn = listener_apart.acc.add_staff("FLU", "申报者")
    _, admin = listener_apart.acc.add_admin("FLU", "审核者")
    with logged_in(d, idn) as s, logged_in(d, admin) as a:
        decl = submit(s, "离线期间审核")["result"]["id"]
        listener_apart.keep_out()
        r = a.result("review.approve_declarations", {"ids": [decl]})
        assert all(x["ok"] for x in r["results"]), r
        # Nobody heard the approval's notice.
        s.expect_silence(1)
        assert s.changes == [], s.changes
        listener_apart.let_in()
        note = s.next_change(timeout=15)
        assert (note["kind"], note["id"], note["state"]) == ("all", 0, "missed"), note
        assert "期间的变更可能未通知到" in note["message"], note
        assert a.next_change(timeout=15)["kind"] == "all"
        assert "sessions told to read again: 2" in d.stderr_text()
        assert s.result("declaration.get", {"id": decl})["state"] == "approved"
