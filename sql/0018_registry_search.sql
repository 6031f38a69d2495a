-- Registry search (issue 10) at region scale: indexes for the three
-- conditions and for reading the register as at a time, and the search
-- cache's fallback generation.
--
-- The rows are versioned (valid_from <= T < coalesce(valid_to, inf)), so an
-- as-at read cannot use the partial "in force" indexes of 0005: these cover
-- every row.

-- a unit's entries as at T (the page's entries, the unit-code condition)
CREATE INDEX entry_unit_at ON reg.entry (unit_code, valid_from);
-- certificate number -> units (canonical form, half-width brackets)
CREATE INDEX entry_certificate_no ON reg.entry (certificate_no, unit_code) WHERE certificate_no IS NOT NULL;
-- holder (keyed ID-number index) -> units, with what the condition checks
-- besides (name, validity) so the probe reads the index only; it replaces
-- 0013's index on the same leading column
CREATE INDEX entry_holder_at ON reg.entry (holder_id_number_index, unit_code)
  INCLUDE (holder_name, valid_from, valid_to) WHERE holder_id_number_index IS NOT NULL;
DROP INDEX reg.entry_holder_id_number_index;

-- The search cache (Redis) keeps answers under per-unit, per-certificate
-- and per-holder version keys the intake service renews after each
-- registration. When that renewal fails (Redis unreachable or too slow),
-- the intake counts this generation up instead; every cached answer records
-- the generation it was built under and is used only while it still holds,
-- so a lost renewal costs the cache, never a stale answer. One row.
CREATE TABLE reg.search_generation (
  one       boolean PRIMARY KEY DEFAULT true CHECK (one),
  n         bigint NOT NULL DEFAULT 0,
  bumped_at timestamptz
);
INSERT INTO reg.search_generation DEFAULT VALUES;
GRANT SELECT ON reg.search_generation TO tb_query, tb_intake;
GRANT UPDATE (n, bumped_at) ON reg.search_generation TO tb_intake;
