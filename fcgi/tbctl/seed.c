/* tbctl seed-scale --units N [--seed S] [--dry-run]: fill the registry
 * (reg.unit, reg.entry) with realistic synthetic data across every county
 * of ref.division, for benchmarks and load tests at region scale.
 *
 * What a row looks like is what the platform writes when it registers
 * (fcgi/intake/actions.c): ID numbers sealed under the data keys with their
 * masked form and keyed index, one certificate number per registration
 * (named after the registration area, counted per area and year),
 * mortgages ranked, seizures wait-listed, ended rows with valid_to.
 * Generators are pure (domain/synth.h): the same seed gives the same data.
 *
 * Re-running adds more: each run records in the audit trail where it
 * stopped (unit and person indexes; action registry.seed_scale), and the
 * next run continues from there, so units, ID numbers and certificate
 * numbers never repeat. Seeded units lie in cadastral zones 900-999, which
 * nothing else uses. A run is one transaction: interrupted, it leaves
 * nothing behind. Rows go in by COPY in batches, memory stays constant. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "../core/buf.h"
#include "../core/keyring.h"
#include "../domain/register.h"
#include "../domain/synth.h"
#include "../domain/workdays.h"
#include "tbctl.h"

#define BATCH 2500		/* units per COPY round: the progress moves every round */
#define RING 8192		/* recent owners, some of whom own another unit */
#define YEAR0 1990
#define NYEARS 40
#define DETAILS_SRC "\"source\": \"seed-scale\""

enum { S_BUILDING = 1, S_UNIT, S_PERSON, S_BUYER };
enum { K_OWN, K_MORT, K_PRE, K_SEIZ, K_OBJ, NKINDS };
static const char *const kind_names[NKINDS] = { "ownership", "mortgage", "pre_notice", "seizure", "objection" };

struct county {
	char code[7], name[64], city[64];
	int area;	/* index into areas */
	int urban;	/* an urban district (区) */
	int weight;
};

struct area {
	char code[7], name[64];
};

struct bank {
	char code[16], name[128];
};

struct person {
	uint64_t j;
	int county;
	char id[19];
	char name[40];
};

struct seeder {
	uint64_t seed;
	struct county *c;
	int nc, wsum;
	struct area *areas;
	int na;
	struct bank *banks;
	int nb;
	int32_t *cert;		/* [area][year][kind]: last serial given */
	int32_t *cert0;		/* as found in the database */
	uint64_t next_person, person_from;
	struct person ring[RING];
	size_t ring_n;
	struct keyring kr;
	int dry;
	struct arena a;
	struct buf ub, eb;
	long units, current[NKINDS], ended[NKINDS], waiting;
	const char *err;
};

/* ---- time: seconds since the epoch; dates and certificate years are Beijing's */
#define DAY 86400L
static long day_of(int ymd)
{
	return ymd_to_days(ymd);
}
static int64_t at_day(long day, long secs)
{
	return (int64_t)day * DAY - 8 * 3600 + secs;
}
static long day_at(int64_t t)
{
	int64_t b = t + 8 * 3600;
	return (long)(b >= 0 ? b / DAY : (b - DAY + 1) / DAY);
}
static int year_at(int64_t t)
{
	return days_to_ymd(day_at(t)) / 10000;
}
static void ts_text(char out[48], int64_t t)
{
	long d = day_at(t);
	int s = (int)(t + 8 * 3600 - (int64_t)d * DAY); /* 0..86399 */
	int ymd = days_to_ymd(d);
	snprintf(out, 48, "%04d-%02d-%02d %02d:%02d:%02d+08", ymd / 10000 % 10000, ymd / 100 % 100, ymd % 100,
		 s / 3600 % 24, s / 60 % 60, s % 60);
}
static void date_text(char out[16], long day)
{
	int ymd = days_to_ymd(day);
	snprintf(out, 16, "%04d-%02d-%02d", ymd / 10000, ymd / 100 % 100, ymd % 100);
}
/* the same calendar day n years later (29 February becomes 28 February) */
static long years_after(long day, int n)
{
	int ymd = days_to_ymd(day);
	int y = ymd / 10000 + n, md = ymd % 10000;
	if (md == 229 && !ymd_valid(y * 10000 + md))
		md = 228;
	return day_of(y * 10000 + md);
}
/* a moment in office hours on a day in [lo, hi] */
static int64_t when(struct synth_rng *r, long lo, long hi)
{
	if (hi < lo)
		hi = lo;
	long d = lo + (long)synth_below(r, (uint32_t)(hi - lo + 1));
	return at_day(d, 9 * 3600 + (long)synth_below(r, 8 * 3600));
}

static long first_day, last_day;	/* 1995-01-01, 2025-12-31: every row lies in between */

/* ---- reference data ------------------------------------------------------- */
static int load_reference(struct seeder *s, struct db *d)
{
	PGresult *r = PQexec(d->conn, "SELECT d.code, d.name, c.code, c.name FROM ref.division d"
				      " JOIN ref.division c ON c.code = d.parent_code WHERE d.level = 'county'"
				      " ORDER BY d.code");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) == 0) {
		fprintf(stderr, "tbctl: no counties in ref.division: %s", PQerrorMessage(d->conn));
		PQclear(r);
		return -1;
	}
	s->nc = PQntuples(r);
	s->c = calloc((size_t)s->nc, sizeof(*s->c));
	s->areas = calloc((size_t)s->nc, sizeof(*s->areas));
	if (s->c == NULL || s->areas == NULL) {
		PQclear(r);
		return -1;
	}
	for (int i = 0; i < s->nc; i++) {
		struct county *c = &s->c[i];
		snprintf(c->code, sizeof(c->code), "%s", PQgetvalue(r, i, 0));
		snprintf(c->name, sizeof(c->name), "%s", PQgetvalue(r, i, 1));
		snprintf(c->city, sizeof(c->city), "%s", PQgetvalue(r, i, 3));
		c->urban = registration_area_is_city(c->name);
		/* urban districts hold more homes than counties, county-level cities in between */
		size_t nl = strlen(c->name);
		c->weight = c->urban ? 4 : nl > 3 && strcmp(c->name + nl - 3, "市") == 0 ? 2 : 1;
		s->wsum += c->weight;
		const char *acode = c->urban ? PQgetvalue(r, i, 2) : c->code;
		const char *aname = c->urban ? c->city : c->name;
		int k = 0;
		while (k < s->na && strcmp(s->areas[k].code, acode) != 0)
			k++;
		if (k == s->na) {
			snprintf(s->areas[k].code, sizeof(s->areas[k].code), "%s", acode);
			snprintf(s->areas[k].name, sizeof(s->areas[k].name), "%s", aname);
			s->na++;
		}
		c->area = k;
	}
	PQclear(r);
	r = PQexec(d->conn, "SELECT code, name FROM ref.bank ORDER BY code");
	int nb = PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) : 0;
	static const char *const fallback[] = { "ICBC", "中国工商银行", "CCB", "中国建设银行" };
	s->nb = nb > 0 ? nb : 2;
	s->banks = calloc((size_t)s->nb, sizeof(*s->banks));
	if (s->banks == NULL) {
		PQclear(r);
		return -1;
	}
	int total = s->nb, k = 0;
	for (int i = 0; i < total; i++) {
		const char *code = nb ? PQgetvalue(r, i, 0) : fallback[2 * i];
		const char *name = nb ? PQgetvalue(r, i, 1) : fallback[2 * i + 1];
		/* names go into JSON and COPY text unescaped: only plain ones */
		if (strpbrk(name, "\"\\\t\r\n") || strpbrk(code, "\"\\\t\r\n"))
			continue;
		snprintf(s->banks[k].code, sizeof(s->banks[k].code), "%s", code);
		snprintf(s->banks[k].name, sizeof(s->banks[k].name), "%s", name);
		k++;
	}
	if (k == 0) {
		snprintf(s->banks[0].code, sizeof(s->banks[0].code), "%s", fallback[0]);
		snprintf(s->banks[0].name, sizeof(s->banks[0].name), "%s", fallback[1]);
		k = 1;
	}
	s->nb = k;
	PQclear(r);
	return 0;
}

