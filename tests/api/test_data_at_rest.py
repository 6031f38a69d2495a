"""ID numbers at rest: sealed with a key outside the database, masked in
every answer, found through a keyed HMAC index, and revealed in full only
to staff of the case with a reason that goes to the audit trail."""
import glob
import hashlib
import hmac
import os
import random
import subprocess

from auth_lib import audit_count, last_audit
from case_lib import DECIDING, HOLDER, RECEIVING, create, fix_check, mortgage_body, staff, unit
from lib import PGBIN, STACK, assert_problem, psql_conninfo, sql

CLERK = ("intake_clerk", RECEIVING)


def fresh_id():
    """A valid resident ID number no other test uses."""
    return fix_check("450103%04d%02d%02d%03d" % (random.randint(1950, 2000), random.randint(1, 12),
                                                random.randint(1, 28), random.randint(0, 999)))


def data_keys():
    keys = {}
    with open(os.path.join(STACK, "keys", "data.keys")) as f:
        for line in f:
            w = line.split()
            if w and w[0] == "idx":
                keys["idx"] = bytes.fromhex(w[1])
    return keys


def index_of(id_type, number):
    return hmac.new(data_keys()["idx"], b"id_number\0" + ("%s:%s" % (id_type, number)).encode(),
                    hashlib.sha256).hexdigest()


def case_with(number, **party):
    holder = dict(HOLDER, id_number=number, **party)
    r = create(dict(mortgage_body(unit()), parties=[holder]), attach_docs=False)
    assert r.status == 201, r
    return r.json


def reveal(case_id, seq, who, body):
    return who.call("POST", "/api/v1/cases/%d/parties/%d/reveal" % (case_id, seq), json_body=body)


def test_case_creation_leaves_no_clear_id_number_in_the_database_or_the_logs():
    number = fresh_id()
    c = case_with(number)
    assert c["parties"][0]["id_number"] == number[:3] + "*" * 11 + number[-4:]
    row = sql("SELECT id_number, id_number_legacy IS NULL, id_number_masked, id_number_index, progress_key"
              " FROM cases.party WHERE case_id = %d" % c["id"])[0]
    assert row[0].startswith("v1.1.") and row[1] == "t" and row[2] == c["parties"][0]["id_number"]
    assert row[3] == index_of("resident_id", number) and len(row[4]) == 64
    # every table (parties, registry, audit, outbox, events, idempotency) as the superuser sees it
    dump = subprocess.run([os.path.join(PGBIN, "pg_dump"), "--data-only", psql_conninfo()],
                          capture_output=True, text=True, check=True).stdout
    assert c["number"] in dump and c["parties"][0]["id_number"] in dump
    assert number not in dump and number[:14] not in dump
    for path in glob.glob(os.path.join(STACK, "log", "*")):
        with open(path, errors="replace") as f:
            assert number not in f.read(), path


def test_the_index_finds_a_party_by_id_number_without_decrypting():
    number = fresh_id()
    c = case_with(number)
    other = case_with(fresh_id())
    found = sql("SELECT case_id FROM cases.party WHERE id_number_index = '%s'" % index_of("resident_id", number))
    assert found == [[str(c["id"])]] and str(other["id"]) not in str(found)


def test_reveal_gives_the_full_number_to_either_side_and_audits_the_reason():
    number = fresh_id()
    c = case_with(number)
    before = audit_count("action = 'party.reveal'")
    r = reveal(c["id"], 1, staff[CLERK], {"reason": "核对申请人身份证件"})
    assert r.status == 200, r
    assert r.json == {"id_number": number}
    assert r.header("Cache-Control") == "no-store"
    a = last_audit("party.reveal")
    assert a["object_type"] == "case" and a["object_id"] == str(c["id"]) and a["outcome"] == "success"
    assert a["details"] == {"seq": 1, "reason": "核对申请人身份证件"}
    assert number not in str(a)
    # the deciding side may read the case: it may reveal too
    r = reveal(c["id"], 1, staff[("reviewer", DECIDING)], {"reason": "review of identity"})
    assert r.status == 200 and r.json["id_number"] == number
    assert audit_count("action = 'party.reveal'") == before + 2


