"""tbctl seed-scale (make seed-scale): synthetic registry data at region
scale. One run of 2,000 units on the test stack, then exact properties of
what it wrote: unit codes the domain accepts, ID numbers sealed, masked and
indexed as the platform does, ~40% of units mortgaged, shares adding up,
certificate numbers unique, the same seed giving the same data, and a second
run adding more without repeating anything."""
import json
import os
import re
import subprocess

from case_lib import staff
from lib import ROOT, STACK, psql_conninfo, sql

UNITS = 2000
SEED = 7
SEEDED = "substr(code, 7, 1) = '9'"  # seeded units lie in cadastral zones 900-999


def tbctl(*args):
    return subprocess.run([os.path.join(ROOT, "build/asan/tbctl"), "seed-scale"] + list(args),
                          env=dict(os.environ, TB_PG_ADMIN=psql_conninfo(),
                                   TB_DATA_KEYS=os.path.join(STACK, "keys", "data.keys")),
                          capture_output=True, text=True)


_run = {}


def seeded():
    """The module's run (once): its output, its audit event's details and the
    range of entry ids it wrote (other runs may share the stack)."""
    if not _run:
        e0 = int(sql("SELECT coalesce(max(id), 0) FROM reg.entry")[0][0])
        before = int(sql("SELECT count(*) FROM reg.unit WHERE " + SEEDED)[0][0])
        p = tbctl("--units", str(UNITS), "--seed", str(SEED))
        assert p.returncode == 0, p.stdout + p.stderr
        e1 = int(sql("SELECT coalesce(max(id), 0) FROM reg.entry")[0][0])
        ev = sql("SELECT details FROM audit.event WHERE action = 'registry.seed_scale' ORDER BY seq DESC LIMIT 1")
        _run.update(out=p.stdout, err=p.stderr, before=before, event=json.loads(ev[0][0]), e0=e0, e1=e1)
    return _run


def mine():
    """The entries of the module's run, as a FROM clause (WHERE continues with AND)."""
    r = seeded()
    return "reg.entry WHERE id > %d AND id <= %d AND details->>'source' = 'seed-scale'" % (r["e0"], r["e1"])


def my_units():
    return "reg.unit WHERE code IN (SELECT unit_code FROM %s)" % mine()


def test_the_units_asked_for_are_written_with_codes_the_domain_accepts():
    r = seeded()
    assert "seeded %d units (seed %d" % (UNITS, SEED) in r["out"], r["out"]
    ev = r["event"]
    assert ev["seed"] == SEED and ev["units"] == UNITS and ev["units_to"] - ev["units_from"] == UNITS
    assert int(sql("SELECT count(*) FROM reg.unit WHERE " + SEEDED)[0][0]) == r["before"] + UNITS
    # every code: 28 characters of GB/T 37346 (domain/register.c unit_code_check), its county
    # a county of ref.division, and the unit's county_code its first six digits
    bad = sql("SELECT u.code FROM reg.unit u LEFT JOIN ref.division d ON d.code = u.county_code AND d.level = 'county'"
              " WHERE %s AND (u.code !~ '^45[0-9]{4}9[0-9]{5}[GJZ][A-Z][0-9]{5}[FLQ][0-9]{8}$'"
              " OR d.code IS NULL OR substr(u.code, 1, 6) <> u.county_code)" % SEEDED.replace("code", "u.code"))
    assert bad == []
    # spread over many counties, in Chinese addresses naming the county
    assert int(sql("SELECT count(*) FROM " + my_units())[0][0]) == UNITS
    counties = int(sql("SELECT count(DISTINCT county_code) FROM " + my_units())[0][0])
    assert counties >= 20, counties
    assert sql("SELECT count(*) FROM reg.unit u JOIN ref.division d ON d.code = u.county_code WHERE %s"
               " AND position(d.name IN u.location) = 0" % SEEDED.replace("code", "u.code")) == [["0"]]
    # no two units at one address
    assert sql("SELECT location FROM %s GROUP BY 1 HAVING count(*) > 1" % my_units()) == []
    uses = dict(sql("SELECT use, count(*) FROM %s GROUP BY use" % my_units()))
    assert int(uses["residential"]) > UNITS // 2 and {"parking", "non_residential"} <= set(uses)
    assert sql("SELECT count(*) FROM reg.unit WHERE %s AND (area_m2 <= 0 OR area_m2 > 1000)" % SEEDED) == [["0"]]
    # the C check itself, over the units and their holders
    v = tbctl("--verify", "--sample", "100000")
    assert v.returncode == 0 and re.search(r"verified \d+ units and \d+ ID numbers: 0 problem\(s\)", v.stdout), \
        v.stdout + v.stderr


