-- 016: a SKU's free seats split over shards (escrow), so assignments of one SKU commit side by side
-- (docs/benchmarks.md). Until now every license written updated the SKU's one row
-- (skus.consumed_units, 001), held from the write through the commit's fsync: assignments of a SKU
-- committed one after another.
--
-- Each SKU has 16 shards, each holding part of its free seats; no shard holds fewer than none
-- (sku_seat_shards_free_check), so seats are never oversold: a seat taken comes out of one shard's
-- free seats. A license written takes its seat from a shard no other transaction holds (SKIP
-- LOCKED: nobody waits); when none has room, the SKU's shards are rebalanced under a lock of all
-- of them, taken in shard order. consumedUnits is prepaid_enabled minus the free seats of every
-- shard: consumed_units(skus), a function, so `s.consumed_units` reads as before.
--
-- Who holds what (no cycle of waits):
-- * A transaction that must see a SKU's seats stable (the worker; a direct assignment when the SKU
--   is short of seats: db/license_batch_load.c) locks the SKU rows, then all their shards, in
--   (sku_id, shard) order, before writing a license.
-- * A take that finds no free shard waits for all the SKU's shards in shard order only while its
--   transaction holds no shard (licensingd.seat_shards_held, transaction-local); holding some, it
--   rebalances what nobody else holds, or fails with 40001 (the direct path retries with every
--   shard locked first).
-- * A seat given back goes to any shard nobody else holds; when every shard is held, into a shard
--   of its own (shard >= 16, an insert waits for nobody), folded in by the next rebalance.

CREATE TABLE sku_seat_shards (
    sku_id uuid NOT NULL REFERENCES skus (sku_id) ON DELETE CASCADE,
    shard  bigint NOT NULL, -- 0..15; from 16 on: seats given back while every shard was held
    free   integer NOT NULL,
    PRIMARY KEY (sku_id, shard),
    CONSTRAINT sku_seat_shards_free_check CHECK (free >= 0)
);
CREATE SEQUENCE sku_seat_shards_overflow_seq START 16;

-- The SKU's free seats spread over its 16 shards.
INSERT INTO sku_seat_shards (sku_id, shard, free)
SELECT s.sku_id, k, (s.prepaid_enabled - s.consumed_units) / 16
                    + CASE WHEN k < (s.prepaid_enabled - s.consumed_units) % 16 THEN 1 ELSE 0 END
  FROM skus s CROSS JOIN generate_series(0, 15) k;

DROP TRIGGER user_licenses_seats_in ON user_licenses;
DROP TRIGGER user_licenses_seats_out ON user_licenses;
DROP TRIGGER user_licenses_seats_move ON user_licenses;
DROP FUNCTION user_licenses_count_in();
DROP FUNCTION user_licenses_count_out();
DROP FUNCTION user_licenses_count_move();
ALTER TABLE skus DROP COLUMN consumed_units; -- and skus_seats_check with it

