"""nginx, Apache and Caddy configuration that serves OUT behind basic auth, written from the
route table and headers of routes.py (change them there, never here). Every answer, 404s
included, is given after authentication, as `reportgen serve` does."""

from __future__ import annotations

from pathlib import Path

from . import routes
from .htpasswd import AuthError, read_htpasswd
from .routes import (
    AMBIGUOUS_QUERY,
    API_ROUTES,
    FIND,
    HIDDEN_PATH,
    ID_FILE_NAME,
    PAGE_NUMBER,
    PLAIN_QUERY,
    RESERVED_NAME,
    SECURITY_HEADERS,
    SNAPSHOTS_PREFIX,
    USER_FIND,
    USER_PAGE,
)

SERVERS = ("nginx", "apache", "caddy")
# the find forms' URLs under a snapshot: /snapshots/<id> before them, or nothing (on latest)
SNAPSHOT_PREFIX_RE = "(?:/snapshots/[^/]+)?"
# A URL that never names a file (hidden, so never written): rewriting to it gives a 404 that
# comes after authentication, where a server's own "return 404" would come before it.
NOT_FOUND = "/.reportgen-not-found"
TLS_NOTE = ("# Basic auth sends the password with every request: serve this over TLS only, never over plain\n"
            "# HTTP. Generated from reportgen's route table (reportgen/hosting/routes.py).\n")


def server_config(kind: str, out: Path, htpasswd: Path, listen: str = "443 ssl",
                  server_name: str = "reports.example.com") -> str:
    out, htpasswd = out.resolve(), htpasswd.resolve()
    writers = {"nginx": nginx_config, "apache": apache_config, "caddy": caddy_config}
    if kind not in writers:
        raise AuthError(f"unknown server {kind!r}: use {', '.join(SERVERS)}")
    return writers[kind](out, htpasswd, listen, server_name)


def _pair(name: str, value: str) -> str:
    """A regex for a query string holding `name=` with a value matching `value` (group 2)."""
    return f"(^|&){name}=({value})(&|$)"


def _bare(pattern: str) -> str:
    return pattern.removeprefix("^").removesuffix("$")


# --- nginx --------------------------------------------------------------------------------------

def nginx_config(out: Path, htpasswd: Path, listen: str, server_name: str) -> str:
    # Headers are set once, at server level, with "always": no location sets its own (which
    # would replace them), so 200, 301, 401 and 404 responses all carry the same ones.
    headers = "\n".join(f'    add_header {name} "{value}" always;' for name, value in SECURITY_HEADERS.items())
    api = "\n".join(_nginx_api_location(route) for route in API_ROUTES)
    find = next(route for route in API_ROUTES if route.url == FIND)
    snapshot_find = _nginx_api_location(find, f'~ "^{SNAPSHOTS_PREFIX}(?<reportgen_snapshot>[^/]+){FIND}$"',
                                        f"{SNAPSHOTS_PREFIX}$reportgen_snapshot", "        ")
    hidden = f'location ~ "{HIDDEN_PATH}" {{ try_files {NOT_FOUND} =404; }}'
    return f"""# reportgen: serve {out} behind HTTP basic auth (nginx). Include inside http {{ }}.
{TLS_NOTE}
map $args $reportgen_plain_query {{
    "" 1;
    "~{AMBIGUOUS_QUERY}" 0;
    "~{PLAIN_QUERY}" 1;
    default 0;
}}
# the file a ?usage_id= names: the id itself when it is its own file name, "/" (404) otherwise
map $arg_usage_id $reportgen_usage_file {{
    "" "";
    "~{RESERVED_NAME}" "/";
    "~{ID_FILE_NAME}" $arg_usage_id;
    default "/";
}}
# the same for the user find form's ?user_id=
map $arg_user_id $reportgen_user_file {{
    "" "";
    "~{RESERVED_NAME}" "/";
    "~{ID_FILE_NAME}" $arg_user_id;
    default "/";
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
    # below the snapshot folder, no symlink is followed (latest itself is one, above it)
    disable_symlinks on from=$document_root;

    auth_basic "{routes.REALM}";
    auth_basic_user_file {htpasswd};

{headers}

    # hidden files (the lock, staging folders) and the snapshot database
    {hidden}
    # a folder's index.html, or 404 (never a listing or a 403)
    location ~ /$ {{ try_files ${{uri}}index.html =404; }}

    # the original dashboard's endpoints, query strings and all
{api}

    # the user find form: a redirect to the user's page, after authentication
{_nginx_user_find("= " + USER_FIND, "@reportgen_user_find")}
    location @reportgen_user_find {{
        return 302 {USER_PAGE.format("$reportgen_user_file")};
    }}
    location @reportgen_snapshot_user_find {{
        return 302 {SNAPSHOTS_PREFIX}$reportgen_snapshot{USER_PAGE.format("$reportgen_user_file")};
    }}

    # every snapshot under its permanent URL, as linked from e-mails
    location ^~ /snapshots/ {{
        root {out};
        {hidden}
        location ~ /$ {{ try_files ${{uri}}index.html =404; }}
        # the find forms of its pages, answered inside the snapshot
{snapshot_find}
{_nginx_user_find(f'~ "^{SNAPSHOTS_PREFIX}(?<reportgen_snapshot>[^/]+){USER_FIND}$"',
                  "@reportgen_snapshot_user_find", "        ")}
        try_files $uri $uri/ =404;
    }}

    location / {{
        try_files $uri $uri/ =404;
    }}
}}
"""


