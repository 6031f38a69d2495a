#include "history.h"

#include <string.h>

#include "query_rules.h"
#include "synth.h"

enum { S_CASE = 101, S_QUERY = 102 };	/* streams apart from seed-scale's (1-4) */

static const char *const action_names[HA_COUNT] = {
	"create", "submit", "accept", "request_supplement", "resubmit", "reject", "approve",
	"register", "set_fees", "record_payment", "issue", "deliver", "close", "withdraw",
};
static const char *const state_names[HS_COUNT] = {
	NULL, "draft", "submitted", "accepted", "supplement_requested", "rejected", "approved",
	"registered", "fees_set", "paid", "issued", "delivered", "closed", "withdrawn",
};

const char *hist_action_name(enum hist_action a)
{
	return a < HA_COUNT ? action_names[a] : NULL;
}

const char *hist_state_name(enum hist_state s)
{
	return s < HS_COUNT ? state_names[s] : NULL;
}

const char *hist_channel_name(enum hist_channel c)
{
	return c == HPAY_CASH ? "cash" : c == HPAY_POS ? "pos" : c == HPAY_WECHAT ? "wechat" : NULL;
}

/* Shares per 10 000, after the mix of a county registration centre's
 * cases: mortgages (new loans and their release) are about half, then
 * pre-notices of off-plan sales, transfers and first registrations where
 * the ownership pilot is on, court seizures, objections. Types not listed
 * (and types a database adds later) are not generated. */
static const struct {
	const char *code;
	unsigned share;
} shares[] = {
	{ "mortgage.establish", 2600 },	  { "mortgage.cancellation", 1900 }, { "mortgage.change", 350 },
	{ "mortgage.transfer", 150 },	  { "mortgage.other", 50 },	     { "pre_notice.establish", 1300 },
	{ "pre_notice.cancellation", 350 }, { "pre_notice.transfer", 100 },  { "pre_notice.change", 60 },
	{ "pre_notice.other", 20 },	  { "ownership.transfer", 1400 },    { "ownership.establish", 700 },
	{ "ownership.change", 400 },	  { "ownership.cancellation", 80 },  { "ownership.other", 40 },
	{ "seizure.establish", 260 },	  { "seizure.cancellation", 160 },   { "objection.establish", 50 },
	{ "objection.cancellation", 20 },
};

unsigned hist_type_share(const char *code)
{
	for (size_t i = 0; code && i < sizeof(shares) / sizeof(shares[0]); i++)
		if (strcmp(shares[i].code, code) == 0)
			return shares[i].share;
	return 0;
}

/* ---- time ------------------------------------------------------------------ */
#define DAY 86400L
static int64_t at_day(long day, long secs)
{
	return (int64_t)day * DAY - 8 * 3600 + secs;
}
static long day_at(int64_t t)
{
	int64_t b = t + 8 * 3600;
	return (long)(b >= 0 ? b / DAY : (b - DAY + 1) / DAY);
}
static long secs_at(int64_t t)
{
	return (long)(t + 8 * 3600 - (int64_t)day_at(t) * DAY);
}

int hist_due(const struct calendar *cal, int64_t t, int n)
{
	return workdays_add(cal, days_to_ymd(day_at(t)), n);
}

static int workday(const struct calendar *cal, long day)
{
	return workday_is(cal, days_to_ymd(day));
}

/* the working day k working days after day (k 0: day itself if a working
 * day, else the next one) */
static long wd_after(const struct calendar *cal, long day, int k)
{
	if (k > 0)
		return ymd_to_days(workdays_add(cal, days_to_ymd(day), k));
	while (!workday(cal, day))
		day++;
	return day;
}

#define OPEN (8L * 3600 + 30 * 60)	/* 08:30 */
#define SHUT (17L * 3600 + 30 * 60)	/* 17:30 */

/* A moment after t: k working days later at some office hour, or (k 0)
 * later the same day when the office is still open, else the next
 * working morning. Always after t. */
