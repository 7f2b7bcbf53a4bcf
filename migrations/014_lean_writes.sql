-- 014: fewer rows and index entries per reconciled user (docs/benchmarks.md).
--
-- The change sequence keeps one 'updated' row per user per transaction instead of one per
-- statement: a worker batch writes a user's states, licenses, proxy addresses and mail in four
-- statements, each of which recorded the same user again (four rows, twelve index entries). A
-- second identical row in the same transaction tells a reader nothing the first does not: both
-- commit together and carry the same object and change type. Every change is still recorded in the
-- transaction of the change (the first statement that touches the user records it). A unique
-- index on the transaction's 'updated' rows finds the duplicate: one probe per row, whatever the
-- size of the transaction.
-- Rows already recorded twice lose their later copies first (a reader learns nothing from them).
DELETE FROM directory_changes c USING directory_changes d
 WHERE c.change_type = 'updated' AND d.change_type = 'updated' AND c.txid = d.txid
   AND c.resource = d.resource AND c.object_id = d.object_id AND c.seq > d.seq;
CREATE UNIQUE INDEX directory_changes_updated_once_idx
    ON directory_changes (txid, resource, object_id) WHERE change_type = 'updated';
CREATE OR REPLACE FUNCTION directory_changes_object() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kind text := TG_ARGV[0];
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO directory_changes (resource, object_id, change_type)
        SELECT kind, n.id, 'created' FROM new_rows n;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO directory_changes (resource, object_id, change_type)
        SELECT kind, n.id, 'updated' FROM new_rows n
            ON CONFLICT (txid, resource, object_id) WHERE change_type = 'updated' DO NOTHING;
    ELSE
        INSERT INTO directory_changes (resource, object_id, change_type)
        SELECT kind, o.id, 'deleted' FROM old_rows o;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION directory_changes_owner() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kind text := TG_ARGV[0];
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF kind = 'user' THEN
            INSERT INTO directory_changes (resource, object_id, change_type)
            SELECT DISTINCT 'user', o.user_id, 'updated' FROM old_rows o
             WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = o.user_id)
            ON CONFLICT (txid, resource, object_id) WHERE change_type = 'updated' DO NOTHING;
        ELSE
            INSERT INTO directory_changes (resource, object_id, change_type)
            SELECT DISTINCT 'group', o.group_id, 'updated' FROM old_rows o
             WHERE EXISTS (SELECT 1 FROM groups g WHERE g.id = o.group_id)
            ON CONFLICT (txid, resource, object_id) WHERE change_type = 'updated' DO NOTHING;
        END IF;
    ELSIF kind = 'user' THEN
        INSERT INTO directory_changes (resource, object_id, change_type)
        SELECT DISTINCT 'user', n.user_id, 'updated' FROM new_rows n
            ON CONFLICT (txid, resource, object_id) WHERE change_type = 'updated' DO NOTHING;
    ELSE
        INSERT INTO directory_changes (resource, object_id, change_type)
        SELECT DISTINCT 'group', n.group_id, 'updated' FROM new_rows n
            ON CONFLICT (txid, resource, object_id) WHERE change_type = 'updated' DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

-- Audit lists filter on lower(activity_display_name) (directory_audits_activity_key_idx, 002);
-- nothing reads this one, and each "Change user license" record of a group paid an entry in it.
DROP INDEX directory_audits_activity_idx;
