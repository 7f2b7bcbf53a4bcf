-- 012: the audit log filtered by target and initiator (the console's audit page) stays an index
-- probe on a large log: target ids through a GIN index of the ids of target_resources, initiators
-- through expressions ordered like the keyset (newest first).
CREATE INDEX directory_audits_target_ids_idx
    ON directory_audits USING gin ((jsonb_path_query_array(target_resources, '$[*].id')) jsonb_path_ops);
CREATE INDEX directory_audits_user_upn_idx
    ON directory_audits ((lower(initiated_by #>> '{user,userPrincipalName}') COLLATE "C"), activity_at DESC, id DESC);
CREATE INDEX directory_audits_app_name_idx
    ON directory_audits ((lower(initiated_by #>> '{app,displayName}') COLLATE "C"), activity_at DESC, id DESC);
