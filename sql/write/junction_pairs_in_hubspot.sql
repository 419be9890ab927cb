-- One row per junction pair HubSpot holds as an association between two linked records: (this
-- record's HubSpot id, the associated record's HubSpot id, their two Salesforce ids). Only associated
-- records linked to a Salesforce Contact count (the junction's other side is a Contact).
-- Parameters: $this, $other (the two pairs' names), $this_object, $other_object (their HubSpot objects).
SELECT DISTINCT a.from_id, a.to_id, lt.salesforce_id, lo.salesforce_id
FROM hubspot_associations a
JOIN links lt ON lt.pair = $this AND lt.hubspot_id = a.from_id
JOIN links lo ON lo.pair = $other AND lo.hubspot_id = a.to_id AND lo.salesforce_object = 'Contact'
WHERE a.from_object = $this_object AND a.to_object = $other_object
