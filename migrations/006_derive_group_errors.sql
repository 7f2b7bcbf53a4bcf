-- 006: hasMembersWithLicenseErrors is derived on read from license_assignment_states (one probe
-- of license_states_group_errors_idx per group) instead of a counter kept on groups: a stored
-- counter went stale, cost a recount per batch and locked group rows behind user and SKU rows.
ALTER TABLE groups DROP COLUMN members_with_license_errors;
