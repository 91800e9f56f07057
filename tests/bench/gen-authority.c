/*
 * gen-authority.c - the rows of the authority's data set, as COPY text, for
 * tests/bench/gen-authority (which runs this once per table and feeds each to
 * COPY ... FROM STDIN).
 *
 *   gen-authority-rows TABLE [options]
 *	TABLE: units, departments, accounts or declarations.
 *
 *   --staff N		active staff (default 1,000,000)
 *   --units N		units (default 5,000; at most the staff)
 *   --declarations N	declarations (default 20,000,000)
 *   --seed S		the seed (default 16); the same seed and options give
 *			the same rows, whichever table is asked for
 *   --today YYYY-MM-DD	the load's day (default today in Asia/Shanghai): the
 *			declarations span 1 January of its year - 4 to the day
 *			before it
 *   --account-base A	the first account id (the unit administrators, one
 *			per unit, then the staff); default 1
 *   --department-base D the first department id; default 1
 *   --declaration-base E the first declaration id; default 1
 *   --forms LIST	the learning forms' ids as code=id,code=id,...
 *			(required for declarations; forms not named are not
 *			used, those named that this program does not know are
 *			ignored)
 *   --hash H		every account's password_hash (default none: NULL)
 *
 * The model, computed alike by every run from the seed: the 18 cities of
 * Henan weighted by population; unit r (0-based) holds a share 1/(r + 10) of
 * the staff (a few hospitals and universities of 10,000 or more, a long tail
 * of units of a few dozen), the largest units rather in 郑州; 1-8 departments a
 * unit by its size, 3 % of staff in none; the staff shuffled over the units,
 * so that a unit's people are spread over the table as registration order
 * spreads them.  Declarations come in time order over the five years (more
 * in November and December), each of a person drawn by activity (4 % never
 * declare), its learning form and hours plausible for the form, its state by
 * its age (old ones mostly approved; recent ones pending or drafts).
 *
 * The output is COPY's text format on stdout; the column list for each table
 * is printed by `gen-authority-rows columns TABLE`.  Exit status 0, 1 on a
 * write error, 2 on a usage error.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --- options and the deterministic generator ------------------------------------------- */

static long	 opt_staff = 1000000, opt_units = 5000, opt_decl = 20000000;
static uint64_t	 opt_seed = 16;
static long	 opt_account_base = 1, opt_department_base = 1, opt_declaration_base = 1;
static const char *opt_hash;
static const char *opt_forms;
static int	 today_days;	/* days since 1970-01-01 of --today */

struct rng { uint64_t s; };

/* splitmix64: one stream per purpose, so each table's draws do not depend on another's. */
static uint64_t
rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static struct rng
rng_stream(uint64_t purpose)
{
	struct rng r = { opt_seed * 0x2545f4914f6cdd1dULL ^ (purpose * 0x9e3779b97f4a7c15ULL) };

	rng_next(&r);
	return r;
}

/* Uniform in [0, n). */
static long
rng_below(struct rng *r, long n)
{
	return (long)(rng_next(r) % (uint64_t)n);
}

/* An index into weights[0..n) drawn in proportion to them. */
static int
rng_weighted(struct rng *r, const int *weights, int n)
{
	int total = 0, x;

	for (int i = 0; i < n; i++)
		total += weights[i];
	x = (int)rng_below(r, total);
	for (int i = 0; i < n; i++) {
		if (x < weights[i])
			return i;
		x -= weights[i];
	}
	return n - 1;
}

#define NELEM(a)	((int)(sizeof (a) / sizeof (a)[0]))
#define PICK(r, a)	((a)[rng_below((r), NELEM(a))])

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fputs("gen-authority-rows: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (p == NULL)
		die("out of memory");
	return p;
}

/* --- output: COPY text through one buffer ---------------------------------------------- */

static char	 outbuf[1 << 20];
static size_t	 outlen;

static void
out_flush(void)
{
	if (outlen > 0 && fwrite(outbuf, 1, outlen, stdout) != outlen) {
		fprintf(stderr, "gen-authority-rows: write: %s\n", strerror(errno));
		exit(1);
	}
	outlen = 0;
}

static void
out_mem(const char *s, size_t n)
{
	if (outlen + n > sizeof outbuf)
		out_flush();
	memcpy(outbuf + outlen, s, n);
	outlen += n;
}

/* Text as it is: nothing here writes a tab, newline or backslash. */
static void
out_s(const char *s)
{
	out_mem(s, strlen(s));
}

static void __attribute__((format(printf, 1, 2)))
out_f(const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof tmp)
		die("a field is too long");
	out_mem(tmp, (size_t)n);
}

static void
out_long(long v)
{
	char tmp[24], *p = tmp + sizeof tmp;
	unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	out_mem(p, (size_t)(tmp + sizeof tmp - p));
}

