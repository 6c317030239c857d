-- Per calendar month (YYYY-MM in the configured time zone) over the effective requests: for the
-- whole report (dimension 'all', key NULL), per user (key user_id) and per model of the request
-- (key model, NULL when not recorded). Figures as in the user summary, plus the expected-price
-- check: expected_price and priced_calls_price over priced calls (NULL when none is priced),
-- and unpriced_calls.
CREATE OR REPLACE TABLE months AS
WITH dated AS (
    SELECT *, strftime(local_day(created_at), '%Y-%m') AS month FROM requests
)
SELECT
    month,
    CASE WHEN grouping(user_id) = 0 THEN 'user' WHEN grouping(model) = 0 THEN 'model' ELSE 'all' END AS dimension,
    CASE WHEN grouping(user_id) = 0 THEN user_id WHEN grouping(model) = 0 THEN model END AS key,
    count(*) AS requests,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    sum(cache_read_tokens) AS cache_read_tokens,
    sum(cache_write_tokens) AS cache_write_tokens,
    sum(price) AS price,
    count(*) FILTER (WHERE len(discrepancies) > 0) AS discrepancies,
    coalesce(sum(difference_price) FILTER (WHERE difference_price > 0), 0) AS usage_over_inference,
    coalesce(-sum(difference_price) FILTER (WHERE difference_price < 0), 0) AS usage_under_inference,
    sum(inference_expected_price) FILTER (WHERE calls > 0) AS expected_price,
    sum(inference_priced_calls_price) AS priced_calls_price,
    sum(inference_unpriced_calls) AS unpriced_calls
FROM dated
GROUP BY GROUPING SETS ((month), (month, user_id), (month, model))
ORDER BY month, dimension, price DESC, key NULLS LAST;
