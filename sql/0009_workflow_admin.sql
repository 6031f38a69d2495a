-- 流程管理: actions switched off for one business type (absent = on).
CREATE TABLE cases.type_action_off (
  business_type text NOT NULL REFERENCES cases.business_type (code),
  action        text NOT NULL,
  PRIMARY KEY (business_type, action)
);
GRANT SELECT ON cases.type_action_off TO tb_intake, tb_admin;
GRANT INSERT, DELETE ON cases.type_action_off TO tb_admin;
GRANT SELECT ON cases.transition, cases.business_type TO tb_admin;
GRANT SELECT ON cases.pilot TO tb_admin;
