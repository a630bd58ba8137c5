-- Dashboard settings (PostgreSQL): what a municipality sets on its pages, and failed web logins for
-- rate limiting. Keep in step with ../sqlite/0004_dashboard_settings.sql.

-- One JSON value per municipality and setting: `survey_questions` (the city's own survey
-- questions), `effect_params` (effect assumptions the city edited). `version` counts writes, so
-- two people editing at once cannot overwrite each other unnoticed (compare-and-set).
CREATE TABLE muni_settings (
    muni_id     TEXT NOT NULL REFERENCES municipalities (muni_id),
    name        TEXT NOT NULL,
    value       TEXT NOT NULL,
    version     BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL,               -- login of the web user
    PRIMARY KEY (muni_id, name)
);

-- Failed web logins per key: `login:` + SHA-256 of the login name as typed (whether or not such
-- a user exists, so a lock tells nothing about accounts), or `ip:` + client address. The lock is
-- computed from the count and the last failure; a success deletes the login's row.
CREATE TABLE web_login_failures (
    key             TEXT PRIMARY KEY,
    failures        BIGINT NOT NULL,
    last_failed_at  BIGINT NOT NULL
);
