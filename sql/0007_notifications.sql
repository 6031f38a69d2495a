-- Agency inboxes: a transition that hands work to the other side leaves a
-- note for that side's agency.
CREATE TABLE cases.notification (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  agency_code text NOT NULL REFERENCES iam.agency (code),
  case_id     bigint NOT NULL REFERENCES cases.case (id),
  kind        text NOT NULL,
  message     text NOT NULL,
  created_at  timestamptz NOT NULL,
  read_at     timestamptz,
  read_by     bigint REFERENCES iam.user (id)
);
CREATE INDEX notification_inbox ON cases.notification (agency_code, id) WHERE read_at IS NULL;
CREATE INDEX case_due ON cases.case (due_date) WHERE state NOT IN ('closed', 'withdrawn', 'rejected');
GRANT SELECT, INSERT ON cases.notification TO tb_intake;
GRANT UPDATE (read_at, read_by) ON cases.notification TO tb_intake;
