"""Two jxjyd on one PostgreSQL behind HAProxy (TCP mode, balance leastconn), as
docs/operations.md recommends for scaling out.

A session through the balancer lands on one daemon and stays there (SSH is one TCP
connection); leastconn sends the second session to the other daemon.  Unit administrators
on the two daemons deciding the same applications at the same moment get exactly one
decision between them, since the database decides (a guarded UPDATE).  Killing one daemon
ends only its own sessions: the other's keep answering, and new sessions go to the
survivor.

Without the balancer: a password changed on one daemon ends the account's sessions on the
other too (PostgreSQL NOTIFY), idle ones at once, and a daemon whose listening connection
was cut listens again.
"""

import re
import shutil
import subprocess
import time

import pytest

from conftest import (Daemon, RpcSession, SSH_OPTIONS, _die_with_parent, free_port, port_accepts,
                      two_daemons)
from helpers import (DEMO_PASSWORD, Accounts, add_pending, assert_ended_elsewhere,
                     change_password, decision_rows, race_decisions, wait_listening)

HAPROXY_CONF = """\
global
	maxconn 200
defaults
	mode tcp
	timeout connect 5s
	# SSH sessions sit idle between requests: long client and server timeouts.
	timeout client 1h
	timeout server 1h
	retries 2
	option redispatch
frontend jxjy
	bind 127.0.0.1:{port}
	default_backend jxjyd
backend jxjyd
	balance leastconn
	server d1 127.0.0.1:{p1} check inter 500ms fall 2 rise 2
	server d2 127.0.0.1:{p2} check inter 500ms fall 2 rise 2
"""


@pytest.fixture
def haproxy_bin():
    path = shutil.which("haproxy") or (shutil.which("haproxy", path="/usr/sbin:/sbin"))
    if path is None:
        pytest.skip("haproxy is not installed (apt-get install haproxy; scripts/test does)")
    return path


@pytest.fixture
def pair(postgres, migrated_template, tmp_path, haproxy_bin):
    """Two daemons on one database and HAProxy in front: (d1, d2, balancer port)."""
    db = postgres.new_database(template=migrated_template)
    daemons = [Daemon(tmp_path / f"d{i}", postgres, db,
                      {"control_socket": str(tmp_path / f"d{i}.sock"),
                       # Every session arrives from the balancer's address.
                       "sessions": {"max_per_source": 1000}})
               for i in (1, 2)]
    proxy = None
    try:
        for d in daemons:
            d.start()
        port = free_port()
        conf = tmp_path / "haproxy.cfg"
        conf.write_text(HAPROXY_CONF.format(port=port, p1=daemons[0].port,
                                            p2=daemons[1].port))
        check = subprocess.run([haproxy_bin, "-c", "-f", str(conf)], capture_output=True,
                               text=True, timeout=30)
        assert check.returncode == 0, check.stdout + check.stderr
        log = open(tmp_path / "haproxy.log", "wb")
        proxy = subprocess.Popen([haproxy_bin, "-db", "-f", str(conf)], stdin=subprocess.DEVNULL,
                                 stdout=log, stderr=log, preexec_fn=_die_with_parent)
        log.close()
        deadline = time.monotonic() + 15
        while not port_accepts(port):
            assert proxy.poll() is None, (tmp_path / "haproxy.log").read_text()
            assert time.monotonic() < deadline, "haproxy did not listen"
            time.sleep(0.05)
        yield daemons[0], daemons[1], port
    finally:
        if proxy is not None and proxy.poll() is None:
            proxy.terminate()
            proxy.wait(timeout=10)
        for d in daemons:
            if d.running():
                d.stop()


def balanced_rpc(port, user):
    """A JSON-RPC session through the balancer; user names it in the daemons' logs."""
    return RpcSession(["ssh", *SSH_OPTIONS, "-p", str(port), "-l", user, "-s", "localhost",
                       "jxjy-rpc"])


def serving(daemons, user):
    """The daemon whose log shows the session of SSH user `user`."""
    pattern = re.compile(rf": started \(user {re.escape(user)}\)")
    found = [d for d in daemons if pattern.search(d.stderr_text())]
    assert len(found) == 1, f"session of {user} found on {len(found)} daemons"
    return found[0]


def login(s, idn):
    s.result("session.login", {"id_number": idn, "password": DEMO_PASSWORD})


