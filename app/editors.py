"""How to point an editor (Zed, Codex CLI, Aider) or curl at the llm-link this tray runs: the exact snippet for
the current config, where it goes, and what is known not to work. No Qt: the dialog only shows these.

The address is always `config.port` on loopback, the editor-facing port (llm-link itself, or the gateway in
front of it), so the snippets stay right whichever answers there. No snippet ever contains the access key:
the OpenAI-protocol modes name an environment variable instead, and the dialog copies the key on demand.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from app.providers import is_known, provider
from app.supervisor.config import LlmLinkConfig
from app.supervisor.contract import APP_PROTOCOLS, LOOPBACK_HOST

# The variable every snippet reads the access key from (OpenAI-protocol modes), so the key is never pasted
# into a file or a shell history by copying a snippet.
ACCESS_KEY_ENV: Final = "LLM_LINK_TRAY_KEY"

# Codex CLI and the Chat Completions API, checked in the released binaries (npm @openai/codex, linux-x64):
# 0.94.0 accepts `wire_api = "chat"` with a deprecation warning; 0.95.0, 0.96.0, 0.99.0 and later refuse to load
# such a config ("`wire_api = \"chat\"` is no longer supported"), as 0.169.0 did when measured end to end. They
# speak only the Responses API (`/v1/responses`), which llm-link does not serve.
CODEX_LAST_CHAT_VERSION: Final = "0.94.0"
CODEX_FIRST_RESPONSES_ONLY: Final = "0.95.0"
CODEX_MEASURED_VERSION: Final = "0.169.0"

# The two gaps of llm-link's Ollama provider (measured on 0.7.0 and 0.3.6). Zed lists models with /api/tags
# and always streams, so with provider `ollama` it gets nothing at all.
OLLAMA_GAP_NOTE: Final = (
    "llm-link's Ollama provider cannot serve Zed: it answers /api/tags with an empty model list and a streamed "
    "chat with one empty final chunk (measured on llm-link 0.7.0 and 0.3.6). Point Zed at Ollama directly "
    '(its default, "api_url": "http://localhost:11434"), or pick a cloud provider here.'
)

EDITORS: Final = ("zed", "codex-cli", "aider", "curl")
TITLES: Final = {"zed": "Zed", "codex-cli": "Codex CLI", "aider": "Aider", "curl": "curl"}

# What Zed's model entry needs as `max_tokens` when llm-link does not say: a size every provider here has.
_DEFAULT_CONTEXT: Final = 32768


@dataclass(frozen=True)
class Target:
    """What an editor must be told: where llm-link listens, which protocol it speaks there, which model."""

    port: int
    protocol: str  # "ollama", "openai" or "anthropic" (llm-link's --protocols for the app mode)
    app_mode: str
    provider: str
    model: str

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK_HOST}:{self.port}"

    @property
    def needs_access_key(self) -> bool:
        """llm-link (and the gateway) ask for the access key on the OpenAI-protocol routes."""
        return self.protocol == "openai"


@dataclass(frozen=True)
class Guide:
    """One editor's instructions for one `Target`."""

    editor: str  # one of EDITORS
    title: str
    snippet: str
    language: str  # "json", "toml" or "sh": how the snippet is to be read
    where: str  # where the snippet goes, in words
    notes: tuple[str, ...]  # what to do besides pasting, and what is known not to work
    works: bool  # False: this editor cannot use llm-link as it is configured now (the notes say why and what to do)


def target_for(config: LlmLinkConfig, model: str | None = None) -> Target:
    """The target for `config`; `model` is the one llm-link reports running (llm-link picks a default when the
    config names none)."""
    chosen = model or config.model
    if not chosen and is_known(config.provider):
        chosen = provider(config.provider).default_model
    return Target(
        port=config.port,
        protocol=APP_PROTOCOLS.get(config.app_mode, "ollama"),
        app_mode=config.app_mode,
        provider=config.provider,
        model=chosen or "default",
    )