static int64_t step(struct synth_rng *r, const struct calendar *cal, int64_t t, int k)
{
	long d = day_at(t);
	if (k == 0) {
		long s = secs_at(t) + 300 + (long)synth_below(r, 5400);
		if (s < SHUT && workday(cal, d))
			return at_day(d, s);
		k = 1;
	}
	d = wd_after(cal, d, k);
	return at_day(d, OPEN + (long)synth_below(r, (uint32_t)(SHUT - OPEN - 3600)));
}

/* A working day of the history, rising in volume towards today (the last
 * month about a third busier than the first), and its position 0..999. */
static long history_day(const struct hist_params *p, struct synth_rng *r, int *pos)
{
	int ymd = days_to_ymd(p->today);
	int y = ymd / 10000, m = ymd / 100 % 100 - (p->months - 1);
	while (m < 1) {
		m += 12;
		y--;
	}
	long start = ymd_to_days(y * 10000 + m * 100 + 1), span = p->today - start + 1;
	long d = p->today;
	for (int tries = 0; tries < 64; tries++) {
		uint32_t u = synth_below(r, 1000);
		if (synth_below(r, 1300) >= 1000 + 3 * u / 10)
			continue;
		d = start + (long)((int64_t)u * span / 1000) + (long)synth_below(r, (uint32_t)(span / 1000 + 1));
		if (d > p->today)
			d = p->today;
		if (workday(p->cal, d))
			break;
	}
	while (!workday(p->cal, d) && d > start)
		d--;
	*pos = (int)((d - start) * 1000 / span);
	return d;
}

static size_t weighted(struct synth_rng *r, const struct hist_county *c, size_t n, unsigned sum)
{
	uint32_t w = synth_below(r, sum);
	for (size_t i = 0; i < n; i++) {
		if (w < c[i].weight)
			return i;
		w -= c[i].weight;
	}
	return n - 1;
}

static unsigned county_sum(const struct hist_params *p)
{
	unsigned s = 0;
	for (size_t i = 0; i < p->ncounties; i++)
		s += p->counties[i].weight;
	return s;
}

/* ---- a case ----------------------------------------------------------------- */
struct build {
	struct hist_case *c;
	struct synth_rng *r;
	const struct calendar *cal;
	int64_t t;
};

static void ev(struct build *b, enum hist_action a, enum hist_state from, enum hist_state to, enum hist_side side,
	       int actor, int64_t at)
{
	struct hist_case *c = b->c;
	if (c->nev >= HIST_MAX_EVENTS)
		return;
	if (c->nev > 0 && at <= c->ev[c->nev - 1].at)
		at = c->ev[c->nev - 1].at + 1;
	c->ev[c->nev++] = (struct hist_event){ a, from, to, side, at, actor };
	b->t = at;
}

