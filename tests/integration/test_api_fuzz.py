"""Property-based fuzzing of the whole JSON API, driven by its own OpenAPI document.

For every operation, schemathesis generates valid and invalid requests; the API must never answer
with a 5xx, and every answer must be a documented status with a body matching its schema. The
examples are derandomized so a run is repeatable; raise EXAMPLES_PER_OPERATION to search wider.
(schemathesis' pytest plugin does not run under pytest 9, so operations are driven directly.)
"""

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from ..support.factories import PlayerFactory

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 30


def fuzz(operation, headers):
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        case.call_and_validate(headers={**(case.headers or {}), **headers}, checks=CHECKS)

    run()


def test_api_never_fails_and_matches_its_schema(app, api_token):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    headers = api_token(PlayerFactory())  # a signed-in player, so authenticated paths run too
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    failures = []
    for operation in operations:
        try:
            fuzz(operation, headers)
        except Exception as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
