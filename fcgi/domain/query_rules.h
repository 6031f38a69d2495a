/* Who may see what in an archive query (查档), after 不动产登记资料查询暂行办法:
 * one row per requester kind, read by the query service and shown in the
 * README. Pure data and functions, no I/O: the service says whether the
 * requester (or the person a condition names) holds a unit; these rules say
 * whether that unit is shown and which of its members. */
#ifndef TB_QUERY_RULES_H
#define TB_QUERY_RULES_H

enum qr_kind {
	QR_HOLDER,		/* 权利人: their own units */
	QR_HEIR_GUARDIAN,	/* 继承人、受遗赠人、监护人: as holder of the deceased's / ward's units */
	QR_INTERESTED_PARTY,	/* 利害关系人: the units of their contract or case */
	QR_PROSPECTIVE_PARTY,	/* 拟交易的利害关系人: yes/no facts only */
	QR_LAWYER,		/* 律师 with a court's investigation order (调查令) */
	QR_STATE_ORGAN,		/* 国家机关 with a document (协助查询文书) */
	QR_KIND_COUNT,
	QR_INVALID = QR_KIND_COUNT,
};

/* How much of a unit a result carries (the result's "visibility"). */
enum qr_visibility {
	QV_FACTS,	/* code, location, use, area, county and the yes/no facts */
	QV_REGISTER,	/* + holders' names, shares, certificate numbers; mortgages' rank,
			 * mortgagee, certificate; pre-notices, seizures, objections */
	QV_FULL,	/* + holders' ID type and masked number, mortgages' amount and term */
};

/* The search conditions a query may name. */
enum qr_cond { QC_UNIT_CODE = 1 << 0, QC_CERTIFICATE_NO = 1 << 1, QC_HOLDER = 1 << 2 };

/* Which units of the registry's answer a kind is shown. */
enum qr_units {
	QU_ALL,			/* every unit the conditions find (inside the clerk's divisions) */
	QU_REQUESTER_HOLDS,	/* only units where the requester's ID index is a holder's */
	QU_CONDITION_HOLDS,	/* only units where the condition's person is a holder */
};

struct qr_rule {
	enum qr_kind kind;
	const char *name;		/* as in the API: "holder", … */
	const char *label;		/* Chinese, for certificates and screens */
	int needs_reference;		/* a reference (contract/case no., order, document) */
	const char *reference_what;	/* what the reference is, for the refusal */
	unsigned conditions;		/* enum qr_cond bits allowed */
	enum qr_units units;
	enum qr_visibility visibility;
	int queried_by;			/* the result lists who else queried these units */
};

extern const struct qr_rule qr_rules[QR_KIND_COUNT];

/* The kind named s, or QR_INVALID (NULL too). */
enum qr_kind qr_kind_parse(const char *s);
const struct qr_rule *qr_rule_of(enum qr_kind k); /* NULL for QR_INVALID */
const char *qr_visibility_name(enum qr_visibility v); /* "facts", "register", "full" */

/* Is a unit of the registry's answer shown to this kind? requester_holds:
 * the requester's index is one of the unit's holders'; condition_holds: the
 * condition's person is (0 when the condition names no person). */
int qr_unit_shown(const struct qr_rule *r, int requester_holds, int condition_holds);

/* The members of a unit a visibility shows. */
enum qr_field {
	QF_FACTS,		/* "facts": always */
	QF_HOLDERS,		/* "holders" array: name, share, certificate_no */
	QF_HOLDER_ID,		/* holders' id_type and id_number_masked */
	QF_MORTGAGES,		/* "mortgages": rank, mortgagee, certificate_no */
	QF_MORTGAGE_TERMS,	/* mortgages' amount_fen, term_from, term_to */
	QF_PRE_NOTICES,		/* "pre_notices": holder_name, certificate_no */
	QF_SEIZURES,		/* "seizures": authority, waiting */
	QF_OBJECTIONS,		/* "objections": holder_name */
	QF_COUNT,
};
int qr_field_shown(enum qr_visibility v, enum qr_field f);

/* The yes/no facts of one unit from what it has in force. */
struct qr_facts {
	int exists, co_owned, mortgaged, pre_noticed, objected, seized;
};
struct qr_facts qr_facts_of(int owners, int mortgages, int pre_notices, int objections, int seizures);

/* Volume alerts: today's count (this query included) against the user's
 * own daily average over the previous 30 days; distinct holders touched
 * by the user's queries in the last hour. */
#define QR_ALERT_FACTOR 3
#define QR_ALERT_MIN_DAILY 20
#define QR_ALERT_HOLDERS_PER_HOUR 20
/* 1 when today's count is unusual: above QR_ALERT_FACTOR times the average
 * (sum_30 / 30 days) and above QR_ALERT_MIN_DAILY. */
int qr_volume_unusual(long today, long sum_previous_30_days);
int qr_holders_unusual(long distinct_holders_last_hour);

#endif
