-- Requests and spend per calendar day (configured time zone), every day from the first request
-- to the last, days without requests as zero; with, as per user and per model, the requests with a
-- discrepancy and the price differences split by sign (both >= 0).
CREATE OR REPLACE TABLE daily AS
WITH per_day AS (
    SELECT local_day(created_at) AS day, count(*) AS requests, sum(price) AS price,
           count(*) FILTER (WHERE len(discrepancies) > 0) AS discrepancies,
           coalesce(sum(difference_price) FILTER (WHERE difference_price > 0), 0) AS usage_over_inference,
           coalesce(-sum(difference_price) FILTER (WHERE difference_price < 0), 0) AS usage_under_inference
    FROM requests
    GROUP BY ALL
),
days AS (
    SELECT CAST(range AS DATE) AS day
    FROM range((SELECT min(day) FROM per_day), (SELECT max(day) FROM per_day) + 1, INTERVAL 1 DAY)
)
SELECT d.day, coalesce(p.requests, 0) AS requests, coalesce(p.price, 0)::DECIMAL(38, 12) AS price,
       coalesce(p.discrepancies, 0) AS discrepancies,
       coalesce(p.usage_over_inference, 0)::DECIMAL(38, 12) AS usage_over_inference,
       coalesce(p.usage_under_inference, 0)::DECIMAL(38, 12) AS usage_under_inference
FROM days d
LEFT JOIN per_day p USING (day)
ORDER BY d.day;
