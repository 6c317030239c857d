-- Requests, tokens and spend per model over effective requests, highest spend first.
-- A request without a model (and with no call naming one) counts under NULL. As per user: the
-- requests with a discrepancy, and the price differences split by sign, both as amounts >= 0.
CREATE OR REPLACE TABLE model_summary AS
SELECT
    model,
    count(*) AS requests,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    sum(cache_read_tokens) AS cache_read_tokens,
    sum(cache_write_tokens) AS cache_write_tokens,
    sum(price) AS price,
    count(*) FILTER (WHERE len(discrepancies) > 0) AS discrepancies,
    coalesce(sum(difference_price) FILTER (WHERE difference_price > 0), 0) AS usage_over_inference,
    coalesce(-sum(difference_price) FILTER (WHERE difference_price < 0), 0) AS usage_under_inference
FROM requests
GROUP BY model
ORDER BY price DESC, model NULLS LAST;
