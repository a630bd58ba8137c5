-- Tsunagu hub schema (SQLite). Times are Unix seconds (UTC).
-- Keep in step with ../postgres/0001_init.sql: the Store behaviour suite runs against both.

CREATE TABLE offices (
    office_id         TEXT PRIMARY KEY,      -- "0300000100_43"
    name              TEXT NOT NULL,
    municipality_code TEXT NOT NULL,         -- 6-digit 市区町村コード
    created_at        INTEGER NOT NULL
);

CREATE TABLE invites (
    code_hash   TEXT PRIMARY KEY,            -- hex SHA-256 of the code; the code itself is never stored
    office_id   TEXT NOT NULL REFERENCES offices (office_id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    used_by     TEXT                         -- device id
);

CREATE TABLE devices (
    device_id    TEXT PRIMARY KEY,
    office_id    TEXT NOT NULL REFERENCES offices (office_id),
    name         TEXT NOT NULL,
    public_keys  TEXT NOT NULL,              -- JSON of the DevicePublicKeys as registered
    key_id       TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,       -- hex SHA-256 of the bearer token
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);
CREATE INDEX devices_office ON devices (office_id);

CREATE TABLE envelopes (
    seq                    INTEGER PRIMARY KEY AUTOINCREMENT,  -- paging cursor, never reused
    envelope_id            TEXT NOT NULL UNIQUE,
    sender                 TEXT NOT NULL,
    recipient              TEXT NOT NULL REFERENCES offices (office_id),
    unit_id                TEXT NOT NULL,
    kinds                  TEXT NOT NULL,    -- JSON array
    service_month          TEXT,
    size                   INTEGER NOT NULL,
    ciphertext_sha256      TEXT NOT NULL,
    routing                TEXT NOT NULL,    -- the routing metadata JSON exactly as uploaded
    sent_by                TEXT NOT NULL,    -- device id
    sent_at                INTEGER NOT NULL,
    received_at            INTEGER,
    imported_at            INTEGER,
    rejected_at            INTEGER,
    rejection_reason       TEXT,
    expired_at             INTEGER,
    ciphertext_deleted_at  INTEGER,
    UNIQUE (sender, recipient, unit_id)
);
CREATE INDEX envelopes_recipient ON envelopes (recipient, seq);
CREATE INDEX envelopes_sender ON envelopes (sender, seq);

-- Ciphertext apart from the metadata, so scans of envelopes never touch large pages.
CREATE TABLE envelope_blobs (
    envelope_id  TEXT PRIMARY KEY REFERENCES envelopes (envelope_id),
    ciphertext   BLOB NOT NULL
);

CREATE TABLE receipts (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    envelope_id  TEXT NOT NULL REFERENCES envelopes (envelope_id),
    status       TEXT NOT NULL,              -- received | imported | rejected
    reason       TEXT,
    posted_by    TEXT NOT NULL,              -- device id that uploaded it
    signed_by    TEXT NOT NULL,              -- device id whose key verified it
    receipt      TEXT NOT NULL,              -- the signed receipt JSON exactly as posted
    posted_at    INTEGER NOT NULL
);
CREATE INDEX receipts_envelope ON receipts (envelope_id);

-- Append-only, hash-chained: hash = sha256(prev_hash || canonical row). seq is assigned as
-- previous + 1 so a deleted row shows up as a gap.
CREATE TABLE audit_log (
    seq          INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    event        TEXT NOT NULL,
    office_id    TEXT,
    device_id    TEXT,
    envelope_id  TEXT,
    detail       TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
