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
-- BIGINT fast path: DuckDB 1.5 casts integer text to DECIMAL(38, 12) about 100x slower. Plain
-- decimals go through DECIMAL(18, 12): DuckDB 1.5 casts a price of a dollar or more ('4.067593')
-- or one with more than 12 decimals to DECIMAL(38, 12) in 1.3 to 2.5 us, to DECIMAL(18, 12) in
-- 0.03 us (prices under a dollar with 12 places, as the demo's, take 0.15 us either way). With
-- prices in dollars, a 100k snapshot took 2.6-2.7 s instead of 3.3-3.4 s. A value too large for
-- it (a million or more) is NULL there and takes the wide cast; so does one with an exponent,
-- which DuckDB 1.5 casts to DECIMAL(18, 12) wrongly ('30.250746947136936467e5' gives
-- 3025074.694713693640: more digits than the type holds, the last ones lost).
CREATE OR REPLACE TEMP MACRO decimal_of(x) AS CASE
    WHEN regexp_full_match(trim(x), '[0-9]{1,18}') THEN CAST(CAST(trim(x) AS BIGINT) AS DECIMAL(38, 12))
    ELSE coalesce(
        CASE WHEN regexp_full_match(trim(x), '[+-]?[0-9]*(\.[0-9]*)?') THEN TRY_CAST(trim(x) AS DECIMAL(18, 12)) END,
        TRY_CAST(trim(x) AS DECIMAL(38, 12)))
END;

-- The grammar of a number: plain decimal or scientific notation. DuckDB's own cast also takes
-- '1_000' and rounds digits past the 12th decimal, so text is checked here before it is trusted.
CREATE OR REPLACE TEMP MACRO number_text(x) AS
    regexp_full_match(trim(x), '[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,4})?');
-- Below zero however small ('-1e-30', '-0.0000000000001'); '-0' is zero.
CREATE OR REPLACE TEMP MACRO below_zero(x) AS regexp_full_match(trim(x), '-[0-9.]*[1-9][0-9.]*([eE].*)?');
-- The exact value is mantissa_digits x 10^(exponent - fraction digits): the decimal places it
-- needs, trailing zeros aside (0 for a whole number).
CREATE OR REPLACE TEMP MACRO mantissa_digits(t) AS replace(regexp_extract(t, '^[+-]?([0-9.]*)', 1), '.', '');
CREATE OR REPLACE TEMP MACRO decimals_needed(x) AS CASE
    WHEN ltrim(mantissa_digits(trim(x)), '0') = '' THEN 0
    ELSE greatest(0, length(regexp_extract(trim(x), '\.([0-9]*)', 1))
                     - coalesce(TRY_CAST(regexp_extract(trim(x), '[eE]([+-]?[0-9]+)$', 1) AS INTEGER), 0)
                     - (length(mantissa_digits(trim(x))) - length(rtrim(mantissa_digits(trim(x)), '0'))))
END;
-- The largest figure taken: below 10^15, so that sums over billions of rows stay exact in
-- DECIMAL(38, 12) (and a token count is never that large).
CREATE OR REPLACE TEMP MACRO too_large(d) AS d IS NULL OR abs(d) >= 1000000000000000;

-- An accepted token count as BIGINT (`d` is decimal_of(x)). Plain digits are cast from their
-- text: DuckDB 1.5 casts DECIMAL(38, 12) to BIGINT at about 0.65 us a value, 60x slower, which
-- was a second of a 100k snapshot (four columns of 550k rows).
CREATE OR REPLACE TEMP MACRO token_value(x, d) AS CASE
    WHEN regexp_full_match(trim(x), '[0-9]{1,15}') THEN CAST(trim(x) AS BIGINT)
    ELSE CAST(d AS BIGINT)
END;

-- Token counts: whole, non-negative numbers. `d` is decimal_of(x).
CREATE OR REPLACE TEMP MACRO token_problem(x, d) AS CASE
    WHEN blank(x) THEN NULL
    WHEN regexp_full_match(trim(x), '[0-9]{1,15}') THEN NULL
    WHEN NOT number_text(x) THEN 'not_a_number'
    WHEN below_zero(x) THEN 'negative'
    WHEN decimals_needed(x) > 0 THEN 'not_a_whole_number'
    WHEN too_large(d) THEN 'out_of_range'
END;

-- Prices: non-negative USD amounts of at most 12 decimals (never rounded). `d` is decimal_of(x).
CREATE OR REPLACE TEMP MACRO price_problem(x, d) AS CASE
    WHEN blank(x) THEN NULL
    WHEN regexp_full_match(trim(x), '[0-9]{1,15}(\.[0-9]{0,12})?') THEN NULL
    WHEN NOT number_text(x) THEN 'not_a_number'
    WHEN below_zero(x) THEN 'negative'
    WHEN decimals_needed(x) > 12 THEN 'too_precise'
    WHEN too_large(d) THEN 'out_of_range'
END;

-- Synthetic requests are named 'call:<call id>' (a call without usage_id): source ids may not
-- start so, or the two could merge or collide.
CREATE OR REPLACE TEMP MACRO reserved_id(x) AS starts_with(x, 'call:');

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
