-- Each user's display name: the handle of their latest usage row that has one.
CREATE OR REPLACE TABLE user_handles AS
SELECT user_id, arg_max(handle, (created_at, id)) AS handle
FROM usage
WHERE handle IS NOT NULL
GROUP BY user_id
ORDER BY user_id;
