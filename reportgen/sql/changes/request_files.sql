-- Per request: the key of its own files (its content key and the variable render_key: tool and
-- template version, title, time zone, source, price table) and `since`, the snapshot whose files it can
-- share: the previous snapshot's `since` when the key is the same there, else this snapshot
-- (current_id), with `prev_n`, its n there (where the render cache has its rows, site/fragments.py).
-- prev_files is the previous snapshot's request_files (empty when there is none).
-- Run by the build only (sql/changes.py), not by `reportgen diff`.
CREATE OR REPLACE TABLE request_files AS
WITH keyed AS (
    SELECT n, id, md5(concat_ws('|', content_key, getvariable('render_key'), m.source_kind, m.source_label,
                                m.price_tolerance, m.price_table, m.token_convention)) AS file_key
    FROM request_content, snapshot_meta m
)
SELECT
    k.n, k.id, k.file_key,
    CASE WHEN p.file_key = k.file_key THEN p.since ELSE getvariable('current_id') END AS since,
    CASE WHEN p.file_key = k.file_key THEN p.n END AS prev_n
FROM keyed k
LEFT JOIN prev_files p ON p.id = k.id;
