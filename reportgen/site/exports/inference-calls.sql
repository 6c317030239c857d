-- csv/inference-calls.csv: every accepted inference call, newest first: the order calls.sql
-- stores them in, which a plain scan keeps (exports.py), so nothing is sorted here.
SELECT
    cell(id) AS id, cell(usage_id) AS usage_id, iso(created_at) AS created_at, cell(user_id) AS user_id,
    cell(model) AS model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, price,
    cell(request_id) AS request_id, expected_price
FROM calls
