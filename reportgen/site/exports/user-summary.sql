-- csv/user-summary.csv: the user summary, highest spend first.
SELECT
    cell(user_id) AS user_id, cell(handle) AS handle, requests, input_tokens, output_tokens, cache_read_tokens,
    cache_write_tokens, price, discrepancies, usage_over_inference, usage_under_inference, iso(first_seen) AS first_seen, iso(last_seen) AS last_seen, source
FROM user_summary
ORDER BY user_summary.price DESC, user_summary.user_id
