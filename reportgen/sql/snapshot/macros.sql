-- Parsing of source text into typed values. Each *_problem macro names why a value is bad
-- (NULL when it is fine or absent); each *_value macro gives the typed value of a good one.

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
    WHEN isfinite(TRY_CAST(trim(x) AS TIMESTAMPTZ)) THEN TRY_CAST(trim(x) AS TIMESTAMPTZ)
END;

CREATE OR REPLACE TEMP MACRO decimal_of(x) AS TRY_CAST(trim(x) AS DECIMAL(38, 12));

-- Token counts: whole, non-negative numbers that fit a BIGINT.
CREATE OR REPLACE TEMP MACRO token_problem(x) AS CASE
    WHEN blank(x) THEN NULL
    WHEN decimal_of(x) IS NULL THEN 'not_a_number'
    WHEN decimal_of(x) < 0 THEN 'negative'
    WHEN decimal_of(x) <> trunc(decimal_of(x)) THEN 'not_a_whole_number'
    WHEN TRY_CAST(decimal_of(x) AS BIGINT) IS NULL THEN 'not_a_number'
END;
CREATE OR REPLACE TEMP MACRO token_value(x) AS
    CASE WHEN blank(x) THEN NULL ELSE CAST(decimal_of(x) AS BIGINT) END;

-- Prices: non-negative USD amounts, kept as exact decimals (12 places).
CREATE OR REPLACE TEMP MACRO price_problem(x) AS CASE
    WHEN blank(x) THEN NULL
    WHEN decimal_of(x) IS NULL THEN 'not_a_number'
    WHEN decimal_of(x) < 0 THEN 'negative'
END;
CREATE OR REPLACE TEMP MACRO price_value(x) AS
    CASE WHEN blank(x) THEN NULL ELSE decimal_of(x) END;

CREATE OR REPLACE TEMP MACRO problem(reason, column_name, value) AS
    CASE WHEN reason IS NULL THEN NULL
         ELSE {'reason': reason, 'column_name': column_name, 'value': value} END;

-- The first bad figure of a row, in column order (NULL when all are fine).
CREATE OR REPLACE TEMP MACRO first_figure_problem(i, o, cr, cw, p) AS list_filter([
    problem(token_problem(i), 'input_tokens', i),
    problem(token_problem(o), 'output_tokens', o),
    problem(token_problem(cr), 'cache_read_tokens', cr),
    problem(token_problem(cw), 'cache_write_tokens', cw),
    problem(price_problem(p), 'price', p)
], x -> x IS NOT NULL)[1];
