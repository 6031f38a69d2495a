"""Statistics (统计分析, sql/0025_statistics.sql, fcgi/admin/stats.c): every
report's figures equal a direct count over the base tables — cases, events,
archive queries, certificates — computed here from their rows, after a mix of
cases taken through the real workflow and historic rows inserted in bulk, in
a division subtree only this module fills (a city and its counties made
here); while deltas wait, after the background fold and after
stats.rebuild(). Scoping by division and agency, the refusals, the CSV form,
and the SQL twin of the working-day rule against the C rule's table."""
import csv
import datetime
import io
import json
import os
import random
import subprocess
import time

from auth_lib import admin_session, login, make_user, unique
from case_lib import HOLDER, OBLIGOR, act, attach, mortgage_body, staff
from lib import PGBIN, assert_problem, psql_conninfo, sql, wait_until
from test_openapi import SPEC, check as check_schema

REPORTS = ("overview", "by-month", "by-type", "by-agency", "cross-trend", "processing", "overdue", "fees", "queries")
PENDING = ("submitted", "accepted", "supplement_requested", "approved")
KINDS = ("holder", "heir_guardian", "interested_party", "prospective_party", "lawyer", "state_organ")
# an agency name a CSV must quote: a comma, a quote and a line break
ODD_NAME = '统计,测试"一号"\n中心'

# The C rule's table and calendar (tests/unit/test_workdays_table.c holds the
# same): (start, end, working days after start up to end).
TABLE_HOLIDAYS = ("2026-01-01", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20", "2026-04-06",
                  "2026-05-01", "2026-05-04", "2026-05-05", "2026-06-19", "2026-09-25", "2026-10-01", "2026-10-02",
                  "2026-10-03", "2026-10-05", "2026-10-06", "2026-10-07")
TABLE_MAKEUP = ("2026-02-14", "2026-02-28", "2026-03-02", "2026-10-10")
WORKDAY_TABLE = (
    ("2026-01-05", "2026-01-05", 0), ("2026-01-05", "2026-01-04", 0), ("2026-01-05", "2026-01-06", 1),
    ("2025-12-31", "2026-01-02", 1), ("2026-01-02", "2026-01-05", 1), ("2026-01-09", "2026-01-12", 1),
    ("2026-01-05", "2026-01-12", 5), ("2026-02-13", "2026-02-14", 1), ("2026-02-13", "2026-02-23", 2),
    ("2026-02-13", "2026-03-02", 8), ("2026-04-03", "2026-04-07", 1), ("2026-09-30", "2026-10-12", 4),
    ("2026-09-24", "2026-09-28", 1), ("2026-10-02", "2026-10-04", 0), ("2026-01-01", "2026-12-31", 247),
    ("2025-01-01", "2025-12-31", 260), ("2024-12-31", "2027-01-04", 510),
)

_ctx = {}


def ctx():
    """The subtree: a city of its own with three counties and their
    agencies (one with ODD_NAME), readers at each level, cases in bulk and
    through the API, archive queries and certificates."""
    if _ctx:
        return _ctx
    taken = {r[0] for r in sql("SELECT code FROM ref.division WHERE code LIKE '459%'")}
    city = next(c for c in ("45%02d00" % n for n in random.sample(range(91, 100), 9)) if c not in taken)
    counties = [city[:4] + "%02d" % k for k in (1, 2, 3)]
    tag = unique("")
    sql("INSERT INTO ref.division (code, name, level, parent_code) VALUES ('%s', '统计测试市%s', 'city', '450000')"
        % (city, tag))
    for i, c in enumerate(counties):
        sql("INSERT INTO ref.division (code, name, level, parent_code) VALUES ('%s', '统计测试%d区%s', 'county', '%s')"
            % (c, i + 1, tag, city))
    names = {city: "统计测试市中心" + tag, counties[0]: ODD_NAME + tag, counties[1]: "统计测试二区中心" + tag,
             counties[2]: "统计测试三区中心" + tag}
    for code, name in names.items():
        sql("INSERT INTO iam.agency (code, name, division_code) VALUES ('%s', %s, '%s')" % (code, q(name), code))
    _ctx.update(city=city, counties=counties, names=names)
    # statistics are an administrator's: sessions with a second factor
    _ctx["city_reader"] = admin_session("jurisdiction_admin", city)[1]
    _ctx["county_reader"] = admin_session("jurisdiction_admin", counties[0])[1]
    _ctx["region_reader"] = admin_session("jurisdiction_admin", "450000")[1]
    _ctx["clerk_only"] = login(make_user(agency=counties[0], grants=[("intake_clerk", counties[0])])[1])
    api_cases()
    bulk_history(random.Random(12))
    return _ctx


def q(s):
    return "'" + s.replace("'", "''") + "'"


def unit_in(county):
    code = "%s001002GB%05dF%08d" % (county, random.randint(0, 99999), 1)
    sql("INSERT INTO reg.unit (code, county_code, location, use, area_m2) VALUES ('%s', '%s', '统计路1号',"
        " 'residential', 98.5) ON CONFLICT DO NOTHING" % (code, county))
    return code


