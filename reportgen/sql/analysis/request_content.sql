-- What a request's own files (its page, its calls page, its two JSON files) are made from, as one
-- md5 `content_key`: its API item, its calls' items (an order-free hash of the set and their
-- count: their order follows from their times and ids) and its likely cause (the flags follow
-- from the items). The build adds what the pages depend on beyond the data (tool and template
-- version, title, time zone, source) in sql/changes/request_files.sql, and links the files of a
-- request whose key is unchanged from the previous snapshot instead of writing them again.
CREATE OR REPLACE TABLE request_content AS
WITH call_sets AS (
    SELECT request_n, count(*) AS calls, bit_xor(hash(item::VARCHAR)) AS items_hash
    FROM api_calls
    GROUP BY request_n
)
SELECT
    a.n, a.id,
    md5(concat_ws('|', a.item::VARCHAR, a.calls_head, coalesce(c.calls, 0), coalesce(c.items_hash, 0),
                  coalesce(k.cause, ''))) AS content_key
FROM api_requests a
LEFT JOIN call_sets c ON c.request_n = a.n
LEFT JOIN request_causes k ON k.n = a.n;
