-- The operator's price table (a CSV of model, input_mtok, output_mtok, cache_read_mtok,
-- cache_write_mtok, valid_from), read as text and checked row by row: `problem` names the first
-- thing wrong with a row (NULL when it is fine). Reads price_csv_raw: the file's columns as
-- text (NULL for an optional column it lacks) and `line`, its line number (prices.py).
CREATE TEMP TABLE price_csv AS
WITH typed AS (
    SELECT
        line,
        trim(model) AS model,
        input_mtok AS input_text, output_mtok AS output_text,
        cache_read_mtok AS cache_read_text, cache_write_mtok AS cache_write_text, valid_from AS valid_from_text,
        try_cast(nullif(trim(input_mtok), '') AS DECIMAL(38, 12)) AS input_mtok,
        try_cast(nullif(trim(output_mtok), '') AS DECIMAL(38, 12)) AS output_mtok,
        try_cast(nullif(trim(cache_read_mtok), '') AS DECIMAL(38, 12)) AS cache_read_mtok,
        try_cast(nullif(trim(cache_write_mtok), '') AS DECIMAL(38, 12)) AS cache_write_mtok,
        CASE WHEN nullif(trim(valid_from), '') IS NULL THEN '-infinity'::TIMESTAMPTZ
             ELSE try_cast(trim(valid_from) AS TIMESTAMPTZ) END AS valid_from
    FROM price_csv_raw
)
SELECT
    *,
    CASE
        WHEN model IS NULL OR model = '' THEN 'no model'
        WHEN input_mtok IS NULL OR input_mtok < 0 THEN format('input_mtok {} is not a non-negative number', coalesce(input_text, 'missing'))
        WHEN output_mtok IS NULL OR output_mtok < 0 THEN format('output_mtok {} is not a non-negative number', coalesce(output_text, 'missing'))
        WHEN nullif(trim(cache_read_text), '') IS NOT NULL AND (cache_read_mtok IS NULL OR cache_read_mtok < 0)
            THEN format('cache_read_mtok {} is not a non-negative number', cache_read_text)
        WHEN nullif(trim(cache_write_text), '') IS NOT NULL AND (cache_write_mtok IS NULL OR cache_write_mtok < 0)
            THEN format('cache_write_mtok {} is not a non-negative number', cache_write_text)
        WHEN valid_from IS NULL THEN format('valid_from {} is not a date or time', valid_from_text)
        WHEN count(*) OVER (PARTITION BY model, valid_from) > 1 THEN format('{} is priced twice from the same time', model)
    END AS problem
FROM typed
ORDER BY line;
