-- Parsing of source text into typed values, and the reasons a value is bad. Each value is
-- parsed once (checked_*.sql keeps the parsed columns); the *_problem macros then only look at
-- the text and its parsed value.

-- Absent: NULL or blank text.
CREATE OR REPLACE TEMP MACRO blank(x) AS x IS NULL OR trim(x) = '';

-- Timestamps: ISO-8601 (no offset means UTC; the session time zone is UTC), or integer Unix
-- seconds, or integer Unix milliseconds (told apart by size: 1e11 seconds is the year 5138).
-- Anything else (including 'infinity' and more than 15 digits) is NULL, i.e. unparseable.
CREATE OR REPLACE TEMP MACRO ts_value(x) AS CASE
    WHEN blank(x) THEN NULL
    WHEN regexp_full_match(trim(x), '-?[0-9]{1,15}') THEN
        CASE WHEN abs(CAST(trim(x) AS BIGINT)) >= 100000000000
             THEN make_timestamptz(CAST(trim(x) AS BIGINT) * 1000)
             ELSE make_timestamptz(CAST(trim(x) AS BIGINT) * 1000000) END
    WHEN regexp_full_match(trim(x), '-?[0-9]+') THEN NULL
    ELSE TRY_CAST(trim(x) AS TIMESTAMPTZ)
END;

-- Token counts and prices are parsed as exact decimals (12 places) first. Plain digits take a
-- BIGINT fast path: DuckDB 1.5 casts integer text to DECIMAL(38, 12) about 100x slower.
CREATE OR REPLACE TEMP MACRO decimal_of(x) AS CASE
    WHEN regexp_full_match(trim(x), '[0-9]{1,18}') THEN CAST(CAST(trim(x) AS BIGINT) AS DECIMAL(38, 12))
    ELSE TRY_CAST(trim(x) AS DECIMAL(38, 12))
END;

-- Token counts: whole, non-negative numbers that fit a BIGINT. `d` is decimal_of(x).
CREATE OR REPLACE TEMP MACRO token_problem(x, d) AS CASE
    WHEN blank(x) THEN NULL
    WHEN d IS NULL THEN 'not_a_number'
    WHEN d < 0 THEN 'negative'
    WHEN d <> trunc(d) THEN 'not_a_whole_number'
    WHEN d > 9223372036854775807 THEN 'not_a_number'
END;

-- Prices: non-negative USD amounts. `d` is decimal_of(x).
CREATE OR REPLACE TEMP MACRO price_problem(x, d) AS CASE
    WHEN blank(x) THEN NULL
    WHEN d IS NULL THEN 'not_a_number'
    WHEN d < 0 THEN 'negative'
END;

CREATE OR REPLACE TEMP MACRO problem(reason, column_name, value) AS
    {'reason': reason, 'column_name': column_name, 'value': value};

-- The first bad figure of a row, in column order (NULL when all are fine).
CREATE OR REPLACE TEMP MACRO first_figure_problem(i, di, o, do_, cr, dcr, cw, dcw, p, dp) AS CASE
    WHEN token_problem(i, di) IS NOT NULL THEN problem(token_problem(i, di), 'input_tokens', i)
    WHEN token_problem(o, do_) IS NOT NULL THEN problem(token_problem(o, do_), 'output_tokens', o)
    WHEN token_problem(cr, dcr) IS NOT NULL THEN problem(token_problem(cr, dcr), 'cache_read_tokens', cr)
    WHEN token_problem(cw, dcw) IS NOT NULL THEN problem(token_problem(cw, dcw), 'cache_write_tokens', cw)
    WHEN price_problem(p, dp) IS NOT NULL THEN problem(price_problem(p, dp), 'price', p)
END;

-- Text that is blank means "not recorded".
CREATE OR REPLACE TEMP MACRO text_or_null(x) AS CASE WHEN blank(x) THEN NULL ELSE x END;
