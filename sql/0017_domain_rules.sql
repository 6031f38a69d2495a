-- The domain's rules in SQL where statements need them, agreeing with the C
-- domain (fcgi/domain/): the workflow's state classes, and the restrictions
-- a court or an objector records — seizure (查封) with its wait-list (轮候),
-- its release (解封), objection (异议) and its cancellation — as business
-- types (data) that the registration rules of fcgi/domain/registry.c serve.

-- The state classes of fcgi/domain/workflow.c. The intake worker refuses to
-- start unless both functions answer as the C list does for every state of
-- cases.transition.
CREATE FUNCTION cases.state_class(state text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN state = 'draft' THEN 'draft'
    WHEN state IN ('submitted', 'accepted', 'supplement_requested', 'approved') THEN 'pending'
    WHEN state IN ('registered', 'fees_set', 'paid', 'issued', 'delivered') THEN 'done'
    WHEN state IN ('closed', 'rejected', 'withdrawn') THEN 'terminal'
  END
$$;
-- Pending cases hold their unit's priority. Written as the list itself (not
-- through state_class) so that, inlined, it is the predicate of the index
-- case_unit_pending and the planner still uses that index.
CREATE FUNCTION cases.state_pending(state text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT state IN ('submitted', 'accepted', 'supplement_requested', 'approved')
$$;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM (SELECT from_state AS s FROM cases.transition UNION SELECT to_state FROM cases.transition) t
             WHERE cases.state_class(s) IS NULL
                OR cases.state_pending(s) IS DISTINCT FROM (cases.state_class(s) = 'pending')) THEN
    RAISE EXCEPTION 'cases.state_class and cases.state_pending disagree on a workflow state';
  END IF;
END $$;
GRANT EXECUTE ON FUNCTION cases.state_class(text), cases.state_pending(text) TO tb_service;

-- Seizure and objection as categories of business types.
ALTER TABLE cases.business_type DROP CONSTRAINT business_type_category_check;
ALTER TABLE cases.business_type ADD CONSTRAINT business_type_category_check
  CHECK (category IN ('pre_notice', 'mortgage', 'ownership', 'seizure', 'objection'));

INSERT INTO cases.document_type (code, name) VALUES
  ('court_ruling', '人民法院裁定书'),
  ('assistance_notice', '协助执行通知书'),
  ('objection_proof', '利害关系证明材料');

INSERT INTO cases.business_type (code, category, action, name, promised_days, fee_rule, required_docs) VALUES
  ('seizure.establish', 'seizure', 'establish', '查封登记', 1, 'free', ARRAY['court_ruling', 'assistance_notice']),
  ('seizure.cancellation', 'seizure', 'cancellation', '解封登记', 1, 'free', ARRAY['court_ruling', 'assistance_notice']),
  ('objection.establish', 'objection', 'establish', '异议登记', 1, 'standard', ARRAY['application', 'identity', 'objection_proof']),
  ('objection.cancellation', 'objection', 'cancellation', '异议注销登记', 1, 'free', ARRAY['application', 'identity']);

-- A seizure registered while another is in force waits (轮候) behind it,
-- ranked in order; it takes effect when every seizure ranked before it is
-- released (effective_from then). NULL effective_from: in effect since
-- valid_from.
ALTER TABLE reg.entry
  ADD COLUMN waiting boolean NOT NULL DEFAULT false,
  ADD COLUMN effective_from timestamptz,
  ADD CONSTRAINT entry_waiting_seizure CHECK (NOT waiting OR kind = 'seizure'),
  ADD CONSTRAINT entry_effective_after CHECK (effective_from IS NULL OR effective_from >= valid_from);
CREATE UNIQUE INDEX entry_seizure_rank ON reg.entry (unit_code, rank)
  WHERE kind = 'seizure' AND valid_to IS NULL AND rank IS NOT NULL;
-- the intake service writes them at 登簿 (column grants, as 0013 gave the others)
GRANT INSERT (waiting, effective_from), UPDATE (waiting, effective_from) ON reg.entry TO tb_intake;
