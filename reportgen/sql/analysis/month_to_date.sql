-- This month so far against the same days of the previous month, in the configured time zone.
-- "Now" is the latest request's created_at (the report may be built long after its data, or
-- for a window): the current period runs from the first of its month to that moment, the
-- previous one from the first of the month before to the same moment a month earlier (the
-- 31st becomes the month's last day). One row per period; none when there are no requests.
CREATE OR REPLACE TABLE month_to_date AS
WITH bounds AS (
    SELECT
        max(created_at) AS through,
        max(created_at) AT TIME ZONE getvariable('timezone') AS local_through
    FROM requests
    HAVING count(*) > 0
),
periods AS (
    SELECT 'current' AS period, through, date_trunc('month', local_through) AS local_start,
           local_through AS local_end
    FROM bounds
    UNION ALL
    SELECT 'previous', through, date_trunc('month', local_through) - INTERVAL 1 MONTH,
           local_through - INTERVAL 1 MONTH
    FROM bounds
)
SELECT
    p.period, p.through, p.local_start, p.local_end,
    count(r.id) AS requests,
    coalesce(sum(r.input_tokens), 0) AS input_tokens,
    coalesce(sum(r.output_tokens), 0) AS output_tokens,
    coalesce(sum(r.cache_read_tokens), 0) AS cache_read_tokens,
    coalesce(sum(r.cache_write_tokens), 0) AS cache_write_tokens,
    coalesce(sum(r.price), 0)::DECIMAL(38, 12) AS price,
    count(r.id) FILTER (WHERE len(r.discrepancies) > 0) AS discrepancies
FROM periods p
LEFT JOIN requests r
    ON r.created_at AT TIME ZONE getvariable('timezone') >= p.local_start
   AND r.created_at AT TIME ZONE getvariable('timezone') <= p.local_end
GROUP BY ALL
ORDER BY p.period;