static int area_of_code(const struct seeder *s, const char *code)
{
	for (int k = 0; k < s->na; k++)
		if (strcmp(s->areas[k].code, code) == 0)
			return k;
	return -1;
}

/* Certificate serials already given, per area, year and kind: the counters
 * the platform keeps and the numbers in the registry (imported and demo
 * records do not move the counters), so ours continue after both. The
 * seeded units' numbers (zones 9xx) are in the counters already (each run
 * moves them, and so does every registration): their rows are not read,
 * which keeps a run on a large registry from scanning it all through a
 * regular expression (the subquery's OFFSET 0 keeps the cheap test first). */
static int load_counters(struct seeder *s, struct db *d)
{
	size_t n = (size_t)s->na * NYEARS * 2;
	s->cert = calloc(n, sizeof(*s->cert));
	s->cert0 = calloc(n, sizeof(*s->cert0));
	if (s->cert == NULL || s->cert0 == NULL)
		return -1;
	PGresult *r = PQexec(
		d->conn,
		"SELECT area_code, year, kind, last FROM cases.certificate_counter UNION ALL"
		" SELECT a.code, n.year, n.kind, max(n.serial) FROM"
		" (SELECT substring(no FROM '^桂[(（]([0-9]{4})')::int AS year,"
		"  substring(no FROM '^桂[(（][0-9]{4}[)）](.+?)不动产(?:证明|权)第') AS area,"
		"  CASE WHEN no LIKE '%不动产证明第%' THEN 'proof' ELSE 'right' END AS kind,"
		"  substring(no FROM '第([0-9]{7})号$')::int AS serial"
		"  FROM (SELECT certificate_no AS no FROM cases.case UNION ALL"
		"   (SELECT certificate_no FROM reg.entry WHERE substr(unit_code, 7, 1) <> '9' OFFSET 0)) c"
		"  WHERE no ~ '^桂[(（][0-9]{4}[)）].+不动产(证明|权)第[0-9]{7}号$') n"
		" JOIN ref.division a ON a.name = n.area AND (a.level = 'city' OR (a.level = 'county' AND a.name NOT LIKE '%区'))"
		" GROUP BY a.code, n.year, n.kind");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "tbctl: reading certificate counters: %s", PQerrorMessage(d->conn));
		PQclear(r);
		return -1;
	}
	for (int i = 0; i < PQntuples(r); i++) {
		int k = area_of_code(s, PQgetvalue(r, i, 0)), y = atoi(PQgetvalue(r, i, 1)) - YEAR0;
		int kind = strcmp(PQgetvalue(r, i, 2), "proof") == 0;
		int32_t last = (int32_t)atol(PQgetvalue(r, i, 3));
		if (k < 0 || y < 0 || y >= NYEARS)
			continue;
		int32_t *p = &s->cert[((size_t)k * NYEARS + (size_t)y) * 2 + (size_t)kind];
		if (last > *p)
			*p = last;
	}
	PQclear(r);
	memcpy(s->cert0, s->cert, n * sizeof(*s->cert));
	return 0;
}

/* ---- generation ----------------------------------------------------------- */
static int weighted_county(struct seeder *s, struct synth_rng *r)
{
	int w = (int)synth_below(r, (uint32_t)s->wsum);
	for (int i = 0; i < s->nc; i++)
		if ((w -= s->c[i].weight) < 0)
			return i;
	return s->nc - 1;
}

static int cert_next(struct seeder *s, const struct county *c, int64_t t, enum cert_kind kind, char out[160])
{
	int year = year_at(t);
	if (year < YEAR0 || year >= YEAR0 + NYEARS)
		return -1;
	int32_t *p = &s->cert[((size_t)c->area * NYEARS + (size_t)(year - YEAR0)) * 2 + (kind == CERT_PROOF)];
	if (*p >= 9999999) {
		s->err = "a registration area ran out of certificate numbers for a year";
		return -1;
	}
	return cert_number_format(out, 160, year, s->areas[c->area].name, kind, ++*p);
}

static int person_new(struct seeder *s, struct synth_rng *r, int county, struct person *p)
{
	if (s->next_person >= synth_person_max()) {
		s->err = "no more distinct ID numbers (the registry holds as many synthetic persons as the numbering allows)";
		return -1;
	}
	p->j = s->next_person++;
	/* most people own in the county where they were registered at birth */
	p->county = synth_chance(r, 700) ? county : weighted_county(s, r);
	if (synth_id_number(p->id, s->c[p->county].code, p->j) != 0)
		return -1;
	struct synth_rng nr;
	synth_rng_init(&nr, s->seed, S_PERSON, p->j);
	synth_name(&nr, synth_id_male(p->id), p->name, sizeof(p->name));
	s->ring[p->j % RING] = *p;
	if (s->ring_n < RING)
		s->ring_n++;
	return 0;
}

/* a holder of an earlier unit of this run (someone who owns several) */
static int person_again(struct seeder *s, struct synth_rng *r, struct person *p)
{
	if (s->ring_n == 0)
		return -1;
	uint64_t back = 1 + synth_below(r, (uint32_t)s->ring_n);
	*p = s->ring[(s->next_person - back) % RING];
	return 0;
}

