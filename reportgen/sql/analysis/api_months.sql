-- api/months.json as one document: every month of the report with its figures, its users
-- (highest spend first) and its models, and the month to date against the same days of the
-- month before (see months.sql, month_to_date.sql). Built from typed values, never embedded
-- JSON text, so amounts stay exact decimals. `page` is the same without the users (see below).
CREATE OR REPLACE TABLE api_months AS
WITH figures AS (
    SELECT
        month, dimension, key, price,
        {'requests': requests, 'input_tokens': input_tokens, 'output_tokens': output_tokens,
         'cache_read_tokens': cache_read_tokens, 'cache_write_tokens': cache_write_tokens, 'price': price,
         'discrepancies': discrepancies, 'usage_over_inference': usage_over_inference,
         'usage_under_inference': usage_under_inference, 'expected_price': expected_price,
         'priced_calls_price': priced_calls_price, 'unpriced_calls': unpriced_calls} AS f
    FROM months
),
per_month AS (
    SELECT
        a.month,
        struct_concat({'month': a.month}, a.f) AS head,
        coalesce((SELECT list(struct_concat({'user_id': u.key, 'handle': coalesce(h.handle, u.key)}, u.f)
                              ORDER BY u.price DESC, u.key)
                  FROM figures u LEFT JOIN user_handles h ON h.user_id = u.key
                  WHERE u.dimension = 'user' AND u.month = a.month), []) AS users,
        coalesce((SELECT list(struct_concat({'model': d.key}, d.f) ORDER BY d.price DESC, d.key NULLS LAST)
                  FROM figures d WHERE d.dimension = 'model' AND d.month = a.month), []) AS models
    FROM figures a
    WHERE a.dimension = 'all'
),
periods AS (
    SELECT period, iso(through) AS through, strftime(local_start, '%Y-%m-%dT%H:%M:%S') AS local_start,
           strftime(local_end, '%Y-%m-%dT%H:%M:%S') AS local_end,
           {'requests': requests, 'input_tokens': input_tokens, 'output_tokens': output_tokens,
            'cache_read_tokens': cache_read_tokens, 'cache_write_tokens': cache_write_tokens, 'price': price,
            'discrepancies': discrepancies} AS f
    FROM month_to_date
),
to_date AS (
    SELECT CASE WHEN count(*) > 0 THEN {
               'through': max(through),
               'current_from': max(local_start) FILTER (WHERE period = 'current'),
               'current': max(f) FILTER (WHERE period = 'current'),
               'previous_from': max(local_start) FILTER (WHERE period = 'previous'),
               'previous_to': max(local_end) FILTER (WHERE period = 'previous'),
               'previous': max(f) FILTER (WHERE period = 'previous')} END AS item
    FROM periods
)
SELECT
    to_json({
        'timezone': getvariable('timezone'),
        'months': coalesce((SELECT list(struct_concat(head, {'users': users, 'models': models}) ORDER BY month)
                            FROM per_month), []),
        'month_to_date': (SELECT item FROM to_date)
    })::VARCHAR AS doc,
    -- what the months page shows: the same without each month's users, which grow with the
    -- data (1.9 MB of JSON at 1M requests) and which the page does not list
    to_json({
        'timezone': getvariable('timezone'),
        'months': coalesce((SELECT list(struct_concat(head, {'models': models}) ORDER BY month) FROM per_month), []),
        'month_to_date': (SELECT item FROM to_date)
    })::VARCHAR AS page;
