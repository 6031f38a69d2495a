-- Online payment (README, "Payments"): an order per case for its unpaid
-- total at the provider (the native-pay code_url model), every delivery
-- of the provider's signed notification logged, nonces remembered, and the
-- voucher (缴费凭证) a paid order leaves for the deciding agency.
--
-- The whole paid transaction is one SQL function, pay.settle, so the
-- public service and pgbench run exactly the same statements, and the
-- services reach the tables only through functions (the public service
-- cannot read cases at all).
CREATE SCHEMA pay;
GRANT USAGE ON SCHEMA pay TO tb_service;

CREATE SEQUENCE pay.order_no;
CREATE SEQUENCE pay.voucher_no;

CREATE TABLE pay.order (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id        bigint NOT NULL REFERENCES cases.case (id),
  -- the merchant order number: TB + the Beijing date + 10 digits
  out_trade_no   text NOT NULL UNIQUE CHECK (out_trade_no ~ '^TB[0-9]{8}[0-9]{10}$'),
  provider       text NOT NULL CHECK (provider ~ '^[a-z_]{1,32}$'),
  amount_fen     bigint NOT NULL CHECK (amount_fen > 0),
  -- NULL only inside the transaction that opens the order at the provider
  code_url       text CHECK (length(code_url) BETWEEN 1 AND 512),
  state          text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'paid', 'expired', 'closed')),
  created_at     timestamptz NOT NULL,
  expires_at     timestamptz NOT NULL,
  paid_at        timestamptz,
  transaction_id text UNIQUE CHECK (length(transaction_id) BETWEEN 1 AND 64),
  CHECK ((state = 'paid') = (paid_at IS NOT NULL AND transaction_id IS NOT NULL)),
  CHECK (expires_at > created_at)
);
-- at most one pending order per case, whoever opens it
CREATE UNIQUE INDEX order_one_pending ON pay.order (case_id) WHERE state = 'pending';
CREATE INDEX order_case ON pay.order (case_id, id);

-- Every delivery of a notification, accepted or not.
CREATE TABLE pay.notification (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  received_at    timestamptz NOT NULL DEFAULT now(),
  notify_id      text,
  nonce          text,
  verdict        text NOT NULL,
  out_trade_no   text,
  transaction_id text,
  effect         text NOT NULL CHECK (effect IN ('paid', 'duplicate', 'refused')),
  request_id     text
);
CREATE INDEX notification_order ON pay.notification (out_trade_no, id);

-- Nonces of verified notifications: a replay within the timestamp window
-- (5 minutes) is refused; rows older than 10 minutes are pruned as calls go.
CREATE TABLE pay.nonce (
  nonce   text PRIMARY KEY CHECK (length(nonce) BETWEEN 1 AND 64),
  seen_at timestamptz NOT NULL
);
CREATE INDEX nonce_seen ON pay.nonce (seen_at);

-- The payment voucher (缴费凭证): one per case, pushed to the deciding
-- agency's inbox when the order is paid. items: the case's fee items as
-- they stood when paid.
CREATE TABLE pay.voucher (
  case_id        bigint PRIMARY KEY REFERENCES cases.case (id),
  number         text NOT NULL UNIQUE CHECK (number ~ '^PZ[0-9]{8}[0-9]{8}$'),
  order_id       bigint NOT NULL UNIQUE REFERENCES pay.order (id),
  out_trade_no   text NOT NULL,
  transaction_id text NOT NULL,
  provider       text NOT NULL,
  amount_fen     bigint NOT NULL CHECK (amount_fen > 0),
  paid_at        timestamptz NOT NULL,
  items          jsonb NOT NULL
);

GRANT SELECT ON pay.order, pay.voucher TO tb_intake;

-- Whether a case has an online order the applicant may still pay (the
-- window's cash payment waits for it: record_payment's payment_order_open).
CREATE FUNCTION pay.order_open(p_case_id bigint) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pay AS $$
  SELECT EXISTS (SELECT 1 FROM pay.order o WHERE o.case_id = p_case_id AND o.state = 'pending'
                 AND o.expires_at > now())
$$;

