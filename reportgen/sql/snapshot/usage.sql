-- Accepted usage rows, typed.
CREATE OR REPLACE TABLE usage AS
SELECT
    id,
    ts_value(created_at) AS created_at,
    user_id,
    CASE WHEN blank(handle) THEN NULL ELSE handle END AS handle,
    CASE WHEN blank(model) THEN NULL ELSE model END AS model,
    token_value(input_tokens) AS input_tokens,
    token_value(output_tokens) AS output_tokens,
    token_value(cache_read_tokens) AS cache_read_tokens,
    token_value(cache_write_tokens) AS cache_write_tokens,
    price_value(price) AS price
FROM checked_usage
WHERE problem IS NULL
ORDER BY position;
