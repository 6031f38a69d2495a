-- Case attachments: PDF, JPEG or PNG (by their bytes), up to 20 MiB, kept in
-- PostgreSQL with their SHA-256; listed against the type's checklist.
CREATE TABLE cases.attachment (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id       bigint NOT NULL REFERENCES cases.case (id),
  document_type text NOT NULL CHECK (document_type ~ '^[a-z_]{1,40}$'),
  filename      text NOT NULL CHECK (length(filename) BETWEEN 1 AND 200),
  content_type  text NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png')),
  size          integer NOT NULL CHECK (size BETWEEN 1 AND 20971520),
  sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  data          bytea NOT NULL,
  uploaded_by   bigint NOT NULL REFERENCES iam.user (id),
  agency_code   text NOT NULL REFERENCES iam.agency (code),
  uploaded_at   timestamptz NOT NULL
);
CREATE INDEX attachment_case ON cases.attachment (case_id, id);
ALTER TABLE cases.attachment ALTER COLUMN data SET STORAGE EXTERNAL; -- already compressed formats
GRANT SELECT, INSERT ON cases.attachment TO tb_intake;
