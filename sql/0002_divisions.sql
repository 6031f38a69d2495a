-- Administrative divisions of Guangxi (GB/T 2260), loaded from divisions.csv.
CREATE TABLE ref.division (
  code        text PRIMARY KEY CHECK (code ~ '^45[0-9]{4}$'),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
  level       text NOT NULL CHECK (level IN ('region', 'city', 'county')),
  parent_code text REFERENCES ref.division (code),
  CHECK ((level = 'region') = (parent_code IS NULL))
);
CREATE INDEX division_parent ON ref.division (parent_code);
--@copy ref.division (code, name, level, parent_code) from divisions.csv
GRANT SELECT ON ref.division TO tb_service;

CREATE TABLE ref.bank (
  code text PRIMARY KEY CHECK (code ~ '^[A-Z]{2,8}$'),
  name text NOT NULL UNIQUE
);
--@copy ref.bank (code, name) from banks.csv
GRANT SELECT ON ref.bank TO tb_service;
