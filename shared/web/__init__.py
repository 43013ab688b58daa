"""The web kit every service's API is built with, by what each part is about:

- ``app``: ``build_service_app``/``create_service_app``, the request's unit of work, JSON
  answers, ETags and If-Match, the ``Blueprint`` every service uses;
- ``problems``: every error as problem+json, one title per status, in the caller's language;
- ``bodies``: the stated request limits and the JSON body parser that keeps them;
- ``openapi``: documents that say what is sent (problem+json, decimal bounds), the vendored
  Swagger UI and the index at /api/v1;
- ``observability``: request ids, the access log, /healthz, /readyz and /metrics.

Import from ``shared.web``: the names below are its public face.
"""

from shared.web.app import (
    Blueprint,
    ServiceContext,
    build_service_app,
    create_service_app,
    if_match_version,
    json_response,
    request_uow,
    service_context,
    with_etag,
)
from shared.web.bodies import (
    MAX_BODY_BYTES,
    MAX_INTEGER_DIGITS,
    MAX_JSON_DEPTH,
    TextSafeParser,
    load_json_body,
)
from shared.web.observability import LATENCY, REQUESTS, install_observability, metrics_registry
from shared.web.openapi import (
    DECIMAL_STRING,
    MUTATING,
    NUMERIC_KEYWORDS,
    SWAGGER_UI_ASSETS,
    ProblemApi,
    ProblemSchema,
    WholeMatch,
    document_problems,
    install_docs,
)
from shared.web.problems import (
    PROBLEM_JSON,
    TITLES,
    install_error_handlers,
    localized_problem,
    problem,
    problem_language,
    problem_title,
    with_content_language,
)

__all__ = [
    "DECIMAL_STRING",
    "LATENCY",
    "MAX_BODY_BYTES",
    "MAX_INTEGER_DIGITS",
    "MAX_JSON_DEPTH",
    "MUTATING",
    "NUMERIC_KEYWORDS",
    "PROBLEM_JSON",
    "REQUESTS",
    "SWAGGER_UI_ASSETS",
    "TITLES",
    "Blueprint",
    "ProblemApi",
    "ProblemSchema",
    "ServiceContext",
    "TextSafeParser",
    "WholeMatch",
    "build_service_app",
    "create_service_app",
    "document_problems",
    "if_match_version",
    "install_docs",
    "install_error_handlers",
    "install_observability",
    "json_response",
    "load_json_body",
    "localized_problem",
    "metrics_registry",
    "problem",
    "problem_language",
    "problem_title",
    "request_uow",
    "service_context",
    "with_content_language",
    "with_etag",
]
