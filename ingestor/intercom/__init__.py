"""Intercom's AI Content API: the only code that knows its wire format.

:class:`IntercomClient` offers the ten operations on Content Import Sources and External Pages
with typed page writes (:class:`PageUpsert`, :class:`PageUpdate`), typed results
(:class:`ContentImportSource`, :class:`ExternalPage`), one retry and rate-limit policy
(``ingestor.http``) and one error mapping (``_errors``).
"""

from __future__ import annotations

from ingestor.intercom._client import IntercomClient
from ingestor.intercom._endpoint import REGION_BASE_URLS, Region
from ingestor.intercom._errors import ErrorEnvelope, Operation
from ingestor.intercom._models import ContentImportSource, ExternalPage
from ingestor.intercom._payloads import PageUpdate, PageUpsert
from ingestor.intercom._stats import ClientStats

__all__ = [
    "REGION_BASE_URLS",
    "ClientStats",
    "ContentImportSource",
    "ErrorEnvelope",
    "ExternalPage",
    "IntercomClient",
    "Operation",
    "PageUpdate",
    "PageUpsert",
    "Region",
]
