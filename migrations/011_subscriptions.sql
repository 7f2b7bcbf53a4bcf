-- Change notification subscriptions (Graph's subscription resource). Each one is a reader of the
-- change sequence (010): its cursor is the position of the last change delivered, so delivery is
-- at-least-once and in order per subscription, and nothing is lost when the process dies between
-- a change and its delivery. Failed deliveries back off exponentially (attempts, next_attempt_at)
-- and are dropped with a lifecycle 'missed' notification once first_failure_at is too old.
CREATE TABLE subscriptions (
    id                         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    resource                   text NOT NULL,
    kinds                      text NOT NULL, -- change-sequence resources read, e.g. 'group,member'
    group_id                   uuid,          -- groups/{id}/members: only that group's members
    change_type                text NOT NULL,
    notification_url           text NOT NULL,
    lifecycle_notification_url text,
    client_state               text,
    expiration                 timestamptz NOT NULL,
    application_id             text,
    creator_id                 text,
    latest_supported_tls       text NOT NULL DEFAULT 'v1_2',
    cursor_txid                xid8 NOT NULL,
    cursor_seq                 bigint NOT NULL DEFAULT 0,
    attempts                   integer NOT NULL DEFAULT 0,
    first_failure_at           timestamptz,
    next_attempt_at            timestamptz NOT NULL DEFAULT now(),
    created_at                 timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscriptions_due_idx ON subscriptions (next_attempt_at);
