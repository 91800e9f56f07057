"""The review chain (issue 16, "What they decide"): a learning form's review = ["unit",
"authority"], on the real daemon over SSH.  A record approved by its unit goes on to the
authority whose scope covers the unit, and is approved only when the last step approves
it; a rejection at any step ends it with the reason and the step; the person's states stay
the guide's.  Every step's approve and reject (state, step, reason, totals, audit rows),
the unit no longer seeing what it moved on, the authority of another city answering
not_found per id, races between the unit's and the authority's decisions, a chain changed
by SIGHUP while records are in flight, and base reports under base_reports.review =
"authority".

Every administrator is in the config (a reload disables those it does not name), with a
key they do not use: they log in by password, as the accounts the helpers make.
"""

import copy

import pytest

from conftest import Daemon
from helpers import (INVALID_PARAMS, NOT_FOUND, NOW, PLAIN, Accounts, admins_block,
                     authority_admins_block, base_admins_block, content, expect_error,
                     forms_text, jpeg, logged_in, make_key, race_decisions, upload)


def _form(code, name, name_en, review=None):
    f = copy.deepcopy(PLAIN)
    f.update(code=code, name=name, name_en=name_en, attachment="optional")
    if review is not None:
        f["review"] = review
    return f


CHAIN = _form("t_chain", "测试两级审核", "Test two steps", ["unit", "authority"])
AUTH = _form("t_auth", "测试人社审核", "Test authority", ["authority"])
FLIP = _form("t_flip", "测试改审核链", "Test chain change")     # ["unit"] at first
FORMS = [PLAIN, CHAIN, AUTH, FLIP]


@pytest.fixture(scope="module")
def cdaemon(postgres, migrated_template, tmp_path_factory):
    db = postgres.new_database(template=migrated_template)
    d = Daemon(tmp_path_factory.mktemp("jxjyd-chain"), postgres, db, None, forms_text(FORMS))
    d.start()
    yield d
    d.stop()


def configure(d, w, forms=FORMS, base_review="unit"):
    """d's config: these forms, base_reports.review, and every administrator of w; then
    SIGHUP, and a request that syncs the new forms."""
    d.settings["base_reports"] = {"review": base_review}
    d.extra_config = (forms_text(forms) + "\n" + admins_block(w["unit_admins"])[0] +
                      authority_admins_block(w["authorities"]) +
                      base_admins_block(w["base_admins"]))
    d.write_config()
    d.reload()
    with logged_in(d, w["staff"][1]) as s:
        s.result("forms.list")


@pytest.fixture(scope="module")
def world(cdaemon, postgres, tmp_path_factory):
    acc = Accounts(postgres, cdaemon.dbname, "CH")
    acc.add_unit("CHA", "链审郑州单位", region="410100")
    acc.add_unit("CHB", "链审开封单位", region="410200")
    w = {"acc": acc}
    _, pub = make_key(tmp_path_factory.mktemp("chain-keys"), "unused")
    w["admin_a"] = acc.add_admin("CHA", "郑州单位管理员")
    w["admin_b"] = acc.add_admin("CHB", "开封单位管理员")
    w["city"] = acc.add_authority("郑州市人社局", scope="410100")
    w["other_city"] = acc.add_authority("开封市人社局", scope="410200")
    w["province"] = acc.add_authority("河南省人社厅", scope="410000")
    w["staff"] = acc.add_staff("CHA", "链审王")
    w["staff2"] = acc.add_staff("CHA", "链审李")
    w["staff_b"] = acc.add_staff("CHB", "链审赵")
    acc.add_base("CHBASE", "链审培训基地", forms=(PLAIN["code"], CHAIN["code"]))
    w["base_admin"] = acc.add_base_admin("CHBASE", "链审基地管理员")
    w["unit_admins"] = [{"id_number": w[k][1], "name": n, "unit": u, "keys": [pub]}
                        for k, n, u in (("admin_a", "郑州单位管理员", "CHA"),
                                        ("admin_b", "开封单位管理员", "CHB"))]
    w["authorities"] = [{"id_number": w[k][1], "name": n, "scope": sc, "keys": [pub]}
                        for k, n, sc in (("city", "郑州市人社局", "410100"),
                                         ("other_city", "开封市人社局", "410200"),
                                         ("province", "河南省人社厅", "410000"))]
    w["base_admins"] = [{"id_number": w["base_admin"][1], "name": "链审基地管理员",
                         "base": "CHBASE", "keys": [pub]}]
    configure(cdaemon, w)
    return w


