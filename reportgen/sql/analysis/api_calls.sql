-- Inference call rows as the JSON API writes them, newest first (n from 0).
CREATE OR REPLACE TABLE api_calls AS
SELECT
    row_number() OVER (ORDER BY created_at DESC, id) - 1 AS n,
    id, request_id, created_at,
    to_json({
        'id': id, 'usage_id': usage_id, 'created_at': iso(created_at), 'user_id': user_id,
        'model': model, 'input_tokens': input_tokens, 'output_tokens': output_tokens,
        'cache_read_tokens': cache_read_tokens, 'cache_write_tokens': cache_write_tokens,
        'price': price, 'request_id': request_id
    }) AS item
FROM calls
ORDER BY n;
