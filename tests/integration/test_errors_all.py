"""Every problem of a person's request in one reply, in people's words (issue 14, rule 1).

Each method a person fills a form for is sent empty and half filled, on the real daemon:
the reply's data.errors lists every field's problem at once, in the form's order, each
with its field, reason, the sentence shown beside the field and the field's label; the
reply's message, data.reason and data.field name the first.  An empty required field
says what to fill in, and "缺少参数" / "missing parameter" never reaches a person.
"""

import json

import pytest

from helpers import (DEMO_PASSWORD, INVALID_INPUT, INVALID_PARAMS, PASSWORD, application,
                     expect_error, id_number, logged_in, make_world)

# What the TUI sends for an empty registration form: its text fields empty, nothing chosen.
EMPTY_FORM = {"id_number": "", "password": "", "password_confirm": "", "phone": "",
              "email": "", "name": "", "birth_date": ""}

REGISTER_REQUIRED = ["id_number", "password", "password_confirm", "phone", "email", "unit",
                     "department_id", "name", "sex", "birth_date", "ethnicity"]

SENTENCES = {
    "zh": {"id_number": "请填写身份证号", "password": "请输入密码",
           "password_confirm": "请再次输入密码", "phone": "请填写手机号码",
           "email": "请填写电子邮箱", "unit": "请选择所在单位",
           "department_id": "请选择所属工作部门", "name": "请填写姓名", "sex": "请选择性别",
           "birth_date": "请填写出生日期", "ethnicity": "请选择民族",
           "old_password": "请输入原密码", "new_password": "请输入新密码",
           "new_password_confirm": "请再次输入新密码", "key": "请粘贴公钥"},
    "en": {"id_number": "Enter your ID number", "password": "Enter the password",
           "password_confirm": "Enter the password again",
           "phone": "Enter your mobile phone number", "email": "Enter your e-mail address",
           "unit": "Choose your unit", "department_id": "Choose your department",
           "name": "Enter your name", "sex": "Choose your sex",
           "birth_date": "Enter your date of birth", "ethnicity": "Choose your ethnic group",
           "old_password": "Enter your old password", "new_password": "Enter the new password",
           "new_password_confirm": "Enter the new password again",
           "key": "Paste the public key"},
}

LABELS = {"zh": {"id_number": "身份证号", "unit": "所在单位", "old_password": "原密码"},
          "en": {"id_number": "ID number", "unit": "employer", "old_password": "old password"}}

FORBIDDEN = ("缺少参数", "missing parameter", "param_missing")


def fresh_staff(world):
    """The ID number of a new active staff member of unit A (password DEMO_PASSWORD)."""
    return world["acc"].add_staff(world["unit_a"], "表单测试", world["dept_a"],
                                  phone="13900001111", email="a@example.com",
                                  ethnicity="01")[1]


@pytest.fixture(scope="module")
def world(daemon, postgres):
    w = make_world(postgres, daemon.dbname, "EA")
    w["staff"] = w["acc"].add_staff(w["unit_a"], "错误测试", w["dept_a"], phone="13900001111",
                                    email="a@example.com", ethnicity="01")
    return w


def session(daemon, lang):
    s = daemon.rpc()
    s.__enter__()
    s.result("system.hello", {"lang": lang})
    return s


def problems(reply, code, fields, lang=None):
    """The error of reply, checked: code, every problem on fields (in this order), the
    first one repeated in message, data.reason and data.field, no "missing parameter"."""
    assert "error" in reply, reply
    e = reply["error"]
    assert e["code"] == code, e
    errors = e["data"]["errors"]
    assert [p.get("field") for p in errors] == fields, e
    first = errors[0]
    assert (e["data"]["reason"], e["data"].get("field")) == (first["reason"], first["field"])
    expected = f'{first["label"]}: {first["message"]}' if "label" in first else first["message"]
    assert e["message"] == expected
    for p in errors:
        assert p["message"], p
    text = json.dumps(reply, ensure_ascii=False)
    for word in FORBIDDEN:
        assert word not in text, text
    if lang == "en":
        assert not any(ch >= "\u2e80" for ch in text), text
    return errors


