-- Each monthly budget ([budgets] in the config, loaded as `budgets` by analyse.py, its label in
-- words from config.Budget.label) against the
-- spend of its scope (total: every request; user; model of the request) in every month of the
-- report. `current` marks the month of the latest request, the one the index, the e-mail and
-- --fail-on-budget speak of; `exceeded` is spend over the budget (reaching it exactly is not).
CREATE OR REPLACE TABLE budget_status AS
WITH report_months AS (
    SELECT DISTINCT month FROM months
),
latest AS (
    SELECT strftime(local_day(max(created_at)), '%Y-%m') AS month FROM requests
)
SELECT
    row_number() OVER (PARTITION BY m.month
                       ORDER BY CASE b.scope WHEN 'total' THEN 0 WHEN 'user' THEN 1 ELSE 2 END, b.key) AS n,
    b.scope, b.key, b.label, m.month,
    b.monthly_usd AS budget,
    coalesce(s.price, 0)::DECIMAL(38, 12) AS spend,
    (b.monthly_usd - coalesce(s.price, 0))::DECIMAL(38, 12) AS remaining,
    coalesce(s.price, 0) > b.monthly_usd AS exceeded,
    m.month = (SELECT month FROM latest) AS current
FROM budgets b
CROSS JOIN report_months m
LEFT JOIN months s
    ON s.month = m.month
   AND s.dimension = CASE b.scope WHEN 'total' THEN 'all' ELSE b.scope END
   AND s.key IS NOT DISTINCT FROM b.key
ORDER BY m.month, n;
