-- csv/requests.csv: every effective request, as api/requests/page-N.json lists them.
SELECT * FROM request_rows(NULL)
