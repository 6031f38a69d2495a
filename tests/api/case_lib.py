"""Fixtures for case tests: registry units, staff at both sides, requests."""
import itertools
import random

from auth_lib import login, make_user
import os
import subprocess
import tempfile

from lib import ROOT, STACK, psql_conninfo, sql

_units = itertools.count(random.randint(1000, 9000) * 10)
RECEIVING = "451302"   # 来宾市兴宾区: the window
DECIDING = "450103"    # 南宁市青秀区: where the property lies
HOLDER = {"role": "right_holder", "name": "张三", "id_type": "resident_id", "id_number": "11010519491231002X"}
OBLIGOR = {"role": "obligor", "name": "李四", "id_type": "resident_id", "id_number": "450103199001011234"}


def fix_check(number17):
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return number17 + "10X98765432"[sum(int(c) * k for c, k in zip(number17, w)) % 11]


OBLIGOR["id_number"] = fix_check("45010319900101123")


def unit(county=DECIDING, use="residential"):
    code = "%s001002GB%05dF%08d" % (county, next(_units) % 100000, 1)
    sql("INSERT INTO reg.unit (code, county_code, location, use, area_m2) VALUES ('%s', '%s', '测试路1号', '%s', 98.5)"
        % (code, county, use))
    return code


def registry_import(text):
    """Import registry CSV text with `tbctl registry import` (ID numbers sealed
    with the stack's data keys, as counties' records come in)."""
    fd, path = tempfile.mkstemp(suffix=".csv")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    try:
        p = subprocess.run([os.path.join(ROOT, "build/asan/tbctl"), "registry", "import", path],
                           env=dict(os.environ, TB_PG_ADMIN=psql_conninfo(),
                                    TB_DATA_KEYS=os.path.join(STACK, "keys", "data.keys")),
                           capture_output=True, text=True)
    finally:
        os.unlink(path)
    assert p.returncode == 0, p.stdout + p.stderr


def seize(code):
    sql("INSERT INTO reg.entry (unit_code, kind, holder_name, valid_from) VALUES ('%s', 'seizure', '南宁市中级人民法院', now())" % code)


class Staff:
    """One logged-in user per role and side."""
    _cache = {}

    def __getitem__(self, key):
        if key not in self._cache:
            role, div = key
            uid, name = make_user(agency=div, grants=[(role, div)])
            self._cache[key] = login(name)
        return self._cache[key]


staff = Staff()


def mortgage_body(code, **fields):
    f = {"mortgagee_bank": "ICBC", "amount_fen": 50000000, "term_from": "2026-12-01", "term_to": "2046-11-30",
         "mortgage_type": "ordinary", "debtor": "张三"}
    f.update(fields)
    return {"business_type": "mortgage.establish", "unit_code": code, "parties": [HOLDER, OBLIGOR], "fields": f}


def pre_notice_body(code):
    return {"business_type": "pre_notice.establish", "unit_code": code, "parties": [HOLDER, OBLIGOR],
            "fields": {"buyer": "张三", "seller": "李四", "contract_number": "NN-2026-0001", "price_fen": 120000000}}


PDF = b"%PDF-1.4\n% test document\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
REQUIRED = {"mortgage": ["application", "identity", "mortgage_contract"],
            "pre_notice": ["application", "identity", "sale_contract"],
            "ownership": ["application", "identity", "ownership_proof"]}


def attach(case_id, doc, who=None, data=PDF, filename="申请书.pdf", key=None):
    s = who or staff[("intake_clerk", RECEIVING)]
    from urllib.parse import quote
    headers = {"Content-Type": "application/octet-stream", "X-Document-Type": doc, "X-Filename": quote(filename)}
    if key:
        headers["Idempotency-Key"] = key
    return s.call("POST", "/api/v1/cases/%d/attachments" % case_id, body=data, headers=headers)


def create(body, who=None, key=None, attach_docs=True):
    """Create a case; with attach_docs, also upload its required documents."""
    s = who or staff[("intake_clerk", RECEIVING)]
    headers = {"Idempotency-Key": key} if key else None
    r = s.call("POST", "/api/v1/cases", json_body=body, headers=headers)
    if r.status == 201 and attach_docs:
        for doc in REQUIRED[body["business_type"].split(".")[0]]:
            a = attach(r.json["id"], doc, who=s)
            assert a.status == 201, a
    return r


def act(case, action, who, **extra):
    body = {"version": case["version"]}
    body.update(extra)
    return who.call("POST", "/api/v1/cases/%d/actions/%s" % (case["id"], action), json_body=body)
