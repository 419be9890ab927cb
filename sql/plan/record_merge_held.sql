-- One row per record of one side that a merge took away (the loser) or is about to (the other side's
-- loser of a mirrored or reviewed merge): never created on the other side. Parameters: $pair.
SELECT side, loser_id AS record_id FROM record_merges WHERE pair = $pair
UNION
SELECT CASE side WHEN 'hubspot' THEN 'salesforce' ELSE 'hubspot' END, other_loser_id
FROM record_merges
WHERE pair = $pair AND action IN ('mirror', 'review') AND other_loser_id IS NOT NULL
