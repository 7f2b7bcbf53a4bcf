-- 004: durable progress of group processing, so a restarted worker resumes a large group where it
-- stopped (work_queue rows are only deleted when their work is done).
ALTER TABLE work_queue
    ADD COLUMN cursor_seq bigint NOT NULL DEFAULT 0,   -- last group_members.member_seq done
    ADD COLUMN done       integer NOT NULL DEFAULT 0,  -- members processed so far
    ADD COLUMN total      integer,                     -- members when processing started
    ADD COLUMN generation bigint,                      -- groups.license_generation being applied
    ADD COLUMN started_at timestamptz,
    ADD COLUMN failed     integer NOT NULL DEFAULT 0;  -- members left with an error

CREATE INDEX work_queue_kind_ready_idx ON work_queue (kind, run_after, id);
CREATE INDEX license_states_sku_errors_idx ON license_assignment_states (sku_id, error, user_id)
    WHERE error <> 'None';
-- Keyset paging over every license error (GET /v1.0/licensing/errors) at a million rows.
CREATE INDEX license_states_error_keys_idx ON license_assignment_states (user_id, sku_id, path_id)
    WHERE error <> 'None';