struct entry {
	const char *unit;
	int kind;
	int rank;		/* 0: none */
	const char *holder;
	const struct person *person;	/* the holder's ID number, or NULL */
	const char *share;
	int64_t amount;		/* -1: none */
	const char *cert;
	const char *details;
	int64_t from, to;	/* to 0: in force */
	int waiting;
	int64_t effective;	/* 0: none */
};

static int emit(struct seeder *s, const struct entry *e)
{
	char from[48], to[48] = "\\N", eff[48] = "\\N", rank[16] = "\\N", amount[24] = "\\N";
	ts_text(from, e->from);
	if (e->to)
		ts_text(to, e->to);
	if (e->effective)
		ts_text(eff, e->effective);
	if (e->rank)
		snprintf(rank, sizeof(rank), "%d", e->rank);
	if (e->amount >= 0)
		snprintf(amount, sizeof(amount), "%" PRId64, e->amount);
	const char *sealed = "\\N", *idx_p = "\\N", *type = "\\N";
	char masked[24] = "\\N", idx[65];
	if (e->person && !s->dry) {
		sealed = keyring_seal(&s->kr, &s->a, e->person->id, 18, "reg.entry.holder_id_number");
		char typed[48];
		int tl = snprintf(typed, sizeof(typed), "resident_id:%s", e->person->id);
		if (sealed == NULL || keyring_index(&s->kr, "id_number", typed, (size_t)tl, idx) != 0) {
			s->err = "an ID number could not be sealed";
			return -1;
		}
		OPENSSL_cleanse(typed, sizeof(typed));
		id_mask(e->person->id, masked, sizeof(masked));
		idx_p = idx;
		type = "resident_id";
	}
	if (e->to)
		s->ended[e->kind]++;
	else
		s->current[e->kind]++;
	s->waiting += e->waiting;
	return buf_printf(&s->eb, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t{%s%s}\t%s\t%s\t%s\t%s\n", e->unit,
			  kind_names[e->kind], rank, e->holder, type, sealed, masked, idx_p, e->share ? e->share : "\\N",
			  amount, e->cert, e->details ? e->details : "", e->details && *e->details ? ", " DETAILS_SRC : DETAILS_SRC,
			  from, to, e->waiting ? "t" : "f", eff);
}

static const char *const roads[] = {
	"民族大道", "人民路", "解放路", "建设路", "中山路", "新华路", "朝阳路", "友谊路", "东环路", "西环路",
	"南环路", "北环路", "江滨路", "五一路", "长江路", "青年路", "工业大道", "文化路", "学府路", "园湖路",
	"金湖路", "凤岭路", "桃源路", "星光大道", "秀厢大道", "滨江路", "龙腾路", "振兴路", "和平路", "胜利路",
	"团结路", "幸福路", "公园路", "体育路", "城北路", "城南路", "民主路", "光明路", "环城路", "迎宾大道",
};
static const char *const villages[] = {
	"新村", "东村", "西村", "那坡", "六合", "石门", "平安", "上林", "古城", "龙头", "大塘", "新圩",
	"那马", "三江口", "长塘", "木棉", "桥头", "罗村", "岭脚", "坡头", "红星", "凤凰", "板桥", "白沙",
};
static const char *const matters[] = {
	"对该不动产的权属存在争议", "主张该不动产为夫妻共同财产", "主张继承该不动产的份额", "主张该不动产买卖合同无效",
};
#define N(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

/* the court's name: the county's court or the city's intermediate court */
static void court_name(const struct county *c, struct synth_rng *r, char *out, size_t n)
{
	if (synth_chance(r, 500))
		snprintf(out, n, "%s中级人民法院", c->city);
	else
		snprintf(out, n, "%s%s人民法院", c->urban ? c->city : "", c->name);
}

/* A mortgage to a bank's branch in the unit's city, as a registration
 * writes it: the case's fields as details, a 不动产证明 number. */
static int mortgage(struct seeder *s, struct synth_rng *r, const struct county *c, const char *code, int rank,
		    int64_t from, int64_t to, int years, int64_t amount, const char *type, const char *debtor)
{
	const struct bank *b = &s->banks[synth_below(r, (uint32_t)s->nb)];
	char tf[16], tt[16], mname[200], det[512], cert[160];
	date_text(tf, day_at(from));
	date_text(tt, years_after(day_at(from), years));
	size_t cl = strlen(c->city);
	snprintf(mname, sizeof(mname), "%s%.*s分行", b->name,
		 (int)(cl >= 3 && strcmp(c->city + cl - 3, "市") == 0 ? cl - 3 : cl), c->city);
	snprintf(det, sizeof(det),
		 "\"mortgagee_bank\": \"%s\", \"mortgagee_name\": \"%s\", \"amount_fen\": %" PRId64
		 ", \"term_from\": \"%s\", \"term_to\": \"%s\", \"mortgage_type\": \"%s\", \"debtor\": \"%s\"",
		 b->code, mname, amount, tf, tt, type, debtor);
	if (cert_next(s, c, from, CERT_PROOF, cert) != 0)
		return -1;
	struct entry e = { code, K_MORT, rank, mname, NULL, NULL, amount, cert, det, from, to, 0, 0 };
	return emit(s, &e);
}

/* One unit and its entries, now and ended: the unit's line into ub, the
 * entries' into eb. */
