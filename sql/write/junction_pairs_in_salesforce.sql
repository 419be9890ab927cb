-- One row per live junction record of two linked records: (this record's HubSpot id, the associated
-- record's HubSpot id, the two Salesforce ids, the junction record's id). A merge may leave one pair
-- on several junction records.
-- Parameters: $this, $other (the two pairs' names), $object (the junction sObject).
SELECT lt.hubspot_id, lo.hubspot_id, j.this_id, j.other_id, j.id
FROM salesforce_junctions j
JOIN links lt ON lt.pair = $this AND lt.salesforce_id = j.this_id
JOIN links lo ON lo.pair = $other AND lo.salesforce_id = j.other_id
WHERE j.object = $object AND NOT j.deleted
