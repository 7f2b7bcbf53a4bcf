-- 001: the directory, the catalog, assignments and their per-user states, the work queue, audit.
-- Seats are counted by the database itself (statement triggers on user_licenses) and bounded by
-- a CHECK on skus, so no code path and no race can sell a seat that was not bought.

CREATE TABLE organization (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    display_name        text NOT NULL,
    country_letter_code text CHECK (country_letter_code ~ '^[A-Z]{2}$'),
    verified_domains    jsonb NOT NULL DEFAULT '[]',
    created_at          timestamptz NOT NULL DEFAULT now(),
    singleton           boolean NOT NULL DEFAULT true UNIQUE CHECK (singleton)
);

CREATE TABLE users (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_principal_name text NOT NULL,
    display_name        text NOT NULL,
    mail_nickname       text NOT NULL,
    account_enabled     boolean NOT NULL,
    given_name          text,
    surname             text,
    mail                text,
    job_title           text,
    department          text,
    mobile_phone        text,
    office_location     text,
    preferred_language  text,
    business_phones     text[] NOT NULL DEFAULT '{}',
    usage_location      text CHECK (usage_location ~ '^[A-Z]{2}$'),
    password_hash       text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    license_version     bigint NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX users_upn_key ON users (lower(user_principal_name));
CREATE INDEX users_display_name_idx ON users (display_name COLLATE "C", id);
CREATE INDEX users_display_name_lower_idx ON users (lower(display_name) text_pattern_ops);
CREATE INDEX users_upn_order_idx ON users (user_principal_name COLLATE "C", id);
CREATE INDEX users_mail_idx ON users (lower(mail));
CREATE INDEX users_created_idx ON users (created_at, id);

-- proxyAddresses: duplicates across users are allowed here on purpose; they are the
-- UniquenessViolation the licensing engine must detect (semantics §3, §4.7).
CREATE TABLE user_proxy_addresses (
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    position    integer NOT NULL,
    address     text NOT NULL,
    address_key text NOT NULL, -- lower-cased address without its "smtp:" style prefix
    is_primary  boolean NOT NULL,
    PRIMARY KEY (user_id, position)
);
CREATE INDEX user_proxy_addresses_key_idx ON user_proxy_addresses (address_key);

CREATE TABLE groups (
    id                                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    display_name                      text NOT NULL,
    description                       text,
    mail_nickname                     text NOT NULL,
    mail_enabled                      boolean NOT NULL,
    security_enabled                  boolean NOT NULL,
    mail                              text,
    group_types                       text[] NOT NULL DEFAULT '{}',
    membership_rule                   text,
    membership_rule_processing_state  text,
    created_at                        timestamptz NOT NULL DEFAULT now(),
    updated_at                        timestamptz NOT NULL DEFAULT now(),
    license_processing_state          text CHECK (license_processing_state IN
                                      ('QueuedForProcessing', 'ProcessingInProgress', 'ProcessingComplete')),
    license_generation                bigint NOT NULL DEFAULT 0,
    members_with_license_errors       integer NOT NULL DEFAULT 0 CHECK (members_with_license_errors >= 0)
);
CREATE INDEX groups_display_name_idx ON groups (display_name COLLATE "C", id);
CREATE INDEX groups_display_name_lower_idx ON groups (lower(display_name) text_pattern_ops);
CREATE INDEX groups_with_errors_idx ON groups (id) WHERE members_with_license_errors > 0;
CREATE INDEX groups_processing_idx ON groups (id) WHERE license_processing_state <> 'ProcessingComplete';

-- Members are users or groups; member_seq orders them for seat priority (earlier first).
CREATE TABLE group_members (
    group_id    uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    member_id   uuid NOT NULL,
    member_type text NOT NULL CHECK (member_type IN ('user', 'group')),
    member_seq  bigserial NOT NULL,
    added_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, member_id)
);
CREATE INDEX group_members_member_idx ON group_members (member_id, group_id);
CREATE INDEX group_members_seq_idx ON group_members (group_id, member_seq);

