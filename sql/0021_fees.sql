-- Fees as rules (不动产登记费, 发改价格规〔2016〕2559号). The amounts are
-- data; which business types pay half or nothing stays
-- cases.business_type.fee_rule; the computation is fcgi/domain/fees.c. The
-- intake worker refuses to start without a standard the rules need, and
-- reads the table where a case is charged (a changed amount charges the
-- next registration).
CREATE TABLE cases.fee_standard (
  code       text PRIMARY KEY CHECK (code ~ '^[a-z_]{1,32}$'),
  name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 40),
  amount_fen bigint NOT NULL CHECK (amount_fen BETWEEN 0 AND 100000000)
);
INSERT INTO cases.fee_standard (code, name, amount_fen) VALUES
  ('reg_residential', '住宅登记费', 8000),
  ('reg_non_residential', '非住宅登记费', 55000),
  ('reg_parking', '车库、车位、储藏室登记费', 8000),
  ('cert_extra', '不动产权证书工本费', 1000);
GRANT SELECT ON cases.fee_standard TO tb_intake, tb_query, tb_admin;

-- Each item says by which standard (rule; NULL for one a cashier added)
-- and why (basis); a cashier's waiver or addition carries a reason and who
-- made it. New rows only: items set by hand before these rules had none.
ALTER TABLE cases.fee_item
  ADD COLUMN rule        text REFERENCES cases.fee_standard (code),
  ADD COLUMN basis       text CHECK (length(basis) BETWEEN 1 AND 200),
  ADD COLUMN waived      boolean NOT NULL DEFAULT false,
  ADD COLUMN reason      text CHECK (length(reason) BETWEEN 2 AND 200),
  ADD COLUMN adjusted_by bigint REFERENCES iam.user (id),
  ADD CONSTRAINT fee_item_reason_for_hand CHECK ((rule IS NOT NULL AND NOT waived) OR
                                                 (reason IS NOT NULL AND adjusted_by IS NOT NULL)) NOT VALID;
GRANT UPDATE (waived, reason, adjusted_by) ON cases.fee_item TO tb_intake;

-- The evidence a small or micro business's loan is free on (a mortgage
-- case with fields.small_business_loan true cannot be submitted without it).
INSERT INTO cases.document_type (code, name) VALUES ('small_business_proof', '小微企业证明材料');

-- 异议登记 pays half (the standard's 减半), not the full fee 0017 gave it.
UPDATE cases.business_type SET fee_rule = 'half' WHERE code = 'objection.establish';

-- Whether an online payment order of the case is pending and unexpired at
-- the time given: money is then not taken at the window as well. The
-- orders are the payments work's (pay."order", sql/0022); until that table
-- exists no order is open. The statement is fixed text.
CREATE FUNCTION cases.payment_order_open(p_case bigint, p_at timestamptz)
RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
  open boolean;
BEGIN
  IF to_regclass('pay."order"') IS NULL THEN
    RETURN false;
  END IF;
  EXECUTE 'SELECT EXISTS (SELECT 1 FROM pay."order" WHERE case_id = $1 AND state = ''pending'' AND expires_at > $2)'
    INTO open USING p_case, p_at;
  RETURN open;
END $$;
REVOKE EXECUTE ON FUNCTION cases.payment_order_open(bigint, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cases.payment_order_open(bigint, timestamptz) TO tb_intake;
