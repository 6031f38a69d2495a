-- Query-result certificates (查询结果证明): the signed PDF of a completed
-- query, made once at its first download and served as stored ever after,
-- and its public verification. The verification code (printed only in the
-- QR code's address) is kept as its SHA-256; the PDF's SM2 signature and
-- the public key that checks it are kept beside it, so a later change of
-- the SM2 key does not orphan old certificates.

-- A fingerprint of what the register holds on some units: every entry
-- row's id and end (a registration adds rows, a cancellation ends them)
-- and the units' own particulars. Equal fingerprints: nothing changed.
CREATE FUNCTION qry.register_mark(p_units text[])
RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, reg AS $$
  SELECT md5(coalesce((SELECT string_agg(e.id::text || ':' || coalesce(extract(epoch FROM e.valid_to)::text, ''),
                                         ',' ORDER BY e.id)
                        FROM reg.entry e WHERE e.unit_code = ANY (p_units)), '') || '|' ||
             coalesce((SELECT string_agg(u.code || ':' || u.location || ':' || u.use || ':' || u.area_m2::text,
                                         ',' ORDER BY u.code)
                        FROM reg.unit u WHERE u.code = ANY (p_units)), ''))
$$;
REVOKE EXECUTE ON FUNCTION qry.register_mark(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION qry.register_mark(text[]) TO tb_query;

CREATE TABLE qry.certificate (
  -- ZM-<agency>-<year>-<7 digits>: the query's serial with its own prefix
  serial        text PRIMARY KEY CHECK (serial ~ '^ZM-[0-9]{6,8}-[0-9]{4}-[0-9]{7}$'),
  query_id      bigint NOT NULL UNIQUE REFERENCES qry.query (id),
  agency_code   text NOT NULL REFERENCES iam.agency (code),
  issued_by     bigint NOT NULL REFERENCES iam.user (id),
  issued_at     timestamptz NOT NULL,
  pdf           bytea NOT NULL CHECK (octet_length(pdf) BETWEEN 1 AND 307200),
  sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  code_hash     text NOT NULL CHECK (code_hash ~ '^[0-9a-f]{64}$'),
  sm2_signature bytea NOT NULL CHECK (octet_length(sm2_signature) BETWEEN 8 AND 200),
  sm2_public_key text NOT NULL CHECK (sm2_public_key LIKE '-----BEGIN PUBLIC KEY-----%'),
  -- the units of the result and the register's fingerprint over them at issue
  unit_codes    text[] NOT NULL,
  register_mark text NOT NULL CHECK (register_mark ~ '^[0-9a-f]{32}$')
);
-- compressed already (Flate streams, font subsets)
ALTER TABLE qry.certificate ALTER COLUMN pdf SET STORAGE EXTERNAL;

GRANT SELECT, INSERT ON qry.certificate TO tb_query;

-- The public verification: the public service may not read certificates,
-- queries or the register; this gives exactly the answer for a serial and
-- the hash of a presented code, nothing for a wrong pair.
CREATE FUNCTION qry.certificate_verify(p_serial text, p_code_hash text)
RETURNS TABLE (serial text, sha256 text, issued_at timestamptz, agency_code text, agency_name text,
               changed_since boolean, sm2_signature bytea, sm2_public_key text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, qry, iam AS $$
  SELECT c.serial, c.sha256, c.issued_at, c.agency_code, a.name,
         qry.register_mark(c.unit_codes) <> c.register_mark, c.sm2_signature, c.sm2_public_key
  FROM qry.certificate c JOIN iam.agency a ON a.code = c.agency_code
  WHERE c.serial = p_serial AND c.code_hash = p_code_hash
$$;
REVOKE EXECUTE ON FUNCTION qry.certificate_verify(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION qry.certificate_verify(text, text) TO tb_public;
