-- Statistics at city level (issue 12): a city's reports read roll-ups per
-- pair of cities instead of every agency pair of the city's agencies.
--
-- With 2,000,000 cases the largest city's overview, by-type and processing
-- reports summed its agencies' rows of stats.case_month and stats.days_hist
-- (every agency pair × business type × month × processing day) and missed
-- the 300 ms goal (p99 380–435 ms, tests/bench/stats.sh). The fold and
-- rebuild now also keep
--   stats.case_city  — case facts per month × business type × receiving
--                      city × deciding city,
--   stats.days_city  — the processing-days histogram on the same key,
-- from the same deltas in the same transaction, and a report whose agencies
-- are exactly one city's agencies (stats.city_set) reads them: a case counts
-- for the city when either of its agencies is in it (rcity = c OR dcity =
-- c), as the agencies' filter counts it. The city of an agency is the city
-- of its division (its first four digits; the region's own agency is
-- 450000, a "city" no report asks for). Which agencies a city has is read
-- when the report runs, so an agency added later counts at once.
--
-- Also: stats.case_agency.r_other was kept but never read (by-agency takes
-- "involved" from r_received and d_other): dropped.

CREATE FUNCTION stats.city(agency text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce((SELECT left(a.division_code, 4) || '00' FROM iam.agency a WHERE a.code = agency),
                  left(agency, 4) || '00')
$$;

-- The city whose agencies are exactly ags (sorted, as stats.agencies
-- returns them), NULL otherwise: only then may a report read the city
-- roll-ups instead of the agency pairs.
CREATE FUNCTION stats.city_set(ags text[]) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT c.city
    FROM (SELECT stats.city(ags[1]) AS city) c
   WHERE ags IS NOT NULL AND cardinality(ags) > 0 AND c.city <> '450000'
     AND ags = (SELECT array_agg(a.code ORDER BY a.code) FROM iam.agency a
                 WHERE left(a.division_code, 4) = left(c.city, 4))
$$;

DROP VIEW stats.case_agency_all;
ALTER TABLE stats.case_agency DROP COLUMN r_other;

CREATE TABLE stats.case_city (
  month date NOT NULL, business_type text NOT NULL, rcity text NOT NULL, dcity text NOT NULL,
  received bigint NOT NULL DEFAULT 0, cross_received bigint NOT NULL DEFAULT 0,
  supplemented bigint NOT NULL DEFAULT 0, withdrawn bigint NOT NULL DEFAULT 0, decided bigint NOT NULL DEFAULT 0,
  registered bigint NOT NULL DEFAULT 0, rejected bigint NOT NULL DEFAULT 0, late bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (month, business_type, rcity, dcity)
);
CREATE TABLE stats.days_city (
  month date NOT NULL, business_type text NOT NULL, rcity text NOT NULL, dcity text NOT NULL, days integer NOT NULL,
  n bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (month, business_type, rcity, dcity, days)
);
CREATE INDEX case_city_r ON stats.case_city (rcity, month);
CREATE INDEX case_city_d ON stats.case_city (dcity, month);
CREATE INDEX days_city_r ON stats.days_city (rcity, month);
CREATE INDEX days_city_d ON stats.days_city (dcity, month);
CREATE INDEX days_city_empty ON stats.days_city (month) WHERE n = 0;

-- the view over r_other's table, again without it
CREATE VIEW stats.case_agency_all AS
  SELECT * FROM stats.case_agency
  UNION ALL
  SELECT d.month, d.ragency, d.received, d.cross_received, 0, 0, 0, 0, 0, 0
    FROM stats.case_delta d
  UNION ALL
  SELECT d.month, d.dagency, 0, 0, d.received, d.cross_received,
         CASE WHEN d.dagency <> d.ragency THEN d.received ELSE 0 END, d.registered, d.rejected, d.late
    FROM stats.case_delta d;
CREATE VIEW stats.case_city_all AS
  SELECT * FROM stats.case_city
  UNION ALL
  SELECT month, business_type, stats.city(ragency), stats.city(dagency), received, cross_received, supplemented,
         withdrawn, decided, registered, rejected, late
    FROM stats.case_delta;
CREATE VIEW stats.days_city_all AS
  SELECT * FROM stats.days_city
  UNION ALL
  SELECT month, business_type, stats.city(ragency), stats.city(dagency), days, n FROM stats.days_delta;

CREATE OR REPLACE FUNCTION stats.fold() RETURNS bigint
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
    SELECT x.month, x.agency, sum(x.r_received), sum(x.r_cross), sum(x.d_received), sum(x.d_cross),
           sum(x.d_other), sum(x.registered), sum(x.rejected), sum(x.late)
      FROM (SELECT d.month, d.ragency AS agency, d.received AS r_received, d.cross_received AS r_cross,
                   0 AS d_received, 0 AS d_cross, 0 AS d_other, 0 AS registered, 0 AS rejected, 0 AS late FROM d
            UNION ALL
            SELECT d.month, d.dagency, 0, 0, d.received, d.cross_received,
                   CASE WHEN d.dagency <> d.ragency THEN d.received ELSE 0 END, d.registered, d.rejected, d.late
              FROM d) x
     GROUP BY 1, 2
    ON CONFLICT (month, agency) DO UPDATE SET
      r_received = s.r_received + excluded.r_received, r_cross = s.r_cross + excluded.r_cross,
      d_received = s.d_received + excluded.d_received,
      d_cross = s.d_cross + excluded.d_cross, d_other = s.d_other + excluded.d_other,
      registered = s.registered + excluded.registered, rejected = s.rejected + excluded.rejected,
      late = s.late + excluded.late
    RETURNING 1), c AS (
    INSERT INTO stats.case_city AS s
    SELECT d.month, d.business_type, stats.city(d.ragency), stats.city(d.dagency), sum(received), sum(cross_received),
           sum(supplemented), sum(withdrawn), sum(decided), sum(registered), sum(rejected), sum(late)
      FROM d GROUP BY 1, 2, 3, 4
    ON CONFLICT (month, business_type, rcity, dcity) DO UPDATE SET
      received = s.received + excluded.received, cross_received = s.cross_received + excluded.cross_received,
      supplemented = s.supplemented + excluded.supplemented, withdrawn = s.withdrawn + excluded.withdrawn,
      decided = s.decided + excluded.decided, registered = s.registered + excluded.registered,
      rejected = s.rejected + excluded.rejected, late = s.late + excluded.late
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
    RETURNING 1), c AS (
    INSERT INTO stats.days_city AS s
    SELECT d.month, d.business_type, stats.city(d.ragency), stats.city(d.dagency), d.days, sum(d.n)
      FROM d GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT (month, business_type, rcity, dcity, days) DO UPDATE SET n = s.n + excluded.n
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
    DELETE FROM stats.days_city h WHERE h.n = 0;
  END IF;
  RETURN folded;
END $$;

CREATE OR REPLACE FUNCTION stats.rebuild() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, stats, cases, qry AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('stats.fold'));
  LOCK TABLE stats.case_delta, stats.days_delta, stats.fee_delta, stats.query_delta IN EXCLUSIVE MODE;
  TRUNCATE stats.case_delta, stats.days_delta, stats.fee_delta, stats.query_delta,
           stats.case_month, stats.days_hist, stats.fee_month, stats.query_month,
           stats.case_region, stats.days_region, stats.days_pair, stats.case_agency, stats.days_agency,
           stats.case_city, stats.days_city;

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
  SELECT month, agency, sum(r_received), sum(r_cross), sum(d_received), sum(d_cross), sum(d_other),
         sum(registered), sum(rejected), sum(late)
    FROM (SELECT m.month, m.ragency AS agency, m.received AS r_received, m.cross_received AS r_cross,
                 0 AS d_received, 0 AS d_cross, 0 AS d_other, 0 AS registered, 0 AS rejected, 0 AS late
            FROM stats.case_month m
          UNION ALL
          SELECT m.month, m.dagency, 0, 0, m.received, m.cross_received,
                 CASE WHEN m.dagency <> m.ragency THEN m.received ELSE 0 END, m.registered, m.rejected, m.late
            FROM stats.case_month m) x
   GROUP BY 1, 2;
  INSERT INTO stats.case_city
  SELECT month, business_type, stats.city(ragency), stats.city(dagency), sum(received), sum(cross_received),
         sum(supplemented), sum(withdrawn), sum(decided), sum(registered), sum(rejected), sum(late)
    FROM stats.case_month GROUP BY 1, 2, 3, 4;
  INSERT INTO stats.days_city
  SELECT month, business_type, stats.city(ragency), stats.city(dagency), days, sum(n)
    FROM stats.days_hist GROUP BY 1, 2, 3, 4, 5;

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

