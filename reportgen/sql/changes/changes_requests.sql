-- Requests new in the current snapshot, removed from it, or changed: in both, with a different
-- key (effective figures, source, discrepancy kinds or set of call ids; see request_keys.sql).
CREATE OR REPLACE TABLE changes_requests AS
SELECT
    CASE WHEN p.id IS NULL THEN 'new' WHEN c.id IS NULL THEN 'removed' ELSE 'changed' END AS change,
    coalesce(c.id, p.id) AS id,
    coalesce(c.user_id, p.user_id) AS user_id,
    coalesce(c.handle, p.handle) AS handle,
    p.price AS previous_price,
    c.price AS current_price
FROM cur_keys c
FULL OUTER JOIN prev_keys p ON p.id = c.id
WHERE getvariable('has_previous') AND (p.id IS NULL OR c.id IS NULL OR p.key <> c.key);
