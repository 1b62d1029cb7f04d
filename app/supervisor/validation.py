"""The checks before a key is used: its format, the upstream where one can be asked, and llm-link's own word.

llm-link's validation accepts any key (it answers from a built-in model list), so what can be verified is
only what we can ask ourselves (see `upstream`): Ollama, and a custom base URL for OpenAI or Zhipu. A key
for any other provider passes the format check but stays "not verified" until it is used successfully.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit, urlunsplit

from app.errors import AppErrorException, key_rejected, switch_failed, unknown_provider
from app.llmlink_client import LlmLinkClient, LlmLinkError, LlmLinkHttpError, ModelInfo
from app.providers import Provider, key_problem, provider
from app.secret import Secret
from app.supervisor.upstream import UpstreamVerdict, can_check, probe_upstream

# llm-link (llm-connector) appends this to a base URL itself; a URL that already ends in it asks `/v1/v1/…`.
API_SUFFIX: Final = "/v1"


def provider_spec(provider_id: str) -> Provider:
    try:
        return provider(provider_id)
    except KeyError as exc:
        raise AppErrorException(unknown_provider(str(exc.args[0]))) from None


def normalise_base_url(base_url: str | None) -> str | None:
    """The base URL as llm-link wants it: the host root (and any prefix) without a trailing `/v1` or slash.
    Both `http://host/v1` and `http://host` name the same endpoint, since llm-link appends `/v1` itself."""
    if base_url is None or not base_url.strip():
        return None
    parts = urlsplit(base_url.strip())
    path = parts.path.rstrip("/")
    if path.endswith(API_SUFFIX):
        path = path[: -len(API_SUFFIX)].rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


async def check_key_and_upstream(spec: Provider, key: Secret | None, base_url: str | None) -> UpstreamVerdict:
    """What llm-link's own validation misses: the key's format, and what the upstream says where it can be
    asked. Raises AppErrorException (KEY_INVALID, UPSTREAM_UNREACHABLE); a verdict that is not `verified`
    (the key could not be checked, or the upstream's answer was not a model list) does not raise."""
    problem = key_problem(spec.id, key.reveal() if key else "")
    if problem:
        raise AppErrorException(key_rejected(f"{spec.display_name} key rejected: {problem}"))
    verdict = await probe_upstream(spec.id, key, base_url)
    if not isinstance(verdict, UpstreamVerdict):
        raise AppErrorException(verdict)
    return verdict


def key_checkable(provider_id: str, base_url: str | None) -> bool:
    """A key for this provider and base URL can be verified before it is used."""
    return can_check(provider_id, base_url)


async def validate(
    provider_id: str,
    key: Secret | None,
    *,
    model: str | None,
    base_url: str | None,
    client: LlmLinkClient | None,
) -> tuple[ModelInfo, ...]:
    """Settings' Validate: the checks a switch makes first, and the models llm-link lists.

    Raises AppErrorException (KEY_INVALID, UPSTREAM_UNREACHABLE, CONFIG_ERROR, …). Without a running llm-link
    to ask (`client` None) only our own checks run and no models come back.
    """
    spec = provider_spec(provider_id)
    await check_key_and_upstream(spec, key, base_url)
    if client is None:
        return ()
    try:
        return await validate_with(client, spec, key, model, base_url)
    except LlmLinkHttpError as exc:
        raise AppErrorException(switch_failed(exc.to_app_error())) from None
    except LlmLinkError as exc:
        raise AppErrorException(exc.to_app_error()) from None


async def validate_with(
    client: LlmLinkClient, spec: Provider, key: Secret | None, model: str | None, base_url: str | None
) -> tuple[ModelInfo, ...]:
    """llm-link's word on the key, and the models it lists. Raises AppErrorException(KEY_INVALID)."""
    secret = key or Secret("")
    try:
        result = await client.validate(spec.id, secret, model=model, base_url=base_url)
    except LlmLinkHttpError as exc:
        if exc.status_code != 400:
            raise
        # 0.7.0's validate lacks minimax; validate-key knows all ten.
        result = await client.validate_key(spec.id, secret, base_url=base_url)
    if not result.is_valid:
        raise AppErrorException(
            key_rejected(f"{spec.display_name} rejected the key: {result.message or result.status}")
        )
    return result.models