@pytest.fixture(scope="module")
def staff(cdaemon, world):
    with logged_in(cdaemon, world["staff"][1]) as s:
        yield s


@pytest.fixture(scope="module")
def unit(cdaemon, world):
    with logged_in(cdaemon, world["admin_a"][1]) as s:
        yield s


@pytest.fixture(scope="module")
def city(cdaemon, world):
    with logged_in(cdaemon, world["city"][1]) as s:
        yield s


@pytest.fixture(scope="module")
def other_city(cdaemon, world):
    with logged_in(cdaemon, world["other_city"][1]) as s:
        yield s


@pytest.fixture(scope="module")
def province(cdaemon, world):
    with logged_in(cdaemon, world["province"][1]) as s:
        yield s


# --- helpers -------------------------------------------------------------------------------

def forms_of(s):
    return {f["code"]: f for f in s.result("forms.list")["forms"]}


def submit(s, form, amount=8, **changes):
    """A new record of form submitted by s; returns its id."""
    r = s.result("declaration.submit", content(forms_of(s)[form["code"]], amount=amount,
                                               **changes))
    assert r["state"] == "pending"
    return r["id"]


def row(acc, decl_id):
    """(state, review_chain, review_step, reject_reason) of a record."""
    return tuple(acc.row("SELECT state, array_to_string(review_chain, ','), review_step, "
                         f"coalesce(reject_reason, '') FROM declarations WHERE id = {decl_id}"))


def decisions(acc, decl_id):
    """(action, from, to, step, actor, reason) of a record's approve and reject rows."""
    return [tuple(r[:4]) + (int(r[4]),) + tuple(r[5:]) for r in acc.rows(
        "SELECT action, from_state, to_state, coalesce(step, ''), actor_id, "
        "coalesce(reason, '') FROM declaration_audit WHERE declaration_id = "
        f"{decl_id} AND action IN ('approve', 'reject') ORDER BY id")]


def totals(acc, account, form):
    r = acc.row("SELECT trim_scale(pending_hours)::text, trim_scale(approved_hours)::text "
                f"FROM declaration_totals WHERE account_id = {account} AND year = {NOW} "
                f"AND form_code = '{form['code']}'")
    return tuple(r) if r else ("0", "0")


def steps(detail):
    """[(step, decision, decided_by name, reason)] of a detail or list item."""
    return [(s["step"], s["decision"], (s["decided_by"] or {}).get("name"), s["reason"])
            for s in detail["steps"]]


def queue(s, method, **params):
    return [i["id"] for i in s.result(method, params)["items"]]


def one(s, method, ids, **extra):
    return s.result(method, {"ids": ids, **extra})["results"]


# --- the config ----------------------------------------------------------------------------

@pytest.mark.parametrize("review, message", [
    ('[ ]', 'needs at least one review step'),
    ('[ "unit", "unit" ]', 'learning_forms[0].review[1]: step "unit" is listed twice'),
    ('[ "boss" ]', 'learning_forms[0].review[0]: must be one of "unit", "authority", '
                   'got "boss"'),
    ('[ "authority", "unit" ]', '"authority" must be the last step'),
    ('"unit"', 'learning_forms[0].review: expected a list of review steps'),
])
def test_check_config_refuses_a_bad_chain_with_its_line(cdaemon, review, message):
    path = cdaemon.dir / "chain.conf"
    good = forms_text([PLAIN])
    bad = good.replace('attachment = "none";', f'attachment = "none"; review = {review};')
    assert bad != good
    path.write_text(bad + "\n", encoding="utf-8")
    r = cdaemon.run("-f", str(path), "check-config")
    assert r.returncode == 1
    out = r.stdout + r.stderr
    assert message in out, out
    assert "chain.conf:2: learning_forms[0].review" in out, out


def test_check_config_takes_the_three_chains(cdaemon):
    path = cdaemon.dir / "chain-ok.conf"
    path.write_text(forms_text([CHAIN, AUTH, FLIP]) + "\n", encoding="utf-8")
    r = cdaemon.run("-f", str(path), "check-config")
    assert r.returncode == 0, r.stdout + r.stderr


