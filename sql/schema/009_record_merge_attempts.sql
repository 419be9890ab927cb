-- crmsync state, schema version 9: a mirrored merge the other CRM refused is tried again, a bounded
-- number of times (record_merge_writes.py MIRROR_ATTEMPTS), before a review item asks a person.

-- How many times crmsync called the other CRM to mirror this merge (0: not yet).
ALTER TABLE record_merges ADD COLUMN IF NOT EXISTS attempts INTEGER DEFAULT 0;
