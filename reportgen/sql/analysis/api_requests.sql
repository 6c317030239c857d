-- Effective requests as the JSON API writes them, newest first (n from 0): the list item, the
-- per-request document (item + its calls) and the by-usage document (the calls alone).
-- Documents are joined as text: DuckDB re-parses embedded JSON values as doubles, which
-- would make prices inexact.
CREATE OR REPLACE TABLE api_requests AS
WITH items AS (
    SELECT
        row_number() OVER (ORDER BY created_at DESC, id) - 1 AS n,
        row_number() OVER (PARTITION BY user_id ORDER BY created_at DESC, id) - 1 AS user_n,
        id, usage_id, user_id, calls, discrepancies,
        to_json({
            'id': id, 'user_id': user_id, 'handle': handle, 'created_at': iso(created_at), 'model': model,
            'input_tokens': input_tokens, 'output_tokens': output_tokens,
            'cache_read_tokens': cache_read_tokens, 'cache_write_tokens': cache_write_tokens,
            'price': price, 'source': source, 'discrepancies': discrepancies,
            'inference': {
                'calls': calls, 'input_tokens': inference_input_tokens,
                'output_tokens': inference_output_tokens, 'cache_read_tokens': inference_cache_read_tokens,
                'cache_write_tokens': inference_cache_write_tokens, 'price': inference_price
            },
            'difference': {
                'input_tokens': difference_input_tokens, 'output_tokens': difference_output_tokens,
                'cache_read_tokens': difference_cache_read_tokens, 'cache_write_tokens': difference_cache_write_tokens,
                'price': difference_price
            },
            'usage': CASE WHEN synthetic THEN NULL ELSE {
                'input_tokens': usage_input_tokens, 'output_tokens': usage_output_tokens,
                'cache_read_tokens': usage_cache_read_tokens, 'cache_write_tokens': usage_cache_write_tokens,
                'price': usage_price
            } END
        }) AS item
    FROM requests
),
call_lists AS (
    SELECT request_id, '[' || string_agg(item::VARCHAR, ',' ORDER BY created_at, id) || ']' AS calls_json
    FROM api_calls
    GROUP BY request_id
)
SELECT
    i.n, i.user_n, i.id, i.user_id, i.discrepancies, i.item,
    without_last_brace(i.item) || ',"calls":' || coalesce(c.calls_json, '[]') || '}' AS request_doc,
    without_last_brace(to_json({'usage_id': i.usage_id, 'request_id': i.id, 'total': i.calls}))
        || ',"items":' || coalesce(c.calls_json, '[]') || '}' AS calls_doc
FROM items i
LEFT JOIN call_lists c ON c.request_id = i.id
ORDER BY i.n;
