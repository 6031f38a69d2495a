-- Names of the document types a case's attachments are filed under, as a
-- receipt (受理回执) prints them for the applicant. A type without a row
-- here is shown by its code.
CREATE TABLE cases.document_type (
  code text PRIMARY KEY CHECK (code ~ '^[a-z_]{1,40}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100)
);
INSERT INTO cases.document_type (code, name) VALUES
  ('application', '不动产登记申请书'),
  ('identity', '申请人身份证明'),
  ('mortgage_contract', '抵押合同'),
  ('sale_contract', '买卖合同'),
  ('ownership_proof', '不动产权属证书'),
  ('power_of_attorney', '授权委托书');
GRANT SELECT ON cases.document_type TO tb_intake, tb_query, tb_admin;
