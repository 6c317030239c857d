-- Accepted usage rows, typed.
CREATE OR REPLACE TABLE usage AS
SELECT
    id,
    parsed_created_at AS created_at,
    user_id,
    text_or_null(handle) AS handle,
    text_or_null(model) AS model,
    CAST(d_input_tokens AS BIGINT) AS input_tokens,
    CAST(d_output_tokens AS BIGINT) AS output_tokens,
    CAST(d_cache_read_tokens AS BIGINT) AS cache_read_tokens,
    CAST(d_cache_write_tokens AS BIGINT) AS cache_write_tokens,
    d_price AS price
FROM checked_usage
WHERE problem IS NULL
ORDER BY position;
