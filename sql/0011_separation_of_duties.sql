-- Separation of duties as data, enforced here as well as in the handlers;
-- log-in throttling per (name, source) without keeping typed names; TOTP
-- secrets sealed with the data keyring (fcgi/core/keyring.h); one-time
-- enrolment codes for the first second factor of administrators.

-- Administrator roles and case-handling roles never meet on one account.
ALTER TABLE iam.role ADD COLUMN kind text NOT NULL DEFAULT 'business' CHECK (kind IN ('business', 'admin'));
UPDATE iam.role SET kind = 'admin'
WHERE code IN ('jurisdiction_admin', 'system_admin', 'security_admin', 'auditor');

-- Who may manage (see, change, disable, reset, unlock) which accounts: a
-- holder of manager_role manages an account when, for EVERY grant (role R at
-- scope T) the account holds, a rule (manager_role, R) exists and the
-- manager's scope covers T (strictly inside it when strictly_below). An
-- account without grants is managed by anyone who may manage users of its
-- division. For holders of role.manage the rows are their grant rules (an
-- admin manages only what they could have granted); the system
-- administrator, who grants nothing, keeps business accounts and the
-- jurisdiction and system administrators strictly below itself -- never a
-- security administrator or an auditor, who watch it.
CREATE TABLE iam.manage_rule (
  manager_role   text NOT NULL REFERENCES iam.role (code),
  role_code      text NOT NULL REFERENCES iam.role (code),
  strictly_below boolean NOT NULL,
  PRIMARY KEY (manager_role, role_code)
);
INSERT INTO iam.manage_rule SELECT granter_role, role_code, strictly_below FROM iam.role_grant_rule;
INSERT INTO iam.manage_rule
SELECT 'system_admin', code, kind = 'admin' FROM iam.role
WHERE kind = 'business' OR code IN ('jurisdiction_admin', 'system_admin');
GRANT SELECT ON iam.manage_rule TO tb_service;

-- Does the holder of perm `manager` manage account `target`? Never their own.
CREATE FUNCTION iam.may_manage(manager bigint, target bigint, perm text) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT manager IS DISTINCT FROM target
     AND EXISTS (SELECT 1 FROM iam.grant m
                 JOIN iam.role_permission rp ON rp.role_code = m.role_code AND rp.permission_code = perm
                 JOIN iam.user u ON u.id = target JOIN iam.agency a ON a.code = u.agency_code
                 WHERE m.user_id = manager AND ref.covers(m.scope_code, a.division_code))
     AND NOT EXISTS (
       SELECT 1 FROM iam.grant t WHERE t.user_id = target AND NOT EXISTS (
         SELECT 1 FROM iam.grant m
         JOIN iam.role_permission rp ON rp.role_code = m.role_code AND rp.permission_code = perm
         JOIN iam.manage_rule mr ON mr.manager_role = m.role_code AND mr.role_code = t.role_code
         WHERE m.user_id = manager AND ref.covers(m.scope_code, t.scope_code)
           AND NOT (mr.strictly_below AND m.scope_code = t.scope_code)))
$$;
GRANT EXECUTE ON FUNCTION iam.may_manage(bigint, bigint, text) TO tb_admin;

-- May `granter` grant role at scope (iam.role_grant_rule)?
CREATE FUNCTION iam.may_grant(granter bigint, role text, scope text) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM iam.grant m
                 JOIN iam.role_permission rp ON rp.role_code = m.role_code AND rp.permission_code = 'role.manage'
                 JOIN iam.role_grant_rule gr ON gr.granter_role = m.role_code AND gr.role_code = role
                 WHERE m.user_id = granter AND ref.covers(m.scope_code, scope)
                   AND NOT (gr.strictly_below AND m.scope_code = scope))
$$;
GRANT EXECUTE ON FUNCTION iam.may_grant(bigint, text, text) TO tb_admin;

-- Who made an account: whoever did may not give it roles (two people at
-- every level). NULL only for the operator (tbctl on the database host) and
-- migrations; a service cannot leave it out.
ALTER TABLE iam.user ADD COLUMN created_by bigint REFERENCES iam.user (id);

CREATE FUNCTION iam.user_created_by() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.created_by IS NULL AND current_user IN ('tb_admin', 'tb_intake', 'tb_query', 'tb_public') THEN
    RAISE EXCEPTION 'an account made through the service names who made it' USING ERRCODE = 'TBS03';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER user_created_by BEFORE INSERT ON iam.user
  FOR EACH ROW EXECUTE FUNCTION iam.user_created_by();