# --- every step's approve and reject ----------------------------------------------------------

def test_unit_then_authority_approve(cdaemon, world, staff, unit, city, other_city, province):
    acc = world["acc"]
    offered = forms_of(staff)
    assert [offered[f["code"]]["review"] for f in (PLAIN, CHAIN, AUTH)] == \
        [["unit"], ["unit", "authority"], ["authority"]]
    me = world["staff"][0]
    before = totals(acc, me, CHAIN)
    rid = submit(staff, CHAIN, amount=6)
    assert row(acc, rid) == ("pending", "unit,authority", "unit", "")
    got = staff.result("declaration.get", {"id": rid})
    assert (got["state"], got["review_step"], got["review_step_label"]) == \
        ("pending", "unit", "单位审核")
    assert steps(got) == [("unit", "pending", None, None), ("authority", None, None, None)]
    assert rid in queue(unit, "review.declarations")
    assert rid not in queue(city, "authority.declarations")
    expect_error(city.call("authority.declaration", {"id": rid}), NOT_FOUND, "not_found")
    # The authority cannot decide it before the unit has: not_found, not "wait".
    assert one(city, "authority.approve_declarations", [rid]) == \
        [{"id": rid, "ok": False, "reason": "not_found"}]

    # The unit approves: still pending, at the authority's step; its hours still pending.
    assert one(unit, "review.approve_declarations", [rid]) == [{"id": rid, "ok": True}]
    assert row(acc, rid) == ("pending", "unit,authority", "authority", "")
    p, a = totals(acc, me, CHAIN)
    assert (float(p) - float(before[0]), float(a) - float(before[1])) == (6, 0)
    assert decisions(acc, rid) == [("approve", "pending", "pending", "unit",
                                    world["admin_a"][0], "")]
    change = staff.next_change()
    assert (change["kind"], change["id"], change["state"]) == ("declaration", rid, "forwarded")
    assert "等待人社部门审核" in change["message"]
    got = staff.result("declaration.get", {"id": rid})
    assert (got["state"], got["state_label"], got["review_step"]) == \
        ("pending", "待审核", "authority")
    assert got["actions"] == ["withdraw"]
    assert steps(got) == [("unit", "approved", "郑州单位管理员", None),
                          ("authority", "pending", None, None)]
    assert [h.get("step") for h in got["history"] if h["action"] == "approve"] == ["unit"]
    listed = [i for i in staff.result("declaration.list")["items"] if i["id"] == rid][0]
    assert listed["review_step"] == "authority" and steps(listed) == steps(got)

    # The unit no longer sees it in its queue; it may still read it, with nothing to do.
    assert rid not in queue(unit, "review.declarations")
    detail = unit.result("review.declaration", {"id": rid})
    assert detail["actions"] == [] and detail["review_step"] == "authority"
    again = one(unit, "review.approve_declarations", [rid])[0]
    assert (again["ok"], again["reason"], again["state"], again["review_step"],
            again["decided_by"]["name"]) == (False, "already_decided", "pending",
                                             "authority", "郑州单位管理员")

    # The city's authority has it (with the unit); another city's does not, by any means.
    items = {i["id"]: i for i in city.result("authority.declarations")["items"]}
    assert items[rid]["unit"] == {"code": "CHA", "name": "链审郑州单位"}
    assert items[rid]["person"]["name"] == "链审王" and items[rid]["actions"] == \
        ["approve", "reject"]
    assert rid in queue(province, "authority.declarations")
    assert rid not in queue(other_city, "authority.declarations")
    assert rid not in queue(other_city, "authority.declarations", unit="CHA")
    expect_error(other_city.call("authority.declaration", {"id": rid}), NOT_FOUND,
                 "not_found")
    assert one(other_city, "authority.approve_declarations", [rid]) == \
        [{"id": rid, "ok": False, "reason": "not_found"}]
    assert one(other_city, "authority.reject_declarations", [rid], reason="不行") == \
        [{"id": rid, "ok": False, "reason": "not_found"}]
    detail = city.result("authority.declaration", {"id": rid})
    assert detail["person"]["unit"] == {"code": "CHA", "name": "链审郑州单位"}
    assert detail["actions"] == ["approve", "reject"]

    # The authority approves: approved, the hours approved.
    assert one(city, "authority.approve_declarations", [rid]) == [{"id": rid, "ok": True}]
    assert row(acc, rid) == ("approved", "unit,authority", "authority", "")
    p, a = totals(acc, me, CHAIN)
    assert (float(p) - float(before[0]), float(a) - float(before[1])) == (0, 6)
    assert decisions(acc, rid)[1] == ("approve", "pending", "approved", "authority",
                                      world["city"][0], "")
    change = staff.next_change()
    assert (change["id"], change["state"]) == (rid, "approved")
    got = staff.result("declaration.get", {"id": rid})
    assert got["review_step"] is None
    assert steps(got) == [("unit", "approved", "郑州单位管理员", None),
                          ("authority", "approved", "郑州市人社局", None)]
    assert got["decided_by"] == {"name": "郑州市人社局"}
    # Decided: the authority still reads it; deciding it again says so.
    assert city.result("authority.declaration", {"id": rid})["actions"] == []
    again = one(province, "authority.reject_declarations", [rid], reason="晚了")[0]
    assert (again["reason"], again["state"]) == ("already_decided", "approved")
    assert rid not in queue(city, "authority.declarations")


