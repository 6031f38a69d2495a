-- Revocations that hold however Redis fails, and the state of the audit
-- chain's verification (see README, "Log-in and sessions" and "Audit trail").

-- One counter, bumped in the transaction of every revocation: a session
-- revoked or deleted, a user disabled, locked, given a new password or told
-- to change it, a grant or a role's permissions changed. Every worker
-- re-reads it at most every half second and trusts a cached session only
-- when it was read under the current value, so a revocation holds within a
-- second on every host even when no cache delete reached Redis.
CREATE TABLE iam.revocation_epoch (
  id        boolean PRIMARY KEY DEFAULT true CHECK (id),
  epoch     bigint NOT NULL,
  bumped_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO iam.revocation_epoch (epoch) VALUES (1);
GRANT SELECT ON iam.revocation_epoch TO tb_service;

-- Triggers, so that no code path can forget it. Deferred to commit: the
-- row lock is then held only while committing and taken after every other
-- lock of the transaction, so concurrent revocations cannot deadlock on it.
CREATE FUNCTION iam.bump_revocation_epoch() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, iam AS $$
BEGIN
  UPDATE iam.revocation_epoch SET epoch = epoch + 1, bumped_at = now();
  RETURN NULL;
END $$;
REVOKE EXECUTE ON FUNCTION iam.bump_revocation_epoch() FROM PUBLIC;

CREATE CONSTRAINT TRIGGER session_revoked AFTER UPDATE OF revoked_at ON iam.session
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (NEW.revoked_at IS DISTINCT FROM OLD.revoked_at)
  EXECUTE FUNCTION iam.bump_revocation_epoch();
CREATE CONSTRAINT TRIGGER session_deleted AFTER DELETE ON iam.session
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  EXECUTE FUNCTION iam.bump_revocation_epoch();
CREATE CONSTRAINT TRIGGER user_revoked AFTER UPDATE ON iam.user
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (NEW.status IS DISTINCT FROM OLD.status
        OR NEW.password_hash IS DISTINCT FROM OLD.password_hash
        OR NEW.must_change_password IS DISTINCT FROM OLD.must_change_password
        OR NEW.agency_code IS DISTINCT FROM OLD.agency_code)
  EXECUTE FUNCTION iam.bump_revocation_epoch();
CREATE CONSTRAINT TRIGGER grant_changed AFTER INSERT OR UPDATE OR DELETE ON iam.grant
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  EXECUTE FUNCTION iam.bump_revocation_epoch();
CREATE CONSTRAINT TRIGGER role_permission_changed AFTER INSERT OR UPDATE OR DELETE ON iam.role_permission
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  EXECUTE FUNCTION iam.bump_revocation_epoch();

-- The latest verification of the audit chain, written by the admin
-- service's background process (which walks the chain in bounded chunks
-- and checks it against the signed anchors outside the database) and read
-- by GET /api/v1/audit/verify, which so never re-hashes the chain itself.
CREATE TABLE audit.chain_status (
  id               boolean PRIMARY KEY DEFAULT true CHECK (id),
  checked_at       timestamptz,
  ok               boolean,
  refusing         boolean NOT NULL DEFAULT false,
  head_pos         bigint NOT NULL DEFAULT 0,
  head_seq         bigint NOT NULL DEFAULT 0,
  head_hash        text NOT NULL DEFAULT '',
  verified_pos     bigint NOT NULL DEFAULT 0,
  unsealed         bigint NOT NULL DEFAULT 0,
  first_broken_pos bigint,
  first_broken_seq bigint,
  reason           text
);
INSERT INTO audit.chain_status DEFAULT VALUES;
GRANT SELECT, UPDATE ON audit.chain_status TO tb_admin;