-- The catalog. Rules are data: conflicts (stored once, a < b), prerequisites (any of), countries.
CREATE TABLE service_plans (
    id                       uuid PRIMARY KEY,
    name                     text NOT NULL,
    display_name             text,
    service                  text,
    applies_to               text NOT NULL DEFAULT 'User' CHECK (applies_to IN ('User', 'Company')),
    provisions_mailbox       boolean NOT NULL DEFAULT false,
    unavailable_in_countries text[] NOT NULL DEFAULT '{}',
    updated_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX service_plans_name_idx ON service_plans (name, id);

CREATE TABLE service_plan_conflicts (
    plan_a uuid NOT NULL REFERENCES service_plans (id) ON DELETE CASCADE,
    plan_b uuid NOT NULL REFERENCES service_plans (id) ON DELETE CASCADE,
    PRIMARY KEY (plan_a, plan_b),
    CHECK (plan_a < plan_b)
);
CREATE INDEX service_plan_conflicts_b_idx ON service_plan_conflicts (plan_b, plan_a);

CREATE TABLE service_plan_prerequisites (
    plan_id          uuid NOT NULL REFERENCES service_plans (id) ON DELETE CASCADE,
    requires_plan_id uuid NOT NULL REFERENCES service_plans (id) ON DELETE CASCADE,
    PRIMARY KEY (plan_id, requires_plan_id),
    CHECK (plan_id <> requires_plan_id)
);

CREATE TABLE skus (
    sku_id              uuid PRIMARY KEY,
    sku_part_number     text NOT NULL,
    display_name        text,
    applies_to          text NOT NULL DEFAULT 'User' CHECK (applies_to IN ('User', 'Company')),
    capability_status   text NOT NULL DEFAULT 'Enabled'
                        CHECK (capability_status IN ('Enabled', 'Warning', 'Suspended', 'Deleted', 'LockedOut')),
    prepaid_enabled     integer NOT NULL DEFAULT 0 CHECK (prepaid_enabled >= 0),
    prepaid_suspended   integer NOT NULL DEFAULT 0 CHECK (prepaid_suspended >= 0),
    prepaid_warning     integer NOT NULL DEFAULT 0 CHECK (prepaid_warning >= 0),
    prepaid_locked_out  integer NOT NULL DEFAULT 0 CHECK (prepaid_locked_out >= 0),
    consumed_units      integer NOT NULL DEFAULT 0,
    subscription_ids    uuid[] NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT skus_seats_check CHECK (consumed_units >= 0 AND consumed_units <= prepaid_enabled)
);
CREATE INDEX skus_part_number_idx ON skus (sku_part_number);

CREATE TABLE sku_service_plans (
    sku_id   uuid NOT NULL REFERENCES skus (sku_id) ON DELETE CASCADE,
    plan_id  uuid NOT NULL REFERENCES service_plans (id),
    position integer NOT NULL,
    PRIMARY KEY (sku_id, plan_id)
);
CREATE INDEX sku_service_plans_plan_idx ON sku_service_plans (plan_id);

-- Intent: what admins assigned, directly or to groups.
CREATE TABLE user_direct_licenses (
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sku_id         uuid NOT NULL REFERENCES skus (sku_id),
    disabled_plans uuid[] NOT NULL DEFAULT '{}',
    assigned_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, sku_id)
);
CREATE INDEX user_direct_licenses_sku_idx ON user_direct_licenses (sku_id, user_id);

CREATE TABLE group_licenses (
    group_id       uuid NOT NULL REFERENCES groups (id) ON DELETE RESTRICT,
    sku_id         uuid NOT NULL REFERENCES skus (sku_id),
    disabled_plans uuid[] NOT NULL DEFAULT '{}',
    assigned_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, sku_id)
);
CREATE INDEX group_licenses_sku_idx ON group_licenses (sku_id, group_id);

