-- Per user over the effective request set (PRODUCT.md §2), highest spend first.
CREATE OR REPLACE TABLE user_summary AS
SELECT
    r.user_id,
    coalesce(h.handle, r.user_id) AS handle,
    count(*) AS requests,
    sum(r.input_tokens) AS input_tokens,
    sum(r.output_tokens) AS output_tokens,
    sum(r.cache_read_tokens) AS cache_read_tokens,
    sum(r.cache_write_tokens) AS cache_write_tokens,
    sum(r.price) AS price,
    count(*) FILTER (WHERE len(r.discrepancies) > 0) AS discrepancies,
    -- the user's price differences split by sign, both as amounts >= 0
    coalesce(sum(r.difference_price) FILTER (WHERE r.difference_price > 0), 0) AS usage_over_inference,
    coalesce(-sum(r.difference_price) FILTER (WHERE r.difference_price < 0), 0) AS usage_under_inference,
    min(r.created_at) AS first_seen,
    max(r.created_at) AS last_seen,
    CASE WHEN bool_and(r.source = 'usage') THEN 'usage'
         WHEN bool_and(r.source = 'inference') THEN 'inference'
         ELSE 'mixed' END AS source
FROM requests r
LEFT JOIN user_handles h ON h.user_id = r.user_id
GROUP BY r.user_id, h.handle
ORDER BY price DESC, r.user_id;
