-- api/changes.json exactly as PRODUCT.md §4 spells it: lists sorted by id (then kind), spend as
-- exact decimals, every list empty and `previous` null when there is no previous snapshot.
CREATE OR REPLACE TABLE api_changes AS
WITH spend AS (
    SELECT
        CASE WHEN getvariable('has_previous')
             THEN (SELECT coalesce(sum(price), 0) FROM prev_keys)::DECIMAL(38, 12) END AS previous,
        (SELECT coalesce(sum(price), 0) FROM cur_keys)::DECIMAL(38, 12) AS current
),
ids AS (
    SELECT change, count(*) AS count, list(id ORDER BY id) AS ids FROM changes_requests GROUP BY change
),
pairs AS (
    SELECT change, count(*) AS count, list({'id': id, 'kind': kind} ORDER BY id, kind) AS items
    FROM changes_discrepancies GROUP BY change
)
SELECT to_json({
    'previous': CASE WHEN getvariable('has_previous') THEN getvariable('previous_id') END,
    'current': getvariable('current_id'),
    'new_requests': {'count': coalesce((SELECT count FROM ids WHERE change = 'new'), 0),
                     'ids': coalesce((SELECT ids FROM ids WHERE change = 'new'), [])},
    'removed_requests': {'count': coalesce((SELECT count FROM ids WHERE change = 'removed'), 0),
                         'ids': coalesce((SELECT ids FROM ids WHERE change = 'removed'), [])},
    'changed_requests': {'count': coalesce((SELECT count FROM ids WHERE change = 'changed'), 0),
                         'ids': coalesce((SELECT ids FROM ids WHERE change = 'changed'), [])},
    'new_discrepancies': {'count': coalesce((SELECT count FROM pairs WHERE change = 'new'), 0),
                          'items': coalesce((SELECT items FROM pairs WHERE change = 'new'), [])},
    'resolved_discrepancies': {'count': coalesce((SELECT count FROM pairs WHERE change = 'resolved'), 0),
                               'items': coalesce((SELECT items FROM pairs WHERE change = 'resolved'), [])},
    'spend': {'previous': spend.previous, 'current': spend.current, 'delta': spend.current - spend.previous}
})::VARCHAR AS doc,
-- why there is no comparison (first build, pruned, older version), for the page; NULL when there is one
getvariable('note')::VARCHAR AS note
FROM spend;
