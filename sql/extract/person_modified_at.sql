-- An expression, not a statement: when a person last changed the Salesforce snapshot row {alias} (its
-- LastModifiedDate, unless crmsync's integration user made that change: then the latest edit by anyone
-- else, falling back to LastModifiedDate). {alias} is the row's alias in the caller's statement
-- (extract/salesforce_edit_times.py person_modified_at_sql).
-- Parameters: $integration_user.
CASE WHEN {alias}._last_modified_by_id = $integration_user
THEN coalesce((SELECT max(e.edited_at) FROM salesforce_edit_times e
               WHERE e.salesforce_id = {alias}.id AND e.modified_by <> $integration_user),
              {alias}._modified_at)
ELSE {alias}._modified_at END