def _nginx_api_location(route: routes.ApiRoute, match: str = "", into: str = "", indent: str = "    ") -> str:
    """The location answering `route` (at `match`, by default its own URL), with its files
    looked up below `into` (a snapshot's folder; by default latest, the root)."""
    lines = [f"location {match or '= ' + route.url} {{",
             f"    if ($reportgen_plain_query = 0) {{ rewrite ^ {NOT_FOUND}? last; }}"]
    if route.by_usage:
        usage_file = f"{into}/{route.by_usage}/$reportgen_usage_file{route.suffix}"
        lines += [f'    if ($reportgen_usage_file = "/") {{ rewrite ^ {NOT_FOUND}? last; }}',
                  f'    if ($reportgen_usage_file != "") {{ rewrite ^ {usage_file}? last; }}']
    page = f"{into}/{route.pages}/page-$arg_page{route.suffix}"
    lines += [f'    if ($arg_page ~ "{PAGE_NUMBER}") {{ rewrite ^ {page}? last; }}',
              f"    rewrite ^ {into}/{route.pages}/page-1{route.suffix}? last;",
              "}"]
    return "\n".join(indent + line for line in lines)


def _nginx_user_find(match: str, named: str, indent: str = "    ") -> str:
    """The user find form's location: its redirect is made by a named location that try_files
    falls back to, since `return` runs before authentication and try_files after it."""
    lines = [f"location {match} {{",
             f"    if ($reportgen_plain_query = 0) {{ rewrite ^ {NOT_FOUND}? last; }}",
             f'    if ($reportgen_user_file ~ "^/?$") {{ rewrite ^ {NOT_FOUND}? last; }}',
             f"    try_files {NOT_FOUND} {named};",
             "}"]
    return "\n".join(indent + line for line in lines)


# --- Apache -------------------------------------------------------------------------------------

