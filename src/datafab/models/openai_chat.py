"""Any OpenAI-compatible chat-completions endpoint, through the official ``openai`` client:
hosted APIs, and vLLM, Ollama, llama.cpp's server or TGI on your own machines (point
``base_url`` at them).

Each request has a timeout; timeouts, refused connections, 429 and 5xx answers are retried
with exponential backoff and jitter (``backoff · 2^attempt``, at most ``max_retries`` times);
other errors are not. At most ``concurrency`` requests are in flight per backend. Every call
— retries too — is counted with its tokens and its price (``price_prompt`` /
``price_completion`` per million tokens) in the answer's :class:`~datafab.models.Usage`.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from datafab.models.base import (
    Backend,
    Completion,
    Job,
    MalformedAnswer,
    ModelAnswer,
    ModelError,
    ModelUnavailable,
    Usage,
)
from datafab.models.prompts import build_messages, parse_reply

RETRY_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
_JITTER = random.Random()  # backoff jitter; not security-relevant


class ChatConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1, description="The model's name at the endpoint.")
    base_url: str = Field("http://127.0.0.1:8080/v1", description="The endpoint's /v1 URL.")
    api_key: str = Field("none", description="The endpoint's key (local servers ignore it).")
    timeout: float = Field(60.0, gt=0, le=3600, description="Seconds per request.")
    max_retries: int = Field(3, ge=0, le=20, description="Retries after a failed request.")
    backoff: float = Field(0.5, ge=0, le=60, description="First retry wait, doubled each time.")
    concurrency: int = Field(4, ge=1, le=1024, description="Most requests in flight.")
    temperature: float = Field(0.0, ge=0, le=2)
    max_tokens: int = Field(1024, ge=1, le=1_000_000)
    json_mode: bool = Field(False, description="Ask for response_format json_object.")
    price_prompt: float = Field(0.0, ge=0, description="Price per million prompt tokens.")
    price_completion: float = Field(0.0, ge=0, description="Price per million completion "
                                    "tokens.")


class OpenAIChat(Backend):
    name = "openai"

    def __init__(self, **options: Any) -> None:
        import openai

        self.config = ChatConfig.model_validate(options)
        self._openai = openai
        self._client = openai.OpenAI(
            base_url=self.config.base_url, api_key=self.config.api_key,
            timeout=self.config.timeout, max_retries=0,  # retried here, and counted
        )
        self._slots = threading.BoundedSemaphore(self.config.concurrency)

    def close(self) -> None:
        self._client.close()

    # -- answering items ----------------------------------------------------------------------
    def answer(self, job: Job) -> ModelAnswer:
        completion = self.complete(build_messages(job))
        try:
            answer, confidence = parse_reply(job, completion.texts[0] if completion.texts
                                             else "")
        except MalformedAnswer as exc:
            exc.usage = completion.usage
            raise
        return ModelAnswer(answer, confidence, completion.usage)

    # -- raw completions ----------------------------------------------------------------------
    def complete(self, messages: list[dict[str, str]], *, n: int = 1,
                 temperature: float | None = None, max_tokens: int | None = None,
                 seed: int | None = None, top_p: float | None = None) -> Completion:
        """``n`` replies to ``messages``; the sampling parameters used come back in
        ``params``."""
        params: dict[str, Any] = {
            "model": self.config.model,
            "temperature": self.config.temperature if temperature is None else temperature,
            "max_tokens": max_tokens or self.config.max_tokens,
        }
        if n != 1:
            params["n"] = n
        if seed is not None:
            params["seed"] = seed
        if top_p is not None:
            params["top_p"] = top_p
        if self.config.json_mode:
            params["response_format"] = {"type": "json_object"}
        usage = Usage(self.config.model)
        response = self._with_retries(messages, params, usage)
        texts = [(choice.message.content or "") for choice in response.choices]
        return Completion(texts, usage, {k: v for k, v in params.items() if k != "model"})

    def _with_retries(self, messages, params: dict[str, Any], usage: Usage):
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                with self._slots:
                    response = self._client.chat.completions.create(messages=messages,
                                                                    **params)
            except self._openai.APIError as exc:
                usage.add(Usage(self.config.model, calls=1,
                                seconds=time.monotonic() - started))
                if not self._retryable(exc) or attempt >= self.config.max_retries:
                    failure = self._failure(exc, attempt)
                    failure.usage = usage
                    raise failure from exc
                time.sleep(self.config.backoff * 2**attempt * (0.5 + _JITTER.random()))
                attempt += 1
                continue
            usage.add(self._usage_of(response, time.monotonic() - started))
            return response

    def _retryable(self, exc: Exception) -> bool:
        if isinstance(exc, self._openai.APIConnectionError | self._openai.APITimeoutError):
            return True
        return isinstance(exc, self._openai.APIStatusError) and exc.status_code in RETRY_STATUS

    def _failure(self, exc: Exception, attempt: int) -> ModelError:
        where = f"{self.config.model} at {self.config.base_url}"
        if self._retryable(exc):
            return ModelUnavailable(f"{where}: {type(exc).__name__} after {attempt + 1} "
                                    "calls")
        return ModelError(f"{where}: {type(exc).__name__}: {exc}")

    def _usage_of(self, response, seconds: float) -> Usage:
        counted = getattr(response, "usage", None)
        prompt = int(getattr(counted, "prompt_tokens", 0) or 0)
        completion = int(getattr(counted, "completion_tokens", 0) or 0)
        cost = (prompt * self.config.price_prompt
                + completion * self.config.price_completion) / 1_000_000
        return Usage(self.config.model, calls=1, prompt_tokens=prompt,
                     completion_tokens=completion, cost=cost, seconds=seconds)
