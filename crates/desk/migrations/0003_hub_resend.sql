-- Sent units the hub no longer knew (it was restored from a backup taken before they were
-- uploaded) and that this desk therefore uploaded again as the same stored envelope.
-- hub_resent_at bounds the re-uploads (one attempt per unit per hour) and, with hub_resends,
-- is the office's record that it happened.
ALTER TABLE sent_units ADD COLUMN hub_resent_at INTEGER;               -- last attempt
ALTER TABLE sent_units ADD COLUMN hub_resends INTEGER NOT NULL DEFAULT 0; -- attempts the hub acknowledged
