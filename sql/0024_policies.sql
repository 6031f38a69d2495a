-- Policies and regulations (政策法规, README "Policies and regulations"):
-- documents that apply to a division's subtree (450000: everyone), written
-- and published by holders of policy.manage over that division, read by
-- staff (published ones covering their agency's division) and — for
-- 办事指南 and 通知公告 only — by applicants through the public service.
-- Every saved change is a new version with a full snapshot.
CREATE SCHEMA pol;
GRANT USAGE ON SCHEMA pol TO tb_admin, tb_public;

-- a county or city administrator publishes for its own subtree
INSERT INTO iam.role_permission VALUES ('jurisdiction_admin', 'policy.manage');

-- Chinese full-text search without a Chinese parser: the index holds every
-- CJK character (so a one-character query can match) and every pair of
-- neighbouring CJK characters (most Chinese words are two characters), plus
-- whole lowercase ASCII words and digit runs (文号 numbers, years). Why not
-- pg_trgm: a trigram needs three characters where the commonest query words
-- (抵押, 继承, 查封) have two, and under a plain C locale it keeps no
-- non-ASCII character at all. One definition, used by the trigger that keeps
-- the indexed column and by every query (pol.bigram_query).
--
-- Built with regular expressions over the whole text and to_tsvector (all
-- in C) rather than a row per character: twice as fast, which matters for a
-- 200 000-character body. The text is first reduced to its tokens, one
-- space after each; then three streams: every CJK character alone (and the
-- ASCII words and digit runs), the pairs at even offsets of each CJK run,
-- the pairs at odd offsets (the run's first character split off first); a
-- run's odd last character falls out as a unigram again, which it already
-- is. The 'simple' configuration keeps every token as it is. Positions
-- follow the streams, not the text: enough for ts_rank, which ranks title
-- hits (weight A) first anyway.
CREATE FUNCTION pol.bigrams(t text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog AS $$
  WITH s AS (
    SELECT regexp_replace(lower(t), '([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z]+|[0-9]+)|.', '\1 ', 'g') AS s
  ), h AS (
    SELECT s, regexp_replace(s, '[a-z0-9]+', '', 'g') AS h FROM s
  )
  SELECT to_tsvector('simple',
    regexp_replace(s, '([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])', '\1 ', 'g') || ' ' ||
    regexp_replace(h, '([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2})', '\1 ', 'g') || ' ' ||
    regexp_replace(regexp_replace(h, '(^|[^\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])',
                                  '\1\2 ', 'g'),
                   '([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2})', '\1 ', 'g'))
  FROM h
$$;

-- The query's lexemes, all of them required: a CJK run of one character is
-- that character, a longer run its overlapping pairs; ASCII words and digit
-- runs as whole words. NULL when the text has none (nothing matches).
CREATE FUNCTION pol.bigram_query(q text) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog AS $$
  WITH runs AS (
    SELECT r[1] AS run, string_to_array(r[1], NULL) AS cs
      FROM regexp_matches(q, '[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+', 'g') AS r
  ), lex AS (
    SELECT run AS l FROM runs WHERE cardinality(cs) = 1
    UNION
    SELECT cs[k] || cs[k + 1] FROM runs, generate_series(1, cardinality(cs) - 1) AS k
    UNION
    SELECT w[1] FROM regexp_matches(lower(q), '[a-z]+|[0-9]+', 'g') AS w
  )
  SELECT string_agg(quote_literal(l), ' & ')::tsquery FROM lex
$$;
GRANT EXECUTE ON FUNCTION pol.bigrams(text), pol.bigram_query(text) TO tb_admin, tb_public;

CREATE TABLE pol.document (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  division        text NOT NULL REFERENCES ref.division (code),
  category        text NOT NULL CHECK (category IN ('law', 'policy', 'guide', 'notice')),
  title           text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
  issuer          text NOT NULL CHECK (char_length(issuer) BETWEEN 1 AND 100),
  doc_number      text NOT NULL DEFAULT '' CHECK (char_length(doc_number) <= 100),
  published_on    date,
  effective_on    date,
  body            text NOT NULL CHECK (char_length(body) <= 200000),
  state           text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'published', 'withdrawn')),
  version         integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_by      bigint NOT NULL REFERENCES iam.user (id),
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  published_at    timestamptz,
  withdrawn_at    timestamptz,
  withdraw_reason text CHECK (char_length(withdraw_reason) BETWEEN 2 AND 200),
  -- pol.bigrams of title (weighing more when ranking) and body, kept by
  -- the trigger below
  search          tsvector NOT NULL DEFAULT ''::tsvector,
  CHECK ((state = 'withdrawn') = (withdrawn_at IS NOT NULL)),
  CHECK ((state = 'draft') = (published_at IS NULL))
);
CREATE INDEX document_search ON pol.document USING gin (search);

-- Indexing a long body takes a while (a second or two at 200 000
-- characters): done when the text changes, not on every change of state.
CREATE FUNCTION pol.document_search() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  NEW.search := setweight(pol.bigrams(NEW.title), 'A') || pol.bigrams(NEW.body);
  RETURN NEW;
END
$$;
CREATE TRIGGER document_search_insert BEFORE INSERT ON pol.document
  FOR EACH ROW EXECUTE FUNCTION pol.document_search();
CREATE TRIGGER document_search_update BEFORE UPDATE OF title, body ON pol.document
  FOR EACH ROW WHEN (NEW.title IS DISTINCT FROM OLD.title OR NEW.body IS DISTINCT FROM OLD.body)
  EXECUTE FUNCTION pol.document_search();
CREATE INDEX document_division ON pol.document (division, state);

-- PDFs only (sniffed by the service), at most 10 MiB each. A deleted
-- attachment keeps its bytes: earlier versions' snapshots name it.
CREATE TABLE pol.attachment (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  document_id bigint NOT NULL REFERENCES pol.document (id),
  filename    text NOT NULL CHECK (char_length(filename) BETWEEN 1 AND 200),
  size        integer NOT NULL CHECK (size BETWEEN 1 AND 10485760),
  sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  data        bytea NOT NULL CHECK (length(data) = size),
  uploaded_by bigint NOT NULL REFERENCES iam.user (id),
  uploaded_at timestamptz NOT NULL,
  removed_by  bigint REFERENCES iam.user (id),
  removed_at  timestamptz,
  CHECK ((removed_by IS NULL) = (removed_at IS NULL))
);
-- PDFs are compressed already: stored out of line without another try
ALTER TABLE pol.attachment ALTER COLUMN data SET STORAGE EXTERNAL;
CREATE INDEX attachment_document ON pol.attachment (document_id) WHERE removed_at IS NULL;

-- Every version as it was saved: what the versions screen shows and what
-- an auditor compares. attachments: [{id, filename, size, sha256}].
CREATE TABLE pol.version (
  document_id     bigint NOT NULL REFERENCES pol.document (id),
  version         integer NOT NULL,
  action          text NOT NULL CHECK (action IN ('create', 'update', 'publish', 'withdraw',
                                                  'attachment_add', 'attachment_delete')),
  state           text NOT NULL,
  division        text NOT NULL,
  category        text NOT NULL,
  title           text NOT NULL,
  issuer          text NOT NULL,
  doc_number      text NOT NULL,
  published_on    date,
  effective_on    date,
  body            text NOT NULL,
  withdraw_reason text,
  attachments     jsonb NOT NULL,
  changed_by      bigint NOT NULL REFERENCES iam.user (id),
  changed_at      timestamptz NOT NULL,
  PRIMARY KEY (document_id, version)
);

-- What each user has read: the version read. A document is unread while
-- the row is missing or names an older version (a published edit).
CREATE TABLE pol.read (
  user_id     bigint NOT NULL REFERENCES iam.user (id),
  document_id bigint NOT NULL REFERENCES pol.document (id),
  version     integer NOT NULL,
  read_at     timestamptz NOT NULL,
  PRIMARY KEY (user_id, document_id)
);

GRANT SELECT, INSERT ON pol.document, pol.attachment, pol.version TO tb_admin;
GRANT UPDATE (division, category, title, issuer, doc_number, published_on, effective_on, body, state, version,
              updated_at, published_at, withdrawn_at, withdraw_reason) ON pol.document TO tb_admin;
GRANT UPDATE (removed_by, removed_at) ON pol.attachment TO tb_admin;
GRANT SELECT, INSERT, UPDATE ON pol.read TO tb_admin;

-- The public service sees published 办事指南 and 通知公告 and nothing else:
-- no table, only these views (security barriers: a function in a query's
-- condition cannot see rows the view leaves out) and pol.public_list.
CREATE VIEW pol.public_document WITH (security_barrier) AS
  SELECT id, division, category, title, issuer, doc_number, published_on, effective_on, body, version,
         updated_at, published_at, search
    FROM pol.document
   WHERE state = 'published' AND category IN ('guide', 'notice');
CREATE VIEW pol.public_attachment WITH (security_barrier) AS
  SELECT a.id, a.document_id, a.filename, a.size, a.sha256, a.data
    FROM pol.attachment a
   WHERE a.removed_at IS NULL
     AND EXISTS (SELECT 1 FROM pol.document d
                  WHERE d.id = a.document_id AND d.state = 'published' AND d.category IN ('guide', 'notice'));
GRANT SELECT ON pol.public_document, pol.public_attachment TO tb_public;

-- The public list and search. A function rather than the view: behind a
-- security barrier the planner may not use the GIN index for @@ (the
-- operator is not leakproof), so a search would read every published row;
-- here the same filter is written out and the index serves the search.
-- p_division: only documents that apply there (their division covers it).
-- Ranked like the staff list: (score, id) descending, score an integer.
CREATE FUNCTION pol.public_list(p_category text, p_q text, p_division text, p_after_score bigint,
                                p_after_id bigint, p_limit integer)
RETURNS TABLE (id bigint, division text, division_name text, category text, title text, issuer text,
               doc_number text, published_on text, effective_on text, version integer, updated_us bigint,
               score bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pol AS $$
DECLARE
  tq tsquery := CASE WHEN p_q IS NULL THEN NULL ELSE pol.bigram_query(p_q) END;
  divs text[] := CASE WHEN p_division IS NULL THEN NULL
                      ELSE ARRAY(SELECT a.code FROM ref.division a WHERE ref.covers(a.code, p_division)) END;
BEGIN
  IF p_q IS NOT NULL AND tq IS NULL THEN
    RETURN; -- no word to search for
  END IF;
  -- planned for each call (EXECUTE): a search and a plain list want
  -- different plans, and a cached generic one would serve one of them badly
  RETURN QUERY EXECUTE
  'SELECT d.id, d.division, v.name, d.category, d.title, d.issuer, d.doc_number, d.published_on::text,
          d.effective_on::text, d.version, (extract(epoch FROM d.updated_at) * 1000000)::bigint, d.score
     FROM (SELECT x.*, ' || CASE WHEN tq IS NULL THEN '0::bigint' ELSE '(ts_rank(x.search, $1) * 1000000)::bigint' END
       || ' AS score FROM pol.document x
            WHERE x.state = ''published'' AND x.category IN (''guide'', ''notice'')'
       || CASE WHEN tq IS NULL THEN '' ELSE ' AND x.search @@ $1' END
       || CASE WHEN p_category IS NULL THEN '' ELSE ' AND x.category = $2' END
       || CASE WHEN divs IS NULL THEN '' ELSE ' AND x.division = ANY ($3)' END
       || ') d JOIN ref.division v ON v.code = d.division
    WHERE (d.score, d.id) < ($4, $5) ORDER BY d.score DESC, d.id DESC LIMIT $6'
  USING tq, p_category, divs, p_after_score, p_after_id, p_limit;
END
$$;
REVOKE ALL ON FUNCTION pol.public_list(text, text, text, bigint, bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pol.public_list(text, text, text, bigint, bigint, integer) TO tb_public;
