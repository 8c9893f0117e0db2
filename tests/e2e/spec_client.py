"""The DocuRift spec's Python client ("Code Examples" > "Python"), verbatim
except API_KEY and API_URL, which the tests point at the local stack, and the
example calls at the bottom of the spec's snippet, which are left out."""

import requests
import os
import time
API_KEY = os.getenv('DOCURIFT_API_KEY')
API_URL = 'https://api.docurift.com/v1'  # replaced by the tests with the local edge
def process_document_async(file_path, document_type='generic', webhook_url=None):
    """Submit a document for asynchronous processing."""
    headers = {
        'X-API-Key': API_KEY
    }
    with open(file_path, 'rb') as f:
        files = {'file': f}
        data = {
            'documentType': document_type,
        }
        if webhook_url:
            data['webhookUrl'] = webhook_url
        response = requests.post(
            f'{API_URL}/documents/process/async',
            headers=headers,
            files=files,
            data=data
        )
    response.raise_for_status()
    return response.json()
def poll_document_status(document_id, max_attempts=60, interval=5):
    """Poll for document processing completion."""
    headers = {'X-API-Key': API_KEY}
    for attempt in range(max_attempts):
        response = requests.get(
            f'{API_URL}/documents/{document_id}',
            headers=headers
        )
        response.raise_for_status()
        result = response.json()
        status = result['data']['status']
        if status == 'completed':
            return result
        elif status == 'failed':
            raise Exception(f"Processing failed: {result['data'].get('error')}")
        print(f"Status: {status}, waiting {interval}s...")
        time.sleep(interval)
    raise Exception("Timeout waiting for document processing")
