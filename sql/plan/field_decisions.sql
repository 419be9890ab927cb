-- One row per linked record x mapped field: what the three-way merge decides, before any write is
-- shaped. Input: the temp table `field_state` (one row per link x field with both sides' canonical
-- values, the base, timestamps and the field's direction). Parameters: $skew_seconds.
--
-- decision:  in_sync        both sides agree (base is set to the agreed value)
--            write_hubspot  Salesforce's value goes to HubSpot
--            write_salesforce  HubSpot's value goes to Salesforce
--            hold           a resolver or rule holds the field for review
--            skip           nothing to do (direction none, create_only after creation, never-set empties)
-- reason names the rule that decided, e.g. two_way:hubspot_changed, prefer_salesforce:first_link;
-- a first link judged by the newer change ends :record_times when a side's time is the record's, for
-- want of the field's own (HubSpot property history, Salesforce field times).
-- A field without a base that a plan already judged (first_link_values: what each side held then) has
-- the side that moved since, while the other did not, for the side that changed, a clear included
-- (:first_link_<side>_changed; under always_<side> only that side's move counts).
-- Unordered: merge.py filters it (the rows needing action; the in-sync ones) and orders what it reads.
WITH facts AS (
    SELECT
        s.*,
        s.hubspot_value IS NOT DISTINCT FROM s.salesforce_value AS agree,
        -- since the first judgement of a field still without a base: which side moved
        f.field IS NOT NULL AND s.hubspot_value IS DISTINCT FROM f.hubspot_value AS hubspot_moved,
        f.field IS NOT NULL AND s.salesforce_value IS DISTINCT FROM f.salesforce_value AS salesforce_moved,
        has_base AND s.hubspot_value IS DISTINCT FROM base_value AS hubspot_changed,
        has_base AND s.salesforce_value IS DISTINCT FROM base_value AS salesforce_changed,
        -- Each side's time for this field: HubSpot's per-property time replaces the record's when
        -- property history was fetched for this field; Salesforce's is the field's own time where
        -- crmsync saw it change (a person's, for a change since base; anyone's at a first link, where a
        -- value crmsync copied is no newer than its write), else the record's.
        coalesce(hubspot_property_changed_at, hubspot_modified_at) AS hubspot_at,
        CASE WHEN has_base THEN salesforce_modified_at
             ELSE coalesce(salesforce_field_changed_at, salesforce_modified_at) END AS salesforce_at,
        -- a first link judged by a record's time on either side, for want of the field's own: said in
        -- the reason (a later edit of another field makes the whole record look newer)
        CASE WHEN NOT has_base AND (hubspot_property_changed_at IS NULL OR salesforce_field_changed_at IS NULL)
             THEN ':record_times' ELSE '' END AS first_link_times
    FROM field_state s
    LEFT JOIN first_link_values f
      ON NOT s.has_base AND f.pair = s.pair AND f.hubspot_id = s.hubspot_id
     AND f.salesforce_id = s.salesforce_id AND f.field = s.field
),
newer AS (
    SELECT
        *,
        CASE
            WHEN hubspot_at IS NULL OR salesforce_at IS NULL THEN preferred_side
            WHEN abs(epoch(hubspot_at) - epoch(salesforce_at)) <= $skew_seconds THEN preferred_side
            WHEN hubspot_at > salesforce_at THEN 'hubspot'
            ELSE 'salesforce'
        END AS newer_side,
        -- why a change of both sides went to newer_side: the times, or the field's preferred side for
        -- want of a time or because the times are within the skew window (Salesforce stamps to the
        -- whole second, so an edit 2.5 s after a HubSpot edit can read as 1.5 s)
        CASE
            WHEN hubspot_at IS NULL OR salesforce_at IS NULL THEN 'no_time'
            WHEN abs(epoch(hubspot_at) - epoch(salesforce_at)) <= $skew_seconds THEN 'within_skew'
            ELSE 'newer'
        END AS judged_by
    FROM facts
),
decided AS (
    SELECT
        *,
        CASE
            WHEN direction = 'none' THEN 'skip:none'
            WHEN direction = 'create_only' THEN 'skip:create_only'
            WHEN agree THEN 'in_sync'
            -- a field judged before without a base (first_link_values): the side that moved since is the
            -- change, a clear included (it held a value then), before the rules for never-set empties
            -- (under always_<side> only that side's move counts)
            WHEN NOT has_base AND direction NOT IN ('always_salesforce', 'resolver')
                 AND hubspot_moved AND (NOT salesforce_moved OR direction = 'always_hubspot')
                THEN 'write_salesforce:' || direction || ':first_link_hubspot_changed'
            WHEN NOT has_base AND direction NOT IN ('always_hubspot', 'resolver')
                 AND salesforce_moved AND (NOT hubspot_moved OR direction = 'always_salesforce')
                THEN 'write_hubspot:' || direction || ':first_link_salesforce_changed'
            -- an empty value that was never set never overwrites data, whatever the direction
            -- (and under always_<side>, that side's never-set empty does not pull the other's value in);
            -- an empty base is not "never set": both sides agreed on empty, so an edit is a change
            WHEN NOT has_base AND hubspot_value IS NULL THEN
                CASE WHEN direction = 'always_hubspot' THEN 'skip:never_set_empty'
                     ELSE 'write_hubspot:fill_empty' END
            WHEN NOT has_base AND salesforce_value IS NULL THEN
                CASE WHEN direction = 'always_salesforce' THEN 'skip:never_set_empty'
                     ELSE 'write_salesforce:fill_empty' END
            WHEN direction = 'always_hubspot' THEN
                CASE WHEN salesforce_changed THEN 'write_salesforce:always_hubspot:overridden'
                     ELSE 'write_salesforce:always_hubspot' END
            WHEN direction = 'always_salesforce' THEN
                CASE WHEN hubspot_changed THEN 'write_hubspot:always_salesforce:overridden'
                     ELSE 'write_hubspot:always_salesforce' END
            WHEN direction = 'resolver' THEN 'hold:resolver'
            WHEN NOT has_base AND direction = 'prefer_hubspot' THEN 'write_salesforce:prefer_hubspot:first_link'
            WHEN NOT has_base AND direction = 'prefer_salesforce' THEN 'write_hubspot:prefer_salesforce:first_link'
            WHEN NOT has_base THEN
                CASE WHEN newer_side = 'hubspot'
                     THEN 'write_salesforce:' || direction || ':first_link_newer' || first_link_times
                     ELSE 'write_hubspot:' || direction || ':first_link_newer' || first_link_times END
            WHEN hubspot_changed AND NOT salesforce_changed THEN 'write_salesforce:' || direction || ':hubspot_changed'
            WHEN salesforce_changed AND NOT hubspot_changed THEN 'write_hubspot:' || direction || ':salesforce_changed'
            -- both changed (neither changed yet they differ cannot happen: both equal base would agree)
            WHEN judged_by <> 'newer' THEN
                CASE WHEN newer_side = 'hubspot' THEN 'write_salesforce:' ELSE 'write_hubspot:' END
                || direction || ':both_changed_' || judged_by || '_' || newer_side || '_preferred'
            WHEN newer_side = 'hubspot' THEN 'write_salesforce:' || direction || ':both_changed_hubspot_newer'
            ELSE 'write_hubspot:' || direction || ':both_changed_salesforce_newer'
        END AS verdict
    FROM newer
)
SELECT
    pair,
    hubspot_id,
    salesforce_object,
    salesforce_id,
    field,
    split_part(verdict, ':', 1) AS decision,
    CASE WHEN verdict LIKE '%:%' THEN substr(verdict, length(split_part(verdict, ':', 1)) + 2)
         ELSE 'agree' END AS reason,
    hubspot_value,
    salesforce_value,
    hubspot_raw,
    salesforce_raw,
    pipeline,
    base_value,
    has_base,
    hubspot_changed AND salesforce_changed AS is_conflict,
    hubspot_at AS hubspot_changed_at,
    salesforce_at AS salesforce_changed_at,
    CASE split_part(verdict, ':', 1)
        WHEN 'write_hubspot' THEN salesforce_value
        WHEN 'write_salesforce' THEN hubspot_value
        WHEN 'in_sync' THEN hubspot_value
    END AS agreed_value
FROM decided