def ollama_gap(target: Target) -> str | None:
    """The note on llm-link's Ollama provider, when it applies: provider `ollama` behind Zed's protocol."""
    if target.provider == "ollama" and target.protocol == "ollama":
        return OLLAMA_GAP_NOTE
    return None


def zed_settings_path(environ: dict[str, str] | None = None, home: Path | None = None) -> Path:
    """Zed's user settings file: `~/.config/zed/settings.json` on Linux and macOS (Linux honours
    XDG_CONFIG_HOME), `%APPDATA%\\Zed\\settings.json` on Windows."""
    env = os.environ if environ is None else environ
    home = home or Path.home()
    if sys.platform == "win32" and env.get("APPDATA"):
        return Path(env["APPDATA"]) / "Zed" / "settings.json"
    config_home = env.get("XDG_CONFIG_HOME") if sys.platform.startswith("linux") else None
    return Path(config_home or home / ".config") / "zed" / "settings.json"


def guides(target: Target, context_length: int | None = None) -> tuple[Guide, ...]:
    """Zed, Codex CLI, Aider and curl, in that order."""
    return (_zed(target, context_length), _codex(target), _aider(target), _curl(target))


def guide(editor: str, target: Target, context_length: int | None = None) -> Guide:
    for item in guides(target, context_length):
        if item.editor == editor:
            return item
    raise KeyError(f"unknown editor {editor!r} (known: {', '.join(EDITORS)})")


# --- one function per editor ----------------------------------------------------------------------------


def _key_note(target: Target) -> str:
    return (
        f"Set {ACCESS_KEY_ENV} to llm-link's access key (the Copy access key button), e.g. in your shell profile: "
        f"export {ACCESS_KEY_ENV}='<paste>'. Every request without it is refused (HTTP 401)."
    )


def _needs_mode(wanted: str, target: Target) -> str:
    return (
        f"This needs llm-link's {wanted} protocol; the current app mode ({target.app_mode}) serves "
        f"{target.protocol}. Set App mode to {'zed' if wanted == 'Ollama' else 'codex-cli or aider'} in Settings."
    )


def _zed(target: Target, context_length: int | None) -> Guide:
    where = f"Zed's settings file, {_home_relative(zed_settings_path())}: merge into the top-level object"
    entry = {
        "name": target.model,
        "display_name": f"{target.model} (llm-link)",
        "max_tokens": context_length or _DEFAULT_CONTEXT,
    }
    notes: list[str] = []
    works = True
    if target.protocol == "ollama":
        settings: dict[str, object] = {
            "language_models": {"ollama": {"api_url": target.base_url, "available_models": [entry]}}
        }
        notes.append(
            f"Zed's Ollama default is port 11434; llm-link listens on {target.port}. Then pick "
            f"{target.model} in Zed's Agent Panel."
        )
        gap = ollama_gap(target)
        if gap:
            works = False
            notes.insert(0, gap)
    elif target.protocol == "openai":
        settings = {
            "language_models": {
                "openai_compatible": {"llm-link": {"api_url": f"{target.base_url}/v1", "available_models": [entry]}}
            }
        }
        notes.append(
            "Zed asks for the provider's API key in its Agent Panel settings (llm-link): paste llm-link's access "
            "key there (Copy access key). Or set App mode to zed in Settings: Zed's Ollama provider needs no key."
        )
    else:
        settings = {"language_models": {"ollama": {"api_url": target.base_url, "available_models": [entry]}}}
        works = False
        notes.append(_needs_mode("Ollama", target))
    snippet = json.dumps(settings, indent=2)
    return Guide("zed", TITLES["zed"], snippet, "json", where, tuple(notes), works)


