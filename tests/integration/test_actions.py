"""The actions of a record (docs/protocol.md, "Actions"), on the real daemon over SSH.

Every record the daemon lists or details carries "actions": what its caller may do with it
now.  For each kind of record, each state and each role, the actions listed are exactly
those the daemon then accepts: every word of the caller's vocabulary is tried on a fresh
record in that state, and succeeds if and only if it was listed.
"""

import pytest

from helpers import (NOW, PLAIN, Accounts, add_pending, born_of, id_number, logged_in,
                     sex_code)

OWNER_WORDS = ("edit", "submit", "delete", "withdraw", "revise")
ADMIN_WORDS = ("approve", "reject")


@pytest.fixture(scope="module")
def world(ddaemon, postgres):
    acc = Accounts(postgres, ddaemon.dbname, "AC")
    a = acc.add_unit("ACA", "动作测试甲单位", departments=("办公室",))
    w = {"acc": acc, "dept": a["办公室"]}
    w["admin"] = acc.add_admin("ACA", "动作管理员")
    idn = id_number()
    w["staff"] = acc.add_staff(
        "ACA", "动作员工", a["办公室"], idn=idn, sex=sex_code(idn), birth_date=born_of(idn),
        ethnicity="01", phone="13800000000", major_code="080901",
        title_id=int(acc.value("SELECT min(id) FROM titles WHERE active")),
        education_level="21")
    w["titles"] = [int(x) for x in acc.sql(
        "SELECT id FROM titles WHERE active ORDER BY id LIMIT 6").split()]
    return w


@pytest.fixture(scope="module")
def staff(ddaemon, world):
    with logged_in(ddaemon, world["staff"][1]) as s:
        yield s


@pytest.fixture(scope="module")
def admin(ddaemon, world):
    with logged_in(ddaemon, world["admin"][1]) as s:
        yield s


# --- declarations ----------------------------------------------------------------------------

def content():
    return {"form": PLAIN["code"], "year": NOW, "amount": 2, "fields": {"name": "动作测试"}}


def declaration_in(staff, admin, world, state, source="person"):
    """A new declaration of the staff member in state; its id."""
    if source != "person":
        acc = world["acc"]
        form_id = acc.value(f"SELECT id FROM learning_forms WHERE code = '{PLAIN['code']}'"
                            " AND active")
        cid = acc.add_base_class(PLAIN["code"], world["staff"][0])
        return int(acc.value(
            "INSERT INTO declarations (account_id, unit_code, form_id, form_code, year, "
            "amount, hours, category, fields, state, submitted_at, source, class_id) VALUES "
            f"({world['staff'][0]}, 'ACA', {form_id}, '{PLAIN['code']}', {NOW}, 2, 2, "
            f"'professional', '{{\"name\": \"基地\"}}', '{state}', now(), '{source}', "
            f"{cid}) RETURNING id"))
    if state == "draft":
        return staff.result("declaration.save", content())["id"]
    did = staff.result("declaration.submit", content())["id"]
    if state == "approved":
        assert admin.result("review.approve_declarations", {"ids": [did]})["results"][0]["ok"]
    elif state == "rejected":
        assert admin.result("review.reject_declarations",
                            {"ids": [did], "reason": "材料不全"})["results"][0]["ok"]
    return did


def owner_try(staff, did, word):
    """Whether the owner's action word on declaration did succeeds."""
    if word == "edit":
        version = staff.result("declaration.get", {"id": did})["version"]
        reply = staff.call("declaration.save", {**content(), "id": did, "version": version})
    else:
        reply = staff.call(f"declaration.{word}", {"id": did})
    return "result" in reply


def admin_try(admin, method, id_key, rid, word):
    """Whether the administrator's approve/reject of record rid succeeds."""
    params = {id_key: [rid]}
    if word == "reject":
        params["reason"] = "不符合要求"
    reply = admin.call(f"review.{word}_{method}", params)
    return "result" in reply and reply["result"]["results"][0]["ok"]


def listed(s, method, rid, key="id", **params):
    """The actions of record rid in a list (None when the list does not show it)."""
    for item in s.result(method, {"limit": 100, **params})["items"]:
        if item[key] == rid:
            return item["actions"]
    return None


