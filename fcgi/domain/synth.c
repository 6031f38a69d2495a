#include "synth.h"

#include <stdio.h>
#include <string.h>

#include "register.h"
#include "workdays.h"

uint64_t synth_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void synth_rng_init(struct synth_rng *r, uint64_t seed, uint64_t stream, uint64_t index)
{
	r->s = synth_mix(synth_mix(seed ^ synth_mix(stream)) ^ index);
}

uint64_t synth_next(struct synth_rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	uint64_t z = r->s;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint32_t synth_below(struct synth_rng *r, uint32_t n)
{
	/* the top 32 bits scaled: bias below 2^-32 per draw, fine for test data */
	return (uint32_t)(((synth_next(r) >> 32) * (uint64_t)n) >> 32);
}

int synth_chance(struct synth_rng *r, unsigned per_mille)
{
	return synth_below(r, 1000) < per_mille;
}

void synth_place_of(uint64_t index, struct synth_place *p)
{
	p->room = (int)(index % 4) + 1;
	p->floor = (int)(index / 4 % 16) + 1;
	p->building = (int)(index / 64 % 8) + 1;
	p->parcel = index / SYNTH_UNITS_PER_PARCEL;
}

int synth_unit_code(char out[29], const char *county, uint64_t index, int rural)
{
	if (index >= SYNTH_UNIT_MAX || county == NULL || strlen(county) != 6)
		return -1;
	struct synth_place p;
	synth_place_of(index, &p);
	/* zone 900 + p / 10^8, subzone (p / 10^5) mod 1000, parcel p mod 10^5:
	 * one-to-one in the index, and increasing with it */
	unsigned zone = 900 + (unsigned)(p.parcel / 100000000ULL);
	unsigned sub = (unsigned)(p.parcel / 100000ULL % 1000);
	unsigned parcel = (unsigned)(p.parcel % 100000ULL);
	int n = snprintf(out, 29, "%.6s%03u%03u%s%05uF%04d%02d%02d", county, zone, sub, rural ? "JC" : "GB", parcel,
			 p.building, p.floor, p.room);
	return n == 28 ? 0 : -1;
}

/* Birth dates 1940-01-01..2005-12-31, and the sequence codes not used by the
 * demo data and the tests (001 002 071 123 231 661 991), nor 000. */
#define BIRTH_FIRST 19400101
#define BIRTH_DAYS 24107
#define NSEQ 992
static const int reserved_seq[] = { 0, 1, 2, 71, 123, 231, 661, 991 };
/* a prime above the domain: coprime with it, so i -> (A i + B) mod M is a permutation */
#define PERM_A 2147483647ULL
#define PERM_B 7654321ULL

uint64_t synth_person_max(void)
{
	return (uint64_t)BIRTH_DAYS * NSEQ;
}

static int seq_value(unsigned k)
{
	/* the k-th sequence code (0-based) that is not reserved */
	int v = (int)k;
	for (size_t i = 0; i < sizeof(reserved_seq) / sizeof(reserved_seq[0]); i++)
		if (v >= reserved_seq[i])
			v++;
	return v;
}

int synth_id_number(char out[19], const char *county, uint64_t person)
{
	uint64_t m = synth_person_max();
	if (person >= m || county == NULL || strlen(county) != 6)
		return -1;
	uint64_t x = (PERM_A % m * person + PERM_B) % m;
	long day = ymd_to_days(BIRTH_FIRST) + (long)(x / NSEQ);
	int born = days_to_ymd(day);
	int seq = seq_value((unsigned)(x % NSEQ));
	if (snprintf(out, 19, "%.6s%08d%03d", county, born, seq) != 17)
		return -1;
	out[17] = id_resident_check(out);
	out[18] = '\0';
	return 0;
}

int synth_id_male(const char *id)
{
	return (id[16] - '0') % 2 == 1;
}

int synth_id_birth(const char *id)
{
	int v = 0;
	for (int i = 6; i < 14; i++)
		v = v * 10 + (id[i] - '0');
	return v;
}

/* Surnames roughly as common in Guangxi (韦, 黄, 覃, 蒙, 莫, 农 among the
 * national ones); the first ones are drawn more often. */
static const char *const surnames[] = {
	"黄", "李", "韦", "陈", "梁", "刘", "覃", "莫", "林", "张", "王", "杨", "蒙", "陆", "廖", "周", "吴",
	"罗", "唐", "邓", "潘", "卢", "何", "谢", "苏", "农", "蓝", "赵", "冯", "曾", "蒋", "秦", "徐",
	"朱", "胡", "马", "郭", "钟", "孙", "宋", "甘", "邱", "庞", "欧阳", "谭", "石", "龙", "文",
};
static const char *const male_given[] = {
	"伟", "强", "军", "勇", "杰", "涛", "斌", "明", "华", "建", "国", "志", "文", "海", "波", "平",
	"东", "林", "峰", "辉", "超", "刚", "鹏", "磊", "宇", "浩", "俊", "毅", "健", "荣", "德", "忠",
	"福", "兴", "永", "金", "成", "贵", "庆", "飞", "凯", "晨", "宏", "军", "新", "光", "春", "龙",
};
static const char *const female_given[] = {
	"芳", "娟", "敏", "静", "丽", "艳", "霞", "秀", "英", "华", "玲", "燕", "红", "梅", "琳", "婷",
	"雪", "慧", "兰", "萍", "春", "桂", "凤", "云", "月", "洁", "琴", "莉", "倩", "颖", "丹", "妹",
	"金", "珍", "翠", "媛", "欣", "悦", "佳", "思", "晓", "小", "美", "淑", "素", "爱", "彩", "玉",
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

void synth_name(struct synth_rng *r, int male, char *out, size_t outlen)
{
	/* a skewed draw: the minimum of two uniform draws favours the front */
	uint32_t a = synth_below(r, (uint32_t)COUNT(surnames)), b = synth_below(r, (uint32_t)COUNT(surnames));
	const char *sur = surnames[a < b ? a : b];
	const char *const *given = male ? male_given : female_given;
	size_t ng = male ? COUNT(male_given) : COUNT(female_given);
	const char *g1 = given[synth_below(r, (uint32_t)ng)];
	if (synth_chance(r, 300))
		snprintf(out, outlen, "%s%s", sur, g1);
	else
		snprintf(out, outlen, "%s%s%s", sur, given[synth_below(r, (uint32_t)ng)], g1);
}
