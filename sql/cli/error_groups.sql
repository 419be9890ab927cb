-- One row per (error code, target CRM) among the records failing to sync (sync_errors): how many records,
-- in which pairs, the most attempts, first and last seen, and up to $samples sample records with the ids
-- of both sides when linked.
-- Parameters: $code, $pair (NULL: every code / pair), $samples.
SELECT e.error_code, e.target, count(*) AS records, list(DISTINCT e.pair ORDER BY e.pair) AS pairs,
       max(e.attempts) AS most_attempts, min(e.first_seen) AS first_seen, max(e.last_seen) AS last_seen,
       list({'pair': e.pair, 'record': e.record_ref, 'hubspot_id': l.hubspot_id, 'salesforce_id': l.salesforce_id,
             'attempts': e.attempts, 'message': e.error_message}
            ORDER BY e.attempts DESC, e.last_seen DESC, e.record_ref)[1:$samples] AS samples
FROM sync_errors e
-- an update is kept by the id it was sent to, a create by its source id: show both sides when linked
LEFT JOIN links l ON l.pair = e.pair AND ((e.target = 'salesforce' AND l.salesforce_id = e.record_ref)
                                          OR (e.target = 'hubspot' AND l.hubspot_id = e.record_ref))
WHERE ($code IS NULL OR e.error_code = $code) AND ($pair IS NULL OR e.pair = $pair)
GROUP BY e.error_code, e.target
ORDER BY records DESC, e.error_code, e.target