def api_cases():
    """A few cases through the real workflow: received in county 2 for
    county 1 (cross), supplemented, registered, fees paid at the window by
    POS and online; one rejected; one withdrawn; one left open."""
    c1, c2 = _ctx["counties"][:2]
    clerk = staff[("intake_clerk", c2)]
    reviewer, registrar = staff[("reviewer", c1)], staff[("registrar", c1)]
    cashier = staff[("cashier", c1)]

    def new():
        r = clerk.call("POST", "/api/v1/cases", json_body=mortgage_body(unit_in(c1)))
        assert r.status == 201, r
        for doc in ("application", "identity", "mortgage_contract"):
            assert attach(r.json["id"], doc, who=clerk).status == 201
        c = r.json
        for action, who, extra in (("submit", clerk, {}), ("accept", reviewer, {})):
            r = act(c, action, who, **extra)
            assert r.status == 200, (action, r)
            c = r.json
        return c

    def step(c, action, who, **extra):
        r = act(c, action, who, **extra)
        assert r.status == 200, (action, r)
        return r.json

    a = new()
    a = step(a, "request_supplement", reviewer, missing=["抵押合同原件"])
    a = step(a, "resubmit", clerk)
    a = step(a, "accept", reviewer)
    a = step(step(a, "approve", reviewer), "register", registrar)
    a = step(a, "set_fees", cashier)
    step(a, "record_payment", cashier, receipt_number="S1", amount_fen=a["fee_total_fen"], method="pos")
    b = step(step(new(), "approve", reviewer), "register", registrar)
    b = step(b, "set_fees", cashier)
    # paid online: the order and the provider's notification as pay.settle takes them
    o = sql("SELECT out_trade_no, amount_fen FROM pay.order_begin(%d, 'wechat', now())" % b["id"])[0]
    sql("SELECT pay.order_attach('%s', 'weixin://wxpay/bizpayurl?pr=stats')" % o[0])
    assert sql("SELECT outcome FROM pay.settle('%s', '%s', %s, now(), '%s', '%s')"
               % (o[0], "42" + o[0][2:], o[1], unique("n"), unique("nonce")))[0][0] == "paid"
    step(new(), "reject", reviewer, reason="材料不符")
    step(new(), "withdraw", clerk)
    new()


