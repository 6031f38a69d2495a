-- Cases across jurisdictions: the registry base they register into,
-- business types and the workflow as data, cases with parties and events,
-- gapless counters, the outbox, and idempotent creation.

CREATE SCHEMA reg;
COMMENT ON SCHEMA reg IS 'The region-wide registry base (全区不动产基础库), versioned rows';
GRANT USAGE ON SCHEMA reg TO tb_service;

CREATE TABLE reg.unit (
  code        text PRIMARY KEY CHECK (length(code) = 28),
  county_code text NOT NULL REFERENCES ref.division (code),
  location    text NOT NULL CHECK (length(location) BETWEEN 1 AND 200),
  use         text NOT NULL CHECK (use IN ('residential', 'non_residential', 'parking', 'storeroom', 'other')),
  area_m2     numeric(12, 2) NOT NULL CHECK (area_m2 > 0),
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (substr(code, 1, 6) = county_code)
);

-- Rights (ownership, with shares) and restrictions (mortgage with rank,
-- pre-notice, seizure with its wait-list rank, objection). A row is valid
-- from valid_from until valid_to (NULL: still in force); made_by_case and
-- ended_by_case say which case wrote and which ended it, so the register as
-- at any time T is the rows with valid_from <= T < coalesce(valid_to, inf).
CREATE TABLE reg.entry (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  unit_code      text NOT NULL REFERENCES reg.unit (code),
  kind           text NOT NULL CHECK (kind IN ('ownership', 'mortgage', 'pre_notice', 'seizure', 'objection')),
  rank           integer,
  holder_name    text NOT NULL,
  holder_id_type text,
  holder_id_number text,
  share          text,
  amount_fen     bigint CHECK (amount_fen >= 0),
  certificate_no text,
  details        jsonb NOT NULL DEFAULT '{}',
  valid_from     timestamptz NOT NULL,
  valid_to       timestamptz,
  made_by_case   bigint,
  ended_by_case  bigint,
  CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX entry_unit ON reg.entry (unit_code, kind) WHERE valid_to IS NULL;
CREATE UNIQUE INDEX entry_mortgage_rank ON reg.entry (unit_code, rank)
  WHERE kind = 'mortgage' AND valid_to IS NULL;

CREATE SCHEMA cases;
GRANT USAGE ON SCHEMA cases TO tb_service;

-- Business types as data. Ownership types exist but are off unless a
-- division turns its pilot on.
CREATE TABLE cases.business_type (
  code           text PRIMARY KEY CHECK (code ~ '^[a-z_]+\.[a-z_]+$'),
  category       text NOT NULL CHECK (category IN ('pre_notice', 'mortgage', 'ownership')),
  action         text NOT NULL CHECK (action IN ('establish', 'transfer', 'change', 'cancellation', 'other')),
  name           text NOT NULL,
  promised_days  integer NOT NULL DEFAULT 5 CHECK (promised_days BETWEEN 1 AND 30),
  statutory_days integer NOT NULL DEFAULT 30 CHECK (statutory_days BETWEEN 1 AND 30),
  fee_rule       text NOT NULL,
  required_docs  text[] NOT NULL DEFAULT '{}',
  pilot_only     boolean NOT NULL DEFAULT false,
  enabled        boolean NOT NULL DEFAULT true
);
INSERT INTO cases.business_type (code, category, action, name, fee_rule, required_docs, pilot_only)
SELECT c || '.' || a, c, a,
       (CASE c WHEN 'pre_notice' THEN '预告登记' WHEN 'mortgage' THEN '抵押登记' ELSE '产权登记' END) ||
       (CASE a WHEN 'establish' THEN '（设立）' WHEN 'transfer' THEN '（转移）' WHEN 'change' THEN '（变更）'
               WHEN 'cancellation' THEN '（注销）' ELSE '（其他）' END),
       CASE WHEN a = 'cancellation' THEN 'free' WHEN a = 'change' THEN 'half' ELSE 'standard' END,
       CASE c WHEN 'mortgage' THEN ARRAY['application', 'identity', 'mortgage_contract']
              WHEN 'pre_notice' THEN ARRAY['application', 'identity', 'sale_contract']
              ELSE ARRAY['application', 'identity', 'ownership_proof'] END,
       c = 'ownership'
FROM unnest(ARRAY['pre_notice', 'mortgage', 'ownership']) c,
     unnest(ARRAY['establish', 'transfer', 'change', 'cancellation', 'other']) a;

CREATE TABLE cases.pilot (
  division_code text NOT NULL REFERENCES ref.division (code),
  category      text NOT NULL CHECK (category = 'ownership'),
  PRIMARY KEY (division_code, category)
);

-- The workflow as data: from a state, an action leads to a state; who may
-- act is a permission, held over the receiving or the deciding side.
CREATE TABLE cases.transition (
  from_state text NOT NULL,
  action     text NOT NULL,
  to_state   text NOT NULL,
  permission text NOT NULL REFERENCES iam.permission (code),
  side       text NOT NULL CHECK (side IN ('receiving', 'deciding', 'either')),
  enabled    boolean NOT NULL DEFAULT true,
  PRIMARY KEY (from_state, action)
);
INSERT INTO cases.transition (from_state, action, to_state, permission, side) VALUES
  ('draft', 'submit', 'submitted', 'case.create', 'receiving'),
  ('submitted', 'accept', 'accepted', 'case.review', 'deciding'),
  ('accepted', 'request_supplement', 'supplement_requested', 'case.review', 'deciding'),
  ('supplement_requested', 'resubmit', 'submitted', 'case.create', 'receiving'),
  ('accepted', 'reject', 'rejected', 'case.review', 'deciding'),
  ('accepted', 'approve', 'approved', 'case.review', 'deciding'),
  ('approved', 'register', 'registered', 'case.register', 'deciding'),
  ('registered', 'set_fees', 'fees_set', 'fee.set', 'deciding'),
  ('fees_set', 'record_payment', 'paid', 'payment.record', 'either'),
  ('paid', 'issue', 'issued', 'case.issue', 'deciding'),
  ('issued', 'deliver', 'delivered', 'case.deliver', 'either'),
  ('delivered', 'close', 'closed', 'case.deliver', 'either'),
  ('draft', 'withdraw', 'withdrawn', 'case.create', 'receiving'),
  ('submitted', 'withdraw', 'withdrawn', 'case.create', 'receiving'),
  ('accepted', 'withdraw', 'withdrawn', 'case.create', 'receiving'),
  ('supplement_requested', 'withdraw', 'withdrawn', 'case.create', 'receiving'),
  ('approved', 'withdraw', 'withdrawn', 'case.create', 'receiving');

CREATE TABLE cases.counter (
  agency_code text NOT NULL REFERENCES iam.agency (code),
  year        integer NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('case', 'proof', 'right')),
  last        integer NOT NULL DEFAULT 0,
  PRIMARY KEY (agency_code, year, kind)
);

