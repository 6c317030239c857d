-- Requests and spend per user and model, for each user's page.
CREATE OR REPLACE TABLE user_models AS
SELECT user_id, model, count(*) AS requests, sum(price) AS price
FROM requests
GROUP BY user_id, model
ORDER BY user_id, price DESC, model NULLS LAST;
