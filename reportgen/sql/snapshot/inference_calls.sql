-- Accepted inference calls, typed. A blank usage_id or user_id is NULL.
CREATE OR REPLACE TABLE inference_calls AS
SELECT
    id,
    text_or_null(usage_id) AS usage_id,
    parsed_created_at AS created_at,
    text_or_null(user_id) AS user_id,
    text_or_null(model) AS model,
    CAST(d_input_tokens AS BIGINT) AS input_tokens,
    CAST(d_output_tokens AS BIGINT) AS output_tokens,
    CAST(d_cache_read_tokens AS BIGINT) AS cache_read_tokens,
    CAST(d_cache_write_tokens AS BIGINT) AS cache_write_tokens,
    d_price AS price
FROM checked_inference_calls
WHERE problem IS NULL
ORDER BY position;
