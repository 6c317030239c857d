-- Every raw usage row: its position in the source, its values parsed once, and its first
-- problem (NULL = accepted). The first occurrence of an id is accepted; later ones are duplicates.
CREATE OR REPLACE TEMP TABLE checked_usage AS
WITH repeated AS (  -- the ids that occur more than once, with the first row of each
    SELECT text_or_null(id) AS repeated_id, min(rowid) AS first_rowid
    FROM raw_usage
    GROUP BY repeated_id
    HAVING count(*) > 1
),
parsed AS (
    SELECT
        raw_usage.rowid + 1 AS position, raw_usage.*,
        raw_usage.rowid > first_rowid AS duplicate,
        ts_value(created_at) AS parsed_created_at,
        decimal_of(input_tokens) AS d_input_tokens,
        decimal_of(output_tokens) AS d_output_tokens,
        decimal_of(cache_read_tokens) AS d_cache_read_tokens,
        decimal_of(cache_write_tokens) AS d_cache_write_tokens,
        decimal_of(price) AS d_price
    FROM raw_usage
    LEFT JOIN repeated ON repeated_id = text_or_null(id)
)
SELECT *,
    CASE
        WHEN bad_encoding IS NOT NULL THEN problem('bad_encoding', bad_encoding, bad_encoding_value)
        WHEN blank(id) THEN problem('missing_id', 'id', id)
        WHEN reserved_id(id) THEN problem('reserved_id', 'id', id)
        WHEN duplicate THEN problem('duplicate_id', 'id', id)
        WHEN blank(user_id) THEN problem('missing_user_id', 'user_id', user_id)
        WHEN parsed_created_at IS NULL OR NOT isfinite(parsed_created_at)
            THEN problem('bad_timestamp', 'created_at', created_at)
        ELSE first_figure_problem(input_tokens, d_input_tokens, output_tokens, d_output_tokens,
                                  cache_read_tokens, d_cache_read_tokens, cache_write_tokens, d_cache_write_tokens,
                                  price, d_price)
    END AS problem
FROM parsed;
