"""Staff search of the registry (POST /api/v1/registry/search, query
service): by unit code, certificate number (either bracket width) or holder
name + ID number, as at now or a past time, a page at a time, only inside the
caller's registry.read scopes; cached in Redis under versioned keys, so a
registration is seen by the next search; every search audited without the
number."""
import itertools
import json
import os
import random
import subprocess
import time

from auth_lib import audit_count, login, make_user
from case_lib import DECIDING, HOLDER, RECEIVING, act, create, fix_check, mortgage_body, registry_import, staff
from lib import (STACK, assert_problem, fcgi_connect, fcgi_params, fcgi_read_response, fcgi_request_bytes, request,
                 sql, stack, wait_until)
from test_openapi import conforms

CLERK = ("intake_clerk", RECEIVING)
REVIEWER = ("reviewer", DECIDING)
REGISTRAR = ("registrar", DECIDING)
HEADER = "unit_code,location,use,area_m2,certificate_no,holder_name,holder_id_type,holder_id_number,share\n"
# parcels of 青秀区 (450103) zone 009 and 江南区 (450105): these tests' own
_parcels = itertools.count(random.randint(100, 800) * 100)
_people = itertools.count(random.randint(1000, 8000))
PATH = "/api/v1/registry/search"


def person():
    """A holder nobody else has: a valid resident ID of its own."""
    return fix_check("4501031980%02d%02d%03d" % (random.randint(1, 12), random.randint(1, 28), next(_people) % 1000))


def imported(holders, county="450103"):
    """A unit imported by `tbctl registry import` (ID numbers sealed and
    indexed with the stack's keys) with holders [(name, id_number, share)];
    returns (code, certificate number)."""
    n = next(_parcels)
    code = "%s009004GB%05dF%08d" % (county, n % 100000, 3)
    cert = "桂(2025)南宁市不动产权第%07d号" % n
    registry_import(HEADER + "".join("%s,青秀区民族大道%d号,residential,120.25,%s,%s,resident_id,%s,%s\n"
                                     % (code, n, cert, name, idn, share) for name, idn, share in holders))
    return code, cert


def searcher(scope="450000", role="query_clerk"):
    uid, name = make_user(agency=RECEIVING, grants=[(role, scope)])
    return login(name)


WIDE = None


def wide():
    global WIDE
    if WIDE is None:
        WIDE = searcher()
    return WIDE


def search(body, who=None):
    return (who or wide()).call("POST", PATH, json_body=body)


def masked(idn):
    return idn[:3] + "*" * (len(idn) - 7) + idn[-4:]


def unit_item(code, cert, holders, mortgages=()):
    return {"code": code, "location": "青秀区民族大道%s号" % int(cert[-8:-1]), "use": "residential",
            "area_m2": 120.25, "county": {"code": code[:6], "name": {"450103": "青秀区", "450105": "江南区"}[code[:6]]},
            "holders": [{"name": n, "id_type": "resident_id", "id_number_masked": masked(i), "share": s,
                         "certificate_no": cert} for n, i, s in holders],
            "mortgages": list(mortgages), "pre_notices": [], "seizures": [], "objections": []}


def last_search_audit():
    rows = sql("SELECT actor_id, object_type, outcome, details::text FROM audit.event"
               " WHERE action = 'registry.search' ORDER BY seq DESC LIMIT 1")
    return rows[0][:3] + [json.loads(rows[0][3])]


def searches_audited(where):
    """Searches in the audit trail: a row of gathered hits counts its
    "searches" (search.c)."""
    return int(sql("SELECT coalesce(sum(coalesce((details->>'searches')::int, 1)), 0) FROM audit.event"
                   " WHERE %s" % where)[0][0])


def redis(*args):
    p = subprocess.run(["redis-cli", "-s", os.path.join(STACK, "run", "redis.sock")] + list(args),
                       capture_output=True, text=True, check=True)
    return p.stdout.split()