int hist_case(const struct hist_params *p, uint64_t index, struct hist_case *out)
{
	unsigned tsum = 0, csum = county_sum(p);
	for (size_t i = 0; i < p->ntypes; i++)
		tsum += p->types[i].weight;
	if (tsum == 0 || csum == 0 || p->months < 1)
		return -1;
	memset(out, 0, sizeof(*out));
	struct synth_rng r;
	synth_rng_init(&r, p->seed, S_CASE, index);
	struct build b = { out, &r, p->cal, 0 };

	/* where, then what: pilot-only types where the pilot is on */
	out->deciding = out->receiving = weighted(&r, p->counties, p->ncounties, csum);
	int pilot = p->counties[out->deciding].pilot;
	unsigned sum = 0;
	for (size_t i = 0; i < p->ntypes; i++)
		sum += pilot || !p->types[i].pilot_only ? p->types[i].weight : 0;
	if (sum == 0)
		return -1;
	uint32_t w = synth_below(&r, sum);
	size_t ti = 0;
	for (; ti + 1 < p->ntypes; ti++) {
		unsigned tw = pilot || !p->types[ti].pilot_only ? p->types[ti].weight : 0;
		if (w < tw)
			break;
		w -= tw;
	}
	out->type = ti;
	int promised = p->types[ti].promised_days > 0 ? p->types[ti].promised_days : 5;
	int pos;
	long day = history_day(p, &r, &pos);
	/* 通办: received at another county's window, more often as the
	 * service spread (about 6 % at the start, 14 % by today) */
	if (p->ncounties > 1 && synth_below(&r, 1000) < 60 + (unsigned)pos * 80 / 1000) {
		int city = p->counties[out->deciding].city;
		size_t same = 0;
		for (size_t i = 0; i < p->ncounties; i++)
			same += i != out->deciding && p->counties[i].city == city && p->counties[i].weight;
		if (same > 0 && synth_chance(&r, 700)) {
			size_t k = synth_below(&r, (uint32_t)same);
			for (size_t i = 0; i < p->ncounties; i++)
				if (i != out->deciding && p->counties[i].city == city && p->counties[i].weight &&
				    k-- == 0) {
					out->receiving = i;
					break;
				}
		} else {
			for (int tries = 0; tries < 16 && out->receiving == out->deciding; tries++)
				out->receiving = weighted(&r, p->counties, p->ncounties, csum);
		}
		out->cross = out->receiving != out->deciding;
	}
	out->parties = synth_chance(&r, 700) ? 1 : synth_chance(&r, 850) ? 2 : 3;
	out->person = synth_next(&r) % synth_person_max();

	/* received in office hours; drafted a few minutes before (now and
	 * then the day before) */
	int64_t received = at_day(day, OPEN + (long)synth_below(&r, (uint32_t)(SHUT - OPEN - 1800)));
	if (received > p->now - 600)
		received = p->now - 600 - (int64_t)synth_below(&r, 1800);
	int64_t created = received - 120 - (int64_t)synth_below(&r, 1500);
	if (synth_chance(&r, 50))
		created -= DAY;

	/* the path: the outcome first, then the times */
	int supplement = synth_chance(&r, 150);
	uint32_t o = synth_below(&r, 1000);
	int withdraw = o < 40, reject = !withdraw && o < 70;
	/* where a withdrawal happens: before acceptance, while accepted,
	 * while waiting for the supplement, after approval */
	uint32_t wp = withdraw ? synth_below(&r, 100) : 0;
	enum hist_state wfrom = !withdraw ? HS_NONE
			      : wp < 25	  ? HS_SUBMITTED
			      : wp < 55	  ? HS_ACCEPTED
			      : wp < 90	  ? HS_SUPPLEMENT_REQUESTED
					  : HS_APPROVED;
	if (wfrom == HS_SUPPLEMENT_REQUESTED)
		supplement = 1;
	int late = synth_chance(&r, 70);

	ev(&b, HA_CREATE, HS_NONE, HS_DRAFT, HSIDE_RECEIVING, 0, created);
	ev(&b, HA_SUBMIT, HS_DRAFT, HS_SUBMITTED, HSIDE_RECEIVING, 0, received);
	int64_t last_submit = received;
	if (wfrom == HS_SUBMITTED) {
		ev(&b, HA_WITHDRAW, HS_SUBMITTED, HS_WITHDRAWN, HSIDE_RECEIVING, 0, step(&r, p->cal, b.t, (int)synth_below(&r, 3)));
		goto cut;
	}
	ev(&b, HA_ACCEPT, HS_SUBMITTED, HS_ACCEPTED, HSIDE_DECIDING, 0, step(&r, p->cal, b.t, synth_chance(&r, 300)));
	if (supplement) {
		ev(&b, HA_REQUEST_SUPPLEMENT, HS_ACCEPTED, HS_SUPPLEMENT_REQUESTED, HSIDE_DECIDING, 0,
		   step(&r, p->cal, b.t, (int)synth_below(&r, 3)));
		if (wfrom == HS_SUPPLEMENT_REQUESTED) {
			ev(&b, HA_WITHDRAW, HS_SUPPLEMENT_REQUESTED, HS_WITHDRAWN, HSIDE_RECEIVING, 0,
			   step(&r, p->cal, b.t, 3 + (int)synth_below(&r, 25)));
			goto cut;
		}
		ev(&b, HA_RESUBMIT, HS_SUPPLEMENT_REQUESTED, HS_SUBMITTED, HSIDE_RECEIVING, 0,
		   step(&r, p->cal, b.t, 1 + (int)synth_below(&r, 10)));
		last_submit = b.t;
		ev(&b, HA_ACCEPT, HS_SUBMITTED, HS_ACCEPTED, HSIDE_DECIDING, 0, step(&r, p->cal, b.t, synth_chance(&r, 300)));
	}
	if (wfrom == HS_ACCEPTED) {
		ev(&b, HA_WITHDRAW, HS_ACCEPTED, HS_WITHDRAWN, HSIDE_RECEIVING, 0, step(&r, p->cal, b.t, (int)synth_below(&r, 4)));
		goto cut;
	}
	/* the decision: within the promised working days after the last
	 * submission (some the same day), or a few days late */
	{
		int due = hist_due(p->cal, last_submit, promised);
		int k = late ? promised + 1 + (int)synth_below(&r, 8)
			: synth_chance(&r, 150) ? 0 : 1 + (int)synth_below(&r, (uint32_t)promised);
		long dday = k == 0 ? day_at(last_submit) : wd_after(p->cal, day_at(last_submit), k);
		int64_t dt = at_day(dday, OPEN + 1800 + (long)synth_below(&r, (uint32_t)(SHUT - OPEN - 5400)));
		if (dt <= b.t)
			dt = step(&r, p->cal, b.t, 0);
		if (reject) {
			ev(&b, HA_REJECT, HS_ACCEPTED, HS_REJECTED, HSIDE_DECIDING, 0, dt);
			out->decided_late = days_to_ymd(day_at(b.t)) > due;
			goto cut;
		}
		ev(&b, HA_APPROVE, HS_ACCEPTED, HS_APPROVED, HSIDE_DECIDING, 0, dt);
		if (wfrom == HS_APPROVED) {
			ev(&b, HA_WITHDRAW, HS_APPROVED, HS_WITHDRAWN, HSIDE_RECEIVING, 0, step(&r, p->cal, b.t, 0));
			goto cut;
		}
		/* registered by a second person (the two-person rule), the same day */
		ev(&b, HA_REGISTER, HS_APPROVED, HS_REGISTERED, HSIDE_DECIDING, 1, b.t + 300 + (int64_t)synth_below(&r, 3000));
		out->decided_late = days_to_ymd(day_at(b.t)) > due;
	}
	ev(&b, HA_SET_FEES, HS_REGISTERED, HS_FEES_SET, HSIDE_DECIDING, 1, b.t + 60 + (int64_t)synth_below(&r, 600));
	/* paid: nothing due goes on at once (the same moment, as the intake
	 * takes the step in the same transaction); else at the window (cash,
	 * POS) or online (WeChat, ever more often: about 25 % of payments at
	 * the start, 55 % by today) */
	if (p->types[ti].no_fee) {
		out->channel = HPAY_NOT_DUE;
		ev(&b, HA_RECORD_PAYMENT, HS_FEES_SET, HS_PAID, HSIDE_DECIDING, 1, b.t + 1);
	} else {
		out->channel = synth_below(&r, 1000) < 250 + (unsigned)pos * 300 / 1000 ? HPAY_WECHAT
			       : synth_chance(&r, 600)					   ? HPAY_POS
												   : HPAY_CASH;
		int k = synth_chance(&r, 600) ? 0 : 1 + (int)synth_below(&r, 3);
		ev(&b, HA_RECORD_PAYMENT, HS_FEES_SET, HS_PAID,
		   out->channel == HPAY_WECHAT ? HSIDE_PROVIDER : HSIDE_RECEIVING, 0, step(&r, p->cal, b.t, k));
	}
	ev(&b, HA_ISSUE, HS_PAID, HS_ISSUED, HSIDE_DECIDING, 0, step(&r, p->cal, b.t, (int)synth_below(&r, 3)));
	if (synth_chance(&r, 10))
		goto cut; /* never fetched */
	out->mail = synth_chance(&r, 200);
	ev(&b, HA_DELIVER, HS_ISSUED, HS_DELIVERED, HSIDE_RECEIVING, 0,
	   step(&r, p->cal, b.t, out->mail ? 2 + (int)synth_below(&r, 3) : (int)synth_below(&r, 6)));
	if (synth_chance(&r, 30))
		goto cut; /* left open */
	ev(&b, HA_CLOSE, HS_DELIVERED, HS_CLOSED, HSIDE_RECEIVING, 0, step(&r, p->cal, b.t, (int)synth_below(&r, 4)));
cut:
	/* what has happened by now: the rest has not yet */
	while (out->nev > 1 && out->ev[out->nev - 1].at > p->now)
		out->nev--;
	out->created = out->ev[0].at;
	out->received = out->nev > 1 ? out->ev[1].at : 0;
	out->state = out->ev[out->nev - 1].to;
	out->supplement = 0;
	out->due_ymd = out->due_from_ymd = out->due_days = 0;
	for (size_t i = 0; i < out->nev; i++) {
		const struct hist_event *e = &out->ev[i];
		if (e->action == HA_SUBMIT || e->action == HA_RESUBMIT) {
			out->due_ymd = hist_due(p->cal, e->at, promised);
			out->due_from_ymd = days_to_ymd(day_at(e->at));
			out->due_days = promised;
		}
		if (e->action == HA_REQUEST_SUPPLEMENT)
			out->supplement = 1;
	}
	int decided = 0;
	for (size_t i = 0; i < out->nev; i++)
		decided |= out->ev[i].action == HA_REGISTER || out->ev[i].action == HA_REJECT;
	if (!decided)
		out->decided_late = 0;
	int paid = 0;
	for (size_t i = 0; i < out->nev; i++)
		paid |= out->ev[i].action == HA_RECORD_PAYMENT;
	if (!paid)
		out->channel = HPAY_NONE;
	if (!(out->state == HS_DELIVERED || out->state == HS_CLOSED))
		out->mail = 0;
	return 0;
}

