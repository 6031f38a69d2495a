-- Archive queries (查档): evidence, queries with serial numbers and their
-- stored results, the sensitive whitelist, query permissions with a daily
-- quota, and a record of what each query touched ("who queried me", volume
-- alerts). ID numbers appear only as the keyed index (keyring_index
-- "id_number" over "<type>:<number>") and the masked form, never in clear.

CREATE SCHEMA qry;
COMMENT ON SCHEMA qry IS 'Archive queries (查档) and their whitelist, permissions and quotas';
GRANT USAGE ON SCHEMA qry TO tb_query, tb_public;

-- An uploaded proof (ID card copy, contract, investigation order, letter):
-- used by at most one query, and only by the agency that uploaded it.
CREATE TABLE qry.evidence (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  content_type text NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png')),
  size         integer NOT NULL CHECK (size BETWEEN 1 AND 10485760),
  sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  data         bytea NOT NULL,
  uploaded_by  bigint NOT NULL REFERENCES iam.user (id),
  agency_code  text NOT NULL REFERENCES iam.agency (code),
  uploaded_at  timestamptz NOT NULL
);
ALTER TABLE qry.evidence ALTER COLUMN data SET STORAGE EXTERNAL; -- already compressed formats

-- Serial numbers: gapless per agency and Beijing year, taken in the
-- creating transaction (CX-<agency>-<year>-<7 digits>).
CREATE TABLE qry.serial_counter (
  agency_code text NOT NULL REFERENCES iam.agency (code),
  year        integer NOT NULL CHECK (year BETWEEN 2000 AND 2999),
  last        integer NOT NULL CHECK (last BETWEEN 0 AND 9999999),
  PRIMARY KEY (agency_code, year)
);

CREATE TABLE qry.query (
  id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  serial               text NOT NULL UNIQUE CHECK (serial ~ '^CX-[0-9]{6,8}-[0-9]{4}-[0-9]{7}$'),
  agency_code          text NOT NULL REFERENCES iam.agency (code),
  created_by           bigint NOT NULL REFERENCES iam.user (id),
  created_at           timestamptz NOT NULL,
  requester_kind       text NOT NULL CHECK (requester_kind IN ('holder', 'heir_guardian', 'interested_party',
                         'prospective_party', 'lawyer', 'state_organ')),
  requester_name       text NOT NULL CHECK (length(requester_name) BETWEEN 1 AND 100),
  requester_id_type    text NOT NULL,
  requester_id_masked  text NOT NULL,
  requester_id_index   text NOT NULL CHECK (requester_id_index ~ '^[0-9a-f]{64}$'),
  requester_reference  text CHECK (length(requester_reference) BETWEEN 1 AND 100),
  purpose              text NOT NULL CHECK (length(purpose) BETWEEN 1 AND 200),
  evidence_id          bigint NOT NULL UNIQUE REFERENCES qry.evidence (id),
  -- the conditions as shown: a holder condition carries the masked number
  conditions           jsonb NOT NULL,
  cond_kind            text NOT NULL CHECK (cond_kind IN ('unit_code', 'certificate_no', 'holder')),
  cond_value           text,     -- unit code or canonical certificate number
  cond_holder_name     text,
  cond_holder_index    text CHECK (cond_holder_index ~ '^[0-9a-f]{64}$'),
  cond_holder_id_type  text,
  as_at                timestamptz NOT NULL,
  -- the divisions the clerk could query when asking (the result is computed
  -- inside them, also when an approval computes it later)
  divisions            text[] NOT NULL,
  state                text NOT NULL CHECK (state IN ('completed', 'pending_approval', 'rejected')),
  -- whose approval a pending query waits for: an admin covering each of these
  approval_divisions   text[] NOT NULL DEFAULT '{}',
  result               jsonb,
  decided_by           bigint REFERENCES iam.user (id),
  decided_at           timestamptz,
  reject_reason        text CHECK (length(reject_reason) BETWEEN 1 AND 500),
  CHECK ((state = 'completed') = (result IS NOT NULL)),
  CHECK ((state = 'rejected') = (reject_reason IS NOT NULL)),
  CHECK ((cond_kind = 'holder') = (cond_holder_index IS NOT NULL))
);
CREATE INDEX query_agency ON qry.query (agency_code, id);
CREATE INDEX query_pending ON qry.query (id) WHERE state = 'pending_approval';
CREATE INDEX query_creator_time ON qry.query (created_by, created_at);