@pytest.mark.parametrize("state,source,expected", [
    ("draft", "person", ["edit", "submit", "delete"]),
    ("pending", "person", ["withdraw"]),
    ("approved", "person", []),
    ("rejected", "person", ["revise"]),
    ("pending", "base", []),
    ("approved", "base", []),
])
def test_owner_declaration_actions_are_what_the_daemon_accepts(staff, admin, world, state,
                                                                source, expected):
    did = declaration_in(staff, admin, world, state, source)
    shown = staff.result("declaration.get", {"id": did})["actions"]
    assert shown == expected
    assert listed(staff, "declaration.list", did) == expected
    for word in OWNER_WORDS:
        rid = declaration_in(staff, admin, world, state, source)
        assert owner_try(staff, rid, word) == (word in shown), (state, source, word)


@pytest.mark.parametrize("state,expected", [
    ("pending", ["approve", "reject"]),
    ("approved", []),
    ("rejected", []),
])
def test_review_declaration_actions_are_what_the_daemon_accepts(staff, admin, world, state,
                                                                 expected):
    did = declaration_in(staff, admin, world, state)
    shown = admin.result("review.declaration", {"id": did})["actions"]
    assert shown == expected
    in_queue = listed(admin, "review.declarations", did)
    assert in_queue == (expected if state == "pending" else None)
    for word in ADMIN_WORDS:
        rid = declaration_in(staff, admin, world, state)
        assert admin_try(admin, "declarations", "ids", rid, word) == (word in shown), word


def test_withdrawn_declaration_offers_the_draft_actions(staff, admin, world):
    did = declaration_in(staff, admin, world, "pending")
    staff.result("declaration.withdraw", {"id": did})
    assert staff.result("declaration.get", {"id": did})["actions"] == ["edit", "submit",
                                                                       "delete"]


# --- registrations ---------------------------------------------------------------------------

def registration_in(admin, world, state):
    rid = add_pending(world["acc"], "ACA", world["dept"], 1, name="动作申请")[0]
    if state != "pending":
        assert admin_try(admin, "registrations", "account_ids", rid,
                         "approve" if state == "active" else "reject")
    return rid


@pytest.mark.parametrize("state,expected", [
    ("pending", ["approve", "reject"]),
    ("active", []),
    ("rejected", []),
])
def test_registration_actions_are_what_the_daemon_accepts(admin, world, state, expected):
    rid = registration_in(admin, world, state)
    shown = admin.result("review.registration", {"account_id": rid})["actions"]
    assert shown == expected
    in_queue = listed(admin, "review.registrations", rid, key="account_id")
    assert in_queue == (expected if state == "pending" else None)
    for word in ADMIN_WORDS:
        other = registration_in(admin, world, state)
        assert admin_try(admin, "registrations", "account_ids", other, word) == \
            (word in shown), word


# --- title changes ---------------------------------------------------------------------------

def test_title_change_actions_are_what_the_daemon_accepts(staff, admin, world):
    for i, word in enumerate(ADMIN_WORDS):
        profile = staff.result("profile.get")
        staff.result("profile.update", {"version": profile["version"],
                                        "title_id": world["titles"][i + 1]})
        cid = staff.result("profile.get")["pending_title"]["id"]
        assert listed(admin, "review.title_changes", cid) == ["approve", "reject"]
        assert admin_try(admin, "title_changes", "ids", cid, word)
        # Decided: gone from the queue, and neither decision is accepted again.
        assert listed(admin, "review.title_changes", cid) is None
        for again in ADMIN_WORDS:
            assert not admin_try(admin, "title_changes", "ids", cid, again)


# --- staff -----------------------------------------------------------------------------------

@pytest.mark.parametrize("state,expected", [
    ("active", ["reset_password"]),
    ("disabled", []),
])
def test_staff_actions_are_what_the_daemon_accepts(admin, world, state, expected):
    aid, _ = world["acc"].add_staff("ACA", f"动作{state}", world["dept"], state=state)
    shown = admin.result("review.staff_profile", {"account_id": aid})["profile"]["actions"]
    assert shown == expected
    in_list = listed(admin, "review.staff", aid, key="account_id")
    assert in_list == (expected if state == "active" else None)
    reply = admin.call("review.reset_password", {"account_id": aid})
    assert ("result" in reply) == ("reset_password" in shown)
