"""Finding and downloading the baseline artifact (the action's `baseline: auto`).

A passing run of the action uploads its output folder as the artifact
`deploy-gate-baseline-<environment>`; a later run asks the Actions artifacts API for the newest
unexpired one of that name, downloads its zip (GitHub answers with a redirect to a pre-signed
storage URL, fetched by a separate client that holds no token) and unpacks it, checked, into a
folder. Every failure is a `BaselineUnavailable` with a sentence for the job log: the caller
warns and runs without a comparison; a missing baseline never blocks by itself.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path, PurePosixPath

import httpx

MAX_ZIP_BYTES = 256 * 1024 * 1024
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
MAX_FILES = 20_000
TIMEOUT_S = 60.0


class BaselineUnavailable(Exception):
    """No usable baseline artifact; the message says why (for a warning, never a block)."""


def fetch_baseline(*, api_url: str, repository: str, token: str, name: str, dest: Path) -> Path:
    """Download and unpack the newest unexpired artifact `name` into `dest`; return `dest`.

    The action names it (`gate.action.artifact_name`): `deploy-gate-baseline-<environment>`.
    """
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    base = api_url.rstrip("/")
    try:
        with httpx.Client(headers=headers, timeout=TIMEOUT_S, follow_redirects=True) as client:
            listing = client.get(
                f"{base}/repos/{repository}/actions/artifacts",
                params={"name": name, "per_page": 100},
            )
            if listing.status_code != 200:
                raise BaselineUnavailable(
                    f"listing artifacts named {name} failed: HTTP {listing.status_code} "
                    f"{_message(listing)} (the token needs `actions: read`)"
                )
            artifact = _newest(listing.json(), name)
            data = _download(client, artifact)
    except httpx.HTTPError as exc:
        raise BaselineUnavailable(f"artifact {name}: {type(exc).__name__}: {exc}") from None
    unpack(data, dest, f"artifact {name} (id {artifact.get('id')})")
    _check_passed(dest, name)
    return dest


def _newest(listing: object, name: str) -> dict[str, object]:
    items = listing.get("artifacts") if isinstance(listing, dict) else None
    if not isinstance(items, list):
        raise BaselineUnavailable(f"artifacts API answered without an `artifacts` list for {name}")
    same = [a for a in items if isinstance(a, dict) and a.get("name") == name]
    fresh = [a for a in same if not a.get("expired")]
    if not fresh:
        gone = f" ({len(same)} expired)" if same else ""
        raise BaselineUnavailable(
            f"no baseline artifact {name}{gone}: no passing run has stored one yet"
        )
    return max(fresh, key=lambda a: str(a.get("created_at") or ""))


def _download(client: httpx.Client, artifact: dict[str, object]) -> bytes:
    """The zip: GitHub redirects to a pre-signed storage URL, fetched without the token."""
    url = str(artifact.get("archive_download_url") or "")
    first = client.get(url, follow_redirects=False)
    if first.status_code == 410:
        raise BaselineUnavailable(f"baseline artifact {artifact.get('id')} has expired")
    if first.is_redirect and first.headers.get("location"):
        location = str(first.next_request.url) if first.next_request else first.headers["location"]
        with (
            httpx.Client(timeout=TIMEOUT_S, follow_redirects=True) as storage,
            storage.stream("GET", location) as answer,
        ):
            return _body(answer, artifact)
    return _body(first, artifact)


def _body(answer: httpx.Response, artifact: dict[str, object]) -> bytes:
    if answer.status_code != 200:
        answer.read()
        raise BaselineUnavailable(
            f"downloading baseline artifact {artifact.get('id')} failed: "
            f"HTTP {answer.status_code} {_message(answer)}"
        )
    chunks: list[bytes] = []
    size = 0
    for chunk in answer.iter_bytes():
        size += len(chunk)
        if size > MAX_ZIP_BYTES:
            raise BaselineUnavailable(
                f"baseline artifact {artifact.get('id')} is larger than "
                f"{MAX_ZIP_BYTES // 2**20} MiB"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def unpack(data: bytes, dest: Path, what: str) -> None:
    """Unpack a zip into `dest`, refusing paths outside it, links and oversized content."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise BaselineUnavailable(f"{what} is not a readable zip: {exc}") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_FILES:
            raise BaselineUnavailable(f"{what} holds more than {MAX_FILES} files")
        if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
            raise BaselineUnavailable(f"{what} unpacks to more than 1 GiB")
        dest.mkdir(parents=True, exist_ok=True)
        for member in members:
            path = PurePosixPath(member.filename)
            is_link = (member.external_attr >> 16) & 0o170000 == 0o120000
            if path.is_absolute() or ".." in path.parts or "\\" in member.filename or is_link:
                raise BaselineUnavailable(f"{what}: refused entry {member.filename!r}")
            target = dest.joinpath(*path.parts)
            if member.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                target.write_bytes(archive.read(member))
            except (zipfile.BadZipFile, OSError, ValueError) as exc:
                raise BaselineUnavailable(f"{what}: {member.filename}: {exc}") from None


def _check_passed(dest: Path, name: str) -> None:
    """Only a passing run's outputs may be a baseline (the action uploads only those)."""
    try:
        verdict = json.loads((dest / "result.json").read_text(encoding="utf-8")).get("verdict")
    except (OSError, ValueError, AttributeError):
        return  # `gate --baseline` names what is wrong with the folder
    if verdict != "pass":
        raise BaselineUnavailable(
            f"baseline artifact {name} is from a run whose verdict was {verdict!r}"
        )


def _message(answer: httpx.Response) -> str:
    try:
        data = answer.json()
    except ValueError:
        return ""
    return str(data.get("message", ""))[:200] if isinstance(data, dict) else ""