def bulk_history(rnd):
    """Historic rows straight into the tables (as a migration of old
    records would): cases received over the last ten months in the subtree,
    and a few outside it, with their events; archive queries and
    certificates."""
    city, counties = _ctx["city"], _ctx["counties"]
    uid = int(sql("SELECT id FROM iam.user ORDER BY id LIMIT 1")[0][0])
    units = {c: unit_in(c) for c in counties + ["450103", "450126"]}
    types = ("mortgage.establish", "mortgage.cancellation", "pre_notice.establish", "seizure.establish")
    now = datetime.datetime.now(datetime.timezone.utc)
    cases, events = [], []
    for i in range(240):
        if i % 40 == 39:   # between two counties outside the subtree: never in its figures
            r, d = "450103", "450126"
        elif i % 40 == 38:  # from a county outside, for one inside
            r, d = "450103", rnd.choice(counties)
        else:
            d = rnd.choice(counties)
            r = d if rnd.random() < 0.7 else rnd.choice(counties + [city])
        received = now - datetime.timedelta(days=rnd.randint(0, 300), minutes=rnd.randint(0, 1440))
        due = (received + datetime.timedelta(hours=8)).date() + datetime.timedelta(days=rnd.randint(3, 12))
        fate = rnd.choice(("registered", "registered", "registered", "rejected", "withdrawn", "open", "paid"))
        n = "ST-%s-%d" % (unique(""), i)
        state = {"registered": "registered", "rejected": "rejected", "withdrawn": "withdrawn",
                 "open": rnd.choice(PENDING), "paid": "paid"}[fate]
        fee = rnd.choice((8000, 55000, 0)) if fate == "paid" else None
        cases.append((n, rnd.choice(types), units[d], r, d, state, received, due, fee))
        ev = []
        t = received
        if rnd.random() < 0.3:
            for _ in range(rnd.choice((1, 2))):
                t += datetime.timedelta(days=rnd.randint(0, 3), hours=rnd.randint(0, 20))
                ev.append(("request_supplement", t, {"missing": ["材料"]}))
        t += datetime.timedelta(days=rnd.randint(0, 20), hours=rnd.randint(0, 20))
        if t > now:
            t = now - datetime.timedelta(minutes=5)
        if fate in ("registered", "paid"):
            ev.append(("register", t, {}))
        elif fate == "rejected":
            ev.append(("reject", t, {"reason": "不符"}))
        elif fate == "withdrawn":
            ev.append(("withdraw", t, {}))
        if fate == "paid":
            ev.append(("set_fees", t, {"total_fen": fee}))
            if fee == 0:
                ev.append(("record_payment", t, {"not_due": True}))
            else:
                ch = rnd.choice(("cash", "pos", "window", "wechat"))
                det = ({"provider": "wechat", "amount_fen": fee, "transaction_id": unique("tx")} if ch == "wechat"
                       else {"receipt_number": "R%d" % i, "amount_fen": fee} if ch == "window"
                       else {"receipt_number": "R%d" % i, "method": ch, "amount_fen": fee})
                ev.append(("record_payment", t + datetime.timedelta(hours=1), det))
        events.append((n, ev))
    values = ",".join(
        "('%s', '%s', '%s', '%s', '%s', '%s', '%s', '%s', '%s'::timestamptz, '%s', %s, %d, now(), now())"
        % (n, ty, u, r, d, r[:6], d[:6], st, rec.isoformat(), due, "NULL" if fee is None else fee, uid)
        for n, ty, u, r, d, st, rec, due, fee in cases)
    sql("INSERT INTO cases.case (number, business_type, unit_code, receiving_agency, deciding_agency,"
        " receiving_division, deciding_division, state, received_at, due_date, fee_total_fen, created_by,"
        " created_at, updated_at) VALUES " + values)
    rows = []
    for n, ev in events:
        for action, t, det in ev:
            rows.append("((SELECT id FROM cases.case WHERE number = '%s'), '%s'::timestamptz, '%s', 'x', 'y', %s)"
                        % (n, t.isoformat(), action, q(json.dumps(det, ensure_ascii=False))))
    sql("INSERT INTO cases.event (case_id, at, action, from_state, to_state, details) VALUES " + ",".join(rows))
    # archive queries by the subtree's agencies (and one outside), some certificates
    qrows = []
    for i in range(60):
        ag = rnd.choice(counties + [city, "450103"])
        made = now - datetime.timedelta(days=rnd.randint(0, 300))
        state = rnd.choice(("completed", "completed", "pending_approval", "rejected", "approved"))
        qrows.append((ag, made, rnd.choice(KINDS), state, i))
    stmts = []
    for ag, made, kind, state, i in qrows:
        # one statement list, one transaction: each row finds the one before by its unique key
        # fresh on every run (the agency outside is the same each time)
        sha = "%064x" % random.getrandbits(256)
        st = "completed" if state == "approved" else state
        first = "pending_approval" if state == "approved" else st
        serial = "CX-%s-2026-%07d" % (ag, random.randint(0, 9999999))
        stmts.append("INSERT INTO qry.evidence (content_type, size, sha256, data, uploaded_by, agency_code, uploaded_at)"
                     " VALUES ('application/pdf', 4, '%s', '\\x25504446', %d, '%s', now())" % (sha, uid, ag))
        stmts.append(
            "INSERT INTO qry.query (serial, agency_code, created_by, created_at, requester_kind, requester_name,"
            " requester_id_type, requester_id_masked, requester_id_index, purpose, evidence_id, conditions, cond_kind,"
            " cond_value, as_at, divisions, state, result, reject_reason) VALUES ('%s', '%s', %d,"
            " '%s'::timestamptz, '%s', '查询人', 'resident_id', '4501**********1234', '%s', '统计',"
            " (SELECT id FROM qry.evidence WHERE sha256 = '%s'), '{}', 'unit_code', 'x', now(), '{}', '%s', %s, %s)"
            % (serial, ag, uid, made.isoformat(), kind, sha, sha, first, "'{}'" if first == "completed" else "NULL",
               "'不符'" if st == "rejected" else "NULL"))
        if state == "approved":  # approved later: the update's delta moves it
            stmts.append("UPDATE qry.query SET state = 'completed', result = '{}', decided_by = %d, decided_at = now()"
                         " WHERE serial = '%s'" % (uid, serial))
        if st == "completed" and rnd.random() < 0.5:
            stmts.append(
                "INSERT INTO qry.certificate (serial, query_id, agency_code, issued_by, issued_at, pdf, sha256,"
                " code_hash, sm2_signature, sm2_public_key, unit_codes, register_mark) VALUES ('ZM%s',"
                " (SELECT id FROM qry.query WHERE serial = '%s'), '%s', %d, now(), '\\x25504446', '%s', '%s',"
                " '\\x0102030405060708', '-----BEGIN PUBLIC KEY-----x', '{}', '%s')"
                % (serial[2:], serial, ag, uid, sha, sha, sha[:32]))
    sql(";\n".join(stmts))


# ---- the direct counts, from the base tables' rows ----

def agencies_of(division):
    return {r[0] for r in sql("SELECT code FROM iam.agency WHERE ref.covers('%s', division_code)" % division)}


def calendar():
    return {r[0]: r[1] for r in sql("SELECT day::text, kind FROM cases.calendar")}


def workdays(cal, s, e):
    n, d = 0, s + datetime.timedelta(days=1)
    while d <= e:
        kind = cal.get(d.isoformat())
        n += (kind == "workday") if kind else d.weekday() < 5
        d += datetime.timedelta(days=1)
    return n


def bp(a, b):
    return None if not b else (2 * a * 10000 + b) // (2 * b)


