-- An inbox poll asks for an office's pending envelopes only. The (recipient, seq) index made
-- it walk the office's whole history (envelope metadata is kept after the ciphertext goes), so
-- every idle desk's poll grew with every month exchanged: 550 polls/s after 1,000 envelopes per
-- office against 1,428/s after 375 (docs/performance.md). This partial index holds exactly the
-- rows an inbox can return; its predicate is the inbox query's, so the planner uses it.
CREATE INDEX envelopes_inbox_pending ON envelopes (recipient, seq)
    WHERE imported_at IS NULL AND rejected_at IS NULL AND ciphertext_deleted_at IS NULL;
