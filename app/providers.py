"""The ten upstream providers llm-link speaks to, and what each one needs from us."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Provider:
    id: str
    display_name: str
    # Env var llm-link 0.3.x reads the key from (and `/api/config/update` echoes back); None: no key.
    key_env: str | None
    # Env var for a custom endpoint, where llm-link knows one; None: the provider has a fixed endpoint.
    base_url_env: str | None
    default_model: str

    @property
    def needs_key(self) -> bool:
        return self.key_env is not None

    @property
    def takes_base_url(self) -> bool:
        return self.base_url_env is not None


# Default models are the ones `/api/config/update` fills in when no model is given.
PROVIDERS: tuple[Provider, ...] = (
    Provider("openai", "OpenAI", "OPENAI_API_KEY", "OPENAI_BASE_URL", "gpt-4o"),
    Provider("anthropic", "Anthropic", "ANTHROPIC_API_KEY", None, "claude-3-5-sonnet-20241022"),
    # No base URL: llm-link (0.3.x to 0.7.x) takes ZHIPU_BASE_URL but chats always go to Zhipu's own endpoint
    # (src/normalizer/mod.rs: `LlmClient::zhipu_openai_compatible(api_key)`), so a base URL here would be
    # validated against one server and used against another.
    Provider("zhipu", "Zhipu", "ZHIPU_API_KEY", None, "glm-4-flash"),
    Provider("aliyun", "Aliyun", "ALIYUN_API_KEY", None, "qwen-turbo"),
    Provider("volcengine", "Volcengine", "VOLCENGINE_API_KEY", None, "doubao-pro-32k"),
    Provider("tencent", "Tencent", "TENCENT_API_KEY", None, "hunyuan-lite"),
    Provider("longcat", "Longcat", "LONGCAT_API_KEY", None, "LongCat-Flash-Chat"),
    Provider("moonshot", "Moonshot", "MOONSHOT_API_KEY", None, "kimi-k2-turbo-preview"),
    Provider("minimax", "Minimax", "MINIMAX_API_KEY", None, "MiniMax-M2"),
    Provider("ollama", "Ollama", None, "OLLAMA_BASE_URL", "llama2"),
)

_BY_ID = {p.id: p for p in PROVIDERS}

# llm-link's Ollama backend defaults to this when no base URL is configured.
OLLAMA_DEFAULT_BASE_URL = "http://localhost:11434"


def provider(provider_id: str) -> Provider:
    """Look a provider up by id; KeyError names the known ones."""
    try:
        return _BY_ID[provider_id]
    except KeyError:
        known = ", ".join(_BY_ID)
        raise KeyError(f"unknown provider {provider_id!r} (known: {known})") from None


def is_known(provider_id: str) -> bool:
    return provider_id in _BY_ID


def key_problem(provider_id: str, key: str) -> str | None:
    """Why `key` cannot be a key for the provider, or None.

    The same rules llm-link's `update-key` applies (its `validate` accepts any key, even an empty one, because
    it answers from a built-in model list without asking the provider), so a bad key is caught up front.
    """
    if provider_id == "ollama":
        return None
    if not key.strip():
        return "the key is empty"
    if provider_id == "anthropic" and not key.startswith("sk-ant-"):
        return "Anthropic keys start with 'sk-ant-'"
    if provider_id == "openai" and not key.startswith("sk-"):
        return "OpenAI keys start with 'sk-'"
    if len(key) < 10:
        return "the key is too short (under 10 characters)"
    return None
