-- One row per HubSpot record of this pair associated with records of another pair that are linked:
-- the record's id and the Salesforce ids of those linked records (in order). Associations are read in
-- both directions. Parameters: $mine (this pair's HubSpot object), $other (the other pair's HubSpot
-- object), $to_pair (the other pair's name).
SELECT mine, list(DISTINCT l.salesforce_id ORDER BY l.salesforce_id) FROM (
    SELECT from_id AS mine, to_id AS theirs FROM hubspot_associations
    WHERE from_object = $mine AND to_object = $other
    UNION
    SELECT to_id, from_id FROM hubspot_associations WHERE to_object = $mine AND from_object = $other
) a JOIN links l ON l.pair = $to_pair AND l.hubspot_id = a.theirs
GROUP BY mine
