-- Recorded vs. expected price per model of the inference calls (not of the requests: a request's
-- calls may use several models), over the calls of the report's requests. The recorded price
-- and the expected one are over priced calls alone, so that the gap compares like with like;
-- unpriced calls (model not in the price table, or none recorded) are counted apart.
CREATE OR REPLACE TABLE model_prices AS
SELECT
    c.model,
    count(*) AS calls,
    count(*) FILTER (WHERE c.expected_price IS NULL) AS unpriced_calls,
    coalesce(sum(c.price) FILTER (WHERE c.expected_price IS NOT NULL), 0) AS recorded_price,
    sum(c.expected_price) AS expected_price,
    coalesce(sum(c.price) FILTER (WHERE c.expected_price IS NOT NULL), 0) - sum(c.expected_price) AS gap
FROM calls c
JOIN requests r ON r.id = c.request_id
GROUP BY c.model
ORDER BY abs(gap) DESC NULLS LAST, c.model NULLS LAST;
