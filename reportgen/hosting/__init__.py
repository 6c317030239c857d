"""Stage 4, hosting: publish a rendered folder as a snapshot (publish.py, manifest.py), and serve
it behind basic auth (htpasswd.py; one route table in routes.py, from which serve.py and the
nginx, Apache and Caddy configs of servers.py are made)."""