/* ---- archive queries -------------------------------------------------------- */
/* Shares per 1000 of who asks: holders most, then interested parties,
 * courts and other state organs, prospective buyers, lawyers, heirs. */
static const unsigned kind_share[QR_KIND_COUNT] = {
	[QR_HOLDER] = 450, [QR_HEIR_GUARDIAN] = 50, [QR_INTERESTED_PARTY] = 150,
	[QR_PROSPECTIVE_PARTY] = 120, [QR_LAWYER] = 100, [QR_STATE_ORGAN] = 130,
};

int hist_query(const struct hist_params *p, uint64_t index, struct hist_query *out)
{
	unsigned csum = county_sum(p);
	if (csum == 0 || p->months < 1)
		return -1;
	memset(out, 0, sizeof(*out));
	struct synth_rng r;
	synth_rng_init(&r, p->seed, S_QUERY, index);
	uint32_t w = synth_below(&r, 1000);
	int k = 0;
	while (k + 1 < QR_KIND_COUNT && w >= kind_share[k])
		w -= kind_share[k++];
	out->kind = k;
	out->county = weighted(&r, p->counties, p->ncounties, csum);
	int pos;
	long day = history_day(p, &r, &pos);
	out->at = at_day(day, OPEN + (long)synth_below(&r, (uint32_t)(SHUT - OPEN)));
	if (out->at > p->now - 60)
		out->at = p->now - 60 - (int64_t)synth_below(&r, 3600);
	out->person = synth_next(&r) % synth_person_max();
	/* heirs name the person whose units they ask for; interested and
	 * prospective parties may not; the others mostly ask by unit */
	out->cond = k == QR_HEIR_GUARDIAN ? 2
		    : (k == QR_INTERESTED_PARTY || k == QR_PROSPECTIVE_PARTY) ? 0
		    : synth_chance(&r, 250)					 ? 2
										 : 0;
	out->state = HQ_COMPLETED;
	/* a sensitive holder (the whitelist) makes a query wait for approval */
	if (synth_chance(&r, 60)) {
		out->approved = 1;
		out->decided_at = step(&r, p->cal, out->at, (int)synth_below(&r, 3));
		out->state = synth_chance(&r, 700) ? HQ_COMPLETED : HQ_REJECTED;
		if (out->decided_at > p->now) {
			out->decided_at = 0;
			out->approved = 0;
			out->state = HQ_PENDING;
		}
	}
	return 0;
}