def test_id_numbers_are_sealed_masked_and_indexed_as_the_platform_does():
    persons = mine() + " AND kind IN ('ownership', 'objection')"
    assert sql("SELECT count(*) FROM %s AND (holder_id_number IS NULL OR holder_id_number_legacy IS NOT NULL"
               " OR holder_id_type <> 'resident_id' OR holder_id_number !~ '^v1\\.[0-9]+\\.'"
               " OR holder_id_number_masked !~ '^45[0-9]\\*{11}[0-9]{3}[0-9X]$'"
               " OR holder_id_number_index !~ '^[0-9a-f]{64}$')" % persons) == [["0"]]
    # rights and restrictions of others carry no ID numbers
    assert sql("SELECT count(*) FROM %s AND kind NOT IN ('ownership', 'objection') AND (holder_id_number IS NOT NULL"
               " OR holder_id_number_index IS NOT NULL)" % mine()) == [["0"]]
    # one person, one number: an index names one holder, a number no two people
    assert sql("SELECT holder_id_number_index FROM %s GROUP BY 1 HAVING count(DISTINCT holder_name) > 1" % persons) == []
    # a few own several units, so a search by holder finds more than one
    several = int(sql("SELECT count(*) FROM (SELECT holder_id_number_index FROM %s AND valid_to IS NULL"
                      " GROUP BY 1 HAVING count(DISTINCT unit_code) > 1) x" % persons)[0][0])
    assert 10 <= several <= UNITS // 5, several
    # the unit card (query service) shows the masked number, as stored
    code, name, masked = sql("SELECT unit_code, holder_name, holder_id_number_masked FROM %s"
                             " AND kind = 'ownership' AND valid_to IS NULL ORDER BY id LIMIT 1" % mine())[0]
    r = staff[("intake_clerk", "451302")].get("/api/v1/registry/units/" + code)
    assert r.status == 200, r
    assert [(h["name"], h["id_number_masked"]) for h in r.json["holders"]][0] == (name, masked)
    # a tampered mask is caught by --verify (then put back)
    eid = sql("SELECT e.id FROM reg.entry e WHERE e.unit_code = (SELECT min(code) FROM reg.unit WHERE %s)"
              " AND e.kind = 'ownership' ORDER BY e.id LIMIT 1" % SEEDED)[0][0]
    old = sql("SELECT holder_id_number_masked FROM reg.entry WHERE id = " + eid)[0][0]
    sql("UPDATE reg.entry SET holder_id_number_masked = '450***********0000' WHERE id = " + eid)
    try:
        v = tbctl("--verify", "--sample", "1")
    finally:
        sql("UPDATE reg.entry SET holder_id_number_masked = '%s' WHERE id = %s" % (old, eid))
    assert v.returncode == 1 and "the masked form is not the number's" in v.stdout, v.stdout


def test_about_forty_percent_of_units_are_mortgaged_some_in_several_ranks():
    n, mortgaged, ranked = map(int, sql(
        "SELECT count(*), count(*) FILTER (WHERE m > 0), count(*) FILTER (WHERE m > 1) FROM"
        " (SELECT u.code, (SELECT count(*) FROM reg.entry e WHERE e.unit_code = u.code AND e.kind = 'mortgage'"
        "  AND e.valid_to IS NULL) m FROM %s) x" % my_units().replace("reg.unit WHERE", "reg.unit u WHERE"))[0])
    assert n == UNITS
    assert 0.35 <= mortgaged / n <= 0.45, (mortgaged, n)
    assert ranked >= 0.03 * mortgaged, ranked
    # ranks in force are 1..k on each unit; amounts and terms as a mortgage case writes them
    assert sql("SELECT unit_code FROM %s AND kind = 'mortgage'"
               " AND valid_to IS NULL GROUP BY 1 HAVING max(rank) <> count(*) OR min(rank) <> 1" % mine()) == []
    assert sql("SELECT count(*) FROM %s AND kind = 'mortgage'"
               " AND (amount_fen <= 0 OR amount_fen <> (details->>'amount_fen')::bigint"
               " OR (details->>'term_to')::date <= (details->>'term_from')::date"
               " OR holder_name <> details->>'mortgagee_name'"
               " OR details->>'mortgagee_bank' NOT IN (SELECT code FROM ref.bank))" % mine()) == [["0"]]


