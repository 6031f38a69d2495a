"""Business types made by data plus domain rules (fcgi/domain/registry.c):
the ownership transfer (转移登记) ending the earlier owners, seizure (查封)
with its wait-list (轮候) and release (解封), objection (异议) and its
cancellation — each through the real workflow to the registry rows — and
the check that the workflow in the database agrees with the domain."""
import os
import re
import signal
import subprocess
import time

from case_lib import HOLDER, OBLIGOR, RECEIVING, act, attach, create, fix_check, mortgage_body, staff, unit
from lib import ROOT, STACK, assert_problem, psql_conninfo, sql, wait_until

# units in 马山县, a county (its own registration area) no other module
# registers in, so that its certificate sequences are these tests' alone
DECIDING = "450124"
CLERK = ("intake_clerk", RECEIVING)
REVIEWER = ("reviewer", DECIDING)
REGISTRAR = ("registrar", DECIDING)
RIGHT = re.compile(r"^桂\((\d{4})\)马山县不动产权第(\d{7})号$")
PROOF = re.compile(r"^桂\((\d{4})\)马山县不动产证明第(\d{7})号$")
COURT = {"role": "right_holder", "name": "南宁市中级人民法院", "id_type": "uscc", "id_number": "91350100M000100Y43"}
BUYER2 = {"role": "right_holder", "name": "王五", "id_type": "resident_id",
          "id_number": fix_check("45010219850505123")}
DOCS = {"seizure": ["court_ruling", "assistance_notice"],
        "objection.establish": ["application", "identity", "objection_proof"],
        "objection.cancellation": ["application", "identity"],
        "ownership": ["application", "identity", "ownership_proof"],
        "mortgage": ["application", "identity", "mortgage_contract"]}


def new_case(body):
    r = create(body, attach_docs=False)
    assert r.status == 201, r
    t = body["business_type"]
    for doc in DOCS.get(t, DOCS.get(t.split(".")[0], [])):
        assert attach(r.json["id"], doc).status == 201
    return r.json


def through(c, upto="register"):
    """submit → accept → approve → register from the case's state; the
    response of upto."""
    plan = (("submit", CLERK), ("accept", REVIEWER), ("approve", REVIEWER), ("register", REGISTRAR))
    done = {"draft": 0, "submitted": 1, "accepted": 2, "approved": 3}[c["state"]]
    for action, who in plan[done:]:
        r = act(c, action, staff[who])
        if action == upto:
            return r
        assert r.status == 200, (action, r)
        c = r.json


def registered(body):
    r = through(new_case(body))
    assert r.status == 200, r
    assert r.json["state"] == "registered"
    return r.json


def seizure_body(code, **fields):
    f = {"court": "南宁市中级人民法院", "document_number": "(2026)桂01执123号", "ruling_date": "2026-03-01",
         "term_from": "2026-03-02", "term_to": "2029-03-01"}
    f.update(fields)
    return {"business_type": "seizure.establish", "unit_code": code, "parties": [COURT, dict(HOLDER, role="obligor")],
            "fields": f}


def release_body(code, entry_id):
    return {"business_type": "seizure.cancellation", "unit_code": code, "parties": [COURT],
            "fields": {"entry_id": entry_id, "court": "南宁市中级人民法院", "document_number": "(2026)桂01执123号之一",
                       "ruling_date": "2026-06-01"}}


def entries(code, kind):
    return sql("SELECT id, holder_name, coalesce(rank, 0), waiting, valid_to IS NOT NULL, effective_from IS NOT NULL,"
               " coalesce(certificate_no, '') FROM reg.entry WHERE unit_code = '%s' AND kind = '%s' ORDER BY id"
               % (code, kind))


class Pilot:
    """The ownership pilot switched on for the deciding county while inside."""

    def __enter__(self):
        sql("INSERT INTO cases.pilot (division_code, category) VALUES ('%s', 'ownership') ON CONFLICT DO NOTHING"
            % DECIDING)

    def __exit__(self, *a):
        sql("DELETE FROM cases.pilot WHERE division_code = '%s'" % DECIDING)


# ---- the workflow in the database agrees with the domain -------------------------

