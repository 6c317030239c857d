-- A discrepancy is an (id, kind) pair: new when the current snapshot has it and the previous did
-- not, resolved the other way round (a removed request's discrepancies are resolved too).
CREATE OR REPLACE TABLE changes_discrepancies AS
WITH cur AS (SELECT id, unnest(discrepancies) AS kind FROM cur_keys),
prev AS (SELECT id, unnest(discrepancies) AS kind FROM prev_keys)
SELECT 'new' AS change, id, kind FROM (SELECT id, kind FROM cur EXCEPT SELECT id, kind FROM prev)
WHERE getvariable('has_previous')
UNION ALL
SELECT 'resolved' AS change, id, kind FROM (SELECT id, kind FROM prev EXCEPT SELECT id, kind FROM cur)
WHERE getvariable('has_previous');
