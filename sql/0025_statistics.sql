-- Statistics (统计分析): summary tables kept by the transitions themselves,
-- exact at every moment and cheap to read at millions of cases.
--
-- How (README, "Statistics"): the transactions that change cases, events,
-- archive queries and certificates do not update shared counters (a row
-- per month and agency would be a hot row every window of the county
-- queues on). Their triggers only INSERT delta rows (stats.*_delta, no key,
-- no index: no two transactions ever touch the same row). The admin
-- service's background process folds the deltas into the summaries
-- (stats.fold(): DELETE ... RETURNING, grouped, upserted, in one
-- transaction). A report reads summary UNION ALL delta in one statement, so
-- it sees either the rows before a fold or after it, never both or neither:
-- the figures are exact whatever the fold's lag.
--
-- Definitions (the rebuild below is the reference; the triggers add the
-- same facts as they happen):
-- * month: Beijing month. A case's receipt facts (received, cross,
--   supplemented) count in the month of its first receipt (received_at);
--   a decision (registered / rejected, processing days, over the limit) in
--   the month of the decision event; a withdrawal in the month of the
--   withdraw event (only of cases once received); fees charged in the month
--   of set_fees, collected in the month of record_payment; an archive query
--   in the month it was made.
-- * cross-jurisdiction: receiving_division <> deciding_division.
-- * processing days: working days (cases.calendar; stats.workdays_between,
--   the SQL twin of workdays_between in fcgi/domain/workdays.c) from the
--   Beijing date of receipt to the Beijing date of the decision; over the
--   limit: decided on a date after due_date.
-- * supplemented: a received case with at least one request_supplement.
-- * channel: an online order (details.provider) is wechat, the window's
--   method pos is pos, anything else at the window cash; record_payment
--   with nothing due (details.not_due, amount 0) is no payment.
CREATE SCHEMA stats;
COMMENT ON SCHEMA stats IS 'Statistics: summaries, their delta rows and the reports (统计分析)';
GRANT USAGE ON SCHEMA stats TO tb_admin;

