"""Issue 12, points 5 and 6, on the real daemon over SSH: nobody keeps a person out.

Point 5: failed passwords slow further attempts on an ID number (the verification code and
a growing delay) instead of locking it; known and unknown ID numbers answer alike; the
applicant's own methods (application.status) need the code and count alike.
Point 6: another person's application of an ID number (pending, rejected or approved)
never blocks its owner's registration; the unit administrators see the conflict, and
approving one application settles the others.

Delays are kept at 1 s by the config; no test asserts a time, except generous upper
bounds that only catch a hang."""

import time

import pytest

from conftest import Daemon
from helpers import (DEMO_PASSWORD, LOGIN_FAILED, PASSWORD, application, id_number, logged_in,
                     make_world)

# Throttled from the third failure on; at most 1 s of delay; captcha after a failure.
THROTTLE = {"security": {"captcha": "after-failures", "throttle_after": 3,
                         "throttle_max_delay": 1, "source_failures_per_minute": 100000}}


def code(s):
    """A fresh verification code of session s (through the test-only answer method)."""
    s.result("captcha.new")
    return s.result("debug.captcha_answer")["answer"]


def attempt(s, method, idn, password, with_code=True):
    params = {"id_number": idn, "password": password}
    if with_code:
        params["captcha"] = code(s)
    return s.call(method, params)


def error_of(reply):
    assert "error" in reply, f"expected an error, got {reply}"
    return reply["error"]


# --- point 5: throttling, not lockout ------------------------------------------------------

def test_six_wrong_passwords_then_the_right_one_logs_in(make_daemon, postgres):
    d = make_daemon(config=THROTTLE)
    world = make_world(postgres, d.dbname, "HA")
    _, idn = world["acc"].add_staff(world["unit_a"], "张伟")
    with d.rpc() as s:
        for i in range(6):
            e = error_of(attempt(s, "session.login", idn, f"Wrong-Password-{i}"))
            assert (e["code"], e["data"]["reason"]) == (LOGIN_FAILED, "bad_credentials"), e
    with d.rpc() as s:
        # Throttled: without the code even the right password is not tried ...
        e = error_of(attempt(s, "session.login", idn, DEMO_PASSWORD, with_code=False))
        assert e["data"]["reason"] == "bad_captcha" and e["data"]["captcha_required"]
        # ... with it, the right password logs in, after the delay.
        start = time.monotonic()
        r = attempt(s, "session.login", idn, DEMO_PASSWORD)
        assert r.get("result", {}).get("account", {}).get("id_number") == idn, r
        assert time.monotonic() - start < 15
    assert "s delay" in d.stderr_text()


def test_known_and_unknown_id_numbers_answer_alike(make_daemon, postgres):
    d = make_daemon(config=THROTTLE)
    world = make_world(postgres, d.dbname, "HB")
    acc = world["acc"]
    known = {
        "active": acc.add_staff(world["unit_a"], "张伟")[1],
        "pending": acc.add_staff(world["unit_a"], "张伟", state="pending")[1],
        "rejected": acc.add_staff(world["unit_a"], "张伟", state="rejected",
                                  reject_reason="材料不全")[1],
        "withdrawn": acc.add_staff(world["unit_a"], "张伟", state="withdrawn")[1],
    }
    unknown = id_number()
    replies = {who: [] for who in [*known, "unknown"]}
    with d.rpc() as s:
        for i in range(6):
            for who, idn in [*known.items(), ("unknown", unknown)]:
                replies[who].append(error_of(attempt(s, "session.login", idn,
                                                     f"Wrong-Password-{i}")))
    for who in known:
        assert replies[who] == replies["unknown"], (who, replies[who], replies["unknown"])
    assert {e["data"]["reason"] for e in replies["unknown"]} == {"bad_credentials"}
    # Every one of them was counted alike: unknown ID numbers too.
    counts = acc.rows("SELECT id_number, failures FROM login_throttle")
    assert sorted(int(n) for _, n in counts) == [6] * 5, counts


