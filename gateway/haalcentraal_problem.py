"""problem+json as the Haal Centraal BRP Personen API writes it, for every front-door refusal.

Usage::

    problem = problem_for(error)                  # any GatewayError, ours or a peer's
    problem = Problem.bad_request(refusal)        # the API's own 400, with invalidParams
    body = problem.render("https://gw.example/haalcentraal/api/brp/personen")

Statuses, titles and codes are the API's (its OpenAPI's ``components.responses``
and the error table of its feature files): 400 ``paramsValidation`` /
``paramsCombination``, 401 ``authentication``, 403 ``autorisation``, 404 ``notFound``, 405
``methodNotAllowed``, 406 ``notAcceptable``, 415 ``unsupported``, 500
``serverError``, 503 ``notAvailable``, 504 ``timeout``. Every text is fitted to the
patterns the OpenAPI gives (``detail``: letters, digits, space and ``.-(),``;
``title`` without the comma), so a refusal validates against the official
document: the gateway's message loses its ``/`` and ``:`` on the way, and keeps the
id an operator finds it by in the log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from connectors.nl.brp.requests import PARAMS_COMBINATION, InvalidParam, RequestRefusal
from gateway.errors import CLIENT, GatewayError

__all__ = ["MEDIA_TYPE", "Problem", "ProblemError", "problem_for"]

MEDIA_TYPE = "application/problem+json"
_RFC7231 = "https://datatracker.ietf.org/doc/html/rfc7231#section-"
_TYPES = {
    400: _RFC7231 + "6.5.1",
    401: "https://datatracker.ietf.org/doc/html/rfc7235#section-3.1",
    403: _RFC7231 + "6.5.3",
    404: _RFC7231 + "6.5.4",
    405: _RFC7231 + "6.5.5",
    406: _RFC7231 + "6.5.6",
    415: _RFC7231 + "6.5.13",
    500: _RFC7231 + "6.6.1",
    503: _RFC7231 + "6.6.4",
    504: _RFC7231 + "6.6.5",
}
_DETAIL_LIMIT = 200
_NOT_IN_DETAIL = re.compile(r"[^a-zA-Z0-9\u00c0-\u017e .\-(),]")
_REPLACEMENTS = str.maketrans({"/": "-", ":": ",", ";": ",", "[": "(", "]": ")", "{": "(",
                               "}": ")", "_": "-", "\n": " ", "\t": " "})  # fmt: skip


@dataclass(frozen=True)
class Problem:
    status: int
    title: str
    code: str
    detail: str | None = None
    invalid_params: tuple[InvalidParam, ...] = field(default=())

    @classmethod
    def bad_request(cls, refusal: RequestRefusal) -> Problem:
        names = ", ".join(dict.fromkeys(p.name for p in refusal.params))
        combination = refusal.code == PARAMS_COMBINATION
        return cls(
            400,
            "Minimale combinatie van parameters moet worden opgegeven."
            if combination
            else "Een of meerdere parameters zijn niet correct.",
            refusal.code,
            _fitted(f"De foutieve parameter(s) zijn {names}."),
            refusal.params,
        )

    def render(self, instance: str) -> bytes:
        document: dict[str, Any] = {
            "type": _TYPES.get(self.status, _TYPES[500]),
            "title": self.title,
            "status": self.status,
        }
        if self.detail:
            document["detail"] = self.detail
        document["instance"] = instance
        document["code"] = self.code
        if self.invalid_params:
            document["invalidParams"] = [
                {"type": _TYPES[400], "name": p.name, "code": p.code, "reason": p.reason}
                for p in self.invalid_params
            ]
        return orjson.dumps(document)


class ProblemError(GatewayError):
    """A refusal the front door words itself (its X-Road type is for the audit record)."""

    def __init__(self, problem: Problem, message: str, *, code: str, origin: str) -> None:
        super().__init__(message, code=code, origin=origin)
        self.problem = problem


def problem_for(error: GatewayError) -> Problem:
    """The API's refusal for one of the gateway's (X-Road error types, either side's)."""
    if isinstance(error, ProblemError):
        return error.problem
    detail = _detail(error)
    code = error.code.split(".")[0]
    if code == "AccessDenied":
        return Problem(403, "U bent niet geautoriseerd voor deze operatie.", "autorisation", detail)
    if code == "NetworkError" and "TimeoutError" in error.message:
        return Problem(504, "Bronservice reageert niet op tijd.", "timeout", detail)
    if code in ("NetworkError", "OutdatedGlobalConf", "UnknownService"):
        return Problem(503, "Bronservice is tijdelijk niet beschikbaar.", "notAvailable", detail)
    if error.origin == CLIENT:
        return Problem(400, "Een of meerdere parameters zijn niet correct.", "paramsValidation",
                       detail)  # fmt: skip
    return Problem(500, "Interne server fout.", "serverError", detail)


def _detail(error: GatewayError) -> str:
    """The message as the OpenAPI's ``detail`` pattern allows it, with the error's log id."""
    suffix = f" (id {_fitted(error.detail, 60)})" if error.detail else ""
    return _fitted(error.message, _DETAIL_LIMIT - len(suffix)) + suffix


def _fitted(text: str, limit: int = _DETAIL_LIMIT) -> str:
    """``text`` in the characters ``detail`` may hold, at most ``limit`` of them."""
    cleaned = _NOT_IN_DETAIL.sub(" ", text.translate(_REPLACEMENTS))
    cleaned = " ".join(cleaned.split())
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 3].rstrip() + "..."
    return cleaned or "-"
