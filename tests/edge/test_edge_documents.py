"""Reading, listing and deleting documents; tenant isolation; idempotency;
credits settled and refunded as documents finish."""

from __future__ import annotations

import concurrent.futures as cf

from edge_helpers import error_of, get_doc, submit, submit_ok
from harness.edge import processing_result
from harness.files import PNG, pdf_bytes


def test_get_follows_the_document_through_its_states(edge, key, clean_queue):
    host = clean_queue
    d = submit_ok(edge, key, documentType="invoice")
    r = get_doc(edge, key, d["id"])
    assert r.status_code == 200
    data = r.json()["data"]
    assert data["status"] == "queued" and data["id"] == d["id"] and data["fileName"] == "doc.png"
    assert data["organizationId"] == key.org_id and data["createdAt"] == d["createdAt"]
    lease = host.lease_doc(d["id"])
    assert get_doc(edge, key, d["id"]).json()["data"]["status"] == "processing"
    assert host.fetch_file(lease) == PNG
    result = processing_result("invoice", pages=1, invoiceNumber="INV-2024-00456", totalAmount=15750.0, currency="USD")
    r = host.complete(lease["leaseId"], result)
    assert r.status_code == 200 and r.json() == {"docId": d["id"], "status": "completed"}
    data = get_doc(edge, key, d["id"]).json()["data"]
    # The spec's polling example reads data.status and data.extractedData.
    assert data["status"] == "completed"
    assert data["extractedData"] == {"invoiceNumber": "INV-2024-00456", "totalAmount": 15750.0, "currency": "USD"}
    assert data["pagesProcessed"] == 1 and data["confidence"] == 0.94
    assert data["metadata"] == {"processingTimeMs": 1234, "modelVersion": "test-1"}
    assert data["processedAt"] and "error" not in data


def test_failed_document_carries_its_error(edge, key, clean_queue):
    d = submit_ok(edge, key)
    lease = clean_queue.lease_doc(d["id"])
    r = clean_queue.fail(lease["leaseId"], "PLUGIN_FAILED", "extractor trapped")
    assert r.json() == {"docId": d["id"], "status": "failed"}
    data = get_doc(edge, key, d["id"]).json()["data"]
    assert data["status"] == "failed"
    assert data["error"] == {"code": "PLUGIN_FAILED", "message": "extractor trapped"}
    assert "extractedData" not in data


def test_credits_reserved_settled_and_refunded(edge, admin, clean_queue):
    org, k = admin.new_tenant(credits=20)
    a = submit_ok(edge, k, file=pdf_bytes(3), name="a.pdf")
    b = submit_ok(edge, k, file=pdf_bytes(4), name="b.pdf")
    acct = admin.get_org(org)
    assert (acct["credits"], acct["reserved"]) == (13, 7)
    # a: estimated 3, actually 2 pages: 1 page back.
    la = clean_queue.lease_doc(a["id"])
    clean_queue.complete(la["leaseId"], processing_result(pages=2))
    acct = admin.get_org(org)
    assert (acct["credits"], acct["reserved"]) == (14, 4)
    # b fails: all 4 reserved pages back.
    lb = clean_queue.lease_doc(b["id"])
    clean_queue.fail(lb["leaseId"], "OCR_FAILED", "engine error")
    acct = admin.get_org(org)
    assert (acct["credits"], acct["reserved"]) == (18, 0)


