"""The served OpenAPI document matches the routes the app really has."""

from kendama.blueprints.api.spec import spec_of


def test_every_api_route_is_documented(app, client):
    document = client.get("/api/openapi.json").json
    assert document["openapi"].startswith("3.1")
    documented = {(path, method) for path, ops in document["paths"].items() for method in ops}
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint == "api.openapi_document":
            continue
        assert spec_of(app.view_functions[rule.endpoint]) is not None, f"{rule.rule} has no @operation"
        path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            served.add((path, method.lower()))
    assert documented == served


def test_contract_endpoints_present(client):
    paths = client.get("/api/openapi.json").json["paths"]
    for path, method in [
        ("/api/users", "post"),
        ("/api/tokens", "post"),
        ("/api/tokens/current", "delete"),
        ("/api/players", "get"),
        ("/api/players/{player_id}", "get"),
        ("/api/users/me/profile", "put"),
        ("/api/admin/players/{player_id}/verify", "post"),
    ]:
        assert method in paths[path], (path, method)