#define TAB()	out_mem("\t", 1)
#define NUL()	out_mem("\\N", 2)
#define EOL()	out_mem("\n", 1)

/* --- dates ------------------------------------------------------------------------------ */

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int
days_from_civil(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int z, int *y, int *m, int *d)
{
	int era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp + (mp < 10 ? 3 : -9);
	*y += *m <= 2;
}

static void
out_date(int days)
{
	int y, m, d;

	civil_from_days(days, &y, &m, &d);
	out_f("%04d-%02d-%02d", y, m, d);
}

/* A timestamp in China's time: days since the epoch and seconds into that day. */
static void
out_ts(int days, int secs)
{
	int y, m, d;

	days += secs / 86400;
	secs %= 86400;
	civil_from_days(days, &y, &m, &d);
	out_f("%04d-%02d-%02d %02d:%02d:%02d+08", y, m, d, secs / 3600, secs / 60 % 60,
	    secs % 60);
}

static int
year_of(int days)
{
	int y, m, d;

	civil_from_days(days, &y, &m, &d);
	return y;
}

/* --- reference data ---------------------------------------------------------------------- */

/* The 18 prefecture-level divisions of Henan (schema 001), weighted by population
 * (the 2020 census, in 100,000s). */
static const struct city {
	const char	*code, *name, *district;	/* district: an ID number's birthplace */
	int		 weight;
} cities[] = {
	{ "410100", "郑州市", "410102", 126 }, { "410200", "开封市", "410202", 48 },
	{ "410300", "洛阳市", "410302", 71 }, { "410400", "平顶山市", "410402", 50 },
	{ "410500", "安阳市", "410502", 55 }, { "410600", "鹤壁市", "410602", 16 },
	{ "410700", "新乡市", "410702", 63 }, { "410800", "焦作市", "410802", 35 },
	{ "410900", "濮阳市", "410902", 38 }, { "411000", "许昌市", "411002", 44 },
	{ "411100", "漯河市", "411102", 24 }, { "411200", "三门峡市", "411202", 20 },
	{ "411300", "南阳市", "411302", 97 }, { "411400", "商丘市", "411402", 78 },
	{ "411500", "信阳市", "411502", 62 }, { "411600", "周口市", "411602", 90 },
	{ "411700", "驻马店市", "411702", 70 }, { "419001", "济源市", "419001", 7 },
};
#define NCITIES	NELEM(cities)

/* Kinds of unit by size: the largest are hospitals and universities. */
static const char *const big_kinds[] = {
	"人民医院", "中心医院", "中医院", "职业技术学院", "理工学院", "妇幼保健院",
};
static const char *const mid_kinds[] = {
	"中学", "实验中学", "疾病预防控制中心", "建筑设计研究院", "农业科学院", "广播电视台",
	"口腔医院", "水利勘测设计院", "技师学院", "中心血站", "气象局", "规划设计院",
};
static const char *const small_kinds[] = {
	"实验小学", "乡镇卫生院", "农业技术推广站", "林业工作站", "图书馆", "文化馆",
	"畜牧兽医站", "社区卫生服务中心", "档案馆", "博物馆", "科技馆", "会计师事务所",
	"律师事务所", "环境监测站", "水文站", "地震台", "幼儿园", "计量检测所",
};

static const char *const department_names[] = {
	"办公室", "人事科", "财务科", "业务一科", "业务二科", "技术部", "质量管理部",
	"科研处", "教务处", "医务科", "护理部", "内科", "外科", "信息中心", "后勤保障部",
	"培训中心",
};

/* Common surnames, the first ones weighted as they are common. */
static const char *const surnames[] = {
	"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱",
	"高", "林", "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于",
	"董", "萧", "程", "曹", "袁", "邓", "许", "傅", "沈", "曾", "彭", "吕", "苏", "卢",
	"蒋", "蔡", "贾", "丁", "魏", "薛", "叶", "阎", "余", "潘", "杜", "戴", "夏", "钟",
	"汪", "田", "任", "姜", "范", "方", "石", "姚", "谭", "廖", "邹", "熊", "金", "陆",
	"郝", "孔", "白", "崔", "康", "毛", "邱", "秦", "江", "史", "顾", "侯", "邵", "孟",
};
static const char *const given[] = {
	"伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "军", "强", "霞", "平",
	"刚", "桂", "华", "明", "英", "红", "兰", "玲", "峰", "超", "云", "丽", "鹏", "辉",
	"建", "国", "文", "亮", "波", "宁", "涛", "斌", "婷", "雪", "晨", "浩", "宇", "欣",
	"佳", "俊", "凯", "琳", "瑞", "晓", "志", "振", "海", "燕", "梅", "秀", "丹", "萍",
	"鑫", "帅", "颖", "倩",
};