static int one_unit(struct seeder *s, uint64_t index, FILE *dry)
{
	struct synth_place pl;
	synth_place_of(index, &pl);
	struct synth_rng pr, r;
	/* a building's county, street and kind: buildings of one parcel number
	 * lie in different counties (a parcel number is only unique within its
	 * county and zone), so even a small run spreads over many counties */
	synth_rng_init(&pr, s->seed, S_BUILDING, index / 64);
	int ci = weighted_county(s, &pr);
	const struct county *c = &s->c[ci];
	int rural = synth_chance(&pr, c->urban ? 40 : 450);
	/* the street and number follow from the building's index (a fixed
	 * permutation, shifted by the seed): no two buildings of the first
	 * 2.5 million units share an address */
	uint64_t b = index / 64, shift = synth_mix(s->seed);
	const char *road = roads[(b + shift) % N(roads)];
	int roadno = 1 + (int)((b / N(roads) * 7919 + shift / N(roads)) % 999);
	const char *village = villages[(b + shift) % N(villages)];
	int group = 1 + (int)(b / N(villages) % 99);
	synth_rng_init(&r, s->seed, S_UNIT, index);
	char code[29];
	if (synth_unit_code(code, c->code, index, rural) != 0)
		return -1;

	/* what the unit is, where, and how large (m², in hundredths) */
	const char *use;
	char loc[256];
	long area;
	int u = (int)synth_below(&r, 1000);
	int storey_rooms = pl.floor * 100 + pl.room;
	if (rural) {
		use = u < 950 ? "residential" : "other";
		snprintf(loc, sizeof(loc), "%s%s%s村%d组%d号", c->city, c->name, village, group,
			 (pl.building - 1) * 64 + (pl.floor - 1) * 4 + pl.room);
		area = 8000 + (long)synth_below(&r, 22000);
	} else if (u < 800) {
		use = "residential";
		snprintf(loc, sizeof(loc), "%s%s%s%d号%d栋%d室", c->city, c->name, road, roadno, pl.building, storey_rooms);
		area = 4500 + (long)synth_below(&r, 9000) + (long)synth_below(&r, 5000);
	} else if (u < 880) {
		use = "non_residential";
		snprintf(loc, sizeof(loc), "%s%s%s%d号%d栋%d号商铺", c->city, c->name, road, roadno, pl.building,
			 storey_rooms);
		area = 2000 + (long)synth_below(&r, 30000);
	} else if (u < 960) {
		use = "parking";
		snprintf(loc, sizeof(loc), "%s%s%s%d号地下车库B%d-%03d号车位", c->city, c->name, road, roadno,
			 1 + (int)synth_below(&r, 2), (pl.building - 1) * 64 + (pl.floor - 1) * 4 + pl.room);
		area = 1200 + (long)synth_below(&r, 500);
	} else if (u < 990) {
		use = "storeroom";
		snprintf(loc, sizeof(loc), "%s%s%s%d号%d栋负一层%d号储藏间", c->city, c->name, road, roadno, pl.building,
			 storey_rooms);
		area = 400 + (long)synth_below(&r, 1100);
	} else {
		use = "other";
		snprintf(loc, sizeof(loc), "%s%s%s%d号%d栋%d号", c->city, c->name, road, roadno, pl.building,
			 storey_rooms);
		area = 1000 + (long)synth_below(&r, 9000);
	}
	/* a value per m² (yuan) for mortgage and sale amounts */
	long price = (c->urban ? 6000 : 3000) + (long)synth_below(&r, c->urban ? 10000 : 4000);
	int64_t value_fen = (int64_t)area * price; /* area in hundredths of m², so fen */

	/* the owners now: one, or two or three by shares or jointly */
	struct person own[3];
	int no = synth_chance(&r, 740) ? 1 : synth_chance(&r, 880) ? 2 : 3;
	if (synth_chance(&r, 60) ? person_again(s, &r, &own[0]) != 0 && person_new(s, &r, ci, &own[0]) != 0
				  : person_new(s, &r, ci, &own[0]) != 0)
		return -1;
	for (int k = 1; k < no; k++)
		if (person_new(s, &r, ci, &own[k]) != 0)
			return -1;
	static const char *const shares2[][2] = { { "1/2", "1/2" }, { "1/3", "2/3" }, { "2/5", "3/5" } };
	static const char *const shares3[][3] = { { "1/3", "1/3", "1/3" }, { "1/2", "1/4", "1/4" } };
	const char *share[3] = { "1/1", NULL, NULL };
	if (no == 2) {
		int w = (int)synth_below(&r, 10);
		if (w < 4)
			share[0] = share[1] = "共同共有";
		else
			for (int k = 0; k < 2; k++)
				share[k] = shares2[w < 8 ? 0 : w - 7][k];
	} else if (no == 3) {
		int w = (int)synth_below(&r, 2);
		for (int k = 0; k < 3; k++)
			share[k] = shares3[w][k];
	}
	/* registered once the first owner was an adult */
	long adult = years_after(day_of(synth_id_birth(own[0].id)), 20);
	long lo = day_of(20030101) > adult ? day_of(20030101) : adult;
	if (lo > last_day - 60)
		lo = last_day - 60;
	int64_t own_from = when(&r, lo, last_day - 30);
	int64_t created = own_from;
	char cert[160], det[512];
	if (cert_next(s, c, own_from, CERT_RIGHT, cert) != 0)
		return -1;
	for (int k = 0; k < no; k++) {
		struct entry e = { code, K_OWN, 0, own[k].name, &own[k], share[k], -1, cert, "", own_from, 0, 0, 0 };
		if (emit(s, &e) != 0)
			return -1;
	}
	/* an earlier owner, ended by the transfer to the present ones */
	if (synth_chance(&r, 250) && own_from > at_day(first_day + 400, 0)) {
		struct person prev;
		int again = synth_chance(&r, 50) && person_again(s, &r, &prev) == 0;
		for (int k = 0; again && k < no; k++)
			again = prev.j != own[k].j; /* not one of the present owners */
		if (!again && person_new(s, &r, ci, &prev) != 0)
			return -1;
		int64_t pf = when(&r, first_day, day_at(own_from) - 180);
		char pc[160];
		if (cert_next(s, c, pf, CERT_RIGHT, pc) != 0)
			return -1;
		struct entry e = { code, K_OWN, 0, prev.name, &prev, "1/1", -1, pc, "", pf, own_from, 0, 0 };
		if (emit(s, &e) != 0)
			return -1;
		created = pf;
	}

	/* a mortgage paid off earlier (released), then mortgages in force in
	 * rank order, none overlapping the released one */
	int64_t base = own_from;
	if (synth_chance(&r, 200)) {
		int64_t mf = when(&r, day_at(own_from), day_at(own_from) + 700);
		if (mf <= own_from)
			mf = own_from + 600;
		long paid = day_at(mf) + 365 + (long)synth_below(&r, 8 * 365);
		if (paid > last_day - 60)
			paid = last_day - 60;
		int64_t mt = when(&r, paid, paid);
		if (mt > mf) {
			int64_t amount = value_fen * (20 + synth_below(&r, 40)) / 100 / 1000000 * 1000000 + 1000000;
			if (mortgage(s, &r, c, code, 1, mf, mt, 10, amount, "ordinary", own[0].name) != 0)
				return -1;
			base = mt;
		}
	}
	if (synth_chance(&r, 400)) {
		int nm = synth_chance(&r, 850) ? 1 : synth_chance(&r, 800) ? 2 : 3;
		int64_t mf = base;
		for (int k = 1; k <= nm; k++) {
			int64_t after = mf;
			mf = when(&r, day_at(mf), day_at(mf) + (k == 1 ? 90 : 900));
			if (mf > at_day(last_day, 17 * 3600))
				mf = at_day(last_day, 17 * 3600);
			if (mf <= after)
				mf = after + 600; /* later the same day */
			int years = k == 1 ? (strcmp(use, "residential") == 0 ? 10 + (int)synth_below(&r, 21)
									     : 3 + (int)synth_below(&r, 8))
					   : 1 + (int)synth_below(&r, 5);
			int64_t amount = value_fen * (k == 1 ? 30 + synth_below(&r, 41) : 5 + synth_below(&r, 16)) / 100;
			amount = amount / 1000000 * 1000000; /* whole ten thousands of yuan */
			if (amount < 1000000)
				amount = 1000000;
			if (mortgage(s, &r, c, code, k, mf, 0, years, amount, k == 1 ? "ordinary" : "maximum",
				     own[0].name) != 0)
				return -1;
		}
	}

	/* seizures by courts: one in force, sometimes another wait-listed behind
	 * it (轮候查封), and some released */
	int seized = synth_chance(&r, 15);
	if (seized) {
		int ns = synth_chance(&r, 700) ? 1 : 2;
		int64_t sf = when(&r, last_day - 3 * 365, last_day - 200);
		if (sf <= own_from)
			sf = own_from + 3600;
		for (int k = 1; k <= ns; k++) {
			if (k > 1)
				sf = when(&r, day_at(sf) + 1, day_at(sf) + 150);
			char court[160], tf[16], tt[16], rd[16];
			court_name(c, &r, court, sizeof(court));
			date_text(rd, day_at(sf) - 1 - (long)synth_below(&r, 10));
			date_text(tf, day_at(sf));
			date_text(tt, years_after(day_at(sf), 3));
			snprintf(det, sizeof(det),
				 "\"court\": \"%s\", \"document_number\": \"(%d)桂%.4s执%u号\", \"ruling_date\": \"%s\","
				 " \"term_from\": \"%s\", \"term_to\": \"%s\"",
				 court, year_at(sf), c->code + 2, 100 + synth_below(&r, 9000), rd, tf, tt);
			if (cert_next(s, c, sf, CERT_PROOF, cert) != 0)
				return -1;
			struct entry e = { code, K_SEIZ, k, court, NULL, NULL, -1, cert, det, sf, 0, k > 1, 0 };
			if (emit(s, &e) != 0)
				return -1;
		}
	} else if (synth_chance(&r, 7)) {
		char court[160], tf[16], tt[16], rd[16];
		court_name(c, &r, court, sizeof(court));
		int64_t sf = when(&r, day_at(own_from), last_day - 400);
		int64_t st = when(&r, day_at(sf) + 30, day_at(sf) + 360);
		date_text(rd, day_at(sf) - 2);
		date_text(tf, day_at(sf));
		date_text(tt, years_after(day_at(sf), 3));
		snprintf(det, sizeof(det),
			 "\"court\": \"%s\", \"document_number\": \"(%d)桂%.4s执%u号\", \"ruling_date\": \"%s\","
			 " \"term_from\": \"%s\", \"term_to\": \"%s\"",
			 court, year_at(sf), c->code + 2, 100 + synth_below(&r, 9000), rd, tf, tt);
		if (sf < st && day_at(sf) > day_at(own_from)) {
			if (cert_next(s, c, sf, CERT_PROOF, cert) != 0)
				return -1;
			struct entry e = { code, K_SEIZ, 1, court, NULL, NULL, -1, cert, det, sf, st, 0, 0 };
			if (emit(s, &e) != 0)
				return -1;
		}
	}

	/* a sale announced in advance (预告登记), on units not seized */
	if (!seized && synth_chance(&r, 30)) {
		char buyer[40], contract[40];
		struct synth_rng br;
		synth_rng_init(&br, s->seed, S_BUYER, index);
		synth_name(&br, (int)synth_below(&br, 2), buyer, sizeof(buyer));
		int64_t pf = when(&r, last_day - 700, last_day - 5);
		if (pf < own_from)
			pf = own_from;
		int64_t price_fen = value_fen / 1000000 * 1000000 + 1000000;
		snprintf(contract, sizeof(contract), "YS%d%07u", year_at(pf), synth_below(&r, 9999999));
		snprintf(det, sizeof(det),
			 "\"buyer\": \"%s\", \"seller\": \"%s\", \"contract_number\": \"%s\", \"price_fen\": %" PRId64, buyer,
			 own[0].name, contract, price_fen);
		if (cert_next(s, c, pf, CERT_PROOF, cert) != 0)
			return -1;
		struct entry e = { code, K_PRE, 0, buyer, NULL, NULL, price_fen, cert, det, pf, 0, 0, 0 };
		if (emit(s, &e) != 0)
			return -1;
	}

	/* objections (异议) by someone who disputes the ownership: in force, or
	 * lapsed after fifteen days without a suit */
	int obj = synth_chance(&r, 8) ? 1 : synth_chance(&r, 5) ? 2 : 0;
	if (obj) {
		struct person o;
		if (person_new(s, &r, ci, &o) != 0)
			return -1;
		int64_t of = obj == 1 ? when(&r, last_day - 14, last_day) : when(&r, day_at(own_from), last_day - 30);
		if (of < own_from)
			of = own_from;
		snprintf(det, sizeof(det), "\"matter\": \"%s\"", matters[synth_below(&r, N(matters))]);
		if (cert_next(s, c, of, CERT_PROOF, cert) != 0)
			return -1;
		struct entry e = { code, K_OBJ, 0, o.name, &o, NULL, -1, cert, det, of, obj == 2 ? of + 15 * DAY : 0, 0, 0 };
		if (emit(s, &e) != 0)
			return -1;
	}

	char created_at[48];
	ts_text(created_at, created);
	s->units++;
	if (dry) {
		fprintf(dry, "%s\t%s\t%s\t%ld.%02ld", code, loc, use, area / 100, area % 100);
		for (int k = 0; k < no; k++)
			fprintf(dry, "\t%s %.3s***********%.4s %s", own[k].name, own[k].id, own[k].id + 14, share[k]);
		fputc('\n', dry);
		return 0;
	}
	return buf_printf(&s->ub, "%s\t%s\t%s\t%s\t%ld.%02ld\t%s\n", code, c->code, loc, use, area / 100, area % 100,
			  created_at);
}

