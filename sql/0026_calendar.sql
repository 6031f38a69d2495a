-- The holiday calendar (节假日 / 调休) as something system administrators
-- keep (README, "节假日安排"): per-year metadata, the permission to change
-- days, and what a change needs to move the due dates of open cases in the
-- same transaction (fcgi/admin/calendar.c, one working-day rule:
-- fcgi/domain/workdays.c).

INSERT INTO iam.permission VALUES ('calendar.manage', 'Keep the holiday calendar (节假日安排)');
INSERT INTO iam.role_permission VALUES ('system_admin', 'calendar.manage');

-- Whether a year's days are the State Council's notice (official) or the
-- statutory holidays alone, loaded before the notice (provisional), and
-- where they come from.
CREATE TABLE cases.calendar_year (
  year       integer PRIMARY KEY CHECK (year BETWEEN 1900 AND 2999),
  status     text NOT NULL CHECK (status IN ('official', 'provisional')),
  source     text NOT NULL DEFAULT '' CHECK (length(source) <= 200)
);
GRANT SELECT ON cases.calendar_year TO tb_service;
GRANT INSERT, UPDATE ON cases.calendar_year TO tb_admin;

-- What a due date was counted from: the Beijing day of the (re)submission
-- and the promised working days then (set by the submit action). A
-- calendar change recounts from these, so a later change of a business
-- type's promised days does not move cases already running.
ALTER TABLE cases.case ADD COLUMN due_from date, ADD COLUMN due_days integer CHECK (due_days BETWEEN 1 AND 60);
-- Backfill from the last submit/resubmit event; the day count is the
-- working days from that day to the stored due date under the calendar as
-- it stands before this migration corrects 2026 (the calendar the due
-- dates were computed with), so that a case's window reads as it was set.
-- Where it cannot be read (no such event, or a due date not after it) the
-- business type's promised days.
WITH s AS (
  SELECT c.id, (max(e.at) AT TIME ZONE 'Asia/Shanghai')::date AS d, c.due_date, t.promised_days
    FROM cases.case c
    JOIN cases.business_type t ON t.code = c.business_type
    JOIN cases.event e ON e.case_id = c.id AND e.action IN ('submit', 'resubmit')
   WHERE c.due_date IS NOT NULL
   GROUP BY c.id, c.due_date, t.promised_days
), n AS (
  SELECT s.id, s.d, s.promised_days,
         (SELECT count(*) FROM generate_series(s.d + 1, s.due_date, interval '1 day') g (x)
           LEFT JOIN cases.calendar k ON k.day = g.x::date
           WHERE CASE WHEN extract(isodow FROM g.x) >= 6 THEN k.kind = 'workday'
                      ELSE k.kind IS DISTINCT FROM 'holiday' END) AS wd
    FROM s WHERE s.due_date > s.d AND s.due_date <= s.d + 120
)
UPDATE cases.case c SET due_from = coalesce(n.d, s.d),
       due_days = CASE WHEN n.wd BETWEEN 1 AND 60 THEN n.wd ELSE s.promised_days END
  FROM s LEFT JOIN n ON n.id = s.id
 WHERE c.id = s.id;

-- The candidates of a recount: open (pending) cases by due date. 0025's
-- case_stats_overdue (statistics) is such an index already; one is enough.
DO $$
BEGIN
  IF to_regclass('cases.case_stats_overdue') IS NULL THEN
    CREATE INDEX case_open_due ON cases.case (due_date)
      WHERE state IN ('submitted', 'accepted', 'supplement_requested', 'approved');
  END IF;
END $$;
-- The admin service writes the recounted due date and the timeline event.
GRANT UPDATE (due_date) ON cases.case TO tb_admin;
GRANT INSERT ON cases.event TO tb_admin;

-- 2026: the State Council's notice (国务院办公厅关于2026年部分节假日安排
-- 的通知, 2025-11-04): every day of each holiday period (weekend days too,
-- so that the calendar reads as the notice does) and the make-up working
-- days. Replaces 0005's 2026 rows, which were written before the notice.
DELETE FROM cases.calendar WHERE day BETWEEN '2026-01-01' AND '2026-12-31';
INSERT INTO cases.calendar (day, kind, note)
SELECT d::date, 'holiday', n FROM (VALUES
  ('2026-01-01', '2026-01-03', '元旦'), ('2026-02-15', '2026-02-23', '春节'), ('2026-04-04', '2026-04-06', '清明节'),
  ('2026-05-01', '2026-05-05', '劳动节'), ('2026-06-19', '2026-06-21', '端午节'), ('2026-09-25', '2026-09-27', '中秋节'),
  ('2026-10-01', '2026-10-07', '国庆节')
) AS p (f, t, n), generate_series(f::date, t::date, interval '1 day') d;
INSERT INTO cases.calendar (day, kind, note) VALUES
  ('2026-01-04', 'workday', '元旦调休上班'), ('2026-02-14', 'workday', '春节调休上班'),
  ('2026-02-28', 'workday', '春节调休上班'), ('2026-05-09', 'workday', '劳动节调休上班'),
  ('2026-09-20', 'workday', '国庆节调休上班'), ('2026-10-10', 'workday', '国庆节调休上班');

-- 2027, provisional: the State Council's notice for 2027 is not available
-- here, so only the statutory days off of 全国年节及纪念日放假办法 (2024
-- revision): 元旦 1 day, 春节 4 (除夕 and 正月初一 to 初三), 清明 1, 劳动节 2
-- (5/1-2), 端午 1, 中秋 1, 国庆 3 (10/1-3); no make-up days. The lunar and
-- solar-term dates were checked with lunar-javascript 1.7.7 (npm): 正月初一
-- = 2027-02-06 (除夕 02-05, 腊月廿九: 腊月 has 29 days), 清明 = 04-05,
-- 端午 (五月初五) = 06-09, 中秋 (八月十五) = 09-15. The same library gives
-- 2026's 02-17, 04-05, 06-19 and 09-25, as in the 2026 notice.
INSERT INTO cases.calendar (day, kind, note) VALUES
  ('2027-01-01', 'holiday', '元旦'),
  ('2027-02-05', 'holiday', '春节（除夕）'), ('2027-02-06', 'holiday', '春节'), ('2027-02-07', 'holiday', '春节'),
  ('2027-02-08', 'holiday', '春节'),
  ('2027-04-05', 'holiday', '清明节'),
  ('2027-05-01', 'holiday', '劳动节'), ('2027-05-02', 'holiday', '劳动节'),
  ('2027-06-09', 'holiday', '端午节'),
  ('2027-09-15', 'holiday', '中秋节'),
  ('2027-10-01', 'holiday', '国庆节'), ('2027-10-02', 'holiday', '国庆节'), ('2027-10-03', 'holiday', '国庆节')
ON CONFLICT (day) DO NOTHING;

INSERT INTO cases.calendar_year (year, status, source) VALUES
  (2026, 'official', '国务院办公厅关于2026年部分节假日安排的通知（2025年11月4日）'),
  (2027, 'provisional', '《全国年节及纪念日放假办法》（2024年修订）规定的法定节假日，待国务院办公厅2027年节假日安排通知发布后更新');

-- Due dates are not recounted here: the days this corrects in 2026 lie
-- before the migration, so only an open case received before 2026-09-20
-- and still open could have a window spanning one (9/20 became a working
-- day); it keeps the due date it was given until a change of a day in its
-- window recounts it (README, "节假日安排").
