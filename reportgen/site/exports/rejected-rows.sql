-- csv/rejected-rows.csv: every rejected row, its reason and its original values (original_*).
SELECT
    table_name, position, reason, column_name, cell(value) AS value,
    cell(original->>'id') AS original_id, cell(original->>'usage_id') AS original_usage_id,
    cell(original->>'created_at') AS original_created_at, cell(original->>'user_id') AS original_user_id,
    cell(original->>'handle') AS original_handle, cell(original->>'model') AS original_model,
    cell(original->>'input_tokens') AS original_input_tokens, cell(original->>'output_tokens') AS original_output_tokens,
    cell(original->>'cache_read_tokens') AS original_cache_read_tokens,
    cell(original->>'cache_write_tokens') AS original_cache_write_tokens, cell(original->>'price') AS original_price
FROM rejected_rows
ORDER BY table_name DESC, position
