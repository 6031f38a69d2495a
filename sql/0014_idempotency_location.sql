-- An idempotent replay of a creation answers like the first answer: the
-- Location of the created object is kept with the status and body.
ALTER TABLE api.idempotency ADD COLUMN location text;
