-- Spend per user in each snapshot, and its change, for users whose spend changed.
CREATE OR REPLACE TABLE changes_users AS
WITH cur AS (SELECT user_id, any_value(handle) AS handle, sum(price) AS price FROM cur_keys GROUP BY user_id),
prev AS (SELECT user_id, any_value(handle) AS handle, sum(price) AS price FROM prev_keys GROUP BY user_id)
SELECT
    coalesce(c.user_id, p.user_id) AS user_id,
    coalesce(c.handle, p.handle) AS handle,
    coalesce(p.price, 0)::DECIMAL(38, 12) AS previous,
    coalesce(c.price, 0)::DECIMAL(38, 12) AS current,
    (coalesce(c.price, 0) - coalesce(p.price, 0))::DECIMAL(38, 12) AS delta
FROM cur c
FULL OUTER JOIN prev p ON p.user_id = c.user_id
WHERE getvariable('has_previous') AND coalesce(c.price, 0) <> coalesce(p.price, 0);
