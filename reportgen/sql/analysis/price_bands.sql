-- The snapshot's price table (price_table) as bands: each row valid from valid_from until
-- valid_to (NULL: for good) for calls whose input tokens, cache included, are more than
-- tier_start and at most tier_end (NULL: no limit). Every call of a priced model falls in one
-- band, so calls.sql prices 4.4M calls with a hash join on model against these few rows.
CREATE OR REPLACE TABLE price_bands AS
WITH periods AS (
    SELECT model, valid_from, lead(valid_from) OVER (PARTITION BY model ORDER BY valid_from) AS valid_to
    FROM (SELECT DISTINCT model, valid_from FROM price_table)
)
SELECT
    p.model, p.valid_from, d.valid_to, p.tier_start,
    lead(p.tier_start) OVER (PARTITION BY p.model, p.valid_from ORDER BY p.tier_start) AS tier_end,
    coalesce(p.input_mtok, 0) AS input_mtok,
    coalesce(p.output_mtok, 0) AS output_mtok,
    -- cache tokens without a price of their own cost the input price, as genai-prices has it
    coalesce(p.cache_read_mtok, p.input_mtok, 0) AS cache_read_mtok,
    coalesce(p.cache_write_mtok, p.input_mtok, 0) AS cache_write_mtok
FROM price_table p
JOIN periods d USING (model, valid_from)
ORDER BY p.model, p.valid_from, p.tier_start;
