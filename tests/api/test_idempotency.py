"""An idempotent retry of a creation gets the first answer again, whole:
status, body and the Location of the one object created."""
from case_lib import create, mortgage_body, unit
from lib import sql


def test_a_replayed_case_creation_carries_the_same_location():
    body = mortgage_body(unit())
    key = "create-%s" % body["unit_code"]
    first = create(body, key=key, attach_docs=False)
    assert first.status == 201, first
    assert first.header("Location") == "/api/v1/cases/%d" % first.json["id"]
    again = create(body, key=key, attach_docs=False)
    assert again.status == 201 and again.body == first.body
    assert again.header("Idempotent-Replayed") == "true"
    assert again.header("Location") == first.header("Location")
    assert sql("SELECT count(*) FROM cases.case WHERE unit_code = '%s'" % body["unit_code"]) == [["1"]]
    assert sql("SELECT location FROM api.idempotency WHERE key = '%s'" % key) == [[first.header("Location")]]