def test_two_daemons_behind_haproxy(pair, postgres):
    d1, d2, port = pair
    acc = Accounts(postgres, d1.dbname, "MD")
    dept = acc.add_unit("MDA", "多实例测试单位", departments=("办公室",))["办公室"]
    # Added after both daemons started, so neither start disabled them.
    _, admin1 = acc.add_admin("MDA", "甲管理员")
    _, admin2 = acc.add_admin("MDA", "乙管理员")

    with balanced_rpc(port, "alpha") as a:
        assert a.result("system.ping") == {"pong": True}
        with balanced_rpc(port, "beta") as b:
            assert b.result("system.ping") == {"pong": True}
            on_a, on_b = serving((d1, d2), "alpha"), serving((d1, d2), "beta")
            assert on_a is not on_b, "leastconn put both sessions on one daemon"
            login(a, admin1)
            login(b, admin2)

            # Both administrators decide the same applications at the same moment.
            ids = add_pending(acc, "MDA", dept, 20, name="双实例", minutes_ago=60)
            r = race_decisions(a, b, ids, "review.approve_registrations",
                               "review.reject_registrations", "account_ids", "多实例竞争")
            replies = {"a": r["approve"], "b": r["reject"]}
            states = dict((int(i), s) for i, s in acc.rows(
                f"SELECT id, state FROM accounts WHERE id IN ({','.join(map(str, ids))})"))
            for aid, ra, rb in zip(ids, replies["a"], replies["b"]):
                assert [ra["ok"], rb["ok"]].count(True) == 1, (ra, rb)
                loser = rb if ra["ok"] else ra
                assert loser["reason"] == "already_decided"
                assert states[aid] == ("active" if ra["ok"] else "rejected")
            assert decision_rows(acc, ids) == {i: 1 for i in ids}

            # One daemon dies: its session ends, the other's lives on.
            victim, survivor = on_a, on_b
            victim.kill()
            with pytest.raises(AssertionError):
                a.call("system.ping", timeout=10)
            for _ in range(3):
                assert b.result("system.ping") == {"pong": True}
            assert b.result("session.whoami")["account"]["role"] == "unit_admin"

            # A new session goes to the survivor.
            with balanced_rpc(port, "gamma") as c:
                assert c.result("system.ping", timeout=30) == {"pong": True}
                login(c, admin1)
                assert serving((survivor,), "gamma") is survivor
            assert b.result("system.ping") == {"pong": True}


# --- a password change reaches the other daemon ------------------------------------------

@pytest.fixture
def two(postgres, migrated_template, tmp_path):
    """Two daemons on one database, no balancer: (d1, d2)."""
    # The second one names its listening connection itself (database.listen_conninfo).
    yield from two_daemons(postgres, migrated_template, tmp_path, lambda i, db: {
        "database": {"listen_conninfo": postgres.conninfo(db) if i == 2 else ""}})


def test_password_change_ends_sessions_on_the_other_daemon(two, postgres):
    d1, d2 = two
    wait_listening(d1)
    wait_listening(d2)
    acc = Accounts(postgres, d1.dbname, "NT")
    acc.add_unit("NTA", "通知测试单位")
    _, idn = acc.add_admin("NTA", "改密者")
    _, other = acc.add_admin("NTA", "旁观者")
    first, second = "Harbour-Violet-63", "Lantern-Copper-85"

    with d1.rpc() as a, d1.rpc() as a2, d2.rpc() as b, d2.rpc() as c:
        for s in (a, a2, b):
            login(s, idn)
        login(c, other)
        # Only the sessions of this daemon are counted in the reply ...
        assert change_password(a, DEMO_PASSWORD, first)["ended_sessions"] == 1
        # ... the one on the other daemon ends as well, though it asks nothing.
        assert_ended_elsewhere(a2)
        assert_ended_elsewhere(b)
        assert re.search(r"changed its password on another jxjyd; sessions ended here: 1",
                         d2.stderr_text()), d2.stderr_text()
        # The daemon that made the change skipped its own notice; others live on.
        assert "changed its password on another jxjyd" not in d1.stderr_text()
        assert a.result("session.whoami")["account"]["id_number"] == idn
        assert c.result("session.whoami")["account"]["id_number"] == other

    # The listening connection is cut (as by a PostgreSQL restart): d2 listens again.
    postgres.psql(d2.dbname, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE application_name = 'jxjyd listener' "
                             f"AND datname = '{d2.dbname}'")
    wait_listening(d1, 2, timeout=30)
    wait_listening(d2, 2, timeout=30)
    with d1.rpc() as a, d2.rpc() as b:
        b.result("session.login", {"id_number": idn, "password": first})
        a.result("session.login", {"id_number": idn, "password": first})
        assert change_password(b, first, second)["ended_sessions"] == 0
        assert_ended_elsewhere(a)
        assert b.result("session.whoami")["account"]["id_number"] == idn