CREATE TABLE cases.case (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  number             text NOT NULL UNIQUE,
  business_type      text NOT NULL REFERENCES cases.business_type (code),
  unit_code          text NOT NULL REFERENCES reg.unit (code),
  receiving_agency   text NOT NULL REFERENCES iam.agency (code),
  deciding_agency    text NOT NULL REFERENCES iam.agency (code),
  receiving_division text NOT NULL REFERENCES ref.division (code),
  deciding_division  text NOT NULL REFERENCES ref.division (code),
  state              text NOT NULL,
  version            integer NOT NULL DEFAULT 1,
  fields             jsonb NOT NULL DEFAULT '{}',
  received_at        timestamptz,
  due_date           date,
  certificate_no     text UNIQUE,
  fee_total_fen      bigint,
  created_by         bigint NOT NULL REFERENCES iam.user (id),
  created_at         timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL
);
CREATE INDEX case_unit_pending ON cases.case (unit_code, received_at)
  WHERE state IN ('submitted', 'accepted', 'supplement_requested', 'approved');
CREATE INDEX case_deciding ON cases.case (deciding_agency, state, id);
CREATE INDEX case_receiving ON cases.case (receiving_agency, state, id);

CREATE TABLE cases.party (
  case_id   bigint NOT NULL REFERENCES cases.case (id),
  seq       integer NOT NULL,
  role      text NOT NULL CHECK (role IN ('right_holder', 'obligor', 'agent')),
  name      text NOT NULL,
  id_type   text NOT NULL,
  id_number text NOT NULL,
  PRIMARY KEY (case_id, seq)
);

