-- Inference totals per effective request: call count and sums (a NULL figure counts as 0),
-- plus what a synthetic request takes from its calls (earliest time, earliest known user).
CREATE OR REPLACE TABLE inference_totals AS
SELECT
    request_id,
    bool_or(orphan) AS orphan,
    count(*) AS calls,
    token_total(coalesce(sum(input_tokens), 0), request_id) AS input_tokens,
    token_total(coalesce(sum(output_tokens), 0), request_id) AS output_tokens,
    token_total(coalesce(sum(cache_read_tokens), 0), request_id) AS cache_read_tokens,
    token_total(coalesce(sum(cache_write_tokens), 0), request_id) AS cache_write_tokens,
    coalesce(sum(price), 0) AS price,
    -- over priced calls only; NULL when none is priced (never $0 for unpriced calls)
    sum(expected_price) AS expected_price,
    count(*) FILTER (WHERE expected_price IS NULL) AS unpriced_calls,
    -- the recorded price of the priced calls, to set against expected_price
    sum(price) FILTER (WHERE expected_price IS NOT NULL) AS priced_calls_price,
    min(created_at) AS first_call_at,
    arg_min(user_id, (created_at, id)) FILTER (WHERE user_id IS NOT NULL) AS first_user_id,
    -- the distinct models, sorted, as one text (NULL when no call names one): a list per request
    -- (a few names), as string_agg(DISTINCT model ORDER BY model) took 4 of 6 s at 1M requests
    nullif(array_to_string(list_sort(list_distinct(list(model))), ', '), '') AS models
FROM calls
GROUP BY request_id
ORDER BY request_id;