-- Open (or find) the case's order: the case row is locked, so two callers
-- queue and the second finds the first's order. outcome: 'live' (a pending
-- order not yet expired: returned), 'new' (inserted without code_url: the
-- caller asks the provider for it, stores it with pay.order_attach and
-- commits, or rolls back), 'not_due' (the case's total is 0), 'invalid_state'
-- (not fees_set), 'not_found'. A pending order past its expiry is marked
-- expired on the way.
CREATE FUNCTION pay.order_begin(p_case_id bigint, p_provider text, p_now timestamptz)
RETURNS TABLE (outcome text, out_trade_no text, amount_fen bigint, code_url text, expires_at timestamptz,
               case_number text, case_state text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pay, cases AS $$
DECLARE
  c record;
  o pay.order;
  no text;
BEGIN
  SELECT x.id, x.number, x.state, x.fee_total_fen INTO c FROM cases.case x WHERE x.id = p_case_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not_found'::text, NULL::text, NULL::bigint, NULL::text, NULL::timestamptz, NULL::text,
      NULL::text;
    RETURN;
  END IF;
  IF c.state <> 'fees_set' THEN
    RETURN QUERY SELECT 'invalid_state'::text, NULL::text, NULL::bigint, NULL::text, NULL::timestamptz, c.number,
      c.state;
    RETURN;
  END IF;
  IF coalesce(c.fee_total_fen, 0) <= 0 THEN
    RETURN QUERY SELECT 'not_due'::text, NULL::text, 0::bigint, NULL::text, NULL::timestamptz, c.number, c.state;
    RETURN;
  END IF;
  UPDATE pay.order x SET state = 'expired'
   WHERE x.case_id = p_case_id AND x.state = 'pending' AND x.expires_at <= p_now;
  SELECT * INTO o FROM pay.order x WHERE x.case_id = p_case_id AND x.state = 'pending';
  IF FOUND AND o.amount_fen = c.fee_total_fen THEN
    RETURN QUERY SELECT 'live'::text, o.out_trade_no, o.amount_fen, o.code_url, o.expires_at, c.number, c.state;
    RETURN;
  END IF;
  -- a pending order for another amount (never, while fees are set once)
  UPDATE pay.order x SET state = 'closed' WHERE x.case_id = p_case_id AND x.state = 'pending';
  no := 'TB' || to_char(p_now AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')
        || lpad((nextval('pay.order_no') % 10000000000)::text, 10, '0');
  INSERT INTO pay.order (case_id, out_trade_no, provider, amount_fen, created_at, expires_at)
  VALUES (p_case_id, no, p_provider, c.fee_total_fen, p_now, p_now + interval '2 hours')
  RETURNING * INTO o;
  RETURN QUERY SELECT 'new'::text, o.out_trade_no, o.amount_fen, NULL::text, o.expires_at, c.number, c.state;
END
$$;

-- The provider's pay URL for an order opened in this transaction.
CREATE FUNCTION pay.order_attach(p_out_trade_no text, p_code_url text) RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pay AS $$
  UPDATE pay.order SET code_url = p_code_url
   WHERE out_trade_no = p_out_trade_no AND state = 'pending' AND code_url IS NULL
  RETURNING true
$$;

-- The applicant's proof: the case number and the keyed hash of the last
-- six characters of a party's ID number (parties.c), with the lock on
-- wrong guesses per number string. Shared by the progress lookup and the
-- payment lookup, so both count against the same lock. outcome 'ok' (with
-- the case id), 'wrong' or 'locked' (with retry_after seconds).
CREATE FUNCTION cases.progress_check(p_number text, p_key text, p_now timestamptz)
RETURNS TABLE (outcome text, retry_after integer, case_id bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, cases AS $$
DECLARE
  win constant interval := interval '1 hour';
  max_wrong constant integer := 5;
  a cases.progress_attempt;
  cid bigint;
BEGIN
  -- a few expired counters go with every call: the table stays small
  DELETE FROM cases.progress_attempt WHERE number IN
    (SELECT x.number FROM cases.progress_attempt x WHERE x.window_start <= p_now - win LIMIT 4);
  -- the counter row stays locked until the end: guesses at one number queue
  INSERT INTO cases.progress_attempt AS t (number, window_start, failures) VALUES (p_number, p_now, 0)
  ON CONFLICT (number) DO UPDATE SET
    window_start = CASE WHEN t.window_start + win <= p_now THEN p_now ELSE t.window_start END,
    failures = CASE WHEN t.window_start + win <= p_now THEN 0 ELSE t.failures END
  RETURNING t.* INTO a;
  IF a.failures >= max_wrong THEN
    RETURN QUERY SELECT 'locked'::text,
      greatest(1, ceil(extract(epoch FROM a.window_start + win - p_now)))::integer, NULL::bigint;
    RETURN;
  END IF;
  SELECT p.case_id INTO cid FROM cases.party p JOIN cases.case c ON c.id = p.case_id
   WHERE p.progress_key = p_key AND c.number = p_number LIMIT 1;
  IF cid IS NULL THEN
    UPDATE cases.progress_attempt SET failures = failures + 1 WHERE number = p_number;
    RETURN QUERY SELECT 'wrong'::text, NULL::integer, NULL::bigint;
    RETURN;
  END IF;
  RETURN QUERY SELECT 'ok'::text, NULL::integer, cid;
END
$$;
REVOKE EXECUTE ON FUNCTION cases.progress_check(text, text, timestamptz) FROM PUBLIC;

-- The progress lookup on the shared check; otherwise as in 0015.
CREATE OR REPLACE FUNCTION cases.public_progress(p_number text, p_key text, p_now timestamptz)
RETURNS TABLE (kind integer, outcome text, retry_after integer, business_type text, type_name text,
               state text, due_date text, at_us bigint, action text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, cases AS $$
DECLARE
  chk record;
  cid bigint;
BEGIN
  SELECT * INTO chk FROM cases.progress_check(p_number, p_key, p_now);
  IF chk.outcome <> 'ok' THEN
    RETURN QUERY SELECT 0, chk.outcome, chk.retry_after, NULL::text, NULL::text, NULL::text, NULL::text,
      NULL::bigint, NULL::text;
    RETURN;
  END IF;
  cid := chk.case_id;
  RETURN QUERY SELECT 0, 'ok'::text, NULL::integer, c.business_type, bt.name, c.state, c.due_date::text,
      NULL::bigint, NULL::text
    FROM cases.case c JOIN cases.business_type bt ON bt.code = c.business_type WHERE c.id = cid;
  RETURN QUERY SELECT 1, NULL::text, NULL::integer, NULL::text, NULL::text, e.to_state, NULL::text,
      (extract(epoch FROM e.at) * 1000000)::bigint, e.action
    FROM cases.event e WHERE e.case_id = cid ORDER BY e.id;
  RETURN QUERY SELECT 2, NULL::text, NULL::integer, NULL::text, NULL::text, NULL::text, NULL::text,
      NULL::bigint, m.item
    FROM (SELECT e.details FROM cases.event e WHERE e.case_id = cid AND e.action = 'request_supplement'
          ORDER BY e.id DESC LIMIT 1) l
    CROSS JOIN LATERAL jsonb_array_elements_text(
      CASE WHEN jsonb_typeof(l.details -> 'missing') = 'array' THEN l.details -> 'missing' ELSE '[]' END)
      WITH ORDINALITY AS m(item, ord)
    WHERE (SELECT c.state FROM cases.case c WHERE c.id = cid) = 'supplement_requested'
    ORDER BY m.ord;
END
$$;

-- The applicant's payment lookup (public service): the proof checked as
-- for progress (the same lock), then the case's payment state and its
-- latest order. outcome as cases.progress_check's; state 'paid' once the
-- case is past fees_set with a total, 'not_due' when nothing is to pay
-- (yet, or at all), else 'unpaid'.
CREATE FUNCTION pay.public_payment(p_number text, p_key text, p_now timestamptz)
RETURNS TABLE (outcome text, retry_after integer, state text, case_state text, amount_fen bigint,
               order_state text, code_url text, expires_at timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pay, cases AS $$
DECLARE
  chk record;
  c record;
  o pay.order;
BEGIN
  SELECT * INTO chk FROM cases.progress_check(p_number, p_key, p_now);
  IF chk.outcome <> 'ok' THEN
    RETURN QUERY SELECT chk.outcome, chk.retry_after, NULL::text, NULL::text, NULL::bigint, NULL::text,
      NULL::text, NULL::timestamptz;
    RETURN;
  END IF;
  SELECT x.state, x.fee_total_fen INTO c FROM cases.case x WHERE x.id = chk.case_id;
  SELECT * INTO o FROM pay.order x WHERE x.case_id = chk.case_id ORDER BY x.id DESC LIMIT 1;
  RETURN QUERY SELECT 'ok'::text, NULL::integer,
    CASE WHEN c.state = 'fees_set' AND c.fee_total_fen > 0 THEN 'unpaid'
         WHEN EXISTS (SELECT 1 FROM pay.voucher v WHERE v.case_id = chk.case_id)
           OR (c.fee_total_fen > 0 AND EXISTS (SELECT 1 FROM cases.event e WHERE e.case_id = chk.case_id
                                               AND e.action = 'record_payment')) THEN 'paid'
         ELSE 'not_due' END,
    c.state, coalesce(c.fee_total_fen, 0),
    CASE WHEN o.state = 'pending' AND o.expires_at <= p_now THEN 'expired' ELSE o.state END,
    o.code_url, o.expires_at;
END
$$;

-- The public service opens an order for the applicant only with the same
-- proof (checked again, uncounted: it passed a moment ago), never by id.
CREATE FUNCTION pay.public_order_begin(p_number text, p_key text, p_provider text, p_now timestamptz)
RETURNS TABLE (outcome text, out_trade_no text, amount_fen bigint, code_url text, expires_at timestamptz,
               case_number text, case_state text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pay, cases AS $$
DECLARE
  cid bigint;
BEGIN
  SELECT p.case_id INTO cid FROM cases.party p JOIN cases.case c ON c.id = p.case_id
   WHERE p.progress_key = p_key AND c.number = p_number LIMIT 1;
  RETURN QUERY SELECT * FROM pay.order_begin(coalesce(cid, 0), p_provider, p_now);
END
$$;

-- A notification refused before it reached an order (signature, serial,
-- timestamp, body, decryption, merchant, trade state): logged and audited,
-- nothing else.
CREATE FUNCTION pay.refuse(p_verdict text, p_notify_id text, p_nonce text, p_out_trade_no text,
                           p_transaction_id text, p_request_id text, p_client_addr text, p_provider text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pay, audit AS $$
BEGIN
  INSERT INTO pay.notification (notify_id, nonce, verdict, out_trade_no, transaction_id, effect, request_id)
  VALUES (left(p_notify_id, 64), left(p_nonce, 64), p_verdict, left(p_out_trade_no, 64),
          left(p_transaction_id, 64), 'refused', p_request_id);
  INSERT INTO audit.event (at, actor_name, action, object_type, object_id, outcome, request_id, client_addr, details)
  VALUES (now(), 'payment provider ' || coalesce(p_provider, ''), 'payment.notify', 'payment_order',
          left(p_out_trade_no, 64), 'denied', p_request_id, p_client_addr,
          jsonb_strip_nulls(jsonb_build_object('code', p_verdict, 'notify_id', left(p_notify_id, 64),
                                               'transaction_id', left(p_transaction_id, 64))));
END
$$;

-- The paid transaction, for a notification whose signature, timestamp,
-- decryption, merchant and trade state the caller has checked: the nonce
-- unused, the order known, the amount equal; then the order paid, the case
-- fees_set -> paid (version bump), the voucher, the case event, the audit
-- row, the outbox message and the deciding agency's inbox note. Idempotent
-- on the transaction id: the case's row and the order's are locked first, so
-- concurrent deliveries queue on them and all but the first find the order
-- paid ('duplicate').
-- A replayed nonce queues on the nonce's primary key and is refused.
-- outcome: paid | duplicate (success, no effect) | nonce_reused |
-- unknown_order | amount_mismatch | order_conflict (paid under another
-- transaction id, or that id paid another order) — refusals are logged in
-- pay.notification and audited, and change nothing else.
CREATE FUNCTION pay.settle(p_out_trade_no text, p_transaction_id text, p_total_fen bigint,
                           p_success_time timestamptz, p_notify_id text, p_nonce text,
                           p_request_id text DEFAULT NULL, p_client_addr text DEFAULT NULL)
RETURNS TABLE (outcome text, case_id bigint, voucher text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pay, cases, audit, outbox AS $$
DECLARE
  o pay.order;
  c record;
  refusal text;
  vno text;
  t_now timestamptz := now();
  t_paid timestamptz := coalesce(p_success_time, now());
  details jsonb;
BEGIN
  -- a few old nonces go with every call (refused by timestamp long since)
  DELETE FROM pay.nonce WHERE nonce IN
    (SELECT n.nonce FROM pay.nonce n WHERE n.seen_at < t_now - interval '10 minutes' LIMIT 4 FOR UPDATE SKIP LOCKED);
  IF p_nonce IS NOT NULL THEN
    INSERT INTO pay.nonce (nonce, seen_at) VALUES (p_nonce, t_now) ON CONFLICT (nonce) DO NOTHING;
    IF NOT FOUND THEN
      refusal := 'nonce_reused';
    END IF;
  END IF;
  IF refusal IS NULL THEN
    -- the case first, then the order: the order of locks pay.order_begin
    -- takes, so a late payment meeting a cashier's new order cannot deadlock
    PERFORM 1 FROM cases.case x WHERE x.id = (SELECT y.case_id FROM pay.order y WHERE y.out_trade_no = p_out_trade_no)
      FOR UPDATE;
    SELECT * INTO o FROM pay.order x WHERE x.out_trade_no = p_out_trade_no FOR UPDATE;
    IF NOT FOUND THEN
      refusal := 'unknown_order';
    ELSIF o.amount_fen <> p_total_fen THEN
      refusal := 'amount_mismatch';
    ELSIF o.state = 'paid' THEN
      IF o.transaction_id = p_transaction_id THEN
        INSERT INTO pay.notification (notify_id, nonce, verdict, out_trade_no, transaction_id, effect, request_id)
        VALUES (p_notify_id, p_nonce, 'ok', p_out_trade_no, p_transaction_id, 'duplicate', p_request_id);
        RETURN QUERY SELECT 'duplicate'::text, o.case_id, (SELECT v.number FROM pay.voucher v WHERE v.order_id = o.id);
        RETURN;
      END IF;
      refusal := 'order_conflict';
    ELSIF EXISTS (SELECT 1 FROM pay.order x WHERE x.transaction_id = p_transaction_id) THEN
      refusal := 'order_conflict';
    END IF;
  END IF;
  IF refusal IS NOT NULL THEN
    INSERT INTO pay.notification (notify_id, nonce, verdict, out_trade_no, transaction_id, effect, request_id)
    VALUES (p_notify_id, p_nonce, refusal, p_out_trade_no, p_transaction_id, 'refused', p_request_id);
    INSERT INTO audit.event (at, actor_name, action, object_type, object_id, outcome, request_id, client_addr,
                             details)
    VALUES (t_now, 'payment provider ' || coalesce(o.provider, ''), 'payment.notify', 'payment_order', p_out_trade_no,
            'denied', p_request_id, p_client_addr,
            jsonb_strip_nulls(jsonb_build_object('code', refusal, 'notify_id', p_notify_id,
                                                 'transaction_id', p_transaction_id, 'total_fen', p_total_fen,
                                                 'amount_fen', o.amount_fen)));
    RETURN QUERY SELECT refusal, o.case_id, NULL::text;
    RETURN;
  END IF;

  -- the money is taken: the order is paid whatever the case's state
  UPDATE pay.order x SET state = 'paid', paid_at = t_paid, transaction_id = p_transaction_id
   WHERE x.id = o.id;
  INSERT INTO pay.notification (notify_id, nonce, verdict, out_trade_no, transaction_id, effect, request_id)
  VALUES (p_notify_id, p_nonce, 'ok', p_out_trade_no, p_transaction_id, 'paid', p_request_id);
  SELECT x.id, x.number, x.state, x.version, x.deciding_agency, x.fee_total_fen INTO c
    FROM cases.case x WHERE x.id = o.case_id FOR UPDATE;
  IF c.state <> 'fees_set' THEN
    -- paid twice (at the window meanwhile, or a second order): the case
    -- stays; the deciding agency hears of it to refund
    details := jsonb_build_object('provider', o.provider, 'transaction_id', p_transaction_id,
                                  'out_trade_no', p_out_trade_no, 'amount_fen', o.amount_fen,
                                  'case_state', c.state, 'refund_due', true);
    INSERT INTO audit.event (at, actor_name, action, object_type, object_id, outcome, request_id, client_addr,
                             details)
    VALUES (t_now, 'payment provider ' || o.provider, 'payment.settle', 'case', c.id::text, 'failure', p_request_id,
            p_client_addr, details);
    INSERT INTO cases.notification (agency_code, case_id, kind, message, created_at)
    VALUES (c.deciding_agency, c.id, 'payment_refund',
            '重复缴费：订单 ' || p_out_trade_no || ' 已在线支付，但案件不在待缴费状态，请核实退款', t_now);
    RETURN QUERY SELECT 'paid'::text, c.id, NULL::text;
    RETURN;
  END IF;
  -- the case's other orders can no longer be paid
  UPDATE pay.order x SET state = 'closed' WHERE x.case_id = c.id AND x.state = 'pending' AND x.id <> o.id;
  UPDATE cases.case x SET state = 'paid', version = x.version + 1, updated_at = t_now WHERE x.id = c.id;
  vno := 'PZ' || to_char(t_paid AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')
         || lpad((nextval('pay.voucher_no') % 100000000)::text, 8, '0');
  INSERT INTO pay.voucher (case_id, number, order_id, out_trade_no, transaction_id, provider, amount_fen, paid_at,
                           items)
  SELECT c.id, vno, o.id, p_out_trade_no, p_transaction_id, o.provider, o.amount_fen, t_paid,
         coalesce(jsonb_agg(to_jsonb(f) - 'case_id' - 'adjusted_by' ORDER BY f.seq), '[]')
    FROM cases.fee_item f WHERE f.case_id = c.id;
  details := jsonb_build_object('provider', o.provider, 'transaction_id', p_transaction_id,
                                'out_trade_no', p_out_trade_no, 'amount_fen', o.amount_fen, 'voucher', vno);
  INSERT INTO cases.event (case_id, at, action, from_state, to_state, details)
  VALUES (c.id, t_now, 'record_payment', 'fees_set', 'paid', details);
  INSERT INTO audit.event (at, actor_name, action, object_type, object_id, outcome, request_id, client_addr, details)
  VALUES (t_now, 'payment provider ' || o.provider, 'case.record_payment', 'case', c.id::text, 'success',
          p_request_id, p_client_addr, details);
  INSERT INTO outbox.message (at, topic, case_id, payload)
  VALUES (t_now, 'case.record_payment', c.id, jsonb_build_object('number', c.number, 'state', 'paid'));
  INSERT INTO cases.notification (agency_code, case_id, kind, message, created_at)
  VALUES (c.deciding_agency, c.id, 'record_payment', '已在线缴费（缴费凭证 ' || vno || '）：请缮证发证', t_now);
  RETURN QUERY SELECT 'paid'::text, c.id, vno;
END
$$;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA pay FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pay.order_open(bigint), pay.order_begin(bigint, text, timestamptz) TO tb_intake;
GRANT EXECUTE ON FUNCTION pay.order_attach(text, text) TO tb_intake, tb_public;
GRANT EXECUTE ON FUNCTION pay.public_payment(text, text, timestamptz),
  pay.public_order_begin(text, text, text, timestamptz),
  pay.refuse(text, text, text, text, text, text, text, text),
  pay.settle(text, text, bigint, timestamptz, text, text, text, text) TO tb_public;
