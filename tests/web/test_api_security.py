"""Who may call what: token, session cookie, CSRF, body limits, no leaked internals, and
``serve`` refusing a public address without a token."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from webshop import TOKEN, copy_of_shop, make_app, reset_store_mode, shop_db

from conftest import store_snapshot

DAY = pd.Timedelta(days=1)


@pytest.fixture(scope="module")
def guarded() -> Iterator[TestClient]:
    with TestClient(make_app(shop_db(), api_token=TOKEN)) as client:
        yield client
    reset_store_mode()


def test_health_is_open_everything_else_needs_the_token(guarded: TestClient) -> None:
    guarded.cookies.clear()
    assert guarded.get("/health").json()["status"] == "ok"
    for path in ("/api/info", "/api/series", "/api/promo/plan", "/openapi.json"):
        refused = guarded.get(path)
        assert refused.status_code == 401, path
        assert "token" in refused.json()["error"]
    wrong = guarded.get("/api/info", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401
    ok = guarded.get("/api/info", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200 and ok.json()["series"] == 20


def test_pages_send_strangers_to_the_login_and_the_login_opens_them(guarded: TestClient) -> None:
    guarded.cookies.clear()
    page = guarded.get("/promotions", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/promotions"
    login_page = guarded.get("/login")
    csrf = guarded.cookies.get("promocast_csrf")
    assert login_page.status_code == 200 and csrf
    headers = {"X-CSRF-Token": csrf}
    assert guarded.post("/login", json={"token": "nope"}, headers=headers).status_code == 401
    assert guarded.post("/login", json={"token": TOKEN}, headers=headers).status_code == 200
    assert guarded.get("/promotions").status_code == 200
    assert guarded.get("/api/promo/plan").status_code == 200  # the session opens the API too
    guarded.get("/logout")
    assert guarded.get("/api/info").status_code == 401


def test_browser_writes_need_the_csrf_token_and_the_same_origin(tmp_path: Path) -> None:
    db = copy_of_shop(tmp_path)
    with TestClient(make_app(db)) as client:
        client.get("/")
        csrf = client.cookies.get("promocast_csrf")
        end = pd.Timestamp(client.get("/api/info", params={"quality": False}).json()["end"])
        body = {"scenario": [{"promo_type": "percent_off", "item_id": "SKU0001",
                              "discount_pct": 20, "start_date": str((end + DAY).date()),
                              "end_date": str((end + 3 * DAY).date())}]}
        missing = client.post("/api/promo/simulate", json=body)
        assert missing.status_code == 403 and "CSRF" in missing.json()["error"]
        forged = client.post("/api/promo/simulate", json=body, headers={"X-CSRF-Token": "x"})
        assert forged.status_code == 403
        cross = client.post("/api/promo/simulate", json=body, headers={
            "X-CSRF-Token": csrf, "Origin": "http://evil.example"})
        assert cross.status_code == 403 and "cross-site" in cross.json()["error"]
        assert client.post("/api/promo/simulate", json=body,
                           headers={"X-CSRF-Token": csrf}).status_code == 200
    reset_store_mode()


def test_uploads_over_the_limit_are_refused_and_the_store_is_unchanged(tmp_path: Path) -> None:
    db = copy_of_shop(tmp_path)
    before = store_snapshot(db)
    big = b"date,item_id,store_id,units\n" + b"2024-01-01,A,s1,1\n" * 70_000  # 1.2 MB
    with TestClient(make_app(db, max_upload_mb=1)) as client:
        answer = client.post("/api/ingest", files=[("files", ("sales_big.csv", io.BytesIO(big),
                                                              "text/csv"))])
        assert answer.status_code == 413 and "1 MB" in answer.json()["error"]
        other = client.post("/api/promo/simulate", content=b"{" + b" " * (3 * 2**20) + b"}",
                            headers={"content-type": "application/json"})
        assert other.status_code == 413
    reset_store_mode()
    assert store_snapshot(db) == before


def test_an_unexpected_error_answers_500_without_internals(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    import promocast.api.routes.data as data_routes

    def broken(*_args: object, **_kwargs: object) -> dict:
        raise RuntimeError("secret detail /root/private/path")

    monkeypatch.setattr(data_routes, "find_series", broken)
    with TestClient(make_app(copy_of_shop(tmp_path)), raise_server_exceptions=False) as client:
        answer = client.get("/api/series")
    reset_store_mode()
    assert answer.status_code == 500
    assert "secret" not in answer.text and "Traceback" not in answer.text
    assert answer.json() == {"error": "internal error: the server log has the details",
                             "code": "internal"}


def test_security_headers_on_every_answer(guarded: TestClient) -> None:
    answer = guarded.get("/health")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::"])
def test_serve_refuses_a_public_address_without_a_token(host: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PROMOCAST_API_TOKEN"}
    result = subprocess.run([sys.executable, "-m", "promocast", "serve", "--host", host,
                             "--db", str(tmp_path / "x.duckdb")],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 2
    assert f"refusing to listen on {host} without an API token" in result.stderr
    assert "PROMOCAST_API_TOKEN" in result.stderr


def test_serve_refuses_a_short_token(tmp_path: Path) -> None:
    env = {**os.environ, "PROMOCAST_API_TOKEN": "short"}
    result = subprocess.run([sys.executable, "-m", "promocast", "serve", "--host", "0.0.0.0",
                             "--db", str(tmp_path / "x.duckdb")],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 2 and "too short" in result.stderr
