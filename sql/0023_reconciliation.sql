-- Reconciliation (README, "Reconciliation (对账)"): the provider's daily
-- trade bill imported as parsed rows, compared with the orders the
-- notifications paid, and an order the provider shows paid without a
-- notification settled from the bill — through pay.settle, by a second
-- person: whoever imported a bill does not settle from it.
INSERT INTO iam.permission VALUES ('payment.reconcile', 'Import payment statements and reconcile (对账)');
INSERT INTO iam.role_permission VALUES ('cashier', 'payment.reconcile'), ('jurisdiction_admin', 'payment.reconcile');

-- One bill per provider and day (Beijing). rows/amount_fen: its summary,
-- checked against its rows at import. A re-import of the same bytes
-- changes nothing; other bytes replace the rows while no order was
-- settled from the bill, and are refused after.
CREATE TABLE pay.statement (
  provider    text NOT NULL CHECK (provider ~ '^[a-z_]{1,32}$'),
  bill_date   date NOT NULL,
  imported_at timestamptz NOT NULL,
  imported_by bigint NOT NULL REFERENCES iam.user (id),
  sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  rows        integer NOT NULL CHECK (rows >= 0),
  amount_fen  bigint NOT NULL CHECK (amount_fen >= 0),
  PRIMARY KEY (provider, bill_date)
);

-- The bill's rows as the parser read them (domain/statement.c): seq is the
-- row's place in the bill. A refund row shares its order's number, so only
-- the paid rows (SUCCESS) are unique per order and day.
CREATE TABLE pay.statement_line (
  provider       text NOT NULL,
  bill_date      date NOT NULL,
  seq            integer NOT NULL CHECK (seq >= 1),
  trade_time     timestamptz NOT NULL,
  appid          text NOT NULL CHECK (length(appid) BETWEEN 1 AND 32),
  mchid          text NOT NULL CHECK (mchid ~ '^[0-9]{1,32}$'),
  transaction_id text NOT NULL CHECK (transaction_id ~ '^[0-9]{1,32}$'),
  out_trade_no   text NOT NULL CHECK (out_trade_no ~ '^[0-9A-Za-z_|*@-]{1,32}$'),
  trade_state    text NOT NULL CHECK (trade_state ~ '^[A-Z_]{1,16}$'),
  amount_fen     bigint NOT NULL CHECK (amount_fen >= 0),
  refund_fen     bigint NOT NULL CHECK (refund_fen >= 0),
  PRIMARY KEY (provider, bill_date, seq),
  FOREIGN KEY (provider, bill_date) REFERENCES pay.statement (provider, bill_date) ON DELETE CASCADE
);
CREATE UNIQUE INDEX statement_line_paid ON pay.statement_line (provider, bill_date, out_trade_no)
  WHERE trade_state = 'SUCCESS';
CREATE INDEX statement_line_order ON pay.statement_line (out_trade_no);

-- Orders settled from a bill: at most once each (the order's own state
-- says so too); the bill they were settled from is fixed from then on.
CREATE TABLE pay.statement_settlement (
  order_id       bigint PRIMARY KEY REFERENCES pay.order (id),
  provider       text NOT NULL,
  bill_date      date NOT NULL,
  transaction_id text NOT NULL,
  amount_fen     bigint NOT NULL,
  settled_by     bigint NOT NULL REFERENCES iam.user (id),
  settled_at     timestamptz NOT NULL,
  reason         text NOT NULL CHECK (length(reason) BETWEEN 2 AND 200),
  voucher        text,
  FOREIGN KEY (provider, bill_date) REFERENCES pay.statement (provider, bill_date)
);
CREATE INDEX statement_settlement_bill ON pay.statement_settlement (provider, bill_date);

-- intake reads the bills and orders for the report; writes only through
-- the functions below
GRANT SELECT ON pay.statement, pay.statement_line, pay.statement_settlement TO tb_intake;
-- the time of day an order was paid is compared in Beijing time
CREATE INDEX order_paid_day ON pay.order (provider, ((paid_at AT TIME ZONE 'Asia/Shanghai')::date))
  WHERE state = 'paid';

