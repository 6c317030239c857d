-- User summary rows as the JSON API writes them, numbered in display order (n from 0).
CREATE OR REPLACE TABLE api_users AS
SELECT
    row_number() OVER (ORDER BY price DESC, user_id) - 1 AS n,
    user_id,
    to_json({
        'user_id': user_id, 'handle': handle, 'requests': requests,
        'input_tokens': input_tokens, 'output_tokens': output_tokens,
        'cache_read_tokens': cache_read_tokens, 'cache_write_tokens': cache_write_tokens,
        'price': price, 'discrepancies': discrepancies,
        'first_seen': iso(first_seen), 'last_seen': iso(last_seen), 'source': source,
        'usage_over_inference': usage_over_inference, 'usage_under_inference': usage_under_inference
    }) AS item
FROM user_summary
ORDER BY n;
