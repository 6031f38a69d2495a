-- Identity and access: agencies, users, roles as permission sets, grants
-- scoped to a division, sessions, log-in throttling, permission requests.
CREATE SCHEMA iam;
GRANT USAGE ON SCHEMA iam TO tb_service;

-- Registration agencies (登记机构). The main agency of a division has the
-- division's code; further agencies of a division get two more digits.
CREATE TABLE iam.agency (
  code          text PRIMARY KEY CHECK (code ~ '^45[0-9]{4}([0-9]{2})?$'),
  name          text NOT NULL UNIQUE CHECK (length(name) BETWEEN 2 AND 64),
  division_code text NOT NULL REFERENCES ref.division (code),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  version       integer NOT NULL DEFAULT 1,
  CHECK (substr(code, 1, 6) = division_code)
);
INSERT INTO iam.agency (code, name, division_code)
SELECT code,
       name || '不动产登记中心',
       code
FROM ref.division d;

-- Does a scope cover a division (itself, or its subtree)? The same rule as
-- division_covers() in fcgi/domain/division.c; a test compares the two.
CREATE FUNCTION ref.covers(scope text, division text) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT scope = division
      OR EXISTS (SELECT 1 FROM ref.division d WHERE d.code = division AND d.parent_code = scope)
      OR EXISTS (SELECT 1 FROM ref.division d JOIN ref.division p ON p.code = d.parent_code
                 WHERE d.code = division AND p.parent_code = scope)
$$;
GRANT EXECUTE ON FUNCTION ref.covers(text, text) TO tb_service;

CREATE TABLE iam.permission (
  code        text PRIMARY KEY CHECK (code ~ '^[a-z]+\.[a-z_]+$'),
  description text NOT NULL
);
INSERT INTO iam.permission VALUES
  ('case.create', 'Take in applications (收件)'),
  ('case.read', 'Read cases of one''s scope'),
  ('case.review', 'Review cases (审核)'),
  ('case.register', 'Register into the registry (登簿)'),
  ('fee.set', 'Set and adjust fees'),
  ('payment.record', 'Record payments'),
  ('case.issue', 'Issue certificates (发证)'),
  ('case.deliver', 'Deliver certificates'),
  ('registry.read', 'Search the registry'),
  ('query.create', 'Run archive queries (查档)'),
  ('query.approve', 'Approve whitelisted queries'),
  ('whitelist.manage', 'Manage the sensitive whitelist'),
  ('user.manage', 'Create, change, disable accounts'),
  ('role.manage', 'Grant and revoke roles, decide permission requests'),
  ('agency.manage', 'Add and rename agencies'),
  ('workflow.manage', 'Change workflow definitions and time limits'),
  ('policy.manage', 'Manage policies (政策法规)'),
  ('stats.read', 'Read statistics'),
  ('audit.read', 'Read and verify the audit trail');

-- needs_mfa: the role's permissions count only in a session opened with a
-- second factor. triad: 三员分立 — no user may hold two different triads.
CREATE TABLE iam.role (
  code      text PRIMARY KEY CHECK (code ~ '^[a-z_]+$'),
  name      text NOT NULL,
  needs_mfa boolean NOT NULL DEFAULT false,
  triad     text CHECK (triad IN ('system', 'security', 'audit'))
);
INSERT INTO iam.role VALUES
  ('intake_clerk', '收件员', false, NULL),
  ('reviewer', '审核员', false, NULL),
  ('registrar', '登簿员', false, NULL),
  ('cashier', '收费员', false, NULL),
  ('issuer', '发证员', false, NULL),
  ('query_clerk', '查询员', false, NULL),
  ('jurisdiction_admin', '属地管理员', true, NULL),
  ('system_admin', '系统管理员', true, 'system'),
  ('security_admin', '安全管理员', true, 'security'),
  ('auditor', '审计员', true, 'audit');

CREATE TABLE iam.role_permission (
  role_code       text NOT NULL REFERENCES iam.role (code),
  permission_code text NOT NULL REFERENCES iam.permission (code),
  PRIMARY KEY (role_code, permission_code)
);
INSERT INTO iam.role_permission
SELECT r, p FROM (VALUES
  ('intake_clerk', 'case.create'), ('intake_clerk', 'case.read'), ('intake_clerk', 'case.deliver'),
  ('intake_clerk', 'registry.read'),
  ('reviewer', 'case.read'), ('reviewer', 'case.review'), ('reviewer', 'registry.read'),
  ('registrar', 'case.read'), ('registrar', 'case.register'), ('registrar', 'registry.read'),
  ('cashier', 'case.read'), ('cashier', 'fee.set'), ('cashier', 'payment.record'),
  ('issuer', 'case.read'), ('issuer', 'case.issue'), ('issuer', 'case.deliver'),
  ('query_clerk', 'query.create'), ('query_clerk', 'registry.read'),
  ('jurisdiction_admin', 'user.manage'), ('jurisdiction_admin', 'role.manage'),
  ('jurisdiction_admin', 'query.approve'), ('jurisdiction_admin', 'whitelist.manage'),
  ('jurisdiction_admin', 'workflow.manage'), ('jurisdiction_admin', 'stats.read'),
  ('jurisdiction_admin', 'case.read'),
  ('system_admin', 'user.manage'), ('system_admin', 'agency.manage'),
  ('system_admin', 'workflow.manage'), ('system_admin', 'policy.manage'), ('system_admin', 'stats.read'),
  ('security_admin', 'role.manage'), ('security_admin', 'whitelist.manage'),
  ('auditor', 'audit.read')
) AS t (r, p);

