"""Issue #11, defect 1, on the real stack: a PDF whose page objects sit in
compressed object streams (as `qpdf --object-streams=generate` writes them)
hides its pages from the edge's upload estimate. The `folio work` host counts
them before any OCR and the edge re-admits the document for the true count:
charged in full, or refused with a full refund. Credits never go below zero."""

import io

import pikepdf
import pytest
import requests

from fixtures import scanned_pdf
from harness.edge import wait_final
from harness.host import HostProcess
from test_stack import submit


@pytest.fixture(scope="module")
def host(edge):
    with HostProcess(edge.base_url, edge.host_token, name="host-credits") as h:
        yield h


def with_object_streams(pdf: bytes) -> bytes:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        doc.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    data = out.getvalue()
    assert b"/ObjStm" in data and b"/Type /Page\n" not in data and b"/Type/Page" not in data
    return data


def account(edge, org) -> tuple[int, int]:
    o = edge.admin().get_org(org)
    return o["credits"], o["reserved"]


def test_hidden_pages_beyond_the_credits_are_refused_with_a_full_refund(edge, host):
    org, key = edge.admin().new_tenant(plan="free", credits=5)
    doc_id = submit(edge, key, with_object_streams(scanned_pdf(30)), "hidden.pdf", documentType="generic")
    assert account(edge, org) == (4, 1), "the upload estimate sees one page"
    data = wait_final(edge, key, doc_id)
    assert data["status"] == "failed", data
    assert data["error"]["code"] == "INSUFFICIENT_CREDITS", data["error"]
    assert "30 pages" in data["error"]["message"]
    assert account(edge, org) == (5, 0)
    assert "job refused at re-admission" in host.log_text()


def test_hidden_pages_within_the_credits_are_all_charged(edge, host):
    org, key = edge.admin().new_tenant(plan="free", credits=10)
    doc_id = submit(edge, key, with_object_streams(scanned_pdf(3)), "hidden.pdf", documentType="generic")
    assert account(edge, org) == (9, 1)
    data = wait_final(edge, key, doc_id)
    assert data["status"] == "completed", data
    assert data["pagesProcessed"] == 3
    assert account(edge, org) == (7, 0)
    r = requests.get(edge.url("/v1/account"), headers=key.headers, timeout=10)
    assert r.json()["data"]["account"]["credits"] == 7