def test_reject_at_the_units_step_ends_it(world, staff, unit, city):
    acc = world["acc"]
    me = world["staff"][0]
    before = totals(acc, me, CHAIN)
    rid = submit(staff, CHAIN, amount=3)
    assert one(unit, "review.reject_declarations", [rid], reason="证明不清") == \
        [{"id": rid, "ok": True}]
    assert row(acc, rid) == ("rejected", "unit,authority", "unit", "证明不清")
    assert totals(acc, me, CHAIN) == before
    assert decisions(acc, rid) == [("reject", "pending", "rejected", "unit",
                                    world["admin_a"][0], "证明不清")]
    got = staff.result("declaration.get", {"id": rid})
    assert (got["state"], got["reject_reason"], got["review_step"]) == \
        ("rejected", "证明不清", None)
    assert steps(got) == [("unit", "rejected", "郑州单位管理员", "证明不清"),
                          ("authority", None, None, None)]
    # Never at the authority's step: it does not exist for the authority.
    expect_error(city.call("authority.declaration", {"id": rid}), NOT_FOUND, "not_found")
    assert one(city, "authority.approve_declarations", [rid])[0]["reason"] == "not_found"


def test_reject_at_the_authoritys_step_ends_it_and_a_revision_starts_again(
        world, staff, unit, city):
    acc = world["acc"]
    me = world["staff"][0]
    before = totals(acc, me, CHAIN)
    rid = submit(staff, CHAIN, amount=5)
    one(unit, "review.approve_declarations", [rid])
    assert one(city, "authority.reject_declarations", [rid], reason="  学时超出规定 ") == \
        [{"id": rid, "ok": True}]
    assert row(acc, rid) == ("rejected", "unit,authority", "authority", "学时超出规定")
    assert totals(acc, me, CHAIN) == before
    assert [d[:4] for d in decisions(acc, rid)] == [
        ("approve", "pending", "pending", "unit"),
        ("reject", "pending", "rejected", "authority")]
    got = staff.result("declaration.get", {"id": rid})
    assert steps(got) == [("unit", "approved", "郑州单位管理员", None),
                          ("authority", "rejected", "郑州市人社局", "学时超出规定")]
    assert got["actions"] == ["revise"]
    # The person revises and submits again: a new round, at the unit's step.
    staff.result("declaration.revise", {"id": rid})
    staff.result("declaration.submit", {"id": rid})
    assert row(acc, rid) == ("pending", "unit,authority", "unit", "")
    got = staff.result("declaration.get", {"id": rid})
    assert steps(got) == [("unit", "pending", None, None), ("authority", None, None, None)]
    assert rid in queue(unit, "review.declarations")
    assert rid not in queue(city, "authority.declarations")
    # A withdrawal at the authority's step goes back to draft; the authority is told so.
    one(unit, "review.approve_declarations", [rid])
    staff.result("declaration.withdraw", {"id": rid})
    r = one(city, "authority.approve_declarations", [rid])[0]
    assert (r["reason"], r["state"]) == ("state_changed", "draft")
    assert totals(acc, me, CHAIN) == before


