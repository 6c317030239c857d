-- The effective request set (PRODUCT.md §2): every accepted usage row, plus one synthetic
-- request per orphan usage_id and per call without usage_id. Effective figures take the usage
-- value where it is not NULL, else the inference total. Only requests created in the window
-- (variables window_start, window_end; NULL = open) are kept.
CREATE OR REPLACE TABLE requests AS
WITH from_usage AS (
    SELECT
        u.id, u.id AS usage_id, u.created_at, u.user_id,
        coalesce(u.handle, h.handle, u.user_id) AS handle,
        coalesce(u.model, t.models) AS model,
        false AS synthetic,
        u.input_tokens AS usage_input_tokens,
        u.output_tokens AS usage_output_tokens,
        u.cache_read_tokens AS usage_cache_read_tokens,
        u.cache_write_tokens AS usage_cache_write_tokens,
        u.price AS usage_price,
        coalesce(t.calls, 0) AS calls,
        coalesce(t.input_tokens, 0) AS inference_input_tokens,
        coalesce(t.output_tokens, 0) AS inference_output_tokens,
        coalesce(t.cache_read_tokens, 0) AS inference_cache_read_tokens,
        coalesce(t.cache_write_tokens, 0) AS inference_cache_write_tokens,
        coalesce(t.price, 0) AS inference_price,
        -- no calls: nothing was expected; calls none of which is priced: NULL
        CASE WHEN t.calls IS NULL THEN 0 ELSE t.expected_price END AS inference_expected_price,
        coalesce(t.unpriced_calls, 0) AS inference_unpriced_calls,
        t.priced_calls_price AS inference_priced_calls_price
    FROM usage u
    LEFT JOIN inference_totals t ON t.request_id = u.id
    LEFT JOIN user_handles h ON h.user_id = u.user_id
),
synthetic AS (
    SELECT
        t.request_id AS id,
        CASE WHEN starts_with(t.request_id, 'call:') THEN NULL ELSE t.request_id END AS usage_id,
        t.first_call_at AS created_at,
        coalesce(t.first_user_id, '(unknown)') AS user_id,
        coalesce(h.handle, t.first_user_id, '(unknown)') AS handle,
        t.models AS model,
        true AS synthetic,
        NULL::BIGINT AS usage_input_tokens,
        NULL::BIGINT AS usage_output_tokens,
        NULL::BIGINT AS usage_cache_read_tokens,
        NULL::BIGINT AS usage_cache_write_tokens,
        NULL::DECIMAL(38, 12) AS usage_price,
        t.calls,
        t.input_tokens AS inference_input_tokens,
        t.output_tokens AS inference_output_tokens,
        t.cache_read_tokens AS inference_cache_read_tokens,
        t.cache_write_tokens AS inference_cache_write_tokens,
        t.price AS inference_price,
        t.expected_price AS inference_expected_price,
        t.unpriced_calls AS inference_unpriced_calls,
        t.priced_calls_price AS inference_priced_calls_price
    FROM inference_totals t
    LEFT JOIN user_handles h ON h.user_id = t.first_user_id
    WHERE t.orphan
),
effective AS (
    SELECT * FROM from_usage
    UNION ALL BY NAME
    SELECT * FROM synthetic
)
SELECT
    id, usage_id, created_at, user_id, handle, model, synthetic,
    coalesce(usage_input_tokens, inference_input_tokens) AS input_tokens,
    coalesce(usage_output_tokens, inference_output_tokens) AS output_tokens,
    coalesce(usage_cache_read_tokens, inference_cache_read_tokens) AS cache_read_tokens,
    coalesce(usage_cache_write_tokens, inference_cache_write_tokens) AS cache_write_tokens,
    coalesce(usage_price, inference_price) AS price,
    CASE (usage_input_tokens IS NULL)::INT + (usage_output_tokens IS NULL)::INT
         + (usage_cache_read_tokens IS NULL)::INT + (usage_cache_write_tokens IS NULL)::INT
         + (usage_price IS NULL)::INT
        WHEN 0 THEN 'usage' WHEN 5 THEN 'inference' ELSE 'mixed' END AS source,
    list_filter([
        CASE WHEN NOT synthetic AND calls > 0 AND (
                usage_input_tokens <> inference_input_tokens
             OR usage_output_tokens <> inference_output_tokens
             OR usage_cache_read_tokens <> inference_cache_read_tokens
             OR usage_cache_write_tokens <> inference_cache_write_tokens) THEN 'tokens' END,
        CASE WHEN NOT synthetic AND calls > 0
              AND abs(usage_price - inference_price) > getvariable('price_tolerance') THEN 'price' END,
        CASE WHEN NOT synthetic AND calls = 0 THEN 'no_calls' END,
        CASE WHEN synthetic THEN 'orphan' END
    ], kind -> kind IS NOT NULL) AS discrepancies,
    usage_input_tokens, usage_output_tokens, usage_cache_read_tokens, usage_cache_write_tokens, usage_price,
    calls, inference_input_tokens, inference_output_tokens, inference_cache_read_tokens,
    inference_cache_write_tokens, inference_price,
    inference_expected_price, inference_unpriced_calls, inference_priced_calls_price,
    -- usage value minus inference total: NULL where usage recorded nothing, where there are no
    -- calls to compare with, and on synthetic requests (whose usage_* are NULL)
    CASE WHEN calls > 0 THEN usage_input_tokens - inference_input_tokens END AS difference_input_tokens,
    CASE WHEN calls > 0 THEN usage_output_tokens - inference_output_tokens END AS difference_output_tokens,
    CASE WHEN calls > 0 THEN usage_cache_read_tokens - inference_cache_read_tokens END AS difference_cache_read_tokens,
    CASE WHEN calls > 0 THEN usage_cache_write_tokens - inference_cache_write_tokens END AS difference_cache_write_tokens,
    CASE WHEN calls > 0 THEN usage_price - inference_price END AS difference_price
FROM effective
WHERE (getvariable('window_start') IS NULL OR created_at >= getvariable('window_start'))
  AND (getvariable('window_end') IS NULL OR created_at < getvariable('window_end'))
ORDER BY created_at DESC, id;
