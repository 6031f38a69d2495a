-- Demo registry units in several counties for `make run` (idempotent). The
-- holders' ID numbers go in clear into the legacy column: `tbctl keys rotate`
-- (run by the stack script right after) seals them.
INSERT INTO reg.unit (code, county_code, location, use, area_m2) VALUES
  ('450103001002GB00014F00220045', '450103', '南宁市青秀区民族大道100号2栋2单元2201', 'residential', 118.60),
  ('450103001002GB00015F00010001', '450103', '南宁市青秀区竹溪大道8号1栋101', 'non_residential', 320.00),
  ('451302001002GB00014F00220045', '451302', '来宾市兴宾区桂中大道50号3栋1单元502', 'residential', 96.30),
  ('450203002001GB00031F00120003', '450203', '柳州市鱼峰区荣军路12号1栋1203', 'residential', 88.10),
  ('450305001003GB00007F00010002', '450305', '桂林市七星区漓江路6号车库B2-015', 'parking', 13.50)
ON CONFLICT (code) DO NOTHING;
INSERT INTO reg.entry (unit_code, kind, holder_name, holder_id_type, holder_id_number_legacy, share, certificate_no, valid_from, details)
SELECT u, 'ownership', n, 'resident_id', i, s, c, now(), '{"source": "demo"}'
FROM (VALUES
  ('450103001002GB00014F00220045', '张三', '11010519491231002X', '1/2', '桂(2024)南宁市不动产权第0012345号'),
  ('450103001002GB00014F00220045', '李四', '450103199001011238', '1/2', '桂(2024)南宁市不动产权第0012345号'),
  ('450103001002GB00015F00010001', '王五', '450102198505052315', NULL, '桂(2023)南宁市不动产权第0004567号'),
  ('451302001002GB00014F00220045', '韦六', '451302197707070711', NULL, '桂(2025)来宾市不动产权第0000321号'),
  ('450203002001GB00031F00120003', '覃七', '450203196606066612', NULL, '桂(2022)柳州市不动产权第0007788号'),
  ('450305001003GB00007F00010002', '蒙八', '450305199912129919', NULL, '桂(2025)桂林市不动产权第0001001号')
) AS t (u, n, i, s, c)
WHERE NOT EXISTS (SELECT 1 FROM reg.entry e WHERE e.unit_code = t.u AND e.holder_name = t.n AND e.kind = 'ownership');
