-- 001: reference data: regions, units and departments, ethnicities, majors, titles,
-- education levels.  The migration runner wraps this file in one transaction.
--
-- Lists come from public standards (see shared data/README.md): GB/T 2260 for regions,
-- GB/T 3304 for ethnicities, the 2012 undergraduate catalogue for disciplines and majors,
-- the MOHRSS title list for 专业技术职务.  The pickers look names up by prefix, so names
-- get text_pattern_ops indexes, which serve LIKE 'prefix%' under any collation.

-- Province-level divisions: the first two digits of an ID number (83: residence permits
-- of Taiwan residents, which use their own prefix).
CREATE TABLE provinces (
	code	char(2) PRIMARY KEY CHECK (code ~ '^[0-9]{2}$'),
	name	text NOT NULL UNIQUE
);

-- Administrative divisions that units belong to (Henan's for now: the province and its
-- prefecture-level divisions).  parent is NULL for a province.
CREATE TABLE regions (
	code	char(6) PRIMARY KEY CHECK (code ~ '^[0-9]{6}$'),
	name	text NOT NULL,
	parent	char(6) REFERENCES regions,
	active	boolean NOT NULL DEFAULT true
);
CREATE INDEX regions_by_parent ON regions (parent, code);

-- Employing units (用人单位).  Codes are assigned by the system administrator.
CREATE TABLE units (
	code		text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9]{1,32}$'),
	name		text NOT NULL UNIQUE CHECK (name <> ''),
	region		char(6) NOT NULL REFERENCES regions,
	active		boolean NOT NULL DEFAULT true,
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX units_by_region ON units (region, name);
CREATE INDEX units_name_prefix ON units (name text_pattern_ops);

-- Departments (部门) of a unit.
CREATE TABLE departments (
	id		bigserial PRIMARY KEY,
	unit_code	text NOT NULL REFERENCES units,
	name		text NOT NULL CHECK (name <> ''),
	active		boolean NOT NULL DEFAULT true,
	UNIQUE (unit_code, name)
);

-- The 56 ethnic groups (GB/T 3304-1991).
CREATE TABLE ethnicities (
	code	char(2) PRIMARY KEY CHECK (code ~ '^[0-9]{2}$'),
	name	text NOT NULL UNIQUE
);

-- Discipline categories (学科门类) of the 2012 undergraduate catalogue.
CREATE TABLE disciplines (
	code	char(2) PRIMARY KEY CHECK (code ~ '^[0-9]{2}$'),
	name	text NOT NULL UNIQUE
);

-- Majors (专业): six digits, the first two the discipline, with the catalogue's suffixes
-- K (controlled) and T (special), hence text.  A realistic subset; the system
-- administrator adds the rest.
CREATE TABLE majors (
	code		text PRIMARY KEY CHECK (code ~ '^[0-9]{6}(T|K|TK)?$'),
	name		text NOT NULL,
	discipline	char(2) NOT NULL REFERENCES disciplines,
	active		boolean NOT NULL DEFAULT true,
	CHECK (substr(code, 1, 2) = discipline)
);
CREATE INDEX majors_by_discipline ON majors (discipline, code);
CREATE INDEX majors_name_prefix ON majors (name text_pattern_ops);

-- Series of professional titles (职称系列), in display order.
CREATE TABLE title_series (
	name	text PRIMARY KEY,
	sort	smallint NOT NULL UNIQUE
);

-- Professional titles (专业技术职务).  level_rank: 1 正高级, 2 副高级, 3 中级, 4 助理级,
-- 5 员级.
CREATE TABLE titles (
	id		serial PRIMARY KEY,
	series		text NOT NULL REFERENCES title_series,
	level		text NOT NULL,
	name		text NOT NULL,
	level_rank	smallint NOT NULL CHECK (level_rank BETWEEN 1 AND 5),
	active		boolean NOT NULL DEFAULT true,
	UNIQUE (series, name)
);
CREATE INDEX titles_by_series ON titles (series, level_rank);

-- Highest education completed (学历), with the codes of GB/T 4658-2006 for graduates.
CREATE TABLE education_levels (
	code	char(2) PRIMARY KEY,
	name	text NOT NULL UNIQUE,
	sort	smallint NOT NULL UNIQUE
);

INSERT INTO provinces (code, name) VALUES
	('11', '北京市'),
	('12', '天津市'),
	('13', '河北省'),
	('14', '山西省'),
	('15', '内蒙古自治区'),
	('21', '辽宁省'),
	('22', '吉林省'),
	('23', '黑龙江省'),
	('31', '上海市'),
	('32', '江苏省'),
	('33', '浙江省'),
	('34', '安徽省'),
	('35', '福建省'),
	('36', '江西省'),
	('37', '山东省'),
	('41', '河南省'),
	('42', '湖北省'),
	('43', '湖南省'),
	('44', '广东省'),
	('45', '广西壮族自治区'),
	('46', '海南省'),
	('50', '重庆市'),
	('51', '四川省'),
	('52', '贵州省'),
	('53', '云南省'),
	('54', '西藏自治区'),
	('61', '陕西省'),
	('62', '甘肃省'),
	('63', '青海省'),
	('64', '宁夏回族自治区'),
	('65', '新疆维吾尔自治区'),
	('71', '台湾省'),
	('81', '香港特别行政区'),
	('82', '澳门特别行政区'),
	('83', '台湾居民居住证');

