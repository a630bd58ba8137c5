-- Tsunagu hub schema (PostgreSQL). Times are Unix seconds (UTC).
-- Keep in step with ../sqlite/0001_init.sql: the Store behaviour suite runs against both.

CREATE TABLE offices (
    office_id         TEXT PRIMARY KEY,      -- "0300000100_43"
    name              TEXT NOT NULL,
    municipality_code TEXT NOT NULL,         -- 6-digit 市区町村コード
    created_at        BIGINT NOT NULL
);

CREATE TABLE invites (
    code_hash   TEXT PRIMARY KEY,            -- hex SHA-256 of the code; the code itself is never stored
    office_id   TEXT NOT NULL REFERENCES offices (office_id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT,
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
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX devices_office ON devices (office_id);

CREATE TABLE envelopes (
    seq                    BIGSERIAL PRIMARY KEY,  -- paging cursor, never reused
    envelope_id            TEXT NOT NULL UNIQUE,
    sender                 TEXT NOT NULL,
    recipient              TEXT NOT NULL REFERENCES offices (office_id),
    unit_id                TEXT NOT NULL,
    kinds                  TEXT NOT NULL,    -- JSON array
    service_month          TEXT,
    size                   BIGINT NOT NULL,
    ciphertext_sha256      TEXT NOT NULL,
    routing                TEXT NOT NULL,    -- the routing metadata JSON exactly as uploaded
    sent_by                TEXT NOT NULL,    -- device id
    sent_at                BIGINT NOT NULL,
    received_at            BIGINT,
    imported_at            BIGINT,
    rejected_at            BIGINT,
    rejection_reason       TEXT,
    expired_at             BIGINT,
    ciphertext_deleted_at  BIGINT,
    UNIQUE (sender, recipient, unit_id)
);
CREATE INDEX envelopes_recipient ON envelopes (recipient, seq);
CREATE INDEX envelopes_sender ON envelopes (sender, seq);

-- Ciphertext apart from the metadata, so scans of envelopes never touch large pages.
CREATE TABLE envelope_blobs (
    envelope_id  TEXT PRIMARY KEY REFERENCES envelopes (envelope_id),
    ciphertext   BYTEA NOT NULL
);

CREATE TABLE receipts (
    seq          BIGSERIAL PRIMARY KEY,
    envelope_id  TEXT NOT NULL REFERENCES envelopes (envelope_id),
    status       TEXT NOT NULL,              -- received | imported | rejected
    reason       TEXT,
    posted_by    TEXT NOT NULL,              -- device id that uploaded it
    signed_by    TEXT NOT NULL,              -- device id whose key verified it
    receipt      TEXT NOT NULL,              -- the signed receipt JSON exactly as posted
    posted_at    BIGINT NOT NULL
);
CREATE INDEX receipts_envelope ON receipts (envelope_id);

-- Append-only, hash-chained: hash = sha256(prev_hash || canonical row). seq is assigned as
-- previous + 1 so a deleted row shows up as a gap.
CREATE TABLE audit_log (
    seq          BIGINT PRIMARY KEY,
    at           BIGINT NOT NULL,
    event        TEXT NOT NULL,
    office_id    TEXT,
    device_id    TEXT,
    envelope_id  TEXT,
    detail       TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