-- consumedUnits: `s.consumed_units` of a skus row s calls this (PostgreSQL's attribute notation).
CREATE FUNCTION consumed_units(s skus) RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT s.prepaid_enabled
           - coalesce((SELECT sum(free) FROM sku_seat_shards f WHERE f.sku_id = s.sku_id), 0)::integer
$$;

-- A seat change is a change of the subscribedSku (consumedUnits), once per transaction (014).
CREATE FUNCTION sku_seats_changed(p_sku uuid) RETURNS void LANGUAGE sql AS $$
    INSERT INTO directory_changes (resource, object_id, change_type)
    VALUES ('subscribedSku', p_sku, 'updated')
    ON CONFLICT (txid, resource, object_id) WHERE change_type = 'updated' DO NOTHING;
$$;

-- Takes p_n seats of the SKU (see the top of this file), or fails with the CHECK's 23514.
CREATE FUNCTION sku_seats_take(p_sku uuid, p_n integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_shard bigint;
    v_held bigint[];
    v_total bigint;
    v_all integer;
    v_base bigint[];
    v_rest bigint;
    v_k integer;
BEGIN
    PERFORM sku_seats_changed(p_sku);
    SELECT shard INTO v_shard FROM sku_seat_shards
     WHERE sku_id = p_sku AND free >= p_n ORDER BY shard LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED;
    IF v_shard IS NOT NULL THEN
        UPDATE sku_seat_shards SET free = free - p_n WHERE sku_id = p_sku AND shard = v_shard;
        PERFORM set_config('licensingd.seat_shards_held', 'on', true);
        RETURN;
    END IF;
    IF coalesce(current_setting('licensingd.seat_shards_held', true), '') = 'on' THEN
        SELECT array_agg(shard ORDER BY shard), sum(free) INTO v_held, v_total
          FROM (SELECT shard, free FROM sku_seat_shards WHERE sku_id = p_sku ORDER BY shard
                FOR NO KEY UPDATE SKIP LOCKED) s;
        SELECT count(*) INTO v_all FROM sku_seat_shards WHERE sku_id = p_sku;
        IF coalesce(v_total, 0) < p_n AND coalesce(cardinality(v_held), 0) < v_all THEN
            RAISE EXCEPTION 'the seats of SKU % are held by another transaction', p_sku
                USING ERRCODE = 'serialization_failure';
        END IF;
    ELSE
        SELECT array_agg(shard ORDER BY shard), sum(free) INTO v_held, v_total
          FROM (SELECT shard, free FROM sku_seat_shards WHERE sku_id = p_sku ORDER BY shard
                FOR NO KEY UPDATE) s;
    END IF;
    PERFORM set_config('licensingd.seat_shards_held', 'on', true);
    IF coalesce(v_total, 0) < p_n THEN
        RAISE EXCEPTION 'new row for relation "sku_seat_shards" violates check constraint "sku_seat_shards_free_check"'
            USING ERRCODE = 'check_violation', TABLE = 'sku_seat_shards',
                  CONSTRAINT = 'sku_seat_shards_free_check';
    END IF;
    -- What is left spread evenly over the held shards 0..15; seats given back while every shard
    -- was held are folded in (their rows go).
    v_rest := v_total - p_n;
    SELECT array_agg(x ORDER BY x) INTO v_base FROM unnest(v_held) x WHERE x < 16;
    v_k := coalesce(cardinality(v_base), 0);
    IF v_k = 0 THEN
        v_base := v_held[1:1];
        v_k := 1;
    END IF;
    UPDATE sku_seat_shards f SET free = v_rest / v_k + CASE WHEN h.o <= v_rest % v_k THEN 1 ELSE 0 END
      FROM unnest(v_base) WITH ORDINALITY AS h(shard, o)
     WHERE f.sku_id = p_sku AND f.shard = h.shard;
    DELETE FROM sku_seat_shards WHERE sku_id = p_sku AND shard = ANY (v_held)
       AND NOT shard = ANY (v_base);
END $$;

-- Gives p_n seats of the SKU back: to the emptiest shard nobody else holds, or to a row of their own.
CREATE FUNCTION sku_seats_give(p_sku uuid, p_n integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_shard bigint;
BEGIN
    PERFORM sku_seats_changed(p_sku);
    SELECT shard INTO v_shard FROM sku_seat_shards
     WHERE sku_id = p_sku AND shard < 16 ORDER BY free, shard LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED;
    IF v_shard IS NOT NULL THEN
        UPDATE sku_seat_shards SET free = free + p_n WHERE sku_id = p_sku AND shard = v_shard;
        PERFORM set_config('licensingd.seat_shards_held', 'on', true);
    ELSE
        INSERT INTO sku_seat_shards (sku_id, shard, free)
        VALUES (p_sku, nextval('sku_seat_shards_overflow_seq'), p_n);
    END IF;
END $$;

-- Seats follow user_licenses (each row is one consumed seat), SKU by SKU in sku_id order.
CREATE FUNCTION user_licenses_seats() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    IF TG_OP = 'INSERT' THEN
        FOR r IN SELECT sku_id, count(*)::integer AS c FROM new_rows GROUP BY sku_id ORDER BY sku_id
        LOOP
            PERFORM sku_seats_take(r.sku_id, r.c);
        END LOOP;
    ELSIF TG_OP = 'DELETE' THEN
        FOR r IN SELECT sku_id, count(*)::integer AS c FROM old_rows GROUP BY sku_id ORDER BY sku_id
        LOOP
            PERFORM sku_seats_give(r.sku_id, r.c);
        END LOOP;
    ELSE
        FOR r IN SELECT sku_id, sum(c)::integer AS c
                   FROM (SELECT sku_id, 1 AS c FROM new_rows UNION ALL SELECT sku_id, -1 FROM old_rows) x
                  GROUP BY sku_id HAVING sum(c) <> 0 ORDER BY sku_id
        LOOP
            IF r.c > 0 THEN
                PERFORM sku_seats_take(r.sku_id, r.c);
            ELSE
                PERFORM sku_seats_give(r.sku_id, -r.c);
            END IF;
        END LOOP;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER user_licenses_seats_in AFTER INSERT ON user_licenses
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION user_licenses_seats();
CREATE TRIGGER user_licenses_seats_out AFTER DELETE ON user_licenses
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION user_licenses_seats();
CREATE TRIGGER user_licenses_seats_move AFTER UPDATE ON user_licenses
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION user_licenses_seats();

-- A new SKU gets its shards; seats bought or cancelled (prepaidUnits.enabled) are given or taken:
-- fewer seats than are consumed fail with the CHECK's 23514, as skus_seats_check did.
CREATE FUNCTION skus_seat_shards_create() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sku_seat_shards (sku_id, shard, free)
    SELECT n.sku_id, k, n.prepaid_enabled / 16 + CASE WHEN k < n.prepaid_enabled % 16 THEN 1 ELSE 0 END
      FROM new_rows n CROSS JOIN generate_series(0, 15) k;
    RETURN NULL;
END $$;
CREATE TRIGGER skus_seat_shards_ins AFTER INSERT ON skus REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION skus_seat_shards_create();

CREATE FUNCTION skus_seats_bought() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.prepaid_enabled > OLD.prepaid_enabled THEN
        PERFORM sku_seats_give(NEW.sku_id, NEW.prepaid_enabled - OLD.prepaid_enabled);
    ELSE
        PERFORM sku_seats_take(NEW.sku_id, OLD.prepaid_enabled - NEW.prepaid_enabled);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER skus_seats_bought AFTER UPDATE OF prepaid_enabled ON skus FOR EACH ROW
    WHEN (NEW.prepaid_enabled <> OLD.prepaid_enabled) EXECUTE FUNCTION skus_seats_bought();

-- A SKU whose seats changed in the transaction already has its 'updated' row (sku_seats_changed):
-- the SKU's own update (a PATCH of its seats) keeps the one row, as 014 does for users and groups.
CREATE OR REPLACE FUNCTION directory_changes_sku() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO directory_changes (resource, object_id, change_type)
        SELECT 'subscribedSku', n.sku_id, 'created' FROM new_rows n;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO directory_changes (resource, object_id, change_type)
        SELECT 'subscribedSku', n.sku_id, 'updated' FROM new_rows n
            ON CONFLICT (txid, resource, object_id) WHERE change_type = 'updated' DO NOTHING;
    ELSE
        INSERT INTO directory_changes (resource, object_id, change_type)
        SELECT 'subscribedSku', o.sku_id, 'deleted' FROM old_rows o;
    END IF;
    RETURN NULL;
END $$;