static const char *const course_topics[] = {
	"专业技术人员职业道德与诚信建设", "数字化转型实务", "人工智能与大数据应用",
	"知识产权保护与运用", "专业技术人员心理健康与压力管理", "科研诚信与学术规范",
	"安全生产法律法规", "乡村振兴专题", "新技术新方法进展", "临床诊疗规范更新",
	"工程质量管理实务", "教育教学能力提升", "绿色低碳发展", "项目管理实务",
	"应急管理能力建设", "传染病防控", "智慧农业技术", "财务会计准则解读",
};
static const char *const organisers[] = {
	"河南省人力资源和社会保障厅", "河南省卫生健康委员会", "河南省教育厅",
	"河南省科学技术协会", "中华医学会河南分会", "河南省农业农村厅",
	"河南省住房和城乡建设厅", "河南省财政厅", "本单位",
};
static const char *const platforms[] = {
	"河南省专业技术人员继续教育网", "国家专业技术人员继续教育平台", "好医生在线",
	"华医网", "中国教育干部网络学院",
};
static const char *const journals[] = {
	"中华医学杂志", "河南医学研究", "中国农业科学", "建筑结构", "河南教育",
	"郑州大学学报", "河南农业大学学报", "中国卫生统计", "水利水电技术", "会计研究",
};
static const char *const reject_reasons[] = {
	"材料不全", "证明材料不清晰", "学时计算有误", "不属于本年度", "培训内容与专业不符",
};

/* --- the model: units, departments, staff ------------------------------------------------- */

struct unit {
	int	 city;
	long	 size;		/* staff */
	int	 departments;
	long	 first_department;	/* index of its first department */
	char	 code[32];
	char	 name[128];
};

static struct unit *units;
static long	 n_departments;
static int	*unit_of;	/* staff p's unit */
static signed char *dept_of;	/* staff p's department within the unit, -1: none */
static unsigned char *activity;	/* staff p's declarations weight, 0-4 */

static void
chinese_number(char *buf, size_t size, int k)
{
	static const char *const digit[] = {
		"", "一", "二", "三", "四", "五", "六", "七", "八", "九",
	};

	if (k < 10)
		snprintf(buf, size, "%s", digit[k]);
	else if (k < 100)
		snprintf(buf, size, "%s十%s", k / 10 == 1 ? "" : digit[k / 10], digit[k % 10]);
	else
		snprintf(buf, size, "%d", k);
}

/* Every unit, department and person's place: the same for every table. */
static void
model_build(void)
{
	struct rng r = rng_stream(1);
	int city_weights[NCITIES];
	long assigned = 0, *per_city, *kind_count;
	double total = 0, *remainder;

	for (int c = 0; c < NCITIES; c++)
		city_weights[c] = cities[c].weight;
	units = xcalloc((size_t)opt_units, sizeof *units);
	remainder = xcalloc((size_t)opt_units, sizeof *remainder);
	for (long u = 0; u < opt_units; u++)
		total += 1.0 / (double)(u + 10);
	/* Each unit at least one person, the rest in proportion, largest remainders last. */
	for (long u = 0; u < opt_units; u++) {
		double share = (double)(opt_staff - opt_units) / total / (double)(u + 10);

		units[u].size = 1 + (long)share;
		remainder[u] = share - (double)(long)share;
		assigned += units[u].size;
	}
	while (assigned < opt_staff) {
		long best = 0;

		for (long u = 1; u < opt_units; u++)
			if (remainder[u] > remainder[best])
				best = u;
		units[best].size++;
		remainder[best] = -1;
		assigned++;
	}
	free(remainder);

	per_city = xcalloc(NCITIES, sizeof *per_city);
	kind_count = xcalloc((size_t)NCITIES * 64, sizeof *kind_count);
	n_departments = 0;
	for (long u = 0; u < opt_units; u++) {
		struct unit *un = &units[u];
		const char *kind;
		int k, kind_index, d;
		char ordinal[32], prefix[48];

		/* The twenty largest: half of them provincial institutions in 郑州. */
		un->city = u < 20 && rng_below(&r, 2) == 0 ? 0 :
		    rng_weighted(&r, city_weights, NCITIES);
		if (un->size >= 2000) {
			kind_index = (int)rng_below(&r, NELEM(big_kinds));
			kind = big_kinds[kind_index];
		} else if (un->size >= 200) {
			kind_index = NELEM(big_kinds) + (int)rng_below(&r, NELEM(mid_kinds));
			kind = mid_kinds[kind_index - NELEM(big_kinds)];
		} else {
			kind_index = NELEM(big_kinds) + NELEM(mid_kinds) +
			    (int)rng_below(&r, NELEM(small_kinds));
			kind = small_kinds[kind_index - NELEM(big_kinds) - NELEM(mid_kinds)];
		}
		k = (int)++kind_count[un->city * 64 + kind_index];
		if (k == 1)
			prefix[0] = '\0';
		else {
			chinese_number(ordinal, sizeof ordinal, k);
			snprintf(prefix, sizeof prefix, "第%s", ordinal);
		}
		snprintf(un->name, sizeof un->name, "%s%s%s", cities[un->city].name, prefix, kind);
		snprintf(un->code, sizeof un->code, "U%.4s%04ld", cities[un->city].code,
		    ++per_city[un->city]);
		/* 1 department up to 32 people, one more each time the size doubles, at most 8. */
		for (d = 1; d < 8 && un->size >= (16L << d); d++)
			;
		un->departments = d;
		un->first_department = n_departments;
		n_departments += d;
	}
	free(per_city);
	free(kind_count);

	/* The staff: filled unit by unit, then shuffled (Fisher-Yates). */
	unit_of = xcalloc((size_t)opt_staff, sizeof *unit_of);
	dept_of = xcalloc((size_t)opt_staff, sizeof *dept_of);
	activity = xcalloc((size_t)opt_staff, sizeof *activity);
	for (long u = 0, p = 0; u < opt_units; u++)
		for (long i = 0; i < units[u].size; i++)
			unit_of[p++] = (int)u;
	for (long p = opt_staff - 1; p > 0; p--) {
		long q = rng_below(&r, p + 1);
		int t = unit_of[p];

		unit_of[p] = unit_of[q];
		unit_of[q] = t;
	}
	for (long p = 0; p < opt_staff; p++) {
		const struct unit *un = &units[unit_of[p]];
		static const int act_weights[] = { 4, 20, 40, 24, 12 };	/* 0, 0.5, 1, 1.5, 2 */

		if (un->departments > 1 && rng_below(&r, 100) < 3)
			dept_of[p] = -1;
		else
			dept_of[p] = (signed char)rng_below(&r, un->departments);
		activity[p] = (unsigned char)rng_weighted(&r, act_weights, NELEM(act_weights));
	}
}