def _codex(target: Target) -> Guide:
    snippet = "\n".join(
        [
            f"# Codex CLI {CODEX_LAST_CHAT_VERSION} or older only: {CODEX_FIRST_RESPONSES_ONLY} and later refuse",
            '# wire_api = "chat" and llm-link does not serve the Responses API they need.',
            f'model = "{target.model}"',
            'model_provider = "llm-link"',
            "",
            "[model_providers.llm-link]",
            'name = "llm-link (llm-link-tray)"',
            f'base_url = "{target.base_url}/v1"',
            f'env_key = "{ACCESS_KEY_ENV}"',
            'wire_api = "chat"',
        ]
    )
    notes = [
        f"Works only with Codex CLI {CODEX_LAST_CHAT_VERSION} or older (npm install -g @openai/codex@"
        f"{CODEX_LAST_CHAT_VERSION}): those accept wire_api = \"chat\", with a deprecation warning.",
        f"Codex CLI {CODEX_FIRST_RESPONSES_ONLY} and every later version (including the current ones; "
        f"{CODEX_MEASURED_VERSION} was tested) does not work with llm-link: it speaks only OpenAI's Responses "
        "API, which llm-link does not serve, and refuses to start with wire_api = \"chat\".",
    ]
    works = target.protocol == "openai"
    if works:
        notes.append(_key_note(target))
    else:
        notes.insert(0, _needs_mode("OpenAI", target))
    where = "~/.codex/config.toml (Codex's user config)"
    return Guide("codex-cli", TITLES["codex-cli"], snippet, "toml", where, tuple(notes), works)


def _aider(target: Target) -> Guide:
    notes: list[str] = []
    works = True
    if target.protocol == "ollama":
        snippet = "\n".join(
            [
                f"export OLLAMA_API_BASE={target.base_url}",
                f"aider --model ollama_chat/{target.model}",
            ]
        )
        gap = ollama_gap(target)
        if gap:
            works = False
            notes.append(
                "Aider streams its replies, and llm-link's Ollama provider streams nothing: point Aider at Ollama "
                "directly (OLLAMA_API_BASE=http://localhost:11434), or pick a cloud provider here."
            )
    elif target.protocol == "openai":
        snippet = "\n".join(
            [
                f"export OPENAI_API_BASE={target.base_url}/v1",
                f'export OPENAI_API_KEY="${ACCESS_KEY_ENV}"',
                f"aider --model openai/{target.model}",
            ]
        )
        notes.append(_key_note(target))
    else:
        snippet = f"# Set App mode to aider or zed in Settings first.\naider --model openai/{target.model}"
        works = False
        notes.append(_needs_mode("OpenAI", target))
    where = "a terminal, in your project's folder"
    return Guide("aider", TITLES["aider"], snippet, "sh", where, tuple(notes), works)


def _curl(target: Target) -> Guide:
    messages = [{"role": "user", "content": "Say hello in three words."}]
    notes: list[str] = []
    if target.protocol == "openai":
        body = json.dumps({"model": target.model, "messages": messages, "max_tokens": 16})
        snippet = (
            f"curl {target.base_url}/v1/chat/completions \\\n"
            f'  -H "Authorization: Bearer ${ACCESS_KEY_ENV}" \\\n'
            '  -H "Content-Type: application/json" \\\n'
            f"  -d '{body}'"
        )
        notes.append(_key_note(target))
    elif target.protocol == "anthropic":
        body = json.dumps({"model": target.model, "messages": messages, "max_tokens": 16})
        snippet = (
            f"curl {target.base_url}/v1/messages \\\n"
            '  -H "anthropic-version: 2023-06-01" \\\n'
            '  -H "Content-Type: application/json" \\\n'
            f"  -d '{body}'"
        )
    else:
        body = json.dumps({"model": target.model, "messages": messages, "stream": False})
        snippet = f"curl {target.base_url}/api/chat \\\n  -d '{body}'"
        if ollama_gap(target):
            notes.append("Without \"stream\": false llm-link's Ollama provider answers with one empty chunk.")
    notes.append("This spends a few tokens of your provider's quota.")
    return Guide("curl", TITLES["curl"], snippet, "sh", "a terminal", tuple(notes), True)


def _home_relative(path: Path) -> str:
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)
