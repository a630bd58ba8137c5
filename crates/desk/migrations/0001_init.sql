-- Tsunagu desk: the office's local state. Times are Unix seconds (UTC).
-- The desk UI reads these tables; keep column meanings stable.

-- Partner (and own) office device keys, pinned like SSH known_hosts.
CREATE TABLE pinned_keys (
    office_id    TEXT NOT NULL,              -- "3100000001_43"
    key_id       TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,              -- short form XXXX-XXXX-…
    public_keys  TEXT NOT NULL,              -- DevicePublicKeys JSON
    device_id    TEXT NOT NULL,
    device_name  TEXT NOT NULL,
    how          TEXT NOT NULL,              -- own | first_use | confirmed
    pinned_at    INTEGER NOT NULL,
    PRIMARY KEY (office_id, key_id)
);

-- Offices seen in my files and units, and what the hub said about them.
CREATE TABLE partners (
    office_id    TEXT PRIMARY KEY,
    name         TEXT,                       -- 事業所名 from the hub directory
    on_hub       INTEGER,                    -- 1 yes, 0 no, NULL not asked yet
    checked_at   INTEGER,
    first_seen   INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL
);

-- Send units I sealed. The envelope is stored before the upload and re-uploaded as the same
-- bytes on retry (sealing is randomized).
CREATE TABLE sent_units (
    sender             TEXT NOT NULL,
    recipient          TEXT NOT NULL,
    unit_id            TEXT NOT NULL,        -- ファイル連番
    kinds              TEXT NOT NULL,        -- JSON array of file-name prefixes
    service_month      TEXT,                 -- YYYYMM
    file_names         TEXT NOT NULL,        -- JSON array, ファイル連番 order
    files_sha256       TEXT NOT NULL,        -- over names and bytes: detects a changed unit
    routing            TEXT NOT NULL,        -- RoutingMetadata JSON
    ciphertext         BLOB NOT NULL,
    ciphertext_sha256  TEXT NOT NULL,
    size               INTEGER NOT NULL,
    sealed_at          INTEGER NOT NULL,
    uploaded_at        INTEGER,              -- when the hub first acknowledged it
    envelope_id        TEXT,
    status             TEXT NOT NULL,        -- sealed | sent | received | imported | rejected | expired
    rejection_reason   TEXT,
    status_checked_at  INTEGER,
    last_error         TEXT,                 -- E-… message of the last failed upload
    PRIMARY KEY (sender, recipient, unit_id)
);
CREATE INDEX sent_units_envelope ON sent_units (envelope_id);

-- Envelopes I received. UNIQUE (sender, recipient, unit_id): a replayed unit is never
-- imported twice.
CREATE TABLE received_units (
    envelope_id        TEXT PRIMARY KEY,
    sender             TEXT NOT NULL,
    recipient          TEXT NOT NULL,
    unit_id            TEXT NOT NULL,
    kinds              TEXT NOT NULL,
    service_month      TEXT,
    ciphertext_sha256  TEXT NOT NULL,
    size               INTEGER NOT NULL,
    file_names         TEXT NOT NULL,        -- JSON array, as written
    import_dir         TEXT,
    status             TEXT NOT NULL,        -- imported | rejected
    reason             TEXT,                 -- rejection reason as signed
    received_at        INTEGER NOT NULL,
    final_receipt_posted INTEGER NOT NULL DEFAULT 0,
    UNIQUE (sender, recipient, unit_id)
);

-- Signed receipts: the ones my office posted (direction 'out') and the ones partners posted for
-- my units (direction 'in'). Stored exactly as signed; verified again whenever shown.
CREATE TABLE receipts (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    direction    TEXT NOT NULL,              -- in | out
    envelope_id  TEXT NOT NULL,
    sender       TEXT NOT NULL,
    recipient    TEXT NOT NULL,
    unit_id      TEXT NOT NULL,
    status       TEXT NOT NULL,              -- received | imported | rejected
    at           INTEGER NOT NULL,           -- signed time
    receipt      TEXT NOT NULL,              -- SignedReceipt JSON
    UNIQUE (envelope_id, receipt)
);
CREATE INDEX receipts_envelope ON receipts (envelope_id);
