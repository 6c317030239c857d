-- What decides whether a request changed between two snapshots (PRODUCT.md §4, "Changes since
-- the previous snapshot"): its effective figures, source, discrepancy kinds and set of call ids,
-- as one md5 `key`; with what the comparison reports beside it (user, price, the kinds). The
-- set of call ids is hashed order-free (bit_xor of each id's hash, and their count), so no
-- list of ids is held per request. Read by sql/changes/ from this and the previous snapshot.
CREATE OR REPLACE TABLE request_keys AS
WITH call_sets AS (
    SELECT request_id, count(*) AS calls, bit_xor(hash(id)) AS call_ids_hash
    FROM calls
    GROUP BY request_id
)
SELECT
    r.id, r.user_id, r.handle, r.price, r.discrepancies,
    md5(concat_ws('|', r.input_tokens, r.output_tokens, r.cache_read_tokens, r.cache_write_tokens,
                  r.price::DECIMAL(38, 12), r.source, array_to_string(r.discrepancies, ','),
                  coalesce(c.calls, 0), coalesce(c.call_ids_hash, 0))) AS key
FROM requests r
LEFT JOIN call_sets c ON c.request_id = r.id;
