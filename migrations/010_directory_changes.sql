-- The change sequence: every change to a user, group, membership or subscribedSku appends a row,
-- in the transaction of the change (statement-level triggers, one row per object and statement),
-- including licensing changes the worker makes. Delta queries and change notifications read it.
--
-- Readers consume rows in (txid, seq) order and only rows whose transaction is older than every
-- transaction still running (txid < pg_snapshot_xmin(pg_current_snapshot())): a transaction that
-- commits later always has a txid at or above that horizon, so nothing is skipped by a cursor
-- that has moved past it. Rows are pruned by age (see db/changes.c).
CREATE TABLE directory_changes (
    seq         bigserial PRIMARY KEY,
    txid        xid8 NOT NULL DEFAULT pg_current_xact_id(),
    resource    text NOT NULL CHECK (resource IN ('user', 'group', 'member', 'subscribedSku')),
    object_id   uuid NOT NULL,
    parent_id   uuid, -- the group of a 'member' change
    change_type text NOT NULL CHECK (change_type IN ('created', 'updated', 'deleted')),
    changed_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX directory_changes_read_idx ON directory_changes (resource, txid, seq);
CREATE INDEX directory_changes_time_idx ON directory_changes (changed_at);

-- users, groups, skus: the row itself was created, updated or deleted.
CREATE FUNCTION directory_changes_object() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kind text := TG_ARGV[0];
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO directory_changes (resource, object_id, change_type)
        SELECT kind, n.id, 'created' FROM new_rows n;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO directory_changes (resource, object_id, change_type)
        SELECT kind, n.id, 'updated' FROM new_rows n;
    ELSE
        INSERT INTO directory_changes (resource, object_id, change_type)
        SELECT kind, o.id, 'deleted' FROM old_rows o;
    END IF;
    RETURN NULL;
END $$;

-- Rows that belong to a user or group (licenses, states, proxy addresses, group licenses): the
-- owner was updated, once per statement, unless the owner itself is gone (a cascade of its
-- deletion, recorded as 'deleted' by the owner's own trigger).
CREATE FUNCTION directory_changes_owner() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kind text := TG_ARGV[0];
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF kind = 'user' THEN
            INSERT INTO directory_changes (resource, object_id, change_type)
            SELECT DISTINCT 'user', o.user_id, 'updated' FROM old_rows o
             WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = o.user_id);
        ELSE
            INSERT INTO directory_changes (resource, object_id, change_type)
            SELECT DISTINCT 'group', o.group_id, 'updated' FROM old_rows o
             WHERE EXISTS (SELECT 1 FROM groups g WHERE g.id = o.group_id);
        END IF;
    ELSIF kind = 'user' THEN
        INSERT INTO directory_changes (resource, object_id, change_type)
        SELECT DISTINCT 'user', n.user_id, 'updated' FROM new_rows n;
    ELSE
        INSERT INTO directory_changes (resource, object_id, change_type)
        SELECT DISTINCT 'group', n.group_id, 'updated' FROM new_rows n;
    END IF;
    RETURN NULL;
END $$;

-- Membership: a member added to or removed from a group.
CREATE FUNCTION directory_changes_member() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO directory_changes (resource, object_id, parent_id, change_type)
        SELECT 'member', n.member_id, n.group_id, 'created' FROM new_rows n;
    ELSE
        INSERT INTO directory_changes (resource, object_id, parent_id, change_type)
        SELECT 'member', o.member_id, o.group_id, 'deleted' FROM old_rows o;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER users_changes_ins AFTER INSERT ON users REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION directory_changes_object('user');
CREATE TRIGGER users_changes_upd AFTER UPDATE ON users REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION directory_changes_object('user');
CREATE TRIGGER users_changes_del AFTER DELETE ON users REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION directory_changes_object('user');
CREATE TRIGGER groups_changes_ins AFTER INSERT ON groups REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION directory_changes_object('group');
CREATE TRIGGER groups_changes_upd AFTER UPDATE ON groups REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION directory_changes_object('group');
CREATE TRIGGER groups_changes_del AFTER DELETE ON groups REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION directory_changes_object('group');

-- skus has no id column: its key is sku_id.
CREATE FUNCTION directory_changes_sku() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO directory_changes (resource, object_id, change_type)
        SELECT 'subscribedSku', n.sku_id, 'created' FROM new_rows n;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO directory_changes (resource, object_id, change_type)
        SELECT 'subscribedSku', n.sku_id, 'updated' FROM new_rows n;
    ELSE
        INSERT INTO directory_changes (resource, object_id, change_type)
        SELECT 'subscribedSku', o.sku_id, 'deleted' FROM old_rows o;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER skus_changes_ins AFTER INSERT ON skus REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION directory_changes_sku();
CREATE TRIGGER skus_changes_upd AFTER UPDATE ON skus REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION directory_changes_sku();
CREATE TRIGGER skus_changes_del AFTER DELETE ON skus REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION directory_changes_sku();

CREATE TRIGGER members_changes_ins AFTER INSERT ON group_members REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION directory_changes_member();
CREATE TRIGGER members_changes_del AFTER DELETE ON group_members REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION directory_changes_member();

CREATE TRIGGER user_licenses_changes_ins AFTER INSERT ON user_licenses
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION directory_changes_owner('user');
CREATE TRIGGER user_licenses_changes_upd AFTER UPDATE ON user_licenses
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION directory_changes_owner('user');
CREATE TRIGGER user_licenses_changes_del AFTER DELETE ON user_licenses
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION directory_changes_owner('user');
CREATE TRIGGER states_changes_ins AFTER INSERT ON license_assignment_states
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION directory_changes_owner('user');
CREATE TRIGGER states_changes_upd AFTER UPDATE ON license_assignment_states
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION directory_changes_owner('user');
CREATE TRIGGER states_changes_del AFTER DELETE ON license_assignment_states
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION directory_changes_owner('user');
CREATE TRIGGER proxies_changes_ins AFTER INSERT ON user_proxy_addresses
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION directory_changes_owner('user');
CREATE TRIGGER proxies_changes_del AFTER DELETE ON user_proxy_addresses
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION directory_changes_owner('user');
CREATE TRIGGER group_licenses_changes_ins AFTER INSERT ON group_licenses
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION directory_changes_owner('group');
CREATE TRIGGER group_licenses_changes_upd AFTER UPDATE ON group_licenses
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION directory_changes_owner('group');
CREATE TRIGGER group_licenses_changes_del AFTER DELETE ON group_licenses
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION directory_changes_owner('group');