def test_co_owners_shares_add_up_to_one():
    own = mine() + " AND kind = 'ownership' AND valid_to IS NULL"
    # by shares: the fractions of one unit add up to exactly 1 (as rationals)
    sums = sql("SELECT unit_code, sum(split_part(share, '/', 1)::numeric * 3600 / split_part(share, '/', 2)::numeric)"
               " FROM %s AND share LIKE '%%/%%' GROUP BY 1 HAVING count(*) > 1" % own)
    assert len(sums) > 50 and all(float(s) == 3600 for _, s in sums), sums[:3]
    # sole owners own 1/1; joint owners (共同共有) all jointly
    assert sql("SELECT unit_code FROM %s GROUP BY 1 HAVING count(*) = 1 AND max(share) <> '1/1'" % own) == []
    assert sql("SELECT unit_code FROM %s GROUP BY 1 HAVING count(*) FILTER (WHERE share = '共同共有') NOT IN (0, count(*))"
               % own) == []
    assert int(sql("SELECT count(DISTINCT unit_code) FROM %s AND share = '共同共有'" % own)[0][0]) > 50


def test_certificate_numbers_are_unique_in_the_platforms_form_and_the_counters_continue_after_them():
    m = mine()
    assert sql("SELECT count(*) FROM %s AND certificate_no !~ '^桂\\([0-9]{4}\\).+不动产(权|证明)第[0-9]{7}号$'"
               % m) == [["0"]]
    # one number, one registration: one unit, one kind, one moment (co-owners share it)
    assert sql("SELECT certificate_no FROM reg.entry WHERE certificate_no IN (SELECT certificate_no FROM %s)"
               " GROUP BY 1 HAVING count(DISTINCT (unit_code, kind, valid_from)) > 1" % m) == []
    # 不动产权 for ownership, 不动产证明 for the rest; the year is the registration's (Beijing)
    assert sql("SELECT count(*) FROM %s AND ((kind = 'ownership') <> (certificate_no LIKE '%%不动产权第%%')"
               " OR substring(certificate_no FROM 3 FOR 4)::int <> extract(year FROM valid_from AT TIME ZONE"
               " 'Asia/Shanghai'))" % m) == [["0"]]
    # named after the registration area: the city for an urban district, else the county
    assert sql("SELECT count(*) FROM (SELECT * FROM %s) e JOIN reg.unit u ON u.code = e.unit_code"
               " JOIN ref.division d ON d.code = u.county_code JOIN ref.division c ON c.code = d.parent_code"
               " WHERE e.certificate_no NOT LIKE '桂(____)' ||"
               " CASE WHEN d.name LIKE '%%区' THEN c.name ELSE d.name END || '不动产%%'" % m) == [["0"]]
    # the platform's counters stand at or after every number given
    assert sql("SELECT count(*) FROM (SELECT DISTINCT certificate_no FROM %s) n"
               " JOIN ref.division a ON a.name = substring(n.certificate_no FROM '^桂\\([0-9]{4}\\)(.+?)不动产')"
               " AND (a.level = 'city' OR a.name NOT LIKE '%%区')"
               " LEFT JOIN cases.certificate_counter c ON c.area_code = a.code"
               " AND c.year = substring(n.certificate_no FROM 3 FOR 4)::int"
               " AND c.kind = CASE WHEN n.certificate_no LIKE '%%证明%%' THEN 'proof' ELSE 'right' END"
               " WHERE c.last IS NULL OR c.last < substring(n.certificate_no FROM '第([0-9]{7})号')::int" % m
               ) == [["0"]]


def test_restrictions_and_history_are_there_as_the_register_writes_them():
    m = mine()
    counts = {(k, e): int(n) for k, e, n in sql("SELECT kind, valid_to IS NOT NULL, count(*) FROM %s GROUP BY 1, 2"
                                                   % m)}
    for kind in ("ownership", "mortgage", "pre_notice", "seizure", "objection"):
        assert counts.get((kind, "f"), 0) > 0, (kind, counts)
    for kind in ("ownership", "mortgage"):
        assert counts.get((kind, "t"), 0) > 0, (kind, counts)
    # the run's summary says what it wrote
    out = seeded()["out"]
    for kind in ("ownership", "mortgage", "pre_notice", "seizure", "objection"):
        said = re.search(r"%s +(\d+) in force +(\d+) ended" % kind, out)
        assert said and (int(said.group(1)), int(said.group(2))) == (counts.get((kind, "f"), 0),
                                                                      counts.get((kind, "t"), 0)), out
    # ended rows end after they began; an earlier owner's ends when the present owners' begins
    assert sql("SELECT count(*) FROM %s AND valid_to <= valid_from" % m) == [["0"]]
    assert sql("SELECT count(*) FROM %s AND kind = 'ownership' AND valid_to IS NOT NULL AND valid_to NOT IN"
               " (SELECT valid_from FROM reg.entry n WHERE n.unit_code = reg.entry.unit_code AND n.kind = 'ownership'"
               " AND n.valid_to IS NULL)" % m) == [["0"]]
    # seizures: rank 1 in effect, later ones wait-listed (轮候) behind it
    waiting = sql("SELECT rank, waiting, count(*) FROM %s AND kind = 'seizure' AND valid_to IS NULL GROUP BY 1, 2"
                  " ORDER BY 1, 2" % m)
    assert [w[:2] for w in waiting] in ([["1", "f"], ["2", "t"]], [["1", "f"]]), waiting
    assert sql("SELECT count(*) FROM %s AND kind = 'seizure' AND waiting AND NOT EXISTS (SELECT 1 FROM reg.entry s"
               " WHERE s.unit_code = reg.entry.unit_code AND s.kind = 'seizure' AND s.rank = 1 AND NOT s.waiting"
               " AND s.valid_to IS NULL)" % m) == [["0"]]
    # nothing is pre-noticed while seized; every row is no older than its unit
    assert sql("SELECT count(*) FROM %s AND kind = 'pre_notice' AND unit_code IN (SELECT unit_code FROM reg.entry"
               " WHERE kind = 'seizure' AND valid_to IS NULL)" % m) == [["0"]]
    assert sql("SELECT count(*) FROM (SELECT * FROM %s) e JOIN reg.unit u ON u.code = e.unit_code WHERE"
               " e.valid_from < u.created_at" % m) == [["0"]]