def test_every_workflow_action_state_and_type_agrees_with_the_domain_at_worker_start():
    actions = int(sql("SELECT count(DISTINCT action) FROM cases.transition")[0][0])
    states = int(sql("SELECT count(*) FROM (SELECT from_state FROM cases.transition"
                     " UNION SELECT to_state FROM cases.transition) s")[0][0])
    types = int(sql("SELECT count(*) FROM cases.business_type")[0][0])
    line = "workflow check: %d actions, %d states and %d business types agree with the domain" % (
        actions, states, types)
    with open(os.path.join(STACK, "log", "intake.log"), encoding="utf-8", errors="replace") as f:
        assert line in f.read()
    # SQL's classes, as the worker compared them: pending is the priority list
    assert sql("SELECT s, cases.state_class(s), cases.state_pending(s) FROM (SELECT from_state AS s"
               " FROM cases.transition UNION SELECT to_state FROM cases.transition) t ORDER BY s") == [
        ["accepted", "pending", "t"], ["approved", "pending", "t"], ["closed", "terminal", "f"],
        ["delivered", "done", "f"], ["draft", "draft", "f"], ["fees_set", "done", "f"], ["issued", "done", "f"],
        ["paid", "done", "f"], ["registered", "done", "f"], ["rejected", "terminal", "f"],
        ["submitted", "pending", "t"], ["supplement_requested", "pending", "t"], ["withdrawn", "terminal", "f"]]


