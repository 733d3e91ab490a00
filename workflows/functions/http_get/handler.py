"""http_get: fetch one URL over HTTP(S) (standard library only).

Event:
    {"url": "http://127.0.0.1:8000/index.html",   required, http or https
     "method": "GET",                               GET (default) or HEAD
     "headers": {"User-Agent": "..."},              optional request headers
     "timeoutSeconds": 10,                          optional, default 10
     "maxBytes": 131072}                            optional, body bytes kept (default 128 KiB)

Result:
    {"url": final URL after redirects, "status": 200,
     "headers": {lower-case name: value}, "body": text decoded with the response's
     charset (UTF-8 when it names none), "bytes": body bytes kept,
     "truncated": true when the body was longer than maxBytes, "elapsedMs": 12}

An HTTP error status (404, 500, ...) is a result, not an error: the crawler's
Choice state decides what to do with it. Errors:
    Http.BadUrl       the url is missing or not http(s), or the method is not GET/HEAD
    Http.Timeout      no answer within the timeout
    Http.Unreachable  the host could not be reached (DNS, refused connection, TLS)
"""

import socket
import time
import urllib.error
import urllib.request

# The engine names a raised exception's ASL error after its class, so these
# classes carry the dotted names used across the example workflows.
BadUrl = type("Http.BadUrl", (ValueError,), {})
Timeout = type("Http.Timeout", (Exception,), {})
Unreachable = type("Http.Unreachable", (Exception,), {})

DEFAULT_TIMEOUT_SECONDS = 10
DEFAULT_MAX_BYTES = 128 * 1024  # keeps the result well under a Task's payload limit


def handler(event, context):
    url = event.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise BadUrl(f"not an http(s) URL: {url!r}")
    method = str(event.get("method", "GET")).upper()
    if method not in ("GET", "HEAD"):
        raise BadUrl(f"http_get only sends GET or HEAD, not {method}")
    max_bytes = int(event.get("maxBytes", DEFAULT_MAX_BYTES))
    timeout = _timeout(event, context)

    request = urllib.request.Request(url, method=method, headers=event.get("headers") or {})
    started = time.monotonic()
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        response = error  # an HTTPError is also the response: status, headers, body
    except (socket.timeout, TimeoutError) as error:
        raise Timeout(f"{url}: no answer within {timeout:.1f} s") from error
    except urllib.error.URLError as error:
        if isinstance(error.reason, (socket.timeout, TimeoutError)):
            raise Timeout(f"{url}: no answer within {timeout:.1f} s") from error
        raise Unreachable(f"{url}: {error.reason}") from error

    with response:
        raw = response.read(max_bytes + 1)
        charset = response.headers.get_content_charset() or "utf-8"
        headers = {}
        for name, value in response.headers.items():
            name = name.lower()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        final_url = response.geturl()
        status = response.status

    truncated = len(raw) > max_bytes
    raw = raw[:max_bytes]
    return {
        "url": final_url,
        "status": status,
        "headers": headers,
        "body": raw.decode(charset, errors="replace"),
        "bytes": len(raw),
        "truncated": truncated,
        "elapsedMs": round((time.monotonic() - started) * 1000),
    }


def _timeout(event, context):
    """The requested timeout, shortened so the call ends before the Task's own deadline."""
    timeout = float(event.get("timeoutSeconds", DEFAULT_TIMEOUT_SECONDS))
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining_ms):
        timeout = min(timeout, max(0.1, remaining_ms() / 1000 - 0.5))
    return timeout
