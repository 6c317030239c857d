-- csv/discrepancies-<kind>.csv: the requests with one kind of discrepancy (variable `kind`).
SELECT * FROM request_rows(getvariable('kind'))