def test_an_action_without_a_table_entry_stops_the_worker_and_is_never_a_bare_state_change():
    c = create(mortgage_body(unit(county=DECIDING))).json
    sql("INSERT INTO cases.transition (from_state, action, to_state, permission, side)"
        " VALUES ('draft', 'fly', 'submitted', 'case.create', 'receiving')")
    sock = os.path.join(STACK, "run", "intake-check.sock")
    env = dict(os.environ, TB_SOCKET=sock, TB_WORKERS="1", TB_LOG_LEVEL="info",
               TB_PG=psql_conninfo(user="tb_intake") + " connect_timeout=2",
               TB_REDIS=os.path.join(STACK, "run", "redis.sock"),
               TB_DATA_KEYS=os.path.join(STACK, "keys", "data.keys"))
    p = subprocess.Popen([os.path.join(ROOT, "build/asan/tongban-intake")], env=env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    out = b""
    try:
        # the action is refused at its use too, and the case stays a draft
        r = act(c, "fly", staff[CLERK])
        assert_problem(r, 500, "action_not_implemented")
        assert sql("SELECT state, version FROM cases.case WHERE id = %d" % c["id"]) == [["draft", "1"]]
        os.set_blocking(p.stdout.fileno(), False)

        def refused():
            nonlocal out
            out += p.stdout.read() or b""
            return b"worker initialisation failed" in out
        assert wait_until(refused, timeout=20), out.decode(errors="replace")
    finally:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        sql("DELETE FROM cases.transition WHERE action = 'fly'")
        if os.path.exists(sock):
            os.unlink(sock)
    text = out.decode(errors="replace")
    assert "action fly of cases.transition has no entry in the action table" in text, text
    assert "1 problems; this worker does not start" in text, text


# ---- ownership transfer (转移登记) -------------------------------------------------

def test_an_ownership_transfer_ends_the_earlier_owners_and_writes_the_new_with_shares():
    code = unit(county=DECIDING)
    before = [int(sql("INSERT INTO reg.entry (unit_code, kind, holder_name, share, certificate_no, valid_from)"
                      " VALUES ('%s', 'ownership', '%s', '1/2', '桂(2020)马山县不动产权第0000001号', now()"
                      " - interval '1 year') RETURNING id" % (code, n))[0][0]) for n in ("赵一", "钱二")]
    body = {"business_type": "ownership.transfer", "unit_code": code,
            "parties": [HOLDER, BUYER2, dict(OBLIGOR)],
            "fields": {"description": "买卖", "shares": ["1/3", "2/3"]}}
    with Pilot():
        # the shares are checked against the right holders
        assert_problem(create(dict(body, fields={"description": "买卖", "shares": ["1/2", "1/3"]})), 400,
                       "invalid_field")
        assert_problem(create(dict(body, fields={"description": "买卖", "shares": ["1/1"]})), 400, "invalid_field")
        assert_problem(create(dict(body, fields={"description": "买卖", "shares": "1/2"})), 400, "invalid_field")
        c = registered(body)
    m = RIGHT.match(c["certificate_no"])
    assert m, c["certificate_no"]
    # the earlier owners' entries end, kept with the case that ended them
    assert sql("SELECT valid_to IS NOT NULL, ended_by_case FROM reg.entry WHERE id IN (%d, %d) ORDER BY id"
               % tuple(before)) == [["t", str(c["id"])], ["t", str(c["id"])]]
    now = sql("SELECT holder_name, share, holder_id_type, holder_id_number_masked, holder_id_number IS NOT NULL,"
              " certificate_no, made_by_case FROM reg.entry WHERE unit_code = '%s' AND kind = 'ownership'"
              " AND valid_to IS NULL ORDER BY id" % code)
    assert now == [["张三", "1/3", "resident_id", "110***********002X", "t", c["certificate_no"], str(c["id"])],
                   ["王五", "2/3", "resident_id", BUYER2["id_number"][:3] + "*" * 11 + BUYER2["id_number"][-4:], "t",
                    c["certificate_no"], str(c["id"])]]
    d = c["timeline"][-1]["details"]
    assert d["certificate_no"] == c["certificate_no"] and sorted(d["ended_entries"]) == before
    assert len(d["entry_ids"]) == 2 and d["entry_id"] == d["entry_ids"][0]
    # counted as 不动产权, apart from the 不动产证明 sequence
    assert sql("SELECT last FROM cases.certificate_counter WHERE area_code = '%s' AND kind = 'right'"
               " AND year = %s" % (DECIDING, m.group(1))) == [[str(int(m.group(2)))]]


def test_a_sole_buyer_owns_all_and_several_without_shares_own_jointly():
    code = unit(county=DECIDING)
    with Pilot():
        registered({"business_type": "ownership.transfer", "unit_code": code, "parties": [HOLDER],
                    "fields": {"description": "买卖"}})
        assert sql("SELECT holder_name, share FROM reg.entry WHERE unit_code = '%s' AND valid_to IS NULL" % code) == [
            ["张三", "1/1"]]
        registered({"business_type": "ownership.transfer", "unit_code": code, "parties": [HOLDER, BUYER2],
                    "fields": {"description": "赠与"}})
    assert sql("SELECT holder_name, share FROM reg.entry WHERE unit_code = '%s' AND valid_to IS NULL ORDER BY id"
               % code) == [["张三", "共同共有"], ["王五", "共同共有"]]
    assert sql("SELECT count(*) FROM reg.entry WHERE unit_code = '%s' AND valid_to IS NOT NULL" % code) == [["1"]]


def test_no_ownership_transfer_on_a_seized_unit():
    code = unit(county=DECIDING)
    registered(seizure_body(code))
    with Pilot():
        r = through(new_case({"business_type": "ownership.transfer", "unit_code": code, "parties": [HOLDER],
                              "fields": {"description": "买卖"}}))
    assert_problem(r, 409, "unit_seized")
    assert entries(code, "ownership") == []


# ---- seizure (查封), the wait-list (轮候), release (解封) ----------------------------

def test_a_seizure_on_a_courts_order_then_a_second_waits_and_takes_effect_when_the_first_is_released():
    code = unit(county=DECIDING)
    # a court's order is not queued behind an application received earlier
    pending = create(mortgage_body(code)).json
    assert act(pending, "submit", staff[CLERK]).status == 200
    first = registered(seizure_body(code))
    assert PROOF.match(first["certificate_no"]), first["certificate_no"]
    assert first["fields"]["document_number"] == "(2026)桂01执123号"
    e1 = first["timeline"][-1]["details"]["entry_id"]
    assert entries(code, "seizure") == [[str(e1), "南宁市中级人民法院", "1", "f", "f", "f", first["certificate_no"]]]
    # a second seizure (another court) is wait-listed behind it
    second = registered(seizure_body(code, court="来宾市兴宾区人民法院", document_number="(2026)桂1302执88号"))
    e2 = second["timeline"][-1]["details"]["entry_id"]
    assert second["timeline"][-1]["details"]["waiting"] is True
    assert entries(code, "seizure")[1] == [str(e2), "来宾市兴宾区人民法院", "2", "t", "f", "f",
                                           second["certificate_no"]]
    # nothing else registers meanwhile: the earlier mortgage application is refused at 登簿
    assert_problem(through(staff[CLERK].get("/api/v1/cases/%d" % pending["id"]).json), 409, "unit_seized")
    # the release of the first: it ends, the wait-listed one takes effect
    rel = registered(release_body(code, e1))
    assert rel["timeline"][-1]["details"] == {"ended_entry": e1, "took_effect": e2}
    assert rel["certificate_no"] is None
    assert entries(code, "seizure") == [
        [str(e1), "南宁市中级人民法院", "1", "f", "t", "f", first["certificate_no"]],
        [str(e2), "来宾市兴宾区人民法院", "2", "f", "f", "t", second["certificate_no"]]]
    assert sql("SELECT ended_by_case FROM reg.entry WHERE id = %d" % e1) == [[str(rel["id"])]]
    # still seized by the second; released too, the unit is free again and
    # the application refused meanwhile (still approved) registers
    registered(release_body(code, e2))
    r = act(staff[CLERK].get("/api/v1/cases/%d" % pending["id"]).json, "register", staff[REGISTRAR])
    assert r.status == 200, r
    assert sql("SELECT kind, rank FROM reg.entry WHERE made_by_case = %d" % pending["id"]) == [["mortgage", "1"]]


def test_releasing_a_wait_listed_seizure_leaves_the_one_in_effect():
    code = unit(county=DECIDING)
    e1 = registered(seizure_body(code))["timeline"][-1]["details"]["entry_id"]
    e2 = registered(seizure_body(code, document_number="(2026)桂01执124号"))["timeline"][-1]["details"]["entry_id"]
    rel = registered(release_body(code, e2))
    assert rel["timeline"][-1]["details"] == {"ended_entry": e2}
    assert [r[2:6] for r in entries(code, "seizure")] == [["1", "f", "f", "f"], ["2", "t", "t", "f"]]
    assert e1 < e2


def test_a_release_must_name_a_seizure_in_force():
    code = unit(county=DECIDING)
    m = registered(mortgage_body(code))
    mortgage_entry = m["timeline"][-1]["details"]["entry_id"]
    assert_problem(through(new_case(release_body(code, mortgage_entry))), 409, "no_such_right")
    assert sql("SELECT valid_to IS NULL FROM reg.entry WHERE id = %d" % mortgage_entry) == [["t"]]


def test_seizure_fields_are_the_courts_order_and_a_term_of_at_most_three_years():
    code = unit(county=DECIDING)
    before = sql("SELECT count(*) FROM cases.case")
    f = seizure_body(code)["fields"]
    missing = dict(seizure_body(code), fields={k: v for k, v in f.items() if k != "document_number"})
    assert_problem(create(missing, attach_docs=False), 400, "missing_field")
    assert_problem(create(seizure_body(code, term_to="2029-03-03"), attach_docs=False), 400, "invalid_field")
    assert_problem(create(seizure_body(code, ruling_date="2026-02-30"), attach_docs=False), 400, "invalid_field")
    assert_problem(create(seizure_body(code, entry_id=1), attach_docs=False), 400, "unknown_field")
    assert sql("SELECT count(*) FROM cases.case") == before
    v = staff[CLERK].call("POST", "/api/v1/cases/validate", json_body=seizure_body(code, term_to="2030-01-01"))
    assert v.status == 200 and v.json["problems"] == [
        {"field": "fields/term_to", "code": "invalid_field",
         "detail": "must be a date after term_from, at most three years after it."}]
    # the documents a court's order comes with
    c = create(seizure_body(code), attach_docs=False).json
    r = act(c, "submit", staff[CLERK])
    assert_problem(r, 409, "documents_missing")
    assert "assistance_notice" in r.json["detail"] and "court_ruling" in r.json["detail"]


# ---- objection (异议) and its cancellation -----------------------------------------

def test_an_objection_is_recorded_and_cancelled():
    code = unit(county=DECIDING)
    body = {"business_type": "objection.establish", "unit_code": code, "parties": [HOLDER],
            "fields": {"matter": "房屋权属存在争议，已向人民法院起诉"}}
    c = registered(body)
    assert PROOF.match(c["certificate_no"])
    eid = c["timeline"][-1]["details"]["entry_id"]
    assert sql("SELECT kind, holder_name, holder_id_number_masked, valid_to IS NULL FROM reg.entry WHERE id = %d"
               % eid) == [["objection", "张三", "110***********002X", "t"]]
    # an objection does not bar other registrations (it warns; a seizure bars)
    assert registered(mortgage_body(code))["state"] == "registered"
    k = registered({"business_type": "objection.cancellation", "unit_code": code, "parties": [HOLDER],
                    "fields": {"entry_id": eid, "reason": "异议人撤回"}})
    assert k["timeline"][-1]["details"] == {"ended_entry": eid}
    assert sql("SELECT valid_to IS NOT NULL, ended_by_case FROM reg.entry WHERE id = %d" % eid) == [
        ["t", str(k["id"])]]


def test_the_new_types_are_listed_with_their_documents_and_fee_rules():
    items = {t["code"]: t for t in staff[CLERK].get("/api/v1/business-types").json["items"]}
    assert items["seizure.establish"]["category"] == "seizure" and items["seizure.establish"]["name"] == "查封登记"
    assert items["seizure.establish"]["required_documents"] == ["court_ruling", "assistance_notice"]
    assert items["seizure.cancellation"]["name"] == "解封登记" and items["seizure.cancellation"]["fee_rule"] == "free"
    assert items["objection.establish"]["name"] == "异议登记"
    assert items["objection.cancellation"]["action"] == "cancellation"
    assert not any(items[t]["pilot_only"] for t in ("seizure.establish", "objection.establish"))
