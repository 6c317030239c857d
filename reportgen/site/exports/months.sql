-- csv/months.csv: per calendar month (the report's time zone) the whole report (dimension
-- 'all'), each user ('user', key = user_id) and each model ('model', key = model), as in
-- api/months.json.
SELECT
    m.month, m.dimension, cell(m.key) AS key, cell(CASE WHEN m.dimension = 'user' THEN coalesce(h.handle, m.key) END)
        AS handle,
    m.requests, m.input_tokens, m.output_tokens, m.cache_read_tokens, m.cache_write_tokens, m.price, m.discrepancies,
    m.usage_over_inference, m.usage_under_inference, m.expected_price, m.priced_calls_price, m.unpriced_calls
FROM months m
LEFT JOIN user_handles h ON m.dimension = 'user' AND h.user_id = m.key
ORDER BY m.month, m.dimension, m.price DESC, m.key NULLS LAST