def test_application_status_needs_the_code_when_throttled_and_counts(make_daemon,
                                                                     postgres):
    first = make_daemon(config=THROTTLE)
    world = make_world(postgres, first.dbname, "HC")
    _, idn = world["acc"].add_staff(world["unit_a"], "张伟", state="pending")
    with first.rpc() as s:
        for i in range(3):
            e = error_of(attempt(s, "application.status", idn, f"Wrong-Password-{i}"))
            assert e["data"]["reason"] == "bad_credentials", e

    # Another jxjyd on the same database, which has seen no failure from this address:
    # the count is the ID number's, kept in the database.
    second = Daemon(first.dir.parent / "second", postgres, first.dbname, THROTTLE)
    second.start()
    try:
        with second.rpc() as s:
            # An ID number nobody failed on needs no code here ...
            e = error_of(attempt(s, "application.status", id_number(), "Wrong-Password-x",
                                 with_code=False))
            assert e["data"]["reason"] == "bad_credentials", e
        with second.rpc() as s:
            # ... the throttled one does, also with the right password.
            e = error_of(attempt(s, "application.status", idn, DEMO_PASSWORD,
                                 with_code=False))
            assert e["data"]["reason"] == "bad_captcha" and e["data"]["captcha_required"]
            r = attempt(s, "application.status", idn, DEMO_PASSWORD)
            assert r.get("result", {}).get("state") == "pending", r
    finally:
        second.stop()
    # application.status failures counted like login's; the right answer took one back.
    assert world["acc"].value(
        f"SELECT failures FROM login_throttle WHERE id_number = '{idn}'") == "3"


def test_an_old_lockout_key_is_a_clear_config_error(make_daemon):
    d = make_daemon(config={"security": {"lockout_failures": 5}}, start=False)
    r = d.run("check-config")
    assert r.returncode == 1, r
    assert "security.lockout_failures: removed: accounts are no longer locked" in r.stderr
    assert "throttle_after" in r.stderr


# --- point 6: squatting ----------------------------------------------------------------------

@pytest.fixture
def claims(make_daemon, postgres):
    """A daemon with units A (the owner's) and B (the squatter's) and an admin of each."""
    d = make_daemon()
    world = make_world(postgres, d.dbname, "HS")
    acc = world["acc"]
    world["admin_a"] = acc.add_admin(world["unit_a"], "甲单位管理员")[1]
    world["admin_b"] = acc.add_admin(world["unit_b"], "乙单位管理员")[1]
    return d, world


SQUATTER_PASSWORD = "Mao-Ming-Ding-Ti-9"


def squat(d, world, idn):
    """A stranger registers idn in unit B; returns the application's account id."""
    with d.rpc() as s:
        s.result("account.register", application(
            world, idn=idn, unit=world["unit_b"], department_id=world["dept_b"],
            name="冒名者", password=SQUATTER_PASSWORD, password_confirm=SQUATTER_PASSWORD))
    return next(int(a["id"]) for a in world["acc"].accounts(idn) if a["name"] == "冒名者")


def own(d, world, idn):
    """The owner registers idn in unit A; returns the application's account id."""
    with d.rpc() as s:
        r = s.call("account.register", application(world, idn=idn, name="本人"))
        assert r.get("result", {}).get("state") == "pending", r
    return next(int(a["id"]) for a in world["acc"].accounts(idn)
                if a["name"] == "本人" and a["state"] == "pending")


