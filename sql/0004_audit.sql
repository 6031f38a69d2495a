-- The audit trail: append-only, partitioned by month, hash-chained by a
-- sealer (see README, "Audit trail").
CREATE SCHEMA audit;
GRANT USAGE ON SCHEMA audit TO tb_service;

CREATE TABLE audit.event (
  seq         bigint GENERATED ALWAYS AS IDENTITY,
  at          timestamptz NOT NULL,
  txid        xid8 NOT NULL DEFAULT pg_current_xact_id(),
  actor_id    bigint,
  actor_name  text,
  agency_code text,
  action      text NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_.]+$'),
  object_type text,
  object_id   text,
  outcome     text NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
  request_id  text,
  client_addr text,
  details     jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (seq, at)
) PARTITION BY RANGE (at);
CREATE INDEX event_actor ON audit.event (actor_id, seq);
CREATE INDEX event_action ON audit.event (action, seq);
CREATE INDEX event_object ON audit.event (object_type, object_id, seq);
CREATE INDEX event_txid ON audit.event (txid);

-- Monthly partitions; the admin service's sealer keeps two months ahead.
-- A default partition makes sure an insert never fails for want of one.
CREATE FUNCTION audit.ensure_partitions(ahead integer) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, audit AS $$
DECLARE
  m date := date_trunc('month', now() - interval '1 month');
  name text;
BEGIN
  FOR i IN 0 .. ahead + 1 LOOP
    name := 'event_' || to_char(m, 'YYYYMM');
    IF to_regclass('audit.' || name) IS NULL THEN
      EXECUTE format('CREATE TABLE audit.%I PARTITION OF audit.event FOR VALUES FROM (%L) TO (%L)',
                     name, m, m + interval '1 month');
    END IF;
    m := m + interval '1 month';
  END LOOP;
END $$;
CREATE TABLE audit.event_default PARTITION OF audit.event DEFAULT;
SELECT audit.ensure_partitions(2);

-- The chain: the sealer appends one seal per event, in the order it seals.
CREATE TABLE audit.seal (
  pos       bigint PRIMARY KEY CHECK (pos >= 1),
  event_seq bigint NOT NULL UNIQUE,
  hash      bytea NOT NULL CHECK (length(hash) = 32),
  sealed_at timestamptz NOT NULL DEFAULT now()
);

-- Nobody updates or deletes audit rows or seals: no privilege, and a trigger
-- for the owner too. Retention (>= 190 days) is by detaching whole old
-- partitions, a DBA's act outside the services.
CREATE FUNCTION audit.refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit rows are append-only' USING ERRCODE = '42501';
END $$;
CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON audit.event
  FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
CREATE TRIGGER event_no_truncate BEFORE TRUNCATE ON audit.event
  FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change();
CREATE TRIGGER seal_append_only BEFORE UPDATE OR DELETE ON audit.seal
  FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
CREATE TRIGGER seal_no_truncate BEFORE TRUNCATE ON audit.seal
  FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change();

GRANT INSERT ON audit.event TO tb_service;
GRANT SELECT ON audit.event, audit.seal TO tb_admin;
GRANT INSERT ON audit.seal TO tb_admin;
GRANT EXECUTE ON FUNCTION audit.ensure_partitions(integer) TO tb_admin;
REVOKE EXECUTE ON FUNCTION audit.ensure_partitions(integer) FROM PUBLIC;
