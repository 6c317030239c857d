-- Shared by the CSV exports (one file per export, each a SELECT written as RFC 4180 CSV).
-- A text cell a spreadsheet would run as a formula (it starts with = + - @, a tab or a carriage
-- return) gets a leading quote; numbers stay numbers.
CREATE OR REPLACE TEMP MACRO cell(x) AS CASE WHEN regexp_matches(x, '^[=+\-@\t\r]') THEN '''' || x ELSE x END;
-- Timestamps as the JSON API writes them: ISO-8601 in UTC with offset. The same macro as
-- sql/analysis/macros.sql's (its comment says why epoch_us); tests/test_sql_requests.py runs both.
CREATE OR REPLACE TEMP MACRO iso(ts) AS strftime(make_timestamp(epoch_us(ts)), '%Y-%m-%dT%H:%M:%S.%f') || '+00:00';
-- One row per effective request, newest first (the order requests.sql stores them in, which a
-- plain scan keeps: see exports.py), nested objects flattened with '_' (inference_*, usage_*);
-- `only_kind` keeps the requests with that discrepancy (NULL: all of them).
CREATE OR REPLACE TEMP MACRO request_rows(only_kind) AS TABLE
SELECT
    cell(id) AS id, cell(user_id) AS user_id, cell(handle) AS handle, iso(created_at) AS created_at,
    cell(model) AS model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, price,
    source, array_to_string(discrepancies, ' ') AS discrepancies,
    calls AS inference_calls, inference_input_tokens, inference_output_tokens, inference_cache_read_tokens,
    inference_cache_write_tokens, inference_price, inference_expected_price, inference_unpriced_calls,
    usage_input_tokens, usage_output_tokens, usage_cache_read_tokens, usage_cache_write_tokens, usage_price,
    difference_input_tokens, difference_output_tokens, difference_cache_read_tokens, difference_cache_write_tokens,
    difference_price
FROM requests
WHERE only_kind IS NULL OR list_contains(discrepancies, only_kind);
