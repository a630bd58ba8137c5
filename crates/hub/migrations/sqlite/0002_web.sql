-- Web dashboard (SQLite): municipality accounts, web users, sessions, the city's uploaded files,
-- adoption snapshots and survey links. Keep in step with ../postgres/0002_web.sql.

-- A municipality account: one or more 6-digit 市区町村コード (a wide-area union has several).
CREATE TABLE municipalities (
    muni_id     TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

-- A code belongs to one account only, so two accounts never see the same offices.
CREATE TABLE municipality_codes (
    code     TEXT PRIMARY KEY,               -- 6-digit 市区町村コード
    muni_id  TEXT NOT NULL REFERENCES municipalities (muni_id)
);
CREATE INDEX municipality_codes_muni ON municipality_codes (muni_id);

CREATE TABLE web_users (
    user_id        TEXT PRIMARY KEY,
    login          TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,            -- Argon2id PHC string
    role           TEXT NOT NULL,            -- operator | municipality
    muni_id        TEXT REFERENCES municipalities (muni_id),
    created_at     INTEGER NOT NULL,
    disabled_at    INTEGER
);

CREATE TABLE web_sessions (
    session_hash  TEXT PRIMARY KEY,          -- hex SHA-256 of the cookie value
    user_id       TEXT NOT NULL REFERENCES web_users (user_id),
    csrf          TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);

-- Files the city uploaded (open data, 圏域 table, overrides, survey answers, status lists),
-- kept as uploaded and parsed by tsunagu-insight when a page needs them.
CREATE TABLE muni_files (
    muni_id      TEXT NOT NULL REFERENCES municipalities (muni_id),
    kind         TEXT NOT NULL,
    name         TEXT NOT NULL,
    bytes        BLOB NOT NULL,
    uploaded_at  INTEGER NOT NULL,
    uploaded_by  TEXT NOT NULL,
    PRIMARY KEY (muni_id, kind, name)
);

-- Dated adoption snapshots: the observations in force on as_of (JSON), one per day.
CREATE TABLE muni_snapshots (
    muni_id       TEXT NOT NULL REFERENCES municipalities (muni_id),
    as_of         TEXT NOT NULL,             -- 2025-06-30
    taken_at      INTEGER NOT NULL,
    reason        TEXT NOT NULL,             -- manual | auto
    observations  TEXT NOT NULL,
    PRIMARY KEY (muni_id, as_of)
);

-- Survey answer links: the token is only in the link; the hub keeps its SHA-256.
CREATE TABLE survey_tokens (
    token_hash   TEXT PRIMARY KEY,
    muni_id      TEXT NOT NULL REFERENCES municipalities (muni_id),
    office_no    TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    answered_at  INTEGER,
    answers      TEXT                        -- JSON of the answers (question id → answer)
);
CREATE INDEX survey_tokens_muni ON survey_tokens (muni_id, office_no);