/* ---- loading -------------------------------------------------------------- */
int copy_in(struct db *d, const char *sql, struct buf *b)
{
	PGresult *r = PQexec(d->conn, sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		fprintf(stderr, "tbctl: %s: %s", sql, PQerrorMessage(d->conn));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	int rc = 0;
	for (size_t off = 0; off < b->len && rc == 0;) {
		size_t n = b->len - off > (1u << 20) ? (1u << 20) : b->len - off;
		if (PQputCopyData(d->conn, (const char *)b->p + off, (int)n) != 1)
			rc = -1;
		off += n;
	}
	if (PQputCopyEnd(d->conn, rc ? "seed-scale failed" : NULL) != 1)
		rc = -1;
	while ((r = PQgetResult(d->conn)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			fprintf(stderr, "tbctl: loading: %s", PQerrorMessage(d->conn));
			rc = -1;
		}
		PQclear(r);
	}
	b->len = 0;
	return rc;
}

double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress(const char *what, long done, long total, double t0, int tty, int last)
{
	double el = now_s() - t0, rate = el > 0 ? (double)done / el : 0;
	long eta = rate > 0 ? (long)((double)(total - done) / rate) : 0;
	if (tty) {
		int w = 30, fill = total ? (int)((double)w * (double)done / (double)total) : w;
		char bar[64];
		for (int i = 0; i < w; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[w] = '\0';
		fprintf(stderr, "\r[%s] %3d%% %ld/%ld %s  %.0f %s/s  ETA %ld:%02ld ", bar,
			total ? (int)(100 * done / total) : 100, done, total, what, rate, what, eta / 60, eta % 60);
		if (last)
			fputc('\n', stderr);
	} else {
		fprintf(stderr, "%ld/%ld %s, %.0f %s/s, ETA %lds\n", done, total, what, rate, what, eta);
	}
}

static const char *const q_copy_unit = "COPY reg.unit (code, county_code, location, use, area_m2, created_at) FROM STDIN";
static const char *const q_copy_entry =
	"COPY reg.entry (unit_code, kind, rank, holder_name, holder_id_type, holder_id_number,"
	" holder_id_number_masked, holder_id_number_index, share, amount_fen, certificate_no, details,"
	" valid_from, valid_to, waiting, effective_from) FROM STDIN";

int exec_ok(struct db *d, const char *sql)
{
	PGresult *r = PQexec(d->conn, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok)
		fprintf(stderr, "tbctl: %s: %s", sql, PQerrorMessage(d->conn));
	PQclear(r);
	return ok ? 0 : -1;
}

/* The certificate counters moved past what this run gave, so the platform
 * continues after them. */
static int save_counters(struct seeder *s, struct db *d)
{
	struct buf a = { 0 }, y = { 0 }, k = { 0 }, l = { 0 };
	int rc = 0, n = 0;
	rc |= buf_puts(&a, "{") | buf_puts(&y, "{") | buf_puts(&k, "{") | buf_puts(&l, "{");
	for (int ai = 0; ai < s->na; ai++)
		for (int yi = 0; yi < NYEARS; yi++)
			for (int ki = 0; ki < 2; ki++) {
				size_t i = ((size_t)ai * NYEARS + (size_t)yi) * 2 + (size_t)ki;
				if (s->cert[i] == s->cert0[i])
					continue;
				const char *sep = n++ ? "," : "";
				rc |= buf_printf(&a, "%s%s", sep, s->areas[ai].code) |
				      buf_printf(&y, "%s%d", sep, YEAR0 + yi) |
				      buf_printf(&k, "%s%s", sep, ki ? "proof" : "right") |
				      buf_printf(&l, "%s%d", sep, s->cert[i]);
			}
	rc |= buf_append(&a, "}", 2) | buf_append(&y, "}", 2) | buf_append(&k, "}", 2) | buf_append(&l, "}", 2);
	if (rc != 0 || n == 0)
		goto out;
	const char *pv[4] = { (char *)a.p, (char *)y.p, (char *)k.p, (char *)l.p };
	PGresult *r = PQexecParams(
		d->conn,
		"INSERT INTO cases.certificate_counter AS c (area_code, year, kind, last)"
		" SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::int[])"
		" ON CONFLICT (area_code, year, kind) DO UPDATE SET last = greatest(c.last, excluded.last)",
		4, NULL, pv, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "tbctl: certificate counters: %s", PQerrorMessage(d->conn));
		rc = -1;
	}
	PQclear(r);
out:
	buf_free(&a);
	buf_free(&y);
	buf_free(&k);
	buf_free(&l);
	return rc ? -1 : 0;
}

/* --verify: a sample of the seeded units, checked as a reader would: the
 * code passes the domain's check, every holder's ID number opens with the
 * data keys, is a valid resident ID of a county's prefix born 1940-2005, and
 * its masked form and keyed index are those of the opened number. */
static int verify(struct seeder *s, struct db *d, long sample)
{
	char lim[24];
	snprintf(lim, sizeof(lim), "%ld", sample);
	const char *pv[] = { lim };
	PGresult *r = PQexecParams(
		d->conn,
		"WITH u AS (SELECT code FROM reg.unit WHERE substr(code, 7, 1) = '9' ORDER BY code LIMIT $1::bigint)"
		" SELECT u.code, e.holder_id_type, e.holder_id_number, e.holder_id_number_masked,"
		" e.holder_id_number_index, e.holder_id_number_legacy IS NULL, e.kind"
		" FROM u LEFT JOIN reg.entry e ON e.unit_code = u.code AND e.kind IN ('ownership', 'objection') ORDER BY u.code",
		1, NULL, pv, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "tbctl: %s", PQerrorMessage(d->conn));
		PQclear(r);
		return 1;
	}
	long bad = 0, ids = 0, units = 0;
	const char *last = "";
	for (int i = 0; i < PQntuples(r); i++) {
		const char *code = PQgetvalue(r, i, 0);
		if (strcmp(code, last) != 0) {
			units++;
			last = code;
			if (unit_code_check(code) != UNIT_OK) {
				printf("%s: %s\n", code, unit_problem_text(unit_code_check(code)));
				bad++;
			}
		}
		if (PQgetisnull(r, i, 6))
			continue;
		ids++;
		const char *why = NULL;
		unsigned char *pt = NULL;
		size_t n = 0;
		char masked[40], idx[65], typed[64];
		arena_reset(&s->a);
		if (PQgetisnull(r, i, 2) || strcmp(PQgetvalue(r, i, 5), "t") != 0)
			why = "not sealed, or a clear value left in the legacy column";
		else if (keyring_open(&s->kr, &s->a, PQgetvalue(r, i, 2), "reg.entry.holder_id_number", &pt, &n) != 0)
			why = "does not open with the data keys";
		else if (n != 18 || !id_number_valid(ID_RESIDENT, (const char *)pt))
			why = "is not a valid resident ID number";
		else if (synth_id_birth((const char *)pt) < 19400101 || synth_id_birth((const char *)pt) > 20051231)
			why = "birth date outside 1940-2005";
		else {
			int county = 0;
			for (int k = 0; k < s->nc && !county; k++)
				county = strncmp(s->c[k].code, (const char *)pt, 6) == 0;
			id_mask((const char *)pt, masked, sizeof(masked));
			int tl = snprintf(typed, sizeof(typed), "%s:%s", PQgetvalue(r, i, 1), (const char *)pt);
			if (!county)
				why = "the prefix is not a county of ref.division";
			else if (strcmp(masked, PQgetvalue(r, i, 3)) != 0)
				why = "the masked form is not the number's";
			else if (keyring_index(&s->kr, "id_number", typed, (size_t)tl, idx) != 0 ||
				 strcmp(idx, PQgetvalue(r, i, 4)) != 0)
				why = "the index is not the number's";
			OPENSSL_cleanse(typed, sizeof(typed));
		}
		if (pt)
			OPENSSL_cleanse(pt, n);
		if (why) {
			printf("%s: a holder's ID number %s\n", code, why);
			bad++;
		}
	}
	PQclear(r);
	printf("verified %ld units and %ld ID numbers: %ld problem(s)\n", units, ids, bad);
	return bad ? 1 : 0;
}

