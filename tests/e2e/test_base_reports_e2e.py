"""Records reported by a training base (基地学时申报) in the real TUI, in tmux, on the real
daemon: the person's 申报进度查询 lists one as 基地学时申报 named by its class and base, its
detail shows the class and offers no action (a key for one is refused); the unit
administrator's 学时审核 marks base records [基地] and decides a whole class with c."""

import pytest

from conftest import module_daemon
from helpers import NOW
from tui_helpers import World, tui  # noqa: F401 (tui: the fixture)

UNIT = "E2BR"

FORMS_TEXT = """learning_forms = (
	{
		code = "e2e_course";
		name = "端测培训班"; name_en = "E2E course";
		category = "professional";
		attachment = "none";
		fields = (
			{ key = "name"; label = "培训名称"; label_en = "Course"; type = "text";
			  required = true; }
		);
	}
);"""


@pytest.fixture(scope="module")
def bdaemon(postgres, migrated_template, tmp_path_factory):
    yield from module_daemon(postgres, migrated_template, tmp_path_factory,
                             "jxjyd-base-e2e", None, FORMS_TEXT)


@pytest.fixture(scope="module")
def world(bdaemon, postgres):
    w = World(postgres, bdaemon.dbname)
    w.depts = w.add_unit(UNIT, "基地端测单位", ("护理部",))
    w.admin_id, w.admin = w.add_admin(UNIT, "端测审核员")
    w.sql("INSERT INTO bases (code, name, region) VALUES ('E2BASE', '端测医学培训中心', "
          "'410100')")
    w.base_admin, _ = w.add_base_admin("E2BASE", "端测基地管理员")
    return w


def base_class(world, name):
    """A reported class of the base, for records inserted as the base's report makes them."""
    form_id = world.value("SELECT id FROM learning_forms WHERE code = 'e2e_course' AND active")
    return int(world.value(
        "INSERT INTO base_classes (base_code, name, form_id, form_code, fields, start_date, "
        "end_date, year, amount, state, created_by, reported_by, reported_at) VALUES "
        f"('E2BASE', '{name}', {form_id}, 'e2e_course', '{{\"name\": \"{name}\"}}', "
        f"'{NOW}-03-02', '{NOW}-03-04', {NOW}, 8, 'reported', {world.base_admin}, "
        f"{world.base_admin}, now()) RETURNING id"))


def base_record(world, aid, class_id, name):
    form_id = world.value("SELECT id FROM learning_forms WHERE code = 'e2e_course' AND active")
    return int(world.value(
        "INSERT INTO declarations (account_id, unit_code, form_id, form_code, year, amount, "
        "hours, category, fields, state, submitted_at, source, class_id) VALUES "
        f"({aid}, '{UNIT}', {form_id}, 'e2e_course', {NOW}, 8, 8, 'professional', "
        f"'{{\"name\": \"{name}\"}}', 'pending', now(), 'base', {class_id}) RETURNING id"))


def test_the_person_sees_a_base_record_read_only(bdaemon, world, tui):
    aid, idn = world.add_staff(UNIT, world.depts["护理部"], "端测孙明")
    cid = base_class(world, "急救技能培训班")
    base_record(world, aid, cid, "急救技能培训班")
    t = tui()
    t.start(bdaemon)
    t.login(idn, then="功能列表")
    t.open_function("申报进度查询")
    t.wait("基地学时申报", "急救技能培训班 · 端测医学培训中心", "共 1 条申报")
    t.keys("w")
    t.wait("这份申报现在不能这样操作")
    t.keys("Enter")
    text = t.wait("继续教育基地", "端测医学培训中心", "班次日期", f"{NOW}-03-02 至 {NOW}-03-04")
    assert "急救技能培训班" in text
    assert "w 撤销" not in text and "e 修改" not in text
    t.keys("Escape")
    t.wait("共 1 条申报")


def test_the_unit_decides_a_class_with_c(bdaemon, world, tui):
    cid = base_class(world, "护理质量研修班")
    ids = []
    for name in ("端测周红", "端测吴刚"):
        aid, _ = world.add_staff(UNIT, world.depts["护理部"], name)
        ids.append(base_record(world, aid, cid, "护理质量研修班"))
    t = tui()
    t.start(bdaemon)
    t.login(world.admin, then="功能列表")
    t.open_function("学时审核")
    t.wait("[基地] 端测培训班", "端测周红", "端测吴刚")
    t.keys("c")
    t.wait("通过这个班次的全部待审核记录", "只看这个班次")
    t.keys("Enter")
    t.wait("通过本单位 2 条待审核记录（班次：护理质量研修班", "(端测医学培训中心)）？")
    t.keys("y")
    t.wait("2 份中的 2 份已通过")
    assert world.value(f"SELECT string_agg(DISTINCT state::text, ',') FROM declarations "
                       f"WHERE id IN ({ids[0]}, {ids[1]})") == "approved"


def test_the_unit_downloads_the_class_document(bdaemon, world, tui, tmp_path):
    """In 学时审核, a base's record shows its class's document; g saves it, byte for byte."""
    import hashlib
    cid = base_class(world, "院感防控培训班")
    aid, _ = world.add_staff(UNIT, world.depts["护理部"], "端测郑洁")
    base_record(world, aid, cid, "院感防控培训班")
    data = b"%PDF-1.4\n" + bytes(range(256)) * 3
    world.sql(f"INSERT INTO base_class_attachments (class_id, name, mime, size, sha256, data) "
              f"VALUES ({cid}, 'sign-in.pdf', 'application/pdf', {len(data)}, "
              f"'{hashlib.sha256(data).hexdigest()}', '\\x{data.hex()}')")
    t = tui()
    t.start(bdaemon)
    t.login(world.admin, then="功能列表")
    t.open_function("学时审核")
    t.wait("端测郑洁")
    t.keys("/")
    t.type("郑洁")
    t.keys("Enter")
    t.wait("端测郑洁", absent=("端测周红",))
    t.keys("Enter")
    t.wait("班次材料", "sign-in.pdf", "g 下载附件")
    t.keys("g")
    t.wait("下载")
    copy = tmp_path / "class-copy.pdf"
    t.type(str(copy))
    t.keys("Enter")
    t.wait("已保存")
    assert copy.read_bytes() == data
