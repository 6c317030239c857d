-- Effective requests as the JSON API writes them, newest first (n from 0): the list item and
-- the head of the by-usage document. The per-request documents (item + its calls) are joined
-- from api_calls at render time, a page of requests at a time (site/queries.py): built here for
-- every request at once they would hold every call's JSON in memory, which at 1M requests is
-- more than the builder's memory_limit. Documents are joined as text: DuckDB re-parses embedded
-- JSON values as doubles, which would make prices inexact.
CREATE OR REPLACE TABLE api_requests AS
WITH items AS (
    SELECT
        row_number() OVER (ORDER BY created_at DESC, id) - 1 AS n,
        row_number() OVER (PARTITION BY user_id ORDER BY created_at DESC, id) - 1 AS user_n,
        id, usage_id, user_id, calls, discrepancies, inference_priced_calls_price,
        to_json({
            'id': id, 'user_id': user_id, 'handle': handle, 'created_at': iso(created_at), 'model': model,
            'input_tokens': input_tokens, 'output_tokens': output_tokens,
            'cache_read_tokens': cache_read_tokens, 'cache_write_tokens': cache_write_tokens,
            'price': price, 'source': source, 'discrepancies': discrepancies,
            'inference': {
                'calls': calls, 'input_tokens': inference_input_tokens,
                'output_tokens': inference_output_tokens, 'cache_read_tokens': inference_cache_read_tokens,
                'cache_write_tokens': inference_cache_write_tokens, 'price': inference_price,
                'expected_price': inference_expected_price, 'unpriced_calls': inference_unpriced_calls
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
)
SELECT
    n, user_n, id, user_id, discrepancies, item,
    inference_priced_calls_price AS priced_calls_price,  -- for the request page's expected-price gap
    -- the by-usage document up to its items, which render-time queries append from api_calls
    without_last_brace(to_json({'usage_id': usage_id, 'request_id': id, 'total': calls})) AS calls_head
FROM items
ORDER BY n;
