"""Release builds carry no test hooks: the settable clock (X-Tb-Test-Now with
TB_TEST_CLOCK=1) is compiled only into the sanitizer build the tests run."""
import os

from lib import ROOT

SERVICES = ("admin", "intake", "query", "public")


def binary(path):
    with open(os.path.join(ROOT, path), "rb") as f:
        return f.read()


def test_release_binaries_do_not_contain_the_test_clock():
    for s in SERVICES:
        data = binary("bin/tongban-%s" % s)
        assert b"TB_TEST_NOW" not in data and b"X-Tb-Test-Now" not in data, s
        assert b"TB_TEST_CLOCK" not in data, s
    # the search would find it: the test build has it
    assert b"HTTP_X_TB_TEST_NOW" in binary("build/asan/tongban-admin")