def test_a_form_the_authority_alone_reviews(world, staff, unit, city):
    acc = world["acc"]
    rid = submit(staff, AUTH)
    assert row(acc, rid) == ("pending", "authority", "authority", "")
    assert rid not in queue(unit, "review.declarations")
    assert one(unit, "review.approve_declarations", [rid])[0]["reason"] == "already_decided"
    assert rid in queue(city, "authority.declarations", form=AUTH["code"])
    assert rid not in queue(city, "authority.declarations", form=PLAIN["code"])
    assert one(city, "authority.approve_declarations", [rid]) == [{"id": rid, "ok": True}]
    assert row(acc, rid)[0] == "approved"
    assert steps(staff.result("declaration.get", {"id": rid})) == \
        [("authority", "approved", "郑州市人社局", None)]


def test_the_authoritys_queue_filters_and_attachments(cdaemon, world, staff, unit, city,
                                                      province):
    data = jpeg(3000)
    token = upload(staff, data)["attachment_token"]
    rid = submit(staff, CHAIN, attachment_token=token)
    one(unit, "review.approve_declarations", [rid])
    page = city.result("authority.declarations", {"unit": "CHA", "year": NOW})
    assert rid in [i["id"] for i in page["items"]] and page["pending_total"] >= 1
    assert rid not in queue(city, "authority.declarations", unit="CHB")
    assert rid not in queue(city, "authority.declarations", unit="NOSUCH")
    assert rid in queue(city, "authority.declarations", person="链审王")
    assert rid not in queue(city, "authority.declarations", person="链审李")
    expect_error(city.call("authority.declarations", {"unit": "C-A"}), INVALID_PARAMS,
                 "unit_filter_invalid", "unit")
    att = city.result("authority.declaration", {"id": rid})["attachment"]
    got = city.result("authority.attachment", {"attachment_id": att["id"]})
    assert got["size"] == len(data) and got["eof"]
    with logged_in(cdaemon, world["other_city"][1]) as other:
        expect_error(other.call("authority.attachment", {"attachment_id": att["id"]}),
                     NOT_FOUND, "not_found")
    one(province, "authority.approve_declarations", [rid])


def test_the_authoritys_queue_total_counts_what_its_filters_show(cdaemon, world, staff, city,
                                                                  other_city, province):
    """pending_total is the number of records the same filters list, in every scope:
    counted from the scope's units (each unit's part of the queue's index), the person
    read only when the filter names one."""
    submit(staff, AUTH)
    submit(staff, AUTH, amount=2)
    with logged_in(cdaemon, world["staff_b"][1]) as b:
        submit(b, AUTH)
    cases = [(city, {}), (city, {"form": AUTH["code"]}), (city, {"form": PLAIN["code"]}),
             (city, {"year": NOW}), (city, {"year": NOW - 1}), (city, {"unit": "CHA"}),
             (city, {"unit": "CHB"}), (city, {"person": "链审王"}), (city, {"person": "链审赵"}),
             (other_city, {}), (other_city, {"person": "链审赵"}), (province, {}),
             (province, {"person": "链审"}), (province, {"unit": "CHB", "form": AUTH["code"]})]
    seen = {}
    for s, params in cases:
        page = s.result("authority.declarations", {**params, "limit": 100})
        assert len(page["items"]) < 100 and page["next"] is None, params
        assert page["pending_total"] == len(page["items"]), (params, page["pending_total"])
        assert not page["pending_total_capped"]
        seen[(id(s), str(params))] = len(page["items"])
    # The cases differ, so a total that ignored a filter or the scope would show.
    assert seen[(id(city), "{}")] >= 2 and seen[(id(other_city), "{}")] >= 1
    assert seen[(id(city), str({"unit": "CHB"}))] == 0
    assert seen[(id(city), str({"person": "链审赵"}))] == 0
    assert seen[(id(province), "{}")] == seen[(id(city), "{}")] + seen[(id(other_city), "{}")]


# --- races -------------------------------------------------------------------------------------