def test_squatters_pending_or_rejected_application_does_not_block_the_owner(claims):
    d, world = claims
    pending_idn, rejected_idn = id_number(), id_number()
    squat(d, world, pending_idn)
    rejected = squat(d, world, rejected_idn)
    with logged_in(d, world["admin_b"]) as s:
        s.result("review.reject_registrations", {"account_ids": [rejected],
                                                 "reason": "查无此人"})
    for idn in (pending_idn, rejected_idn):
        own(d, world, idn)
    # The squatter's password still finds the squatter's own application, the owner's the
    # owner's: neither takes the other's over.
    with d.rpc() as s:
        r = s.result("application.status", {"id_number": rejected_idn,
                                            "password": SQUATTER_PASSWORD})
        assert (r["state"], r["unit"]["code"]) == ("rejected", world["unit_b"])
        r = s.result("application.status", {"id_number": rejected_idn, "password": PASSWORD})
        assert (r["state"], r["unit"]["code"]) == ("pending", world["unit_a"])


def test_approving_the_owner_ends_the_squatters_application(claims):
    d, world = claims
    idn = id_number()
    squatter = squat(d, world, idn)
    owner = own(d, world, idn)
    with logged_in(d, world["admin_a"]) as s:
        # The administrator sees the claim: the other unit and its state, nothing personal.
        item = next(i for i in s.result("review.registrations")["items"]
                    if i["account_id"] == owner)
        assert len(item["conflicts"]) == 1
        conflict = item["conflicts"][0]
        assert set(conflict) == {"unit", "state", "submitted_at"}
        assert conflict["unit"] == {"code": world["unit_b"], "name": "HS乙测试单位"}
        assert conflict["state"] == "pending"
        assert s.result("review.registration", {"account_id": owner})["conflicts"] == \
            item["conflicts"]
        r = s.result("review.approve_registrations", {"account_ids": [owner]})
        assert r["results"] == [{"account_id": owner, "ok": True}]
    rows = {int(a["id"]): a for a in world["acc"].accounts(idn)}
    assert rows[owner]["state"] == "active"
    assert (rows[squatter]["state"], rows[squatter]["reject_reason"]) == \
        ("rejected", "另一份申请已通过")
    assert world["acc"].audit(squatter)[-1][:3] == ("supersede", "pending", "rejected")
    with d.rpc() as s:
        e = error_of(s.call("session.login", {"id_number": idn,
                                              "password": SQUATTER_PASSWORD}))
        assert e["data"]["reason"] == "bad_credentials"      # only the active one counts
        r = s.result("session.login", {"id_number": idn, "password": PASSWORD})
        assert r["account"]["unit"]["code"] == world["unit_a"]


def test_an_approved_squatter_is_disabled_when_the_owner_is_approved(claims):
    d, world = claims
    idn = id_number()
    squatter = squat(d, world, idn)
    with logged_in(d, world["admin_b"]) as s:          # approved by mistake
        s.result("review.approve_registrations", {"account_ids": [squatter]})
    with d.rpc() as squatter_session:
        squatter_session.result("session.login", {"id_number": idn,
                                                   "password": SQUATTER_PASSWORD})
        owner = own(d, world, idn)                 # a claim, not id_number_taken
        with logged_in(d, world["admin_a"]) as s:
            item = s.result("review.registration", {"account_id": owner})
            assert [(c["unit"]["code"], c["state"]) for c in item["conflicts"]] == \
                [(world["unit_b"], "active")]
            r = s.result("review.approve_registrations", {"account_ids": [owner]})
            assert r["results"] == [{"account_id": owner, "ok": True}]
        # The squatter's session is ended at once.
        note = squatter_session.read(timeout=10)
        assert note.get("method") == "session.closing", note
        assert note["params"]["reason"] == "logged_out_elsewhere"
    rows = {int(a["id"]): a for a in world["acc"].accounts(idn)}
    assert rows[squatter]["state"] == "disabled" and rows[owner]["state"] == "active"
    action, from_state, to_state, actor, reason = world["acc"].audit(squatter)[-1]
    assert (action, from_state, to_state) == ("disable", "active", "disabled")
    assert actor != "" and "另一份注册申请已通过审核" in reason
    with d.rpc() as s:
        r = s.result("session.login", {"id_number": idn, "password": PASSWORD})
        assert r["account"]["unit"]["code"] == world["unit_a"]
