"""The Content-Security-Policy (config/csp.py) and the JSON log lines (config/logging.py)."""

import json
import logging

from django.test import RequestFactory

from config.csp import ContentSecurityPolicyMiddleware, build_policy
from config.logging import JsonFormatter


def _directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ")}


def test_policy_lets_stripe_js_work_and_nothing_else(settings):
    settings.USES_LOCALSTRIPE = False
    settings.CSP_MEDIA_ORIGIN = "https://trousse.s3.eu-west-3.amazonaws.com"
    policy = _directives(build_policy())
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"][:2] == ["'self'", "https://js.stripe.com"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert {"https://js.stripe.com", "https://hooks.stripe.com"} <= set(policy["frame-src"])
    assert policy["connect-src"] == ["'self'", "https://api.stripe.com"]
    assert policy["img-src"] == ["'self'", "data:", "https://trousse.s3.eu-west-3.amazonaws.com"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]


def test_with_localstripe_its_address_replaces_stripes(settings):
    settings.USES_LOCALSTRIPE = True
    settings.STRIPE_JS_URL = "http://localhost:8420/js.stripe.com/v3/"
    policy = _directives(build_policy())
    assert policy["script-src"] == ["'self'", "http://localhost:8420"]
    assert policy["connect-src"] == ["'self'", "http://localhost:8420"]


def test_middleware_sets_the_header_unless_the_view_did(settings):
    settings.CSP_REPORT_ONLY = False
    request = RequestFactory().get("/")
    from django.http import HttpResponse

    middleware = ContentSecurityPolicyMiddleware(lambda request: HttpResponse("ok"))
    assert middleware(request)["Content-Security-Policy"].startswith("default-src 'self'")

    def own_policy(request):
        response = HttpResponse("ok")
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    assert ContentSecurityPolicyMiddleware(own_policy)(request)["Content-Security-Policy"] == "default-src 'none'"


def test_report_only_mode(settings):
    settings.CSP_REPORT_ONLY = True
    from django.http import HttpResponse

    response = ContentSecurityPolicyMiddleware(lambda request: HttpResponse("ok"))(RequestFactory().get("/"))
    assert "Content-Security-Policy" not in response
    assert "default-src 'self'" in response["Content-Security-Policy-Report-Only"]


def test_log_lines_are_json_with_extras_and_exceptions():
    logger = logging.getLogger("trousse.test")
    record = logger.makeRecord("trousse.test", logging.ERROR, __file__, 1, "don %s refusé", ("42",), None, extra={"donation_id": 42})
    try:
        raise ValueError("carte refusée")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["logger"] == "trousse.test"
    assert entry["message"] == "don 42 refusé"
    assert entry["donation_id"] == 42
    assert "ValueError: carte refusée" in entry["exception"]
    assert entry["time"].endswith("+00:00")


def test_request_in_a_log_line_keeps_the_path_not_the_query():
    request = RequestFactory().get("/dons/?email=parent@example.org")
    record = logging.makeLogRecord({"msg": "Not Found", "levelno": logging.WARNING, "levelname": "WARNING", "request": request, "status_code": 404})
    entry = json.loads(JsonFormatter().format(record))
    assert entry["request"] == {"method": "GET", "path": "/dons/"}
    assert entry["status_code"] == 404
    assert "parent@example.org" not in json.dumps(entry)
