-- For each discrepancy kind, its requests largest first (n from 0 within the kind), pointing at
-- api_requests by its n. `size` is what makes one larger than another, as an amount:
--   price     |usage price - inference price| (USD)
--   tokens    the sum of |usage - inference| over the four token columns (tokens)
--   no_calls  the usage price, charged with no call behind it (USD)
--   orphan    the inference price, spent with no usage row (USD)
-- `net` is the signed difference for price (usage over inference > 0), else NULL.
-- `item` (the request's row of api_requests) and `cause` (request_causes) are what a list page
-- shows of it: a page of a kind is then a run of this table, read from a row group or two,
-- where its requests themselves lie all over api_requests (they are in order of size).
CREATE OR REPLACE TABLE api_discrepancies AS
WITH sized AS (
    SELECT
        d.kind, a.n AS request_n,
        CASE d.kind
            WHEN 'price' THEN abs(r.difference_price)
            WHEN 'tokens' THEN (coalesce(abs(r.difference_input_tokens), 0) + coalesce(abs(r.difference_output_tokens), 0)
                                + coalesce(abs(r.difference_cache_read_tokens), 0)
                                + coalesce(abs(r.difference_cache_write_tokens), 0))::DECIMAL(38, 12)
            WHEN 'no_calls' THEN coalesce(r.usage_price, 0)
            ELSE r.inference_price
        END AS size,
        CASE WHEN d.kind = 'price' THEN r.difference_price END AS net,
        a.item
    FROM api_requests a
    JOIN requests r ON r.id = a.id, unnest(a.discrepancies) AS d(kind)
)
SELECT s.kind, row_number() OVER (PARTITION BY s.kind ORDER BY s.size DESC, s.request_n) - 1 AS n, s.request_n,
       s.size, s.net, s.item, c.cause
FROM sized s
LEFT JOIN request_causes c ON c.n = s.request_n
ORDER BY kind, n;