def test_list_filters_and_paginates(edge, admin, clean_queue):
    _, k = admin.new_tenant()
    ids = [submit_ok(edge, k, documentType="invoice" if i % 2 else "receipt")["id"] for i in range(7)]
    # Complete two of them.
    done = ids[:2]
    for doc_id in done:
        lease = clean_queue.lease_doc(doc_id)
        clean_queue.complete(lease["leaseId"], processing_result())
    def page(**params):
        r = edge.session.get(edge.url("/v1/documents"), headers=k.headers, params=params)
        assert r.status_code == 200, r.text
        return r.json()
    all_docs = page(limit=100)
    assert [d["id"] for d in all_docs["data"]] == list(reversed(ids))  # newest first
    assert all_docs["pagination"] == {"limit": 100, "hasMore": False, "nextCursor": None}
    # Cursor pagination walks everything exactly once.
    seen, cursor = [], None
    while True:
        p = page(limit=3, **({"cursor": cursor} if cursor else {}))
        seen += [d["id"] for d in p["data"]]
        assert len(p["data"]) <= 3
        if not p["pagination"]["hasMore"]:
            break
        cursor = p["pagination"]["nextCursor"]
    assert seen == list(reversed(ids))
    completed = page(status="completed")["data"]
    assert sorted(d["id"] for d in completed) == sorted(done)
    assert all(d["status"] == "completed" for d in completed)
    invoices = page(documentType="invoice")["data"]
    assert sorted(d["id"] for d in invoices) == sorted(ids[1::2])
    queued_receipts = page(status="queued", documentType="receipt")["data"]
    assert sorted(d["id"] for d in queued_receipts) == sorted(i for i in ids[2:] if ids.index(i) % 2 == 0)
    for bad in ({"status": "done"}, {"limit": "0"}, {"limit": "500"}, {"cursor": "garbage"}):
        r = edge.session.get(edge.url("/v1/documents"), headers=k.headers, params=bad)
        assert r.status_code == 400 and error_of(r) == "INVALID_REQUEST", bad


def test_delete_removes_file_results_and_refunds(edge, admin, clean_queue):
    org, k = admin.new_tenant(credits=10)
    queued = submit_ok(edge, k, file=pdf_bytes(2), name="q.pdf")
    finished = submit_ok(edge, k)
    lease = clean_queue.lease_doc(finished["id"])
    clean_queue.complete(lease["leaseId"], processing_result())
    assert admin.get_org(org)["reserved"] == 2
    for doc in (queued, finished):
        r = edge.session.delete(edge.url(f"/v1/documents/{doc['id']}"), headers=k.headers)
        assert r.status_code == 200, r.text
        assert r.json() == {"success": True, "data": {"id": doc["id"], "deleted": True}}
        r = get_doc(edge, k, doc["id"])
        assert r.status_code == 404 and error_of(r) == "DOCUMENT_NOT_FOUND"
        r = edge.session.delete(edge.url(f"/v1/documents/{doc['id']}"), headers=k.headers)
        assert r.status_code == 404
    # The queued one's reservation is refunded; it never reaches a host.
    acct = admin.get_org(org)
    assert (acct["credits"], acct["reserved"]) == (9, 0)
    assert clean_queue.lease(wait_seconds=0) is None
    listing = edge.session.get(edge.url("/v1/documents"), headers=k.headers).json()["data"]
    assert listing == []
    # A host still holding a lease on a deleted document loses it.
    d = submit_ok(edge, k)
    lease = clean_queue.lease_doc(d["id"])
    edge.session.delete(edge.url(f"/v1/documents/{d['id']}"), headers=k.headers)
    r = clean_queue.complete(lease["leaseId"], processing_result())
    assert r.status_code == 409 and error_of(r) == "LEASE_LOST"
    r = clean_queue.call("GET", f"/internal/v1/leases/{lease['leaseId']}/file")
    assert r.status_code == 409 and error_of(r) == "LEASE_LOST"