/* The secondary indexes of reg.entry (neither its primary key nor a
 * constraint's), dropped for a load large against what is there and built
 * again before the commit: one sort per index instead of millions of
 * random inserts. Unique ones are checked again when they are rebuilt. The
 * definitions are kept in defs (one CREATE statement per line). */
int drop_indexes(struct db *d, const char *table, struct buf *defs, int *n)
{
	const char *pv[] = { table };
	PGresult *r = PQexecParams(d->conn, "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i"
				      " WHERE indrelid = $1::regclass AND NOT indisprimary"
				      " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
				      " ORDER BY 1", 1, NULL, pv, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "tbctl: %s", PQerrorMessage(d->conn));
		PQclear(r);
		return -1;
	}
	*n = PQntuples(r);
	int rc = 0;
	for (int i = 0; i < *n && rc == 0; i++) {
		char drop[300];
		snprintf(drop, sizeof(drop), "DROP INDEX %s", PQgetvalue(r, i, 0));
		rc = exec_ok(d, drop) | buf_printf(defs, "%s\n", PQgetvalue(r, i, 1));
	}
	PQclear(r);
	return rc ? -1 : 0;
}

int rebuild_indexes(struct db *d, struct buf *defs)
{
	if (buf_append(defs, "", 1) != 0)
		return -1;
	for (char *p = (char *)defs->p, *nl; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (exec_ok(d, p) != 0)
			return -1;
	}
	return 0;
}

