-- Applicant progress tells what is missing: while a case waits for a
-- supplement (补正), the list the deciding agency wrote in its latest
-- request_supplement action (the event's details.missing), as kind 2 rows
-- in the action column, in the order written. Only that list: no staff
-- name, no comment. The same columns as before (so the same signature and
-- grants); everything else as in 0013.
CREATE OR REPLACE FUNCTION cases.public_progress(p_number text, p_key text, p_now timestamptz)
RETURNS TABLE (kind integer, outcome text, retry_after integer, business_type text, type_name text,
               state text, due_date text, at_us bigint, action text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, cases AS $$
DECLARE
  win constant interval := interval '1 hour';
  max_wrong constant integer := 5;
  a cases.progress_attempt;
  cid bigint;
BEGIN
  -- a few expired counters go with every call: the table stays small
  DELETE FROM cases.progress_attempt WHERE number IN
    (SELECT x.number FROM cases.progress_attempt x WHERE x.window_start <= p_now - win LIMIT 4);
  -- the counter row stays locked until the end: guesses at one number queue
  INSERT INTO cases.progress_attempt AS t (number, window_start, failures) VALUES (p_number, p_now, 0)
  ON CONFLICT (number) DO UPDATE SET
    window_start = CASE WHEN t.window_start + win <= p_now THEN p_now ELSE t.window_start END,
    failures = CASE WHEN t.window_start + win <= p_now THEN 0 ELSE t.failures END
  RETURNING t.* INTO a;
  IF a.failures >= max_wrong THEN
    RETURN QUERY SELECT 0, 'locked'::text,
      greatest(1, ceil(extract(epoch FROM a.window_start + win - p_now)))::integer,
      NULL::text, NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::text;
    RETURN;
  END IF;
  SELECT p.case_id INTO cid FROM cases.party p JOIN cases.case c ON c.id = p.case_id
   WHERE p.progress_key = p_key AND c.number = p_number LIMIT 1;
  IF cid IS NULL THEN
    UPDATE cases.progress_attempt SET failures = failures + 1 WHERE number = p_number;
    RETURN QUERY SELECT 0, 'wrong'::text, NULL::integer, NULL::text, NULL::text, NULL::text, NULL::text,
      NULL::bigint, NULL::text;
    RETURN;
  END IF;
  RETURN QUERY SELECT 0, 'ok'::text, NULL::integer, c.business_type, bt.name, c.state, c.due_date::text,
      NULL::bigint, NULL::text
    FROM cases.case c JOIN cases.business_type bt ON bt.code = c.business_type WHERE c.id = cid;
  RETURN QUERY SELECT 1, NULL::text, NULL::integer, NULL::text, NULL::text, e.to_state, NULL::text,
      (extract(epoch FROM e.at) * 1000000)::bigint, e.action
    FROM cases.event e WHERE e.case_id = cid ORDER BY e.id;
  RETURN QUERY SELECT 2, NULL::text, NULL::integer, NULL::text, NULL::text, NULL::text, NULL::text,
      NULL::bigint, m.item
    FROM (SELECT e.details FROM cases.event e WHERE e.case_id = cid AND e.action = 'request_supplement'
          ORDER BY e.id DESC LIMIT 1) l
    CROSS JOIN LATERAL jsonb_array_elements_text(
      CASE WHEN jsonb_typeof(l.details -> 'missing') = 'array' THEN l.details -> 'missing' ELSE '[]' END)
      WITH ORDINALITY AS m(item, ord)
    WHERE (SELECT c.state FROM cases.case c WHERE c.id = cid) = 'supplement_requested'
    ORDER BY m.ord;
END
$$;
