-- Applicant progress for the public service, which may not read cases:
-- two functions give exactly what an applicant may see — state, due date,
-- the timeline without staff names — and the hashes that prove the caller
-- knows the last six characters of a party's ID number.
CREATE FUNCTION cases.public_case(p_number text)
RETURNS TABLE (business_type text, type_name text, state text, due_date date, keys text[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, cases AS $$
  SELECT c.business_type, t.name, c.state, c.due_date,
         array(SELECT encode(sha256(convert_to(c.number || ':' || upper(right(p.id_number, 6)), 'UTF8')), 'hex')
               FROM cases.party p WHERE p.case_id = c.id ORDER BY p.seq)
  FROM cases.case c JOIN cases.business_type t ON t.code = c.business_type
  WHERE c.number = p_number
$$;
CREATE FUNCTION cases.public_timeline(p_number text)
RETURNS TABLE (at timestamptz, action text, state text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, cases AS $$
  SELECT e.at, e.action, e.to_state FROM cases.event e JOIN cases.case c ON c.id = e.case_id
  WHERE c.number = p_number ORDER BY e.id
$$;
REVOKE EXECUTE ON FUNCTION cases.public_case(text), cases.public_timeline(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cases.public_case(text), cases.public_timeline(text) TO tb_public;