static void usage_seed(void)
{
	fprintf(stderr, "usage: tbctl seed-scale --units N [--seed S] [--dry-run [--from UNIT] [--persons PERSON]]\n"
			"       tbctl seed-scale --verify [--sample N]\n"
			"  fills the registry with N synthetic units across every county (adds to an earlier run);\n"
			"  --dry-run prints what N units of seed S are (ID numbers masked), writing nothing: from the\n"
			"    first, or from where a run started (units_from, persons_from of its audit event);\n"
			"  --verify checks the first N seeded units (default 1000): codes, sealed ID numbers, masks, indexes\n");
}

int cmd_seed(int argc, char **argv)
{
	long units = -1;
	uint64_t seed = 1;
	int dry = 0, check = 0;
	long sample = 1000;
	uint64_t dry_from = 0, dry_persons = 0;
	for (int i = 1; i < argc; i++) {
		char *end;
		if (strcmp(argv[i], "--units") == 0 && i + 1 < argc) {
			errno = 0;
			units = strtol(argv[++i], &end, 10);
			if (errno || *end || units < 1 || units > 100000000) {
				fprintf(stderr, "tbctl: --units must be a whole number from 1 to 100000000\n");
				return 2;
			}
		} else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
			errno = 0;
			seed = strtoull(argv[++i], &end, 10);
			if (errno || *end || argv[i][0] == '-' || argv[i][0] == '\0') {
				fprintf(stderr, "tbctl: --seed must be a whole number\n");
				return 2;
			}
		} else if (strcmp(argv[i], "--dry-run") == 0) {
			dry = 1;
		} else if ((strcmp(argv[i], "--from") == 0 || strcmp(argv[i], "--persons") == 0) && i + 1 < argc) {
			/* where a dry run starts: the unit_from and persons_from of a run's audit event */
			uint64_t *v = strcmp(argv[i], "--from") == 0 ? &dry_from : &dry_persons;
			errno = 0;
			*v = strtoull(argv[++i], &end, 10);
			if (errno || *end || argv[i][0] == '-' || argv[i][0] == '\0') {
				fprintf(stderr, "tbctl: %s must be a whole number\n", argv[i - 1]);
				return 2;
			}
		} else if (strcmp(argv[i], "--verify") == 0) {
			check = 1;
		} else if (strcmp(argv[i], "--sample") == 0 && i + 1 < argc) {
			errno = 0;
			sample = strtol(argv[++i], &end, 10);
			if (errno || *end || sample < 1) {
				fprintf(stderr, "tbctl: --sample must be a positive whole number\n");
				return 2;
			}
		} else {
			usage_seed();
			return 2;
		}
	}
	if ((units < 0) != check) {
		usage_seed();
		return 2;
	}
	double t_begin = now_s(), t_loaded = 0, t_indexed = 0;
	first_day = day_of(19950101);
	last_day = day_of(20251231);
	struct seeder *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return 1;
	s->seed = seed;
	s->dry = dry;
	arena_init(&s->a, 0);
	struct db d = { 0 };
	int rc = 1, tx = 0;
	if ((!dry && tbctl_keys(&s->kr) != 0) || tbctl_connect(&d) != 0)
		goto out;
	if (load_reference(s, &d) != 0)
		goto out;
	if (check) {
		rc = verify(s, &d, sample);
		goto out;
	}
	if (dry) {
		/* no certificate numbers are shown: counters from zero */
		s->cert = calloc((size_t)s->na * NYEARS * 2, sizeof(*s->cert));
		if (s->cert == NULL)
			goto out;
		s->next_person = s->person_from = dry_persons;
		for (long i = 0; i < units; i++)
			if (one_unit(s, dry_from + (uint64_t)i, stdout) != 0)
				goto out;
			else
				s->eb.len = 0;
		rc = 0;
		goto out;
	}
	if (exec_ok(&d, "BEGIN") != 0)
		goto out;
	tx = 1;
	/* one seeder at a time: a second waits here, then continues after the first */
	if (exec_ok(&d, "SELECT pg_advisory_xact_lock(hashtext('tbctl seed-scale'))") != 0)
		goto out;
	PGresult *r = PQexec(d.conn, "SELECT coalesce(max((details->>'units_to')::bigint), 0),"
				     " coalesce(max((details->>'persons_to')::bigint), 0)"
				     " FROM audit.event WHERE action = 'registry.seed_scale' AND outcome = 'success'");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "tbctl: reading earlier runs: %s", PQerrorMessage(d.conn));
		PQclear(r);
		goto out;
	}
	uint64_t from = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
	s->next_person = s->person_from = strtoull(PQgetvalue(r, 0, 1), NULL, 10);
	PQclear(r);
	if (load_counters(s, &d) != 0)
		goto out;
	if (from + (uint64_t)units > SYNTH_UNIT_MAX) {
		fprintf(stderr, "tbctl: the synthetic unit numbering is full\n");
		goto out;
	}
	/* about 1.5 persons a unit: refuse now rather than fail after hours */
	if ((double)s->next_person + 1.6 * (double)units > (double)synth_person_max()) {
		fprintf(stderr, "tbctl: %ld more units would need more distinct ID numbers than are left"
				" (%" PRIu64 " persons exist; at most about %.0f more units)\n",
			units, s->next_person, (double)(synth_person_max() - s->next_person) / 1.6);
		goto out;
	}
	/* a load large against what is there goes in without the secondary
	 * indexes, rebuilt before the commit (TB_SEED_REBUILD=0 or 1 forces
	 * the choice, for measurements) */
	long existing = 0;
	r = PQexec(d.conn, "SELECT reltuples::bigint FROM pg_class WHERE oid = 'reg.entry'::regclass");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		existing = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	const char *env_drop = getenv("TB_SEED_REBUILD");
	/* measured on 1.2 million units: a rebuild costs about 40 us a row
	 * (old and new), keeping the indexes about 180 us a new row, so the
	 * rebuild pays from about a third of what is there (2.3 entries a unit) */
	int rebuild = env_drop ? atoi(env_drop) : (double)units * 2.3 * 3 >= (double)existing;
	int nidx = 0;
	struct buf defs = { 0 };
	if (rebuild && (exec_ok(&d, "SET LOCAL maintenance_work_mem = '256MB'") != 0 ||
			drop_indexes(&d, "reg.entry", &defs, &nidx) != 0)) {
		buf_free(&defs);
		goto out;
	}
	if (from)
		fprintf(stderr, "seed-scale: %" PRIu64 " synthetic units are already there: adding %ld more\n", from,
			units);
	int tty = isatty(2);
	double t0 = now_s(), shown = t0;
	for (long done = 0; done < units;) {
		long n = units - done < BATCH ? units - done : BATCH;
		for (long k = 0; k < n; k++) {
			arena_reset(&s->a);
			if (one_unit(s, from + (uint64_t)(done + k), NULL) != 0) {
				fprintf(stderr, "tbctl: generating unit %ld: %s\n", done + k,
					s->err ? s->err : "out of memory");
				goto out;
			}
		}
		if (copy_in(&d, q_copy_unit, &s->ub) != 0 || copy_in(&d, q_copy_entry, &s->eb) != 0)
			goto out;
		done += n;
		double t = now_s();
		if (done == units || t - shown >= (tty ? 0.25 : 10.0)) {
			progress("units", done, units, t0, tty, done == units);
			shown = t;
		}
	}
	t_loaded = now_s();
	if (rebuild) {
		double ti = t_loaded;
		if (tty)
			fprintf(stderr, "building %d indexes again...", nidx);
		int bad = rebuild_indexes(&d, &defs);
		buf_free(&defs);
		if (bad)
			goto out;
		if (tty)
			fprintf(stderr, " %.1f s\n", now_s() - ti);
		else
			fprintf(stderr, "seed-scale: %d indexes built again in %.1f s\n", nidx, now_s() - ti);
	}
	buf_free(&defs);
	t_indexed = now_s();
	if (save_counters(s, &d) != 0)
		goto out;
	/* cached search answers (if the search cache's generation exists) may
	 * say "nothing" for what is now there: they all lapse */
	if (exec_ok(&d, "DO $$ BEGIN IF to_regclass('reg.search_generation') IS NOT NULL THEN"
			" UPDATE reg.search_generation SET n = n + 1, bumped_at = now(); END IF; END $$") != 0)
		goto out;
	long entries = 0;
	for (int k = 0; k < NKINDS; k++)
		entries += s->current[k] + s->ended[k];
	char details[600];
	snprintf(details, sizeof(details),
		 "{\"seed\": %" PRIu64 ", \"units\": %ld, \"entries\": %ld, \"units_from\": %" PRIu64
		 ", \"units_to\": %" PRIu64 ", \"persons_from\": %" PRIu64 ", \"persons_to\": %" PRIu64 "}",
		 seed, units, entries, from, from + (uint64_t)units, s->person_from, s->next_person);
	const char *pa[] = { details };
	r = PQexecParams(d.conn,
			 "INSERT INTO audit.event (at, actor_name, action, object_type, outcome, client_addr, details)"
			 " VALUES (now(), 'tbctl', 'registry.seed_scale', 'registry', 'success', 'local', $1::jsonb)",
			 1, NULL, pa, NULL, NULL, 0);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "tbctl: audit: %s", PQerrorMessage(d.conn));
	PQclear(r);
	if (!ok || exec_ok(&d, "COMMIT") != 0)
		goto out;
	tx = 0;
	double t_commit = now_s();
	if (exec_ok(&d, "ANALYZE reg.unit, reg.entry") != 0)
		goto out;
	double t_end = now_s(), total = t_end - t_begin;
	printf("seeded %ld units (seed %" PRIu64 ", unit indexes %" PRIu64 "-%" PRIu64 ") in %.1f s, %.0f units/s"
	       " (reading what is there %.1f s, loading %.1f s, indexes %.1f s, commit %.1f s, ANALYZE %.1f s)\n",
	       units, seed, from, from + (uint64_t)units - 1, total, (double)units / total, t0 - t_begin, t_loaded - t0,
	       t_indexed - t_loaded, t_commit - t_indexed, t_end - t_commit);
	printf("entries: %ld in force, %ld ended\n", entries - s->ended[0] - s->ended[1] - s->ended[2] - s->ended[3] -
							 s->ended[4],
	       s->ended[0] + s->ended[1] + s->ended[2] + s->ended[3] + s->ended[4]);
	for (int k = 0; k < NKINDS; k++)
		printf("  %-10s %9ld in force %9ld ended\n", kind_names[k], s->current[k], s->ended[k]);
	printf("  (%ld seizures wait-listed; %" PRIu64 " persons)\n", s->waiting, s->next_person - s->person_from);
	rc = 0;
out:
	if (tx)
		exec_ok(&d, "ROLLBACK");
	db_close(&d);
	if (!dry)
		keyring_wipe(&s->kr);
	arena_free(&s->a);
	buf_free(&s->ub);
	buf_free(&s->eb);
	free(s->c);
	free(s->areas);
	free(s->banks);
	free(s->cert);
	free(s->cert0);
	free(s);
	return rc;
}