class Workers:
    """One kept FastCGI connection to each query worker, straight to the
    service's socket as nginx holds them: a search sent on each reaches
    every worker's in-memory copies (TB_WORKERS = 2 in the test stack)."""

    def __init__(self, n=2):
        self.conns, self.rid = {}, 0
        for _ in range(100):
            if len(self.conns) == n:
                break
            s = fcgi_connect(os.path.join(STACK, "run", "query.sock"))
            s.sendall(fcgi_request_bytes(1, fcgi_params("/healthz"), keep=True))
            status, _, body, _ = fcgi_read_response(s)
            pid = json.loads(body)["pid"]
            if status == 200 and pid not in self.conns:
                self.conns[pid] = s
            else:
                s.close()
        assert len(self.conns) == n, self.conns

    def search(self, pid, body, who=None):
        raw = json.dumps(body).encode()
        self.rid += 1
        params = fcgi_params(PATH, method="POST", CONTENT_TYPE="application/json", CONTENT_LENGTH=str(len(raw)),
                             HTTP_AUTHORIZATION="Bearer " + (who or wide()).token,
                             REQUEST_ID="%032x" % random.getrandbits(128))
        s = self.conns[pid]
        s.sendall(fcgi_request_bytes(1, params, body=raw, keep=True))
        status, _, out, _ = fcgi_read_response(s)
        assert status == 200, (status, out)
        return json.loads(out)

    def close(self):
        for s in self.conns.values():
            s.close()


def registered_mortgage(code):
    """A mortgage taken in at the window and registered by the deciding side."""
    c = create(mortgage_body(code)).json
    for action, who in (("submit", CLERK), ("accept", REVIEWER), ("approve", REVIEWER), ("register", REGISTRAR)):
        r = act(c, action, staff[who])
        assert r.status == 200, (action, r)
        c = r.json
    return c


def test_by_unit_code_the_unit_with_its_holders_masked_and_audited():
    a, b = person(), person()
    code, cert = imported([("甲一", a, "1/2"), ("乙一", b, "1/2")])
    r = search({"unit_code": code})
    assert r.status == 200, r
    assert r.header("Cache-Control") == "no-store"
    assert r.json["items"] == [unit_item(code, cert, [("甲一", a, "1/2"), ("乙一", b, "1/2")])]
    assert r.json["next"] is None
    assert r.json["as_at"].endswith("+08:00")
    conforms(r, PATH, "post")
    assert a not in r.body.decode() and b not in r.body.decode()
    actor, otype, outcome, details = last_search_audit()
    assert (otype, outcome) == ("registry", "success")
    assert details == {"by": "unit_code", "as_at": False, "next_page": False, "found": 1, "cached": False}


def test_by_certificate_number_in_either_bracket_width():
    a = person()
    code, cert = imported([("丙二", a, "1/1")])
    want = [unit_item(code, cert, [("丙二", a, "1/1")])]
    full = cert.replace("(", "（").replace(")", "）")
    for given in (cert, full, "  " + full + "\u3000"):
        r = search({"certificate_no": given})
        assert r.status == 200, r
        assert r.json["items"] == want, given
    assert last_search_audit()[3]["by"] == "certificate_no"


def test_by_holder_every_unit_a_page_at_a_time():
    a = person()
    units = sorted(imported([("丁三", a, "1/1")]) for _ in range(3))
    body = {"holder": {"name": "丁三", "id_type": "resident_id", "id_number": a}, "limit": 2}
    r = search(body)
    assert r.status == 200, r
    assert r.json["items"] == [unit_item(c, n, [("丁三", a, "1/1")]) for c, n in units[:2]]
    assert r.json["next"]
    r2 = search(dict(body, after=r.json["next"]))
    assert r2.status == 200, r2
    assert r2.json["items"] == [unit_item(c, n, [("丁三", a, "1/1")]) for c, n in units[2:]]
    assert r2.json["next"] is None
    # the lower-case check character, the wrong name: the same / nothing
    assert search(dict(body, holder=dict(body["holder"], name="丁四"))).json["items"] == []
    assert last_search_audit()[3] == {"by": "holder", "as_at": False, "next_page": False, "found": 0,
                                      "cached": False}
    # no trace of the number in the audit trail
    assert sql("SELECT count(*) FROM audit.event WHERE details::text LIKE '%%%s%%'" % a[-8:]) == [["0"]]


