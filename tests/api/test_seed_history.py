"""tbctl seed-history (make seed-history): past cases and archive queries
for statistics. One run of 3,000 cases into the counties of 贺州市 (451100,
which no other module uses: the generated open cases stay out of other
modules' worklists), then exact properties of what it wrote: every case's
events a path of cases.transition in time order, its state the last
event's, case numbers unique and counted, due dates by the working-day
rule, fees by the rules and paid by cash, POS or WeChat (order and
voucher), parties' ID numbers sealed, queries by requester kind; a second
run continuing after the first; and, once the statistics exist, the
overview's figures equal to direct counts."""
import datetime
import json
import os
import subprocess

from auth_lib import admin_session
from lib import ROOT, STACK, psql_conninfo, sql

CITY = "451100"
COUNTIES = ["451102", "451103", "451121", "451122", "451123"]
CASES, RERUN, SEED = 3000, 1000, 11
IN_MINE = "c.deciding_agency IN (%s)" % ",".join("'%s'" % c for c in COUNTIES)
MINE = "cases.case c WHERE " + IN_MINE
JOINED = "cases.case c ON true WHERE " + IN_MINE  # after "JOIN": "… JOIN %s AND c.id = x.case_id"
BJ = datetime.timezone(datetime.timedelta(hours=8))


def tbctl(*args):
    return subprocess.run([os.path.join(ROOT, "build/asan/tbctl"), "seed-history"] + list(args),
                          env=dict(os.environ, TB_PG_ADMIN=psql_conninfo(),
                                   TB_DATA_KEYS=os.path.join(STACK, "keys", "data.keys")),
                          capture_output=True, text=True)


_run = {}


def seeded():
    """The module's first run (once), into units of its own counties."""
    if not _run:
        # a few units per county (zone 899: neither seed-scale's 9xx nor the demo's)
        for i, c in enumerate(COUNTIES):
            sql("INSERT INTO reg.unit (code, county_code, location, use, area_m2)"
                " SELECT '%s' || '899001GB' || lpad(n::text, 5, '0') || 'F00010001', '%s',"
                " '贺州市测试路' || n || '号', (ARRAY['residential','residential','residential','parking',"
                "'non_residential'])[1 + n %% 5], 90 FROM generate_series(1, 40) n ON CONFLICT DO NOTHING" % (c, c))
        before = int(sql("SELECT count(*) FROM " + MINE)[0][0])
        p = tbctl(str(CASES), "--seed", str(SEED), "--counties", ",".join(COUNTIES))
        assert p.returncode == 0, p.stdout + p.stderr
        ev = sql("SELECT details FROM audit.event WHERE action = 'cases.seed_history' ORDER BY seq DESC LIMIT 1")
        _run.update(out=p.stdout, err=p.stderr, before=before, event=json.loads(ev[0][0]))
    return _run


