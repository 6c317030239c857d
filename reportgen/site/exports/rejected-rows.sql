-- csv/rejected-rows.csv: every rejected row, its reason and its original values (original_*), in
-- the order rejected_rows.sql stores them (by table, then source position): not sorted here.
-- Each row's original JSON is parsed once for all its fields (one `->>` per field parses it
-- eleven times, and needs more than a reader's memory at 100k requests).
SELECT
    table_name, position, reason, column_name, cell(value) AS value,
    cell(o[1]) AS original_id, cell(o[2]) AS original_usage_id, cell(o[3]) AS original_created_at,
    cell(o[4]) AS original_user_id, cell(o[5]) AS original_handle, cell(o[6]) AS original_model,
    cell(o[7]) AS original_input_tokens, cell(o[8]) AS original_output_tokens,
    cell(o[9]) AS original_cache_read_tokens, cell(o[10]) AS original_cache_write_tokens,
    cell(o[11]) AS original_price
FROM (
    SELECT *, json_extract_string(original, ['$.id', '$.usage_id', '$.created_at', '$.user_id', '$.handle',
        '$.model', '$.input_tokens', '$.output_tokens', '$.cache_read_tokens', '$.cache_write_tokens', '$.price']) AS o
    FROM rejected_rows
)
