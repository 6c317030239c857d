-- ISO-8601 with offset, in UTC, to the microsecond: how the JSON API writes every timestamp.
CREATE OR REPLACE TEMP MACRO iso(ts) AS
    strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%f') || '+00:00';

-- A JSON object's text without its closing brace, so that more members can be appended as text.
CREATE OR REPLACE TEMP MACRO without_last_brace(object_json) AS
    substr(object_json::VARCHAR, 1, length(object_json::VARCHAR) - 1);

-- The calendar day of a moment in the configured time zone.
CREATE OR REPLACE TEMP MACRO local_day(ts) AS CAST(ts AT TIME ZONE getvariable('timezone') AS DATE);
