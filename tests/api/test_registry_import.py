"""tbctl registry import: row-by-row validation, all or nothing per file,
a report of every rejected row; holders' ID numbers stored sealed."""
import os
import subprocess
import tempfile

from case_lib import fix_check
from lib import ROOT, STACK, psql_conninfo, sql

HEADER = "unit_code,location,use,area_m2,certificate_no,holder_name,holder_id_type,holder_id_number,share\n"


def run_import(text):
    fd, path = tempfile.mkstemp(suffix=".csv")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    try:
        return subprocess.run([os.path.join(ROOT, "build/asan/tbctl"), "registry", "import", path],
                              env=dict(os.environ, TB_PG_ADMIN=psql_conninfo(),
                                       TB_DATA_KEYS=os.path.join(STACK, "keys", "data.keys")),
                              capture_output=True, text=True)
    finally:
        os.unlink(path)


def test_import_a_county_file_with_co_owners():
    a, b = fix_check("45132119800101001"), fix_check("45132119820202002")
    text = HEADER + (
        "451321001001GB00101F00010001,忻城县城关镇一号,residential,88.50,桂（2025）忻城县不动产权第0000101号,韦一,resident_id,%s,1/2\n"
        "451321001001GB00101F00010001,忻城县城关镇一号,residential,88.50,桂（2025）忻城县不动产权第0000101号,韦二,resident_id,%s,1/2\n"
        "\"451321001001GB00102F00010001\",\"忻城县城关镇二号, 车库\",parking,15,桂(2025)忻城县不动产权第0000102号,韦一,resident_id,%s,\n"
    ) % (a, b, a)
    p = run_import(text)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "imported 2 unit(s), 3 holder row(s)" in p.stdout
    assert sql("SELECT code, location, use, area_m2 FROM reg.unit WHERE code LIKE '451321001001GB001%' ORDER BY code") == [
        ["451321001001GB00101F00010001", "忻城县城关镇一号", "residential", "88.50"],
        ["451321001001GB00102F00010001", "忻城县城关镇二号, 车库", "parking", "15.00"]]
    rows = sql("SELECT holder_name, share, certificate_no FROM reg.entry WHERE unit_code = '451321001001GB00101F00010001'"
               " AND kind = 'ownership' ORDER BY holder_name")
    assert rows == [["韦一", "1/2", "桂(2025)忻城县不动产权第0000101号"], ["韦二", "1/2", "桂(2025)忻城县不动产权第0000101号"]]
    # ID numbers sealed, masked and indexed, never in clear
    held = sql("SELECT holder_id_number_legacy IS NULL, holder_id_number LIKE 'v1.%%', holder_id_number_masked,"
               " length(holder_id_number_index) FROM reg.entry WHERE unit_code = '451321001001GB00101F00010001'"
               " ORDER BY holder_name")
    assert held == [["t", "t", a[:3] + "*" * 11 + a[-4:], "64"], ["t", "t", b[:3] + "*" * 11 + b[-4:], "64"]]
    assert sql("SELECT count(*) FROM reg.entry WHERE holder_id_number LIKE '%%%s%%'" % a[-6:]) == [["0"]]
    # the same file again: the units exist, nothing changes
    again = run_import(text)
    assert again.returncode == 1 and "already in the registry" in again.stdout and "nothing imported" in again.stdout
    assert sql("SELECT count(*) FROM reg.entry WHERE unit_code LIKE '451321001001GB001%'") == [["3"]]


def test_one_bad_row_rejects_the_file_and_every_bad_row_is_reported():
    good = fix_check("45132219800101001")
    text = HEADER + (
        "451322001001GB00201F00010001,象州县一号,residential,90,桂(2025)象州县不动产权第0000201号,覃一,resident_id,%s,\n"
        "451322001001GB00202X00010001,象州县二号,residential,90,桂(2025)象州县不动产权第0000202号,覃二,resident_id,%s,\n"
        "451322001001GB00203F00010001,象州县三号,residential,90,桂(2025)象州县不动产权第0000203号,覃三,resident_id,451322198001010010,\n"
        "451322001001GB00204F00010001,象州县四号,residential,90,桂(2025)象州县不动产证明第0000204号,覃四,resident_id,%s,\n"
        "451322001001GB00205F00010001,象州县五号,mansion,90,桂(2025)象州县不动产权第0000205号,覃五,resident_id,%s,\n"
        "451322001001GB00201F00010001,象州县一号,residential,91,桂(2025)象州县不动产权第0000201号,覃六,resident_id,%s,\n"
    ) % (good, good, good, good, good)
    p = run_import(text)
    assert p.returncode == 1
    out = p.stdout
    assert "line 3: rejected: Character 20 must be the fixture code" in out
    assert "line 4: rejected: holder_id_number is not valid" in out
    assert "line 5: rejected: certificate_no is not a 不动产权 certificate number" in out
    assert "line 6: rejected: use must be" in out
    assert "line 7: rejected: the unit's location, use or area differ from line 2" in out
    assert "5 row(s) rejected: nothing imported" in out
    assert "line 2:" not in out
    assert sql("SELECT count(*) FROM reg.unit WHERE code LIKE '451322001001GB002%'") == [["0"]]


def test_a_wrong_header_is_refused():
    p = run_import("code,place\n1,2\n")
    assert p.returncode == 1 and "the header must be" in p.stderr
