-- Every raw usage row with its position in the source and its first problem (NULL = accepted).
-- The first occurrence of an id is accepted; later ones are duplicates.
CREATE OR REPLACE TABLE checked_usage AS
WITH numbered AS (
    SELECT rowid + 1 AS position, *,
           row_number() OVER (PARTITION BY CASE WHEN blank(id) THEN NULL ELSE id END ORDER BY rowid) AS occurrence
    FROM raw_usage
)
SELECT *,
    coalesce(
        list_filter([
            problem(CASE WHEN blank(id) THEN 'missing_id' END, 'id', id),
            problem(CASE WHEN NOT blank(id) AND occurrence > 1 THEN 'duplicate_id' END, 'id', id),
            problem(CASE WHEN blank(user_id) THEN 'missing_user_id' END, 'user_id', user_id),
            problem(CASE WHEN ts_value(created_at) IS NULL THEN 'bad_timestamp' END, 'created_at', created_at)
        ], x -> x IS NOT NULL)[1],
        first_figure_problem(input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, price)
    ) AS problem
FROM numbered
ORDER BY position;
