-- Demo accounts for `make run` only (never loaded by migrations or tests).
-- Password of all: Tongban-Demo-2026. Administrators have TOTP with the demo secret
-- JBSWY3DPEHPK3PXP (add it to an authenticator app, or: oathtool --totp -b JBSWY3DPEHPK3PXP).
-- The demo secret is written in clear into totp_secret_legacy, where clear
-- values wait to be sealed with the stack's data keys (`tbctl keys rotate`
-- after loading, or the first log-in with a code): it is a published demo
-- secret, never a real one. Idempotent: loaded at every start.
INSERT INTO iam.user (username, display_name, agency_code, password_hash, must_change_password, totp_secret_legacy) VALUES ('xb_clerk', '兴宾区收件员', '451302', '$pbkdf2-sha256$600000$dG9uZ2Jhbi1kZW1vLXNhbHQ=$e65ocXvzpgIW5CmoPwqKOmJxAZTmBhTE0utbc6QXvBk=', false, NULL) ON CONFLICT (username) DO NOTHING;
INSERT INTO iam.grant (user_id, role_code, scope_code) SELECT id, 'intake_clerk', '451302' FROM iam.user WHERE username = 'xb_clerk' ON CONFLICT DO NOTHING;
INSERT INTO iam.user (username, display_name, agency_code, password_hash, must_change_password, totp_secret_legacy) VALUES ('qx_reviewer', '青秀区审核员', '450103', '$pbkdf2-sha256$600000$dG9uZ2Jhbi1kZW1vLXNhbHQ=$e65ocXvzpgIW5CmoPwqKOmJxAZTmBhTE0utbc6QXvBk=', false, NULL) ON CONFLICT (username) DO NOTHING;
INSERT INTO iam.grant (user_id, role_code, scope_code) SELECT id, 'reviewer', '450103' FROM iam.user WHERE username = 'qx_reviewer' ON CONFLICT DO NOTHING;
INSERT INTO iam.user (username, display_name, agency_code, password_hash, must_change_password, totp_secret_legacy) VALUES ('qx_registrar', '青秀区登簿员', '450103', '$pbkdf2-sha256$600000$dG9uZ2Jhbi1kZW1vLXNhbHQ=$e65ocXvzpgIW5CmoPwqKOmJxAZTmBhTE0utbc6QXvBk=', false, NULL) ON CONFLICT (username) DO NOTHING;
INSERT INTO iam.grant (user_id, role_code, scope_code) SELECT id, 'registrar', '450103' FROM iam.user WHERE username = 'qx_registrar' ON CONFLICT DO NOTHING;
INSERT INTO iam.user (username, display_name, agency_code, password_hash, must_change_password, totp_secret_legacy) VALUES ('qx_cashier', '青秀区收费员', '450103', '$pbkdf2-sha256$600000$dG9uZ2Jhbi1kZW1vLXNhbHQ=$e65ocXvzpgIW5CmoPwqKOmJxAZTmBhTE0utbc6QXvBk=', false, NULL) ON CONFLICT (username) DO NOTHING;
INSERT INTO iam.grant (user_id, role_code, scope_code) SELECT id, 'cashier', '450103' FROM iam.user WHERE username = 'qx_cashier' ON CONFLICT DO NOTHING;
INSERT INTO iam.user (username, display_name, agency_code, password_hash, must_change_password, totp_secret_legacy) VALUES ('qx_issuer', '青秀区发证员', '450103', '$pbkdf2-sha256$600000$dG9uZ2Jhbi1kZW1vLXNhbHQ=$e65ocXvzpgIW5CmoPwqKOmJxAZTmBhTE0utbc6QXvBk=', false, NULL) ON CONFLICT (username) DO NOTHING;
INSERT INTO iam.grant (user_id, role_code, scope_code) SELECT id, 'issuer', '450103' FROM iam.user WHERE username = 'qx_issuer' ON CONFLICT DO NOTHING;
INSERT INTO iam.user (username, display_name, agency_code, password_hash, must_change_password, totp_secret_legacy) VALUES ('xb_query', '兴宾区查询员', '451302', '$pbkdf2-sha256$600000$dG9uZ2Jhbi1kZW1vLXNhbHQ=$e65ocXvzpgIW5CmoPwqKOmJxAZTmBhTE0utbc6QXvBk=', false, NULL) ON CONFLICT (username) DO NOTHING;
INSERT INTO iam.grant (user_id, role_code, scope_code) SELECT id, 'query_clerk', '451302' FROM iam.user WHERE username = 'xb_query' ON CONFLICT DO NOTHING;
INSERT INTO iam.user (username, display_name, agency_code, password_hash, must_change_password, totp_secret_legacy) VALUES ('lb_admin', '来宾市属地管理员', '451300', '$pbkdf2-sha256$600000$dG9uZ2Jhbi1kZW1vLXNhbHQ=$e65ocXvzpgIW5CmoPwqKOmJxAZTmBhTE0utbc6QXvBk=', false, decode('48656c6c6f21deadbeef', 'hex')) ON CONFLICT (username) DO NOTHING;
INSERT INTO iam.grant (user_id, role_code, scope_code) SELECT id, 'jurisdiction_admin', '451300' FROM iam.user WHERE username = 'lb_admin' ON CONFLICT DO NOTHING;
INSERT INTO iam.user (username, display_name, agency_code, password_hash, must_change_password, totp_secret_legacy) VALUES ('gx_sysadmin', '自治区系统管理员', '450000', '$pbkdf2-sha256$600000$dG9uZ2Jhbi1kZW1vLXNhbHQ=$e65ocXvzpgIW5CmoPwqKOmJxAZTmBhTE0utbc6QXvBk=', false, decode('48656c6c6f21deadbeef', 'hex')) ON CONFLICT (username) DO NOTHING;
INSERT INTO iam.grant (user_id, role_code, scope_code) SELECT id, 'system_admin', '450000' FROM iam.user WHERE username = 'gx_sysadmin' ON CONFLICT DO NOTHING;
INSERT INTO iam.user (username, display_name, agency_code, password_hash, must_change_password, totp_secret_legacy) VALUES ('gx_secadmin', '自治区安全管理员', '450000', '$pbkdf2-sha256$600000$dG9uZ2Jhbi1kZW1vLXNhbHQ=$e65ocXvzpgIW5CmoPwqKOmJxAZTmBhTE0utbc6QXvBk=', false, decode('48656c6c6f21deadbeef', 'hex')) ON CONFLICT (username) DO NOTHING;
INSERT INTO iam.grant (user_id, role_code, scope_code) SELECT id, 'security_admin', '450000' FROM iam.user WHERE username = 'gx_secadmin' ON CONFLICT DO NOTHING;
INSERT INTO iam.user (username, display_name, agency_code, password_hash, must_change_password, totp_secret_legacy) VALUES ('gx_auditor', '自治区审计员', '450000', '$pbkdf2-sha256$600000$dG9uZ2Jhbi1kZW1vLXNhbHQ=$e65ocXvzpgIW5CmoPwqKOmJxAZTmBhTE0utbc6QXvBk=', false, decode('48656c6c6f21deadbeef', 'hex')) ON CONFLICT (username) DO NOTHING;
INSERT INTO iam.grant (user_id, role_code, scope_code) SELECT id, 'auditor', '450000' FROM iam.user WHERE username = 'gx_auditor' ON CONFLICT DO NOTHING;