INSERT INTO regions (code, name, parent) VALUES
	('410000', '河南省', NULL),
	('410100', '郑州市', '410000'),
	('410200', '开封市', '410000'),
	('410300', '洛阳市', '410000'),
	('410400', '平顶山市', '410000'),
	('410500', '安阳市', '410000'),
	('410600', '鹤壁市', '410000'),
	('410700', '新乡市', '410000'),
	('410800', '焦作市', '410000'),
	('410900', '濮阳市', '410000'),
	('411000', '许昌市', '410000'),
	('411100', '漯河市', '410000'),
	('411200', '三门峡市', '410000'),
	('411300', '南阳市', '410000'),
	('411400', '商丘市', '410000'),
	('411500', '信阳市', '410000'),
	('411600', '周口市', '410000'),
	('411700', '驻马店市', '410000'),
	('419001', '济源市', '410000');

INSERT INTO ethnicities (code, name) VALUES
	('01', '汉族'),
	('02', '蒙古族'),
	('03', '回族'),
	('04', '藏族'),
	('05', '维吾尔族'),
	('06', '苗族'),
	('07', '彝族'),
	('08', '壮族'),
	('09', '布依族'),
	('10', '朝鲜族'),
	('11', '满族'),
	('12', '侗族'),
	('13', '瑶族'),
	('14', '白族'),
	('15', '土家族'),
	('16', '哈尼族'),
	('17', '哈萨克族'),
	('18', '傣族'),
	('19', '黎族'),
	('20', '傈僳族'),
	('21', '佤族'),
	('22', '畲族'),
	('23', '高山族'),
	('24', '拉祜族'),
	('25', '水族'),
	('26', '东乡族'),
	('27', '纳西族'),
	('28', '景颇族'),
	('29', '柯尔克孜族'),
	('30', '土族'),
	('31', '达斡尔族'),
	('32', '仫佬族'),
	('33', '羌族'),
	('34', '布朗族'),
	('35', '撒拉族'),
	('36', '毛南族'),
	('37', '仡佬族'),
	('38', '锡伯族'),
	('39', '阿昌族'),
	('40', '普米族'),
	('41', '塔吉克族'),
	('42', '怒族'),
	('43', '乌孜别克族'),
	('44', '俄罗斯族'),
	('45', '鄂温克族'),
	('46', '德昂族'),
	('47', '保安族'),
	('48', '裕固族'),
	('49', '京族'),
	('50', '塔塔尔族'),
	('51', '独龙族'),
	('52', '鄂伦春族'),
	('53', '赫哲族'),
	('54', '门巴族'),
	('55', '珞巴族'),
	('56', '基诺族');

INSERT INTO disciplines (code, name) VALUES
	('01', '哲学'),
	('02', '经济学'),
	('03', '法学'),
	('04', '教育学'),
	('05', '文学'),
	('06', '历史学'),
	('07', '理学'),
	('08', '工学'),
	('09', '农学'),
	('10', '医学'),
	('12', '管理学'),
	('13', '艺术学');