CREATE TABLE cases.event (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id     bigint NOT NULL REFERENCES cases.case (id),
  at          timestamptz NOT NULL,
  actor_id    bigint REFERENCES iam.user (id),
  agency_code text REFERENCES iam.agency (code),
  action      text NOT NULL,
  from_state  text,
  to_state    text NOT NULL,
  comment     text,
  details     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX event_case ON cases.event (case_id, id);

CREATE TABLE cases.fee_item (
  case_id         bigint NOT NULL REFERENCES cases.case (id),
  seq             integer NOT NULL,
  code            text NOT NULL,
  description     text NOT NULL,
  quantity        integer NOT NULL CHECK (quantity > 0),
  unit_price_fen  bigint NOT NULL CHECK (unit_price_fen >= 0),
  amount_fen      bigint NOT NULL CHECK (amount_fen = quantity * unit_price_fen),
  PRIMARY KEY (case_id, seq)
);

-- Outbox: written in the same transaction as the change; delivered later
-- to notifications and the interop API.
CREATE SCHEMA outbox;
GRANT USAGE ON SCHEMA outbox TO tb_service;
CREATE TABLE outbox.message (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at        timestamptz NOT NULL,
  topic     text NOT NULL,
  case_id   bigint,
  payload   jsonb NOT NULL,
  sent_at   timestamptz
);

-- Idempotent creation: a key per user; the first request's answer is kept
-- and given again to retries with the same request.
CREATE SCHEMA api;
GRANT USAGE ON SCHEMA api TO tb_service;
CREATE TABLE api.idempotency (
  user_id      bigint NOT NULL,
  key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 64),
  route        text NOT NULL,
  request_hash text NOT NULL,
  status       integer,
  body         text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, key)
);

GRANT SELECT ON ALL TABLES IN SCHEMA reg, cases TO tb_intake, tb_query, tb_admin;
GRANT INSERT, UPDATE ON reg.entry TO tb_intake;
GRANT INSERT, UPDATE ON cases.case, cases.counter TO tb_intake;
GRANT INSERT ON cases.party, cases.event, cases.fee_item TO tb_intake;
GRANT UPDATE (promised_days, enabled) ON cases.business_type TO tb_admin;
GRANT UPDATE (enabled) ON cases.transition TO tb_admin;
GRANT INSERT, DELETE ON cases.pilot TO tb_admin;
GRANT INSERT ON outbox.message TO tb_service;
GRANT SELECT, INSERT, UPDATE ON api.idempotency TO tb_service;

-- Holiday calendar: days off on weekdays ('holiday') and weekend days that
-- are working days ('workday', 调休). Due dates count working days.
CREATE TABLE cases.calendar (
  day  date PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('holiday', 'workday')),
  note text
);
INSERT INTO cases.calendar VALUES
  ('2026-01-01', 'holiday', '元旦'), ('2026-02-16', 'holiday', '春节'), ('2026-02-17', 'holiday', '春节'),
  ('2026-02-18', 'holiday', '春节'), ('2026-02-19', 'holiday', '春节'), ('2026-02-20', 'holiday', '春节'),
  ('2026-02-14', 'workday', '春节调休'), ('2026-02-28', 'workday', '春节调休'),
  ('2026-04-06', 'holiday', '清明节'), ('2026-05-01', 'holiday', '劳动节'), ('2026-05-04', 'holiday', '劳动节'),
  ('2026-05-05', 'holiday', '劳动节'), ('2026-06-19', 'holiday', '端午节'), ('2026-09-25', 'holiday', '中秋节'),
  ('2026-10-01', 'holiday', '国庆节'), ('2026-10-02', 'holiday', '国庆节'), ('2026-10-05', 'holiday', '国庆节'),
  ('2026-10-06', 'holiday', '国庆节'), ('2026-10-07', 'holiday', '国庆节'), ('2026-10-10', 'workday', '国庆调休');
GRANT SELECT ON cases.calendar TO tb_service;
GRANT INSERT, UPDATE, DELETE ON cases.calendar TO tb_admin;