def check_required(errors, lang):
    for p in errors:
        if p["reason"] == "required":
            assert p["message"] == SENTENCES[lang][p["field"]], p
            if p["field"] in LABELS[lang]:
                assert p["label"] == LABELS[lang][p["field"]], p


# --- registration ------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("params", [EMPTY_FORM, {}], ids=["form", "nothing"])
def test_empty_registration_names_every_field(daemon, lang, params):
    s = session(daemon, lang)
    try:
        errors = problems(s.call("account.register", params), INVALID_INPUT,
                          REGISTER_REQUIRED, lang)
        assert {p["reason"] for p in errors} == {"required"}
        check_required(errors, lang)
        first = s.call("account.register", params)["error"]
        assert first["message"] == f'{LABELS[lang]["id_number"]}: {SENTENCES[lang]["id_number"]}'
    finally:
        s.__exit__(None, None, None)


def test_half_filled_registration_names_the_rest(daemon, world):
    with daemon.rpc() as s:
        half = application(world, unit=..., department_id=..., name="", sex=...,
                           birth_date="", ethnicity=...)
        errors = problems(s.call("account.register", half), INVALID_INPUT,
                          ["unit", "department_id", "name", "sex", "birth_date", "ethnicity"])
        check_required(errors, "zh")
        assert errors[0]["message"] == "请选择所在单位"
        assert s.call("account.register", half)["error"]["message"] == "所在单位: 请选择所在单位"
        # Nothing stored.
        assert world["acc"].account(half["id_number"]) is None


def test_registration_mistakes_all_at_once(daemon, world):
    idn = id_number("male")
    with daemon.rpc() as s:
        wrong = application(world, idn=idn, password_confirm="Another-Pass-77",
                            phone="12345", email="not-an-address", sex="female",
                            native_place="河南\u0007")
        errors = problems(s.call("account.register", wrong), INVALID_INPUT,
                          ["password_confirm", "phone", "email", "sex", "native_place"])
        assert [p["reason"] for p in errors] == [
            "password_mismatch", "phone_invalid", "email_invalid", "sex_mismatch",
            "text_invalid"]
        assert errors[1] == {"field": "phone", "reason": "phone_invalid", "label": "手机号码",
                             "message": "应为以 1 开头的 11 位数字"}
        # One field corrected: its problem is gone, the others stay.
        wrong["phone"] = "13812345678"
        errors = problems(s.call("account.register", wrong), INVALID_INPUT,
                          ["password_confirm", "email", "sex", "native_place"])
        assert world["acc"].account(idn) is None


# --- login and the application's look-up -------------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("method", ["session.login", "application.status",
                                    "application.withdraw"])
def test_empty_credentials_name_both(daemon, lang, method):
    s = session(daemon, lang)
    try:
        errors = problems(s.call(method, {"id_number": "", "password": ""}), INVALID_INPUT,
                          ["id_number", "password"], lang)
        check_required(errors, lang)
        errors = problems(s.call(method, {"id_number": id_number(), "password": ""}),
                          INVALID_INPUT, ["password"], lang)
        check_required(errors, lang)
        # Not even sent: the dispatcher says the same, in the same words.
        errors = problems(s.call(method, {}), INVALID_PARAMS, ["id_number", "password"], lang)
        check_required(errors, lang)
    finally:
        s.__exit__(None, None, None)


def test_dispatcher_lists_every_parameter_problem(daemon):
    with daemon.rpc() as s:
        errors = problems(s.call("session.login", {"id_number": 1, "bogus": 2}),
                          INVALID_PARAMS, ["id_number", "bogus", "password"])
        assert {p["field"]: p["reason"] for p in errors} == {
            "id_number": "param_type", "bogus": "param_unknown", "password": "required"}



def test_unknown_parameters_named_only_up_to_a_bound(daemon):
    """A request of thousands of made-up parameters: a few named, not a reply many times the
    request's size; the missing required ones still named."""
    params = {f"x{i}": 0 for i in range(3000)}
    with daemon.rpc() as s:
        reply = s.call("session.login", params)
    errors = reply["error"]["data"]["errors"]
    unknown = [p for p in errors if p["reason"] == "param_unknown"]
    assert len(unknown) == 16
    assert {p["field"] for p in errors if p["reason"] == "required"} == {"id_number",
                                                                       "password"}
    assert len(json.dumps(reply)) < 8000

