-- For each discrepancy kind, its requests newest first (n from 0 within the kind), pointing at
-- api_requests by its n.
CREATE OR REPLACE TABLE api_discrepancies AS
SELECT
    kind,
    row_number() OVER (PARTITION BY kind ORDER BY a.n) - 1 AS n,
    a.n AS request_n
FROM api_requests a, unnest(a.discrepancies) AS d(kind)
ORDER BY kind, n;