def apache_config(out: Path, htpasswd: Path, listen: str, server_name: str) -> str:
    headers = "\n".join(f'    Header always set {name} "{value}"' for name, value in SECURITY_HEADERS.items())
    address = listen.split()[0]
    address = address if ":" in address else f"*:{address}"
    # the find form's route also answers on a snapshot's pages: $1, the snapshot (empty on latest)
    pattern = {route.url: f"^({SNAPSHOT_PREFIX_RE}){FIND}$" if route.url == FIND else f"^{route.url}$"
               for route in API_ROUTES}
    into = {route.url: "$1" if route.url == FIND else "" for route in API_ROUTES}
    urls = "|".join(p.removeprefix("^").removesuffix("$") for p in pattern.values())
    usage_ok = (f"(?!{_bare(RESERVED_NAME)}(?:&|$))" + _bare(ID_FILE_NAME))
    by_usage = "\n".join(
        f'    RewriteCond %{{QUERY_STRING}} "{_pair("usage_id", usage_ok)}"\n'
        f'    RewriteRule "{pattern[route.url]}" "{into[route.url]}/{route.by_usage}/%2{route.suffix}" [PT,QSD]'
        for route in API_ROUTES if route.by_usage)
    with_usage = "|".join(pattern[route.url].removeprefix("^").removesuffix("$") for route in API_ROUTES
                          if route.by_usage)
    paged = "\n".join(
        f'    RewriteCond %{{QUERY_STRING}} "{_pair("page", _bare(PAGE_NUMBER))}"\n'
        f'    RewriteRule "{pattern[route.url]}" "{into[route.url]}/{route.pages}/page-%2{route.suffix}" [PT,QSD]\n'
        f'    RewriteRule "{pattern[route.url]}" "{into[route.url]}/{route.pages}/page-1{route.suffix}" [PT,QSD]'
        for route in API_ROUTES)
    # the user find form, on latest or a snapshot (%1) with the id (%3), in one condition
    user_find = (f'"^({SNAPSHOT_PREFIX_RE}){USER_FIND}\\?(.*&)?user_id=({usage_ok})(&|$)"')
    return f"""# reportgen: serve {out} behind HTTP basic auth (Apache 2.4; needs mod_auth_basic, mod_authn_file,
# mod_authz_user, mod_headers, mod_rewrite, mod_alias, mod_dir). Use it in a *:443 VirtualHost with
# SSLEngine on.
{TLS_NOTE}
<VirtualHost {address}>
    ServerName {server_name}
    DocumentRoot {out}/latest
    Alias /snapshots/ {out}/snapshots/
    <Directory {out}>
        # latest is a symlink the builder owns; one planted by anybody else is not followed
        Options -Indexes -FollowSymLinks +SymLinksIfOwnerMatch
        AllowOverride None
        DirectoryIndex index.html
        AuthType Basic
        AuthName "{routes.REALM}"
        AuthBasicProvider file
        AuthUserFile {htpasswd}
        Require valid-user
        # after authentication: a folder without an index.html is 404, never a listing or a 403
        RewriteEngine On
        RewriteCond %{{REQUEST_URI}} /$
        RewriteCond %{{REQUEST_FILENAME}} -d
        RewriteCond %{{REQUEST_FILENAME}}/index.html !-f
        RewriteRule ^ - [R=404]
        # the user find form: a redirect to the user's page, here since this runs after authentication
        RewriteCond %{{QUERY_STRING}} "{PLAIN_QUERY}"
        RewriteCond %{{QUERY_STRING}} "!{AMBIGUOUS_QUERY}"
        RewriteCond "%{{REQUEST_URI}}?%{{QUERY_STRING}}" {user_find}
        RewriteRule ^ "%1{USER_PAGE.format("%3")}" [R=302,QSD,L]
        RewriteCond %{{REQUEST_URI}} "^({SNAPSHOT_PREFIX_RE}){USER_FIND}$"
        RewriteRule ^ - [R=404]
    </Directory>
{headers}

    RewriteEngine On
    # hidden files (the lock, staging folders) and the snapshot database
    RewriteRule "{HIDDEN_PATH}" "{NOT_FOUND}" [PT]

    # the original dashboard's endpoints, query strings and all
    RewriteCond %{{QUERY_STRING}} "!{PLAIN_QUERY}" [OR]
    RewriteCond %{{QUERY_STRING}} "{AMBIGUOUS_QUERY}"
    RewriteRule "^(?:{urls})$" "{NOT_FOUND}" [PT,QSD]
{by_usage}
    RewriteCond %{{QUERY_STRING}} "{_pair("usage_id", "[^&]+")}"
    RewriteRule "^(?:{with_usage})$" "{NOT_FOUND}" [PT,QSD]
{paged}

    # precompressed twins (file.json.gz) for clients that accept gzip
    RewriteCond %{{HTTP:Accept-Encoding}} gzip
    RewriteCond %{{DOCUMENT_ROOT}}%{{REQUEST_URI}}.gz -f
    RewriteRule "^(.+\\.(html|json|css))$" "$1.gz" [PT]
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


# --- Caddy --------------------------------------------------------------------------------------

def caddy_config(out: Path, htpasswd: Path, listen: str, server_name: str) -> str:
    users = [f"            {user} {hashed}" for user, hashed in read_htpasswd(htpasswd).items()]
    user_lines = "\n".join(users) or "            # reportgen auth add USER, then run this command again"
    headers = "\n".join(f'            {name} "{value}"' for name, value in SECURITY_HEADERS.items())
    api_paths = " ".join(route.url for route in API_ROUTES)
    query = "{http.request.uri.query}"
    query_ok = f'{query}.matches("{PLAIN_QUERY}") && !{query}.matches("{AMBIGUOUS_QUERY}")'
    usage_paths = " ".join(route.url for route in API_ROUTES if route.by_usage)
    usage_ok = f'{{query.usage_id}}.matches("{ID_FILE_NAME}") && !{{query.usage_id}}.matches("{RESERVED_NAME}")'
    user_ok = usage_ok.replace("usage_id", "user_id")
    by_usage = "\n".join(f"""        @usage_{n} {{
            path {route.url}
            expression `{usage_ok}`
        }}
        rewrite @usage_{n} /{route.by_usage}/{{query.usage_id}}{route.suffix}""" for n, route in enumerate(API_ROUTES)
                         if route.by_usage)
    paged = "\n".join(f"""        @paged_{n} {{
            path {route.url}
            expression `{{query.page}}.matches("{PAGE_NUMBER}")`
        }}
        rewrite @paged_{n} /{route.pages}/page-{{query.page}}{route.suffix}
        rewrite {route.url} /{route.pages}/page-1{route.suffix}""" for n, route in enumerate(API_ROUTES))
    # the find forms of a snapshot's pages, answered inside that snapshot
    find = next(route for route in API_ROUTES if route.url == FIND)
    on_snapshot = f"path_regexp snapshot ^({SNAPSHOTS_PREFIX}[^/]+){FIND}$"
    snapshot_find = f"""        @snapshot_find_not_plain {{
            {on_snapshot}
            not expression `{query_ok}`
        }}
        respond @snapshot_find_not_plain 404
        @snapshot_find_usage {{
            {on_snapshot}
            expression `{usage_ok}`
        }}
        rewrite @snapshot_find_usage {{re.snapshot.1}}/{find.by_usage}/{{query.usage_id}}{find.suffix}
        @snapshot_find_other {{
            {on_snapshot}
            expression `{{query.usage_id}} != ""`
        }}
        respond @snapshot_find_other 404
        @snapshot_find_paged {{
            {on_snapshot}
            expression `{{query.page}}.matches("{PAGE_NUMBER}")`
        }}
        rewrite @snapshot_find_paged {{re.snapshot.1}}/{find.pages}/page-{{query.page}}{find.suffix}
        @snapshot_find {{
            {on_snapshot}
        }}
        rewrite @snapshot_find {{re.snapshot.1}}/{find.pages}/page-1{find.suffix}"""
    file_server = """file_server {
                precompressed gzip
                disable_canonical_uris
            }"""
    return f"""# reportgen: serve {out} behind HTTP basic auth (Caddy 2). Caddy serves HTTPS on its own.