-- ---- the readers: a city's agencies read the city roll-ups ----

CREATE OR REPLACE FUNCTION stats.quantiles(ags text[], f date, t date)
RETURNS TABLE (month date, business_type text, days integer, n numeric)
LANGUAGE sql STABLE AS $$
  SELECT h.month, h.business_type, h.days, sum(h.n)
    FROM stats.days_region_all h
   WHERE ags IS NULL AND h.month BETWEEN f AND t
   GROUP BY 1, 2, 3
  UNION ALL
  SELECT h.month, h.business_type, h.days, sum(h.n)
    FROM stats.days_all h
   WHERE ags IS NOT NULL AND (SELECT stats.city_set(ags)) IS NULL AND h.month BETWEEN f AND t
     AND (h.ragency = ANY (ags) OR h.dagency = ANY (ags))
   GROUP BY 1, 2, 3
  UNION ALL
  SELECT h.month, h.business_type, h.days, sum(h.n)
    FROM stats.days_city_all h
   WHERE (SELECT stats.city_set(ags)) IS NOT NULL AND h.month BETWEEN f AND t
     AND (h.rcity = (SELECT stats.city_set(ags)) OR h.dcity = (SELECT stats.city_set(ags)))
   GROUP BY 1, 2, 3
$$;

CREATE OR REPLACE FUNCTION stats.month_days(ags text[], f date, t date)
RETURNS TABLE (month date, days integer, n numeric)
LANGUAGE sql STABLE AS $$
  SELECT h.month, h.days, sum(h.n)
    FROM stats.days_region_all h
   WHERE ags IS NULL AND h.month BETWEEN f AND t
   GROUP BY 1, 2
  UNION ALL
  SELECT h.month, h.days, sum(h.n)
    FROM stats.days_pair_all h
   WHERE ags IS NOT NULL AND (SELECT stats.city_set(ags)) IS NULL AND h.month BETWEEN f AND t
     AND (h.ragency = ANY (ags) OR h.dagency = ANY (ags))
   GROUP BY 1, 2
  UNION ALL
  SELECT h.month, h.days, sum(h.n)
    FROM stats.days_city_all h
   WHERE (SELECT stats.city_set(ags)) IS NOT NULL AND h.month BETWEEN f AND t
     AND (h.rcity = (SELECT stats.city_set(ags)) OR h.dcity = (SELECT stats.city_set(ags)))
   GROUP BY 1, 2
