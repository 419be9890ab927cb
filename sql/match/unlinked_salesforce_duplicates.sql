-- One row per unlinked Salesforce record that shares a match-key value with another unlinked Salesforce
-- record of the pair (the same person as a Contact and a forgotten Lead, two Leads, two Contacts). `kept`
-- is the record that may be created in HubSpot: of the most preferred sObject, the oldest (CreatedDate,
-- then id: the person's first record, a stable choice edits do not flip); `why` says so. Every other
-- record of the group is held for review as a duplicate of `kept`.
-- Parameters: $pair. Formatted in: {salesforce_table}, the pair's Salesforce snapshot, and {created_at},
-- its CreatedDate column (s._created_at) or NULL when the snapshot has none.
WITH unlinked AS (
    SELECT k.record_id, k.sobject, k.key_kind, k.key_value, k.sobject_rank, {created_at} AS created_at
    FROM match_keys k
    LEFT JOIN {salesforce_table} s ON s.id = k.record_id
    WHERE k.side = 'salesforce' AND k.key_kind NOT IN ('salesforce_id_in_hubspot', 'hubspot_id_in_salesforce')
      AND k.record_id NOT IN (SELECT salesforce_id FROM links WHERE pair = $pair)
),
groups AS (
    SELECT key_kind, key_value, min(sobject_rank) AS best_rank
    FROM unlinked GROUP BY key_kind, key_value HAVING count(DISTINCT record_id) > 1
),
preferred AS (
    SELECT u.key_kind, u.key_value,
           arg_min(u.record_id, (coalesce(u.created_at, TIMESTAMPTZ '9999-01-01'), u.record_id)) AS kept,
           count(DISTINCT u.record_id) AS candidates,
           any_value(u.sobject) AS kept_object
    FROM unlinked u JOIN groups g USING (key_kind, key_value)
    WHERE u.sobject_rank = g.best_rank
    GROUP BY u.key_kind, u.key_value
)
SELECT u.record_id, u.sobject, u.key_kind, p.kept,
       CASE WHEN p.candidates = 1
            THEN 'the only ' || p.kept_object || ' sharing this ' || u.key_kind || ' (the mapping prefers ' || p.kept_object || ')'
            ELSE 'the oldest of ' || p.candidates || ' ' || p.kept_object || 's sharing this ' || u.key_kind
       END AS why
FROM unlinked u JOIN preferred p USING (key_kind, key_value)
WHERE u.record_id <> p.kept
ORDER BY u.record_id
