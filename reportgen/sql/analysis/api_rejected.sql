-- Rejected rows as the data-quality pages show them, by table then position (n from 0).
CREATE OR REPLACE TABLE api_rejected AS
SELECT
    row_number() OVER (ORDER BY table_name DESC, position) - 1 AS n,
    to_json({'table_name': table_name, 'position': position, 'reason': reason, 'column_name': column_name,
             'value': value, 'original': json(original)}) AS item
FROM rejected_rows
ORDER BY n;