def test_as_at_before_a_registration_shows_the_register_as_it_was():
    a = person()
    code, cert = imported([("戊四", a, "1/1")])
    time.sleep(0.01)
    before = sql("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")[0][0]
    time.sleep(0.01)
    registered_mortgage(code)
    now = search({"unit_code": code}).json["items"][0]
    assert [m["mortgagee"] for m in now["mortgages"]] == ["中国工商银行"] or len(now["mortgages"]) == 1
    assert now["mortgages"][0]["rank"] == 1 and now["mortgages"][0]["amount_fen"] == 50000000
    r = search({"unit_code": code, "as_at": before})
    assert r.status == 200, r
    assert r.json["items"] == [unit_item(code, cert, [("戊四", a, "1/1")])]
    assert last_search_audit()[3]["as_at"] is True
    # before the unit had any entry: the unit, nothing in force
    r = search({"unit_code": code, "as_at": "2001-01-01T00:00:00+08:00"})
    assert r.json["items"] == [dict(unit_item(code, cert, []), holders=[])]
    assert r.json["as_at"] == "2001-01-01T00:00:00+08:00"


def test_outside_the_scope_nothing_not_even_another_scope_s_cached_answer():
    a = person()
    code, cert = imported([("己五", a, "1/1")])
    holder = {"name": "己五", "id_type": "resident_id", "id_number": a}
    # warm the cache as a region-wide user: the same searches twice
    for body in ({"unit_code": code}, {"certificate_no": cert}, {"holder": holder}):
        assert len(search(body).json["items"]) == 1
        assert len(search(body).json["items"]) == 1
        assert last_search_audit()[3]["cached"] is True
    # a user whose registry.read covers 江南区 only, and one with the county's
    # city: the one gets nothing, the other the unit
    narrow = searcher("450105")
    city = searcher("450100")
    for body in ({"unit_code": code}, {"certificate_no": cert}, {"holder": holder}):
        r = search(body, narrow)
        assert r.status == 200 and r.json["items"] == [] and r.json["next"] is None, (body, r)
        assert last_search_audit()[3]["cached"] is False
        assert [u["code"] for u in search(body, city).json["items"]] == [code]
    # a role without registry.read: 403
    r = searcher("450103", "cashier").call("POST", PATH, json_body={"unit_code": code})
    assert_problem(r, 403, "forbidden")


def test_cached_answer_never_outlives_a_registration():
    a = person()
    code, cert = imported([("庚六", a, "1/1")])
    holder = {"holder": {"name": "庚六", "id_type": "resident_id", "id_number": a}}
    bodies = ({"unit_code": code}, {"certificate_no": cert}, holder)
    for body in bodies:
        assert search(body).json["items"][0]["mortgages"] == []
        assert search(body).json["items"][0]["mortgages"] == []
        assert last_search_audit()[3]["cached"] is True
    registered_mortgage(code)
    for body in bodies:
        r = search(body)
        assert [m["rank"] for m in r.json["items"][0]["mortgages"]] == [1], (body, r)
        assert last_search_audit()[3]["cached"] is False
    # and cached again under the new version
    assert len(search(holder).json["items"][0]["mortgages"]) == 1
    assert last_search_audit()[3]["cached"] is True


def test_no_worker_serves_its_copy_after_a_registration_returns():
    """Each query worker keeps answers in memory (answers.c), dropped when
    Redis reports their version key changed (track.h). With a copy on every
    worker — shown to be served without Redis: the Redis answers are deleted
    and the searches still come from the cache — a registration through the
    workflow, and at once every worker answers the new state."""
    a = person()
    code, cert = imported([("寅十二", a, "1/1")])
    bodies = ({"unit_code": code}, {"certificate_no": cert},
              {"holder": {"name": "寅十二", "id_type": "resident_id", "id_number": a}})
    w = Workers()
    try:
        for pid in w.conns:
            for body in bodies:
                for _ in range(3):  # a miss, a Redis hit (copied), a copy
                    assert w.search(pid, body)["items"][0]["mortgages"] == []
        keys = redis("--scan", "--pattern", "tb:sr:*")
        assert keys and int(redis("DEL", *keys)[0]) == len(keys)
        for pid in w.conns:
            for body in bodies:
                assert w.search(pid, body)["items"][0]["mortgages"] == []
                assert last_search_audit()[3]["cached"] is True, (pid, body)
        registered_mortgage(code)
        for pid in w.conns:
            for body in bodies:
                items = w.search(pid, body)["items"]
                assert [m["rank"] for m in items[0]["mortgages"]] == [1], (pid, body, items)
    finally:
        w.close()