-- Outcome: one row per user, SKU and path (group_id NULL = direct); path_id is group_id or the
-- nil uuid so the path can be part of the key.
CREATE TABLE license_assignment_states (
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sku_id         uuid NOT NULL REFERENCES skus (sku_id),
    path_id        uuid NOT NULL,
    group_id       uuid REFERENCES groups (id) ON DELETE CASCADE,
    disabled_plans uuid[] NOT NULL DEFAULT '{}',
    state          text NOT NULL CHECK (state IN ('Active', 'ActiveWithError', 'Disabled', 'Error')),
    error          text NOT NULL DEFAULT 'None'
                   CHECK (error IN ('None', 'CountViolation', 'MutuallyExclusiveViolation',
                                    'DependencyViolation', 'ProhibitedInUsageLocationViolation',
                                    'UniquenessViolation', 'Other')),
    error_message  text,
    assigned_at    timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, sku_id, path_id),
    CHECK ((group_id IS NULL AND path_id = '00000000-0000-0000-0000-000000000000') OR group_id = path_id)
);
CREATE INDEX license_states_group_idx ON license_assignment_states (group_id, user_id) WHERE group_id IS NOT NULL;
CREATE INDEX license_states_errors_idx ON license_assignment_states (error, sku_id, user_id) WHERE error <> 'None';
CREATE INDEX license_states_group_errors_idx ON license_assignment_states (group_id, user_id) WHERE error <> 'None';

-- Effective licenses: one row per user and SKU; each row is one consumed seat.
CREATE TABLE user_licenses (
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sku_id         uuid NOT NULL REFERENCES skus (sku_id),
    disabled_plans uuid[] NOT NULL DEFAULT '{}',
    assigned_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, sku_id)
);
CREATE INDEX user_licenses_sku_idx ON user_licenses (sku_id, user_id);

CREATE FUNCTION user_licenses_count_in() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE skus s SET consumed_units = s.consumed_units + n.c
      FROM (SELECT sku_id, count(*)::integer AS c FROM new_rows GROUP BY sku_id) n
     WHERE s.sku_id = n.sku_id;
    RETURN NULL;
END $$;

CREATE FUNCTION user_licenses_count_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE skus s SET consumed_units = s.consumed_units - o.c
      FROM (SELECT sku_id, count(*)::integer AS c FROM old_rows GROUP BY sku_id) o
     WHERE s.sku_id = o.sku_id;
    RETURN NULL;
END $$;

CREATE FUNCTION user_licenses_count_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE skus s SET consumed_units = s.consumed_units + d.c
      FROM (SELECT sku_id, sum(c)::integer AS c FROM (
                SELECT sku_id, 1 AS c FROM new_rows
                UNION ALL
                SELECT sku_id, -1 FROM old_rows) x
            GROUP BY sku_id) d
     WHERE s.sku_id = d.sku_id AND d.c <> 0;
    RETURN NULL;
END $$;

CREATE TRIGGER user_licenses_seats_in AFTER INSERT ON user_licenses
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION user_licenses_count_in();
CREATE TRIGGER user_licenses_seats_out AFTER DELETE ON user_licenses
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION user_licenses_count_out();
CREATE TRIGGER user_licenses_seats_move AFTER UPDATE ON user_licenses
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION user_licenses_count_move();

-- Durable work for the reconciliation worker, queued in the transaction of the change.
CREATE TABLE work_queue (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('user', 'group', 'sku', 'sweep')),
    target_id   uuid NOT NULL,
    reason      text NOT NULL,
    enqueued_at timestamptz NOT NULL DEFAULT now(),
    run_after   timestamptz NOT NULL DEFAULT now(),
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text
);
CREATE INDEX work_queue_ready_idx ON work_queue (run_after, id);
CREATE INDEX work_queue_target_idx ON work_queue (kind, target_id);

-- directoryAudit records (Graph auditLogs/directoryAudits).
CREATE TABLE directory_audits (
    id                    bigserial PRIMARY KEY,
    activity_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    activity_display_name text NOT NULL,
    category              text NOT NULL,
    correlation_id        uuid NOT NULL DEFAULT gen_random_uuid(),
    logged_by_service     text NOT NULL DEFAULT 'Core Directory',
    operation_type        text NOT NULL,
    result                text NOT NULL CHECK (result IN ('success', 'failure', 'timeout', 'unknownFutureValue')),
    result_reason         text NOT NULL DEFAULT '',
    initiated_by          jsonb NOT NULL DEFAULT '{}',
    target_resources      jsonb NOT NULL DEFAULT '[]',
    additional_details    jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX directory_audits_time_idx ON directory_audits (activity_at DESC, id DESC);
CREATE INDEX directory_audits_activity_idx ON directory_audits (activity_display_name, activity_at DESC, id DESC);
