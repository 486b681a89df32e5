"""Keep personal data out of the server's logs: query strings are cut from Tornado's lines.

Addresses typed into the geocoder, names in filters and API keys in Open311 reads all travel
in query strings; Tornado's access and error lines print the whole URI. The filter leaves
method, path, status and timing (what operators need) and replaces each query with ``?…``.
"""

from __future__ import annotations

import logging
import re

_QUERY = re.compile(r"\?[^\s)]*")
LOGGERS = ("tornado.access", "tornado.application", "tornado.general")


class NoQueryStrings(logging.Filter):
    """Rewrites a record's message arguments (and message) without their query strings."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "?" in record.msg:
            record.msg = _QUERY.sub("?…", record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_QUERY.sub("?…", a) if isinstance(a, str) else a
                                for a in record.args)
        return True


def scrub_server_logs() -> None:
    """Install the filter once on Tornado's loggers (idempotent)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, NoQueryStrings) for f in logger.filters):
            logger.addFilter(NoQueryStrings())
