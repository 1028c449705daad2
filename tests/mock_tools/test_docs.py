"""/docs: the spec for people, offline (bundled Swagger UI, no CDN), with the dev keys on the page."""

from __future__ import annotations

import re

import httpx
import pytest
import yaml

from mockserver import docs
from mockserver.config import load_config
from mockserver.spec import Spec

from .conftest import MakeClient


def test_docs_page_shows_every_dev_key_without_a_key(client: httpx.Client) -> None:
    answer = client.get("/docs")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    for user in load_config(None).users:
        assert user.api_key in answer.text and user.id in answer.text
    assert "Aitronos Focus Sessions API" in answer.text


def test_docs_load_nothing_from_another_host(client: httpx.Client) -> None:
    page = client.get("/docs").text
    linked = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert linked, page
    assert not [url for url in linked if re.match(r"(https?:)?//", url)]
    for url in linked:
        answer = client.get("/" + url)
        assert answer.status_code == 200, url


def test_bundled_swagger_ui_reads_openapi_3_1() -> None:
    folder = docs.assets_dir()
    assert folder is not None, "swagger-ui-py is a dependency; its static folder must be there"
    bundle = (folder / "swagger-ui-bundle.js").read_text(encoding="utf-8", errors="replace")
    assert "isOAS31" in bundle  # Swagger UI 5: OpenAPI 3.1 support


def test_assets_have_their_media_types_and_nothing_else_is_served(client: httpx.Client) -> None:
    assert (
        client.get("/docs/assets/swagger-ui-bundle.js").headers["content-type"].startswith("text/javascript")
    )
    assert client.get("/docs/assets/swagger-ui.css").headers["content-type"].startswith("text/css")
    assert client.get("/docs/assets/index.html").status_code == 404
    assert client.get("/docs/assets/..%2F__init__.py").status_code == 404


def test_the_page_preauthorizes_the_first_key_and_lists_both_documents(client: httpx.Client) -> None:
    page = client.get("/docs").text
    assert '"key": "alice-dev-key"' in page
    assert '"url": "openapi.json"' in page and '"url": "__mock/openapi.json"' in page


def test_without_control_the_page_does_not_offer_the_control_document(make_client: MakeClient) -> None:
    assert "__mock/openapi.json" not in make_client(control=False).get("/docs").text


def test_spec_is_served_as_yaml_and_as_json_with_this_server_first(client: httpx.Client) -> None:
    spec = Spec.load().document
    assert yaml.safe_load(client.get("/openapi.yaml").text) == spec
    served = client.get("/openapi.json").json()
    assert served["servers"][0] == {"url": "http://127.0.0.1:4010", "description": "this focus-mock"}
    assert served | {"servers": None} == spec | {"servers": None}
    assert len(served["servers"]) == len(spec["servers"])  # no duplicate of the same URL


def test_docs_routes_are_exact_not_prefixes(client: httpx.Client) -> None:
    """I13: /docsxyz is an unknown API path, so no key means 401."""
    assert client.get("/docsxyz").status_code == 401
    assert client.get("/openapi.yml").status_code == 401


def test_missing_assets_leave_a_usable_page(make_client: MakeClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docs, "assets_dir", lambda: None)
    client = make_client()
    text = client.get("/docs").text
    assert "swagger-ui-py" in text and "openapi.yaml" in text and "alice-dev-key" in text
    assert client.get("/docs/assets/swagger-ui.css").status_code == 404


def test_docs_with_a_trailing_slash_leads_to_the_page(client: httpx.Client) -> None:
    """Regression: ``/docs/`` asked for an API key; served as is, its relative links would break."""
    answer = client.get("/docs/?x=1")
    assert answer.status_code == 308 and answer.headers["location"] == "/docs?x=1"
    assert client.get("/docs/", follow_redirects=True).text == client.get("/docs").text