-- What a query touched: each unit of its result with each holder's index
-- (a row per unit with holder_index NULL when it has none). Read for "who
-- queried me" (by unit) and the distinct-holders alert (by creator, hour).
CREATE TABLE qry.touch (
  query_id     bigint NOT NULL REFERENCES qry.query (id),
  unit_code    text NOT NULL,
  county_code  text NOT NULL,
  holder_index text CHECK (holder_index ~ '^[0-9a-f]{64}$'),
  created_by   bigint NOT NULL,
  at           timestamptz NOT NULL
);
CREATE INDEX touch_unit ON qry.touch (unit_code, at);
CREATE INDEX touch_creator ON qry.touch (created_by, at);
CREATE INDEX touch_query ON qry.touch (query_id);

-- The sensitive whitelist (白名单). Removal keeps the row (removed_at).
CREATE TABLE qry.whitelist (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id_index    text NOT NULL CHECK (id_index ~ '^[0-9a-f]{64}$'),
  id_type     text NOT NULL,
  id_masked   text NOT NULL,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  reason      text NOT NULL CHECK (length(reason) BETWEEN 4 AND 200),
  scope_code  text NOT NULL REFERENCES ref.division (code),
  created_by  bigint NOT NULL REFERENCES iam.user (id),
  created_at  timestamptz NOT NULL,
  removed_by  bigint REFERENCES iam.user (id),
  removed_at  timestamptz,
  CHECK ((removed_at IS NULL) = (removed_by IS NULL))
);
CREATE UNIQUE INDEX whitelist_active ON qry.whitelist (id_index, scope_code) WHERE removed_at IS NULL;
CREATE INDEX whitelist_index ON qry.whitelist (id_index) WHERE removed_at IS NULL;

-- Query permissions: the divisions a user may query (NULL: the scopes of
-- their query.create grants) and their daily quota.
CREATE TABLE qry.permission (
  user_id     bigint PRIMARY KEY REFERENCES iam.user (id),
  divisions   text[],
  daily_quota integer NOT NULL CHECK (daily_quota BETWEEN 0 AND 100000),
  updated_by  bigint NOT NULL REFERENCES iam.user (id),
  updated_at  timestamptz NOT NULL
);

-- Queries per user and Beijing day: one row updated atomically by the
-- creating transaction (the quota check and the count are one statement).
-- alerted: the volume alert of that day was written (once a day).
CREATE TABLE qry.quota_use (
  user_id  bigint NOT NULL REFERENCES iam.user (id),
  day      date NOT NULL,
  used     integer NOT NULL CHECK (used >= 0),
  alerted  boolean NOT NULL DEFAULT false,
  holders_alerted_at timestamptz,
  PRIMARY KEY (user_id, day)
);

GRANT SELECT, INSERT ON qry.evidence TO tb_query;
GRANT SELECT, INSERT, UPDATE ON qry.serial_counter TO tb_query;
GRANT SELECT, INSERT ON qry.query TO tb_query;
GRANT UPDATE (state, result, decided_by, decided_at, reject_reason) ON qry.query TO tb_query;
GRANT SELECT, INSERT ON qry.touch TO tb_query;
GRANT SELECT, INSERT ON qry.whitelist TO tb_query;
GRANT UPDATE (removed_by, removed_at) ON qry.whitelist TO tb_query;
GRANT SELECT, INSERT, UPDATE ON qry.permission, qry.quota_use TO tb_query;
-- The public verification (certificate helper) needs a query's basics,
-- not the requester's identity, evidence or conditions' indexes.
GRANT SELECT (id, serial, agency_code, created_at, as_at, state, requester_kind) ON qry.query TO tb_public;
