-- Rejected rows counted by table, reason and column, most frequent first.
CREATE OR REPLACE TABLE rejected_summary AS
SELECT table_name, reason, column_name, count(*) AS rows
FROM rejected_rows
GROUP BY ALL
ORDER BY table_name DESC, rows DESC, reason, column_name;
