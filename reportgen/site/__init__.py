"""Stage 3, the site: a snapshot's analysis tables -> a folder of HTML pages and static JSON.

queries.py reads (the only module here that runs SQL), contexts.py says what each page holds,
templating.py formats it, render.py plans and runs the work, writer.py puts files on disk."""
