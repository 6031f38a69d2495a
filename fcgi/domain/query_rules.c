#include "query_rules.h"

#include <stddef.h>
#include <string.h>

/* The table the README shows ("Archive queries"). */
const struct qr_rule qr_rules[QR_KIND_COUNT] = {
	[QR_HOLDER] = { QR_HOLDER, "holder", "权利人", 0, NULL, QC_UNIT_CODE | QC_CERTIFICATE_NO | QC_HOLDER,
			QU_REQUESTER_HOLDS, QV_FULL, 1 },
	/* the person whose units are asked for must be named: whether they hold
	 * a unit is what the result is restricted by */
	[QR_HEIR_GUARDIAN] = { QR_HEIR_GUARDIAN, "heir_guardian", "继承人/受遗赠人/监护人", 0, NULL, QC_HOLDER,
			       QU_CONDITION_HOLDS, QV_FULL, 0 },
	/* the units of their contract or case: asked for by unit or certificate,
	 * never by a person's name and number */
	[QR_INTERESTED_PARTY] = { QR_INTERESTED_PARTY, "interested_party", "利害关系人", 1,
				  "the contract or case number", QC_UNIT_CODE | QC_CERTIFICATE_NO, QU_ALL,
				  QV_REGISTER, 0 },
	[QR_PROSPECTIVE_PARTY] = { QR_PROSPECTIVE_PARTY, "prospective_party", "拟交易利害关系人", 0, NULL,
				   QC_UNIT_CODE | QC_CERTIFICATE_NO, QU_ALL, QV_FACTS, 0 },
	[QR_LAWYER] = { QR_LAWYER, "lawyer", "律师（持调查令）", 1, "the investigation order (调查令) number",
			QC_UNIT_CODE | QC_CERTIFICATE_NO | QC_HOLDER, QU_ALL, QV_REGISTER, 0 },
	[QR_STATE_ORGAN] = { QR_STATE_ORGAN, "state_organ", "国家机关", 1, "the document (协助查询文书) number",
			     QC_UNIT_CODE | QC_CERTIFICATE_NO | QC_HOLDER, QU_ALL, QV_FULL, 0 },
};

enum qr_kind qr_kind_parse(const char *s)
{
	if (s == NULL)
		return QR_INVALID;
	for (int k = 0; k < QR_KIND_COUNT; k++)
		if (strcmp(s, qr_rules[k].name) == 0)
			return (enum qr_kind)k;
	return QR_INVALID;
}

const struct qr_rule *qr_rule_of(enum qr_kind k)
{
	return (int)k >= 0 && k < QR_KIND_COUNT ? &qr_rules[k] : NULL;
}

const char *qr_visibility_name(enum qr_visibility v)
{
	switch (v) {
	case QV_FULL:
		return "full";
	case QV_REGISTER:
		return "register";
	case QV_FACTS:
		break;
	}
	return "facts";
}

int qr_unit_shown(const struct qr_rule *r, int requester_holds, int condition_holds)
{
	if (r == NULL)
		return 0;
	switch (r->units) {
	case QU_ALL:
		return 1;
	case QU_REQUESTER_HOLDS:
		return requester_holds != 0;
	case QU_CONDITION_HOLDS:
		return condition_holds != 0;
	}
	return 0;
}

/* rows: visibility; columns: enum qr_field */
static const unsigned char field_table[3][QF_COUNT] = {
	/*              facts holders id  mortg terms pre seiz obj */
	[QV_FACTS] = { 1, 0, 0, 0, 0, 0, 0, 0 },
	[QV_REGISTER] = { 1, 1, 0, 1, 0, 1, 1, 1 },
	[QV_FULL] = { 1, 1, 1, 1, 1, 1, 1, 1 },
};

int qr_field_shown(enum qr_visibility v, enum qr_field f)
{
	if ((int)v < 0 || v > QV_FULL || (int)f < 0 || f >= QF_COUNT)
		return 0;
	return field_table[v][f];
}

struct qr_facts qr_facts_of(int owners, int mortgages, int pre_notices, int objections, int seizures)
{
	/* a unit exists in the answer even without an owner in force (a unit
	 * with only a pre-notice, or all rights ended) */
	return (struct qr_facts){ .exists = 1, .co_owned = owners > 1, .mortgaged = mortgages > 0,
				  .pre_noticed = pre_notices > 0, .objected = objections > 0,
				  .seized = seizures > 0 };
}

int qr_volume_unusual(long today, long sum_previous_30_days)
{
	if (today <= QR_ALERT_MIN_DAILY)
		return 0;
	/* today > factor * sum / 30, in integers */
	return today * 30 > (long)QR_ALERT_FACTOR * sum_previous_30_days;
}

int qr_holders_unusual(long distinct_holders_last_hour)
{
	return distinct_holders_last_hour > QR_ALERT_HOLDERS_PER_HOUR;
}
