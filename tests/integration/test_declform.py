"""The declaration form (学时学分申报) as a person meets it, on the real daemon over SSH.

An empty or half-filled declaration is answered with every problem at once, each on its
field and in people's words, in Chinese and in English; numbers may be written with
full-width digits and ranks as people write them (第一, 二, １); a date that cannot be in
the future is refused when it is; the forms speak English in an English session, with the
English names the config gives; and check-config refuses a form without them.
"""

import datetime

import pytest

from conftest import Daemon
from helpers import (INVALID_INPUT, NOW, Accounts, content, expect_error, logged_in,
                     set_forms, valid_fields)


@pytest.fixture(scope="module")
def world(ddaemon, postgres):
    acc = Accounts(postgres, ddaemon.dbname, "DF")
    acc.add_unit("DFA", "表单测试单位")
    return {"acc": acc, "staff": acc.add_staff("DFA", "表单测试人"),
            "staff_en": acc.add_staff("DFA", "Form Tester")}


@pytest.fixture(scope="module")
def zh(ddaemon, world):
    with logged_in(ddaemon, world["staff"][1]) as s:
        yield s


@pytest.fixture(scope="module")
def en(ddaemon, world):
    with logged_in(ddaemon, world["staff_en"][1], lang="en") as s:
        yield s


@pytest.fixture(scope="module")
def forms(zh):
    return {f["code"]: f for f in zh.result("forms.list")["forms"]}


def today():
    """Today where the system is used (Asia/Shanghai, UTC+8)."""
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)).date()


def problems(err):
    """{field: problem} of an error reply's data.errors."""
    errors = err["data"]["errors"]
    by_field = {p.get("field"): p for p in errors}
    assert len(by_field) == len(errors), errors
    return by_field


def test_empty_form_every_problem_at_once(zh, forms):
    paper = forms["paper"]
    for method in ("declaration.save", "declaration.submit"):
        err = expect_error(zh.call(method, {"form": "paper", "year": NOW, "amount": "",
                                            "fields": {}}),
                           INVALID_INPUT, "field_required", "amount")
        got = problems(err)
        required = [f for f in paper["fields"] if f["required"]]
        assert set(got) >= {"amount"} | {f"fields.{f['key']}" for f in required}, got
        assert got["amount"]["message"] == "请填写学时" and got["amount"]["label"] == "学时"
        for f in required:
            p = got[f"fields.{f['key']}"]
            verb = "请选择" if f["type"] == "choice" else "请填写"
            assert p == {"field": f"fields.{f['key']}", "reason": "field_required",
                         "label": f["label"], "message": verb + f["label"]}, p
        # Optional fields are not named; no sentence says "缺少参数".
        assert "fields.issn" not in got
        assert all("缺少参数" not in p["message"] for p in got.values())
        # The first problem is error.message, as old clients read it.
        assert err["message"] == "学时: 请填写学时"
        if method == "declaration.submit":
            assert got["attachment_token"]["reason"] == "attachment_required"


def test_half_filled_form_names_the_rest(zh, forms):
    fields = {"title": "基层卫生服务研究", "level": "不在列表", "rank": "第九",
              "published": "2020-02-30"}
    err = expect_error(zh.call("declaration.save", {"form": "paper", "year": NOW,
                                                    "amount": "８", "fields": fields}),
                       INVALID_INPUT, "field_required", "fields.journal")
    got = problems(err)
    assert set(got) == {"fields.journal", "fields.level", "fields.published", "fields.rank"}
    assert got["fields.journal"]["message"] == "请填写发表刊物"
    assert got["fields.level"]["reason"] == "field_choice"
    assert "国家级核心" in got["fields.level"]["message"]
    assert got["fields.published"]["reason"] == "field_date"
    assert got["fields.rank"]["reason"] == "field_max"
    assert got["fields.rank"]["message"] == "不能大于 3"


