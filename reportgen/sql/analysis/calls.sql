-- Accepted inference calls with the effective request each belongs to (PRODUCT.md §2):
-- its usage row, else a synthetic request named after its usage_id, else 'call:' || its id.
CREATE OR REPLACE TABLE calls AS
SELECT
    c.*,
    CASE WHEN c.usage_id IS NULL THEN 'call:' || c.id ELSE c.usage_id END AS request_id,
    u.id IS NULL AS orphan
FROM inference_calls c
LEFT JOIN usage u ON u.id = c.usage_id
ORDER BY c.created_at DESC, c.id;
