-- Accepted inference calls with the effective request each belongs to (PRODUCT.md §2):
-- its usage row, else a synthetic request named after its usage_id, else 'call:' || its id;
-- and expected_price, what it should have cost by the price table (docs/reference.md, "Expected
-- price"): its tokens (NULL as 0) at the prices of its model's band (price_bands.sql) for its
-- created_at and input. NULL (unpriced) when the table lacks its model, or when its input tokens
-- are to include the cache tokens (variable cache_included) and are fewer than them.
CREATE OR REPLACE TABLE calls AS
WITH counted AS (
    SELECT
        c.*,
        coalesce(c.input_tokens, 0) AS plain_input,
        coalesce(c.cache_read_tokens, 0) + coalesce(c.cache_write_tokens, 0) AS cache_input
    FROM inference_calls c
),
split AS (
    SELECT
        * EXCLUDE (plain_input, cache_input),
        CASE WHEN getvariable('cache_included') THEN plain_input - cache_input ELSE plain_input END AS uncached,
        -- what tiers are decided by: every input token, cached or not (genai-prices' rule)
        CASE WHEN getvariable('cache_included') THEN plain_input ELSE plain_input + cache_input END AS all_input
    FROM counted
)
SELECT
    c.* EXCLUDE (uncached, all_input),
    CASE WHEN c.usage_id IS NULL THEN 'call:' || c.id ELSE c.usage_id END AS request_id,
    u.id IS NULL AS orphan,
    CASE WHEN c.uncached >= 0 THEN
        ((c.uncached * b.input_mtok + coalesce(c.output_tokens, 0) * b.output_mtok
          + coalesce(c.cache_read_tokens, 0) * b.cache_read_mtok
          + coalesce(c.cache_write_tokens, 0) * b.cache_write_mtok) * 0.000001)::DECIMAL(38, 18)
    END AS expected_price
FROM split c
LEFT JOIN usage u ON u.id = c.usage_id
LEFT JOIN price_bands b
    ON b.model = c.model
   AND c.created_at >= b.valid_from AND (b.valid_to IS NULL OR c.created_at < b.valid_to)
   AND c.all_input > b.tier_start AND (b.tier_end IS NULL OR c.all_input <= b.tier_end)
ORDER BY c.created_at DESC, c.id;
