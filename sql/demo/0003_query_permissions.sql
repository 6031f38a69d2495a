-- Demo: the 兴宾区 query clerk answers archive queries for the whole region
-- (the window takes in a query about a property anywhere in Guangxi), set
-- as the security administrator would with PUT /api/v1/query-permissions.
INSERT INTO qry.permission (user_id, divisions, daily_quota, updated_by, updated_at)
SELECT q.id, ARRAY['450000'], 200, s.id, now()
FROM iam.user q, iam.user s
WHERE q.username = 'xb_query' AND s.username = 'gx_secadmin'
ON CONFLICT (user_id) DO NOTHING;