# Caddy takes the users inline (from {htpasswd}): run this command again after `reportgen auth`.
{TLS_NOTE}
{server_name} {{
    # one route: every step runs in the order written, authentication first
    route {{
        header {{
{headers}
        }}
        header -Server
        basicauth bcrypt {routes.REALM} {{
{user_lines}
        }}
        # hidden files (the lock, staging folders) and the snapshot database
        @hidden path_regexp hidden {HIDDEN_PATH}
        respond @hidden 404

        # the original dashboard's endpoints, query strings and all
        @api_not_plain {{
            path {api_paths}
            not expression `{query_ok}`
        }}
        respond @api_not_plain 404
{by_usage}
        @usage_other {{
            path {usage_paths}
            expression `{{query.usage_id}} != ""`
        }}
        respond @usage_other 404
{paged}
{snapshot_find}
        # the user find form, on latest or a snapshot: a redirect to the user's page
        @user_find {{
            path_regexp user_find ^({SNAPSHOT_PREFIX_RE}){USER_FIND}$
            expression `{query_ok} && {user_ok}`
        }}
        redir @user_find {{re.user_find.1}}{USER_PAGE.format("{query.user_id}")} 302
        @user_find_other path_regexp ^{SNAPSHOT_PREFIX_RE}{USER_FIND}$
        respond @user_find_other 404

        # every snapshot under its permanent URL, as linked from e-mails; latest at /
        root * {out}/latest
        @snapshot path /snapshots/*
        root @snapshot {out}
        # a folder without its slash: 301 to it, as the other servers do
        @folder {{
            not path */
            file {{
                try_files {{path}}/
            }}
        }}
        redir @folder {{path}}/ 301
        {file_server}
    }}
}}
"""
