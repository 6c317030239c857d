-- Inference call rows as the JSON API writes them, newest first (n from 0), with the n of
-- their request in api_requests: calls are written close to their request, so request_n
-- follows this table's order closely and a range of it is read from a few row groups.
-- `flags` marks, in words for the request page, a call that does not look like its request's:
--   other_user        made for another user than its request's (a call without a user is not)
--   far_from_request  more than an hour before or after its request
CREATE OR REPLACE TABLE api_calls AS
SELECT
    row_number() OVER (ORDER BY c.created_at DESC, c.id) - 1 AS n,
    c.id, c.request_id, r.n AS request_n, c.created_at,
    list_filter([
        CASE WHEN c.user_id <> q.user_id THEN 'other_user' END,
        CASE WHEN abs(epoch(c.created_at) - epoch(q.created_at)) > 3600 THEN 'far_from_request' END
    ], flag -> flag IS NOT NULL) AS flags,
    to_json({
        'id': c.id, 'usage_id': c.usage_id, 'created_at': iso(c.created_at), 'user_id': c.user_id,
        'model': c.model, 'input_tokens': c.input_tokens, 'output_tokens': c.output_tokens,
        'cache_read_tokens': c.cache_read_tokens, 'cache_write_tokens': c.cache_write_tokens,
        'price': c.price, 'request_id': c.request_id, 'expected_price': c.expected_price
    }) AS item
FROM calls c
LEFT JOIN api_requests r ON r.id = c.request_id
LEFT JOIN requests q ON q.id = c.request_id
ORDER BY n;