CREATE FUNCTION stats.month(t timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT date_trunc('month', t AT TIME ZONE 'Asia/Shanghai')::date
$$;
CREATE FUNCTION stats.bjdate(t timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (t AT TIME ZONE 'Asia/Shanghai')::date
$$;

-- Weekdays (Monday to Friday) from 1900-01-01 (a Monday) up to d inclusive.
CREATE FUNCTION stats.weekdays_upto(d date) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ((d - date '1900-01-01') / 7) * 5 + least((d - date '1900-01-01') % 7 + 1, 5)
$$;

-- Working days after s up to and including e (0 when e <= s): weekdays,
-- less the calendar's holidays on weekdays, plus its make-up working days
-- on weekends — workdays_between() of fcgi/domain/workdays.c in SQL (a
-- holiday on a weekend and a workday on a weekday change nothing there
-- either). tests/unit/test_stats_workdays.c and tests/api/test_stats.py
-- check both against one table of cases.
CREATE FUNCTION stats.workdays_between(s date, e date) RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN e <= s THEN 0 ELSE
    stats.weekdays_upto(e) - stats.weekdays_upto(s)
    - (SELECT count(*) FILTER (WHERE c.kind = 'holiday' AND extract(isodow FROM c.day) < 6)
            - count(*) FILTER (WHERE c.kind = 'workday' AND extract(isodow FROM c.day) >= 6)
         FROM cases.calendar c WHERE c.day > s AND c.day <= e)::integer
  END
$$;

-- Case facts per month × business type × receiving agency × deciding agency.
CREATE TABLE stats.case_month (
  month         date NOT NULL,
  business_type text NOT NULL,
  ragency       text NOT NULL,
  dagency       text NOT NULL,
  received      bigint NOT NULL DEFAULT 0,
  cross_received bigint NOT NULL DEFAULT 0,
  supplemented  bigint NOT NULL DEFAULT 0,
  withdrawn     bigint NOT NULL DEFAULT 0,
  decided       bigint NOT NULL DEFAULT 0,
  registered    bigint NOT NULL DEFAULT 0,
  rejected      bigint NOT NULL DEFAULT 0,
  late          bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (month, business_type, ragency, dagency)
);
CREATE TABLE stats.case_delta (LIKE stats.case_month INCLUDING DEFAULTS);

-- Decisions per processing time: the histogram medians and p90s are read
-- from (exact order statistics without keeping a row per case).
CREATE TABLE stats.days_hist (
  month         date NOT NULL,
  business_type text NOT NULL,
  ragency       text NOT NULL,
  dagency       text NOT NULL,
  days          integer NOT NULL,
  n             bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (month, business_type, ragency, dagency, days)
);
CREATE TABLE stats.days_delta (LIKE stats.days_hist INCLUDING DEFAULTS);

-- Roll-ups the fold keeps from the same deltas, so that the widest reads
-- stay small: the region's case facts and histogram without agencies, and
-- the histogram per agency pair without business types (a tenth of the
-- rows: what the overview, by-month and by-agency reports read).
CREATE TABLE stats.case_region (
  month date NOT NULL, business_type text NOT NULL,
  received bigint NOT NULL DEFAULT 0, cross_received bigint NOT NULL DEFAULT 0,
  supplemented bigint NOT NULL DEFAULT 0, withdrawn bigint NOT NULL DEFAULT 0, decided bigint NOT NULL DEFAULT 0,
  registered bigint NOT NULL DEFAULT 0, rejected bigint NOT NULL DEFAULT 0, late bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (month, business_type)
);
CREATE TABLE stats.days_region (
  month date NOT NULL, business_type text NOT NULL, days integer NOT NULL, n bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (month, business_type, days)
);
CREATE TABLE stats.days_pair (
  month date NOT NULL, ragency text NOT NULL, dagency text NOT NULL, days integer NOT NULL,
  n bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (month, ragency, dagency, days)
);

-- Per month × agency, its two roles side by side (as receiving agency: the
-- r_ columns; as deciding agency: the d_ columns; "other" = received with
-- the other role at another agency) and the histogram per month ×
-- deciding agency: what by-agency reads, a row per agency instead of a
-- row per agency pair and business type.
CREATE TABLE stats.case_agency (
  month date NOT NULL, agency text NOT NULL,
  r_received bigint NOT NULL DEFAULT 0, r_cross bigint NOT NULL DEFAULT 0, r_other bigint NOT NULL DEFAULT 0,
  d_received bigint NOT NULL DEFAULT 0, d_cross bigint NOT NULL DEFAULT 0, d_other bigint NOT NULL DEFAULT 0,
  registered bigint NOT NULL DEFAULT 0, rejected bigint NOT NULL DEFAULT 0, late bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (month, agency)
);
CREATE TABLE stats.days_agency (
  month date NOT NULL, dagency text NOT NULL, days integer NOT NULL, n bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (month, dagency, days)
);

-- Fees charged and collected per month × case agencies, by channel.
CREATE TABLE stats.fee_month (
  month      date NOT NULL,
  ragency    text NOT NULL,
  dagency    text NOT NULL,
  charged_n  bigint NOT NULL DEFAULT 0,
  charged_fen bigint NOT NULL DEFAULT 0,
  cash_n     bigint NOT NULL DEFAULT 0,
  cash_fen   bigint NOT NULL DEFAULT 0,
  pos_n      bigint NOT NULL DEFAULT 0,
  pos_fen    bigint NOT NULL DEFAULT 0,
  wechat_n   bigint NOT NULL DEFAULT 0,
  wechat_fen bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (month, ragency, dagency)
);
CREATE TABLE stats.fee_delta (LIKE stats.fee_month INCLUDING DEFAULTS);

-- Archive queries per month × requester kind × querying agency.
CREATE TABLE stats.query_month (
  month        date NOT NULL,
  kind         text NOT NULL,
  agency       text NOT NULL,
  made         bigint NOT NULL DEFAULT 0,
  completed    bigint NOT NULL DEFAULT 0,
  approved     bigint NOT NULL DEFAULT 0,
  rejected     bigint NOT NULL DEFAULT 0,
  pending      bigint NOT NULL DEFAULT 0,
  certificates bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (month, kind, agency)
);
CREATE TABLE stats.query_delta (LIKE stats.query_month INCLUDING DEFAULTS);

-- A division's reads select by agency (receiving or deciding: a BitmapOr
-- of these), not by scanning every agency's rows of the period.
CREATE INDEX case_month_r ON stats.case_month (ragency, month);
CREATE INDEX case_month_d ON stats.case_month (dagency, month);
CREATE INDEX days_hist_r ON stats.days_hist (ragency, month);
CREATE INDEX days_hist_d ON stats.days_hist (dagency, month);
CREATE INDEX days_pair_r ON stats.days_pair (ragency, month);
CREATE INDEX days_pair_d ON stats.days_pair (dagency, month);
CREATE INDEX case_agency_a ON stats.case_agency (agency, month);
CREATE INDEX days_agency_a ON stats.days_agency (dagency, month);
CREATE INDEX fee_month_r ON stats.fee_month (ragency, month);
CREATE INDEX fee_month_d ON stats.fee_month (dagency, month);

-- buckets a calendar correction emptied, for the fold to drop without a scan
CREATE INDEX days_hist_empty ON stats.days_hist (month) WHERE n = 0;
CREATE INDEX days_region_empty ON stats.days_region (month) WHERE n = 0;
CREATE INDEX days_pair_empty ON stats.days_pair (month) WHERE n = 0;
CREATE INDEX days_agency_empty ON stats.days_agency (month) WHERE n = 0;

-- Open cases past their due date, counted directly (a figure of "now", not
-- of a month): the cases still awaiting their registration decision.
CREATE INDEX case_stats_overdue ON cases.case (due_date)
  INCLUDE (receiving_agency, deciding_agency, business_type, received_at)
  WHERE state IN ('submitted', 'accepted', 'supplement_requested', 'approved');

-- ---- the triggers: facts as they happen, insert-only ----

CREATE FUNCTION stats.channel(details jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN details ? 'provider' THEN 'wechat' WHEN details ->> 'method' = 'pos' THEN 'pos' ELSE 'cash' END
$$;
-- the amount a record_payment event took (0: nothing due)
CREATE FUNCTION stats.paid_fen(details jsonb) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN details ? 'not_due' OR jsonb_typeof(details -> 'amount_fen') <> 'number' THEN 0
              ELSE greatest((details ->> 'amount_fen')::bigint, 0) END
$$;

CREATE FUNCTION stats.on_case() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, stats, cases AS $$
DECLARE
  e record;
BEGIN
  -- the receipt: once, when received_at is first set (or the keys of a
  -- received case change: out with the old, in with the new)
  IF TG_OP = 'UPDATE' AND OLD.received_at IS NOT NULL AND
     (OLD.received_at, OLD.business_type, OLD.receiving_agency, OLD.deciding_agency,
      OLD.receiving_division, OLD.deciding_division) IS DISTINCT FROM
     (NEW.received_at, NEW.business_type, NEW.receiving_agency, NEW.deciding_agency,
      NEW.receiving_division, NEW.deciding_division) THEN
    INSERT INTO stats.case_delta (month, business_type, ragency, dagency, received, cross_received)
    VALUES (stats.month(OLD.received_at), OLD.business_type, OLD.receiving_agency, OLD.deciding_agency, -1,
            -(OLD.receiving_division <> OLD.deciding_division)::int);
  END IF;
  IF NEW.received_at IS NOT NULL AND (TG_OP = 'INSERT' OR
     (OLD.received_at, OLD.business_type, OLD.receiving_agency, OLD.deciding_agency,
      OLD.receiving_division, OLD.deciding_division) IS DISTINCT FROM
     (NEW.received_at, NEW.business_type, NEW.receiving_agency, NEW.deciding_agency,
      NEW.receiving_division, NEW.deciding_division)) THEN
    INSERT INTO stats.case_delta (month, business_type, ragency, dagency, received, cross_received)
    VALUES (stats.month(NEW.received_at), NEW.business_type, NEW.receiving_agency, NEW.deciding_agency, 1,
            (NEW.receiving_division <> NEW.deciding_division)::int);
  END IF;
  -- a due date moved after the decision (a calendar correction): whether
  -- the decision was over the limit may change
  IF TG_OP = 'UPDATE' AND OLD.due_date IS DISTINCT FROM NEW.due_date THEN
    FOR e IN SELECT ev.at FROM cases.event ev WHERE ev.case_id = NEW.id AND ev.action IN ('register', 'reject') LOOP
      INSERT INTO stats.case_delta (month, business_type, ragency, dagency, late)
      VALUES (stats.month(e.at), NEW.business_type, NEW.receiving_agency, NEW.deciding_agency,
              (stats.bjdate(e.at) > NEW.due_date)::int - (stats.bjdate(e.at) > OLD.due_date)::int);
    END LOOP;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER stats_case AFTER INSERT OR UPDATE ON cases.case
  FOR EACH ROW EXECUTE FUNCTION stats.on_case();

CREATE FUNCTION stats.on_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, stats, cases AS $$
DECLARE
  c record;
  m date := stats.month(NEW.at);
  d integer;
  amt bigint;
  ch text;
BEGIN
  SELECT x.business_type, x.receiving_agency, x.deciding_agency, x.received_at, x.due_date, x.fee_total_fen
    INTO c FROM cases.case x WHERE x.id = NEW.case_id;
  IF NEW.action = 'request_supplement' THEN
    IF c.received_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM cases.event x WHERE x.case_id = NEW.case_id
                                                  AND x.action = 'request_supplement' AND x.id < NEW.id) THEN
      INSERT INTO stats.case_delta (month, business_type, ragency, dagency, supplemented)
      VALUES (stats.month(c.received_at), c.business_type, c.receiving_agency, c.deciding_agency, 1);
    END IF;
  ELSIF NEW.action = 'withdraw' THEN
    IF c.received_at IS NOT NULL THEN
      INSERT INTO stats.case_delta (month, business_type, ragency, dagency, withdrawn)
      VALUES (m, c.business_type, c.receiving_agency, c.deciding_agency, 1);
    END IF;
  ELSIF NEW.action IN ('register', 'reject') THEN
    IF c.received_at IS NOT NULL THEN
      d := stats.workdays_between(stats.bjdate(c.received_at), stats.bjdate(NEW.at));
      INSERT INTO stats.case_delta (month, business_type, ragency, dagency, decided, registered, rejected, late)
      VALUES (m, c.business_type, c.receiving_agency, c.deciding_agency, 1, (NEW.action = 'register')::int,
              (NEW.action = 'reject')::int, coalesce(stats.bjdate(NEW.at) > c.due_date, false)::int);
      INSERT INTO stats.days_delta (month, business_type, ragency, dagency, days, n)
      VALUES (m, c.business_type, c.receiving_agency, c.deciding_agency, d, 1);
    END IF;
  ELSIF NEW.action = 'set_fees' THEN
    IF coalesce(c.fee_total_fen, 0) > 0 THEN
      INSERT INTO stats.fee_delta (month, ragency, dagency, charged_n, charged_fen)
      VALUES (m, c.receiving_agency, c.deciding_agency, 1, c.fee_total_fen);
    END IF;
  ELSIF NEW.action = 'record_payment' THEN
    amt := stats.paid_fen(NEW.details);
    IF amt > 0 THEN
      ch := stats.channel(NEW.details);
      INSERT INTO stats.fee_delta (month, ragency, dagency, cash_n, cash_fen, pos_n, pos_fen, wechat_n, wechat_fen)
      VALUES (m, c.receiving_agency, c.deciding_agency,
              (ch = 'cash')::int, CASE WHEN ch = 'cash' THEN amt ELSE 0 END,
              (ch = 'pos')::int, CASE WHEN ch = 'pos' THEN amt ELSE 0 END,
              (ch = 'wechat')::int, CASE WHEN ch = 'wechat' THEN amt ELSE 0 END);
    END IF;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER stats_event AFTER INSERT ON cases.event
  FOR EACH ROW WHEN (NEW.action IN ('request_supplement', 'withdraw', 'register', 'reject', 'set_fees',
                                    'record_payment'))
  EXECUTE FUNCTION stats.on_event();

CREATE FUNCTION stats.on_query() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, stats, qry AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    INSERT INTO stats.query_delta (month, kind, agency, made, completed, approved, rejected, pending)
    VALUES (stats.month(OLD.created_at), OLD.requester_kind, OLD.agency_code, -1,
            -(OLD.state = 'completed')::int, -(OLD.state = 'completed' AND OLD.decided_by IS NOT NULL)::int,
            -(OLD.state = 'rejected')::int, -(OLD.state = 'pending_approval')::int);
  END IF;
  INSERT INTO stats.query_delta (month, kind, agency, made, completed, approved, rejected, pending)
  VALUES (stats.month(NEW.created_at), NEW.requester_kind, NEW.agency_code, 1,
          (NEW.state = 'completed')::int, (NEW.state = 'completed' AND NEW.decided_by IS NOT NULL)::int,
          (NEW.state = 'rejected')::int, (NEW.state = 'pending_approval')::int);
  RETURN NULL;
END $$;

CREATE TRIGGER stats_query_insert AFTER INSERT ON qry.query
  FOR EACH ROW EXECUTE FUNCTION stats.on_query();
CREATE TRIGGER stats_query_update AFTER UPDATE ON qry.query
  FOR EACH ROW WHEN ((OLD.state, OLD.decided_by, OLD.created_at, OLD.requester_kind, OLD.agency_code)
                     IS DISTINCT FROM (NEW.state, NEW.decided_by, NEW.created_at, NEW.requester_kind, NEW.agency_code))
  EXECUTE FUNCTION stats.on_query();

CREATE FUNCTION stats.on_certificate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, stats, qry AS $$
BEGIN
  INSERT INTO stats.query_delta (month, kind, agency, certificates)
  SELECT stats.month(q.created_at), q.requester_kind, q.agency_code, 1 FROM qry.query q WHERE q.id = NEW.query_id;
  RETURN NULL;
END $$;

CREATE TRIGGER stats_certificate AFTER INSERT ON qry.certificate
  FOR EACH ROW EXECUTE FUNCTION stats.on_certificate();

-- A calendar change moves the processing days of every decision whose span
-- (receipt, decision] holds a changed day: each such decision leaves its
-- histogram bucket for the one the new calendar gives (the figures stay
-- what stats.rebuild() would compute now). Decisions are found by their
-- time (event_stats_decision): a change to next year's holidays finds none.
CREATE INDEX event_stats_decision ON cases.event (at) WHERE action IN ('register', 'reject');

CREATE FUNCTION stats.workday(kind text, day date) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE kind WHEN 'holiday' THEN 0 WHEN 'workday' THEN 1 ELSE (extract(isodow FROM day) < 6)::int END
$$;

-- days: the changed days, shifts: by how much each became more a working
-- day (+1, -1, 0)
CREATE FUNCTION stats.calendar_moved(days date[], shifts integer[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, stats, cases AS $$
DECLARE
  lo date;
  hi date;
BEGIN
  SELECT min(d), max(d) INTO lo, hi FROM unnest(days, shifts) AS x(d, s) WHERE s <> 0;
  IF lo IS NULL THEN
    RETURN;
  END IF;
  WITH ch AS (SELECT d, sum(s) AS s FROM unnest(days, shifts) AS x(d, s) GROUP BY d HAVING sum(s) <> 0),
  aff AS (
    SELECT stats.month(e.at) AS month, c.business_type, c.receiving_agency, c.deciding_agency,
           stats.workdays_between(stats.bjdate(c.received_at), stats.bjdate(e.at)) AS now_days,
           (SELECT coalesce(sum(ch.s), 0) FROM ch
             WHERE ch.d > stats.bjdate(c.received_at) AND ch.d <= stats.bjdate(e.at)) AS shift
      FROM cases.event e JOIN cases.case c ON c.id = e.case_id
     WHERE e.action IN ('register', 'reject') AND e.at >= (lo::timestamp AT TIME ZONE 'Asia/Shanghai')
       AND c.received_at < (hi::timestamp AT TIME ZONE 'Asia/Shanghai') AND c.received_at IS NOT NULL)
  INSERT INTO stats.days_delta (month, business_type, ragency, dagency, days, n)
  SELECT month, business_type, receiving_agency, deciding_agency, b.days, b.n
    FROM aff CROSS JOIN LATERAL (VALUES (now_days - shift, -1), (now_days, 1)) AS b(days, n)
   WHERE aff.shift <> 0;
END $$;

CREATE FUNCTION stats.on_calendar_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, stats AS $$
BEGIN
  PERFORM stats.calendar_moved(array_agg(n.day), array_agg(stats.workday(n.kind, n.day) - stats.workday(NULL, n.day)))
     FROM new_days n;
  RETURN NULL;
END $$;
CREATE FUNCTION stats.on_calendar_delete() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, stats AS $$
BEGIN
  PERFORM stats.calendar_moved(array_agg(o.day), array_agg(stats.workday(NULL, o.day) - stats.workday(o.kind, o.day)))
     FROM old_days o;
  RETURN NULL;
END $$;
CREATE FUNCTION stats.on_calendar_update() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, stats AS $$
BEGIN
  -- an update is the old row out and the new row in
  PERFORM stats.calendar_moved(array_agg(x.day), array_agg(x.shift))
     FROM (SELECT o.day, stats.workday(NULL, o.day) - stats.workday(o.kind, o.day) AS shift FROM old_days o
           UNION ALL
           SELECT n.day, stats.workday(n.kind, n.day) - stats.workday(NULL, n.day) FROM new_days n) x;
  RETURN NULL;
END $$;
CREATE TRIGGER stats_calendar_insert AFTER INSERT ON cases.calendar
  REFERENCING NEW TABLE AS new_days FOR EACH STATEMENT EXECUTE FUNCTION stats.on_calendar_insert();
CREATE TRIGGER stats_calendar_delete AFTER DELETE ON cases.calendar
  REFERENCING OLD TABLE AS old_days FOR EACH STATEMENT EXECUTE FUNCTION stats.on_calendar_delete();
CREATE TRIGGER stats_calendar_update AFTER UPDATE ON cases.calendar
  REFERENCING OLD TABLE AS old_days NEW TABLE AS new_days FOR EACH STATEMENT
  EXECUTE FUNCTION stats.on_calendar_update();

-- ---- folding and rebuilding ----

-- Move the deltas into the summaries (the admin background process, every
-- second or so). One fold at a time; the rows a concurrent transaction has
-- not committed yet stay for the next fold. Returns the delta rows folded.
CREATE FUNCTION stats.fold() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, stats AS $$
DECLARE
  folded bigint := 0;
  k bigint;
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtext('stats.fold')) THEN
    RETURN 0;
  END IF;
  WITH d AS (DELETE FROM stats.case_delta RETURNING *), g AS (
    INSERT INTO stats.case_month AS s
    SELECT month, business_type, ragency, dagency, sum(received), sum(cross_received), sum(supplemented),
           sum(withdrawn), sum(decided), sum(registered), sum(rejected), sum(late)
      FROM d GROUP BY 1, 2, 3, 4
    ON CONFLICT (month, business_type, ragency, dagency) DO UPDATE SET
      received = s.received + excluded.received, cross_received = s.cross_received + excluded.cross_received,
      supplemented = s.supplemented + excluded.supplemented, withdrawn = s.withdrawn + excluded.withdrawn,
      decided = s.decided + excluded.decided, registered = s.registered + excluded.registered,
      rejected = s.rejected + excluded.rejected, late = s.late + excluded.late
    RETURNING 1), r AS (
    INSERT INTO stats.case_region AS s
    SELECT month, business_type, sum(received), sum(cross_received), sum(supplemented), sum(withdrawn), sum(decided),
           sum(registered), sum(rejected), sum(late)
      FROM d GROUP BY 1, 2
    ON CONFLICT (month, business_type) DO UPDATE SET
      received = s.received + excluded.received, cross_received = s.cross_received + excluded.cross_received,
      supplemented = s.supplemented + excluded.supplemented, withdrawn = s.withdrawn + excluded.withdrawn,
      decided = s.decided + excluded.decided, registered = s.registered + excluded.registered,
      rejected = s.rejected + excluded.rejected, late = s.late + excluded.late
    RETURNING 1), a AS (
    -- each delta row once per role (one INSERT: a row may not be upserted twice)
    INSERT INTO stats.case_agency AS s
    SELECT x.month, x.agency, sum(x.r_received), sum(x.r_cross), sum(x.r_other), sum(x.d_received), sum(x.d_cross),
           sum(x.d_other), sum(x.registered), sum(x.rejected), sum(x.late)
      FROM (SELECT d.month, d.ragency AS agency, d.received AS r_received, d.cross_received AS r_cross,
                   CASE WHEN d.dagency <> d.ragency THEN d.received ELSE 0 END AS r_other, 0 AS d_received,
                   0 AS d_cross, 0 AS d_other, 0 AS registered, 0 AS rejected, 0 AS late FROM d
            UNION ALL
            SELECT d.month, d.dagency, 0, 0, 0, d.received, d.cross_received,
                   CASE WHEN d.dagency <> d.ragency THEN d.received ELSE 0 END, d.registered, d.rejected, d.late
              FROM d) x
     GROUP BY 1, 2
    ON CONFLICT (month, agency) DO UPDATE SET
      r_received = s.r_received + excluded.r_received, r_cross = s.r_cross + excluded.r_cross,
      r_other = s.r_other + excluded.r_other, d_received = s.d_received + excluded.d_received,
      d_cross = s.d_cross + excluded.d_cross, d_other = s.d_other + excluded.d_other,
      registered = s.registered + excluded.registered, rejected = s.rejected + excluded.rejected,
      late = s.late + excluded.late
    RETURNING 1)
  SELECT (SELECT count(*) FROM d) INTO k;
  folded := folded + k;
  WITH d AS (DELETE FROM stats.days_delta RETURNING *), g AS (
    INSERT INTO stats.days_hist AS s
    SELECT d.month, d.business_type, d.ragency, d.dagency, d.days, sum(d.n) FROM d GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT (month, business_type, ragency, dagency, days) DO UPDATE SET n = s.n + excluded.n
    RETURNING 1), r AS (
    INSERT INTO stats.days_region AS s
    SELECT d.month, d.business_type, d.days, sum(d.n) FROM d GROUP BY 1, 2, 3
    ON CONFLICT (month, business_type, days) DO UPDATE SET n = s.n + excluded.n
    RETURNING 1), p AS (
    INSERT INTO stats.days_pair AS s
    SELECT d.month, d.ragency, d.dagency, d.days, sum(d.n) FROM d GROUP BY 1, 2, 3, 4
    ON CONFLICT (month, ragency, dagency, days) DO UPDATE SET n = s.n + excluded.n
    RETURNING 1), a AS (
    INSERT INTO stats.days_agency AS s
    SELECT d.month, d.dagency, d.days, sum(d.n) FROM d GROUP BY 1, 2, 3
    ON CONFLICT (month, dagency, days) DO UPDATE SET n = s.n + excluded.n
    RETURNING 1)
  SELECT (SELECT count(*) FROM d) INTO k;
  folded := folded + k;
  WITH d AS (DELETE FROM stats.fee_delta RETURNING *), g AS (
    INSERT INTO stats.fee_month AS s
    SELECT month, ragency, dagency, sum(charged_n), sum(charged_fen), sum(cash_n), sum(cash_fen), sum(pos_n),
           sum(pos_fen), sum(wechat_n), sum(wechat_fen)
      FROM d GROUP BY 1, 2, 3
    ON CONFLICT (month, ragency, dagency) DO UPDATE SET
      charged_n = s.charged_n + excluded.charged_n, charged_fen = s.charged_fen + excluded.charged_fen,
      cash_n = s.cash_n + excluded.cash_n, cash_fen = s.cash_fen + excluded.cash_fen,
      pos_n = s.pos_n + excluded.pos_n, pos_fen = s.pos_fen + excluded.pos_fen,
      wechat_n = s.wechat_n + excluded.wechat_n, wechat_fen = s.wechat_fen + excluded.wechat_fen
    RETURNING 1)
  SELECT (SELECT count(*) FROM d) INTO k;
  folded := folded + k;
  WITH d AS (DELETE FROM stats.query_delta RETURNING *), g AS (
    INSERT INTO stats.query_month AS s
    SELECT month, kind, agency, sum(made), sum(completed), sum(approved), sum(rejected), sum(pending),
           sum(certificates)
      FROM d GROUP BY 1, 2, 3
    ON CONFLICT (month, kind, agency) DO UPDATE SET
      made = s.made + excluded.made, completed = s.completed + excluded.completed,
      approved = s.approved + excluded.approved, rejected = s.rejected + excluded.rejected,
      pending = s.pending + excluded.pending, certificates = s.certificates + excluded.certificates
    RETURNING 1)
  SELECT (SELECT count(*) FROM d) INTO k;
  folded := folded + k;
  -- buckets emptied by corrections
  IF folded > 0 THEN
    DELETE FROM stats.days_hist h WHERE h.n = 0;
    DELETE FROM stats.days_region h WHERE h.n = 0;
    DELETE FROM stats.days_pair h WHERE h.n = 0;
    DELETE FROM stats.days_agency h WHERE h.n = 0;
  END IF;
  RETURN folded;
END $$;

-- Recompute every summary from the base tables (after a bulk load with the
-- triggers off, or to repair). The delta tables are locked first: a
-- transition running meanwhile waits at its trigger until the rebuild
-- commits, then adds its delta on top of a summary that does not hold it
-- yet — nothing counted twice, nothing lost.
CREATE FUNCTION stats.rebuild() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, stats, cases, qry AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('stats.fold'));
  LOCK TABLE stats.case_delta, stats.days_delta, stats.fee_delta, stats.query_delta IN EXCLUSIVE MODE;
  TRUNCATE stats.case_delta, stats.days_delta, stats.fee_delta, stats.query_delta,
           stats.case_month, stats.days_hist, stats.fee_month, stats.query_month,
           stats.case_region, stats.days_region, stats.days_pair, stats.case_agency, stats.days_agency;

  DROP TABLE IF EXISTS pg_temp.stats_facts, pg_temp.stats_wd;
  CREATE TEMP TABLE stats_facts ON COMMIT DROP AS
  -- receipts
  SELECT stats.month(c.received_at) AS month, c.business_type, c.receiving_agency AS ragency,
         c.deciding_agency AS dagency, 1 AS received, (c.receiving_division <> c.deciding_division)::int AS cross_received,
         (EXISTS (SELECT 1 FROM cases.event e WHERE e.case_id = c.id AND e.action = 'request_supplement'))::int
           AS supplemented,
         0 AS withdrawn, 0 AS decided, 0 AS registered, 0 AS rejected, 0 AS late
    FROM cases.case c WHERE c.received_at IS NOT NULL
  UNION ALL
  -- withdrawals and decisions
  SELECT stats.month(e.at), c.business_type, c.receiving_agency, c.deciding_agency, 0, 0, 0,
         (e.action = 'withdraw')::int, (e.action <> 'withdraw')::int, (e.action = 'register')::int,
         (e.action = 'reject')::int,
         (e.action <> 'withdraw' AND coalesce(stats.bjdate(e.at) > c.due_date, false))::int
    FROM cases.event e JOIN cases.case c ON c.id = e.case_id
   WHERE e.action IN ('withdraw', 'register', 'reject') AND c.received_at IS NOT NULL;

  INSERT INTO stats.case_month
  SELECT month, business_type, ragency, dagency, sum(received), sum(cross_received), sum(supplemented),
         sum(withdrawn), sum(decided), sum(registered), sum(rejected), sum(late)
    FROM stats_facts GROUP BY 1, 2, 3, 4;

  -- processing days through a cumulative working-day count (one pass over
  -- the days instead of a calendar look-up per decision); the same rule
  -- as stats.workdays_between, which the triggers use
  CREATE TEMP TABLE stats_wd ON COMMIT DROP AS
  WITH b AS (SELECT min(stats.bjdate(received_at)) AS lo, greatest(max(stats.bjdate(updated_at)), current_date + 1) AS hi
               FROM cases.case WHERE received_at IS NOT NULL),
  d AS (SELECT g::date AS day FROM b, generate_series(b.lo, b.hi, interval '1 day') g)
  SELECT d.day, sum(CASE k.kind WHEN 'holiday' THEN 0 WHEN 'workday' THEN 1
                         ELSE (extract(isodow FROM d.day) < 6)::int END) OVER (ORDER BY d.day) AS cum
    FROM d LEFT JOIN cases.calendar k ON k.day = d.day;
  CREATE UNIQUE INDEX ON stats_wd (day);
  ANALYZE stats_wd;

  INSERT INTO stats.days_hist
  SELECT stats.month(e.at), c.business_type, c.receiving_agency, c.deciding_agency,
         CASE WHEN stats.bjdate(e.at) <= stats.bjdate(c.received_at) THEN 0
              ELSE coalesce(we.cum - ws.cum,
                            stats.workdays_between(stats.bjdate(c.received_at), stats.bjdate(e.at))) END::int,
         count(*)
    FROM cases.event e JOIN cases.case c ON c.id = e.case_id
    LEFT JOIN stats_wd ws ON ws.day = stats.bjdate(c.received_at)
    LEFT JOIN stats_wd we ON we.day = stats.bjdate(e.at)
   WHERE e.action IN ('register', 'reject') AND c.received_at IS NOT NULL
   GROUP BY 1, 2, 3, 4, 5;

  INSERT INTO stats.case_region
  SELECT month, business_type, sum(received), sum(cross_received), sum(supplemented), sum(withdrawn), sum(decided),
         sum(registered), sum(rejected), sum(late)
    FROM stats.case_month GROUP BY 1, 2;
  INSERT INTO stats.days_region SELECT month, business_type, days, sum(n) FROM stats.days_hist GROUP BY 1, 2, 3;
  INSERT INTO stats.days_pair SELECT month, ragency, dagency, days, sum(n) FROM stats.days_hist GROUP BY 1, 2, 3, 4;
  INSERT INTO stats.days_agency SELECT month, dagency, days, sum(n) FROM stats.days_pair GROUP BY 1, 2, 3;
  INSERT INTO stats.case_agency
  SELECT month, agency, sum(r_received), sum(r_cross), sum(r_other), sum(d_received), sum(d_cross), sum(d_other),
         sum(registered), sum(rejected), sum(late)
    FROM (SELECT m.month, m.ragency AS agency, m.received AS r_received, m.cross_received AS r_cross,
                 CASE WHEN m.dagency <> m.ragency THEN m.received ELSE 0 END AS r_other, 0 AS d_received,
                 0 AS d_cross, 0 AS d_other, 0 AS registered, 0 AS rejected, 0 AS late FROM stats.case_month m
          UNION ALL
          SELECT m.month, m.dagency, 0, 0, 0, m.received, m.cross_received,
                 CASE WHEN m.dagency <> m.ragency THEN m.received ELSE 0 END, m.registered, m.rejected, m.late
            FROM stats.case_month m) x
   GROUP BY 1, 2;

  INSERT INTO stats.fee_month
  SELECT stats.month(e.at), c.receiving_agency, c.deciding_agency,
         count(*) FILTER (WHERE e.action = 'set_fees'),
         coalesce(sum(c.fee_total_fen) FILTER (WHERE e.action = 'set_fees'), 0),
         count(*) FILTER (WHERE e.action = 'record_payment' AND stats.channel(e.details) = 'cash'),
         coalesce(sum(stats.paid_fen(e.details)) FILTER (WHERE e.action = 'record_payment'
                                                         AND stats.channel(e.details) = 'cash'), 0),
         count(*) FILTER (WHERE e.action = 'record_payment' AND stats.channel(e.details) = 'pos'),
         coalesce(sum(stats.paid_fen(e.details)) FILTER (WHERE e.action = 'record_payment'
                                                         AND stats.channel(e.details) = 'pos'), 0),
         count(*) FILTER (WHERE e.action = 'record_payment' AND stats.channel(e.details) = 'wechat'),
         coalesce(sum(stats.paid_fen(e.details)) FILTER (WHERE e.action = 'record_payment'
                                                         AND stats.channel(e.details) = 'wechat'), 0)
    FROM cases.event e JOIN cases.case c ON c.id = e.case_id
   WHERE (e.action = 'set_fees' AND coalesce(c.fee_total_fen, 0) > 0)
      OR (e.action = 'record_payment' AND stats.paid_fen(e.details) > 0)
   GROUP BY 1, 2, 3;

  INSERT INTO stats.query_month
  SELECT month, kind, agency, sum(made), sum(completed), sum(approved), sum(rejected), sum(pending),
         sum(certificates)
    FROM (SELECT stats.month(q.created_at) AS month, q.requester_kind AS kind, q.agency_code AS agency, 1 AS made,
                 (q.state = 'completed')::int AS completed,
                 (q.state = 'completed' AND q.decided_by IS NOT NULL)::int AS approved,
                 (q.state = 'rejected')::int AS rejected, (q.state = 'pending_approval')::int AS pending,
                 0 AS certificates
            FROM qry.query q
          UNION ALL
          SELECT stats.month(q.created_at), q.requester_kind, q.agency_code, 0, 0, 0, 0, 0, 1
            FROM qry.certificate x JOIN qry.query q ON q.id = x.query_id) f
   GROUP BY 1, 2, 3;
END $$;

-- ---- the reports (fcgi/admin/stats.c calls them; api/openapi.json lists
-- their columns). Every one takes the agencies whose cases count (NULL:
-- all, the region) and the months from..to (first days, inclusive). A row
-- with total true is the totals row. Ratios are basis points rounded to
-- the nearest (NULL when the denominator is 0); medians are the lower
-- median, p90 the nearest rank, NULL without decisions. ----

-- a summary and its unfolded deltas: read in one statement, exact
CREATE VIEW stats.case_all AS SELECT * FROM stats.case_month UNION ALL SELECT * FROM stats.case_delta;
CREATE VIEW stats.days_all AS SELECT * FROM stats.days_hist UNION ALL SELECT * FROM stats.days_delta;
CREATE VIEW stats.fee_all AS SELECT * FROM stats.fee_month UNION ALL SELECT * FROM stats.fee_delta;
CREATE VIEW stats.query_all AS SELECT * FROM stats.query_month UNION ALL SELECT * FROM stats.query_delta;
CREATE VIEW stats.case_region_all AS
  SELECT * FROM stats.case_region
  UNION ALL
  SELECT month, business_type, received, cross_received, supplemented, withdrawn, decided, registered, rejected, late
    FROM stats.case_delta;
CREATE VIEW stats.days_region_all AS
  SELECT * FROM stats.days_region UNION ALL SELECT month, business_type, days, n FROM stats.days_delta;
CREATE VIEW stats.days_pair_all AS
  SELECT * FROM stats.days_pair UNION ALL SELECT month, ragency, dagency, days, n FROM stats.days_delta;
-- each unfolded case delta once per role, as the fold adds it
CREATE VIEW stats.case_agency_all AS
  SELECT * FROM stats.case_agency
  UNION ALL
  SELECT d.month, d.ragency, d.received, d.cross_received, CASE WHEN d.dagency <> d.ragency THEN d.received ELSE 0 END,
         0, 0, 0, 0, 0, 0
    FROM stats.case_delta d
  UNION ALL
  SELECT d.month, d.dagency, 0, 0, 0, d.received, d.cross_received,
         CASE WHEN d.dagency <> d.ragency THEN d.received ELSE 0 END, d.registered, d.rejected, d.late
    FROM stats.case_delta d;
CREATE VIEW stats.days_agency_all AS
  SELECT * FROM stats.days_agency UNION ALL SELECT month, dagency, days, n FROM stats.days_delta;

-- The agencies a division's figures take (NULL for the region: every one);
-- one agency when named.
CREATE FUNCTION stats.agencies(p_division text, p_agency text) RETURNS text[]
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN p_agency <> '' THEN ARRAY[p_agency]
              WHEN p_division = '450000' THEN NULL
              ELSE coalesce((SELECT array_agg(a.code ORDER BY a.code) FROM iam.agency a
                              WHERE ref.covers(p_division, a.division_code)), '{}') END
$$;

CREATE FUNCTION stats.bp(a numeric, b numeric) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN coalesce(b, 0) = 0 THEN NULL ELSE round(coalesce(a, 0) * 10000 / b)::bigint END
$$;

-- open cases past their due date now, by receipt month and type
CREATE FUNCTION stats.overdue_now(ags text[])
RETURNS TABLE (month date, business_type text, n bigint)
LANGUAGE sql STABLE AS $$
  SELECT stats.month(c.received_at), c.business_type, count(*)
    FROM cases.case c
   WHERE c.state IN ('submitted', 'accepted', 'supplement_requested', 'approved')
     AND c.due_date < stats.bjdate(now())
     AND (ags IS NULL OR c.receiving_agency = ANY (ags) OR c.deciding_agency = ANY (ags))
   GROUP BY 1, 2
$$;

-- The histogram of processing days per month and type (region: the
-- roll-up; otherwise the agency pairs' rows); ags NULL or not is decided
-- once per statement (a one-time filter), so only one branch runs.
CREATE FUNCTION stats.quantiles(ags text[], f date, t date)
RETURNS TABLE (month date, business_type text, days integer, n numeric)
LANGUAGE sql STABLE AS $$
  SELECT h.month, h.business_type, h.days, sum(h.n)
    FROM stats.days_region_all h
   WHERE ags IS NULL AND h.month BETWEEN f AND t
   GROUP BY 1, 2, 3
  UNION ALL
  SELECT h.month, h.business_type, h.days, sum(h.n)
    FROM stats.days_all h
   WHERE ags IS NOT NULL AND h.month BETWEEN f AND t AND (h.ragency = ANY (ags) OR h.dagency = ANY (ags))
   GROUP BY 1, 2, 3
$$;

-- The same per month without types (overview, by-month: fewer rows).
CREATE FUNCTION stats.month_days(ags text[], f date, t date)
RETURNS TABLE (month date, days integer, n numeric)
LANGUAGE sql STABLE AS $$
  SELECT h.month, h.days, sum(h.n)
    FROM stats.days_region_all h
   WHERE ags IS NULL AND h.month BETWEEN f AND t
   GROUP BY 1, 2
  UNION ALL
  SELECT h.month, h.days, sum(h.n)
    FROM stats.days_pair_all h
   WHERE ags IS NOT NULL AND h.month BETWEEN f AND t AND (h.ragency = ANY (ags) OR h.dagency = ANY (ags))
   GROUP BY 1, 2
$$;

CREATE FUNCTION stats.case_sums(ags text[], f date, t date)
RETURNS TABLE (month date, business_type text, received numeric, cross_received numeric, supplemented numeric,
               withdrawn numeric, decided numeric, registered numeric, rejected numeric, late numeric)
LANGUAGE sql STABLE AS $$
  SELECT s.month, s.business_type, sum(s.received), sum(s.cross_received), sum(s.supplemented), sum(s.withdrawn),
         sum(s.decided), sum(s.registered), sum(s.rejected), sum(s.late)
    FROM stats.case_region_all s
   WHERE ags IS NULL AND s.month BETWEEN f AND t
   GROUP BY 1, 2
  UNION ALL
  SELECT s.month, s.business_type, sum(s.received), sum(s.cross_received), sum(s.supplemented), sum(s.withdrawn),
         sum(s.decided), sum(s.registered), sum(s.rejected), sum(s.late)
    FROM stats.case_all s
   WHERE ags IS NOT NULL AND s.month BETWEEN f AND t AND (s.ragency = ANY (ags) OR s.dagency = ANY (ags))
   GROUP BY 1, 2
$$;

-- overview: one row for the period
CREATE FUNCTION stats.report_overview(ags text[], f date, t date)
RETURNS TABLE (total boolean, received bigint, cross_received bigint, cross_bp bigint, registered bigint,
               rejected bigint, withdrawn bigint, supplemented bigint, supplement_bp bigint, decided bigint,
               median_days integer, p90_days integer, late bigint, overdue_now bigint, charged_fen bigint,
               collected_fen bigint, queries bigint)
LANGUAGE sql STABLE AS $$
  WITH c AS (SELECT sum(received) AS received, sum(cross_received) AS cross_received, sum(supplemented) AS supplemented,
                    sum(withdrawn) AS withdrawn, sum(decided) AS decided, sum(registered) AS registered,
                    sum(rejected) AS rejected, sum(late) AS late
               FROM stats.case_sums(ags, f, t)),
  h AS (SELECT days, sum(n) AS n FROM stats.month_days(ags, f, t) GROUP BY days),
  w AS (SELECT days, sum(n) OVER (ORDER BY days) AS cum, sum(n) OVER () AS tot FROM h),
  q AS (SELECT min(days) FILTER (WHERE cum >= floor((tot + 1) / 2)) AS median,
               min(days) FILTER (WHERE cum * 10 >= tot * 9) AS p90 FROM w),
  fe AS (SELECT sum(charged_fen) AS charged, sum(cash_fen + pos_fen + wechat_fen) AS collected
           FROM stats.fee_all x
          WHERE x.month BETWEEN f AND t AND (ags IS NULL OR x.ragency = ANY (ags) OR x.dagency = ANY (ags))),
  qr AS (SELECT sum(made) AS made FROM stats.query_all x
          WHERE x.month BETWEEN f AND t AND (ags IS NULL OR x.agency = ANY (ags))),
  o AS (SELECT sum(n) AS n FROM stats.overdue_now(ags))
  SELECT false, coalesce(c.received, 0)::bigint, coalesce(c.cross_received, 0)::bigint,
         stats.bp(c.cross_received, c.received), coalesce(c.registered, 0)::bigint, coalesce(c.rejected, 0)::bigint,
         coalesce(c.withdrawn, 0)::bigint, coalesce(c.supplemented, 0)::bigint,
         stats.bp(c.supplemented, c.received), coalesce(c.decided, 0)::bigint, q.median, q.p90,
         coalesce(c.late, 0)::bigint, coalesce(o.n, 0)::bigint, coalesce(fe.charged, 0)::bigint,
         coalesce(fe.collected, 0)::bigint, coalesce(qr.made, 0)::bigint
    FROM c, q, fe, qr, o
$$;

-- by-month: a row per month of the period (empty months too), totals
CREATE FUNCTION stats.report_by_month(ags text[], f date, t date)
RETURNS TABLE (total boolean, month text, received bigint, cross_received bigint, cross_bp bigint,
               supplemented bigint, supplement_bp bigint, withdrawn bigint, decided bigint, registered bigint,
               rejected bigint, late bigint, late_bp bigint, median_days integer, p90_days integer)
LANGUAGE sql STABLE AS $$
  WITH m AS (SELECT g::date AS month FROM generate_series(f, t, interval '1 month') g),
  s AS (SELECT * FROM stats.case_sums(ags, f, t)),
  hq AS (SELECT * FROM stats.month_days(ags, f, t)),
  -- grouping key: the month, or NULL for the totals
  k AS (SELECT m.month AS key FROM m UNION ALL SELECT NULL),
  c AS (SELECT k.key, sum(s.received) AS received, sum(s.cross_received) AS cross_received,
               sum(s.supplemented) AS supplemented, sum(s.withdrawn) AS withdrawn, sum(s.decided) AS decided,
               sum(s.registered) AS registered, sum(s.rejected) AS rejected, sum(s.late) AS late
          FROM k LEFT JOIN s ON k.key IS NULL OR s.month = k.key GROUP BY k.key),
  h AS (SELECT k.key, hq.days, sum(hq.n) AS n FROM k JOIN hq ON k.key IS NULL OR hq.month = k.key
         GROUP BY k.key, hq.days),
  w AS (SELECT key, days, sum(n) OVER (PARTITION BY key ORDER BY days) AS cum, sum(n) OVER (PARTITION BY key) AS tot
          FROM h),
  q AS (SELECT key, min(days) FILTER (WHERE cum >= floor((tot + 1) / 2)) AS median,
               min(days) FILTER (WHERE cum * 10 >= tot * 9) AS p90 FROM w GROUP BY key)
  SELECT c.key IS NULL, to_char(c.key, 'YYYY-MM'), coalesce(c.received, 0)::bigint,
         coalesce(c.cross_received, 0)::bigint, stats.bp(c.cross_received, c.received),
         coalesce(c.supplemented, 0)::bigint, stats.bp(c.supplemented, c.received), coalesce(c.withdrawn, 0)::bigint,
         coalesce(c.decided, 0)::bigint, coalesce(c.registered, 0)::bigint, coalesce(c.rejected, 0)::bigint,
         coalesce(c.late, 0)::bigint, stats.bp(c.late, c.decided), q.median, q.p90
    FROM c LEFT JOIN q ON q.key IS NOT DISTINCT FROM c.key
   ORDER BY c.key NULLS LAST
$$;

-- by-type: a row per business type with anything in the period, totals
CREATE FUNCTION stats.report_by_type(ags text[], f date, t date)
RETURNS TABLE (total boolean, business_type text, type_name text, received bigint, cross_received bigint,
               cross_bp bigint, supplemented bigint, supplement_bp bigint, withdrawn bigint, decided bigint,
               registered bigint, rejected bigint, late bigint, late_bp bigint, median_days integer, p90_days integer)
LANGUAGE sql STABLE AS $$
  WITH s AS (SELECT * FROM stats.case_sums(ags, f, t)),
  hq AS (SELECT * FROM stats.quantiles(ags, f, t)),
  k AS (SELECT DISTINCT s.business_type AS key FROM s UNION ALL SELECT NULL),
  c AS (SELECT k.key, sum(s.received) AS received, sum(s.cross_received) AS cross_received,
               sum(s.supplemented) AS supplemented, sum(s.withdrawn) AS withdrawn, sum(s.decided) AS decided,
               sum(s.registered) AS registered, sum(s.rejected) AS rejected, sum(s.late) AS late
          FROM k LEFT JOIN s ON k.key IS NULL OR s.business_type = k.key GROUP BY k.key),
  h AS (SELECT k.key, hq.days, sum(hq.n) AS n FROM k JOIN hq ON k.key IS NULL OR hq.business_type = k.key
         GROUP BY k.key, hq.days),
  w AS (SELECT key, days, sum(n) OVER (PARTITION BY key ORDER BY days) AS cum, sum(n) OVER (PARTITION BY key) AS tot
          FROM h),
  q AS (SELECT key, min(days) FILTER (WHERE cum >= floor((tot + 1) / 2)) AS median,
               min(days) FILTER (WHERE cum * 10 >= tot * 9) AS p90 FROM w GROUP BY key)
  SELECT c.key IS NULL, c.key, bt.name, coalesce(c.received, 0)::bigint, coalesce(c.cross_received, 0)::bigint,
         stats.bp(c.cross_received, c.received), coalesce(c.supplemented, 0)::bigint,
         stats.bp(c.supplemented, c.received), coalesce(c.withdrawn, 0)::bigint, coalesce(c.decided, 0)::bigint,
         coalesce(c.registered, 0)::bigint, coalesce(c.rejected, 0)::bigint, coalesce(c.late, 0)::bigint,
         stats.bp(c.late, c.decided), q.median, q.p90
    FROM c LEFT JOIN q ON q.key IS NOT DISTINCT FROM c.key LEFT JOIN cases.business_type bt ON bt.code = c.key
   ORDER BY c.key NULLS LAST
$$;

-- by-agency: each agency of the division, as receiving and as deciding
-- agency side by side; cross share of the cases it took part in
CREATE FUNCTION stats.report_by_agency(ags text[], f date, t date)
RETURNS TABLE (total boolean, agency text, agency_name text, division text, received bigint, sent_out bigint,
               to_decide bigint, came_in bigint, involved bigint, cross_bp bigint, registered bigint,
               rejected bigint, late bigint, median_days integer, p90_days integer)
LANGUAGE sql STABLE AS $$
  WITH a AS (SELECT x.code, x.name, x.division_code FROM iam.agency x WHERE ags IS NULL OR x.code = ANY (ags)),
  -- an agency's figures are its own roles' (whatever the division), so
  -- every level reads the per-agency roll-ups of its agencies only
  s AS (SELECT y.agency AS code, sum(y.r_received) AS received, sum(y.r_cross) AS sent_out,
               sum(y.d_received) AS to_decide, sum(y.d_cross) AS came_in, sum(y.d_other) AS from_others,
               sum(y.registered) AS registered, sum(y.rejected) AS rejected, sum(y.late) AS late
          FROM stats.case_agency_all y
         WHERE y.month BETWEEN f AND t AND (ags IS NULL OR y.agency = ANY (ags))
         GROUP BY 1),
  r AS (SELECT code, received, sent_out FROM s),
  d AS (SELECT code, to_decide, came_in, from_others, registered, rejected, late FROM s),
  h AS (SELECT y.dagency AS code, y.days, sum(y.n) AS n FROM stats.days_agency_all y
         WHERE y.month BETWEEN f AND t AND (ags IS NULL OR y.dagency = ANY (ags))
         GROUP BY 1, 2),
  w AS (SELECT code, days, sum(n) OVER (PARTITION BY code ORDER BY days) AS cum, sum(n) OVER (PARTITION BY code) AS tot
          FROM h),
  q AS (SELECT code, min(days) FILTER (WHERE cum >= floor((tot + 1) / 2)) AS median,
               min(days) FILTER (WHERE cum * 10 >= tot * 9) AS p90 FROM w GROUP BY code),
  rows AS (SELECT a.code, a.name, a.division_code, coalesce(r.received, 0) AS received,
                  coalesce(r.sent_out, 0) AS sent_out, coalesce(d.to_decide, 0) AS to_decide,
                  coalesce(d.came_in, 0) AS came_in,
                  coalesce(r.received, 0) + coalesce(d.from_others, 0) AS involved,
                  coalesce(d.registered, 0) AS registered, coalesce(d.rejected, 0) AS rejected,
                  coalesce(d.late, 0) AS late, q.median, q.p90
             FROM a LEFT JOIN r ON r.code = a.code LEFT JOIN d ON d.code = a.code LEFT JOIN q ON q.code = a.code)
  SELECT false, code, name, division_code, received::bigint, sent_out::bigint, to_decide::bigint, came_in::bigint,
         involved::bigint, stats.bp(sent_out + came_in, involved), registered::bigint, rejected::bigint,
         late::bigint, median, p90
    FROM rows
  UNION ALL
  -- totals: the division's cases once each (not the sum of the agencies'
  -- rows, which counts a case between two of its agencies twice)
  SELECT true, NULL, NULL, NULL, coalesce(o.received, 0)::bigint, coalesce(o.cross_received, 0)::bigint, NULL, NULL,
         coalesce(o.received, 0)::bigint, stats.bp(o.cross_received, o.received), coalesce(o.registered, 0)::bigint,
         coalesce(o.rejected, 0)::bigint, coalesce(o.late, 0)::bigint, tq.median, tq.p90
    FROM (SELECT sum(x.received) AS received, sum(x.cross_received) AS cross_received, sum(x.registered) AS registered,
                 sum(x.rejected) AS rejected, sum(x.late) AS late FROM stats.case_sums(ags, f, t) x) o,
         (SELECT min(days) FILTER (WHERE cum >= floor((tot + 1) / 2)) AS median,
                 min(days) FILTER (WHERE cum * 10 >= tot * 9) AS p90
            FROM (SELECT days, sum(n) OVER (ORDER BY days) AS cum, sum(n) OVER () AS tot
                    FROM (SELECT days, sum(n) AS n FROM stats.month_days(ags, f, t) GROUP BY days) hh) ww) tq
  ORDER BY 1, 2
$$;

-- cross-trend: the cross-jurisdiction share per month
CREATE FUNCTION stats.report_cross_trend(ags text[], f date, t date)
RETURNS TABLE (total boolean, month text, received bigint, cross_received bigint, cross_bp bigint)
LANGUAGE sql STABLE AS $$
  SELECT total, month, received, cross_received, cross_bp FROM stats.report_by_month(ags, f, t)
$$;

-- processing: per business type — promised days, decisions, median, p90,
-- decided over the limit, open and past due now
CREATE FUNCTION stats.report_processing(ags text[], f date, t date)
RETURNS TABLE (total boolean, business_type text, type_name text, promised_days integer, decided bigint,
               median_days integer, p90_days integer, late bigint, late_bp bigint, overdue_now bigint)
LANGUAGE sql STABLE AS $$
  WITH o AS (SELECT business_type, sum(n) AS n FROM stats.overdue_now(ags) GROUP BY 1),
  b AS (SELECT y.business_type, y.total, y.decided, y.median_days, y.p90_days, y.late, y.late_bp
          FROM stats.report_by_type(ags, f, t) y
         WHERE y.total OR y.decided > 0),
  k AS (SELECT business_type FROM b WHERE NOT total UNION SELECT business_type FROM o)
  SELECT false, k.business_type, bt.name, bt.promised_days, coalesce(b.decided, 0), b.median_days, b.p90_days,
         coalesce(b.late, 0), b.late_bp, coalesce(o.n, 0)::bigint
    FROM k JOIN cases.business_type bt ON bt.code = k.business_type
    LEFT JOIN b ON b.business_type = k.business_type AND NOT b.total
    LEFT JOIN o ON o.business_type = k.business_type
  UNION ALL
  SELECT true, NULL, NULL, NULL, coalesce(b.decided, 0), b.median_days, b.p90_days, coalesce(b.late, 0), b.late_bp,
         (SELECT coalesce(sum(n), 0)::bigint FROM o)
    FROM (SELECT 1) one LEFT JOIN b ON b.total
  ORDER BY 1, 2
$$;

-- overdue: per month — decided late (decision month), and the cases
-- received that month still open and past due now
CREATE FUNCTION stats.report_overdue(ags text[], f date, t date)
RETURNS TABLE (total boolean, month text, decided bigint, late bigint, late_bp bigint, open_overdue bigint)
LANGUAGE sql STABLE AS $$
  WITH o AS (SELECT month, sum(n) AS n FROM stats.overdue_now(ags) WHERE month BETWEEN f AND t GROUP BY 1)
  SELECT b.total, b.month, b.decided, b.late, b.late_bp,
         CASE WHEN b.total THEN (SELECT coalesce(sum(n), 0) FROM o)
              ELSE coalesce((SELECT o.n FROM o WHERE to_char(o.month, 'YYYY-MM') = b.month), 0) END::bigint
    FROM stats.report_by_month(ags, f, t) b
$$;

-- fees: per month, charged and collected by channel
CREATE FUNCTION stats.report_fees(ags text[], f date, t date)
RETURNS TABLE (total boolean, month text, charged_n bigint, charged_fen bigint, cash_n bigint, cash_fen bigint,
               pos_n bigint, pos_fen bigint, wechat_n bigint, wechat_fen bigint, collected_n bigint,
               collected_fen bigint)
LANGUAGE sql STABLE AS $$
  WITH m AS (SELECT g::date AS month FROM generate_series(f, t, interval '1 month') g),
  x AS (SELECT y.month, sum(charged_n) AS charged_n, sum(charged_fen) AS charged_fen, sum(cash_n) AS cash_n,
               sum(cash_fen) AS cash_fen, sum(pos_n) AS pos_n, sum(pos_fen) AS pos_fen, sum(wechat_n) AS wechat_n,
               sum(wechat_fen) AS wechat_fen
          FROM stats.fee_all y
         WHERE y.month BETWEEN f AND t AND (ags IS NULL OR y.ragency = ANY (ags) OR y.dagency = ANY (ags))
         GROUP BY 1),
  r AS (SELECT m.month, coalesce(x.charged_n, 0) AS charged_n, coalesce(x.charged_fen, 0) AS charged_fen,
               coalesce(x.cash_n, 0) AS cash_n, coalesce(x.cash_fen, 0) AS cash_fen, coalesce(x.pos_n, 0) AS pos_n,
               coalesce(x.pos_fen, 0) AS pos_fen, coalesce(x.wechat_n, 0) AS wechat_n,
               coalesce(x.wechat_fen, 0) AS wechat_fen
          FROM m LEFT JOIN x ON x.month = m.month)
  SELECT g.total, g.month, g.charged_n::bigint, g.charged_fen::bigint, g.cash_n::bigint, g.cash_fen::bigint,
         g.pos_n::bigint, g.pos_fen::bigint, g.wechat_n::bigint, g.wechat_fen::bigint,
         (g.cash_n + g.pos_n + g.wechat_n)::bigint, (g.cash_fen + g.pos_fen + g.wechat_fen)::bigint
    FROM (SELECT false AS total, to_char(month, 'YYYY-MM') AS month, charged_n, charged_fen, cash_n, cash_fen, pos_n,
                 pos_fen, wechat_n, wechat_fen FROM r
          UNION ALL
          SELECT true, NULL, sum(charged_n), sum(charged_fen), sum(cash_n), sum(cash_fen), sum(pos_n), sum(pos_fen),
                 sum(wechat_n), sum(wechat_fen) FROM r) g
   ORDER BY 1, 2
$$;

-- queries: archive queries per requester kind (every kind, totals)
CREATE FUNCTION stats.report_queries(ags text[], f date, t date)
RETURNS TABLE (total boolean, requester_kind text, kind_name text, made bigint, completed bigint, approved bigint,
               rejected bigint, pending bigint, certificates bigint)
LANGUAGE sql STABLE AS $$
  WITH k(kind, name, ord) AS (VALUES ('holder', '权利人', 1), ('heir_guardian', '继承人、监护人', 2),
                                     ('interested_party', '利害关系人', 3), ('prospective_party', '拟交易方', 4),
                                     ('lawyer', '律师', 5), ('state_organ', '国家机关', 6)),
  x AS (SELECT y.kind, sum(made) AS made, sum(completed) AS completed, sum(approved) AS approved,
               sum(rejected) AS rejected, sum(pending) AS pending, sum(certificates) AS certificates
          FROM stats.query_all y
         WHERE y.month BETWEEN f AND t AND (ags IS NULL OR y.agency = ANY (ags))
         GROUP BY 1),
  r AS (SELECT k.ord, k.kind, k.name, coalesce(x.made, 0) AS made, coalesce(x.completed, 0) AS completed,
               coalesce(x.approved, 0) AS approved, coalesce(x.rejected, 0) AS rejected,
               coalesce(x.pending, 0) AS pending, coalesce(x.certificates, 0) AS certificates
          FROM k LEFT JOIN x ON x.kind = k.kind)
  SELECT g.total, g.kind, g.name, g.made::bigint, g.completed::bigint, g.approved::bigint, g.rejected::bigint,
         g.pending::bigint, g.certificates::bigint
    FROM (SELECT false AS total, ord, kind, name, made, completed, approved, rejected, pending, certificates FROM r
          UNION ALL
          SELECT true, 99, NULL, NULL, sum(made), sum(completed), sum(approved), sum(rejected), sum(pending),
                 sum(certificates) FROM r) g
   ORDER BY g.ord
$$;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA stats FROM PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA stats TO tb_admin;
-- the admin service reads and folds; it never rebuilds nor moves figures
REVOKE EXECUTE ON FUNCTION stats.rebuild(), stats.calendar_moved(date[], integer[]) FROM tb_admin;
GRANT SELECT ON ALL TABLES IN SCHEMA stats TO tb_admin;