def test_a_race_between_the_units_approval_and_the_authoritys_rejection(
        world, staff, unit, city):
    """The unit approves while the authority rejects, at the same moment, record by
    record: the unit's approval always happens; the authority's rejection happens only
    when it found the record at its step already, else it is not_found (it was not the
    authority's yet).  Either way the state, step, audit and totals agree."""
    acc = world["acc"]
    me = world["staff"][0]
    before = totals(acc, me, CHAIN)
    ids = [submit(staff, CHAIN, amount=1) for _ in range(12)]
    replies = race_decisions(unit, city, ids, "review.approve_declarations",
                             "authority.reject_declarations", "ids", "竞态拒绝")
    pending = 0
    for rid, a, r in zip(ids, replies["approve"], replies["reject"]):
        assert a == {"id": rid, "ok": True}, a
        if r["ok"]:
            assert row(acc, rid) == ("rejected", "unit,authority", "authority", "竞态拒绝")
            assert [d[:4] for d in decisions(acc, rid)] == [
                ("approve", "pending", "pending", "unit"),
                ("reject", "pending", "rejected", "authority")]
        else:
            assert r["reason"] == "not_found", r
            assert row(acc, rid) == ("pending", "unit,authority", "authority", "")
            assert len(decisions(acc, rid)) == 1
            pending += 1
    p, a = totals(acc, me, CHAIN)
    assert (float(p) - float(before[0]), float(a)) == (pending, float(before[1]))
    one(city, "authority.reject_declarations", ids, reason="清理")


def test_a_race_between_two_authorities(world, staff, unit, city, province):
    """The city's and the province's authority decide the same records at once: exactly
    one decision per record, the other told who decided it."""
    acc = world["acc"]
    ids = [submit(staff, CHAIN, amount=1) for _ in range(10)]
    one(unit, "review.approve_declarations", ids)
    replies = race_decisions(city, province, ids, "authority.approve_declarations",
                             "authority.reject_declarations", "ids", "省厅拒绝")
    for rid, a, r in zip(ids, replies["approve"], replies["reject"]):
        assert a["ok"] != r["ok"], (a, r)
        loser = r if a["ok"] else a
        assert loser["reason"] == "already_decided"
        state = row(acc, rid)[0]
        assert state == ("approved" if a["ok"] else "rejected")
        assert loser["state"] == state
        assert len(decisions(acc, rid)) == 2


# --- a chain changed by SIGHUP -----------------------------------------------------------------

def test_a_chain_changed_by_sighup_applies_to_records_submitted_after(
        cdaemon, world, staff, unit, city):
    acc = world["acc"]
    before_pending = submit(staff, FLIP)            # on ["unit"]
    draft = staff.result("declaration.save", content(forms_of(staff)[FLIP["code"]]))["id"]
    configure(cdaemon, world, [PLAIN, CHAIN, AUTH, dict(FLIP, review=["unit", "authority"])])
    try:
        # Submitted before: finishes on the chain it started with.
        assert row(acc, before_pending)[1:3] == ("unit", "unit")
        one(unit, "review.approve_declarations", [before_pending])
        assert row(acc, before_pending)[0] == "approved"
        # Saved before, submitted after: the new chain.
        staff.result("declaration.submit", {"id": draft})
        after = submit(staff, FLIP)
        for rid in (draft, after):
            assert row(acc, rid) == ("pending", "unit,authority", "unit", "")
        one(unit, "review.approve_declarations", [draft, after])
        assert row(acc, draft)[:3] == ("pending", "unit,authority", "authority")
        # Back to ["unit"] while they are at the authority's step: they stay there.
        configure(cdaemon, world)
        assert row(acc, draft)[:3] == ("pending", "unit,authority", "authority")
        assert draft in queue(city, "authority.declarations", form=FLIP["code"])
        one(city, "authority.approve_declarations", [draft])
        one(city, "authority.reject_declarations", [after], reason="改链后拒绝")
        assert row(acc, draft)[0] == "approved" and row(acc, after)[0] == "rejected"
        # And a record submitted now is the unit's alone again.
        last = submit(staff, FLIP)
        assert row(acc, last)[1:3] == ("unit", "unit")
        one(unit, "review.approve_declarations", [last])
        assert row(acc, last)[0] == "approved"
    finally:
        configure(cdaemon, world)


# --- base reports under base_reports.review = "authority" --------------------------------------

