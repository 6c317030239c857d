"""nginx, Apache and Caddy configuration that serves OUT behind basic auth."""

from __future__ import annotations

from pathlib import Path

from .htpasswd import AuthError, read_htpasswd
from .routes import SECURITY_HEADERS


def server_config(kind: str, out: Path, htpasswd: Path, listen: str = "443 ssl",
                  server_name: str = "reports.example.com") -> str:
    out, htpasswd = out.resolve(), htpasswd.resolve()
    templates = {"nginx": _nginx, "apache": _apache, "caddy": _caddy}
    if kind not in templates:
        raise AuthError(f"unknown server {kind!r}: use nginx, apache or caddy")
    return templates[kind](out, htpasswd, listen, server_name)


def _nginx(out: Path, htpasswd: Path, listen: str, server_name: str) -> str:
    # Headers are set once, at server level, with "always": no location sets its own (which
    # would replace them), so 200, 401 and 404 responses all carry the same ones.
    headers = "\n".join(f'    add_header {name} "{value}" always;' for name, value in SECURITY_HEADERS.items())
    api = []
    for name, by_usage in (("requests", "requests"), ("inference-calls", "inference-calls/by-usage"),
                           ("user-summary", None)):
        lines = [f"    location = /api/{name} {{"]
        if by_usage:
            lines.append(f'        if ($reportgen_usage_file != "") '
                         f"{{ rewrite ^ /api/{by_usage}/$reportgen_usage_file.json? last; }}")
        lines.append(f'        if ($arg_page ~ "^[1-9][0-9]*$") {{ rewrite ^ /api/{name}/page-$arg_page.json? last; }}')
        lines.append(f"        rewrite ^ /api/{name}/page-1.json? last;")
        lines.append("    }")
        api.append("\n".join(lines))
    api_locations = "\n".join(api)
    return f"""# reportgen: serve {out} behind HTTP basic auth (nginx). Include inside http {{ }}.
# Basic auth sends the password with every request: put TLS in front (listen ... ssl with
# ssl_certificate, or a TLS-terminating proxy) and never serve this over plain HTTP.

# ?usage_id= values that are their own file name (see "id_encoding" in api/meta.json)
map $arg_usage_id $reportgen_usage_file {{
    "~*^(page-[0-9]+|index)$" "";
    "~^[A-Za-z0-9_-][A-Za-z0-9_.-]{{0,99}}$" $arg_usage_id;
    default "";
}}

server {{
    listen {listen};
    server_name {server_name};
    root {out}/latest;
    index index.html;
    charset utf-8;
    charset_types application/json text/css;
    autoindex off;
    server_tokens off;
    gzip_static on;
    gzip_vary on;

    auth_basic "reportgen";
    auth_basic_user_file {htpasswd};

{headers}

    # hidden files (the build lock) and the snapshot database are not part of the site
    location ~ (^|/)\\. {{ return 404; }}
    location ~ \\.duckdb$ {{ return 404; }}

    # the original dashboard's API URLs, query strings and all, mapped to the static files
    # (a usage_id that is not a safe file name is reached by its encoded path, see api/meta.json)
{api_locations}

    # every snapshot under its permanent URL, as linked from e-mails
    location ^~ /snapshots/ {{
        alias {out}/snapshots/;
        location ~ (^|/)\\. {{ return 404; }}
        location ~ \\.duckdb$ {{ return 404; }}
    }}

    location / {{
        try_files $uri $uri/ =404;
    }}
}}
"""