def test_other_organisations_documents_are_not_found(edge, admin, clean_queue):
    org_a, key_a = admin.new_tenant()
    _, key_b = admin.new_tenant()
    d = submit_ok(edge, key_a)
    lease = clean_queue.lease_doc(d["id"])
    clean_queue.complete(lease["leaseId"], processing_result())
    snap_a = get_doc(edge, key_a, d["id"]).json()
    # B sees nothing of A's: GET, DELETE, list, Veryfi GET by A's numeric id.
    r = get_doc(edge, key_b, d["id"])
    assert r.status_code == 404 and error_of(r) == "DOCUMENT_NOT_FOUND"
    r = edge.session.delete(edge.url(f"/v1/documents/{d['id']}"), headers=key_b.headers)
    assert r.status_code == 404
    assert edge.session.get(edge.url("/v1/documents"), headers=key_b.headers).json()["data"] == []
    veryfi_a = edge.session.post(edge.url("/api/v8/partner/documents/"), headers=key_a.veryfi_headers,
                                 json={"file_data": __import__("base64").b64encode(PNG).decode(), "file_name": "r.png", "async": True})
    vid = veryfi_a.json()["id"]
    r = edge.session.get(edge.url(f"/api/v8/partner/documents/{vid}/"), headers=key_b.veryfi_headers)
    assert r.status_code == 404
    # ... and A's document is untouched.
    assert get_doc(edge, key_a, d["id"]).json() == snap_a
    # Mixing credentials across organisations is refused.
    mixed = {**key_a.veryfi_headers, "AUTHORIZATION": f"apikey {key_a.veryfi['username']}:{key_b.api_key}"}
    r = edge.session.get(edge.url(f"/api/v8/partner/documents/{vid}/"), headers=mixed)
    assert r.status_code == 401 and error_of(r) == "INVALID_API_KEY"


def test_idempotency_key_returns_the_same_document_and_charges_once(edge, admin):
    org, k = admin.new_tenant(credits=50)
    h = {"Idempotency-Key": "order-12345-upload"}
    first = submit_ok(edge, k, file=pdf_bytes(3), name="inv.pdf", headers=h, documentType="invoice")
    again = submit_ok(edge, k, file=pdf_bytes(3), name="inv.pdf", headers=h, documentType="invoice")
    assert again["id"] == first["id"] and again["createdAt"] == first["createdAt"]
    assert admin.get_org(org)["credits"] == 47  # charged once
    # Concurrent retries of a new key: one document.
    h2 = {"Idempotency-Key": "burst-1"}
    with cf.ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(lambda _: submit_ok(edge, k, headers=h2)["id"], range(8)))
    assert len(ids) == 1
    assert admin.get_org(org)["credits"] == 46
    listing = edge.session.get(edge.url("/v1/documents"), headers=k.headers, params={"limit": 100}).json()["data"]
    assert len(listing) == 2
    # Same key, different request: a conflict, not a silent replay.
    r = submit(edge, k, file=pdf_bytes(3), name="inv.pdf", headers=h, documentType="receipt")
    assert r.status_code == 409 and error_of(r) == "IDEMPOTENCY_CONFLICT"
    r = submit(edge, k, file=PNG, headers=h)
    assert r.status_code == 409
    # Keys are per API key: another key may use the same value.
    other = admin.create_key(org)
    assert submit_ok(edge, other, headers=h)["id"] != first["id"]
    r = submit(edge, k, headers={"Idempotency-Key": "has space"})
    assert r.status_code == 400 and error_of(r) == "INVALID_REQUEST"


def test_account_endpoint_shows_plan_and_credits(edge, admin):
    org, k = admin.new_tenant(plan="free", credits=42, role="member", profile="sandbox")
    r = edge.session.get(edge.url("/v1/account"), headers=k.headers)
    assert r.status_code == 200
    d = r.json()["data"]
    assert d["account"]["orgId"] == org.id and d["account"]["plan"] == "free" and d["account"]["credits"] == 42
    assert d["key"] == {"keyId": k.key_id, "role": "member", "profile": "sandbox"}


def test_unknown_routes_and_methods(edge, key):
    r = edge.session.get(edge.url("/v2/nothing"), headers=key.headers)
    assert r.status_code == 404 and error_of(r) == "NOT_FOUND"
    r = edge.session.put(edge.url("/v1/documents"), headers=key.headers)
    assert r.status_code == 405 and error_of(r) == "METHOD_NOT_ALLOWED"
    r = get_doc(edge, key, "../../etc/passwd")
    assert r.status_code == 404
