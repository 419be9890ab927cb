"""Match: which HubSpot record is which Salesforce record (table links), by cross-reference ids, then the
mapping's keys; ambiguity and duplicate Leads go to review. Dagster group `match`."""
