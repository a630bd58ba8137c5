-- The plain files of units sent and received, kept on this office PC so the desk UI can show a
-- unit as forms and compare versions after the care software has taken the import folder's copy.
-- Same trust as the import folder: the office's own data, on the office's own disk.
CREATE TABLE unit_files (
    flow       TEXT NOT NULL,                -- sent | received
    sender     TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    unit_id    TEXT NOT NULL,                -- ファイル連番
    name       TEXT NOT NULL,                -- standard file name
    bytes      BLOB NOT NULL,
    PRIMARY KEY (flow, sender, recipient, unit_id, name)
);
