-- Roles: one login role per service, each granted only what it needs by the
-- migrations that create its tables. tb_service groups what all share.
-- Roles are cluster-wide, so they are created only when missing.
DO $$
DECLARE r text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tb_service') THEN
    CREATE ROLE tb_service NOLOGIN;
  END IF;
  FOREACH r IN ARRAY ARRAY['tb_admin', 'tb_intake', 'tb_query', 'tb_public'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('CREATE ROLE %I LOGIN IN ROLE tb_service', r);
    END IF;
  END LOOP;
END $$;

-- Nobody but the owner creates objects in public.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

CREATE SCHEMA ref;
COMMENT ON SCHEMA ref IS 'Reference data: divisions, banks, calendars';
GRANT USAGE ON SCHEMA ref TO tb_service;
