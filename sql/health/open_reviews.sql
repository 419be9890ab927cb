-- One row per object pair x kind of item waiting for a person in review_items (ambiguous matches, held
-- conflicts, duplicate Leads ...): how many, since when, and one of them.
-- No parameters.
SELECT pair, kind,
       count(*) AS items,
       min(opened_at) AS oldest,
       min(item_id) AS sample_item
FROM review_items
WHERE settled_at IS NULL
GROUP BY pair, kind
ORDER BY items DESC, pair, kind
