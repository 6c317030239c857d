-- One row of headline figures over the whole effective request set.
CREATE OR REPLACE TABLE headline AS
SELECT
    count(*) AS requests,
    count(DISTINCT user_id) AS users,
    coalesce(sum(input_tokens), 0) AS input_tokens,
    coalesce(sum(output_tokens), 0) AS output_tokens,
    coalesce(sum(cache_read_tokens), 0) AS cache_read_tokens,
    coalesce(sum(cache_write_tokens), 0) AS cache_write_tokens,
    coalesce(sum(price), 0)::DECIMAL(38, 12) AS price,
    count(*) FILTER (WHERE len(discrepancies) > 0) AS requests_with_discrepancy,
    (SELECT count(*) FROM calls) AS inference_calls,
    (SELECT coalesce(sum(rows_rejected), 0) FROM table_counts) AS rows_rejected,
    min(created_at) AS first_request_at,
    max(created_at) AS last_request_at
FROM requests;
