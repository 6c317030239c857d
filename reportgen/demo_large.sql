-- A month of demo usage at any size, generated inside DuckDB (no Python loop per row): about
-- 4.5 calls per request, a long tail of users, and the same awkward cases as demo.py in the
-- same shares. Deterministic for a seed: every random draw is a hash of (seed, row, draw).
-- Set before running: VARIABLE rows (BIGINT), VARIABLE seed (BIGINT), and a table unit_prices
-- (model, provider, share_from, share_to, input, output, cache_read, cache_write: USD per token).

-- u(n, k): the k-th uniform draw in [0, 1) for row n
CREATE OR REPLACE TEMP MACRO u(n, k) AS
    (hash(getvariable('seed'), n, k) % 1000000007)::DOUBLE / 1000000007;
-- a standard normal draw (Box-Muller over two uniforms)
CREATE OR REPLACE TEMP MACRO normal(n, k) AS
    sqrt(-2 * ln(1 - u(n, k))) * cos(2 * pi() * u(n, k + 1));

CREATE OR REPLACE TABLE demo_requests AS
SELECT
    r AS n,
    CASE WHEN r % 3 = 0 THEN 'req-' || r ELSE r::VARCHAR END AS id,
    TIMESTAMPTZ '2026-10-01 00:00:00+00' + to_microseconds((u(r, 1) * 31 * 86400e6)::BIGINT) AS created_at,
    -- a few heavy users, many light ones
    'u' || lpad((floor(pow(u(r, 2), 3) * greatest(50, getvariable('rows') // 200)))::BIGINT::VARCHAR, 6, '0') AS user_id,
    p.model,
    1 + (u(r, 4) * 8)::BIGINT % 8 AS call_count,
    u(r, 5) AS awkward
FROM range(1, getvariable('rows') + 1) AS t(r)
JOIN unit_prices p ON u(r, 3) >= p.share_from AND u(r, 3) < p.share_to;

CREATE OR REPLACE TABLE demo_calls AS
WITH drawn AS (
    SELECT
        q.n AS request_n, c, q.n * 8 + c AS k, q.id AS request_id, q.created_at, q.user_id, q.model, q.awkward,
        20 + exp(7 + normal(q.n * 8 + c, 10))::BIGINT AS input_tokens,
        5 + exp(5.5 + normal(q.n * 8 + c, 12))::BIGINT AS output_tokens,
        u(q.n * 8 + c, 14) AS cache_read_draw,
        u(q.n * 8 + c, 15) AS cache_write_draw
    FROM demo_requests q, range(q.call_count) AS t(c)
    WHERE NOT (q.awkward >= 0.10 AND q.awkward < 0.12)  -- a request whose calls were never written
),
tokens AS (
    SELECT *,
        CASE WHEN cache_read_draw < 0.4 THEN (input_tokens * (0.2 + 2.8 * u(k, 16)))::BIGINT ELSE 0 END AS cache_read_tokens,
        CASE WHEN cache_write_draw < 0.1 THEN (input_tokens * (0.5 + u(k, 17)))::BIGINT ELSE 0 END AS cache_write_tokens
    FROM drawn
)
SELECT
    row_number() OVER (ORDER BY request_n, c) AS id,
    CASE WHEN awkward >= 0.14 AND awkward < 0.15 THEN NULL ELSE request_id END AS usage_id,
    t.created_at + to_microseconds((u(k, 18) * 40e6)::BIGINT) AS created_at,
    CASE WHEN u(k, 19) < 0.03 THEN NULL ELSE t.user_id END AS user_id,
    t.model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
    round(input_tokens * p.input + output_tokens * p.output + cache_read_tokens * p.cache_read
          + cache_write_tokens * p.cache_write, 12)::DECIMAL(38, 12) AS price,
    request_n
FROM tokens t
JOIN unit_prices p USING (model);

CREATE OR REPLACE TABLE usage AS
WITH totals AS (
    SELECT request_n, sum(input_tokens)::BIGINT AS input_tokens, sum(output_tokens)::BIGINT AS output_tokens,
           sum(cache_read_tokens)::BIGINT AS cache_read_tokens, sum(cache_write_tokens)::BIGINT AS cache_write_tokens,
           sum(price) AS price
    FROM demo_calls GROUP BY request_n
),
rows AS (
    SELECT
        q.id, q.created_at, q.user_id,
        CASE WHEN u(q.n, 20) < 0.05 THEN NULL ELSE 'user ' || q.user_id END AS handle,
        q.model,
        CASE WHEN q.awkward >= 0.08 AND q.awkward < 0.10 AND u(q.n, 21) < 0.5 THEN NULL
             ELSE coalesce(t.input_tokens, 0) END AS input_tokens,
        CASE WHEN q.awkward >= 0.08 AND q.awkward < 0.10 AND u(q.n, 21) < 0.5 THEN NULL
             WHEN q.awkward < 0.03 THEN coalesce(t.output_tokens, 0) + 1 + (u(q.n, 22) * 500)::BIGINT
             ELSE coalesce(t.output_tokens, 0) END AS output_tokens,
        CASE WHEN q.awkward >= 0.08 AND q.awkward < 0.10 AND u(q.n, 21) < 0.5 THEN NULL
             ELSE coalesce(t.cache_read_tokens, 0) END AS cache_read_tokens,
        CASE WHEN q.awkward >= 0.08 AND q.awkward < 0.10 AND u(q.n, 21) < 0.5 THEN NULL
             ELSE coalesce(t.cache_write_tokens, 0) END AS cache_write_tokens,
        CASE WHEN q.awkward >= 0.08 AND q.awkward < 0.10 THEN NULL
             WHEN q.awkward >= 0.03 AND q.awkward < 0.06
                 THEN coalesce(t.price, 0) + (1 + (u(q.n, 23) * 5000)::BIGINT)::DECIMAL(38, 12) / 100000
             WHEN q.awkward >= 0.06 AND q.awkward < 0.08 THEN coalesce(t.price, 0) + 0.0000004
             ELSE coalesce(t.price, 0) END::DECIMAL(38, 12) AS price
    FROM demo_requests q
    LEFT JOIN totals t ON t.request_n = q.n
    WHERE NOT (q.awkward >= 0.12 AND q.awkward < 0.15)  -- orphans: calls without their usage row
)
SELECT * FROM rows
-- a few bad rows the snapshot must reject: no id, no user, negative tokens, a duplicate id
UNION ALL SELECT NULL, created_at, user_id, handle, model, input_tokens, output_tokens, cache_read_tokens,
                 cache_write_tokens, price FROM rows WHERE hash(id) % 1000 = 1
UNION ALL SELECT 'bad-' || id, created_at, NULL, handle, model, input_tokens, output_tokens, cache_read_tokens,
                 cache_write_tokens, price FROM rows WHERE hash(id) % 1000 = 2
UNION ALL SELECT 'bad-' || id, created_at, user_id, handle, model, input_tokens, -1, cache_read_tokens,
                 cache_write_tokens, price FROM rows WHERE hash(id) % 1000 = 3
UNION ALL SELECT id, created_at, user_id, handle, model, input_tokens, output_tokens, cache_read_tokens,
                 cache_write_tokens, price FROM rows WHERE hash(id) % 1000 = 4;

ALTER TABLE demo_calls DROP COLUMN request_n;
ALTER TABLE demo_calls RENAME TO inference_calls;
DROP TABLE demo_requests;
