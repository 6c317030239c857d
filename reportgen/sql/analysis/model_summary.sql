-- Requests, tokens and spend per model over effective requests, highest spend first.
-- A request without a model (and with no call naming one) counts under NULL.
CREATE OR REPLACE TABLE model_summary AS
SELECT
    model,
    count(*) AS requests,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    sum(cache_read_tokens) AS cache_read_tokens,
    sum(cache_write_tokens) AS cache_write_tokens,
    sum(price) AS price
FROM requests
GROUP BY model
ORDER BY price DESC, model NULLS LAST;
