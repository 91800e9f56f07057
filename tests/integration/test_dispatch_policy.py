"""The policy the method tables declare and the dispatcher applies (daemon/app/rpc.h): parameter
bounds, paging with cursors of a kind, the unit administrator's database check.

The replies must read as they did when each handler checked these itself: the same code,
reason, field and sentence.
"""

import base64
import json
from contextlib import contextmanager

import pytest

from helpers import (DEMO_HASH, DEMO_PASSWORD, INVALID_PARAMS, NOT_PERMITTED, Accounts,
                     expect_error, id_number)


@pytest.fixture(scope="module")
def world(daemon, postgres):
    acc = Accounts(postgres, daemon.dbname, "DP")
    acc.add_unit("DPA", "分派测试单位")
    admin = acc.add_admin("DPA", "分派测试管理员")
    for name in ("甲一", "甲二", "甲三"):
        acc.sql("INSERT INTO accounts (id_number, state, password_hash, name, unit_code) "
                f"VALUES ('{id_number()}', 'active', '{DEMO_HASH}', '{name}', 'DPA')")
    return {"acc": acc, "admin": admin}


@contextmanager
def admin_session(daemon, world):
    with daemon.rpc() as s:
        s.result("session.login", {"id_number": world["admin"][1], "password": DEMO_PASSWORD})
        yield s


def cursor(*keys):
    return base64.urlsafe_b64encode(json.dumps(list(keys)).encode()).decode().rstrip("=")


def test_bounds_read_as_before(daemon, world):
    with admin_session(daemon, world) as s:
        e = expect_error(s.call("review.staff", {"limit": 201, "filter": "\x01"}),
                         INVALID_PARAMS, "limit_invalid", "limit")
        assert e["message"] == "每页条数: 应为 1 到 200"
        e = expect_error(s.call("review.staff", {"filter": "a\x01"}), INVALID_PARAMS,
                         "filter_invalid", "filter")
        assert e["message"] == "查询条件: 应为 1 到 50 个字符，不含控制字符"
        e = expect_error(s.call("review.declarations", {"person": "x" * 51}), INVALID_PARAMS,
                         "filter_invalid", "person")
        assert e["message"].startswith("人员: ")
        e = expect_error(s.call("review.approve_registrations", {"account_ids": [1, -2]}),
                         INVALID_PARAMS, "account_ids_invalid", "account_ids")
        assert e["message"].startswith("所选申请: ")
        # An empty filter is none, not a mistake.
        assert len(s.result("review.staff", {"filter": ""})["items"]) == 3


def test_a_cursor_is_only_for_its_kind_of_page(daemon, world):
    with admin_session(daemon, world) as s:
        page = s.result("review.staff", {"limit": 1})
        assert page["next"]
        rest = s.result("review.staff", {"limit": 5, "after": page["next"]})
        names = [i["name"] for i in page["items"] + rest["items"]]
        assert sorted(names) == ["甲一", "甲三", "甲二"] and rest["next"] is None
        # A name cursor is no timestamp cursor, and a timestamp one no report order.
        for method, params in (("review.title_changes", {}), ("review.registrations", {}),
                               ("completion.report", {"year": 2025})):
            e = expect_error(s.call(method, dict(params, after=page["next"])),
                             INVALID_PARAMS, "cursor_invalid", "after")
            assert e["message"] == "翻页位置: 无效，请从第一页重新开始"
        for forged in (cursor("甲一"), cursor("甲一", "1", "2"), cursor("x" * 201, "1"),
                       cursor("甲一", "12a")):
            expect_error(s.call("review.staff", {"after": forged}), INVALID_PARAMS,
                         "cursor_invalid", "after")


def test_the_tables_check_a_disabled_admin(daemon, world):
    """RPC_DB_UNIT_ADMIN on an admin-only method, a batch decision (DECIDE_METHODS) and a
    method of both roles (attachment.get)."""
    acc = world["acc"]
    aid, idn = acc.add_admin("DPA", "将停用的分派管理员")
    with daemon.rpc() as s:
        s.result("session.login", {"id_number": idn, "password": DEMO_PASSWORD})
        acc.sql(f"UPDATE accounts SET state = 'disabled' WHERE id = {aid}")
        for method, params in (("review.staff", {}), ("review.reject_title_changes",
                                                      {"ids": [1], "reason": "x"}),
                               ("attachment.get", {"attachment_id": 1})):
            expect_error(s.call(method, params), NOT_PERMITTED, "not_permitted")
