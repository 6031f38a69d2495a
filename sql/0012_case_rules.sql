-- Rules of the case workflow: certificate numbers counted per registration
-- area, the two-person rule inside the workflow as data, and numbers in
-- case events' details as JSON numbers.

-- Certificate numbers are named after the registration area (a city for its
-- urban districts, else the county), so they are counted per area and year:
-- 兴宁区 and 青秀区 of 南宁市 share one sequence. A row is updated in the
-- registering transaction (gapless). cases.counter keeps only case numbers.
CREATE TABLE cases.certificate_counter (
  area_code text NOT NULL REFERENCES ref.division (code),
  year      integer NOT NULL CHECK (year BETWEEN 1990 AND 2999),
  kind      text NOT NULL CHECK (kind IN ('proof', 'right')),
  last      integer NOT NULL CHECK (last BETWEEN 0 AND 9999999),
  PRIMARY KEY (area_code, year, kind)
);
-- Continue after every number already given, by cases or in imported
-- records, under the area's name in the certificate text.
INSERT INTO cases.certificate_counter (area_code, year, kind, last)
SELECT a.code, n.year, n.kind, max(n.serial)
FROM (SELECT substring(no FROM '^桂[(（]([0-9]{4})')::int AS year,
             substring(no FROM '^桂[(（][0-9]{4}[)）](.+?)不动产(?:证明|权)第') AS area,
             CASE WHEN no LIKE '%不动产证明第%' THEN 'proof' ELSE 'right' END AS kind,
             substring(no FROM '第([0-9]{7})号$')::int AS serial
      FROM (SELECT certificate_no AS no FROM cases.case UNION ALL SELECT certificate_no FROM reg.entry) c
      WHERE no ~ '^桂[(（][0-9]{4}[)）].+不动产(证明|权)第[0-9]{7}号$') n
JOIN ref.division a ON a.name = n.area AND (a.level = 'city' OR (a.level = 'county' AND a.name NOT LIKE '%区'))
WHERE n.year BETWEEN 1990 AND 2999
GROUP BY a.code, n.year, n.kind;
GRANT SELECT, INSERT, UPDATE ON cases.certificate_counter TO tb_intake;
GRANT SELECT ON cases.certificate_counter TO tb_admin, tb_query;

-- The two-person rule: who did the earlier action on a case may not do the
-- later one (for one business type, or every type when business_type is
-- NULL). The intake service refuses it (403 two_person_rule) and the
-- trigger below is the floor under it.
CREATE TABLE cases.two_person_rule (
  id             integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  business_type  text REFERENCES cases.business_type (code),
  earlier_action text NOT NULL CHECK (earlier_action ~ '^[a-z_]{1,40}$'),
  later_action   text NOT NULL CHECK (later_action ~ '^[a-z_]{1,40}$'),
  CHECK (earlier_action <> later_action)
);
CREATE UNIQUE INDEX two_person_rule_once
  ON cases.two_person_rule (coalesce(business_type, ''), earlier_action, later_action);
CREATE FUNCTION cases.two_person_rule_actions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM cases.transition WHERE action = NEW.earlier_action)
     OR NOT EXISTS (SELECT 1 FROM cases.transition WHERE action = NEW.later_action) THEN
    RAISE EXCEPTION 'two-person rule names an action the workflow does not have: % then %',
      NEW.earlier_action, NEW.later_action USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER two_person_rule_actions BEFORE INSERT OR UPDATE ON cases.two_person_rule
  FOR EACH ROW EXECUTE FUNCTION cases.two_person_rule_actions();
-- By default: whoever approved a case does not register it.
INSERT INTO cases.two_person_rule (business_type, earlier_action, later_action) VALUES (NULL, 'approve', 'register');
GRANT SELECT ON cases.two_person_rule TO tb_intake, tb_admin;

CREATE FUNCTION cases.event_two_person() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.actor_id IS NOT NULL AND EXISTS (
       SELECT 1 FROM cases.two_person_rule s
       JOIN cases.case c ON c.id = NEW.case_id
       JOIN cases.event e ON e.case_id = NEW.case_id AND e.action = s.earlier_action
                         AND e.actor_id = NEW.actor_id
       WHERE s.later_action = NEW.action
         AND (s.business_type IS NULL OR s.business_type = c.business_type)) THEN
    RAISE EXCEPTION 'two-person rule: user % did an earlier step of case % and may not %',
      NEW.actor_id, NEW.case_id, NEW.action USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER event_two_person BEFORE INSERT ON cases.event
  FOR EACH ROW EXECUTE FUNCTION cases.event_two_person();

-- Timeline details written before this carried numbers as strings.
UPDATE cases.event e
SET details = (SELECT jsonb_object_agg(k, CASE WHEN jsonb_typeof(v) = 'string' AND v #>> '{}' ~ '^[0-9]{1,18}$'
                                               THEN to_jsonb((v #>> '{}')::bigint) ELSE v END)
               FROM jsonb_each(e.details) AS j (k, v)
               WHERE k IN ('entry_id', 'ended_entry', 'total_fen', 'amount_fen'))
           || (SELECT coalesce(jsonb_object_agg(k, v), '{}') FROM jsonb_each(e.details) AS j (k, v)
               WHERE k NOT IN ('entry_id', 'ended_entry', 'total_fen', 'amount_fen'))
WHERE e.details ?| ARRAY['entry_id', 'ended_entry', 'total_fen', 'amount_fen'];
