-- Rows read, accepted and rejected per input table; read = accepted + rejected by construction.
CREATE OR REPLACE TABLE table_counts AS
SELECT 'usage' AS table_name, count(*) AS rows_read,
       count(*) FILTER (WHERE problem IS NULL) AS rows_accepted,
       count(*) FILTER (WHERE problem IS NOT NULL) AS rows_rejected
FROM checked_usage
UNION ALL
SELECT 'inference_calls', count(*), count(*) FILTER (WHERE problem IS NULL),
       count(*) FILTER (WHERE problem IS NOT NULL)
FROM checked_inference_calls;