def test_english_every_problem_in_english(en, forms):
    err = expect_error(en.call("declaration.save", {"form": "paper", "year": NOW + 5,
                                                    "amount": "", "fields": {"rank": "x"}}),
                       INVALID_INPUT, "year_invalid", "year")
    got = problems(err)
    assert got["fields.title"] == {"field": "fields.title", "reason": "field_required",
                                   "label": "Paper title", "message": "fill in Paper title"}
    assert got["fields.level"]["message"] == "choose Journal level"
    assert got["fields.rank"]["label"] == "Author rank"
    assert got["fields.rank"]["reason"] == "field_integer"
    assert got["amount"]["reason"] == "field_required"
    assert got["amount"]["message"] == "fill in hours", got["amount"]
    err = expect_error(en.call("declaration.save", content(
        forms["paper"], fields=dict(valid_fields(forms["paper"]), level="Galactic"))),
        INVALID_INPUT, "field_choice", "fields.level")
    assert err["message"] == ("Journal level: choose one of: International, National core, "
                              "National, Provincial"), err
    for p in got.values():
        assert not any(c in p["message"] + p["label"] for c in "（）：，。；"), p


def test_full_width_digits_and_rank_words(zh, forms):
    paper, book = forms["paper"], forms["book"]
    for written, rank in (("第一", 1), ("第二名", 2), ("三", 3), ("1", 1), ("１", 1),
                          ("第２", 2), (" 2 ", 2), ("3rd", 3)):
        fields = dict(valid_fields(paper), rank=written)
        r = zh.result("declaration.save", content(paper, amount="１２", fields=fields))
        d = zh.result("declaration.get", {"id": r["id"]})
        assert d["fields"]["rank"] == rank, (written, d["fields"])
        assert d["amount"] == "12"
        zh.result("declaration.delete", {"id": r["id"]})
    fields = dict(valid_fields(book), words="１２．５", published=f"{NOW - 1}－０３－０１")
    r = zh.result("declaration.save", content(book, amount="１．５", fields=fields))
    d = zh.result("declaration.get", {"id": r["id"]})
    assert d["fields"]["words"] == "12.5" and d["amount"] == "1.5"
    assert d["fields"]["published"] == f"{NOW - 1}-03-01"
    zh.result("declaration.delete", {"id": r["id"]})
    for bad in ("第一二", "很多", "第", "十十"):
        fields = dict(valid_fields(paper), rank=bad)
        expect_error(zh.call("declaration.save", content(paper, fields=fields)),
                     INVALID_INPUT, "field_integer", "fields.rank")


def test_future_dates_refused(zh, forms):
    tomorrow = (today() + datetime.timedelta(days=1)).isoformat()
    paper, grassroots = forms["paper"], forms["grassroots"]
    assert next(f for f in paper["fields"] if f["key"] == "published")["not_future"] is True
    err = expect_error(zh.call("declaration.save", content(
        paper, fields=dict(valid_fields(paper), published=tomorrow))),
        INVALID_INPUT, "field_future", "fields.published")
    assert err["message"] == f"发表日期: 不能晚于今天 ({today().isoformat()})"
    # Today is fine.
    r = zh.result("declaration.save", content(
        paper, fields=dict(valid_fields(paper), published=today().isoformat())))
    zh.result("declaration.delete", {"id": r["id"]})
    # An activity's end after today is refused; its start may be any day before it.
    dates = {"from": today().isoformat(), "to": tomorrow}
    expect_error(zh.call("declaration.save", content(
        grassroots, fields=dict(valid_fields(grassroots), dates=dates))),
        INVALID_INPUT, "field_future", "fields.dates")
    # A field without not_future takes a later date (a research period still running).
    research = forms["research_project"]
    period = {"from": f"{NOW - 1}-01-01", "to": f"{NOW + 1}-12-31"}
    r = zh.result("declaration.save", content(
        research, fields=dict(valid_fields(research), period=period)))
    zh.result("declaration.delete", {"id": r["id"]})


