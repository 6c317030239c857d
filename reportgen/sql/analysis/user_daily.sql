-- Requests and spend per user per calendar day, over the report's whole range of days (zeros
-- included), for each user's chart.
CREATE OR REPLACE TABLE user_daily AS
WITH per_day AS (
    SELECT user_id, local_day(created_at) AS day, count(*) AS requests, sum(price) AS price
    FROM requests
    GROUP BY ALL
)
SELECT u.user_id, d.day, coalesce(p.requests, 0) AS requests, coalesce(p.price, 0)::DECIMAL(38, 12) AS price
FROM user_summary u
CROSS JOIN daily d
LEFT JOIN per_day p ON p.user_id = u.user_id AND p.day = d.day
ORDER BY u.user_id, d.day;