static long
admin_id(long u)
{
	return opt_account_base + u;
}

static long
staff_id(long p)
{
	return opt_account_base + opt_units + p;
}

/* A name of two or three characters. */
static void
out_person_name(struct rng *r)
{
	/* The first 10 surnames take half of the people, as they do. */
	out_s(rng_below(r, 2) == 0 ? surnames[rng_below(r, 10)] : PICK(r, surnames));
	out_s(PICK(r, given));
	if (rng_below(r, 3) != 0)
		out_s(PICK(r, given));
}

/* The GB 11643 ID number of 17 digits plus its check character. */
static void
out_id_number(const char *district, int birth_days, int seq)
{
	static const int weights[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	char first17[32];
	int y, m, d, sum = 0;

	civil_from_days(birth_days, &y, &m, &d);
	snprintf(first17, sizeof first17, "%s%04d%02d%02d%03d", district, y, m, d, seq);
	for (int i = 0; i < 17; i++)
		sum += (first17[i] - '0') * weights[i];
	out_mem(first17, 17);
	out_mem(&"10X98765432"[sum % 11], 1);
}

/* --- the tables -------------------------------------------------------------------------- */

static const char units_columns[] = "code, name, region, created_at";
static const char departments_columns[] = "id, unit_code, name";
static const char accounts_columns[] =
    "id, id_number, role, state, password_hash, phone, unit_code, department_id, name, sex, "
    "birth_date, ethnicity, education_level, decided_by, decided_at, submitted_at, "
    "created_at, updated_at";
static const char declarations_columns[] =
    "id, account_id, unit_code, form_id, form_code, year, amount, hours, category, fields, "
    "state, reject_reason, source, submitted_at, decided_by, decided_at, created_at, "
    "updated_at";

static int
window_start(void)
{
	return days_from_civil(year_of(today_days) - 4, 1, 1);
}

static void
gen_units(void)
{
	struct rng r = rng_stream(2);

	for (long u = 0; u < opt_units; u++) {
		out_s(units[u].code); TAB();
		out_s(units[u].name); TAB();
		out_s(cities[units[u].city].code); TAB();
		out_ts(window_start() - 365 * 3 + (int)rng_below(&r, 365), 9 * 3600);
		EOL();
	}
}

static void
gen_departments(void)
{
	for (long u = 0; u < opt_units; u++) {
		int first = (int)(u % NELEM(department_names));

		for (int d = 0; d < units[u].departments; d++) {
			out_long(opt_department_base + units[u].first_department + d); TAB();
			out_s(units[u].code); TAB();
			out_s(department_names[(first + d) % NELEM(department_names)]);
			EOL();
		}
	}
}

static void
out_account(struct rng *r, long id, const char *role, const char *district, int birth,
    int seq, long u, long department, long decided_by, int created)
{
	static const int edu_weights[] = { 3, 15, 50, 25, 5, 2 };
	static const char *const edu[] = { "11", "14", "21", "31", "41", "61" };
	int secs = 8 * 3600 + (int)rng_below(r, 10 * 3600);

	out_long(id); TAB();
	out_id_number(district, birth, seq); TAB();
	out_s(role); TAB();
	out_s("active"); TAB();
	if (opt_hash != NULL)
		out_s(opt_hash);
	else
		NUL();
	TAB();
	out_f("1%d%09ld", 3 + (int)rng_below(r, 7), rng_below(r, 1000000000L)); TAB();
	out_s(units[u].code); TAB();
	if (department >= 0)
		out_long(department);
	else
		NUL();
	TAB();
	out_person_name(r); TAB();
	out_long(seq % 2); TAB();		/* the 17th digit: odd for a man */
	out_date(birth); TAB();
	out_s(rng_below(r, 100) == 0 ? "03" : "01"); TAB();	/* 汉族, 回族 */
	out_s(edu[rng_weighted(r, edu_weights, NELEM(edu_weights))]); TAB();
	if (decided_by > 0) {
		out_long(decided_by); TAB();
		out_ts(created + 1, secs); TAB();
	} else {
		NUL(); TAB(); NUL(); TAB();
	}
	out_ts(created, secs); TAB();
	out_ts(created, secs); TAB();
	out_ts(created + 1, secs);
	EOL();
}

static void
gen_accounts(void)
{
	struct rng r = rng_stream(3);
	int start = window_start(), birth0 = days_from_civil(1962, 1, 1);

	/* One administrator a unit, born 1955-1961 (no staff member is), sequence 9xx. */
	for (long u = 0; u < opt_units; u++)
		out_account(&r, admin_id(u), "unit_admin", cities[units[u].city].district,
		    days_from_civil(1955, 1, 1) + (int)(u % 2500), 900 + (int)(u / 2500) * 2 +
		    (int)rng_below(&r, 2), u, -1, -1, start - 365 * 3 + (int)rng_below(&r, 300));
	/* Staff p: born 1962-01-01 + p % 14,600 days, sequence 100 + 2 (p / 14,600) + sex. */
	for (long p = 0; p < opt_staff; p++) {
		long u = unit_of[p];
		int seq = 100 + (int)(p / 14600) * 2 + (int)rng_below(&r, 2);

		if (seq > 899)
			die("too many staff for the ID numbers (at most 5,800,000)");
		out_account(&r, staff_id(p), "staff", cities[units[u].city].district,
		    birth0 + (int)(p % 14600), seq, u,
		    dept_of[p] < 0 ? -1 : opt_department_base + units[u].first_department +
		    dept_of[p], admin_id(u), start - 30 - (int)rng_below(&r, 1000));
	}
}

/* The learning forms this program knows: weight (per 200), hours, fields. */
struct form {
	const char	*code, *category;
	int		 weight;
	long		 id;	/* from --forms; 0: not used */
};

static struct form forms[] = {
	{ "public_course", "public", 60, 0 }, { "training", "professional", 48, 0 },
	{ "online_course", "professional", 36, 0 }, { "base_course", "professional", 16, 0 },
	{ "conference", "professional", 10, 0 }, { "paper", "professional", 8, 0 },
	{ "research_report", "professional", 6, 0 },
	{ "qualification_exam", "professional", 4, 0 },
	{ "degree_education", "professional", 2, 0 },
	{ "research_project", "professional", 2, 0 }, { "grassroots", "professional", 2, 0 },
	{ "aid_service", "professional", 2, 0 }, { "award", "professional", 2, 0 },
	{ "book", "professional", 1, 0 }, { "patent", "professional", 1, 0 },
};

static void
forms_parse(void)
{
	char *list, *item, *save = NULL;

	if (opt_forms == NULL)
		die("declarations need --forms code=id,...");
	list = strdup(opt_forms);
	for (item = strtok_r(list, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');

		if (eq == NULL)
			die("--forms: %s is not code=id", item);
		*eq = '\0';
		for (int f = 0; f < NELEM(forms); f++)
			if (strcmp(forms[f].code, item) == 0)
				forms[f].id = atol(eq + 1);
	}
	free(list);
	if (forms[0].id == 0)
		die("--forms names no public_course (公需科目)");
}

/* A date range of n days from day as {"from": ..., "to": ...}. */
static void
out_range(const char *key, int day, int n)
{
	out_f(", \"%s\": {\"from\": \"", key);
	out_date(day);
	out_s("\", \"to\": \"");
	out_date(day + n - 1);
	out_s("\"}");
}

static void
out_date_field(const char *key, int day)
{
	out_f(", \"%s\": \"", key);
	out_date(day);
	out_s("\"");
}

/* The hours of a record of form f and its fields (a JSON object); day: when it took place. */
static double
out_fields(struct rng *r, const struct form *f, int day, const struct unit *un)
{
	static const int public_hours[] = { 6, 12, 12, 24, 24, 24, 30 };
	static const int training_hours[] = { 8, 8, 16, 16, 16, 24, 24, 24, 32, 40 };
	const char *topic = PICK(r, course_topics), *org = PICK(r, organisers);
	int year = year_of(day);
	double hours;

	if (strcmp(f->code, "public_course") == 0) {
		hours = PICK(r, public_hours);
		out_f("{\"course\": \"%d年度%s\", \"organiser\": \"%s\", \"mode\": \"%s\"", year,
		    topic, org, rng_below(r, 3) ? "网络学习" : "面授");
		out_range("dates", day, 1 + (int)rng_below(r, 5));
	} else if (strcmp(f->code, "training") == 0) {
		static const char *const kinds[] = { "培训班", "研修班", "进修班" };
		static const char *const levels[] = { "国家级", "省级", "市级", "县级", "本单位" };

		hours = PICK(r, training_hours);
		out_f("{\"name\": \"%s%s\", \"kind\": \"%s\", \"organiser\": \"%s\", "
		    "\"level\": \"%s\", \"place\": \"%s\"", topic, PICK(r, kinds), PICK(r, kinds),
		    org, PICK(r, levels), cities[un->city].name);
		out_range("dates", day, 1 + (int)(hours / 8));
	} else if (strcmp(f->code, "online_course") == 0) {
		hours = 2 * (1 + rng_below(r, 15));
		out_f("{\"course\": \"%s\", \"platform\": \"%s\"", topic, PICK(r, platforms));
		out_date_field("finished", day);
	} else if (strcmp(f->code, "base_course") == 0) {
		hours = 8 * (2 + rng_below(r, 5));
		out_f("{\"course\": \"%s\", \"base\": \"%s继续教育基地\"", topic,
		    cities[rng_below(r, NCITIES)].name);
		out_range("dates", day, (int)(hours / 8));
		out_f(", \"certificate_no\": \"JD%d%06ld\"", year, rng_below(r, 1000000));
	} else if (strcmp(f->code, "conference") == 0) {
		bool national = rng_below(r, 3) == 0;

		hours = national ? 12 : 8;
		out_f("{\"name\": \"%d年%s学术年会\", \"organiser\": \"%s\", \"level\": \"%s\", "
		    "\"paper\": \"未提交论文\"", year, topic, org, national ? "国家级" : "省级");
		out_range("dates", day, 2);
	} else if (strcmp(f->code, "paper") == 0) {
		static const char *const levels[] = { "国际", "国家级核心", "国家级", "省级" };

		hours = 10 * (1 + rng_below(r, 3));
		out_f("{\"title\": \"%s的实践与思考\", \"journal\": \"%s\", \"level\": \"%s\", "
		    "\"rank\": %ld", topic, PICK(r, journals), PICK(r, levels), 1 + rng_below(r, 3));
		out_date_field("published", day);
	} else if (strcmp(f->code, "research_report") == 0) {
		hours = 6 * (1 + rng_below(r, 4));
		out_f("{\"title\": \"关于%s的调研报告\", \"endorsed_by\": \"%s人民政府\", "
		    "\"rank\": %ld", topic, cities[un->city].name, 1 + rng_below(r, 3));
		out_date_field("endorsed", day);
	} else if (strcmp(f->code, "qualification_exam") == 0) {
		hours = 10 * (2 + rng_below(r, 3));
		out_f("{\"name\": \"%s资格考试\", \"level\": \"中级\", \"certificate_no\": "
		    "\"ZG%d%07ld\"", topic, year, rng_below(r, 10000000));
		out_date_field("passed", day);
	} else if (strcmp(f->code, "degree_education") == 0) {
		long courses = 1 + rng_below(r, 4);

		hours = 15.0 * (double)courses;
		out_f("{\"school\": \"郑州大学\", \"major\": \"%s\", \"level\": \"硕士研究生\", "
		    "\"courses\": \"%s等\", \"courses_passed\": %ld", topic, topic, courses);
	} else if (strcmp(f->code, "research_project") == 0) {
		long rank = 1 + rng_below(r, 5);

		hours = 64 - 8 * (double)(rank - 1);
		out_f("{\"name\": \"%s研究\", \"level\": \"国家级\", \"funder\": \"国家自然科学基金委员会\", "
		    "\"rank\": %ld", topic, rank);
		out_range("period", day - 365, 365);
	} else if (strcmp(f->code, "grassroots") == 0) {
		hours = 8 * (1 + rng_below(r, 3));
		out_f("{\"name\": \"%s下基层服务\", \"organiser\": \"%s\"", topic, org);
		out_range("dates", day, (int)(hours / 8));
	} else if (strcmp(f->code, "aid_service") == 0) {
		hours = 30 * (1 + rng_below(r, 3));
		out_f("{\"kind\": \"支医\", \"place\": \"新疆哈密市\", \"dispatcher\": \"%s\"", org);
		out_range("period", day - 180, 180);
	} else if (strcmp(f->code, "award") == 0) {
		hours = 10 * (2 + rng_below(r, 3));
		out_f("{\"project\": \"%s\", \"award\": \"河南省科学技术进步奖\", \"level\": \"省部级\", "
		    "\"grade\": \"二等奖\", \"rank\": %ld", topic, 1 + rng_below(r, 5));
		out_date_field("awarded", day);
	} else if (strcmp(f->code, "book") == 0) {
		hours = 15 * (2 + rng_below(r, 3));
		out_f("{\"title\": \"%s\", \"kind\": \"专著\", \"publisher\": \"河南科学技术出版社\", "
		    "\"isbn\": \"978-7-5349-%04ld-1\", \"rank\": 1", topic, rng_below(r, 10000));
		out_date_field("published", day);
	} else {	/* patent */
		hours = 20 * (1 + rng_below(r, 2));
		out_f("{\"title\": \"一种%s装置\", \"kind\": \"实用新型\", \"number\": \"ZL%d2%08ld\", "
		    "\"rank\": 1", topic, year, rng_below(r, 100000000));
		out_date_field("granted", day);
	}
	out_s("}");
	return hours;
}

/*
 * Declarations in time order: the days of the window weighted (November 1.5,
 * December 2), each declaration's person drawn by activity, its state by its
 * age in days.
 */
static void
gen_declarations(void)
{
	struct rng r = rng_stream(4);
	int start = window_start(), ndays = today_days - start, fweights[NELEM(forms)];
	double *weight = xcalloc((size_t)ndays, sizeof *weight), wsum = 0, carry = 0;
	long id = opt_declaration_base, made = 0;

	forms_parse();
	for (int f = 0; f < NELEM(forms); f++)
		fweights[f] = forms[f].id != 0 ? forms[f].weight : 0;
	for (int d = 0; d < ndays; d++) {
		int y, m, dd;

		civil_from_days(start + d, &y, &m, &dd);
		weight[d] = m == 12 ? 2.0 : m == 11 ? 1.5 : 1.0;
		wsum += weight[d];
	}
	for (int d = 0; d < ndays && made < opt_decl; d++) {
		double want = (double)opt_decl * weight[d] / wsum + carry;
		long n = d == ndays - 1 ? opt_decl - made : (long)want;
		int day = start + d, age = ndays - d;

		carry = want - (double)n;
		for (long i = 0; i < n; i++, made++) {
			long p, u;
			const struct form *f;
			const char *state;
			int created = 7 * 3600 + (int)rng_below(&r, 15 * 3600), x;
			int submitted, decided = 0;
			double hours;

			/* A person by activity (0-4 of 4): draw until one is accepted. */
			do
				p = rng_below(&r, opt_staff);
			while ((long)activity[p] <= rng_below(&r, 4));
			u = unit_of[p];
			f = &forms[rng_weighted(&r, fweights, NELEM(forms))];
			x = (int)rng_below(&r, 100);
			if (age > 60)
				state = x < 90 ? "approved" : x < 94 ? "rejected" : x < 97 ? "draft" :
				    "pending";
			else if (age > 14)
				state = x < 70 ? "approved" : x < 90 ? "pending" : x < 94 ? "rejected" :
				    "draft";
			else
				state = x < 20 ? "approved" : x < 75 ? "pending" : x < 95 ? "draft" :
				    "rejected";
			/* Submitted within two days, and before today. */
			x = age * 86400 - created;
			submitted = created + (int)rng_below(&r, x < 2 * 86400 ? x : 2 * 86400);
			if (strcmp(state, "approved") == 0 || strcmp(state, "rejected") == 0) {
				int most = age < 14 ? age : 14;

				decided = submitted + 86400 * (int)rng_below(&r, most + 1) +
				    (int)rng_below(&r, 8 * 3600);
				if (decided >= age * 86400) {	/* not yet */
					state = "pending";
					decided = 0;
				}
			}
			/* The record took place a little before it was declared. */
			out_long(id++); TAB();
			out_long(staff_id(p)); TAB();
			out_s(units[u].code); TAB();
			out_long(f->id); TAB();
			out_s(f->code); TAB();
			out_long(year_of(day)); TAB();
			{
				char fields[4096];
				size_t mark;

				if (outlen > sizeof outbuf - sizeof fields)
					out_flush();
				mark = outlen;

				/* fields come after amount and hours in the row: render them aside. */
				hours = out_fields(&r, f, day - (int)rng_below(&r, 20), &units[u]);
				if (outlen - mark >= sizeof fields)
					die("fields too long");
				memcpy(fields, outbuf + mark, outlen - mark);
				fields[outlen - mark] = '\0';
				outlen = mark;
				out_f("%.2f\t%.2f\t%s\t", hours, hours, f->category);
				out_s(fields); TAB();
			}
			out_s(state); TAB();
			if (strcmp(state, "rejected") == 0)
				out_s(PICK(&r, reject_reasons));
			else
				NUL();
			TAB();
			out_s("person"); TAB();
			if (strcmp(state, "draft") != 0)
				out_ts(day, submitted);
			else
				NUL();
			TAB();
			if (decided > 0 && (strcmp(state, "approved") == 0 ||
			    strcmp(state, "rejected") == 0)) {
				out_long(admin_id(u)); TAB();
				out_ts(day, decided); TAB();
			} else {
				NUL(); TAB(); NUL(); TAB();
			}
			out_ts(day, created); TAB();
			out_ts(day, decided > 0 ? decided : strcmp(state, "draft") != 0 ? submitted :
			    created);
			EOL();
		}
	}
	free(weight);
}

/* --- main -------------------------------------------------------------------------------- */

static const char usage[] =
    "usage: gen-authority-rows units|departments|accounts|declarations [--staff N] [--units N]\n"
    "           [--declarations N] [--seed S] [--today YYYY-MM-DD] [--account-base A]\n"
    "           [--department-base D] [--declaration-base E] [--forms code=id,...] [--hash H]\n"
    "       gen-authority-rows columns TABLE\n"
    "       gen-authority-rows summary [options]\n";

static long
number(const char *opt, const char *s, long min)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min)
		die("%s: %s is not a number of at least %ld", opt, s, min);
	return v;
}

