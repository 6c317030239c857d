-- Every user's requests in the order the user's pages list them (newest first, user_n), users
-- in the user summary's order (user_rank: api_users.n), numbered k from 0 over the whole table.
-- A run of users is a run of k, so a users task reads a few row groups of this narrow table to
-- learn which requests it shows, whatever the size of the data; their rows and fragments come
-- from the render's fragment store (site/fragments.py), by request_n.
CREATE OR REPLACE TABLE user_requests AS
SELECT
    row_number() OVER (ORDER BY u.n, a.user_n) - 1 AS k,
    u.n AS user_rank, a.user_n, a.n AS request_n
FROM api_requests a
JOIN api_users u ON u.user_id = a.user_id
ORDER BY k;
