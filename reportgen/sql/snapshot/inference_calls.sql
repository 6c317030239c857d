-- Accepted inference calls, typed. A blank usage_id or user_id is NULL.
CREATE OR REPLACE TABLE inference_calls AS
SELECT
    id,
    CASE WHEN blank(usage_id) THEN NULL ELSE usage_id END AS usage_id,
    ts_value(created_at) AS created_at,
    CASE WHEN blank(user_id) THEN NULL ELSE user_id END AS user_id,
    CASE WHEN blank(model) THEN NULL ELSE model END AS model,
    token_value(input_tokens) AS input_tokens,
    token_value(output_tokens) AS output_tokens,
    token_value(cache_read_tokens) AS cache_read_tokens,
    token_value(cache_write_tokens) AS cache_write_tokens,
    price_value(price) AS price
FROM checked_inference_calls
WHERE problem IS NULL
ORDER BY position;
