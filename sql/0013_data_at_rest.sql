-- ID numbers at rest, and an applicant lookup that cannot be guessed.
--
-- ID numbers are sealed (AES-256-GCM, keyring.h) with the column as the
-- purpose ("cases.party.id_number", "reg.entry.holder_id_number"): the
-- column that had the clear number now holds the sealed text, the clear one
-- is renamed *_legacy and only ever holds values waiting for `tbctl keys
-- rotate` to seal them (rows from before this migration, demo data). Next
-- to each: the masked form lists show, and a keyed HMAC index
-- (keyring_index, domain "id_number", over "<id type>:<number>") so a lookup
-- by ID number needs no decryption. The keys are outside the database.

ALTER TABLE cases.party RENAME COLUMN id_number TO id_number_legacy;
ALTER TABLE cases.party ALTER COLUMN id_number_legacy DROP NOT NULL;
ALTER TABLE cases.party
  ADD COLUMN id_number        text CHECK (id_number ~ '^v1\.[0-9]+\.[A-Za-z0-9_-]+$'),
  ADD COLUMN id_number_masked text,
  ADD COLUMN id_number_index  text CHECK (id_number_index ~ '^[0-9a-f]{64}$'),
  -- HMAC("progress", case number ":" last six characters): the applicant's proof
  ADD COLUMN progress_key     text CHECK (progress_key ~ '^[0-9a-f]{64}$'),
  ADD CONSTRAINT party_id_number_once CHECK (num_nonnulls(id_number, id_number_legacy) = 1);
CREATE INDEX party_id_number_index ON cases.party (id_number_index);
CREATE INDEX party_progress_key ON cases.party (progress_key);

ALTER TABLE reg.entry RENAME COLUMN holder_id_number TO holder_id_number_legacy;
ALTER TABLE reg.entry
  ADD COLUMN holder_id_number        text CHECK (holder_id_number ~ '^v1\.[0-9]+\.[A-Za-z0-9_-]+$'),
  ADD COLUMN holder_id_number_masked text,
  ADD COLUMN holder_id_number_index  text CHECK (holder_id_number_index ~ '^[0-9a-f]{64}$'),
  ADD CONSTRAINT entry_holder_id_number_once CHECK (holder_id_number IS NULL OR holder_id_number_legacy IS NULL);
CREATE INDEX entry_holder_id_number_index ON reg.entry (holder_id_number_index);

-- The masked form of the values waiting to be sealed (as domain/register.c's
-- id_mask: first three and last four characters of numbers longer than 7).
CREATE FUNCTION pg_temp.id_mask(n text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN length(n) > 7 THEN left(n, 3) || repeat('*', length(n) - 7) || right(n, 4)
              ELSE repeat('*', length(n)) END
$$;
UPDATE cases.party SET id_number_masked = pg_temp.id_mask(id_number_legacy) WHERE id_number_legacy IS NOT NULL;
UPDATE reg.entry SET holder_id_number_masked = pg_temp.id_mask(holder_id_number_legacy)
  WHERE holder_id_number_legacy IS NOT NULL;

-- The services may write every column but the clear one: a service that
-- tried to store a clear ID number is refused by the database too.
DO $$
DECLARE cols text;
BEGIN
  REVOKE INSERT ON cases.party FROM tb_intake;
  SELECT string_agg(quote_ident(attname), ', ') INTO cols FROM pg_attribute
   WHERE attrelid = 'cases.party'::regclass AND attnum > 0 AND NOT attisdropped AND attname <> 'id_number_legacy';
  EXECUTE format('GRANT INSERT (%s) ON cases.party TO tb_intake', cols);
  REVOKE INSERT, UPDATE ON reg.entry FROM tb_intake;
  SELECT string_agg(quote_ident(attname), ', ') INTO cols FROM pg_attribute
   WHERE attrelid = 'reg.entry'::regclass AND attnum > 0 AND NOT attisdropped
     AND attname NOT IN ('id', 'holder_id_number_legacy');
  EXECUTE format('GRANT INSERT (%s), UPDATE (%s) ON reg.entry TO tb_intake', cols, cols);
END $$;

-- Applicant progress. The proof is a keyed HMAC computed by the public
-- service (it holds the index key) and compared by an index probe on
-- party.progress_key alone: a wrong pair and an unknown number do the same
-- work. Wrong attempts are counted per case number string, whether or not
-- the case exists, so the lock is no oracle either: 5 wrong in an hour lock
-- the number for the rest of that hour, from every address.
DROP FUNCTION cases.public_case(text);
DROP FUNCTION cases.public_timeline(text);

CREATE TABLE cases.progress_attempt (
  number       text PRIMARY KEY,
  window_start timestamptz NOT NULL,
  failures     integer NOT NULL DEFAULT 0 CHECK (failures >= 0)
);
CREATE INDEX progress_attempt_window ON cases.progress_attempt (window_start);

-- kind 0: the outcome ('ok', 'wrong' or 'locked'), with retry_after seconds
-- when locked and the case's state when ok; kind 1: the timeline, in order.
CREATE FUNCTION cases.public_progress(p_number text, p_key text, p_now timestamptz)
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
END
$$;
REVOKE EXECUTE ON FUNCTION cases.public_progress(text, text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cases.public_progress(text, text, timestamptz) TO tb_public;
