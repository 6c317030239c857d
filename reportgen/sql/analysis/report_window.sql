-- The window this report covers (NULL = open), for api/meta.json and every page's footer.
CREATE OR REPLACE TABLE report_window AS
SELECT
    strftime(getvariable('window_start') AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S') || '+00:00' AS since,
    strftime(getvariable('window_end') AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S') || '+00:00' AS until;