-- Which role a holder of role.manage may grant. strictly_below: only at a
-- scope strictly inside the granter's own (an admin cannot make a peer).
CREATE TABLE iam.role_grant_rule (
  granter_role   text NOT NULL REFERENCES iam.role (code),
  role_code      text NOT NULL REFERENCES iam.role (code),
  strictly_below boolean NOT NULL,
  PRIMARY KEY (granter_role, role_code)
);
INSERT INTO iam.role_grant_rule
SELECT g, r, r IN ('jurisdiction_admin', 'system_admin', 'security_admin', 'auditor')
FROM (VALUES ('security_admin'), ('jurisdiction_admin')) AS a (g),
     (SELECT code AS r FROM iam.role) AS b
WHERE g = 'security_admin'
   OR r IN ('intake_clerk', 'reviewer', 'registrar', 'cashier', 'issuer', 'query_clerk');

CREATE TABLE iam.user (
  id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username             text NOT NULL UNIQUE CHECK (username ~ '^[a-z][a-z0-9_.-]{2,31}$'),
  display_name         text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 64),
  agency_code          text NOT NULL REFERENCES iam.agency (code),
  phone                text CHECK (phone ~ '^\+?[0-9-]{5,20}$'),
  status               text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'locked')),
  must_change_password boolean NOT NULL DEFAULT true,
  password_hash        text NOT NULL,
  password_changed_at  timestamptz NOT NULL DEFAULT now(),
  totp_secret          bytea,
  totp_pending         bytea,
  totp_last_step       bigint NOT NULL DEFAULT 0,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  version              integer NOT NULL DEFAULT 1
);
CREATE INDEX user_agency ON iam.user (agency_code, id);

CREATE TABLE iam.grant (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id    bigint NOT NULL REFERENCES iam.user (id),
  role_code  text NOT NULL REFERENCES iam.role (code),
  scope_code text NOT NULL REFERENCES ref.division (code),
  granted_by bigint REFERENCES iam.user (id),
  granted_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, role_code, scope_code)
);
CREATE INDEX grant_user ON iam.grant (user_id);

-- 三员分立, enforced here and not only in handlers: a user's grants may
-- name at most one triad. The user row is locked so two concurrent grants
-- to the same user cannot both pass.
CREATE FUNCTION iam.grant_separation_of_duties() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  new_triad text;
  other text;
BEGIN
  SELECT triad INTO new_triad FROM iam.role WHERE code = NEW.role_code;
  IF new_triad IS NULL THEN
    RETURN NEW;
  END IF;
  PERFORM 1 FROM iam.user WHERE id = NEW.user_id FOR UPDATE;
  SELECT r.triad INTO other
  FROM iam.grant g JOIN iam.role r ON r.code = g.role_code
  WHERE g.user_id = NEW.user_id AND r.triad IS NOT NULL AND r.triad <> new_triad
  LIMIT 1;
  IF other IS NOT NULL THEN
    RAISE EXCEPTION 'separation of duties: user % already holds a % administrator role', NEW.user_id, other
      USING ERRCODE = '23P01';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER grant_sod BEFORE INSERT OR UPDATE ON iam.grant
  FOR EACH ROW EXECUTE FUNCTION iam.grant_separation_of_duties();

-- Sessions: only the SHA-256 of the token and of the CSRF token are kept.
CREATE TABLE iam.session (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  csrf_hash    bytea NOT NULL CHECK (length(csrf_hash) = 32),
  user_id      bigint NOT NULL REFERENCES iam.user (id),
  mfa          boolean NOT NULL,
  created_at   timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL,
  revoked_at   timestamptz,
  client_addr  text,
  user_agent   text
);
CREATE INDEX session_by_user ON iam.session (user_id) WHERE revoked_at IS NULL;

-- Failed log-ins per username, existing or not (so the answer never tells).
CREATE TABLE iam.login_failure (
  username     text PRIMARY KEY,
  failures     integer NOT NULL,
  last_at      timestamptz NOT NULL,
  locked_until timestamptz
);

-- 账号权限申请: a user asks for a role in a scope; an admin above decides.
CREATE TABLE iam.permission_request (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id     bigint NOT NULL REFERENCES iam.user (id),
  role_code   text NOT NULL REFERENCES iam.role (code),
  scope_code  text NOT NULL REFERENCES ref.division (code),
  reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
  decided_by  bigint REFERENCES iam.user (id),
  decided_at  timestamptz,
  comment     text CHECK (length(comment) <= 500),
  created_at  timestamptz NOT NULL,
  CHECK ((status = 'pending') = (decided_by IS NULL))
);
CREATE UNIQUE INDEX permission_request_open ON iam.permission_request (user_id, role_code, scope_code)
  WHERE status = 'pending';

-- Every service reads sessions and identities to authorise; only admin writes.
GRANT SELECT ON iam.agency, iam.permission, iam.role, iam.role_permission, iam.role_grant_rule,
  iam.user, iam.grant, iam.session TO tb_service;
GRANT UPDATE (last_seen_at) ON iam.session TO tb_service;
GRANT INSERT, UPDATE ON iam.agency, iam.user, iam.session, iam.login_failure,
  iam.permission_request TO tb_admin;
GRANT INSERT, DELETE ON iam.grant TO tb_admin;
GRANT SELECT, DELETE ON iam.login_failure TO tb_admin;
GRANT SELECT ON iam.permission_request TO tb_admin;
