-- Requests and spend per calendar day (configured time zone), every day from the first request
-- to the last, days without requests as zero.
CREATE OR REPLACE TABLE daily AS
WITH per_day AS (
    SELECT local_day(created_at) AS day, count(*) AS requests, sum(price) AS price
    FROM requests
    GROUP BY ALL
),
days AS (
    SELECT CAST(range AS DATE) AS day
    FROM range((SELECT min(day) FROM per_day), (SELECT max(day) FROM per_day) + 1, INTERVAL 1 DAY)
)
SELECT d.day, coalesce(p.requests, 0) AS requests, coalesce(p.price, 0)::DECIMAL(38, 12) AS price
FROM days d
LEFT JOIN per_day p USING (day)
ORDER BY d.day;