# --- the password change -----------------------------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_empty_password_change_names_every_field(daemon, world, lang):
    with logged_in(daemon, world["staff"][1], lang=lang) as s:
        params = {"old_password": "", "new_password": "", "new_password_confirm": ""}
        errors = problems(s.call("account.change_password", params), INVALID_INPUT,
                          ["old_password", "new_password", "new_password_confirm"], lang)
        check_required(errors, lang)
        label, sentence = LABELS[lang]["old_password"], SENTENCES[lang]["old_password"]
        assert s.call("account.change_password", params)["error"]["message"] == \
            f"{label}: {sentence}"


def test_half_filled_password_change(daemon, world):
    with logged_in(daemon, fresh_staff(world)) as s:
        errors = problems(s.call("account.change_password", {
            "old_password": "", "new_password": "password1",
            "new_password_confirm": "password2"}), INVALID_INPUT,
            ["old_password", "new_password", "new_password_confirm"])
        assert [p["reason"] for p in errors] == ["required", "password_weak",
                                                 "password_mismatch"]
        assert errors[0]["message"] == "请输入原密码"
        # Everything right but the old password: that alone, once the rest holds.
        expect_error(s.call("account.change_password", {
            "old_password": "Wrong-Password-1", "new_password": "Fresh-Tulip-42",
            "new_password_confirm": "Fresh-Tulip-42"}),
            INVALID_INPUT, "old_password_wrong", "old_password")
        assert s.result("account.change_password", {
            "old_password": DEMO_PASSWORD, "new_password": PASSWORD,
            "new_password_confirm": PASSWORD}) == {"ended_sessions": 0, "removed_keys": 0}


# --- the profile and SSH keys ------------------------------------------------------------

def test_profile_update_names_every_field(daemon, world):
    aid, idn = world["acc"].add_staff(world["unit_a"], "资料测试", world["dept_a"],
                                      phone="13900002222", email="b@example.com",
                                      ethnicity="01")
    with logged_in(daemon, idn) as s:
        v = s.result("profile.get")["version"]
        errors = problems(s.call("profile.update", {
            "version": v, "phone": "", "email": "bad", "ethnicity": "99",
            "school": "学校\n名"}), INVALID_INPUT, ["phone", "email", "ethnicity", "school"])
        assert [p["reason"] for p in errors] == ["required", "email_invalid",
                                                 "ethnicity_unknown", "text_invalid"]
        assert errors[0]["message"] == "请填写手机号码"
        errors = problems(s.call("profile.update", {"version": v, "name": "x", "sex": "x"}),
                          INVALID_INPUT, ["name", "sex"])
        assert {p["reason"] for p in errors} == {"field_fixed"}
    assert world["acc"].value(f"SELECT phone FROM accounts WHERE id = {aid}") == "13900002222"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_keys_add_names_key_and_password(daemon, world, lang):
    with logged_in(daemon, fresh_staff(world), lang=lang) as s:
        errors = problems(s.call("keys.add", {"key": ""}), INVALID_INPUT, ["key", "password"],
                          lang)
        check_required(errors, lang)
        errors = problems(s.call("keys.add", {"key": "ssh-rsa nonsense", "password": ""}),
                          INVALID_INPUT, ["key", "password"], lang)
        assert errors[0]["reason"] != "required" and errors[1]["reason"] == "required"


# --- administrators' forms go through the same dispatcher --------------------------------

def test_reject_without_anything_names_both(daemon, world):
    _, idn = world["acc"].add_admin(world["unit_a"], "错误管理员")
    with logged_in(daemon, idn) as s:
        errors = problems(s.call("review.reject_registrations", {}), INVALID_PARAMS,
                          ["account_ids", "reason"])
        assert {p["reason"] for p in errors} == {"required"}
        assert errors[1]["message"] == "请填写审核意见"
        # A field without a sentence of its own still says what to do, never 缺少参数.
        errors = problems(s.call("review.approve_title_changes", {}), INVALID_PARAMS, ["ids"])
        assert (errors[0]["reason"], errors[0]["message"]) == ("required", "请填写此项")
