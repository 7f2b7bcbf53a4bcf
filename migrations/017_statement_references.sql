-- 017: the references of the rows a reconcile writes per member, checked once per statement.
--
-- license_assignment_states (user, SKU, group), user_licenses (user, SKU) and
-- user_proxy_addresses (user) referenced their parents with foreign keys, which PostgreSQL checks
-- one row at a time: a query per row and reference (three per state row), the largest single
-- cost of a group's batch after the inserts themselves (docs/benchmarks.md). The same rules are
-- kept here by statement triggers over the transition tables:
--   * a row whose user, SKU or group does not exist is refused (SQLSTATE 23503, as before); the
--     distinct parents of the statement are locked FOR KEY SHARE, one index probe each, as the
--     foreign key did per row, so a parent deleted concurrently is either seen gone (and the row
--     refused) or deleted after this transaction commits (and its cascade sees the rows);
--   * deleting a user deletes its states, licenses (the seat trigger frees the seats) and
--     addresses; deleting a group deletes its members' states of that group (ON DELETE CASCADE);
--   * deleting a SKU that states or licenses still reference is refused (23503: service/skus.c);
--   * a key of users, groups or SKUs does not change (NO ACTION refused it while referenced;
--     nothing changes these keys, so it is refused outright).
-- The triggers' names sort before the change triggers of 010, so a cascade runs first, as the
-- foreign keys' row triggers did. Every statement in these functions reaches a table through an
-- index per distinct key (LATERAL ... OFFSET 0 or a locking subquery: never a scan of a million
-- rows for a batch of two thousand).
ALTER TABLE license_assignment_states
    DROP CONSTRAINT IF EXISTS license_assignment_states_user_id_fkey,
    DROP CONSTRAINT IF EXISTS license_assignment_states_sku_id_fkey,
    DROP CONSTRAINT IF EXISTS license_assignment_states_group_id_fkey;
ALTER TABLE user_licenses
    DROP CONSTRAINT IF EXISTS user_licenses_user_id_fkey,
    DROP CONSTRAINT IF EXISTS user_licenses_sku_id_fkey;
ALTER TABLE user_proxy_addresses DROP CONSTRAINT IF EXISTS user_proxy_addresses_user_id_fkey;

-- TG_ARGV: the references the table's rows carry ('user', 'sku', 'group').
CREATE FUNCTION licensing_refs_exist() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ref text;
    missing text;
BEGIN
    FOREACH ref IN ARRAY TG_ARGV LOOP
        IF ref = 'user' THEN
            SELECT n.user_id INTO missing FROM (SELECT DISTINCT user_id FROM new_rows) n
              LEFT JOIN LATERAL (SELECT 1 AS ok FROM users u WHERE u.id = n.user_id
                                    FOR KEY SHARE) k ON true
             WHERE k.ok IS NULL LIMIT 1;
        ELSIF ref = 'sku' THEN
            SELECT n.sku_id INTO missing FROM (SELECT DISTINCT sku_id FROM new_rows) n
              LEFT JOIN LATERAL (SELECT 1 AS ok FROM skus s WHERE s.sku_id = n.sku_id
                                    FOR KEY SHARE) k ON true
             WHERE k.ok IS NULL LIMIT 1;
        ELSE
            SELECT n.group_id INTO missing
              FROM (SELECT DISTINCT group_id FROM new_rows WHERE group_id IS NOT NULL) n
              LEFT JOIN LATERAL (SELECT 1 AS ok FROM groups g WHERE g.id = n.group_id
                                    FOR KEY SHARE) k ON true
             WHERE k.ok IS NULL LIMIT 1;
        END IF;
        IF missing IS NOT NULL THEN
            RAISE foreign_key_violation USING
                MESSAGE = format('insert or update on table "%s" violates its reference to %ss',
                                 TG_TABLE_NAME, ref),
                DETAIL = format('Key (%s_id)=(%s) is not present.', ref, missing);
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

CREATE TRIGGER license_states_refs AFTER INSERT ON license_assignment_states
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION licensing_refs_exist('user', 'sku', 'group');
CREATE TRIGGER user_licenses_refs AFTER INSERT ON user_licenses
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION licensing_refs_exist('user', 'sku');
CREATE TRIGGER user_proxy_addresses_refs AFTER INSERT ON user_proxy_addresses
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION licensing_refs_exist('user');

