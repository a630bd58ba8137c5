-- Envelope ciphertext is written once and deleted once (retention); it is never updated and
-- only ever read whole by primary key. PostgreSQL's insert-triggered autovacuum (after every
-- 20% growth) nevertheless scanned the whole TOAST table right after a month-end burst: 600 MB
-- read and dirtied again for 8 s, while the next sends waited on their commit (p99 61 ms at
-- 500/s instead of single digits; docs/performance.md). Such a vacuum only sets visibility-map
-- bits for index-only scans, which nothing here does. Vacuums for deleted rows (after retention)
-- and the anti-wraparound vacuum still run as before; docs/operations.md says how to freeze the
-- table off-peak.
ALTER TABLE envelope_blobs SET (
    autovacuum_vacuum_insert_threshold = -1,
    toast.autovacuum_vacuum_insert_threshold = -1
);