def test_english_names_from_the_config(en, zh, forms):
    listed = {f["code"]: f for f in en.result("forms.list")["forms"]}
    paper = listed["paper"]
    assert paper["name"] == "Paper" and paper["name_en"] == "Paper"
    labels = {f["key"]: f["label"] for f in paper["fields"]}
    assert labels["title"] == "Paper title" and labels["journal"] == "Journal"
    level = next(f for f in paper["fields"] if f["key"] == "level")
    assert level["choices"] == ["International", "National core", "National", "Provincial"]
    # Every name, label and choice of every form is English in an English session.
    for f in listed.values():
        texts = [f["name"]] + [x["label"] for x in f["fields"]] + \
            [c for x in f["fields"] for c in x.get("choices", [])]
        for t in texts:
            assert all(ord(ch) < 0x3000 for ch in t), (f["code"], t)
    # A choice chosen in English is stored in Chinese and shown in either language.
    fields = dict(valid_fields(forms["paper"]), level="National core")
    r = en.result("declaration.save", content(forms["paper"], fields=fields))
    d = en.result("declaration.get", {"id": r["id"]})
    assert d["fields"]["level"] == "National core" and d["form"]["name"] == "Paper"
    assert d["form"]["definition"]["fields"][0]["label"] == "Paper title"
    assert en.result("declaration.get", {"id": r["id"]})["fields"]["title"] == \
        fields["title"]
    listed = en.result("declaration.list")["items"]
    assert [i["form"]["name"] for i in listed if i["id"] == r["id"]] == ["Paper"]
    en.result("declaration.delete", {"id": r["id"]})
    r = zh.result("declaration.save", content(forms["paper"], fields=fields))
    d = zh.result("declaration.get", {"id": r["id"]})
    assert d["fields"]["level"] == "国家级核心" and d["form"]["name"] == "论文"
    assert zh.result("declaration.list")["items"][0]["form"]["name"] == "论文"
    zh.result("declaration.delete", {"id": r["id"]})


NO_ENGLISH = {"code": "noen", "name": "无英文", "category": "public", "attachment": "none",
              "fields": [{"key": "name", "label": "名称", "type": "text"},
                         {"key": "level", "label": "级别", "label_en": "Level",
                          "type": "choice", "choices": ["甲", "乙"], "choices_en": ["A"]},
                         {"key": "day", "label": "日期", "label_en": "Day", "type": "text",
                          "not_future": True}]}


def test_check_config_refuses_a_form_without_english(postgres, migrated_template, tmp_path):
    d = Daemon(tmp_path / "jxjyd", postgres, postgres.new_database(template=migrated_template))
    set_forms(d, [NO_ENGLISH])
    r = d.run("check-config")
    assert r.returncode == 1, r.stderr
    for what in ('learning_forms[0]: missing required key "name_en"',
                 'learning_forms[0].fields[0]: missing required key "label_en"',
                 "learning_forms[0].fields[1].choices_en: must have as many choices as "
                 "choices (2), got 1",
                 "learning_forms[0].fields[2].not_future: only applies to date and "
                 "daterange fields"):
        assert what in r.stderr, r.stderr
    set_forms(d, [dict(NO_ENGLISH, name_en="Chinese name: 中文",
                       fields=[{"key": "name", "label": "名称", "label_en": "Name（full）",
                                "type": "text"}])])
    r = d.run("check-config")
    assert r.returncode == 1
    assert "learning_forms[0].name_en: must be English text" in r.stderr, r.stderr
    assert "learning_forms[0].fields[0].label_en: must be English text" in r.stderr
    set_forms(d, [dict(NO_ENGLISH, name_en="No English",
                       fields=[{"key": "name", "label": "名称", "label_en": "Name",
                                "type": "date", "not_future": True}])])
    r = d.run("check-config")
    assert r.returncode == 0, r.stderr


def test_completion_names_forms_in_english(en, zh, forms):
    r = en.result("declaration.submit", content(forms["t_plain"], fields={"name": "英文会话"}))
    try:
        y = en.result("completion.year", {"year": NOW})
        assert "Test without attachment" in [f["name"] for f in y["forms"]], y["forms"]
        assert [i["form"]["name"] for i in y["items"] if i["id"] == r["id"]] == \
            ["Test without attachment"]
    finally:
        en.result("declaration.withdraw", {"id": r["id"]})
        en.result("declaration.delete", {"id": r["id"]})