def _apache(out: Path, htpasswd: Path, listen: str, server_name: str) -> str:
    headers = "\n".join(f'    Header always set {name} "{value}"' for name, value in SECURITY_HEADERS.items())
    return f"""# reportgen: serve {out} behind HTTP basic auth (Apache 2.4; needs mod_auth_basic, mod_authn_file,
# mod_headers, mod_rewrite, mod_alias). Basic auth needs TLS in front: use this in a *:443 VirtualHost
# with SSLEngine on, never on plain HTTP.
<VirtualHost *:443>
    ServerName {server_name}
    DocumentRoot {out}/latest
    Alias /snapshots/ {out}/snapshots/
    <Directory {out}>
        Options -Indexes +FollowSymLinks
        AllowOverride None
        AuthType Basic
        AuthName "reportgen"
        AuthBasicProvider file
        AuthUserFile {htpasswd}
        Require valid-user
    </Directory>
{headers}
    RedirectMatch 404 "(^|/)\\.|\\.duckdb$"

    RewriteEngine On
    RewriteCond %{{QUERY_STRING}} (^|&)usage_id=([A-Za-z0-9_.-]{{1,100}})(&|$)
    RewriteRule ^/api/requests$ /api/requests/%2.json [L,QSD]
    RewriteCond %{{QUERY_STRING}} (^|&)usage_id=([A-Za-z0-9_.-]{{1,100}})(&|$)
    RewriteRule ^/api/inference-calls$ /api/inference-calls/by-usage/%2.json [L,QSD]
    RewriteCond %{{QUERY_STRING}} (^|&)page=([0-9]+)(&|$)
    RewriteRule ^/api/(requests|inference-calls|user-summary)$ /api/$1/page-%2.json [L,QSD]
    RewriteRule ^/api/(requests|inference-calls|user-summary)$ /api/$1/page-1.json [L,QSD]

    # precompressed twins (file.json.gz) for clients that accept gzip
    RewriteCond %{{HTTP:Accept-Encoding}} gzip
    RewriteCond %{{DOCUMENT_ROOT}}%{{REQUEST_URI}}.gz -f
    RewriteRule ^(.+\\.(html|json|css))$ $1.gz [L]
    <FilesMatch "\\.html\\.gz$">
        ForceType "text/html; charset=utf-8"
    </FilesMatch>
    <FilesMatch "\\.json\\.gz$">
        ForceType application/json
    </FilesMatch>
    <FilesMatch "\\.css\\.gz$">
        ForceType text/css
    </FilesMatch>
    <FilesMatch "\\.gz$">
        Header append Content-Encoding gzip
        Header append Vary Accept-Encoding
    </FilesMatch>
</VirtualHost>
"""


def _caddy(out: Path, htpasswd: Path, listen: str, server_name: str) -> str:
    users = []
    if htpasswd.exists():
        users = [f"        {user} {hashed}" for user, hashed in read_htpasswd(htpasswd).items()]
    headers = "\n".join(f'        {name} "{value}"' for name, value in SECURITY_HEADERS.items())
    user_lines = "\n".join(users) or "        # reportgen auth add USER, then run this command again"
    return f"""# reportgen: serve {out} behind HTTP basic auth (Caddy 2). Caddy serves HTTPS on its own;
# basic auth must never be offered over plain HTTP. Caddy takes the users inline (from {htpasswd}).
{server_name} {{
    basic_auth {{
{user_lines}
    }}
    header {{
{headers}
        -Server
    }}
    @hidden path_regexp hidden (^|/)\\.|\\.duckdb$
    respond @hidden 404

    @byusage_requests {{
        path /api/requests
        query usage_id=*
    }}
    rewrite @byusage_requests /api/requests/{{query.usage_id}}.json
    @byusage_calls {{
        path /api/inference-calls
        query usage_id=*
    }}
    rewrite @byusage_calls /api/inference-calls/by-usage/{{query.usage_id}}.json
    @paged {{
        path_regexp paged ^/api/(requests|inference-calls|user-summary)$
        query page=*
    }}
    rewrite @paged /api/{{re.paged.1}}/page-{{query.page}}.json
    @first path_regexp first ^/api/(requests|inference-calls|user-summary)$
    rewrite @first /api/{{re.first.1}}/page-1.json

    handle_path /snapshots/* {{
        root * {out}/snapshots
        file_server {{
            precompressed gzip
        }}
    }}
    handle {{
        root * {out}/latest
        file_server {{
            precompressed gzip
        }}
    }}
}}
"""