-- Import a parsed bill: the rows come as parallel arrays (one element per
-- row, in the bill's order). The bill's row is locked, so two imports of
-- one day queue. outcome: 'new', 'same' (the same bytes again: nothing
-- changed), 'replaced' (old_sha256 and old imported_by set), 'settled'
-- (other bytes for a bill an order was settled from: refused, nothing
-- changed), 'duplicate_order' (two paid rows for one order: refused).
CREATE FUNCTION pay.statement_import(p_provider text, p_date date, p_sha256 text, p_actor bigint,
                                     p_now timestamptz, p_rows integer, p_amount_fen bigint,
                                     p_trade_time text[], p_appid text[], p_mchid text[], p_transaction_id text[],
                                     p_out_trade_no text[], p_trade_state text[], p_amount bigint[],
                                     p_refund bigint[])
RETURNS TABLE (outcome text, old_sha256 text, old_imported_by bigint, lines integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pay AS $$
DECLARE
  s pay.statement;
BEGIN
  -- the first import of a day inserts the row; a concurrent first import
  -- waits on its key and then finds it
  INSERT INTO pay.statement (provider, bill_date, imported_at, imported_by, sha256, rows, amount_fen)
  VALUES (p_provider, p_date, p_now, p_actor, p_sha256, p_rows, p_amount_fen)
  ON CONFLICT (provider, bill_date) DO NOTHING;
  IF FOUND THEN
    s := NULL;
  ELSE
    SELECT * INTO s FROM pay.statement x WHERE x.provider = p_provider AND x.bill_date = p_date FOR UPDATE;
    IF s.sha256 = p_sha256 THEN
      RETURN QUERY SELECT 'same'::text, s.sha256, s.imported_by, s.rows;
      RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM pay.statement_settlement x WHERE x.provider = p_provider AND x.bill_date = p_date) THEN
      RETURN QUERY SELECT 'settled'::text, s.sha256, s.imported_by, s.rows;
      RETURN;
    END IF;
    DELETE FROM pay.statement_line x WHERE x.provider = p_provider AND x.bill_date = p_date;
    UPDATE pay.statement x SET imported_at = p_now, imported_by = p_actor, sha256 = p_sha256, rows = p_rows,
                               amount_fen = p_amount_fen
     WHERE x.provider = p_provider AND x.bill_date = p_date;
  END IF;
  BEGIN
    INSERT INTO pay.statement_line (provider, bill_date, seq, trade_time, appid, mchid, transaction_id, out_trade_no,
                                    trade_state, amount_fen, refund_fen)
    SELECT p_provider, p_date, u.ord::integer, (u.t || '+08')::timestamptz, u.a, u.m, u.x, u.o, u.st, u.amt, u.ref
      FROM unnest(p_trade_time, p_appid, p_mchid, p_transaction_id, p_out_trade_no, p_trade_state, p_amount, p_refund)
           WITH ORDINALITY AS u (t, a, m, x, o, st, amt, ref, ord);
  EXCEPTION WHEN unique_violation THEN
    -- the caller rolls the whole transaction back
    RETURN QUERY SELECT 'duplicate_order'::text, NULL::text, NULL::bigint, 0;
    RETURN;
  END;
  RETURN QUERY SELECT CASE WHEN s.sha256 IS NULL THEN 'new' ELSE 'replaced' END, s.sha256, s.imported_by, p_rows;
END
$$;

-- Settle an order from an imported bill (an order paid at the provider
-- whose notification never came): the bill's paid row for it is locked,
-- then pay.settle does what a notification would (order paid, case paid,
-- voucher, event, audit row of the provider's payment, outbox, inbox
-- note); the case event then names who settled it, from which bill and
-- why. outcome: pay.settle's ('paid', or a refusal: order_conflict, …),
-- or 'not_in_statement' (no imported bill shows it paid), 'amount_mismatch'
-- (the bill's amount is not the order's), 'already_paid', 'importer' (the
-- actor imported that bill: two people), 'unknown_order'.
CREATE FUNCTION pay.statement_settle(p_provider text, p_out_trade_no text, p_actor bigint, p_agency text,
                                     p_reason text, p_now timestamptz, p_request_id text, p_client_addr text)
RETURNS TABLE (outcome text, case_id bigint, voucher text, bill_date date, transaction_id text, amount_fen bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pay, cases AS $$
DECLARE
  o pay.order;
  l record;
  r record;
BEGIN
  -- the order row first (as pay.settle takes it): a second settle of the
  -- same order waits here and then finds it paid
  SELECT * INTO o FROM pay.order x WHERE x.out_trade_no = p_out_trade_no AND x.provider = p_provider FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'unknown_order'::text, NULL::bigint, NULL::text, NULL::date, NULL::text, NULL::bigint;
    RETURN;
  END IF;
  -- the bill's row, and its bill, stay as they are until this commits
  SELECT x.bill_date, x.transaction_id, x.amount_fen, x.trade_time, st.imported_by INTO l
    FROM pay.statement_line x JOIN pay.statement st ON st.provider = x.provider AND st.bill_date = x.bill_date
   WHERE x.provider = p_provider AND x.out_trade_no = p_out_trade_no AND x.trade_state = 'SUCCESS'
   ORDER BY x.bill_date DESC LIMIT 1 FOR SHARE OF st;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not_in_statement'::text, o.case_id, NULL::text, NULL::date, NULL::text, NULL::bigint;
    RETURN;
  END IF;
  IF o.state = 'paid' OR EXISTS (SELECT 1 FROM pay.statement_settlement x WHERE x.order_id = o.id) THEN
    RETURN QUERY SELECT 'already_paid'::text, o.case_id, NULL::text, l.bill_date, l.transaction_id, l.amount_fen;
    RETURN;
  END IF;
  IF l.amount_fen <> o.amount_fen THEN
    RETURN QUERY SELECT 'amount_mismatch'::text, o.case_id, NULL::text, l.bill_date, l.transaction_id, l.amount_fen;
    RETURN;
  END IF;
  IF l.imported_by = p_actor THEN
    RETURN QUERY SELECT 'importer'::text, o.case_id, NULL::text, l.bill_date, l.transaction_id, l.amount_fen;
    RETURN;
  END IF;
  SELECT * INTO r FROM pay.settle(p_out_trade_no, l.transaction_id, l.amount_fen, l.trade_time,
                                  'statement:' || l.bill_date::text, NULL, p_request_id, p_client_addr);
  IF r.outcome <> 'paid' THEN
    RETURN QUERY SELECT r.outcome, o.case_id, NULL::text, l.bill_date, l.transaction_id, l.amount_fen;
    RETURN;
  END IF;
  INSERT INTO pay.statement_settlement (order_id, provider, bill_date, transaction_id, amount_fen, settled_by,
                                        settled_at, reason, voucher)
  VALUES (o.id, p_provider, l.bill_date, l.transaction_id, l.amount_fen, p_actor, p_now, p_reason, r.voucher);
  -- the payment event pay.settle wrote (when the case moved) names the source
  UPDATE cases.event e SET actor_id = p_actor, agency_code = p_agency,
         details = e.details || jsonb_build_object('source', 'statement', 'statement_date', l.bill_date::text,
                                                   'reason', p_reason)
   WHERE e.id = (SELECT max(y.id) FROM cases.event y WHERE y.case_id = o.case_id AND y.action = 'record_payment'
                 AND y.details ->> 'out_trade_no' = p_out_trade_no);
  RETURN QUERY SELECT 'paid'::text, o.case_id, r.voucher, l.bill_date, l.transaction_id, l.amount_fen;
END
$$;

REVOKE EXECUTE ON FUNCTION pay.statement_import(text, date, text, bigint, timestamptz, integer, bigint, text[],
  text[], text[], text[], text[], text[], bigint[], bigint[]),
  pay.statement_settle(text, text, bigint, text, text, timestamptz, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pay.statement_import(text, date, text, bigint, timestamptz, integer, bigint, text[],
  text[], text[], text[], text[], text[], bigint[], bigint[]),
  pay.statement_settle(text, text, bigint, text, text, timestamptz, text, text) TO tb_intake;