int
main(int argc, char **argv)
{
	const char *table;
	int y, m, d;

	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	table = argv[1];
	if (strcmp(table, "columns") == 0 && argc == 3) {
		const char *t = argv[2];

		puts(strcmp(t, "units") == 0 ? units_columns :
		    strcmp(t, "departments") == 0 ? departments_columns :
		    strcmp(t, "accounts") == 0 ? accounts_columns :
		    strcmp(t, "declarations") == 0 ? declarations_columns : "");
		return 0;
	}
	{
		time_t now = time(NULL) + 8 * 3600;
		struct tm tm;

		gmtime_r(&now, &tm);
		today_days = days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	}
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL) {
			fputs(usage, stderr);
			return 2;
		}
		i++;
		if (strcmp(o, "--staff") == 0)
			opt_staff = number(o, v, 1);
		else if (strcmp(o, "--units") == 0)
			opt_units = number(o, v, 1);
		else if (strcmp(o, "--declarations") == 0)
			opt_decl = number(o, v, 0);
		else if (strcmp(o, "--seed") == 0)
			opt_seed = (uint64_t)number(o, v, 0);
		else if (strcmp(o, "--account-base") == 0)
			opt_account_base = number(o, v, 1);
		else if (strcmp(o, "--department-base") == 0)
			opt_department_base = number(o, v, 1);
		else if (strcmp(o, "--declaration-base") == 0)
			opt_declaration_base = number(o, v, 1);
		else if (strcmp(o, "--forms") == 0)
			opt_forms = v;
		else if (strcmp(o, "--hash") == 0)
			opt_hash = v;
		else if (strcmp(o, "--today") == 0) {
			if (sscanf(v, "%d-%d-%d", &y, &m, &d) != 3)
				die("--today: %s is not YYYY-MM-DD", v);
			today_days = days_from_civil(y, m, d);
		} else {
			fputs(usage, stderr);
			return 2;
		}
	}
	if (opt_units > opt_staff)
		opt_units = opt_staff;
	model_build();
	if (strcmp(table, "units") == 0)
		gen_units();
	else if (strcmp(table, "departments") == 0)
		gen_departments();
	else if (strcmp(table, "accounts") == 0)
		gen_accounts();
	else if (strcmp(table, "declarations") == 0)
		gen_declarations();
	else if (strcmp(table, "summary") == 0) {
		/* The model in a few lines, for the load's log. */
		long biggest = 0, sizes[NCITIES] = { 0 };

		for (long u = 0; u < opt_units; u++) {
			sizes[units[u].city] += units[u].size;
			if (units[u].size > units[biggest].size)
				biggest = u;
		}
		printf("%ld units, %ld departments, %ld staff; the largest unit %s %s of %ld "
		    "staff, the smallest %ld\n", opt_units, n_departments, opt_staff,
		    units[biggest].code, units[biggest].name, units[biggest].size,
		    units[opt_units - 1].size);
		for (int c = 0; c < NCITIES; c++)
			printf("%s %s %ld staff\n", cities[c].code, cities[c].name, sizes[c]);
		return 0;
	} else {
		fputs(usage, stderr);
		return 2;
	}
	out_flush();
	if (fflush(stdout) != 0) {
		fprintf(stderr, "gen-authority-rows: write: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
