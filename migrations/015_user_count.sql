-- 015: the number of users, kept exact by statement triggers, so that /users/$count and
-- @odata.count without $filter or $search read 16 rows instead of counting every user
-- (docs/benchmarks.md).
--
-- Each INSERT or DELETE statement on users adds its number of rows to one shard row, chosen by
-- the backend: concurrent creates in different sessions update different rows and do not queue
-- on one lock until each other's commit. The count is the sum of the shards; it is transactional
-- like any row (a rolled-back create rolls back its increment, a reader sees the count of its own
-- snapshot), so it stays equal to count(*). Users are locked while the count starts so that no
-- create slips between the count and the triggers.
LOCK TABLE users IN SHARE MODE;

CREATE TABLE user_count (
    shard smallint PRIMARY KEY CHECK (shard >= 0 AND shard < 16),
    n     bigint NOT NULL
);
INSERT INTO user_count (shard, n) SELECT s, 0 FROM generate_series(0, 15) s;
UPDATE user_count SET n = (SELECT count(*) FROM users) WHERE shard = 0;

CREATE FUNCTION user_count_add() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT count(*) INTO delta FROM new_rows;
    ELSE
        SELECT -count(*) INTO delta FROM old_rows;
    END IF;
    IF delta <> 0 THEN
        UPDATE user_count SET n = n + delta WHERE shard = pg_backend_pid() % 16;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION user_count_reset() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE user_count SET n = 0 WHERE n <> 0;
    RETURN NULL;
END $$;

CREATE TRIGGER users_count_ins AFTER INSERT ON users REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION user_count_add();
CREATE TRIGGER users_count_del AFTER DELETE ON users REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION user_count_add();
CREATE TRIGGER users_count_truncate AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION user_count_reset();
