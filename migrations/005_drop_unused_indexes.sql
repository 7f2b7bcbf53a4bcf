-- 005: indexes of 001 that no query uses since 002 gave the directory its lower()-in-C-collation
-- keys. Each one cost an index entry on every user insert and on every update of mail (which
-- the licensing worker makes when it provisions a mailbox): dropping them speeds both up.
DROP INDEX users_display_name_idx;
DROP INDEX users_display_name_lower_idx;
DROP INDEX users_upn_order_idx;
DROP INDEX users_mail_idx;
DROP INDEX groups_display_name_idx;
DROP INDEX groups_display_name_lower_idx;