def test_the_same_seed_gives_the_same_units_and_holders():
    ev = seeded()["event"]
    p = tbctl("--units", "60", "--seed", str(SEED), "--dry-run", "--from", str(ev["units_from"]),
              "--persons", str(ev["persons_from"]))
    assert p.returncode == 0, p.stderr
    want = [line.split("\t") for line in p.stdout.splitlines()]
    assert len(want) == 60
    codes = ", ".join("'%s'" % row[0] for row in want)
    units = {r[0]: r[1:] for r in sql("SELECT code, location, use, area_m2 FROM reg.unit WHERE code IN (%s)" % codes)}
    holders = {}
    for code, h in sql("SELECT unit_code, holder_name || ' ' || holder_id_number_masked || ' ' || share FROM reg.entry"
                       " WHERE unit_code IN (%s) AND kind = 'ownership' AND valid_to IS NULL ORDER BY id" % codes):
        holders.setdefault(code, []).append(h)
    for row in want:
        assert units.get(row[0]) == row[1:4], (row, units.get(row[0]))
        assert holders.get(row[0]) == row[4:], (row, holders.get(row[0]))
    # another seed: other data
    q = tbctl("--units", "60", "--seed", str(SEED + 1), "--dry-run", "--from", str(ev["units_from"]))
    assert q.returncode == 0 and q.stdout != p.stdout


def test_a_second_run_adds_more_and_repeats_nothing():
    first = seeded()["event"]
    n0 = int(sql("SELECT count(*) FROM reg.unit WHERE " + SEEDED)[0][0])
    p = tbctl("--units", "300", "--seed", str(SEED))  # the same seed again: still new units and people
    assert p.returncode == 0, p.stdout + p.stderr
    assert "already there: adding 300 more" in p.stderr, p.stderr
    ev = json.loads(sql("SELECT details FROM audit.event WHERE action = 'registry.seed_scale'"
                        " ORDER BY seq DESC LIMIT 1")[0][0])
    assert ev["units_from"] >= first["units_to"] and ev["persons_from"] >= first["persons_to"]
    assert int(sql("SELECT count(*) FROM reg.unit WHERE " + SEEDED)[0][0]) == n0 + 300
    # no ID number names two people, across runs: one index, one name
    persons = "reg.entry WHERE details->>'source' = 'seed-scale' AND kind IN ('ownership', 'objection')"
    assert sql("SELECT holder_id_number_index FROM %s GROUP BY 1 HAVING count(DISTINCT holder_name) > 1" % persons) == []
    assert sql("SELECT certificate_no FROM reg.entry WHERE details->>'source' = 'seed-scale' GROUP BY 1"
               " HAVING count(DISTINCT (unit_code, kind, valid_from)) > 1") == []


def test_bad_arguments_are_refused_and_write_nothing():
    seeded()
    n0 = sql("SELECT count(*) FROM reg.unit")
    for args in (["--units", "0"], ["--units", "12x"], [], ["--seed", "-1", "--units", "5"], ["--units", "5", "--bogus"],
                 ["--verify", "--units", "5"]):
        p = tbctl(*args)
        assert p.returncode == 2 and p.stdout == "", (args, p.stdout, p.stderr)
    assert sql("SELECT count(*) FROM reg.unit") == n0
