-- 012: the audit log filtered on a target (targetResources/any(t:t/id eq '...')) at a million
-- records: a GIN index over the ids of each record's targets, one entry per target.
CREATE INDEX directory_audits_target_ids_idx ON directory_audits
    USING gin (jsonb_path_query_array(target_resources, '$[*].id') jsonb_path_ops);
