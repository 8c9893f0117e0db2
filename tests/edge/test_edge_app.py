"""What the review page (issue #16) needs from the worker, over HTTP: the
static app under /app with strict headers, the uploaded file
(`GET /v1/documents/{id}/file`) and page previews
(`GET /v1/documents/{id}/pages/{n}/preview`), both scoped like every other
document read. The page itself is driven in a real browser by tests/app/."""

from __future__ import annotations

import re

from edge_helpers import error_of, submit_ok
from harness.edge import processing_result
from harness.files import PNG, pdf_bytes


def test_app_is_served_with_strict_headers(edge):
    for path, ctype in (("/app", "text/html"), ("/app/", "text/html"), ("/app/index.html", "text/html"),
                        ("/app/app.js", "text/javascript"), ("/app/app.css", "text/css")):
        r = edge.session.get(edge.url(path))
        assert r.status_code == 200, (path, r.status_code)
        assert r.headers["content-type"].startswith(ctype), path
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "connect-src 'self'" in csp
        # No origin but this one, anywhere in the policy.
        assert not re.search(r"https?:|\*", csp), csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["cache-control"] == "no-cache" and r.headers["etag"]
        # Unchanged: 304 without a body.
        again = edge.session.get(edge.url(path), headers={"If-None-Match": r.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
    html = edge.session.get(edge.url("/app")).text
    assert '<script src="/app/app.js"' in html and "<script>" not in html  # no inline script (the CSP forbids it)
    # Nothing in the app points at another origin.
    for path in ("/app", "/app/app.js", "/app/app.css"):
        body = edge.session.get(edge.url(path)).text
        assert not re.findall(r"(?:https?:)?//(?!www\.w3\.org/2000/svg)[a-z0-9.-]+\.[a-z]{2,}", body), path
    r = edge.session.get(edge.url("/app/nope.js"))
    assert r.status_code == 404 and error_of(r) == "NOT_FOUND"
    r = edge.session.post(edge.url("/app"))
    assert r.status_code == 405 and error_of(r) == "METHOD_NOT_ALLOWED"


def test_file_and_preview_of_an_image_are_the_upload(edge, admin, clean_queue):
    _, k = admin.new_tenant()
    d = submit_ok(edge, k, documentType="invoice")
    # Available from upload on, before any host saw it.
    r = edge.session.get(edge.url(f"/v1/documents/{d['id']}/file"), headers=k.headers)
    assert r.status_code == 200 and r.content == PNG
    assert r.headers["content-type"] == "image/png" and r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-disposition"] == "attachment; filename=\"doc.png\"; filename*=UTF-8''doc.png"
    assert r.headers["cache-control"] == "private, no-store"
    lease = clean_queue.lease_doc(d["id"])
    clean_queue.complete(lease["leaseId"], processing_result("invoice", pages=1))
    r = edge.session.get(edge.url(f"/v1/documents/{d['id']}/pages/1/preview"), headers=k.headers)
    assert r.status_code == 200 and r.content == PNG and r.headers["content-type"] == "image/png"
    assert r.headers["content-disposition"] == "inline"
    r = edge.session.get(edge.url(f"/v1/documents/{d['id']}/pages/2/preview"), headers=k.headers)
    assert r.status_code == 404 and error_of(r) == "PREVIEW_NOT_AVAILABLE" and "no page 2" in r.json()["error"]["message"]
    for bad in ("0", "x", "-1"):
        r = edge.session.get(edge.url(f"/v1/documents/{d['id']}/pages/{bad}/preview"), headers=k.headers)
        assert r.status_code == 400 and error_of(r) == "INVALID_REQUEST", bad
    # Without a key: 401; a key never goes in the URL, so there is no other way in.
    r = edge.session.get(edge.url(f"/v1/documents/{d['id']}/file"))
    assert r.status_code == 401 and error_of(r) == "INVALID_API_KEY"
    # Deleted: gone with the document.
    edge.session.delete(edge.url(f"/v1/documents/{d['id']}"), headers=k.headers)
    for path in ("file", "pages/1/preview"):
        r = edge.session.get(edge.url(f"/v1/documents/{d['id']}/{path}"), headers=k.headers)
        assert r.status_code == 404 and error_of(r) == "DOCUMENT_NOT_FOUND", path


def test_pdf_page_previews_are_the_hosts_pngs(edge, admin):
    _, k = admin.new_tenant()
    pdf = pdf_bytes(2)
    d = submit_ok(edge, k, file=pdf, name="Zwei Seiten; März.pdf")
    r = edge.session.get(edge.url(f"/v1/documents/{d['id']}/file"), headers=k.headers)
    assert r.status_code == 200 and r.content == pdf and r.headers["content-type"] == "application/pdf"
    # A header-safe ASCII name, and the exact one (RFC 6266).
    assert r.headers["content-disposition"] == \
        "attachment; filename=\"Zwei Seiten Mrz.pdf\"; filename*=UTF-8''Zwei%20Seiten%3B%20M%C3%A4rz.pdf"
    def preview(n: int):
        return edge.session.get(edge.url(f"/v1/documents/{d['id']}/pages/{n}/preview"), headers=k.headers)

    def no_preview(n: int) -> str:
        r = preview(n)
        assert r.status_code == 404 and error_of(r) == "PREVIEW_NOT_AVAILABLE", r.text
        return r.json()["error"]["message"]

    # Not processed yet; past the 50-page cap.
    assert no_preview(1) == "No preview image of page 1 yet: previews are stored when the document is processed"
    assert no_preview(51) == "No preview image of page 51: previews are stored for the first 50 pages only"
    # The host stores page 1's PNG (issue #16) and completes without page 2's.
    hc = edge.host("preview-test-host")
    lid = hc.lease_doc(d["id"])["leaseId"]
    png = b"\x89PNG\r\n\x1a\n page one"
    r = edge.session.put(edge.url(f"/internal/v1/leases/{lid}/artifacts/preview-1.png"), data=png,
                         headers={**hc.headers, "Content-Type": "image/png"}, timeout=30)
    assert r.status_code == 200, r.text
    r = hc.call("POST", f"/internal/v1/leases/{lid}/complete", json={"result": processing_result("invoice", pages=2), "outputs": []})
    assert r.status_code == 200 and r.json()["status"] == "completed", r.text
    r = preview(1)
    assert r.status_code == 200 and r.content == png, r.text
    assert r.headers["content-type"] == "image/png" and r.headers["cache-control"] == "private, no-store"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert no_preview(2) == "No preview image of page 2 was stored (documents processed before page previews were made have none)"
    assert no_preview(3) == "The document has 2 pages: it has no page 3"


def test_another_organisation_or_profile_gets_nothing(edge, admin):
    org, k = admin.new_tenant()
    _, other = admin.new_tenant()
    sandbox = admin.create_key(org, role="admin", profile="sandbox")
    d = submit_ok(edge, k)
    for who in (other, sandbox):
        for path in ("file", "pages/1/preview"):
            r = edge.session.get(edge.url(f"/v1/documents/{d['id']}/{path}"), headers=who.headers)
            assert r.status_code == 404 and error_of(r) == "DOCUMENT_NOT_FOUND", (who.profile, path)
    r = edge.session.get(edge.url("/v1/documents/doc_abc123xyz456/file"), headers=k.headers)
    assert r.status_code == 404 and error_of(r) == "DOCUMENT_NOT_FOUND"