def make_class(world, people, form=PLAIN):
    acc = world["acc"]
    fid = int(acc.value(f"SELECT id FROM learning_forms WHERE code = '{form['code']}' "
                        "AND active"))
    from helpers import Sql
    cid = acc.insert("base_classes", base_code="CHBASE", name="链审基地班",
                     form_id=fid, form_code=form["code"], fields='{"name": "链审基地班"}',
                     start_date=Sql("current_date - 2"), end_date=Sql("current_date - 1"),
                     year=NOW, amount=4, created_by=world["base_admin"][0])
    for i, (account, idn, name) in enumerate(people, start=2):
        acc.insert("base_roster", class_id=cid, line=i, id_number=idn, name=name,
                   account_id=account)
    return cid


def test_base_reports_under_authority_review(cdaemon, world, unit, city, other_city,
                                             province):
    acc = world["acc"]
    configure(cdaemon, world, base_review="authority")
    try:
        people = [(world["staff"][0], world["staff"][1], "链审王"),
                  (world["staff2"][0], world["staff2"][1], "链审李"),
                  (world["staff_b"][0], world["staff_b"][1], "链审赵")]
        cid = make_class(world, people)
        with logged_in(cdaemon, world["base_admin"][1]) as base:
            r = base.result("class.report", {"id": cid, "version": 1})
        assert (r["records"], r["record_state"]) == (3, "pending")
        recs = {int(a): int(i) for a, i in acc.rows(
            f"SELECT account_id, id FROM declarations WHERE class_id = {cid}")}
        ids = [recs[p[0]] for p in people]
        for rid in ids:
            assert row(acc, rid) == ("pending", "authority", "authority", "")
            assert acc.value(f"SELECT source FROM declarations WHERE id = {rid}") == "base"
        # Not the units': neither queue has them, nor may they decide them.
        assert not set(ids) & set(queue(unit, "review.declarations", class_id=cid))
        expect_error(unit.call("review.decide_class", {"class_id": cid,
                                                       "decision": "approve"}),
                     NOT_FOUND, "class_nothing_pending")
        # The city's authority has its own city's two; the other city's its one.
        assert set(queue(city, "authority.declarations", class_id=cid)) == set(ids[:2])
        assert queue(other_city, "authority.declarations", class_id=cid) == [ids[2]]
        item = city.result("authority.declaration", {"id": ids[0]})
        assert item["source"] == "base" and item["class"]["id"] == cid
        done = city.result("authority.decide_class", {"class_id": cid, "decision": "approve"})
        assert sorted(x["id"] for x in done["results"] if x["ok"]) == sorted(ids[:2])
        assert [row(acc, rid)[0] for rid in ids] == ["approved", "approved", "pending"]
        expect_error(city.call("authority.decide_class", {"class_id": cid,
                                                          "decision": "approve"}),
                     NOT_FOUND, "class_nothing_pending")
        done = province.result("authority.decide_class",
                               {"class_id": cid, "decision": "reject", "reason": "名单不符"})
        assert [x["id"] for x in done["results"] if x["ok"]] == [ids[2]]
        assert row(acc, ids[2]) == ("rejected", "authority", "authority", "名单不符")
        assert totals(acc, world["staff_b"][0], PLAIN) == ("0", "0")
        assert decisions(acc, ids[2])[0][:4] == ("reject", "pending", "rejected", "authority")
    finally:
        configure(cdaemon, world)


def test_base_reports_under_unit_review_follow_the_forms_chain(cdaemon, world, unit, city):
    """base_reports.review = "unit": a base record of a two-step form goes unit, then
    authority, as the person's own."""
    acc = world["acc"]
    cid = make_class(world, [(world["staff2"][0], world["staff2"][1], "链审李")], form=CHAIN)
    with logged_in(cdaemon, world["base_admin"][1]) as base:
        base.result("class.report", {"id": cid, "version": 1})
    rid = int(acc.value(f"SELECT id FROM declarations WHERE class_id = {cid}"))
    assert row(acc, rid) == ("pending", "unit,authority", "unit", "")
    unit.result("review.decide_class", {"class_id": cid, "decision": "approve"})
    assert row(acc, rid)[:3] == ("pending", "unit,authority", "authority")
    # Decided at one step: the base may no longer take it back.
    with logged_in(cdaemon, world["base_admin"][1]) as base:
        r = base.call("class.withdraw", {"id": cid})
    assert "error" in r, r
    assert row(acc, rid)[0] == "pending"
    city.result("authority.decide_class", {"class_id": cid, "decision": "approve"})
    assert row(acc, rid)[0] == "approved"