-- Every grant, whoever writes it (the API or a superuser's psql): nobody
-- grants to their own account, nor to an account they made, nor a role their
-- own grants do not allow, nor to an account they may not manage; and
-- administrator and case-handling roles never meet on one account.
-- SQLSTATEs: TBS01 own account, TBS02 creator, TBS03 no authority,
-- TBS04 admin and business roles, TBS05 an equal or higher account.
CREATE FUNCTION iam.grant_two_people() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  creator bigint;
  new_kind text;
BEGIN
  SELECT created_by INTO creator FROM iam.user WHERE id = NEW.user_id FOR UPDATE;
  IF NEW.granted_by IS NULL THEN
    IF current_user IN ('tb_admin', 'tb_intake', 'tb_query', 'tb_public') THEN
      RAISE EXCEPTION 'a grant through the service names who granted it' USING ERRCODE = 'TBS03';
    END IF;
  ELSIF NEW.granted_by = NEW.user_id THEN
    RAISE EXCEPTION 'separation of duties: nobody grants roles to their own account'
      USING ERRCODE = 'TBS01';
  ELSIF NEW.granted_by = creator THEN
    RAISE EXCEPTION 'separation of duties: whoever made account % does not grant it roles', NEW.user_id
      USING ERRCODE = 'TBS02';
  ELSIF NOT iam.may_grant(NEW.granted_by, NEW.role_code, NEW.scope_code) THEN
    RAISE EXCEPTION 'user % may not grant % at %', NEW.granted_by, NEW.role_code, NEW.scope_code
      USING ERRCODE = 'TBS03';
  ELSIF NOT iam.may_manage(NEW.granted_by, NEW.user_id, 'role.manage') THEN
    RAISE EXCEPTION 'separation of duties: account % is not below user %', NEW.user_id, NEW.granted_by
      USING ERRCODE = 'TBS05';
  END IF;
  SELECT kind INTO new_kind FROM iam.role WHERE code = NEW.role_code;
  IF EXISTS (SELECT 1 FROM iam.grant g JOIN iam.role r ON r.code = g.role_code
             WHERE g.user_id = NEW.user_id AND r.kind <> new_kind AND g.id <> NEW.id) THEN
    RAISE EXCEPTION 'separation of duties: administrator accounts hold no case-handling roles (user %)', NEW.user_id
      USING ERRCODE = 'TBS04';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER grant_two_people BEFORE INSERT OR UPDATE ON iam.grant
  FOR EACH ROW EXECUTE FUNCTION iam.grant_two_people();

-- TOTP secrets at rest: sealed text (keyring_seal, "v1.<key id>.<...>"),
-- bound to the column (aad "iam.user.totp_secret", "iam.user.totp_pending"
-- over the raw secret's bytes). The clear bytea columns are kept under
-- *_legacy only for values waiting to be sealed (older rows, demo data):
-- `tbctl keys rotate` seals them, and so does the first log-in that uses one.
ALTER TABLE iam.user RENAME COLUMN totp_secret TO totp_secret_legacy;
ALTER TABLE iam.user RENAME COLUMN totp_pending TO totp_pending_legacy;
ALTER TABLE iam.user ADD COLUMN totp_secret text CHECK (totp_secret ~ '^v1\.[0-9]+\.[A-Za-z0-9_-]+$'),
  ADD COLUMN totp_pending text CHECK (totp_pending ~ '^v1\.[0-9]+\.[A-Za-z0-9_-]+$');

-- The one-time code that lets an administrator account enrol its first
-- second factor (handed over out of band): only its SHA-256 is kept.
ALTER TABLE iam.user ADD COLUMN enrol_code_hash bytea CHECK (length(enrol_code_hash) = 32),
  ADD COLUMN enrol_code_expires timestamptz,
  ADD CHECK ((enrol_code_hash IS NULL) = (enrol_code_expires IS NULL));

-- Log-in throttling per (name, source address). The typed name is never
-- kept: name_key is a keyed hash of it (HMAC with the keyring's index key,
-- SHA-256 without one), user_id is set when it names an account.
DROP TABLE iam.login_failure;
CREATE TABLE iam.login_throttle (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name_key     text NOT NULL CHECK (name_key ~ '^[0-9a-f]{64}$'),
  source       text NOT NULL CHECK (length(source) BETWEEN 1 AND 64),
  user_id      bigint REFERENCES iam.user (id),
  failures     integer NOT NULL CHECK (failures >= 0),
  last_at      timestamptz NOT NULL,
  locked_until timestamptz,
  UNIQUE (name_key, source)
);
CREATE INDEX login_throttle_user ON iam.login_throttle (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX login_throttle_recent ON iam.login_throttle (name_key, last_at);
GRANT SELECT, INSERT, UPDATE, DELETE ON iam.login_throttle TO tb_admin;

-- Hole 2 closed in the database too: when the admin service changes an
-- account's password, status or enrolment code, the transaction names who
-- acts (set_config('tb.actor', <user id>, true)); the actor must be the
-- account itself (its own password and enrolment only) or someone who may
-- manage it. The operator (tbctl, the owner) is not a service role.
CREATE FUNCTION iam.user_change_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  actor bigint := nullif(current_setting('tb.actor', true), '')::bigint;
  new_code boolean := NEW.enrol_code_hash IS NOT NULL AND NEW.enrol_code_hash IS DISTINCT FROM OLD.enrol_code_hash;
  new_status boolean := NEW.status IS DISTINCT FROM OLD.status;
BEGIN
  IF current_user NOT IN ('tb_admin', 'tb_intake', 'tb_query', 'tb_public')
     OR NOT (new_code OR new_status OR NEW.password_hash IS DISTINCT FROM OLD.password_hash) THEN
    RETURN NEW;
  END IF;
  IF actor IS NULL THEN
    RAISE EXCEPTION 'a change of account % names who makes it', NEW.id USING ERRCODE = 'TBS03';
  ELSIF actor = NEW.id THEN
    IF new_status OR new_code THEN
      RAISE EXCEPTION 'separation of duties: nobody changes the status of their own account'
        USING ERRCODE = 'TBS01';
    END IF;
  ELSIF NOT iam.may_manage(actor, NEW.id, 'user.manage') THEN
    RAISE EXCEPTION 'separation of duties: account % is not below user %', NEW.id, actor USING ERRCODE = 'TBS05';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER user_change_guard BEFORE UPDATE ON iam.user
  FOR EACH ROW EXECUTE FUNCTION iam.user_change_guard();
