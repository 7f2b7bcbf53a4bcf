-- 002: indexes for the Directory API. Lists are ordered and filtered on lower()ed text in C
-- collation (db/users.c, db/groups.c), so one index serves a prefix filter, the order and the
-- keyset position at once; a 1,000,000-user startswith() page reads only the rows it returns.
CREATE INDEX users_display_name_key_idx ON users ((lower(display_name) COLLATE "C"), id);
CREATE INDEX users_upn_key_idx ON users ((lower(user_principal_name) COLLATE "C"), id);
CREATE INDEX users_mail_key_idx ON users ((lower(mail) COLLATE "C"));
CREATE INDEX groups_display_name_key_idx ON groups ((lower(display_name) COLLATE "C"), id);
CREATE INDEX directory_audits_activity_key_idx
    ON directory_audits ((lower(activity_display_name) COLLATE "C"), activity_at DESC, id DESC);
