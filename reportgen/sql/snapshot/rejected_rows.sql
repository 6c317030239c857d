-- Every rejected row of both tables: where it was, why, and its original values as JSON text.
CREATE OR REPLACE TABLE rejected_rows AS
SELECT 'usage' AS table_name, position, problem.reason AS reason, problem.column_name AS column_name,
       problem.value AS value,
       to_json({'id': id, 'created_at': created_at, 'user_id': user_id, 'handle': handle, 'model': model,
                'input_tokens': input_tokens, 'output_tokens': output_tokens,
                'cache_read_tokens': cache_read_tokens, 'cache_write_tokens': cache_write_tokens,
                'price': price}) AS original
FROM checked_usage WHERE problem IS NOT NULL
UNION ALL
SELECT 'inference_calls', position, problem.reason, problem.column_name, problem.value,
       to_json({'id': id, 'usage_id': usage_id, 'created_at': created_at, 'user_id': user_id, 'model': model,
                'input_tokens': input_tokens, 'output_tokens': output_tokens,
                'cache_read_tokens': cache_read_tokens, 'cache_write_tokens': cache_write_tokens,
                'price': price})
FROM checked_inference_calls WHERE problem IS NOT NULL
ORDER BY table_name DESC, position;