def test_the_cases_asked_for_are_written_with_unique_counted_numbers():
    r = seeded()
    assert "seeded %d cases and %d archive queries" % (CASES, CASES // 5) in r["out"], r["out"]
    ev = r["event"]
    assert ev["cases"] == CASES and ev["cases_to"] - ev["cases_from"] == CASES and ev["seed"] == SEED
    assert int(sql("SELECT count(*) FROM " + MINE)[0][0]) == r["before"] + CASES
    # TB-<deciding county>-<year of creation>-<6 digits>, unique, within the counters
    assert sql("SELECT count(*) FROM %s AND (c.number !~ ('^TB-' || c.deciding_agency || '-[0-9]{4}-[0-9]{6}$')"
               " OR substr(c.number, 11, 4)::int <> extract(year FROM c.created_at AT TIME ZONE 'Asia/Shanghai'))"
               % MINE) == [["0"]]
    assert sql("SELECT number FROM cases.case GROUP BY 1 HAVING count(*) > 1") == []
    assert sql("SELECT n.a, n.y FROM (SELECT c.deciding_agency AS a, substr(c.number, 11, 4)::int AS y,"
               " max(substr(c.number, 16)::int) AS m FROM %s GROUP BY 1, 2) n LEFT JOIN cases.counter k"
               " ON k.agency_code = n.a AND k.year = n.y AND k.kind = 'case' WHERE n.m > coalesce(k.last, 0)" % MINE) == []
    # across the counties, realistic business types, by the generated clerks
    assert int(sql("SELECT count(DISTINCT c.deciding_agency) FROM " + MINE)[0][0]) == len(COUNTIES)
    types = dict(sql("SELECT c.business_type, count(*) FROM %s GROUP BY 1" % MINE))
    assert int(types["mortgage.establish"]) > int(types.get("seizure.establish", 0)) > 0
    assert sql("SELECT count(*) FROM %s AND c.created_by NOT IN (SELECT id FROM iam.user WHERE username LIKE"
               " 'history.%%' AND status = 'disabled')" % MINE) == [["0"]]


def test_every_case_follows_the_workflow_in_time():
    seeded()
    # each event leaves the state the one before reached, by a transition of the table
    assert sql("SELECT count(*) FROM (SELECT e.*, lag(e.to_state) OVER w AS prev, lag(e.at) OVER w AS prev_at,"
               " row_number() OVER w AS n FROM cases.event e WHERE e.case_id IN (SELECT c.id FROM %s)"
               " WINDOW w AS (PARTITION BY e.case_id ORDER BY e.id)) x"
               " WHERE (n = 1 AND (action <> 'create' OR from_state IS NOT NULL OR to_state <> 'draft'))"
               " OR (n > 1 AND (from_state IS DISTINCT FROM prev OR at <= prev_at OR NOT EXISTS"
               " (SELECT 1 FROM cases.transition t WHERE t.from_state = x.from_state AND t.action = x.action"
               " AND t.to_state = x.to_state)))" % MINE) == [["0"]]
    # the case's state is its last event's, its version one per event, nothing after now
    assert sql("SELECT count(*) FROM %s AND (c.state <> (SELECT e.to_state FROM cases.event e WHERE e.case_id = c.id"
               " ORDER BY e.id DESC LIMIT 1) OR c.version <> (SELECT count(*) FROM cases.event e WHERE"
               " e.case_id = c.id) OR c.updated_at > now() OR c.received_at <> (SELECT e.at FROM cases.event e"
               " WHERE e.case_id = c.id AND e.action = 'submit'))" % MINE) == [["0"]]
    # approval and registration by two people
    assert sql("SELECT count(*) FROM cases.event a JOIN cases.event g ON g.case_id = a.case_id AND g.action = 'register'"
               " WHERE a.action = 'approve' AND a.actor_id = g.actor_id AND a.case_id IN (SELECT c.id FROM %s)"
               % MINE) == [["0"]]
    # by age: old cases are decided or withdrawn, recent ones partly open
    st = dict(sql("SELECT CASE WHEN c.received_at < now() - interval '120 days' THEN 'old' ELSE 'new' END"
                  " || cases.state_class(c.state), count(*) FROM %s GROUP BY 1" % MINE))
    assert "oldpending" not in st and int(st["oldterminal"]) > CASES // 2, st
    assert int(st.get("newpending", 0)) > 0, st
    n = dict(sql("SELECT c.state, count(*) FROM %s GROUP BY 1" % MINE))
    total = sum(int(v) for v in n.values())  # this run's, and a second's when the module runs again
    assert total * 0.015 < int(n["rejected"]) < total * 0.05, n
    assert total * 0.025 < int(n["withdrawn"]) < total * 0.06, n
    supp = int(sql("SELECT count(*) FROM %s AND EXISTS (SELECT 1 FROM cases.event e WHERE e.case_id = c.id"
                   " AND e.action = 'request_supplement')" % MINE)[0][0])
    assert total * 0.11 < supp < total * 0.2, supp
    # 通办: about a tenth received at another county's window
    cross = int(sql("SELECT count(*) FROM %s AND c.receiving_agency <> c.deciding_agency" % MINE)[0][0])
    assert total * 0.06 < cross < total * 0.15, cross
    assert sql("SELECT count(*) FROM %s AND (c.receiving_division <> c.receiving_agency"
               " OR c.deciding_division <> c.deciding_agency)" % MINE) == [["0"]]


def workdays_add(start, n, holidays, makeup):
    d = start
    while n > 0:
        d += datetime.timedelta(days=1)
        if (d in makeup) if d.weekday() >= 5 else (d not in holidays):
            n -= 1
    return d


def test_due_dates_follow_the_working_day_rule():
    seeded()
    cal = sql("SELECT day, kind FROM cases.calendar")
    holidays = {datetime.date.fromisoformat(d) for d, k in cal if k == "holiday"}
    makeup = {datetime.date.fromisoformat(d) for d, k in cal if k == "workday"}
    rows = sql("SELECT c.due_date, b.promised_days, (SELECT to_char(e.at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')"
               " FROM cases.event e WHERE e.case_id = c.id AND e.action IN ('submit', 'resubmit') ORDER BY e.id DESC"
               " LIMIT 1) FROM cases.case c JOIN cases.business_type b ON b.code = c.business_type WHERE " + IN_MINE)
    assert len(rows) >= CASES
    bad = [r for r in rows if datetime.date.fromisoformat(r[0]) !=
           workdays_add(datetime.date.fromisoformat(r[2]), int(r[1]), holidays, makeup)]
    assert bad == [], bad[:5]
    # the window a calendar change recomputes (sql/0026): the last submission's day and the promised days
    window = sql("SELECT count(*) FROM cases.case c JOIN cases.business_type b ON b.code = c.business_type WHERE "
                 + IN_MINE + " AND (c.due_from IS DISTINCT FROM (SELECT (e.at AT TIME ZONE 'Asia/Shanghai')::date"
                 " FROM cases.event e WHERE e.case_id = c.id AND e.action IN ('submit', 'resubmit') ORDER BY e.id DESC"
                 " LIMIT 1) OR c.due_days IS DISTINCT FROM b.promised_days)")
    assert window == [["0"]], window
    # some decided after the due date, and some open ones past it now
    late = int(sql("SELECT count(*) FROM %s AND EXISTS (SELECT 1 FROM cases.event e WHERE e.case_id = c.id"
                   " AND e.action IN ('register', 'reject') AND (e.at AT TIME ZONE 'Asia/Shanghai')::date > c.due_date)"
                   % MINE)[0][0])
    assert len(rows) * 0.02 < late < len(rows) * 0.12, late


def test_fees_follow_the_rules_and_payments_their_channels():
    seeded()
    # registered cases carry the rules' items (by a standard, with a basis) and their total
    assert sql("SELECT count(*) FROM %s AND c.fee_total_fen IS DISTINCT FROM (SELECT CASE WHEN count(*) = 0 AND"
               " NOT EXISTS (SELECT 1 FROM cases.event e WHERE e.case_id = c.id AND e.action = 'register') THEN NULL"
               " ELSE coalesce(sum(f.amount_fen), 0) END FROM cases.fee_item f WHERE f.case_id = c.id)" % MINE) == [["0"]]
    assert sql("SELECT count(*) FROM cases.fee_item f JOIN %s AND c.id = f.case_id AND (f.rule IS NULL OR f.basis IS NULL"
               " OR f.rule NOT IN (SELECT code FROM cases.fee_standard))" % JOINED) == [["0"]]
    # a cancellation is free; a residential mortgage pays the residential standard
    assert sql("SELECT count(*) FROM %s AND c.business_type LIKE '%%.cancellation' AND c.fee_total_fen <> 0"
               % MINE) == [["0"]]
    assert sql("SELECT DISTINCT c.fee_total_fen FROM %s AND c.business_type = 'mortgage.establish' AND c.unit_code IN"
               " (SELECT code FROM reg.unit WHERE use = 'residential') AND c.fee_total_fen IS NOT NULL" % MINE) == \
        sql("SELECT amount_fen::text FROM cases.fee_standard WHERE code = 'reg_residential'")
    pays = dict(sql("SELECT coalesce(e.details->>'method', CASE WHEN e.details ? 'not_due' THEN 'not_due' ELSE"
                    " e.details->>'provider' END), count(*) FROM cases.event e JOIN %s AND c.id = e.case_id"
                    " AND e.action = 'record_payment' GROUP BY 1" % JOINED))
    assert set(pays) == {"cash", "pos", "wechat", "not_due"}, pays
    # cash and POS at the window, with a receipt number, by a clerk of the receiving agency
    assert sql("SELECT count(*) FROM cases.event e JOIN %s AND c.id = e.case_id AND e.action = 'record_payment'"
               " AND e.details->>'method' IN ('cash', 'pos') AND (e.details->>'receipt_number' IS NULL"
               " OR e.agency_code <> c.receiving_agency OR e.actor_id IS NULL)" % JOINED) == [["0"]]
    # every amount recorded is the fees set
    assert sql("SELECT count(*) FROM cases.event e JOIN %s AND c.id = e.case_id AND e.action = 'record_payment'"
               " AND NOT e.details ? 'not_due' AND (e.details->>'amount_fen')::bigint <> c.fee_total_fen"
               % JOINED) == [["0"]]
    # WeChat: a paid order and its voucher, as the provider's notification leaves them
    assert sql("SELECT count(*) FROM cases.event e JOIN %s AND c.id = e.case_id AND e.action = 'record_payment'"
               " AND e.details->>'provider' = 'wechat' AND (e.actor_id IS NOT NULL OR NOT EXISTS (SELECT 1 FROM pay.order o"
               " JOIN pay.voucher v ON v.order_id = o.id WHERE o.case_id = c.id AND o.state = 'paid' AND o.paid_at = e.at"
               " AND o.out_trade_no = e.details->>'out_trade_no' AND v.number = e.details->>'voucher'"
               " AND v.amount_fen = c.fee_total_fen AND o.transaction_id = v.transaction_id"
               " AND jsonb_array_length(v.items) = (SELECT count(*) FROM cases.fee_item f WHERE f.case_id = c.id)))"
               % JOINED) == [["0"]]
    assert sql("SELECT count(*) FROM pay.order o WHERE o.out_trade_no !~ '^TB[0-9]{8}[0-9]{10}$'") == [["0"]]


def test_parties_and_queries_are_sealed_and_keyed_like_the_real_ones():
    seeded()
    assert sql("SELECT count(*) FROM cases.party p JOIN %s AND c.id = p.case_id AND (p.id_number !~ '^v1\\.[0-9]+\\.'"
               " OR p.id_number_legacy IS NOT NULL OR p.id_number_index !~ '^[0-9a-f]{64}$'"
               " OR p.progress_key !~ '^[0-9a-f]{64}$' OR p.id_number_masked !~ '^[0-9]{3}\\*+[0-9X]{4}$')"
               % JOINED) == [["0"]]
    assert sql("SELECT count(*) FROM %s AND NOT EXISTS (SELECT 1 FROM cases.party p WHERE p.case_id = c.id"
               " AND p.seq = 1 AND p.role = 'right_holder')" % MINE) == [["0"]]
    mine = "qry.query q WHERE q.agency_code IN (%s)" % ",".join("'%s'" % c for c in COUNTIES)
    kinds = dict(sql("SELECT requester_kind, count(*) FROM %s GROUP BY 1" % mine))
    assert set(kinds) == {"holder", "heir_guardian", "interested_party", "prospective_party", "lawyer", "state_organ"}
    total = int(sql("SELECT count(*) FROM " + MINE)[0][0])
    assert abs(sum(int(v) for v in kinds.values()) - total // 5) <= 2, (kinds, total)
    assert int(kinds["holder"]) > int(kinds["heir_guardian"])
    assert sql("SELECT count(*) FROM %s AND (q.serial !~ ('^CX-' || q.agency_code || '-[0-9]{4}-[0-9]{7}$')"
               " OR q.requester_id_index !~ '^[0-9a-f]{64}$' OR q.requester_id_masked !~ '^[0-9]{3}\\*+[0-9X]{4}$'"
               " OR (q.requester_kind IN ('lawyer', 'state_organ', 'interested_party')) <> (q.requester_reference IS NOT NULL)"
               " OR (q.requester_kind = 'heir_guardian' AND q.cond_kind <> 'holder')"
               " OR (q.requester_kind IN ('interested_party', 'prospective_party') AND q.cond_kind = 'holder')"
               " OR q.created_at > now() OR q.divisions <> ARRAY[q.agency_code])" % mine) == [["0"]]
    assert sql("SELECT k.agency_code FROM qry.serial_counter k WHERE k.agency_code IN (%s) AND k.last <"
               " (SELECT coalesce(max(substr(serial, 16)::int), 0) FROM qry.query q WHERE q.agency_code = k.agency_code"
               " AND substr(q.serial, 11, 4)::int = k.year)" % ",".join("'%s'" % c for c in COUNTIES)) == []
    states = dict(sql("SELECT state, count(*) FROM %s GROUP BY 1" % mine))
    assert int(states["completed"]) > total // 5 * 0.85 and int(states.get("rejected", 0)) > 0, states


def test_a_second_run_continues_after_the_first():
    r = seeded()
    before = int(sql("SELECT count(*) FROM " + MINE)[0][0])
    p = tbctl(str(RERUN), "--seed", str(SEED), "--counties", ",".join(COUNTIES))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "already there: adding %d more" % RERUN in p.stderr, p.stderr
    ev = json.loads(sql("SELECT details FROM audit.event WHERE action = 'cases.seed_history' ORDER BY seq DESC"
                        " LIMIT 1")[0][0])
    assert ev["cases_from"] >= r["event"]["cases_to"] and ev["cases_to"] - ev["cases_from"] == RERUN
    assert int(sql("SELECT count(*) FROM " + MINE)[0][0]) == before + RERUN
    assert sql("SELECT number FROM cases.case GROUP BY 1 HAVING count(*) > 1") == []
    assert sql("SELECT serial FROM qry.query GROUP BY 1 HAVING count(*) > 1") == []
    # the counters moved past the numbers written: the next case of a county follows them
    assert sql("SELECT n.a, n.y FROM (SELECT c.deciding_agency AS a, substr(c.number, 11, 4)::int AS y,"
               " max(substr(c.number, 16)::int) AS m FROM %s GROUP BY 1, 2) n LEFT JOIN cases.counter k"
               " ON k.agency_code = n.a AND k.year = n.y AND k.kind = 'case' WHERE n.m IS DISTINCT FROM k.last"
               % MINE) == []
    # bad arguments change nothing
    for args in (["0"], ["--months", "3"], ["5", "--counties", "45x"], ["5", "--months", "0"]):
        q = tbctl(*args)
        assert q.returncode == 2, (args, q.stdout, q.stderr)


def month_start(d, back):
    y, m = d.year, d.month - back
    while m < 1:
        y, m = y - 1, m + 12
    return "%04d-%02d" % (y, m)


def test_the_statistics_equal_direct_counts():
    seeded()
    if sql("SELECT to_regprocedure('stats.rebuild()') IS NOT NULL") != [["t"]]:
        print("  (the statistics are not in this build: stats.rebuild() is absent, nothing to compare)")
        return
    today = datetime.datetime.now(BJ).date()
    frm, to = month_start(today, 23), "%04d-%02d" % (today.year, today.month)
    _, s = admin_session("jurisdiction_admin", "450000")
    r = s.get("/api/v1/stats/overview?division=450000&from=%s&to=%s" % (frm, to))
    assert r.status == 200, (r.status, r.body)
    body = r.json
    row = dict(body.get("totals") or {})
    for x in body.get("rows") or []:
        row.update({k: v for k, v in x.items() if k not in row})
    # the definitions of sql/0025's header, counted from the rows
    p = ("(%s AT TIME ZONE 'Asia/Shanghai') >= '%s-01' AND (%s AT TIME ZONE 'Asia/Shanghai')"
         " < ('%s-01'::date + interval '1 month')")
    rec, ev, qa = p % ("c.received_at", frm, "c.received_at", to), p % ("e.at", frm, "e.at", to), \
        p % ("q.created_at", frm, "q.created_at", to)
    direct = {
        "received": "SELECT count(*) FROM cases.case c WHERE " + rec,
        "cross_received": "SELECT count(*) FROM cases.case c WHERE c.receiving_division <> c.deciding_division AND "
                          + rec,
        "supplemented": "SELECT count(*) FROM cases.case c WHERE EXISTS (SELECT 1 FROM cases.event e WHERE"
                        " e.case_id = c.id AND e.action = 'request_supplement') AND " + rec,
        # decisions of cases once received (a case registered through other tests' SQL without a
        # receipt is none of the statistics')
        "registered": "SELECT count(*) FROM cases.event e JOIN cases.case c ON c.id = e.case_id WHERE"
                      " e.action = 'register' AND c.received_at IS NOT NULL AND " + ev,
        "rejected": "SELECT count(*) FROM cases.event e JOIN cases.case c ON c.id = e.case_id WHERE"
                    " e.action = 'reject' AND c.received_at IS NOT NULL AND " + ev,
        "withdrawn": "SELECT count(*) FROM cases.event e JOIN cases.case c ON c.id = e.case_id WHERE"
                     " e.action = 'withdraw' AND c.received_at IS NOT NULL AND " + ev,
        "collected_fen": "SELECT coalesce(sum((e.details->>'amount_fen')::bigint), 0) FROM cases.event e WHERE"
                         " e.action = 'record_payment' AND NOT e.details ? 'not_due' AND " + ev,
        "queries": "SELECT count(*) FROM qry.query q WHERE " + qa,
    }
    assert "received" in row, body
    for key, q in direct.items():
        assert key in row and int(row[key]) == int(sql(q)[0][0]), (key, row.get(key), sql(q), body)