def test_a_lost_redis_drops_every_copy():
    """The tracking connection lost (Redis stopped): no copy is served, since
    no invalidation could reach it; searches come from the database until
    Redis is back, and then the register as it is."""
    a = person()
    code, cert = imported([("卯十三", a, "1/1")])
    body = {"unit_code": code}
    w = Workers()
    try:
        for pid in w.conns:
            for _ in range(3):
                w.search(pid, body)
            w.search(pid, body)
            assert last_search_audit()[3]["cached"] is True
        stack("redis-stop")
        try:
            for pid in w.conns:
                assert [u["code"] for u in w.search(pid, body)["items"]] == [code]
                assert last_search_audit()[3]["cached"] is False, pid
            registered_mortgage(code)
        finally:
            stack("redis-start")
        assert wait_until(lambda: request("GET", "/readyz").status == 200, 5)
        for pid in w.conns:
            assert len(w.search(pid, body)["items"][0]["mortgages"]) == 1
        # each worker back on Redis (a worker retries a lost connection a
        # second later) before the next test counts on its cache
        for pid in w.conns:
            assert wait_until(lambda: w.search(pid, body) and last_search_audit()[3]["cached"] is True, 5, 0.2)
    finally:
        w.close()


def test_a_redis_restart_costs_no_search_its_cache():
    """Each worker keeps its Redis connection between requests. Redis
    restarted while the workers sit idle: the first search on each finds
    its kept connection closed, connects again at once and is answered and
    cached as usual — no second of misses (cache.c)."""
    w = Workers()
    try:
        for pid in w.conns:  # every worker holds a connection to Redis
            a = person()
            w.search(pid, {"unit_code": imported([("辰十四", a, "1/1")])[0]})
        stack("redis-stop")
        stack("redis-start")
        assert wait_until(lambda: redis("PING") == ["PONG"], 5, 0.1)
        for pid in w.conns:
            a = person()
            code, cert = imported([("辰十四", a, "1/1")])
            before = len(redis("--scan", "--pattern", "tb:sr:*"))
            assert [u["code"] for u in w.search(pid, {"unit_code": code})["items"]] == [code]
            assert last_search_audit()[3]["cached"] is False
            # the answer went to Redis, and the next search is a Redis hit
            assert len(redis("--scan", "--pattern", "tb:sr:*")) == before + 1, pid
            assert [u["code"] for u in w.search(pid, {"unit_code": code})["items"]] == [code]
            assert last_search_audit()[3]["cached"] is True, pid
    finally:
        w.close()


def test_a_lost_version_key_or_a_counted_up_generation_is_a_miss():
    a = person()
    code, cert = imported([("辛七", a, "1/1")])
    body = {"unit_code": code}
    search(body)
    search(body)
    assert last_search_audit()[3]["cached"] is True
    # the intake's fallback when Redis did not take a renewal
    sql("UPDATE reg.search_generation SET n = n + 1")
    search(body)
    assert last_search_audit()[3]["cached"] is False
    search(body)
    assert last_search_audit()[3]["cached"] is True