$$;

CREATE OR REPLACE FUNCTION stats.case_sums(ags text[], f date, t date)
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
   WHERE ags IS NOT NULL AND (SELECT stats.city_set(ags)) IS NULL AND s.month BETWEEN f AND t
     AND (s.ragency = ANY (ags) OR s.dagency = ANY (ags))
   GROUP BY 1, 2
  UNION ALL
  SELECT s.month, s.business_type, sum(s.received), sum(s.cross_received), sum(s.supplemented), sum(s.withdrawn),
         sum(s.decided), sum(s.registered), sum(s.rejected), sum(s.late)
    FROM stats.case_city_all s
   WHERE (SELECT stats.city_set(ags)) IS NOT NULL AND s.month BETWEEN f AND t
     AND (s.rcity = (SELECT stats.city_set(ags)) OR s.dcity = (SELECT stats.city_set(ags)))
   GROUP BY 1, 2
$$;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA stats FROM PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA stats TO tb_admin;
REVOKE EXECUTE ON FUNCTION stats.rebuild(), stats.calendar_moved(date[], integer[]) FROM tb_admin;
GRANT SELECT ON ALL TABLES IN SCHEMA stats TO tb_admin;

-- fill the city roll-ups from the summaries as they are (the deltas not yet
-- folded are read by the views and folded into both later)
INSERT INTO stats.case_city
SELECT month, business_type, stats.city(ragency), stats.city(dagency), sum(received), sum(cross_received),
       sum(supplemented), sum(withdrawn), sum(decided), sum(registered), sum(rejected), sum(late)
  FROM stats.case_month GROUP BY 1, 2, 3, 4;
INSERT INTO stats.days_city
SELECT month, business_type, stats.city(ragency), stats.city(dagency), days, sum(n)
  FROM stats.days_hist GROUP BY 1, 2, 3, 4, 5;
