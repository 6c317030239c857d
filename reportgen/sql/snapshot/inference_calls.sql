-- Accepted inference calls, typed. A blank usage_id or user_id is NULL.
CREATE OR REPLACE TABLE inference_calls AS
SELECT
    id,
    text_or_null(usage_id) AS usage_id,
    parsed_created_at AS created_at,
    text_or_null(user_id) AS user_id,
    text_or_null(model) AS model,
    token_value(input_tokens, d_input_tokens) AS input_tokens,
    token_value(output_tokens, d_output_tokens) AS output_tokens,
    token_value(cache_read_tokens, d_cache_read_tokens) AS cache_read_tokens,
    token_value(cache_write_tokens, d_cache_write_tokens) AS cache_write_tokens,
    d_price AS price
FROM checked_inference_calls
WHERE problem IS NULL
ORDER BY position;
