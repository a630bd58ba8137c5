-- Partner reports (SQLite): the partners each office's desk reports, office numbers only — no
-- names, nothing from the care plan. Keep in step with ../postgres/0003_partner_reports.sql.
--
-- One row per reporting office says when it last reported; a report replaces the previous one
-- as a whole (one transaction, the header row first so concurrent reports of one office queue).
-- Reports older than the retention period (REPORT_RETENTION_DAYS in src/partner_reports.rs) no
-- longer count, and the next report of any office deletes them (the partner rows go with their
-- header through ON DELETE CASCADE, in one statement).

CREATE TABLE partner_reports (
    office_id    TEXT PRIMARY KEY REFERENCES offices (office_id),  -- the reporting office
    reported_at  INTEGER NOT NULL,
    partners     INTEGER NOT NULL                                  -- rows in reported_partners
);
CREATE INDEX partner_reports_at ON partner_reports (reported_at);

CREATE TABLE reported_partners (
    office_id        TEXT NOT NULL REFERENCES partner_reports (office_id) ON DELETE CASCADE,
    partner_number   TEXT NOT NULL,            -- 10-digit 事業所番号 of the partner
    units_per_month  INTEGER,                  -- send units per month, when the desk counted them
    reported_at      INTEGER NOT NULL,
    PRIMARY KEY (office_id, partner_number)
);
CREATE INDEX reported_partners_partner ON reported_partners (partner_number);