def test_reveal_without_a_reason_or_authority_is_refused_and_not_audited():
    c = case_with(fresh_id())
    clerk = staff[CLERK]
    before = audit_count("action = 'party.reveal'")
    assert_problem(reveal(c["id"], 1, clerk, {}), 400, "missing_field")
    assert_problem(reveal(c["id"], 1, clerk, {"reason": "看看"}), 400, "invalid_field")
    assert_problem(reveal(c["id"], 1, clerk, {"reason": "x" * 201}), 400, "invalid_field")
    assert_problem(reveal(c["id"], 1, clerk, {"reason": "a good reason", "extra": 1}), 400, "unknown_field")
    # a clerk of an unrelated county: the case does not exist for it
    stranger = staff[("intake_clerk", "450203")]
    b1 = assert_problem(reveal(c["id"], 1, stranger, {"reason": "curiosity only"}), 404, "case_not_found")
    b2 = assert_problem(reveal(999999999, 1, stranger, {"reason": "curiosity only"}), 404, "case_not_found")
    assert b1["detail"] == b2["detail"]
    assert_problem(reveal(c["id"], 7, clerk, {"reason": "a good reason"}), 404, "party_not_found")
    assert audit_count("action = 'party.reveal'") == before


def test_the_service_cannot_write_a_clear_id_number():
    c = case_with(fresh_id())
    p = sql("INSERT INTO cases.party (case_id, seq, role, name, id_type, id_number_legacy)"
            " VALUES (%d, 2, 'obligor', 'x', 'resident_id', '11010519491231002X')" % c["id"],
            user="tb_intake", check=False)
    assert p.returncode != 0 and "permission denied" in p.stderr
    p = sql("INSERT INTO cases.party (case_id, seq, role, name, id_type, id_number)"
            " VALUES (%d, 2, 'obligor', 'x', 'resident_id', '11010519491231002X')" % c["id"],
            user="tb_intake", check=False)
    assert p.returncode != 0 and "check constraint" in p.stderr
    assert sql("SELECT count(*) FROM cases.party WHERE case_id = %d" % c["id"]) == [["1"]]


def test_staff_find_the_cases_of_an_id_number_within_their_authority():
    number = fresh_id()
    c1, c2 = case_with(number), case_with(number)
    case_with(fresh_id())
    before = audit_count("action = 'party.search'")
    clerk = staff[CLERK]
    r = clerk.call("POST", "/api/v1/cases/by-id-number", json_body={"id_type": "resident_id", "id_number": number})
    assert r.status == 200, r
    assert r.header("Cache-Control") == "no-store"
    assert [(i["case_id"], i["seq"], i["role"]) for i in r.json["items"]] == \
        [(c2["id"], 1, "right_holder"), (c1["id"], 1, "right_holder")]
    assert r.json["items"][0]["id_number"] == c1["parties"][0]["id_number"]  # masked
    a = last_audit("party.search")
    assert a["details"] == {"id_type": "resident_id", "found": 2} and number not in str(a)
    # another county's clerk finds nothing; an invalid number is refused
    stranger = staff[("intake_clerk", "450203")]
    r = stranger.call("POST", "/api/v1/cases/by-id-number", json_body={"id_type": "resident_id", "id_number": number})
    assert r.status == 200 and r.json["items"] == []
    wrong_check = number[:-1] + ("1" if number[-1] == "0" else "0")
    bad = clerk.call("POST", "/api/v1/cases/by-id-number", json_body={"id_type": "resident_id", "id_number": wrong_check})
    assert_problem(bad, 400, "invalid_id_number")
    assert audit_count("action = 'party.search'") == before + 2
