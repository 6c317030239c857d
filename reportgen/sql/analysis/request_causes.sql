-- The most likely cause of each tokens or price discrepancy, in the order people reconcile usage
-- with provider data by hand: first which calls belong to the request, then the quantities
-- (tokens), then the pricing. The first rule that holds names the cause (help.md explains them):
--   other_user     one of its calls was made for another user
--   far_call       one of its calls is more than an hour away from the request
--   cache_only     input and output tokens match; only the cache columns differ
--   missing_calls  usage counts more tokens than its calls, in no column fewer: calls missing
--   extra_calls    its calls count more tokens than usage, in no column more: calls extra
--   mixed_tokens   token counts differ in both directions
--   pricing        the tokens match but the price differs
-- Requests without a tokens or price discrepancy have no row. n is the request's n in api_requests.
CREATE OR REPLACE TABLE request_causes AS
WITH call_flags AS (
    SELECT request_n,
           bool_or(list_contains(flags, 'other_user')) AS other_user,
           bool_or(list_contains(flags, 'far_from_request')) AS far_call
    FROM api_calls
    WHERE len(flags) > 0
    GROUP BY request_n
),
differences AS (
    SELECT
        a.n, r.id,
        coalesce(r.difference_input_tokens, 0) AS d_in, coalesce(r.difference_output_tokens, 0) AS d_out,
        coalesce(r.difference_cache_read_tokens, 0) AS d_cr, coalesce(r.difference_cache_write_tokens, 0) AS d_cw,
        list_contains(r.discrepancies, 'tokens') AS tokens
    FROM requests r
    JOIN api_requests a ON a.id = r.id
    WHERE list_contains(r.discrepancies, 'tokens') OR list_contains(r.discrepancies, 'price')
)
SELECT
    d.n, d.id,
    CASE
        WHEN coalesce(f.other_user, false) THEN 'other_user'
        WHEN coalesce(f.far_call, false) THEN 'far_call'
        WHEN d.tokens AND d.d_in = 0 AND d.d_out = 0 THEN 'cache_only'
        WHEN d.tokens AND least(d.d_in, d.d_out, d.d_cr, d.d_cw) >= 0 THEN 'missing_calls'
        WHEN d.tokens AND greatest(d.d_in, d.d_out, d.d_cr, d.d_cw) <= 0 THEN 'extra_calls'
        WHEN d.tokens THEN 'mixed_tokens'
        ELSE 'pricing'
    END AS cause
FROM differences d
LEFT JOIN call_flags f ON f.request_n = d.n;