-- An update that changes a reference (none does today) is checked like an insert, row by row:
-- the WHEN clause keeps every other update (the upserts' DO UPDATE) free of it.
CREATE FUNCTION licensing_refs_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ref text;
    ok boolean;
BEGIN
    FOREACH ref IN ARRAY TG_ARGV LOOP
        IF ref = 'user' THEN
            ok := EXISTS (SELECT 1 FROM users WHERE id = NEW.user_id FOR KEY SHARE);
        ELSIF ref = 'sku' THEN
            ok := EXISTS (SELECT 1 FROM skus WHERE sku_id = NEW.sku_id FOR KEY SHARE);
        ELSE
            ok := NEW.group_id IS NULL
                  OR EXISTS (SELECT 1 FROM groups WHERE id = NEW.group_id FOR KEY SHARE);
        END IF;
        IF NOT ok THEN
            RAISE foreign_key_violation USING
                MESSAGE = format('insert or update on table "%s" violates its reference to %ss',
                                 TG_TABLE_NAME, ref);
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

CREATE TRIGGER license_states_refs_upd AFTER UPDATE ON license_assignment_states FOR EACH ROW
    WHEN ((OLD.user_id, OLD.sku_id, OLD.group_id) IS DISTINCT FROM
          (NEW.user_id, NEW.sku_id, NEW.group_id))
    EXECUTE FUNCTION licensing_refs_row('user', 'sku', 'group');
CREATE TRIGGER user_licenses_refs_upd AFTER UPDATE ON user_licenses FOR EACH ROW
    WHEN ((OLD.user_id, OLD.sku_id) IS DISTINCT FROM (NEW.user_id, NEW.sku_id))
    EXECUTE FUNCTION licensing_refs_row('user', 'sku');
CREATE TRIGGER user_proxy_addresses_refs_upd AFTER UPDATE ON user_proxy_addresses FOR EACH ROW
    WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id)
    EXECUTE FUNCTION licensing_refs_row('user');

-- The parents' side. Deleting users or groups cascades; deleting a referenced SKU is refused.
CREATE FUNCTION users_cascade_licensing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM license_assignment_states l USING old_rows o WHERE l.user_id = o.id;
    DELETE FROM user_licenses l USING old_rows o WHERE l.user_id = o.id;
    DELETE FROM user_proxy_addresses p USING old_rows o WHERE p.user_id = o.id;
    RETURN NULL;
END $$;

CREATE FUNCTION groups_cascade_licensing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM license_assignment_states l USING old_rows o WHERE l.group_id = o.id;
    RETURN NULL;
END $$;

CREATE FUNCTION skus_referenced_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    used uuid;
BEGIN
    SELECT o.sku_id INTO used FROM old_rows o
     WHERE EXISTS (SELECT 1 FROM license_assignment_states l WHERE l.sku_id = o.sku_id)
        OR EXISTS (SELECT 1 FROM user_licenses l WHERE l.sku_id = o.sku_id)
     LIMIT 1;
    IF used IS NOT NULL THEN
        RAISE foreign_key_violation USING
            MESSAGE = 'delete on table "skus" violates the references of license states or licenses',
            DETAIL = format('Key (sku_id)=(%s) is still referenced.', used);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER users_cascade_licensing AFTER DELETE ON users
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION users_cascade_licensing();
CREATE TRIGGER groups_cascade_licensing AFTER DELETE ON groups
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION groups_cascade_licensing();
CREATE TRIGGER skus_referenced_refuse AFTER DELETE ON skus
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION skus_referenced_refuse();

-- A key of users, groups or SKUs does not change.
CREATE FUNCTION licensing_key_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE foreign_key_violation USING
        MESSAGE = format('update of the key of table "%s" is not allowed', TG_TABLE_NAME);
END $$;

CREATE TRIGGER users_key_fixed BEFORE UPDATE ON users FOR EACH ROW
    WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION licensing_key_fixed();
CREATE TRIGGER groups_key_fixed BEFORE UPDATE ON groups FOR EACH ROW
    WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION licensing_key_fixed();
CREATE TRIGGER skus_key_fixed BEFORE UPDATE ON skus FOR EACH ROW
    WHEN (OLD.sku_id IS DISTINCT FROM NEW.sku_id) EXECUTE FUNCTION licensing_key_fixed();