INSERT INTO majors (code, name, discipline) VALUES
	('010101', '哲学', '01'),
	('010102', '逻辑学', '01'),
	('020101', '经济学', '02'),
	('020201K', '财政学', '02'),
	('020202', '税收学', '02'),
	('020301K', '金融学', '02'),
	('020302', '金融工程', '02'),
	('020303', '保险学', '02'),
	('020401', '国际经济与贸易', '02'),
	('030101K', '法学', '03'),
	('030201', '政治学与行政学', '03'),
	('030301', '社会学', '03'),
	('030302', '社会工作', '03'),
	('030503', '思想政治教育', '03'),
	('040101', '教育学', '04'),
	('040104', '教育技术学', '04'),
	('040106', '学前教育', '04'),
	('040107', '小学教育', '04'),
	('040201', '体育教育', '04'),
	('040203', '社会体育指导与管理', '04'),
	('050101', '汉语言文学', '05'),
	('050201', '英语', '05'),
	('050262', '商务英语', '05'),
	('050301', '新闻学', '05'),
	('050302', '广播电视学', '05'),
	('050303', '广告学', '05'),
	('060101', '历史学', '06'),
	('060104', '文物与博物馆学', '06'),
	('070101', '数学与应用数学', '07'),
	('070102', '信息与计算科学', '07'),
	('070201', '物理学', '07'),
	('070301', '化学', '07'),
	('070302', '应用化学', '07'),
	('070501', '地理科学', '07'),
	('071001', '生物科学', '07'),
	('071102', '应用心理学', '07'),
	('071201', '统计学', '07'),
	('080201', '机械工程', '08'),
	('080202', '机械设计制造及其自动化', '08'),
	('080401', '材料科学与工程', '08'),
	('080601', '电气工程及其自动化', '08'),
	('080701', '电子信息工程', '08'),
	('080703', '通信工程', '08'),
	('080801', '自动化', '08'),
	('080901', '计算机科学与技术', '08'),
	('080902', '软件工程', '08'),
	('080903', '网络工程', '08'),
	('081001', '土木工程', '08'),
	('081006T', '道路桥梁与渡河工程', '08'),
	('081101', '水利水电工程', '08'),
	('081201', '测绘工程', '08'),
	('081301', '化学工程与工艺', '08'),
	('081401', '地质工程', '08'),
	('081801', '交通运输', '08'),
	('081802', '交通工程', '08'),
	('082502', '环境工程', '08'),
	('082701', '食品科学与工程', '08'),
	('082801', '建筑学', '08'),
	('082802', '城乡规划', '08'),
	('083001', '生物工程', '08'),
	('090101', '农学', '09'),
	('090102', '园艺', '09'),
	('090103', '植物保护', '09'),
	('090105', '种子科学与工程', '09'),
	('090201', '农业资源与环境', '09'),
	('090301', '动物科学', '09'),
	('090401', '动物医学', '09'),
	('090501', '林学', '09'),
	('100101K', '基础医学', '10'),
	('100201K', '临床医学', '10'),
	('100202TK', '麻醉学', '10'),
	('100203TK', '医学影像学', '10'),
	('100301K', '口腔医学', '10'),
	('100401K', '预防医学', '10'),
	('100501K', '中医学', '10'),
	('100601K', '中西医临床医学', '10'),
	('100701', '药学', '10'),
	('100801', '中药学', '10'),
	('101001', '医学检验技术', '10'),
	('101005', '康复治疗学', '10'),
	('101101', '护理学', '10'),
	('120102', '信息管理与信息系统', '12'),
	('120103', '工程管理', '12'),
	('120105', '工程造价', '12'),
	('120201K', '工商管理', '12'),
	('120203K', '会计学', '12'),
	('120204', '财务管理', '12'),
	('120206', '人力资源管理', '12'),
	('120301', '农林经济管理', '12'),
	('120401', '公共事业管理', '12'),
	('120402', '行政管理', '12'),
	('120501', '图书馆学', '12'),
	('120502', '档案学', '12'),
	('120601', '物流管理', '12'),
	('120901K', '旅游管理', '12'),
	('130201', '音乐表演', '13'),
	('130202', '音乐学', '13'),
	('130310', '动画', '13'),
	('130401', '美术学', '13'),
	('130402', '绘画', '13'),
	('130502', '视觉传达设计', '13'),
	('130503', '环境设计', '13');

INSERT INTO title_series (name, sort) VALUES
	('工程', 1),
	('高等学校教师', 2),
	('卫生(医)', 3),
	('农业', 4),
	('图书资料/档案', 5),
	('会计', 6);

INSERT INTO titles (series, level, name, level_rank) VALUES
	('工程', '正高级', '正高级工程师', 1),
	('工程', '副高级', '高级工程师', 2),
	('工程', '中级', '工程师', 3),
	('工程', '助理级', '助理工程师', 4),
	('工程', '员级', '技术员', 5),
	('高等学校教师', '正高级', '教授', 1),
	('高等学校教师', '副高级', '副教授', 2),
	('高等学校教师', '中级', '讲师', 3),
	('高等学校教师', '助理级', '助教', 4),
	('卫生(医)', '正高级', '主任医师', 1),
	('卫生(医)', '副高级', '副主任医师', 2),
	('卫生(医)', '中级', '主治医师', 3),
	('卫生(医)', '助理级', '医师', 4),
	('卫生(医)', '员级', '医士', 5),
	('农业', '正高级', '正高级农艺师', 1),
	('农业', '副高级', '高级农艺师', 2),
	('农业', '中级', '农艺师', 3),
	('农业', '助理级', '助理农艺师', 4),
	('农业', '员级', '农业技术员', 5),
	('图书资料/档案', '正高级', '研究馆员', 1),
	('图书资料/档案', '副高级', '副研究馆员', 2),
	('图书资料/档案', '中级', '馆员', 3),
	('图书资料/档案', '助理级', '助理馆员', 4),
	('图书资料/档案', '员级', '管理员', 5),
	('会计', '正高级', '正高级会计师', 1),
	('会计', '副高级', '高级会计师', 2),
	('会计', '中级', '会计师', 3),
	('会计', '助理级', '助理会计师', 4),
	('会计', '员级', '会计员', 5);

INSERT INTO education_levels (code, name, sort) VALUES
	('11', '博士研究生', 1),
	('14', '硕士研究生', 2),
	('21', '大学本科', 3),
	('31', '大学专科', 4),
	('41', '中等专科', 5),
	('61', '高中及以下', 6);