def quantiles(days):
    if not days:
        return None, None
    s = sorted(days)
    return s[(len(s) + 1) // 2 - 1], s[-(-9 * len(s) // 10) - 1]


_direct = {}


def direct(ags, f, t):
    """Facts of the cases whose receiving or deciding agency is in ags (kept
    until the base tables change: folds and rebuilds change no base row)."""
    key = (frozenset(ags), f, t)
    if key not in _direct:
        _direct[key] = direct_counts(ags, f, t)
    return _direct[key]


def direct_counts(ags, f, t):
    inlist = ",".join(q(a) for a in ags)
    bj = "AT TIME ZONE 'Asia/Shanghai'"
    cases = sql("SELECT id, business_type, receiving_agency, deciding_agency, (receiving_division <> deciding_division)"
                "::int, to_char(received_at %s, 'YYYY-MM'), (received_at %s)::date::text, coalesce(due_date::text, ''),"
                " state, coalesce(fee_total_fen, 0) FROM cases.case WHERE received_at IS NOT NULL AND"
                " (receiving_agency IN (%s) OR deciding_agency IN (%s))" % (bj, bj, inlist, inlist))
    by_id = {int(c[0]): c for c in cases}
    events = sql("SELECT e.case_id, e.action, to_char(e.at %s, 'YYYY-MM'), (e.at %s)::date::text, e.details::text"
                 " FROM cases.event e JOIN cases.case c ON c.id = e.case_id WHERE c.received_at IS NOT NULL AND"
                 " (c.receiving_agency IN (%s) OR c.deciding_agency IN (%s)) ORDER BY e.id" % (bj, bj, inlist, inlist))
    today = datetime.date.fromisoformat(sql("SELECT ((now() %s)::date)::text" % bj)[0][0])
    cal = calendar()
    supp = {int(e[0]) for e in events if e[1] == "request_supplement"}
    inr = lambda m: f <= m <= t  # noqa: E731
    facts = []  # (kind, month, case row, extra)
    for c in cases:
        if inr(c[5]):
            facts.append(("received", c[5], c, {"cross": int(c[4]), "supp": int(c[0]) in supp}))
    for e in events:
        c = by_id[int(e[0])]
        if not inr(e[2]):
            continue
        det = json.loads(e[4])
        if e[1] == "withdraw":
            facts.append(("withdrawn", e[2], c, {}))
        elif e[1] in ("register", "reject"):
            dd = datetime.date.fromisoformat(e[3])
            facts.append(("decided", e[2], c, {
                "registered": e[1] == "register",
                "days": workdays(cal, datetime.date.fromisoformat(c[6]), dd),
                "late": bool(c[7]) and dd > datetime.date.fromisoformat(c[7])}))
        elif e[1] == "set_fees" and int(c[9]) > 0:
            facts.append(("charged", e[2], c, {"fen": int(c[9])}))
        elif e[1] == "record_payment" and not det.get("not_due") and det.get("amount_fen", 0) > 0:
            ch = "wechat" if "provider" in det else "pos" if det.get("method") == "pos" else "cash"
            facts.append(("paid", e[2], c, {"fen": det["amount_fen"], "channel": ch}))
    overdue = [c for c in cases if c[8] in PENDING and c[7] and datetime.date.fromisoformat(c[7]) < today]
    queries = sql("SELECT requester_kind, state, decided_by IS NOT NULL, to_char(created_at %s, 'YYYY-MM'),"
                  " (SELECT count(*) FROM qry.certificate x WHERE x.query_id = q.id) FROM qry.query q"
                  " WHERE agency_code IN (%s)" % (bj, inlist))
    queries = [x for x in queries if inr(x[3])]
    return facts, overdue, queries


def case_figures(facts):
    rec = [x for x in facts if x[0] == "received"]
    dec = [x for x in facts if x[0] == "decided"]
    med, p90 = quantiles([x[3]["days"] for x in dec])
    received, cross = len(rec), sum(x[3]["cross"] for x in rec)
    supplemented = sum(x[3]["supp"] for x in rec)
    late = sum(x[3]["late"] for x in dec)
    return {"received": received, "cross_received": cross, "cross_bp": bp(cross, received),
            "supplemented": supplemented, "supplement_bp": bp(supplemented, received),
            "withdrawn": sum(1 for x in facts if x[0] == "withdrawn"), "decided": len(dec),
            "registered": sum(x[3]["registered"] for x in dec), "rejected": sum(not x[3]["registered"] for x in dec),
            "late": late, "late_bp": bp(late, len(dec)), "median_days": med, "p90_days": p90}


_reference = []


def reference():
    """Business type names and promised days, agencies' names and divisions
    (the same throughout the module)."""
    if not _reference:
        types = sql("SELECT code, name, promised_days FROM cases.business_type")
        # as JSON: one agency's name holds a line break
        divs = {a[0]: (a[1], a[2]) for a in json.loads(sql(
            "SELECT json_agg(json_build_array(code, name, division_code)) FROM iam.agency")[0][0])}
        _reference.extend(({r[0]: r[1] for r in types}, {r[0]: int(r[2]) for r in types}, divs))
    return _reference


def months(f, t):
    y, m = int(f[:4]), int(f[5:])
    out = []
    while "%04d-%02d" % (y, m) <= t:
        out.append("%04d-%02d" % (y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def expected(report, ags, f, t):
    """(rows, totals) of a report as the direct counts make them."""
    facts, overdue, queries = direct(ags, f, t)
    names, promised, divs = reference()
    if report in ("overview",):
        c = case_figures(facts)
        del c["late_bp"]
        c.update(overdue_now=len(overdue),
                 charged_fen=sum(x[3]["fen"] for x in facts if x[0] == "charged"),
                 collected_fen=sum(x[3]["fen"] for x in facts if x[0] == "paid"), queries=len(queries))
        return [c], None
    if report in ("by-month", "cross-trend", "overdue"):
        keep = {"by-month": None, "cross-trend": ("received", "cross_received", "cross_bp"),
                "overdue": ("decided", "late", "late_bp")}[report]
        rows = []
        for m in months(f, t) + [None]:
            c = case_figures([x for x in facts if m is None or x[1] == m])
            if keep:
                c = {k: c[k] for k in keep}
            if report == "overdue":
                c["open_overdue"] = sum(1 for o in overdue if (m is None and f <= o[5] <= t) or o[5] == m)
            c["month"] = m
            rows.append(c)
        return rows[:-1], rows[-1]
    if report == "by-type":
        rows = []
        for ty in sorted({x[2][1] for x in facts if x[0] in ("received", "decided", "withdrawn")}):
            c = case_figures([x for x in facts if x[2][1] == ty])
            c.update(business_type=ty, type_name=names[ty])
            rows.append(c)
        tot = case_figures(facts)
        tot.update(business_type=None, type_name=None)
        return rows, tot
    if report == "processing":
        rows = []
        for ty in sorted({x[2][1] for x in facts if x[0] == "decided"} | {o[1] for o in overdue}):
            c = case_figures([x for x in facts if x[2][1] == ty])
            rows.append({"business_type": ty, "type_name": names[ty], "promised_days": promised[ty],
                         "decided": c["decided"], "median_days": c["median_days"], "p90_days": c["p90_days"],
                         "late": c["late"], "late_bp": c["late_bp"],
                         "overdue_now": sum(1 for o in overdue if o[1] == ty)})
        c = case_figures(facts)
        tot = {"business_type": None, "type_name": None, "promised_days": None, "decided": c["decided"],
               "median_days": c["median_days"], "p90_days": c["p90_days"], "late": c["late"],
               "late_bp": c["late_bp"], "overdue_now": len(overdue)}
        return rows, tot
    if report == "by-agency":
        rows = []
        for a in sorted(ags):
            rec = [x for x in facts if x[0] == "received"]
            mine_r = [x for x in rec if x[2][2] == a]
            mine_d = [x for x in rec if x[2][3] == a]
            dec = [x for x in facts if x[0] == "decided" and x[2][3] == a]
            involved = len(mine_r) + sum(1 for x in mine_d if x[2][2] != a)
            sent, came = sum(x[3]["cross"] for x in mine_r), sum(x[3]["cross"] for x in mine_d)
            med, p90 = quantiles([x[3]["days"] for x in dec])
            rows.append({"agency": a, "agency_name": divs[a][0], "division": divs[a][1], "received": len(mine_r),
                         "sent_out": sent, "to_decide": len(mine_d), "came_in": came, "involved": involved,
                         "cross_bp": bp(sent + came, involved), "registered": sum(x[3]["registered"] for x in dec),
                         "rejected": sum(not x[3]["registered"] for x in dec),
                         "late": sum(x[3]["late"] for x in dec), "median_days": med, "p90_days": p90})
        c = case_figures(facts)
        tot = {"agency": None, "agency_name": None, "division": None, "received": c["received"],
               "sent_out": c["cross_received"], "to_decide": None, "came_in": None, "involved": c["received"],
               "cross_bp": c["cross_bp"], "registered": c["registered"], "rejected": c["rejected"], "late": c["late"],
               "median_days": c["median_days"], "p90_days": c["p90_days"]}
        return rows, tot
    if report == "fees":
        rows = []
        for m in months(f, t) + [None]:
            r = {"month": m}
            sel = [x for x in facts if m is None or x[1] == m]
            ch = [x for x in sel if x[0] == "charged"]
            r["charged_n"], r["charged_fen"] = len(ch), sum(x[3]["fen"] for x in ch)
            for k in ("cash", "pos", "wechat"):
                p = [x for x in sel if x[0] == "paid" and x[3]["channel"] == k]
                r[k + "_n"], r[k + "_fen"] = len(p), sum(x[3]["fen"] for x in p)
            r["collected_n"] = r["cash_n"] + r["pos_n"] + r["wechat_n"]
            r["collected_fen"] = r["cash_fen"] + r["pos_fen"] + r["wechat_fen"]
            rows.append(r)
        return rows[:-1], rows[-1]
    if report == "queries":
        rows = []
        for k in KINDS + (None,):
            sel = [x for x in queries if k is None or x[0] == k]
            rows.append({"requester_kind": k, "made": len(sel), "completed": sum(x[1] == "completed" for x in sel),
                         "approved": sum(x[1] == "completed" and x[2] == "t" for x in sel),
                         "rejected": sum(x[1] == "rejected" for x in sel),
                         "pending": sum(x[1] == "pending_approval" for x in sel),
                         "certificates": sum(int(x[4]) for x in sel)})
        return rows[:-1], rows[-1]
    raise AssertionError(report)


def period():
    t = sql("SELECT to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')")[0][0]
    y, m = int(t[:4]), int(t[5:]) - 11
    if m < 1:
        y, m = y - 1, m + 12
    return "%04d-%02d" % (y, m), t


def check_report(who, report, division, ags, agency=None, f=None, t=None):
    if f is None:
        f, t = period()
    path = "/api/v1/stats/%s?division=%s&from=%s&to=%s" % (report, division, f, t)
    if agency:
        path += "&agency=" + agency
    r = who.get(path)
    assert r.status == 200, r
    body = r.json
    check_schema(body, SPEC["components"]["schemas"]["StatsReport"])
    assert (body["report"], body["division"], body["from"], body["to"]) == (report, division, f, t)
    keys = [c["key"] for c in body["columns"]]
    rows, tot = expected(report, ags, f, t)
    got = [{k: row[k] for k in keys} for row in body["rows"]]
    want = [{k: row.get(k) for k in keys} for row in rows]
    if report == "queries":
        for w in want:
            w["kind_name"] = next(g["kind_name"] for g in got if g["requester_kind"] == w["requester_kind"])
    assert got == want, (report, division, agency, got, want)
    if tot is None:
        assert body["totals"] is None
    else:
        want_t = {k: tot.get(k) for k in keys}
        if report == "queries":
            want_t["kind_name"] = None
        assert body["totals"] == want_t, (report, body["totals"], want_t)
    return body


def every_report_matches(who, division, ags, agency=None):
    for rep in REPORTS:
        check_report(who, rep, division, ags, agency)


def test_every_report_equals_the_direct_counts_while_deltas_wait_after_the_fold_and_after_a_rebuild():
    c = ctx()
    city, counties = c["city"], c["counties"]
    city_ags = agencies_of(city)
    assert city_ags == {city} | set(counties)
    # a whole city's figures come from the city roll-ups (0027), which must
    # agree with the direct counts like the rest; a county's, one agency's
    # and an incomplete set of a city's agencies from the agency pairs
    city_of = "SELECT coalesce(stats.city_set(%s), '-')"
    assert sql(city_of % "stats.agencies('%s', '')" % city) == [[city]]
    assert sql(city_of % "stats.agencies('%s', '')" % counties[0]) == [["-"]]
    assert sql(city_of % "stats.agencies('%s', '%s')" % (city, counties[1])) == [["-"]]
    assert sql(city_of % "ARRAY[%s]" % ",".join(q(a) for a in sorted(city_ags)[:-1])) == [["-"]]
    assert sql(city_of % "stats.agencies('450000', '')") == [["-"]]
    # whatever the background fold has reached: summary + deltas
    every_report_matches(c["city_reader"], city, city_ags)
    # the admin service's background process folds every delta (as tb_admin)
    assert wait_until(lambda: sql("SELECT (SELECT count(*) FROM stats.case_delta) + (SELECT count(*) FROM"
                                  " stats.days_delta) + (SELECT count(*) FROM stats.fee_delta) + (SELECT count(*)"
                                  " FROM stats.query_delta)") == [["0"]], timeout=20)
    every_report_matches(c["city_reader"], city, city_ags)
    # recomputed from the base tables
    sql("SELECT stats.rebuild()")
    every_report_matches(c["city_reader"], city, city_ags)
    # a holiday added in the past and taken away again: the decisions whose
    # span holds it move to their new processing days at once
    day = sql("SELECT d::date::text FROM generate_series((now() AT TIME ZONE 'Asia/Shanghai')::date - 150,"
              " (now() AT TIME ZONE 'Asia/Shanghai')::date - 100, interval '1 day') d WHERE extract(isodow FROM d) < 6"
              " AND NOT EXISTS (SELECT 1 FROM cases.calendar k WHERE k.day = d::date) ORDER BY d LIMIT 1")[0][0]
    moved = int(sql("SELECT count(*) FROM cases.event e JOIN cases.case c ON c.id = e.case_id"
                    " WHERE e.action IN ('register', 'reject') AND c.receiving_agency IN (%s)"
                    " AND (c.received_at AT TIME ZONE 'Asia/Shanghai')::date < '%s'"
                    " AND (e.at AT TIME ZONE 'Asia/Shanghai')::date >= '%s'"
                    % (",".join(q(a) for a in city_ags), day, day))[0][0])
    assert moved > 0
    try:
        sql("INSERT INTO cases.calendar (day, kind, note) VALUES ('%s', 'holiday', '统计测试')" % day)
        _direct.clear()
        for rep in ("by-month", "processing", "by-agency", "overview"):
            check_report(c["city_reader"], rep, city, city_ags)
    finally:
        sql("DELETE FROM cases.calendar WHERE day = '%s' AND note = '统计测试'" % day)
        _direct.clear()
    for rep in ("by-month", "processing"):
        check_report(c["city_reader"], rep, city, city_ags)
    # the region's reader sees the subtree the same way
    every_report_matches(c["region_reader"], city, city_ags)
    # one county; one agency of the city
    every_report_matches(c["county_reader"], counties[0], {counties[0]})
    every_report_matches(c["city_reader"], city, {counties[1]}, agency=counties[1])


def test_figures_follow_a_new_transition_at_once():
    c = ctx()
    city = c["city"]
    before = check_report(c["city_reader"], "overview", city, agencies_of(city))["rows"][0]
    c1 = c["counties"][0]
    clerk = staff[("intake_clerk", c1)]
    _direct.clear()
    r = clerk.call("POST", "/api/v1/cases", json_body=mortgage_body(unit_in(c1)))
    assert r.status == 201, r
    for doc in ("application", "identity", "mortgage_contract"):
        assert attach(r.json["id"], doc, who=clerk).status == 201
    assert act(r.json, "submit", clerk).status == 200
    _direct.clear()
    after = check_report(c["city_reader"], "overview", city, agencies_of(city))["rows"][0]
    assert after["received"] == before["received"] + 1


def test_a_county_reader_sees_only_its_subtree():
    c = ctx()
    c1, c2, c3 = c["counties"]
    # a case between two other counties of the city counts for the city, not for county 1
    mine = check_report(c["county_reader"], "by-agency", c1, {c1})
    assert [r["agency"] for r in mine["rows"]] == [c1]
    path = "/api/v1/stats/overview?division=%s"
    city_before = c["city_reader"].get(path % c["city"]).json["rows"][0]["received"]
    county_before = c["county_reader"].get(path % c1).json["rows"][0]["received"]
    uid = int(sql("SELECT id FROM iam.user ORDER BY id LIMIT 1")[0][0])
    sql("INSERT INTO cases.case (number, business_type, unit_code, receiving_agency, deciding_agency,"
        " receiving_division, deciding_division, state, received_at, due_date, created_by, created_at, updated_at)"
        " VALUES ('%s', 'mortgage.establish', '%s', '%s', '%s', '%s', '%s', 'submitted', now(), current_date + 5, %d,"
        " now(), now())" % (unique("ST-X-"), unit_in(c3), c2, c3, c2, c3, uid))
    _direct.clear()
    assert c["city_reader"].get(path % c["city"]).json["rows"][0]["received"] == city_before + 1
    assert c["county_reader"].get(path % c1).json["rows"][0]["received"] == county_before
    # without division: the widest scope, the county
    r = c["county_reader"].get("/api/v1/stats/overview")
    assert r.status == 200 and r.json["division"] == c1, r
    for div in (c["city"], c2, "450000", "450103"):
        assert_problem(c["county_reader"].get("/api/v1/stats/overview?division=" + div), 403, "out_of_scope")
    # an agency outside the division asked
    assert_problem(c["county_reader"].get("/api/v1/stats/by-month?agency=" + c2), 403, "out_of_scope")
    assert_problem(c["city_reader"].get("/api/v1/stats/by-month?agency=450103"), 403, "out_of_scope")


def test_without_stats_read_statistics_are_refused():
    c = ctx()
    r = c["clerk_only"].get("/api/v1/stats/overview?division=" + c["counties"][0])
    assert_problem(r, 403, "forbidden")


def test_bad_months_ranges_divisions_and_reports_are_refused():
    c = ctx()
    who = c["city_reader"]
    for qs, field in (("from=2026-13", "from"), ("from=2026-1", "from"), ("to=26-01", "to"), ("to=2026-00", "to"),
                      ("from=2026-05&to=2026-04", "from"), ("from=2023-01&to=2026-01", "from"),
                      ("from=x&to=2026-01", "from"), ("division=12", "division"), ("division=459999x", "division"),
                      ("agency=abc", "agency")):
        r = who.get("/api/v1/stats/by-month?" + qs)
        assert_problem(r, 400, "invalid_field")
        assert field in json.dumps(r.json), (qs, r.json)
    # 36 months is the most
    assert who.get("/api/v1/stats/by-month?from=2023-02&to=2026-01").status == 200
    assert_problem(who.get("/api/v1/stats/nonsense"), 404, "not_found")


def test_csv_has_the_bom_crlf_chinese_labels_quoted_fields_and_yuan_and_percent():
    c = ctx()
    city, c1 = c["city"], c["counties"][0]
    f, t = period()
    who = c["city_reader"]
    js = who.get("/api/v1/stats/by-agency?division=%s&from=%s&to=%s" % (city, f, t)).json
    r = who.get("/api/v1/stats/by-agency?division=%s&from=%s&to=%s&format=csv" % (city, f, t))
    assert r.status == 200, r
    assert r.header("Content-Type") == "text/csv; charset=utf-8"
    name = "by-agency-%s-%s-%s.csv" % (city, f, t)
    assert r.header("Content-Disposition") == "attachment; filename=\"%s\"; filename*=UTF-8''%s" % (name, name)
    raw = r.body
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw[3:].decode("utf-8")
    assert text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == [col["label"] for col in js["columns"]]
    assert rows[0][0] == "登记机构"
    # the odd agency name comes back whole
    odd = [row for row in rows if row[1] == c1]
    assert len(odd) == 1 and odd[0][0] == c["names"][c1]
    assert '"' in c["names"][c1] and "," in c["names"][c1] and "\n" in c["names"][c1]
    keys = [col["key"] for col in js["columns"]]
    types = {col["key"]: col["type"] for col in js["columns"]}
    for row, j in zip(rows[1:], js["rows"] + [js["totals"]]):
        for k, v in zip(keys, row):
            x = j[k]
            if x is None:
                assert v in ("", "合计"), (k, v)
            elif types[k] == "bp":
                assert v == "%d.%02d%%" % (x // 100, x % 100), (k, v, x)
            else:
                assert v == str(x), (k, v, x)
    assert rows[-1][0] == "合计"
    # fen as yuan
    r = who.get("/api/v1/stats/fees?division=%s&from=%s&to=%s&format=csv" % (city, f, t))
    jf = who.get("/api/v1/stats/fees?division=%s&from=%s&to=%s" % (city, f, t)).json
    rows = list(csv.reader(io.StringIO(r.body[3:].decode("utf-8"), newline="")))
    assert rows[-1][0] == "合计"
    ci = [col["key"] for col in jf["columns"]].index("collected_fen")
    fen = jf["totals"]["collected_fen"]
    assert fen > 0 and rows[-1][ci] == "%d.%02d" % (fen // 100, fen % 100)


def test_the_sql_working_day_rule_agrees_with_the_c_rule_table():
    # the unit test's calendar in place of the real one, in a transaction
    # rolled back: stats.workdays_between gives the C rule's table
    days = ",".join("('%s', 'holiday')" % d for d in TABLE_HOLIDAYS) + "," + \
        ",".join("('%s', 'workday')" % d for d in TABLE_MAKEUP)
    spans = ",".join("('%s'::date, '%s'::date, %d)" % (s, e, i) for i, (s, e, _) in enumerate(WORKDAY_TABLE))
    out = sql("BEGIN; DELETE FROM cases.calendar; INSERT INTO cases.calendar (day, kind) VALUES %s;"
              " SELECT i, stats.workdays_between(s, e) FROM (VALUES %s) v(s, e, i) ORDER BY i; ROLLBACK" % (days, spans))
    got = [int(r[1]) for r in out if len(r) == 2]
    assert got == [n for _, _, n in WORKDAY_TABLE]
    # and over the calendar as it stands, against the rule written out here
    cal = calendar()
    rnd = random.Random(5)
    pairs = []
    for _ in range(300):
        s = datetime.date(2024, 12, 1) + datetime.timedelta(days=rnd.randint(0, 800))
        pairs.append((s, s + datetime.timedelta(days=rnd.randint(-3, 90))))
    got = sql("SELECT stats.workdays_between(s::date, e::date) FROM (VALUES %s) v(s, e, i) ORDER BY i"
              % ",".join("('%s', '%s', %d)" % (s, e, i) for i, (s, e) in enumerate(pairs)))
    assert [int(g[0]) for g in got] == [workdays(cal, s, e) for s, e in pairs]


def test_two_decisions_of_one_county_in_one_month_do_not_wait_for_each_other():
    """No hot row: a transaction holding its statistics delta open does not
    hold up another case's transition of the same county, type and month."""
    c = ctx()
    c1 = c["counties"][0]
    uid = int(sql("SELECT id FROM iam.user ORDER BY id LIMIT 1")[0][0])
    ids = []
    for _ in range(2):
        ids.append(int(sql(
            "INSERT INTO cases.case (number, business_type, unit_code, receiving_agency, deciding_agency,"
            " receiving_division, deciding_division, state, received_at, due_date, created_by, created_at, updated_at)"
            " VALUES ('%s', 'mortgage.establish', '%s', '%s', '%s', '%s', '%s', 'approved', now(), current_date + 5, %d,"
            " now(), now()) RETURNING id" % (unique("ST-H-"), unit_in(c1), c1, c1, c1, c1, uid))[0][0]))
    register = ("INSERT INTO cases.event (case_id, at, action, from_state, to_state) VALUES (%d, now(), 'register',"
                " 'approved', 'registered');")
    holder = subprocess.Popen([os.path.join(PGBIN, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", psql_conninfo()],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        holder.stdin.write("BEGIN;\n" + register % ids[0] + "\nSELECT pg_sleep(30);\n")
        holder.stdin.flush()
        assert wait_until(lambda: sql("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%%'"
                                      " AND state = 'active'") == [["1"]], timeout=10)
        t0 = time.time()
        sql("SET lock_timeout = '3s'; " + register % ids[1])
        assert time.time() - t0 < 3
    finally:
        # end the holder's transaction (rolled back) and its psql
        sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%%'"
            " AND pid <> pg_backend_pid()")
        holder.kill()
        holder.wait()
    _direct.clear()