def test_bad_input_is_refused_with_its_code_and_nothing_written():
    a = person()
    good = {"name": "壬八", "id_type": "resident_id", "id_number": a}
    cases = [
        ({}, "invalid_parameter"),
        ({"unit_code": "450103009004GB00001F00000003", "certificate_no": "桂(2025)南宁市不动产权第0000001号"},
         "invalid_parameter"),
        ({"unit_code": "45010300"}, "invalid_unit_code"),
        ({"unit_code": "450103009004GB00001X00000003"}, "invalid_unit_code"),
        ({"unit_code": 450103}, "invalid_unit_code"),
        ({"certificate_no": "南宁市不动产权第0000001号"}, "invalid_certificate_no"),
        ({"certificate_no": "桂(2025)南宁市不动产权第1号"}, "invalid_certificate_no"),
        ({"holder": dict(good, id_number=a[:-1] + ("0" if a[-1] != "0" else "1"))}, "invalid_id_number"),
        ({"holder": dict(good, id_number="4501031980")}, "invalid_id_number"),
        ({"holder": dict(good, id_type="card")}, "invalid_id_type"),
        ({"holder": dict(good, name="")}, "invalid_holder_name"),
        ({"holder": dict(good, extra=1)}, "invalid_parameter"),
        ({"holder": "壬八"}, "invalid_parameter"),
        ({"unit_code": "450103009004GB00001F00000003", "as_at": "yesterday"}, "invalid_as_at"),
        ({"unit_code": "450103009004GB00001F00000003", "as_at": "2026-02-30T00:00:00Z"}, "invalid_as_at"),
        ({"unit_code": "450103009004GB00001F00000003", "as_at": "2999-01-01T00:00:00Z"}, "invalid_as_at"),
        ({"unit_code": "450103009004GB00001F00000003", "after": "x"}, "invalid_cursor"),
        ({"unit_code": "450103009004GB00001F00000003", "limit": 0}, "invalid_parameter"),
        ({"unit_code": "450103009004GB00001F00000003", "limit": 101}, "invalid_parameter"),
        ({"unit_code": "450103009004GB00001F00000003", "id_number": a}, "invalid_parameter"),
    ]
    wide()
    before = audit_count()
    for body, code in cases:
        r = search(body)
        assert_problem(r, 400, code)
        assert a not in r.body.decode()
    assert audit_count() == before
    # not JSON at all
    r = wide().call("POST", PATH, body=b"unit_code=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 415
    assert audit_count() == before


def test_the_id_number_reaches_no_log():
    a = person()
    imported([("癸九", a, "1/1")])
    r = search({"holder": {"name": "癸九", "id_type": "resident_id", "id_number": a}})
    assert len(r.json["items"]) == 1
    log = os.path.join(STACK, "log", "access.log")
    assert wait_until(lambda: r.header("X-Request-Id") is None or
                      r.header("X-Request-Id") in open(log, encoding="utf-8").read(), 5)
    for name in os.listdir(os.path.join(STACK, "log")):
        p = os.path.join(STACK, "log", name)
        if os.path.isfile(p):
            with open(p, "rb") as f:
                assert a.encode() not in f.read(), name


def test_redis_down_search_still_answers_from_the_database():
    a = person()
    code, cert = imported([("子十", a, "1/1")])
    search({"unit_code": code})
    stack("redis-stop")
    try:
        t0 = time.time()
        r = search({"unit_code": code})
        assert r.status == 200 and [u["code"] for u in r.json["items"]] == [code]
        r = search({"holder": {"name": "子十", "id_type": "resident_id", "id_number": a}})
        assert r.status == 200 and [u["code"] for u in r.json["items"]] == [code]
        assert last_search_audit()[3]["cached"] is False
        # a registration while Redis is away: the generation counts up
        gen = int(sql("SELECT n FROM reg.search_generation")[0][0])
        registered_mortgage(code)
        assert int(sql("SELECT n FROM reg.search_generation")[0][0]) == gen + 1
        assert time.time() - t0 < 20
    finally:
        stack("redis-start")
    assert wait_until(lambda: request("GET", "/readyz").status == 200, 5)
    r = search({"unit_code": code})
    assert len(r.json["items"][0]["mortgages"]) == 1


def test_under_load_every_search_is_audited_once():
    """Cache hits under load are audited in batches (search.c): none lost,
    none twice — once the workers are idle again, everything is written."""
    import threading
    a = person()
    code, cert = imported([("丑十一", a, "1/1")])
    body = {"unit_code": code}
    search(body)
    where = "action = 'registry.search' AND actor_id = %d" % wide().body["user"]["id"]
    before = searches_audited(where)
    sessions = [searcher() for _ in range(6)]
    done, failures, lock = [0], [], threading.Lock()

    def run(s):
        for _ in range(30):
            r = search(body, s)
            with lock:
                done[0] += 1
                if r.status != 200:
                    failures.append(r)
    threads = [threading.Thread(target=run, args=(s,)) for s in sessions + [wide()] * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert done[0] == 240
    others = "action = 'registry.search' AND actor_id IN (%s)" % ",".join(str(s.body["user"]["id"]) for s in sessions)
    extra = [0]

    def written():
        # a search on an idle worker writes what that worker gathered first
        search(body)
        extra[0] += 1
        return searches_audited(where) - before == 60 + extra[0] and searches_audited(others) == 180
    assert wait_until(written, 10, 0.3)
    # hits gathered under load share a row that names each search once
    rows = sql("SELECT request_id, details::text FROM audit.event WHERE %s OR %s" % (where, others))
    rids = []
    for rid, details in rows:
        d = json.loads(details)
        if "searches" in d:
            hits = [h.split(":") for h in d["requests"].split(" ")]
            assert d["searches"] == len(hits) > 1 and d["cached"] is True, d
            assert hits[0] == [rid, "0"] and all(int(at) >= 0 for _, at in hits), d
            assert set(d) == {"by", "as_at", "next_page", "found", "cached", "searches", "requests"}
            rids += [r for r, _ in hits]
        else:
            rids.append(rid)
    assert len(rids) == len(set(rids))
