-- Ciphertext is age output: random bytes that never compress. Stored EXTERNAL (out of line,
-- uncompressed), PostgreSQL no longer spends CPU trying pglz on every 20 KB envelope it accepts.
-- Only new rows are affected; existing rows stay as they are.
ALTER TABLE envelope_blobs ALTER COLUMN ciphertext SET STORAGE EXTERNAL;
