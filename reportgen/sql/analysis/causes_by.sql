-- Likely causes counted per user, per model and per calendar day (configured time zone), and in
-- all (dimension 'all', key NULL), with the net price difference of those requests.
CREATE OR REPLACE TABLE causes_by AS
WITH caused AS (
    SELECT c.cause, r.user_id, r.model, local_day(r.created_at)::VARCHAR AS day,
           coalesce(r.difference_price, 0) AS difference_price
    FROM request_causes c
    JOIN requests r ON r.id = c.id
)
SELECT dimension, key, cause, count(*) AS requests, sum(difference_price)::DECIMAL(38, 12) AS difference_price
FROM (
    SELECT 'all' AS dimension, NULL::VARCHAR AS key, cause, difference_price FROM caused
    UNION ALL SELECT 'user', user_id, cause, difference_price FROM caused
    UNION ALL SELECT 'model', model, cause, difference_price FROM caused
    UNION ALL SELECT 'day', day, cause, difference_price FROM caused
)
GROUP BY ALL;
