"""The order of lists (issue 14, rule 5), on the real daemon over SSH.

Chinese names of people, departments and units sort by pinyin (schema 008's ICU collation
zh_pinyin), in every list sorted by name, also across the pages of a keyset cursor; a
person's declarations sort by the time the list shows for them, newest first, ties broken
by id.
"""

import pytest

from helpers import NOW, PLAIN, Accounts, logged_in, pages

PINYIN = ["安", "李", "王", "张"]          # by pinyin: an, li, wang, zhang
SHUFFLED = ["张", "王", "李", "安"]        # by code point: 安 张 李 王


@pytest.fixture(scope="module")
def world(ddaemon, postgres):
    acc = Accounts(postgres, ddaemon.dbname, "LS")
    depts = acc.add_unit("LSA", "列表测试单位", departments=[d + "科" for d in SHUFFLED])
    w = {"acc": acc, "depts": depts}
    w["admin"] = acc.add_admin("LSA", "列表管理员")
    w["staff"] = [acc.add_staff("LSA", n + "列表", depts[n + "科"]) for n in SHUFFLED]
    for n in SHUFFLED:
        acc.add_unit("LU" + str(ord(n)), n + "列表测试医院")
    return w


@pytest.fixture(scope="module")
def admin(ddaemon, world):
    with logged_in(ddaemon, world["admin"][1]) as s:
        yield s


def test_the_collation_sorts_by_pinyin(world):
    got = world["acc"].sql("SELECT string_agg(n, '' ORDER BY n COLLATE zh_pinyin) FROM "
                           "unnest(ARRAY['张', '王', '李', '安']) n").strip()
    assert got == "".join(PINYIN)


def test_staff_sort_by_pinyin_across_pages(admin):
    names = []
    for page in pages(admin, "review.staff", {"after": None, "limit": 1}):
        names += [i["name"] for i in page["items"]]
    assert names == [n + "列表" for n in PINYIN]


def test_departments_sort_by_pinyin(admin):
    got = [d["name"] for d in admin.result("ref.departments", {"unit": "LSA"})["items"]]
    assert got == [n + "科" for n in PINYIN]


def test_units_sort_by_pinyin_across_pages(admin):
    names = []
    for page in pages(admin, "ref.units", {"region": "410100", "filter": "列表测试医院",
                                           "after": None, "limit": 2}):
        names += [u["name"] for u in page["items"]]
    assert names == [n + "列表测试医院" for n in PINYIN]


def test_declarations_sort_by_the_time_shown(ddaemon, world):
    acc = world["acc"]
    with logged_in(ddaemon, world["staff"][0][1]) as s:
        def save(name):
            return s.result("declaration.save", {"form": PLAIN["code"], "year": NOW,
                                                 "amount": 1, "fields": {"name": name}})["id"]
        first, second, third = save("先存"), save("后存"), save("再存")
        # Created in this order a minute apart; the first is then submitted last, the
        # third submitted at the same moment as the first (a tie, broken by id).
        acc.sql(f"UPDATE declarations SET created_at = now() - interval '10 minutes' "
                f"WHERE id = {first}")
        acc.sql(f"UPDATE declarations SET created_at = now() - interval '9 minutes' "
                f"WHERE id = {second}")
        acc.sql(f"UPDATE declarations SET created_at = now() - interval '8 minutes' "
                f"WHERE id = {third}")
        acc.sql(f"UPDATE declarations SET state = 'pending', submitted_at = now() "
                f"- interval '1 minute' WHERE id IN ({first}, {third})")
        want = [third, first, second]
        rows = []
        for page in pages(s, "declaration.list", {"after": None, "limit": 1}):
            rows += page["items"]
        assert [r["id"] for r in rows] == want
        assert [r["title"] for r in rows] == ["再存", "先存", "后存"]
        shown = [r["submitted_at"] or r["created_at"] for r in rows]
        assert shown == sorted(shown, reverse=True)
